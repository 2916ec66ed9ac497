/*
 * Unit tests for proto/codec.c: every message type round-trips field by field, and hostile
 * frames are refused with a reason and without leaks (the test build runs under ASan/LSan).
 *
 * Hostile frames are made by encoding a valid message and patching its bytes, or, where no
 * valid message comes close, written out byte by byte from the field numbers in
 * proto/permit.proto. The generated code itself stays private to the codec.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "log.h"
#include "model.h"
#include "util.h"
#include "zone.h"

#define PROJECT_ID "NM-TL-2026-0001"
#define PROJECT_NAME "通辽市科尔沁区智慧物流园项目"
#define TEMPLATE_NAME "工业类项目审批模板"

/* ---- Fixtures: realistic data from a Tongliao project. ---- */

static pm_template_t *
make_template(void)
{
    static const struct {
        const char *code, *name, *dept;
        uint32_t days, promised;
        const char *group;
    } procs[] = {
        {"YD01", "建设项目用地预审与选址意见书", "ZRZY", 20, 10, "用地联审"},
        {"HP01", "建设项目环境影响评价审批", "STHJ", 30, 15, NULL},
        {"GH01", "建设工程规划许可证", "ZRZY", 15, 0, ""}, /* 0: the statutory limit */
        {"SG01", "建筑工程施工许可证", "ZJ", 7, 3, "施工联审"},
    };
    pm_template_t *t = pm_template_new();
    pm_milestone_t *m;

    t->name = xstrdup(TEMPLATE_NAME);
    t->version = 3;
    for (size_t i = 0; i < ARRAY_LEN(procs); i++) {
        pm_proctype_t *p = pm_template_add_proc(t);
        p->code = xstrdup(procs[i].code);
        p->name = xstrdup(procs[i].name);
        p->dept = xstrdup(procs[i].dept);
        p->limit_days = procs[i].days;
        p->promised_days = procs[i].promised;
        p->group = xstrdup(procs[i].group);
    }
    pm_template_add_edge(t, "YD01", "GH01", false);
    pm_template_add_edge(t, "HP01", "SG01", true);
    pm_template_add_edge(t, "GH01", "SG01", false);
    m = pm_template_add_milestone(t);
    m->code = xstrdup("KG");
    m->name = xstrdup("具备开工条件");
    strv_push(&m->members, "GH01");
    strv_push(&m->members, "SG01");
    m = pm_template_add_milestone(t);
    m->code = xstrdup("BJ");
    m->name = xstrdup("全部办结"); /* no members: every procedure */
    return t;
}

static void
fill_project(pm_project_t *p, const char *id, const char *name)
{
    p->id = xstrdup(id);
    p->name = xstrdup(name);
    p->region = xstrdup("内蒙古自治区通辽市科尔沁区");
    p->industry = xstrdup("现代物流");
    p->company = xstrdup("通辽智慧物流园建设有限公司");
    p->steward = xstrdup("王晓明");
    p->leader = xstrdup("李建国副区长");
    p->template_name = xstrdup(TEMPLATE_NAME);
    p->template_version = 3;
    strv_push(&p->not_required, "HP01");
    p->start_half = 2;
    p->year = 2027;
}

static void
fill_dept(pm_department_t *d, const char *code, const char *name, const char *contact)
{
    d->code = xstrdup(code);
    d->name = xstrdup(name);
    d->contact = xstrdup(contact);
}

/* A department event as an agent sends it: 容缺受理 with a commitment. */
static pm_entry_t *
make_event(void)
{
    pm_entry_t *e = pm_entry_new(PM_KIND_ACCEPTED_DEFICIENT);

    e->event_id = xstrdup("3f1c2a9e-7b4d-4e2a-9c1f-0a8b6d5e4f31");
    e->actor = xstrdup("ZRZY");
    e->dept = xstrdup("ZRZY");
    e->project = xstrdup(PROJECT_ID);
    e->procedure = xstrdup("YD01");
    e->event_ms = 1763771400123;
    e->note = xstrdup("MARK缺少土地权属证明，承诺十个工作日内补齐");
    e->missing = xstrdup("土地权属证明");
    e->due_ms = 1764981000000;
    e->procedure_name = xstrdup(""); /* "" must stay "", not become NULL */
    return e;
}

/* A derived entry as the broker publishes it. */
static pm_entry_t *
make_milestone_entry(void)
{
    pm_entry_t *e = pm_entry_new(PM_KIND_MILESTONE);

    e->seq = 4711;
    e->actor = xstrdup("broker");
    e->project = xstrdup(PROJECT_ID);
    e->recv_ms = 1763771460000;
    e->cause = 4710;
    e->project_name = xstrdup(PROJECT_NAME);
    e->steward = xstrdup("王晓明");
    e->limit_days = 15;
    e->milestone = xstrdup("KG");
    e->milestone_name = xstrdup("具备开工条件");
    return e;
}

static pm_entry_t *
make_approved(uint64_t seq)
{
    pm_entry_t *e = pm_entry_new(PM_KIND_APPROVED);

    e->seq = seq;
    e->event_id = util_new_id();
    e->actor = xstrdup("ZRZY");
    e->dept = xstrdup("ZRZY");
    e->project = xstrdup(PROJECT_ID);
    e->procedure = xstrdup("GH01");
    e->recv_ms = 1763771400500;
    e->event_ms = 1763771000123;
    e->cert = xstrdup("建字第150502202600123号");
    e->project_name = xstrdup(PROJECT_NAME);
    e->procedure_name = xstrdup("建设工程规划许可证");
    e->limit_days = 15;
    return e;
}

/* A year of the calendar as the holiday-cn file lists it: a holiday and a make-up day. */
static pm_calendar_t *
make_calendar(void)
{
    pm_calendar_t *c = pm_calendar_new();
    pm_calday_t *d;

    c->year = 2026;
    strv_push(&c->papers, "https://www.gov.cn/zhengce/zhengceku/202511/content_7047091.htm");
    d = pm_calendar_add_day(c);
    d->date = xstrdup("2026-02-14");
    d->name = xstrdup("春节");
    d->off = false;
    d = pm_calendar_add_day(c);
    d->date = xstrdup("2026-02-15");
    d->name = xstrdup("春节");
    d->off = true;
    d = pm_calendar_add_day(c);
    d->date = xstrdup("2026-10-01");
    d->name = NULL; /* optional in the file */
    d->off = true;
    return c;
}

/* A derived colour entry: every clock field set, none of them zero. */
static pm_entry_t *
make_colour_entry(pm_colour_t colour)
{
    pm_entry_t *e = pm_entry_new(PM_KIND_COLOUR);

    e->seq = 4800;
    e->actor = xstrdup("broker");
    e->dept = xstrdup("STHJ");
    e->project = xstrdup(PROJECT_ID);
    e->procedure = xstrdup("HP01");
    e->recv_ms = 1763771460000;
    e->cause = 4711;
    e->project_name = xstrdup(PROJECT_NAME);
    e->procedure_name = xstrdup("建设项目环境影响评价审批");
    e->steward = xstrdup("王晓明");
    e->limit_days = 30;
    e->colour = colour;
    e->deadline_ms = 1765900799999;
    e->statutory_ms = 1767974399999;
    e->days = 2;
    e->provisional = true;
    e->at_ms = 1763740800000;
    e->late = true;
    return e;
}

static pm_import_t *
make_import(void)
{
    pm_import_t *im = xcalloc(1, sizeof(*im));

    im->id = xstrdup("import-2026-11-22-001");
    im->actor = xstrdup("operator:张丽");
    fill_dept(pm_import_add_dept(im), "ZRZY", "自然资源局", "0475-8223456");
    fill_dept(pm_import_add_dept(im), "STHJ", "生态环境局", NULL);
    fill_dept(pm_import_add_dept(im), "ZJ", "住房和城乡建设局", "");
    im->template = make_template();
    fill_project(pm_import_add_project(im), PROJECT_ID, PROJECT_NAME);
    fill_project(pm_import_add_project(im), "NM-TL-2026-0002", "科尔沁区风电装备制造产业园项目");
    return im;
}

