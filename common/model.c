/*
 * model: names of states and kinds, constructors, destructors and copies of the domain
 * structs. See model.h for ownership.
 */
#include "model.h"

#include <stdlib.h>
#include <string.h>

static const char *const state_names[PM_STATE__COUNT] = {
    "blocked",  "ready",    "accepted",     "accepted_deficient", "supplement_requested",
    "approved", "rejected", "not_required", "withdrawn",
};

static const char *const kind_names[PM_KIND__COUNT] = {
    "accepted",
    "accepted_deficient",
    "supplement_requested",
    "supplement_received",
    "commitment_fulfilled",
    "approved",
    "rejected",
    "not_required",
    "withdrawn",
    "reopened",
    "extended",
    "department",
    "template",
    "project",
    "calendar",
    "alert_ack",
    "unblocked",
    "blocked",
    "milestone",
    "deadline",
    "colour",
    "commitment_due",
    "commitment_breached",
    "project_colour",
    "agent_silent",
    "agent_back",
};

static int
name_lookup(const char *const *names, int count, const char *name)
{
    if (name == NULL)
        return -1;
    for (int i = 0; i < count; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

const char *
pm_state_name(pm_state_t s)
{
    return (unsigned)s < PM_STATE__COUNT ? state_names[s] : "?";
}

int
pm_state_parse(const char *name, pm_state_t *out)
{
    int i = name_lookup(state_names, PM_STATE__COUNT, name);
    if (i < 0)
        return -1;
    *out = (pm_state_t)i;
    return 0;
}

bool
pm_state_done(pm_state_t s)
{
    return s == PM_STATE_APPROVED || s == PM_STATE_NOT_REQUIRED;
}

bool
pm_state_started(pm_state_t s)
{
    return s == PM_STATE_ACCEPTED || s == PM_STATE_DEFICIENT || s == PM_STATE_SUPPLEMENT ||
           pm_state_done(s);
}

bool
pm_code_valid(const char *s)
{
    if (util_empty(s) || strlen(s) > PM_CODE_MAX)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if (*p <= ' ' || *p == '/' || *p == ';' || *p == ',' || *p == ':' || *p == 0x7f)
            return false;
    return true;
}

const char *
pm_kind_name(pm_kind_t k)
{
    return (unsigned)k < PM_KIND__COUNT ? kind_names[k] : "?";
}

int
pm_kind_parse(const char *name, pm_kind_t *out)
{
    int i = name_lookup(kind_names, PM_KIND__COUNT, name);
    if (i < 0)
        return -1;
    *out = (pm_kind_t)i;
    return 0;
}

bool
pm_kind_is_event(pm_kind_t k)
{
    return k <= PM_KIND_LAST_EVENT;
}

bool
pm_kind_is_correction(pm_kind_t k)
{
    return k == PM_KIND_REOPENED || k == PM_KIND_EXTENDED;
}

bool
pm_kind_is_operators(pm_kind_t k)
{
    return k == PM_KIND_NOT_REQUIRED || pm_kind_is_correction(k);
}

bool
pm_kind_is_derived(pm_kind_t k)
{
    return k >= PM_KIND_UNBLOCKED && k < PM_KIND__COUNT;
}

static const char *const colour_names[PM_COLOUR__COUNT] = {"none", "green", "yellow", "red"};

const char *
pm_colour_name(pm_colour_t c)
{
    return (unsigned)c < PM_COLOUR__COUNT ? colour_names[c] : "?";
}

int
pm_colour_parse(const char *name, pm_colour_t *out)
{
    int i = name_lookup(colour_names, PM_COLOUR__COUNT, name);
    if (i < 0)
        return -1;
    *out = (pm_colour_t)i;
    return 0;
}

/* English labels are the names with words spaced; Chinese ones are the terms clerks use. */
static const char *const state_labels[PM_STATE__COUNT][PM_LANG__COUNT] = {
    {"blocked", "未满足前置"},
    {"ready", "可申报"},
    {"accepted", "已受理"},
    {"accepted (deficient)", "容缺受理"},
    {"supplement requested", "补正中"},
    {"approved", "已办结"},
    {"rejected", "不予许可"},
    {"not required", "不涉及"},
    {"withdrawn", "已撤回"},
};

static const char *const kind_labels[PM_KIND__COUNT][PM_LANG__COUNT] = {
    {"accepted", "受理"},
    {"accepted (deficient)", "容缺受理"},
    {"supplement requested", "要求补正"},
    {"supplement received", "补正材料已收"},
    {"commitment fulfilled", "承诺已履行"},
    {"approved", "办结"},
    {"rejected", "不予许可"},
    {"not required", "不涉及"},
    {"withdrawn", "撤回"},
    {"reopened", "重新办理"},
    {"extended", "依法延期"},
    {"department", "部门登记"},
    {"template", "模板载入"},
    {"project", "项目登记"},
    {"calendar", "日历载入"},
    {"alert acknowledged", "预警已确认"},
    {"unblocked", "前置已满足"},
    {"blocked", "前置未满足"},
    {"milestone", "节点达成"},
    {"deadline", "时限重算"},
    {"colour", "预警变化"},
    {"commitment due", "承诺临期"},
    {"commitment breached", "承诺逾期"},
    {"project colour", "项目预警变化"},
    {"agent silent", "部门终端失联"},
    {"agent back", "部门终端恢复"},
};

static const char *const colour_labels[PM_COLOUR__COUNT][PM_LANG__COUNT] = {
    {"none", "未计时"},
    {"green", "绿色"},
    {"yellow", "黄色"},
    {"red", "红色"},
};

static const struct {
    const char *code;
    const char *label[PM_LANG__COUNT];
} refuse_labels[] = {
    {PM_REFUSE_MALFORMED, {"malformed message", "报文格式错误"}},
    {PM_REFUSE_VERSION, {"protocol version not supported", "协议版本不支持"}},
    {PM_REFUSE_INVALID, {"invalid content", "内容不合规"}},
    {PM_REFUSE_UNKNOWN_PROJECT, {"unknown project", "项目不存在"}},
    {PM_REFUSE_UNKNOWN_PROCEDURE, {"unknown procedure", "手续不存在"}},
    {PM_REFUSE_UNKNOWN_DEPARTMENT, {"unknown department", "部门不存在"}},
    {PM_REFUSE_UNKNOWN_TEMPLATE, {"unknown template", "模板不存在"}},
    {PM_REFUSE_NOT_OWNER, {"not this department's procedure", "非本部门手续"}},
    {PM_REFUSE_TRANSITION, {"not allowed in this state", "当前状态不允许此操作"}},
    {PM_REFUSE_PREREQUISITES, {"prerequisites not satisfied", "前置手续未满足"}},
    {PM_REFUSE_CYCLE, {"template has a cycle", "模板存在循环依赖"}},
    {PM_REFUSE_EXISTS, {"already exists", "已存在"}},
    {PM_REFUSE_UNSUPPORTED, {"not supported", "不支持"}},
    {PM_REFUSE_STORAGE, {"storage unavailable, resend later", "存储暂不可用，请稍后重发"}},
    {PM_REFUSE_BUSY, {"over quota, resend later", "超出限额，请稍后重发"}},
    {PM_REFUSE_UNAUTHORIZED, {"key not trusted", "密钥未授权"}},
    {PM_REFUSE_FORBIDDEN, {"not permitted for this key", "此密钥无权操作"}},
    {PM_REFUSE_CONFLICT, {"id reused with other content", "编号重复且内容不同"}},
};

static pm_lang_t
lang_index(pm_lang_t lang)
{
    return (unsigned)lang < PM_LANG__COUNT ? lang : PM_LANG_EN;
}

const char *
pm_state_label(pm_state_t s, pm_lang_t lang)
{
    return (unsigned)s < PM_STATE__COUNT ? state_labels[s][lang_index(lang)] : "?";
}

const char *
pm_kind_label(pm_kind_t k, pm_lang_t lang)
{
    return (unsigned)k < PM_KIND__COUNT ? kind_labels[k][lang_index(lang)] : "?";
}

const char *
pm_colour_label(pm_colour_t c, pm_lang_t lang)
{
    return (unsigned)c < PM_COLOUR__COUNT ? colour_labels[c][lang_index(lang)] : "?";
}

const char *
pm_refuse_label(const char *code, pm_lang_t lang)
{
    if (code == NULL)
        return "?";
    for (size_t i = 0; i < sizeof refuse_labels / sizeof refuse_labels[0]; i++)
        if (strcmp(refuse_labels[i].code, code) == 0)
            return refuse_labels[i].label[lang_index(lang)];
    return code;
}

/* Grow an array of elements of `size` bytes by one zeroed element; returns it. */
static void *
array_add(void *arrayp, size_t *n, size_t size)
{
    void **array = arrayp;
    char *base = xgrow(*array, *n, size);
    memset(base + *n * size, 0, size);
    *array = base;
    return base + (*n)++ * size;
}

void
pm_department_clear(pm_department_t *d)
{
    free(d->code);
    free(d->name);
    free(d->contact);
    memset(d, 0, sizeof(*d));
}

void
pm_department_copy(pm_department_t *dst, const pm_department_t *src)
{
    dst->code = xstrdup(src->code);
    dst->name = xstrdup(src->name);
    dst->contact = xstrdup(src->contact);
}

void
pm_proctype_clear(pm_proctype_t *t)
{
    free(t->code);
    free(t->name);
    free(t->dept);
    free(t->group);
    memset(t, 0, sizeof(*t));
}

pm_template_t *
pm_template_new(void)
{
    return xcalloc(1, sizeof(pm_template_t));
}

void
pm_template_destroy(pm_template_t **p)
{
    pm_template_t *t = p ? *p : NULL;

    if (t == NULL)
        return;
    for (size_t i = 0; i < t->nprocs; i++)
        pm_proctype_clear(&t->procs[i]);
    for (size_t i = 0; i < t->nedges; i++) {
        free(t->edges[i].from);
        free(t->edges[i].to);
    }
    for (size_t i = 0; i < t->nmilestones; i++) {
        free(t->milestones[i].code);
        free(t->milestones[i].name);
        strv_clear(&t->milestones[i].members);
    }
    free(t->procs);
    free(t->edges);
    free(t->milestones);
    free(t->name);
    free(t);
    *p = NULL;
}

pm_proctype_t *
pm_template_add_proc(pm_template_t *t)
{
    return array_add(&t->procs, &t->nprocs, sizeof(pm_proctype_t));
}

pm_edge_t *
pm_template_add_edge(pm_template_t *t, const char *from, const char *to, bool parallel)
{
    pm_edge_t *e = array_add(&t->edges, &t->nedges, sizeof(pm_edge_t));
    e->from = xstrdup(from);
    e->to = xstrdup(to);
    e->parallel = parallel;
    return e;
}

pm_milestone_t *
pm_template_add_milestone(pm_template_t *t)
{
    return array_add(&t->milestones, &t->nmilestones, sizeof(pm_milestone_t));
}

pm_template_t *
pm_template_dup(const pm_template_t *src)
{
    pm_template_t *t = pm_template_new();

    t->name = xstrdup(src->name);
    t->version = src->version;
    for (size_t i = 0; i < src->nprocs; i++) {
        pm_proctype_t *p = pm_template_add_proc(t);
        p->code = xstrdup(src->procs[i].code);
        p->name = xstrdup(src->procs[i].name);
        p->dept = xstrdup(src->procs[i].dept);
        p->limit_days = src->procs[i].limit_days;
        p->promised_days = src->procs[i].promised_days;
        p->group = xstrdup(src->procs[i].group);
    }
    for (size_t i = 0; i < src->nedges; i++)
        pm_template_add_edge(t, src->edges[i].from, src->edges[i].to, src->edges[i].parallel);
    for (size_t i = 0; i < src->nmilestones; i++) {
        pm_milestone_t *m = pm_template_add_milestone(t);
        m->code = xstrdup(src->milestones[i].code);
        m->name = xstrdup(src->milestones[i].name);
        for (size_t k = 0; k < src->milestones[i].members.n; k++)
            strv_push(&m->members, src->milestones[i].members.v[k]);
    }
    return t;
}

pm_project_t *
pm_project_new(void)
{
    return xcalloc(1, sizeof(pm_project_t));
}

void
pm_project_clear(pm_project_t *p)
{
    free(p->id);
    free(p->name);
    free(p->region);
    free(p->industry);
    free(p->company);
    free(p->steward);
    free(p->leader);
    free(p->template_name);
    strv_clear(&p->not_required);
    memset(p, 0, sizeof(*p));
}

void
pm_project_destroy(pm_project_t **p)
{
    if (p == NULL || *p == NULL)
        return;
    pm_project_clear(*p);
    free(*p);
    *p = NULL;
}

void
pm_project_copy(pm_project_t *dst, const pm_project_t *src)
{
    dst->id = xstrdup(src->id);
    dst->name = xstrdup(src->name);
    dst->region = xstrdup(src->region);
    dst->industry = xstrdup(src->industry);
    dst->company = xstrdup(src->company);
    dst->steward = xstrdup(src->steward);
    dst->leader = xstrdup(src->leader);
    dst->template_name = xstrdup(src->template_name);
    dst->template_version = src->template_version;
    for (size_t i = 0; i < src->not_required.n; i++)
        strv_push(&dst->not_required, src->not_required.v[i]);
    dst->start_half = src->start_half;
    dst->year = src->year;
}

pm_entry_t *
pm_entry_new(pm_kind_t kind)
{
    pm_entry_t *e = xcalloc(1, sizeof(pm_entry_t));
    e->kind = kind;
    return e;
}

void
pm_entry_destroy(pm_entry_t **p)
{
    pm_entry_t *e = p ? *p : NULL;

    if (e == NULL)
        return;
    free(e->event_id);
    free(e->actor);
    free(e->dept);
    free(e->project);
    free(e->procedure);
    free(e->cert);
    free(e->note);
    free(e->missing);
    free(e->project_name);
    free(e->procedure_name);
    free(e->steward);
    free(e->milestone);
    free(e->milestone_name);
    if (e->department != NULL) {
        pm_department_clear(e->department);
        free(e->department);
    }
    pm_template_destroy(&e->template);
    pm_project_destroy(&e->project_info);
    pm_calendar_destroy(&e->calendar);
    free(e->recipient);
    free(e->via);
    free(e->relay);
    free(e);
    *p = NULL;
}

void
pm_procstatus_clear(pm_procstatus_t *ps)
{
    free(ps->code);
    free(ps->name);
    free(ps->dept);
    free(ps->group);
    free(ps->cert);
    for (size_t i = 0; i < ps->nblockers; i++) {
        free(ps->blockers[i].code);
        free(ps->blockers[i].name);
        free(ps->blockers[i].dept);
    }
    free(ps->blockers);
    free(ps->missing);
    memset(ps, 0, sizeof(*ps));
}

pm_status_t *
pm_status_new(void)
{
    return xcalloc(1, sizeof(pm_status_t));
}

void
pm_status_destroy(pm_status_t **p)
{
    pm_status_t *st = p ? *p : NULL;

    if (st == NULL)
        return;
    pm_project_destroy(&st->project);
    for (size_t i = 0; i < st->nprocs; i++)
        pm_procstatus_clear(&st->procs[i]);
    free(st->procs);
    strv_clear(&st->milestones);
    free(st);
    *p = NULL;
}

pm_procstatus_t *
pm_status_add_proc(pm_status_t *st)
{
    return array_add(&st->procs, &st->nprocs, sizeof(pm_procstatus_t));
}

pm_blocker_t *
pm_procstatus_add_blocker(pm_procstatus_t *ps)
{
    return array_add(&ps->blockers, &ps->nblockers, sizeof(pm_blocker_t));
}

pm_department_t *
pm_import_add_dept(pm_import_t *im)
{
    return array_add(&im->depts, &im->ndepts, sizeof(pm_department_t));
}

pm_project_t *
pm_import_add_project(pm_import_t *im)
{
    return array_add(&im->projects, &im->nprojects, sizeof(pm_project_t));
}

void
pm_page_add(pm_page_t *pg, pm_entry_t **entry)
{
    pg->entries = xgrow(pg->entries, pg->n, sizeof(pm_entry_t *));
    pg->entries[pg->n++] = *entry;
    *entry = NULL;
}

pm_msg_t *
pm_msg_new(pm_msg_type_t type)
{
    pm_msg_t *m = xcalloc(1, sizeof(pm_msg_t));
    m->version = PM_PROTOCOL_VERSION;
    m->type = type;
    return m;
}

static void
import_destroy(pm_import_t **p)
{
    pm_import_t *im = *p;

    if (im == NULL)
        return;
    free(im->id);
    free(im->actor);
    for (size_t i = 0; i < im->ndepts; i++)
        pm_department_clear(&im->depts[i]);
    free(im->depts);
    pm_template_destroy(&im->template);
    for (size_t i = 0; i < im->nprojects; i++)
        pm_project_clear(&im->projects[i]);
    free(im->projects);
    pm_calendar_destroy(&im->calendar);
    free(im);
    *p = NULL;
}

static void
reply_destroy(pm_reply_t **p)
{
    pm_reply_t *r = *p;

    if (r == NULL)
        return;
    free(r->id);
    free(r->code);
    free(r->reason);
    free(r);
    *p = NULL;
}

static void
query_destroy(pm_query_t **p)
{
    pm_query_t *q = *p;

    if (q == NULL)
        return;
    free(q->project);
    free(q->dept);
    free(q->kind);
    free(q);
    *p = NULL;
}

static void
page_destroy(pm_page_t **p)
{
    pm_page_t *pg = *p;

    if (pg == NULL)
        return;
    for (size_t i = 0; i < pg->n; i++)
        pm_entry_destroy(&pg->entries[i]);
    free(pg->entries);
    free(pg);
    *p = NULL;
}

pm_calendar_t *
pm_calendar_new(void)
{
    return xcalloc(1, sizeof(pm_calendar_t));
}

void
pm_calendar_destroy(pm_calendar_t **p)
{
    pm_calendar_t *c = p ? *p : NULL;

    if (c == NULL)
        return;
    for (size_t i = 0; i < c->ndays; i++) {
        free(c->days[i].date);
        free(c->days[i].name);
    }
    free(c->days);
    strv_clear(&c->papers);
    free(c);
    *p = NULL;
}

pm_calday_t *
pm_calendar_add_day(pm_calendar_t *c)
{
    return array_add(&c->days, &c->ndays, sizeof(pm_calday_t));
}

pm_calendar_t *
pm_calendar_dup(const pm_calendar_t *src)
{
    pm_calendar_t *c = pm_calendar_new();

    c->year = src->year;
    for (size_t i = 0; i < src->papers.n; i++)
        strv_push(&c->papers, src->papers.v[i]);
    for (size_t i = 0; i < src->ndays; i++) {
        pm_calday_t *d = pm_calendar_add_day(c);
        d->date = xstrdup(src->days[i].date);
        d->name = xstrdup(src->days[i].name);
        d->off = src->days[i].off;
    }
    return c;
}

pm_listrow_t *
pm_list_add_row(pm_list_t *l)
{
    return array_add(&l->rows, &l->n, sizeof(pm_listrow_t));
}

void
pm_procstatus_copy(pm_procstatus_t *dst, const pm_procstatus_t *src)
{
    *dst = *src;
    dst->code = xstrdup(src->code);
    dst->name = xstrdup(src->name);
    dst->dept = xstrdup(src->dept);
    dst->group = xstrdup(src->group);
    dst->cert = xstrdup(src->cert);
    dst->missing = xstrdup(src->missing);
    dst->blockers = NULL;
    dst->nblockers = 0;
    for (size_t i = 0; i < src->nblockers; i++) {
        pm_blocker_t *b = pm_procstatus_add_blocker(dst);
        *b = src->blockers[i];
        b->code = xstrdup(src->blockers[i].code);
        b->name = xstrdup(src->blockers[i].name);
        b->dept = xstrdup(src->blockers[i].dept);
    }
}

void
pm_list_destroy(pm_list_t **p)
{
    pm_list_t *l = *p;

    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->rows[i].project);
        free(l->rows[i].project_name);
        free(l->rows[i].region);
        free(l->rows[i].steward);
        pm_procstatus_clear(&l->rows[i].ps);
    }
    free(l->rows);
    free(l);
    *p = NULL;
}

static void
listreq_destroy(pm_listreq_t **p)
{
    pm_listreq_t *q = *p;

    if (q == NULL)
        return;
    free(q->colour);
    free(q->dept);
    free(q->region);
    free(q->project);
    free(q);
    *p = NULL;
}

void
pm_msg_destroy(pm_msg_t **p)
{
    pm_msg_t *m = p ? *p : NULL;

    if (m == NULL)
        return;
    pm_entry_destroy(&m->entry);
    import_destroy(&m->import);
    reply_destroy(&m->reply);
    query_destroy(&m->query);
    page_destroy(&m->page);
    free(m->status_project);
    pm_status_destroy(&m->status);
    free(m->agent);
    listreq_destroy(&m->listreq);
    pm_list_destroy(&m->list);
    free(m->time_zone);
    free(m);
    *p = NULL;
}