static pm_status_t *
make_status(void)
{
    pm_status_t *st = pm_status_new();

    st->project = pm_project_new();
    fill_project(st->project, PROJECT_ID, PROJECT_NAME);
    /* One procedure in every state, so every state name travels. */
    for (int s = 0; s < PM_STATE__COUNT; s++) {
        pm_procstatus_t *ps = pm_status_add_proc(st);
        ps->code = xasprintf("P%02d", s);
        ps->name = xasprintf("审批事项%d", s);
        ps->dept = xstrdup(s % 2 ? "自然资源局" : "生态环境局");
        ps->group = s % 3 ? xstrdup("用地联审") : NULL;
        ps->state = (pm_state_t)s;
        ps->limit_days = 10 + (uint32_t)s;
        ps->deficient = s == PM_STATE_DEFICIENT;
        ps->cert = s == PM_STATE_APPROVED ? xstrdup("环审〔2026〕17号") : NULL;
        ps->updated_seq = 100 + (uint64_t)s;
        ps->updated_ms = 1763771400000 + s;
        /* The clock: every colour travels, days go below zero, and every field is non-zero. */
        ps->promised_days = 5 + (uint32_t)s;
        ps->colour = (pm_colour_t)(1 + s % (PM_COLOUR__COUNT - 1));
        ps->deadline_ms = 1765900799999 + s;
        ps->statutory_ms = 1767974399999 + s;
        ps->days = s - 4;
        ps->provisional = s % 2 == 0;
        ps->paused = s == PM_STATE_SUPPLEMENT || s == 1;
        ps->commitment_ms = 1764950399999 + s;
        ps->missing = xasprintf("承诺补齐材料%d", s);
        ps->finish_days = 3 * s + 1;
        ps->critical = s % 3 == 1;
        for (int b = 0; b < s % 3; b++) {
            pm_blocker_t *bl = pm_procstatus_add_blocker(ps);
            bl->code = xasprintf("B%d", b);
            bl->name = xstrdup("建设项目用地预审与选址意见书");
            bl->dept = xstrdup("自然资源局");
            bl->state = (pm_state_t)((s + b) % PM_STATE__COUNT);
            bl->parallel = b == 1;
        }
    }
    strv_push(&st->milestones, "KG");
    strv_push(&st->milestones, "BJ");
    st->colour = PM_COLOUR_YELLOW;
    st->due_ms = 1788191999999; /* end of August 2026, +08:00 */
    st->days = 7;
    st->critical_days = 23;
    return st;
}

/* "Which open procedures are red or yellow": rows carry a whole procedure status. */
static pm_list_t *
make_list(void)
{
    pm_status_t *st = make_status();
    pm_list_t *l = xcalloc(1, sizeof(*l));

    for (size_t i = 0; i < st->nprocs; i++) {
        pm_listrow_t *r = pm_list_add_row(l);
        r->project = xasprintf("NM-TL-2026-%04zu", i + 1);
        r->project_name = xstrdup(PROJECT_NAME);
        r->region = i % 2 ? xstrdup("科尔沁区") : NULL;
        r->steward = xstrdup(i % 3 ? "王晓明" : "");
        pm_procstatus_copy(&r->ps, &st->procs[i]);
    }
    l->now_ms = 1763771400000;
    pm_status_destroy(&st);
    return l;
}

/* ---- Field-by-field comparisons; NULL and "" are different. ---- */

static void
assert_str0(const char *want, const char *got)
{
    if (want == NULL) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(want, got);
}

static void
assert_strv(const strv_t *want, const strv_t *got)
{
    assert_int_equal(want->n, got->n);
    for (size_t i = 0; i < want->n; i++)
        assert_string_equal(want->v[i], got->v[i]);
    if (want->n > 0)
        assert_null(got->v[got->n]);
}

static void
assert_dept(const pm_department_t *want, const pm_department_t *got)
{
    if (want == NULL) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_str0(want->code, got->code);
    assert_str0(want->name, got->name);
    assert_str0(want->contact, got->contact);
}

static void
assert_template(const pm_template_t *want, const pm_template_t *got)
{
    if (want == NULL) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_str0(want->name, got->name);
    assert_int_equal(want->version, got->version);
    assert_int_equal(want->nprocs, got->nprocs);
    for (size_t i = 0; i < want->nprocs; i++) {
        assert_str0(want->procs[i].code, got->procs[i].code);
        assert_str0(want->procs[i].name, got->procs[i].name);
        assert_str0(want->procs[i].dept, got->procs[i].dept);
        assert_int_equal(want->procs[i].limit_days, got->procs[i].limit_days);
        assert_int_equal(want->procs[i].promised_days, got->procs[i].promised_days);
        assert_str0(want->procs[i].group, got->procs[i].group);
    }
    assert_int_equal(want->nedges, got->nedges);
    for (size_t i = 0; i < want->nedges; i++) {
        assert_str0(want->edges[i].from, got->edges[i].from);
        assert_str0(want->edges[i].to, got->edges[i].to);
        assert_int_equal(want->edges[i].parallel, got->edges[i].parallel);
    }
    assert_int_equal(want->nmilestones, got->nmilestones);
    for (size_t i = 0; i < want->nmilestones; i++) {
        assert_str0(want->milestones[i].code, got->milestones[i].code);
        assert_str0(want->milestones[i].name, got->milestones[i].name);
        assert_strv(&want->milestones[i].members, &got->milestones[i].members);
    }
}

static void
assert_project(const pm_project_t *want, const pm_project_t *got)
{
    if (want == NULL) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_str0(want->id, got->id);
    assert_str0(want->name, got->name);
    assert_str0(want->region, got->region);
    assert_str0(want->industry, got->industry);
    assert_str0(want->company, got->company);
    assert_str0(want->steward, got->steward);
    assert_str0(want->leader, got->leader);
    assert_str0(want->template_name, got->template_name);
    assert_int_equal(want->template_version, got->template_version);
    assert_strv(&want->not_required, &got->not_required);
    assert_int_equal(want->start_half, got->start_half);
    assert_int_equal(want->year, got->year);
}

static void
assert_calendar(const pm_calendar_t *want, const pm_calendar_t *got)
{
    if (want == NULL) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_int_equal(want->year, got->year);
    assert_strv(&want->papers, &got->papers);
    assert_int_equal(want->ndays, got->ndays);
    for (size_t i = 0; i < want->ndays; i++) {
        assert_str0(want->days[i].date, got->days[i].date);
        assert_str0(want->days[i].name, got->days[i].name);
        assert_int_equal(want->days[i].off, got->days[i].off);
    }
}

static void
assert_entry(const pm_entry_t *want, const pm_entry_t *got)
{
    assert_non_null(got);
    assert_int_equal(want->seq, got->seq);
    assert_int_equal(want->kind, got->kind);
    assert_str0(want->event_id, got->event_id);
    assert_str0(want->actor, got->actor);
    assert_str0(want->dept, got->dept);
    assert_str0(want->project, got->project);
    assert_str0(want->procedure, got->procedure);
    assert_int_equal(want->recv_ms, got->recv_ms);
    assert_int_equal(want->event_ms, got->event_ms);
    assert_int_equal(want->cause, got->cause);
    assert_str0(want->cert, got->cert);
    assert_str0(want->note, got->note);
    assert_str0(want->missing, got->missing);
    assert_int_equal(want->due_ms, got->due_ms);
    assert_str0(want->project_name, got->project_name);
    assert_str0(want->procedure_name, got->procedure_name);
    assert_str0(want->steward, got->steward);
    assert_int_equal(want->limit_days, got->limit_days);
    assert_str0(want->milestone, got->milestone);
    assert_str0(want->milestone_name, got->milestone_name);
    assert_dept(want->department, got->department);
    assert_template(want->template, got->template);
    assert_project(want->project_info, got->project_info);
    assert_int_equal(want->colour, got->colour);
    assert_int_equal(want->deadline_ms, got->deadline_ms);
    assert_int_equal(want->statutory_ms, got->statutory_ms);
    assert_int_equal(want->days, got->days);
    assert_int_equal(want->provisional, got->provisional);
    assert_int_equal(want->at_ms, got->at_ms);
    assert_int_equal(want->late, got->late);
    assert_calendar(want->calendar, got->calendar);
    assert_str0(want->recipient, got->recipient);
    assert_str0(want->via, got->via);
    assert_str0(want->relay, got->relay);
}

static void
assert_procstatus(const pm_procstatus_t *a, const pm_procstatus_t *b)
{
    assert_str0(a->code, b->code);
    assert_str0(a->name, b->name);
    assert_str0(a->dept, b->dept);
    assert_str0(a->group, b->group);
    assert_int_equal(a->state, b->state);
    assert_int_equal(a->limit_days, b->limit_days);
    assert_int_equal(a->deficient, b->deficient);
    assert_str0(a->cert, b->cert);
    assert_int_equal(a->updated_seq, b->updated_seq);
    assert_int_equal(a->updated_ms, b->updated_ms);
    assert_int_equal(a->nblockers, b->nblockers);
    for (size_t k = 0; k < a->nblockers; k++) {
        assert_str0(a->blockers[k].code, b->blockers[k].code);
        assert_str0(a->blockers[k].name, b->blockers[k].name);
        assert_str0(a->blockers[k].dept, b->blockers[k].dept);
        assert_int_equal(a->blockers[k].state, b->blockers[k].state);
        assert_int_equal(a->blockers[k].parallel, b->blockers[k].parallel);
    }
    assert_int_equal(a->promised_days, b->promised_days);
    assert_int_equal(a->colour, b->colour);
    assert_int_equal(a->deadline_ms, b->deadline_ms);
    assert_int_equal(a->statutory_ms, b->statutory_ms);
    assert_int_equal(a->days, b->days);
    assert_int_equal(a->provisional, b->provisional);
    assert_int_equal(a->paused, b->paused);
    assert_int_equal(a->commitment_ms, b->commitment_ms);
    assert_str0(a->missing, b->missing);
    assert_int_equal(a->finish_days, b->finish_days);
    assert_int_equal(a->critical, b->critical);
}

static void
assert_status(const pm_status_t *want, const pm_status_t *got)
{
    assert_non_null(got);
    assert_project(want->project, got->project);
    assert_int_equal(want->nprocs, got->nprocs);
    for (size_t i = 0; i < want->nprocs; i++)
        assert_procstatus(&want->procs[i], &got->procs[i]);
    assert_strv(&want->milestones, &got->milestones);
    assert_int_equal(want->colour, got->colour);
    assert_int_equal(want->due_ms, got->due_ms);
    assert_int_equal(want->days, got->days);
    assert_int_equal(want->critical_days, got->critical_days);
}

static void
assert_list(const pm_list_t *want, const pm_list_t *got)
{
    assert_non_null(got);
    assert_int_equal(want->n, got->n);
    for (size_t i = 0; i < want->n; i++) {
        assert_str0(want->rows[i].project, got->rows[i].project);
        assert_str0(want->rows[i].project_name, got->rows[i].project_name);
        assert_str0(want->rows[i].region, got->rows[i].region);
        assert_str0(want->rows[i].steward, got->rows[i].steward);
        assert_procstatus(&want->rows[i].ps, &got->rows[i].ps);
    }
    assert_int_equal(want->now_ms, got->now_ms);
}

static void
assert_msg(const pm_msg_t *want, const pm_msg_t *got)
{
    assert_int_equal(want->version != 0 ? want->version : PM_PROTOCOL_VERSION, got->version);
    assert_int_equal(want->type, got->type);
    assert_str0(want->time_zone, got->time_zone);
    switch (want->type) {
    case PM_MSG_EVENT:
    case PM_MSG_ENTRY:
        assert_entry(want->entry, got->entry);
        break;
    case PM_MSG_IMPORT:
        assert_non_null(got->import);
        assert_str0(want->import->id, got->import->id);
        assert_str0(want->import->actor, got->import->actor);
        assert_int_equal(want->import->ndepts, got->import->ndepts);
        for (size_t i = 0; i < want->import->ndepts; i++)
            assert_dept(&want->import->depts[i], &got->import->depts[i]);
        assert_template(want->import->template, got->import->template);
        assert_int_equal(want->import->nprojects, got->import->nprojects);
        for (size_t i = 0; i < want->import->nprojects; i++)
            assert_project(&want->import->projects[i], &got->import->projects[i]);
        assert_calendar(want->import->calendar, got->import->calendar);
        break;
    case PM_MSG_REPLY:
        assert_non_null(got->reply);
        assert_str0(want->reply->id, got->reply->id);
        assert_int_equal(want->reply->ok, got->reply->ok);
        assert_int_equal(want->reply->seq, got->reply->seq);
        assert_int_equal(want->reply->count, got->reply->count);
        assert_int_equal(want->reply->duplicate, got->reply->duplicate);
        assert_str0(want->reply->code, got->reply->code);
        assert_str0(want->reply->reason, got->reply->reason);
        assert_int_equal(want->reply->retry_after_ms, got->reply->retry_after_ms);
        break;
    case PM_MSG_QUERY:
        assert_non_null(got->query);
        assert_int_equal(want->query->after, got->query->after);
        assert_int_equal(want->query->limit, got->query->limit);
        assert_int_equal(want->query->since_ms, got->query->since_ms);
        assert_str0(want->query->project, got->query->project);
        assert_str0(want->query->dept, got->query->dept);
        assert_str0(want->query->kind, got->query->kind);
        break;
    case PM_MSG_PAGE:
        assert_non_null(got->page);
        assert_int_equal(want->page->n, got->page->n);
        for (size_t i = 0; i < want->page->n; i++)
            assert_entry(want->page->entries[i], got->page->entries[i]);
        assert_int_equal(want->page->head, got->page->head);
        assert_int_equal(want->page->more, got->page->more);
        break;
    case PM_MSG_STATUS_REQ:
        assert_str0(want->status_project, got->status_project);
        break;
    case PM_MSG_STATUS:
        assert_status(want->status, got->status);
        break;
    case PM_MSG_HEARTBEAT:
        assert_int_equal(want->head, got->head);
        break;
    case PM_MSG_PING:
        assert_str0(want->agent, got->agent);
        break;
    case PM_MSG_CLOCK_SET:
        assert_int_equal(want->clock_ms, got->clock_ms);
        break;
    case PM_MSG_LIST_REQ:
        assert_non_null(got->listreq);
        assert_str0(want->listreq->colour, got->listreq->colour);
        assert_str0(want->listreq->dept, got->listreq->dept);
        assert_str0(want->listreq->region, got->listreq->region);
        assert_str0(want->listreq->project, got->listreq->project);
        assert_int_equal(want->listreq->blocked, got->listreq->blocked);
        break;
    case PM_MSG_LIST:
        assert_list(want->list, got->list);
        break;
    default:
        fail_msg("unexpected type %d", want->type);
    }
}

/* ---- Helpers. ---- */

static uint8_t *
encode(const pm_msg_t *msg, size_t *len)
{
    uint8_t *buf = NULL;

    assert_int_equal(codec_encode(msg, &buf, len), 0);
    assert_non_null(buf);
    return buf;
}

/* Encode, decode, compare every field; returns the decoded message (caller owns). */
static pm_msg_t *
roundtrip(const pm_msg_t *msg)
{
    char why[256] = "";
    pm_msg_t *got = NULL;
    size_t len;
    uint8_t *buf = encode(msg, &len);

    if (codec_decode(buf, len, &got, why, sizeof(why)) != 0)
        fail_msg("decode refused a valid frame: %s", why);
    free(buf);
    assert_msg(msg, got);
    return got;
}

static void
check_roundtrip(pm_msg_t **msg)
{
    pm_msg_t *got = roundtrip(*msg);

    pm_msg_destroy(&got);
    pm_msg_destroy(msg);
}

static void
assert_refused(const void *buf, size_t len, const char *reason)
{
    char why[256] = "";
    pm_msg_t *msg = NULL;

    assert_int_equal(codec_decode(buf, len, &msg, why, sizeof(why)), -1);
    assert_null(msg);
    if (strstr(why, reason) == NULL)
        fail_msg("reason \"%s\" does not say \"%s\"", why, reason);
}

static void
assert_entry_refused(const void *buf, size_t len, const char *reason)
{
    char why[256] = "";
    pm_entry_t *e = NULL;

    assert_int_equal(codec_decode_entry(buf, len, &e, why, sizeof(why)), -1);
    assert_null(e);
    if (strstr(why, reason) == NULL)
        fail_msg("reason \"%s\" does not say \"%s\"", why, reason);
}

/* Overwrite the first occurrence of `find` in an encoded frame with as many bytes of `repl`. */
static void
patch(uint8_t *buf, size_t len, const char *find, const char *repl)
{
    uint8_t *at = memmem(buf, len, find, strlen(find));

    if (at == NULL)
        fail_msg("\"%s\" not in the frame", find);
    memcpy(at, repl, strlen(find));
}

static pm_msg_t *
msg_with_entry(pm_msg_type_t type, pm_entry_t *e)
{
    pm_msg_t *msg = pm_msg_new(type);

    msg->entry = e;
    return msg;
}

/* ---- Round trips. ---- */

static void
test_event_roundtrip(void **state)
{
    pm_msg_t *msg = msg_with_entry(PM_MSG_EVENT, make_event());
    pm_msg_t *got = roundtrip(msg);

    /* Absent stays NULL and empty stays empty: both are compared by assert_str0 too. */
    assert_null(got->entry->cert);
    assert_null(got->entry->department);
    assert_string_equal(got->entry->procedure_name, "");
    assert_string_equal(got->entry->note, "MARK缺少土地权属证明，承诺十个工作日内补齐");
    pm_msg_destroy(&got);
    pm_msg_destroy(&msg);
    (void)state;
}

static void
test_entry_roundtrip(void **state)
{
    pm_msg_t *msg = msg_with_entry(PM_MSG_ENTRY, make_approved(4712));

    check_roundtrip(&msg);
    msg = msg_with_entry(PM_MSG_ENTRY, make_milestone_entry());
    check_roundtrip(&msg);
    (void)state;
}

/* Administrative entries carry a department, a template or a project. */
static void
test_admin_entries(void **state)
{
    pm_entry_t *e = pm_entry_new(PM_KIND_DEPARTMENT);
    pm_msg_t *msg;

    e->seq = 1;
    e->actor = xstrdup("operator:张丽");
    e->department = xcalloc(1, sizeof(*e->department));
    fill_dept(e->department, "ZRZY", "自然资源局", "0475-8223456");
    msg = msg_with_entry(PM_MSG_ENTRY, e);
    check_roundtrip(&msg);

    e = pm_entry_new(PM_KIND_TEMPLATE);
    e->seq = 2;
    e->template = make_template();
    msg = msg_with_entry(PM_MSG_ENTRY, e);
    check_roundtrip(&msg);

    e = pm_entry_new(PM_KIND_PROJECT);
    e->seq = 3;
    e->project_info = pm_project_new();
    fill_project(e->project_info, PROJECT_ID, PROJECT_NAME);
    msg = msg_with_entry(PM_MSG_ENTRY, e);
    check_roundtrip(&msg);
    (void)state;
}

/* Every kind name travels, through the single-entry codec used by the log table. */
static void
test_entry_codec_every_kind(void **state)
{
    for (int k = 0; k < PM_KIND__COUNT; k++) {
        pm_entry_t *e = make_approved(1000 + (uint64_t)k), *got = NULL;
        char why[256] = "";
        uint8_t *buf = NULL;
        size_t len = 0;

        e->kind = (pm_kind_t)k;
        if (k == PM_KIND_TEMPLATE)
            e->template = make_template();
        if (k == PM_KIND_CALENDAR)
            e->calendar = make_calendar();
        if (k == PM_KIND_ALERT_ACK) {
            e->cause = 252;
            e->recipient = xstrdup("其木格");
            e->via = xstrdup(PM_ACK_VIA_WEB);
            e->relay = xstrdup("viewer:permit-web");
        }
        if (k == PM_KIND_COLOUR || k == PM_KIND_DEADLINE) {
            e->colour = PM_COLOUR_RED;
            e->deadline_ms = 1765900799999;
            e->statutory_ms = 1767974399999;
            e->days = 4;
            e->provisional = true;
            e->at_ms = 1765900800000;
        }
        assert_int_equal(codec_encode_entry(e, &buf, &len), 0);
        if (codec_decode_entry(buf, len, &got, why, sizeof(why)) != 0)
            fail_msg("kind %s: %s", pm_kind_name((pm_kind_t)k), why);
        assert_entry(e, got);
        free(buf);
        pm_entry_destroy(&got);
        pm_entry_destroy(&e);
    }
    (void)state;
}

static void
test_import_roundtrip(void **state)
{
    pm_msg_t *msg = pm_msg_new(PM_MSG_IMPORT);

    msg->import = make_import();
    check_roundtrip(&msg);

    /* Departments only: the template stays absent. */
    msg = pm_msg_new(PM_MSG_IMPORT);
    msg->import = xcalloc(1, sizeof(*msg->import));
    msg->import->id = util_new_id();
    fill_dept(pm_import_add_dept(msg->import), "FGW", "发展和改革委员会", "0475-8888888");
    check_roundtrip(&msg);
    (void)state;
}

static void
test_reply_roundtrip(void **state)
{
    pm_msg_t *msg = pm_msg_new(PM_MSG_REPLY);

    msg->reply = xcalloc(1, sizeof(*msg->reply));
    msg->reply->id = xstrdup("3f1c2a9e-7b4d-4e2a-9c1f-0a8b6d5e4f31");
    msg->reply->ok = true;
    msg->reply->seq = 4711;
    msg->reply->count = 3;
    msg->reply->duplicate = true;
    check_roundtrip(&msg);

    msg = pm_msg_new(PM_MSG_REPLY);
    msg->reply = xcalloc(1, sizeof(*msg->reply));
    msg->reply->id = xstrdup("e7d1");
    msg->reply->code = xstrdup(PM_REFUSE_NOT_OWNER);
    msg->reply->reason = xstrdup("生态环境局不办理建设工程规划许可证（GH01 属于自然资源局）");
    check_roundtrip(&msg);

    msg = pm_msg_new(PM_MSG_REPLY);
    msg->reply = xcalloc(1, sizeof(*msg->reply));
    msg->reply->id = xstrdup("e7d2");
    msg->reply->code = xstrdup(PM_REFUSE_BUSY);
    msg->reply->reason = xstrdup("over the quota");
    msg->reply->retry_after_ms = 250;
    check_roundtrip(&msg);
    (void)state;
}

static void
test_query_roundtrip(void **state)
{
    pm_msg_t *msg = pm_msg_new(PM_MSG_QUERY);

    msg->query = xcalloc(1, sizeof(*msg->query));
    msg->query->after = 4711;
    msg->query->limit = 500;
    msg->query->since_ms = 1763771400000;
    msg->query->project = xstrdup(PROJECT_ID);
    msg->query->dept = xstrdup("自然资源局");
    msg->query->kind = xstrdup("approved");
    check_roundtrip(&msg);

    msg = pm_msg_new(PM_MSG_QUERY); /* everything from the start, no filter */
    msg->query = xcalloc(1, sizeof(*msg->query));
    check_roundtrip(&msg);
    (void)state;
}

static void
test_page_roundtrip(void **state)
{
    pm_msg_t *msg = pm_msg_new(PM_MSG_PAGE);
    pm_entry_t *e;

    msg->page = xcalloc(1, sizeof(*msg->page));
    e = make_event();
    e->seq = 4710;
    pm_page_add(msg->page, &e);
    e = make_milestone_entry();
    pm_page_add(msg->page, &e);
    e = pm_entry_new(PM_KIND_TEMPLATE);
    e->seq = 4712;
    e->template = make_template();
    pm_page_add(msg->page, &e);
    msg->page->head = 9000;
    msg->page->more = true;
    check_roundtrip(&msg);

    msg = pm_msg_new(PM_MSG_PAGE); /* an empty page at the head */
    msg->page = xcalloc(1, sizeof(*msg->page));
    msg->page->head = 9000;
    check_roundtrip(&msg);
    (void)state;
}

static void
test_status_roundtrip(void **state)
{
    pm_msg_t *msg = pm_msg_new(PM_MSG_STATUS);

    msg->status = make_status();
    check_roundtrip(&msg);

    msg = pm_msg_new(PM_MSG_STATUS); /* no project: stays NULL */
    msg->status = pm_status_new();
    check_roundtrip(&msg);
    (void)state;
}

static void
test_status_req_and_heartbeat(void **state)
{
    pm_msg_t *msg = pm_msg_new(PM_MSG_STATUS_REQ);

    msg->status_project = xstrdup(PROJECT_ID);
    check_roundtrip(&msg);

    msg = pm_msg_new(PM_MSG_HEARTBEAT);
    msg->head = 123456789012ULL;
    check_roundtrip(&msg);

    msg = pm_msg_new(PM_MSG_HEARTBEAT); /* head 0 is still a heartbeat */
    check_roundtrip(&msg);
    (void)state;
}

/* The clock's derived entries carry every colour and every clock field. */
static void
test_clock_entries(void **state)
{
    pm_msg_t *msg, *got;
    pm_entry_t *e;

    for (int c = 0; c < PM_COLOUR__COUNT; c++) {
        pm_entry_t *back = NULL;
        char why[256] = "";
        uint8_t *buf = NULL;
        size_t len = 0;

        msg = msg_with_entry(PM_MSG_ENTRY, make_colour_entry((pm_colour_t)c));
        /* Through the log's entry codec too: the log is where a rebuild reads them. */
        assert_int_equal(codec_encode_entry(msg->entry, &buf, &len), 0);
        if (codec_decode_entry(buf, len, &back, why, sizeof(why)) != 0)
            fail_msg("colour %s: %s", pm_colour_name((pm_colour_t)c), why);
        assert_entry(msg->entry, back);
        assert_int_equal(back->colour, c);
        free(buf);
        pm_entry_destroy(&back);
        check_roundtrip(&msg);
    }

    /* A late department event: late and a negative "days" (red: days over is never negative,
     * but the field is signed and must survive as such). */
    e = make_approved(4713);
    e->late = true;
    e->days = -3;
    msg = msg_with_entry(PM_MSG_EVENT, e);
    got = roundtrip(msg);
    assert_true(got->entry->late);
    assert_int_equal(got->entry->days, -3);
    assert_int_equal(got->entry->colour, PM_COLOUR_NONE);
    pm_msg_destroy(&got);
    pm_msg_destroy(&msg);
    (void)state;
}

/* A year of the calendar: as an import, and as the administrative log entry it becomes. */
static void
test_calendar_roundtrip(void **state)
{
    pm_msg_t *msg = pm_msg_new(PM_MSG_IMPORT), *got;
    pm_entry_t *e;

    msg->import = xcalloc(1, sizeof(*msg->import));
    msg->import->id = xstrdup("import-calendar-2026");
    msg->import->actor = xstrdup("operator:张丽");
    msg->import->calendar = make_calendar();
    got = roundtrip(msg);
    assert_null(got->import->template);
    assert_int_equal(got->import->ndepts, 0);
    assert_null(got->import->calendar->days[2].name);
    assert_false(got->import->calendar->days[0].off);
    assert_true(got->import->calendar->days[1].off);
    pm_msg_destroy(&got);
    pm_msg_destroy(&msg);

    /* Not announced yet: no papers, no days, and still a calendar. */
    msg = pm_msg_new(PM_MSG_IMPORT);
    msg->import = xcalloc(1, sizeof(*msg->import));
    msg->import->id = xstrdup("import-calendar-2027");
    msg->import->calendar = pm_calendar_new();
    msg->import->calendar->year = 2027;
    got = roundtrip(msg);
    assert_non_null(got->import->calendar);
    assert_int_equal(got->import->calendar->ndays, 0);
    assert_int_equal(got->import->calendar->papers.n, 0);
    pm_msg_destroy(&got);
    pm_msg_destroy(&msg);

    /* Other imports carry no calendar. */
    msg = pm_msg_new(PM_MSG_IMPORT);
    msg->import = make_import();
    got = roundtrip(msg);
    assert_null(got->import->calendar);
    pm_msg_destroy(&got);
    pm_msg_destroy(&msg);

    e = pm_entry_new(PM_KIND_CALENDAR);
    e->seq = 41;
    e->actor = xstrdup("operator:张丽");
    e->event_id = xstrdup("import-calendar-2026");
    e->recv_ms = 1763771400000;
    e->calendar = make_calendar();
    msg = msg_with_entry(PM_MSG_ENTRY, e);
    check_roundtrip(&msg);
    (void)state;
}

static void
test_ping_and_clock_set(void **state)
{
    pm_msg_t *msg = pm_msg_new(PM_MSG_PING);

    msg->agent = xstrdup("STHJ");
    check_roundtrip(&msg);

    msg = pm_msg_new(PM_MSG_PING); /* "" is an agent, if a useless one: the broker decides */
    msg->agent = xstrdup("");
    check_roundtrip(&msg);

    msg = pm_msg_new(PM_MSG_CLOCK_SET);
    msg->clock_ms = 1795276800000;
    check_roundtrip(&msg);

    (void)state;
}

static void
test_list_roundtrip(void **state)
{
    pm_msg_t *msg = pm_msg_new(PM_MSG_LIST_REQ), *got;

    msg->listreq = xcalloc(1, sizeof(*msg->listreq));
    msg->listreq->colour = xstrdup("red");
    msg->listreq->dept = xstrdup("STHJ");
    msg->listreq->region = xstrdup("科尔沁区");
    msg->listreq->project = xstrdup(PROJECT_ID);
    msg->listreq->blocked = true;
    check_roundtrip(&msg);

    msg = pm_msg_new(PM_MSG_LIST_REQ); /* both colours, every department and region */
    msg->listreq = xcalloc(1, sizeof(*msg->listreq));
    check_roundtrip(&msg);

    msg = pm_msg_new(PM_MSG_LIST);
    msg->list = make_list();
    got = roundtrip(msg);
    assert_int_equal(got->list->n, PM_STATE__COUNT);
    assert_int_equal(got->list->rows[3].ps.nblockers, 0);
    assert_int_equal(got->list->rows[5].ps.nblockers, 2);
    pm_msg_destroy(&got);
    pm_msg_destroy(&msg);

    msg = pm_msg_new(PM_MSG_LIST); /* nothing red or yellow */
    msg->list = xcalloc(1, sizeof(*msg->list));
    msg->list->now_ms = 1763771400000;
    check_roundtrip(&msg);
    (void)state;
}

/*
 * The broker's zone rides on the envelope of every message type (a heartbeat, a reply, a page),
 * absent stays NULL; a name of ZONE_NAME_MAX bytes passes and one byte more is refused as
 * malformed, naming the field. A name within the limit that is no zone's name still decodes:
 * the client that adopts it asks zone_check, which refuses it.
 */
static void
test_time_zone(void **state)
{
    static const pm_msg_type_t types[] = {PM_MSG_HEARTBEAT, PM_MSG_REPLY, PM_MSG_PAGE};
    char want[96];
    pm_msg_t *msg, *got;
    uint8_t *buf;
    size_t len;
    char *err = NULL;

    for (size_t i = 0; i < ARRAY_LEN(types); i++) {
        msg = pm_msg_new(types[i]);
        msg->reply = types[i] == PM_MSG_REPLY ? xcalloc(1, sizeof(*msg->reply)) : NULL;
        msg->page = types[i] == PM_MSG_PAGE ? xcalloc(1, sizeof(*msg->page)) : NULL;
        msg->time_zone = xstrdup("America/New_York");
        got = roundtrip(msg);
        assert_string_equal(got->time_zone, "America/New_York");
        pm_msg_destroy(&got);
        free(msg->time_zone);
        msg->time_zone = NULL; /* an older broker's: no zone */
        got = roundtrip(msg);
        assert_null(got->time_zone);
        pm_msg_destroy(&got);
        pm_msg_destroy(&msg);
    }

    assert_int_equal(codec_field_limit("time_zone"), ZONE_NAME_MAX);
    msg = pm_msg_new(PM_MSG_HEARTBEAT);
    msg->time_zone = xcalloc(ZONE_NAME_MAX + 2, 1);
    memset(msg->time_zone, 'Z', ZONE_NAME_MAX);
    got = roundtrip(msg);
    pm_msg_destroy(&got);
    msg->time_zone[ZONE_NAME_MAX] = 'Z';
    buf = encode(msg, &len);
    snprintf(want, sizeof(want), "Envelope.time_zone: %u bytes (limit %u)", ZONE_NAME_MAX + 1,
             ZONE_NAME_MAX);
    assert_refused(buf, len, want);
    free(buf);

    free(msg->time_zone);
    msg->time_zone = xstrdup("../../etc/passwd");
    got = roundtrip(msg);
    assert_int_equal(zone_check(got->time_zone, &err), -1);
    assert_non_null(strstr(err, "../../etc/passwd"));
    free(err);
    assert_int_equal(zone_check("Asia/Urumqi", &err), 0);
    pm_msg_destroy(&got);
    pm_msg_destroy(&msg);
    (void)state;
}

/* The version is reported, not checked: the receiver decides what to answer. */
static void
test_version_reported(void **state)
{
    pm_msg_t *msg = pm_msg_new(PM_MSG_HEARTBEAT), *got;

    msg->version = 2;
    got = roundtrip(msg);
    assert_int_equal(got->version, 2);
    pm_msg_destroy(&got);

    msg->version = 0; /* sent as the current version */
    got = roundtrip(msg);
    assert_int_equal(got->version, PM_PROTOCOL_VERSION);
    pm_msg_destroy(&got);
    pm_msg_destroy(&msg);
    (void)state;
}

static char last_log[1024];

static void
capture_log(void *arg, enum log_level level, const char *line)
{
    (void)arg;
    (void)level;
    snprintf(last_log, sizeof(last_log), "%s", line);
}

/* A message without the body its type needs is our bug: refused and logged. */
static void
test_encode_without_body(void **state)
{
    log_set_sink(capture_log, NULL);
    for (int t = 0; t < PM_MSG__COUNT; t++) {
        pm_msg_t *msg = pm_msg_new((pm_msg_type_t)t);
        uint8_t *buf = NULL;
        size_t len = 0;

        if (t == PM_MSG_HEARTBEAT || t == PM_MSG_CLOCK_SET) {
            pm_msg_destroy(&msg); /* only a number: always encodable */
            continue;
        }
        last_log[0] = '\0';
        assert_int_equal(codec_encode(msg, &buf, &len), -1);
        assert_null(buf);
        assert_non_null(strstr(last_log, "without its body"));
        pm_msg_destroy(&msg);
    }
    log_set_sink(NULL, NULL);
    (void)state;
}

/* ---- Refusals. ---- */

static void
test_refuse_garbage(void **state)
{
    static const uint8_t ff[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const char http[] = "GET / HTTP/1.1\r\nHost: permitd\r\n\r\n";

    assert_refused(ff, sizeof(ff), "malformed");
    assert_refused(http, strlen(http), "malformed");
    assert_entry_refused(http, strlen(http), "malformed");
    (void)state;
}

/* Every proper prefix of a frame is refused, with a reason, without a leak. */
static void
test_refuse_truncated(void **state)
{
    pm_msg_t *msg = msg_with_entry(PM_MSG_EVENT, make_event());
    size_t len;
    uint8_t *buf = encode(msg, &len);

    assert_refused(buf, len - 1, "truncated");
    for (size_t cut = 1; cut < len; cut++) {
        char why[256] = "";
        pm_msg_t *got = NULL;
        assert_int_equal(codec_decode(buf, cut, &got, why, sizeof(why)), -1);
        assert_null(got);
        assert_true(why[0] != '\0');
    }
    free(buf);
    pm_msg_destroy(&msg);
    (void)state;
}

static void
test_refuse_no_body(void **state)
{
    static const uint8_t version_only[] = {0x08, 0x02};                   /* field 1 = 2 */
    static const uint8_t unknown_only[] = {0x08, 0x01, 0xf8, 0x01, 0x07}; /* + field 31 = 7 */
    static const uint8_t empty_req[] = {0x08, 0x01, 0x42, 0x00};          /* status_req {} */

    assert_refused(version_only, sizeof(version_only), "envelope: no body");
    assert_refused(unknown_only, sizeof(unknown_only), "envelope: no body");
    assert_refused(version_only, 0, "envelope: no body");
    assert_refused(empty_req, sizeof(empty_req), "status_req: no project");
    (void)state;
}

/*
 * Whether a frame gets past the codec's first two steps (unpack, validate): it is an envelope,
 * whatever its body. Their reasons start with "frame:" and "Message.field:"; the third step's
 * (conversion) start with a body's name in lower case, or "envelope:".
 */
static bool
is_envelope(const void *buf, size_t len)
{
    char why[256] = "";
    pm_msg_t *msg = NULL;
    const char *dot, *colon;

    if (codec_decode(buf, len, &msg, why, sizeof(why)) == 0) {
        pm_msg_destroy(&msg);
        return true;
    }
    dot = strchr(why, '.');
    colon = strchr(why, ':');
    if (strncmp(why, "frame:", 6) == 0)
        return false;
    return !(why[0] >= 'A' && why[0] <= 'Z' && dot != NULL && colon != NULL && dot < colon);
}

/* Only a well-formed envelope announces another version; garbage starting like one does not. */
static void
test_peek_version(void **state)
{
    static const uint8_t v2[] = {0x08, 0x02};                  /* version 2, no body we know */
    static const uint8_t v2_ping[] = {0x08, 0x02, 0x5a, 0x00}; /* version 2, ping {} */
    static const uint8_t v2_junk[] = {0x08, 0x02, 0xff};       /* version 2, then a broken key */
    static const uint8_t v2_bad[] = {0x08, 0x02, 0x12, 0x02, 0x08, 0xff}; /* event: truncated */
    static const uint8_t v1_junk[] = {0x08, 0x01, 0xff};
    uint32_t version = 0;

    assert_int_equal(codec_peek_version(v2, sizeof(v2), &version), 0);
    assert_int_equal(version, 2);
    assert_int_equal(codec_peek_version(v2_ping, sizeof(v2_ping), &version), 0);
    assert_int_equal(version, 2);
    assert_int_equal(codec_peek_version(v2_junk, sizeof(v2_junk), &version), -1);
    assert_int_equal(codec_peek_version(v2_bad, sizeof(v2_bad), &version), -1);
    /* Our own version is left to the decode, which refuses the rest as malformed. */
    assert_int_equal(codec_peek_version(v1_junk, sizeof(v1_junk), &version), 0);
    assert_int_equal(version, PM_PROTOCOL_VERSION);
    assert_refused(v1_junk, sizeof(v1_junk), "frame:");
    (void)state;
}

/* 100,000 seeded random frames: none is taken for another version unless it is an envelope. */
static void
test_peek_version_random(void **state)
{
    uint64_t x = 0x9e3779b97f4a7c15ull; /* xorshift64: the same frames on every run */
    uint8_t buf[64];
    unsigned version_replies = 0;

    for (int i = 0; i < 100000; i++) {
        size_t len;
        uint32_t version;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        len = 1 + x % sizeof(buf);
        for (size_t k = 0; k < len; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[k] = (uint8_t)(x >> 24);
        }
        if (codec_peek_version(buf, len, &version) < 0 || version == PM_PROTOCOL_VERSION)
            continue;
        version_replies++;
        if (!is_envelope(buf, len))
            fail_msg("random frame %d (%zu bytes, first %02x %02x) is not an envelope but "
                     "announces version %u",
                     i, len, buf[0], len > 1 ? buf[1] : 0, version);
    }
    print_message("%u of 100000 random frames are envelopes of another version\n", version_replies);
    (void)state;
}

/*
 * Encode msg (the encoder takes any number) and decode it: refused with a reason containing
 * `reason`, or accepted when reason is NULL. Frees msg.
 */
static void
check_range(pm_msg_t *msg, const char *reason)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    char why[256] = "";
    pm_msg_t *got = NULL;

    assert_int_equal(codec_encode(msg, &buf, &len), 0);
    if (reason == NULL) {
        if (codec_decode(buf, len, &got, why, sizeof(why)) != 0)
            fail_msg("a number within its range was refused: %s", why);
        pm_msg_destroy(&got);
    } else {
        assert_refused(buf, len, reason);
    }
    free(buf);
    pm_msg_destroy(&msg);
}

static pm_msg_t *
event_at(int64_t event_ms, int64_t due_ms)
{
    pm_entry_t *e = make_approved(0);

    e->event_ms = event_ms;
    e->due_ms = due_ms;
    return msg_with_entry(PM_MSG_EVENT, e);
}

/* Times an agent claims: 0 (none) or 1 ms to the end of 9999; INT64_MIN overflowed. */
static void
test_range_times(void **state)
{
    check_range(event_at(INT64_MIN, 0),
                "Entry.event_ms: -9223372036854775808 is out of range (0 for none, or 1 to "
                "253402300799999, ms since 1970)");
    check_range(event_at(-1, 0), "Entry.event_ms: -1 is out of range");
    check_range(event_at(0, 0), NULL);
    check_range(event_at(1, 1), NULL);
    check_range(event_at(PM_TIME_MAX_MS, PM_TIME_MAX_MS), NULL);
    check_range(event_at(PM_TIME_MAX_MS + 1, 0), "Entry.event_ms: 253402300800000 is out");
    check_range(event_at(INT64_MAX, 0), "Entry.event_ms: 9223372036854775807 is out");
    check_range(event_at(1, -1), "Entry.due_ms: -1 is out of range");
    check_range(event_at(1, PM_TIME_MAX_MS + 1), "Entry.due_ms: 253402300800000 is out");
    (void)state;
}

static pm_msg_t *
template_with(uint32_t limit_days, uint32_t promised_days, uint32_t version)
{
    pm_msg_t *msg = pm_msg_new(PM_MSG_IMPORT);

    msg->import = xcalloc(1, sizeof(*msg->import));
    msg->import->template = make_template();
    msg->import->template->version = version;
    msg->import->template->procs[0].limit_days = limit_days;
    msg->import->template->procs[0].promised_days = promised_days;
    return msg;
}

/* A statutory limit is 1 to 3650 working days; the promised one the same, or 0 for none. */
static void
test_range_limits(void **state)
{
    check_range(template_with(0, 0, 0), "ProcType.limit_days: 0 is out of range (1 to 3650)");
    check_range(template_with(1, 0, 0), NULL);
    check_range(template_with(PM_LIMIT_DAYS_MAX, PM_LIMIT_DAYS_MAX, 0), NULL);
    check_range(template_with(PM_LIMIT_DAYS_MAX + 1, 0, 0),
                "ProcType.limit_days: 3651 is out of range (1 to 3650)");
    check_range(template_with(UINT32_MAX, 0, 0), "ProcType.limit_days: 4294967295 is out");
    check_range(template_with(10, PM_LIMIT_DAYS_MAX + 1, 0),
                "ProcType.promised_days: 3651 is out of range (0 for none, or 1 to 3650)");
    check_range(template_with(10, 0, PM_TEMPLATE_VERSION_MAX), NULL);
    check_range(template_with(10, 0, PM_TEMPLATE_VERSION_MAX + 1),
                "Template.version: 1000001 is out");
    (void)state;
}

static pm_msg_t *
project_with(uint32_t start_half, uint32_t year, uint32_t template_version)
{
    pm_msg_t *msg = pm_msg_new(PM_MSG_IMPORT);
    pm_project_t *p;

    msg->import = xcalloc(1, sizeof(*msg->import));
    p = pm_import_add_project(msg->import);
    fill_project(p, PROJECT_ID, PROJECT_NAME);
    p->start_half = start_half;
    p->year = year;
    p->template_version = template_version;
    return msg;
}

/* A planned start: half 1 or 2 (0: none) of a year from 2000 to 2200 (0: the current one). */
static void
test_range_project(void **state)
{
    check_range(project_with(0, 0, 0), NULL);
    check_range(project_with(1, PM_PROJECT_YEAR_MIN, 1), NULL);
    check_range(project_with(PM_START_HALF_MAX, PM_PROJECT_YEAR_MAX, 1), NULL);
    check_range(project_with(3, 2026, 1), "Project.start_half: 3 is out of range (0 for none, "
                                          "or 1 to 2)");
    check_range(project_with(7, 2026, 1), "Project.start_half: 7 is out");
    check_range(project_with(1, PM_PROJECT_YEAR_MIN - 1, 1), "Project.year: 1999 is out");
    check_range(project_with(1, PM_PROJECT_YEAR_MAX + 1, 1), "Project.year: 2201 is out");
    check_range(project_with(1, UINT32_MAX, 1), "Project.year: 4294967295 is out");
    check_range(project_with(1, 2026, PM_TEMPLATE_VERSION_MAX + 1),
                "Project.template_version: 1000001 is out");
    (void)state;
}

static pm_msg_t *
calendar_of(uint32_t year)
{
    pm_msg_t *msg = pm_msg_new(PM_MSG_IMPORT);

    msg->import = xcalloc(1, sizeof(*msg->import));
    msg->import->calendar = pm_calendar_new();
    msg->import->calendar->year = year;
    return msg;
}

static pm_msg_t *
query_of(uint64_t after, int64_t since_ms)
{
    pm_msg_t *msg = pm_msg_new(PM_MSG_QUERY);

    msg->query = xcalloc(1, sizeof(*msg->query));
    msg->query->after = after;
    msg->query->since_ms = since_ms;
    msg->query->limit = UINT32_MAX; /* the store caps a page: any limit is fine */
    return msg;
}

static pm_msg_t *
clock_at(int64_t ms)
{
    pm_msg_t *msg = pm_msg_new(PM_MSG_CLOCK_SET);

    msg->clock_ms = ms;
    return msg;
}

/* Calendar years, a query's sequence number and time, the test clock. */
static void
test_range_other(void **state)
{
    check_range(calendar_of(0), "Calendar.year: 0 is out of range (1970 to 2200)");
    check_range(calendar_of(PM_CAL_YEAR_MIN - 1), "Calendar.year: 1969 is out");
    check_range(calendar_of(PM_CAL_YEAR_MIN), NULL);
    check_range(calendar_of(PM_CAL_YEAR_MAX), NULL);
    check_range(calendar_of(PM_CAL_YEAR_MAX + 1), "Calendar.year: 2201 is out");
    check_range(query_of(0, 0), NULL);
    check_range(query_of((uint64_t)INT64_MAX, PM_TIME_MAX_MS), NULL);
    check_range(query_of((uint64_t)INT64_MAX + 1, 0),
                "Query.after: 9223372036854775808 is out of range (0 to 9223372036854775807)");
    check_range(query_of(UINT64_MAX, 0), "Query.after: 18446744073709551615 is out");
    check_range(query_of(1, -1), "Query.since_ms: -1 is out");
    check_range(clock_at(1795276800000), NULL);
    check_range(clock_at(-86400000), "ClockSet.clock_ms: -86400000 is out");
    (void)state;
}

/* What the broker sends is not bounded: an entry logged before a bound stays readable. */
static void
test_range_not_on_entries(void **state)
{
    pm_entry_t *e = make_approved(7);

    e->event_ms = -1;
    e->limit_days = UINT32_MAX;
    check_range(msg_with_entry(PM_MSG_ENTRY, e), NULL);
    (void)state;
}

static void
test_refuse_unknown_kind(void **state)
{
    pm_msg_t *msg = msg_with_entry(PM_MSG_EVENT, make_approved(0));
    pm_entry_t *e = make_approved(7);
    size_t len;
    uint8_t *buf = encode(msg, &len);

    patch(buf, len, "approved", "approval");
    assert_refused(buf, len, "event: unknown kind 'approval'");
    free(buf);

    /* The same inside a page, and in the log's entry codec. */
    pm_msg_destroy(&msg);
    msg = pm_msg_new(PM_MSG_PAGE);
    msg->page = xcalloc(1, sizeof(*msg->page));
    pm_page_add(msg->page, &e);
    e = make_approved(8);
    pm_page_add(msg->page, &e);
    buf = encode(msg, &len);
    patch(buf, len, "approved", "APPROVED");
    assert_refused(buf, len, "page: unknown kind 'APPROVED'");
    free(buf);

    e = make_approved(9);
    assert_int_equal(codec_encode_entry(e, &buf, &len), 0);
    patch(buf, len, "approved", "approve\n");
    assert_entry_refused(buf, len, "entry: unknown kind 'approve?'");
    free(buf);
    assert_entry_refused("", 0, "entry: unknown kind ''");
    pm_entry_destroy(&e);
    pm_msg_destroy(&msg);
    (void)state;
}

/* Colours travel as names; a name this build does not know is refused wherever it is. */
static void
test_refuse_unknown_colour(void **state)
{
    pm_msg_t *msg = msg_with_entry(PM_MSG_ENTRY, make_colour_entry(PM_COLOUR_YELLOW));
    size_t len;
    uint8_t *buf = encode(msg, &len);

    patch(buf, len, "yellow", "orange");
    assert_refused(buf, len, "entry: unknown colour 'orange'");
    free(buf);
    assert_int_equal(codec_encode_entry(msg->entry, &buf, &len), 0);
    patch(buf, len, "yellow", "YELLOW");
    assert_entry_refused(buf, len, "entry: unknown colour 'YELLOW'");
    free(buf);
    pm_msg_destroy(&msg);

    /* A status: the first procedure is green. */
    msg = pm_msg_new(PM_MSG_STATUS);
    msg->status = make_status();
    buf = encode(msg, &len);
    patch(buf, len, "green", "amber");
    assert_refused(buf, len, "status: unknown colour 'amber'");
    free(buf);
    pm_msg_destroy(&msg);

    /* A list: the third row is the first red one. */
    msg = pm_msg_new(PM_MSG_LIST);
    msg->list = make_list();
    buf = encode(msg, &len);
    patch(buf, len, "red", "rot");
    assert_refused(buf, len, "list: unknown colour 'rot'");
    free(buf);
    pm_msg_destroy(&msg);
    (void)state;
}

/*
 * Written by hand from permit.proto. Envelope: field 1 version, field 11 ping, field 14 list.
 * List: field 1 rows. ListRow: field 1 project, field 5 procedure. ProcStatus: field 5 state.
 */
static void
test_refuse_ping_and_row_without_body(void **state)
{
    static const uint8_t empty_ping[] = {0x08, 0x01, 0x5a, 0x00};
    static const uint8_t empty_row[] = {0x08, 0x01, 0x72, 0x02, 0x0a, 0x00};
    static const uint8_t named_row[] = {0x08, 0x01, 0x72, 0x05, 0x0a, 0x03, 0x0a, 0x01, 'P'};
    /* A good row (its procedure only "ready") and then a row without one. */
    static const uint8_t second_row[] = {0x08, 0x01, 0x72, 0x0d, 0x0a, 0x09, 0x2a, 0x07, 0x2a,
                                         0x05, 'r',  'e',  'a',  'd',  'y',  0x0a, 0x00};
    static const uint8_t good_row[] = {0x08, 0x01, 0x72, 0x0b, 0x0a, 0x09, 0x2a, 0x07,
                                       0x2a, 0x05, 'r',  'e',  'a',  'd',  'y'};
    static const uint8_t empty_list[] = {0x08, 0x01, 0x72, 0x00};
    char why[256] = "";
    pm_msg_t *got = NULL;

    assert_refused(empty_ping, sizeof(empty_ping), "ping: no agent");
    assert_refused(empty_row, sizeof(empty_row), "list: a row without its procedure");
    assert_refused(named_row, sizeof(named_row), "list: a row without its procedure");
    assert_refused(second_row, sizeof(second_row), "list: a row without its procedure");

    /* The frames are right otherwise: the good row alone decodes, and so does no row. */
    if (codec_decode(good_row, sizeof(good_row), &got, why, sizeof(why)) != 0)
        fail_msg("good row refused: %s", why);
    assert_int_equal(got->list->n, 1);
    assert_int_equal(got->list->rows[0].ps.state, PM_STATE_READY);
    pm_msg_destroy(&got);
    if (codec_decode(empty_list, sizeof(empty_list), &got, why, sizeof(why)) != 0)
        fail_msg("empty list refused: %s", why);
    assert_int_equal(got->type, PM_MSG_LIST);
    assert_int_equal(got->list->n, 0);
    pm_msg_destroy(&got);
    (void)state;
}

static void
test_refuse_unknown_state(void **state)
{
    pm_msg_t *msg = pm_msg_new(PM_MSG_STATUS);
    size_t len;
    uint8_t *buf;

    msg->status = make_status();
    buf = encode(msg, &len);
    patch(buf, len, "withdrawn", "abandoned");
    assert_refused(buf, len, "status: unknown state 'abandoned'");
    free(buf);
    pm_msg_destroy(&msg);
    (void)state;
}

static void
test_refuse_invalid_utf8(void **state)
{
    pm_msg_t *msg = msg_with_entry(PM_MSG_EVENT, make_event());
    size_t len;
    uint8_t *buf = encode(msg, &len);

    patch(buf, len, "MARK", "\377ARK");
    assert_refused(buf, len, "Entry.note: not valid UTF-8");
    free(buf);
    pm_msg_destroy(&msg);

    /* Deep inside: a milestone member of the template of an import. */
    msg = pm_msg_new(PM_MSG_IMPORT);
    msg->import = make_import();
    strv_push(&msg->import->template->milestones[0].members, "XK01");
    buf = encode(msg, &len);
    patch(buf, len, "XK01", "\300\25701"); /* an overlong '/' */
    assert_refused(buf, len, "Milestone.members: not valid UTF-8");
    free(buf);
    pm_msg_destroy(&msg);
    (void)state;
}

/* protobuf-c would silently cut the string at the NUL; the codec notices. */
static void
test_refuse_nul_in_string(void **state)
{
    pm_msg_t *msg = msg_with_entry(PM_MSG_EVENT, make_event());
    size_t len;
    uint8_t *buf = encode(msg, &len);
    uint8_t *at = memmem(buf, len, "MARK", 4);

    assert_non_null(at);
    at[1] = '\0';
    assert_refused(buf, len, "NUL");
    free(buf);
    pm_msg_destroy(&msg);
    (void)state;
}

static void
test_refuse_oversized(void **state)
{
    size_t len = CODEC_MAX_FRAME + 1;
    uint8_t *buf = calloc(len, 1);

    assert_non_null(buf);
    assert_refused(buf, len, "frame: 33554433 bytes");
    assert_entry_refused(buf, len, "frame: 33554433 bytes");
    free(buf);
    (void)state;
}

/*
 * A balloon: a page of 100000 empty entries is 200 kB on the wire, but each would unpack into
 * a struct of a couple of hundred bytes. Written by hand from permit.proto: Envelope field 7
 * (page), Page field 1 (entries).
 */
static void
test_refuse_balloon(void **state)
{
    const size_t n = 100000, body = 2 * n;
    size_t len = 0;
    uint8_t *buf = malloc(body + 8);

    assert_non_null(buf);
    buf[len++] = 7 << 3 | 2;
    for (size_t v = body; v != 0; v >>= 7)
        buf[len++] = (uint8_t)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
    for (size_t i = 0; i < n; i++) {
        buf[len++] = 1 << 3 | 2;
        buf[len++] = 0;
    }
    assert_refused(buf, len, "memory");
    free(buf);
    (void)state;
}

/* Cheap elements that fit the memory budget still stop at CODEC_MAX_REPEATED. */
static void
test_refuse_too_many(void **state)
{
    const size_t n = CODEC_MAX_REPEATED + 1;
    pm_msg_t *msg = pm_msg_new(PM_MSG_STATUS);
    size_t len;
    uint8_t *buf;

    /* Filled directly: strv_push grows one element at a time. */
    msg->status = pm_status_new();
    msg->status->milestones.v = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        msg->status->milestones.v[i] = xstrdup("");
    msg->status->milestones.n = n;
    buf = encode(msg, &len);
    assert_refused(buf, len, "Status.milestones: 200001 elements (limit 200000)");
    free(buf);
    pm_msg_destroy(&msg);
    (void)state;
}

/* Each field has its own limit: a code at 64 bytes and an id at 128 pass, one more byte is
 * refused with the field's name. Checked either side of the shortest limit, CODEC_MAX_CODE,
 * below which validate looks nothing up. */
static void
test_field_limits(void **state)
{
    static const struct {
        size_t dept, event_id;
        const char *refused; /* NULL: accepted */
    } cases[] = {
        {CODEC_MAX_CODE, CODEC_MAX_ID, NULL},
        {CODEC_MAX_CODE + 1, 10, "Entry.dept: 65 bytes (limit 64)"},
        {10, CODEC_MAX_CODE + 1, NULL},
        {10, CODEC_MAX_ID + 1, "Entry.event_id: 129 bytes (limit 128)"},
    };

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        pm_msg_t *msg = msg_with_entry(PM_MSG_EVENT, make_event());
        uint8_t *buf;
        size_t len;
        free(msg->entry->dept);
        msg->entry->dept = xcalloc(cases[i].dept + 1, 1);
        memset(msg->entry->dept, 'D', cases[i].dept);
        free(msg->entry->event_id);
        msg->entry->event_id = xcalloc(cases[i].event_id + 1, 1);
        memset(msg->entry->event_id, 'e', cases[i].event_id);
        if (cases[i].refused == NULL) {
            pm_msg_t *got = roundtrip(msg);
            pm_msg_destroy(&got);
        } else {
            buf = encode(msg, &len);
            assert_refused(buf, len, cases[i].refused);
            free(buf);
        }
        pm_msg_destroy(&msg);
    }
    (void)state;
}

/*
 * The limit table senders check against is the one decoding uses: a note, a certificate
 * number and an id one byte over their limit are each refused, naming that limit.
 */
static void
test_field_limit_is_shared(void **state)
{
    static const struct {
        const char *field;
        size_t want;
    } cases[] = {
        {"note", CODEC_MAX_NOTE},      {"missing", CODEC_MAX_NOTE}, {"cert", CODEC_MAX_CERT},
        {"event_id", CODEC_MAX_ID},    {"project", CODEC_MAX_ID},   {"dept", CODEC_MAX_CODE},
        {"procedure", CODEC_MAX_CODE}, {"kind", CODEC_MAX_CODE},    {"name", CODEC_MAX_STRING},
    };
    char **slot[] = {NULL, NULL, NULL};
    char want[96];

    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        assert_int_equal(codec_field_limit(cases[i].field), cases[i].want);
    for (size_t i = 0; i < ARRAY_LEN(slot); i++) {
        static const char *const names[] = {"note", "cert", "event_id"};
        size_t max = codec_field_limit(names[i]);
        pm_msg_t *msg = msg_with_entry(PM_MSG_EVENT, make_event());
        uint8_t *buf;
        size_t len;
        slot[0] = &msg->entry->note;
        slot[1] = &msg->entry->cert;
        slot[2] = &msg->entry->event_id;
        free(*slot[i]);
        *slot[i] = xcalloc(max + 2, 1);
        memset(*slot[i], 'x', max + 1);
        buf = encode(msg, &len);
        snprintf(want, sizeof(want), "Entry.%s: %zu bytes (limit %zu)", names[i], max + 1, max);
        assert_refused(buf, len, want);
        free(buf);
        pm_msg_destroy(&msg);
    }
    (void)state;
}

/*
 * A frame that does not decode still gives up its id when it can be read: an event whose note
 * is over the limit, an import whose template is cut short, an event cut off after its id.
 * An id over its own limit, or no id, gives nothing.
 */
static void
test_peek_id(void **state)
{
    pm_msg_t *msg = msg_with_entry(PM_MSG_EVENT, make_event());
    char id[CODEC_MAX_ID + 1];
    uint8_t *buf;
    size_t len;

    free(msg->entry->note);
    msg->entry->note = xcalloc(CODEC_MAX_NOTE + 2, 1);
    memset(msg->entry->note, 'n', CODEC_MAX_NOTE + 1);
    buf = encode(msg, &len);
    assert_refused(buf, len, "Entry.note");
    assert_int_equal(codec_peek_id(buf, len, id, sizeof(id)), 0);
    assert_string_equal(id, msg->entry->event_id);
    /* Cut off inside the note: the id before it is whole. */
    assert_int_equal(codec_peek_id(buf, len - 100, id, sizeof(id)), 0);
    assert_string_equal(id, msg->entry->event_id);
    /* Too small a buffer for the id. */
    assert_int_equal(codec_peek_id(buf, len, id, 8), -1);
    free(buf);

    free(msg->entry->event_id);
    msg->entry->event_id = xcalloc(CODEC_MAX_ID + 2, 1);
    memset(msg->entry->event_id, 'e', CODEC_MAX_ID + 1);
    buf = encode(msg, &len);
    assert_int_equal(codec_peek_id(buf, len, id, sizeof(id)), -1);
    free(buf);
    free(msg->entry->event_id);
    msg->entry->event_id = NULL;
    buf = encode(msg, &len);
    assert_int_equal(codec_peek_id(buf, len, id, sizeof(id)), -1);
    free(buf);
    pm_msg_destroy(&msg);

    msg = pm_msg_new(PM_MSG_IMPORT);
    msg->import = make_import();
    buf = encode(msg, &len);
    assert_int_equal(codec_peek_id(buf, len - 3, id, sizeof(id)), 0);
    assert_string_equal(id, msg->import->id);
    free(buf);
    pm_msg_destroy(&msg);

    assert_int_equal(codec_peek_id("\x08\x01", 2, id, sizeof(id)), -1);
    assert_int_equal(codec_peek_id("", 0, id, sizeof(id)), -1);
    (void)state;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_roundtrip),
        cmocka_unit_test(test_entry_roundtrip),
        cmocka_unit_test(test_admin_entries),
        cmocka_unit_test(test_entry_codec_every_kind),
        cmocka_unit_test(test_import_roundtrip),
        cmocka_unit_test(test_reply_roundtrip),
        cmocka_unit_test(test_query_roundtrip),
        cmocka_unit_test(test_page_roundtrip),
        cmocka_unit_test(test_status_roundtrip),
        cmocka_unit_test(test_status_req_and_heartbeat),
        cmocka_unit_test(test_clock_entries),
        cmocka_unit_test(test_calendar_roundtrip),
        cmocka_unit_test(test_ping_and_clock_set),
        cmocka_unit_test(test_list_roundtrip),
        cmocka_unit_test(test_version_reported),
        cmocka_unit_test(test_time_zone),
        cmocka_unit_test(test_peek_version),
        cmocka_unit_test(test_peek_version_random),
        cmocka_unit_test(test_range_times),
        cmocka_unit_test(test_range_limits),
        cmocka_unit_test(test_range_project),
        cmocka_unit_test(test_range_other),
        cmocka_unit_test(test_range_not_on_entries),
        cmocka_unit_test(test_encode_without_body),
        cmocka_unit_test(test_refuse_garbage),
        cmocka_unit_test(test_refuse_truncated),
        cmocka_unit_test(test_refuse_no_body),
        cmocka_unit_test(test_refuse_unknown_kind),
        cmocka_unit_test(test_refuse_unknown_colour),
        cmocka_unit_test(test_refuse_ping_and_row_without_body),
        cmocka_unit_test(test_refuse_unknown_state),
        cmocka_unit_test(test_refuse_invalid_utf8),
        cmocka_unit_test(test_refuse_nul_in_string),
        cmocka_unit_test(test_refuse_oversized),
        cmocka_unit_test(test_refuse_balloon),
        cmocka_unit_test(test_refuse_too_many),
        cmocka_unit_test(test_field_limits),
        cmocka_unit_test(test_field_limit_is_shared),
        cmocka_unit_test(test_peek_id),
    };

    log_init("test_codec", LOG_LEVEL_WARN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
