/*
 * views: see views.h.
 */
#include "views.h"

#include <stdlib.h>
#include <string.h>

#include "entryfmt.h"
#include "i18n.h"
#include "log.h"
#include "wjson.h"

struct views {
    pm_department_t *depts;
    size_t ndepts, capdepts;
    pm_template_t **tmpls;
    size_t ntmpls, captmpls;
    vproject_t **projects;
    size_t nprojects, capprojects;
    /* Open addressing over projects (index + 1; 0 free), twice their count or more. */
    size_t *slots;
    size_t nslots;
    ventry_t *ring;
    size_t keep, first, n;
    uint64_t head;
    uint64_t kinds[PM_KIND__COUNT];
};

views_t *
views_new(size_t keep)
{
    views_t *self = xcalloc(1, sizeof(*self));

    self->keep = keep > 0 ? keep : 1;
    self->ring = xcalloc(self->keep, sizeof(*self->ring));
    return self;
}

static void
ventry_clear(ventry_t *v)
{
    free(v->project);
    free(v->dept);
    free(v->procedure);
    free(v->json);
    memset(v, 0, sizeof(*v));
}

void
views_destroy(views_t **p)
{
    views_t *self = p != NULL ? *p : NULL;

    if (self == NULL)
        return;
    for (size_t i = 0; i < self->ndepts; i++)
        pm_department_clear(&self->depts[i]);
    free(self->depts);
    for (size_t i = 0; i < self->ntmpls; i++)
        pm_template_destroy(&self->tmpls[i]);
    free(self->tmpls);
    for (size_t i = 0; i < self->nprojects; i++) {
        pm_project_clear(&self->projects[i]->info);
        free(self->projects[i]->procs);
        free(self->projects[i]);
    }
    free(self->projects);
    free(self->slots);
    for (size_t i = 0; i < self->n; i++)
        ventry_clear(&self->ring[(self->first + i) % self->keep]);
    free(self->ring);
    free(self);
    *p = NULL;
}

bool
views_running(pm_state_t s)
{
    return s == PM_STATE_ACCEPTED || s == PM_STATE_DEFICIENT || s == PM_STATE_SUPPLEMENT;
}

uint64_t
views_head(const views_t *self)
{
    return self->head;
}

uint64_t
views_kind_count(const views_t *self, pm_kind_t k)
{
    return (size_t)k < PM_KIND__COUNT ? self->kinds[k] : 0;
}

size_t
views_nentries(const views_t *self)
{
    return self->n;
}

const ventry_t *
views_entry(const views_t *self, size_t i)
{
    return i < self->n ? &self->ring[(self->first + i) % self->keep] : NULL;
}

size_t
views_after(const views_t *self, uint64_t after)
{
    size_t lo = 0, hi = self->n;

    /* Sequence numbers grow along the ring: the first one past `after`, by bisection. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (views_entry(self, mid)->seq <= after)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const ventry_t *
views_find(const views_t *self, uint64_t seq)
{
    const ventry_t *v = seq > 0 ? views_entry(self, views_after(self, seq - 1)) : NULL;

    return v != NULL && v->seq == seq ? v : NULL;
}

size_t
views_nprojects(const views_t *self)
{
    return self->nprojects;
}

const vproject_t *
views_project(const views_t *self, size_t i)
{
    return i < self->nprojects ? self->projects[i] : NULL;
}

static size_t *
slot_of(const views_t *self, const char *id)
{
    size_t i;

    if (self->nslots == 0)
        return NULL;
    i = (size_t)util_hash(id) % self->nslots;
    for (;; i = (i + 1) % self->nslots) {
        size_t *s = &self->slots[i];
        if (*s == 0 || strcmp(self->projects[*s - 1]->info.id, id) == 0)
            return s;
    }
}

const vproject_t *
views_project_find(const views_t *self, const char *id)
{
    size_t *s = id != NULL ? slot_of(self, id) : NULL;

    return s != NULL && *s != 0 ? self->projects[*s - 1] : NULL;
}

static vproject_t *
project_mut(views_t *self, const char *id)
{
    return (vproject_t *)views_project_find(self, id);
}

static void
rehash(views_t *self)
{
    free(self->slots);
    self->nslots = self->nprojects * 2 + 16;
    self->slots = xcalloc(self->nslots, sizeof(*self->slots));
    for (size_t i = 0; i < self->nprojects; i++)
        *slot_of(self, self->projects[i]->info.id) = i + 1;
}

size_t
views_ndepts(const views_t *self)
{
    return self->ndepts;
}

const pm_department_t *
views_dept(const views_t *self, size_t i)
{
    return i < self->ndepts ? &self->depts[i] : NULL;
}

static pm_department_t *
dept_find(const views_t *self, const char *code)
{
    for (size_t i = 0; code != NULL && i < self->ndepts; i++)
        if (strcmp(self->depts[i].code, code) == 0)
            return &self->depts[i];
    return NULL;
}

const char *
views_dept_name(const views_t *self, const char *code)
{
    const pm_department_t *d = dept_find(self, code);

    return d != NULL && !util_empty(d->name) ? d->name : code;
}

static void
apply_department(views_t *self, const pm_department_t *d)
{
    pm_department_t *had = dept_find(self, d->code);

    if (had == NULL) {
        if (self->ndepts == self->capdepts) {
            self->capdepts = self->capdepts ? self->capdepts * 2 : 16;
            self->depts = xgrow(self->depts, self->capdepts, sizeof(*self->depts));
        }
        had = &self->depts[self->ndepts++];
        memset(had, 0, sizeof(*had));
    }
    pm_department_clear(had);
    pm_department_copy(had, d);
}

static void
apply_template(views_t *self, const pm_template_t *t)
{
    if (self->ntmpls == self->captmpls) {
        self->captmpls = self->captmpls ? self->captmpls * 2 : 8;
        self->tmpls = xgrow(self->tmpls, self->captmpls, sizeof(*self->tmpls));
    }
    self->tmpls[self->ntmpls++] = pm_template_dup(t);
}

static const pm_template_t *
template_find(const views_t *self, const char *name, uint32_t version)
{
    for (size_t i = self->ntmpls; i-- > 0;)
        if (strcmp(self->tmpls[i]->name, name) == 0 &&
            (version == 0 || self->tmpls[i]->version == version))
            return self->tmpls[i];
    return NULL;
}

static int
proc_index(const pm_template_t *t, const char *code)
{
    for (size_t i = 0; code != NULL && i < t->nprocs; i++)
        if (strcmp(t->procs[i].code, code) == 0)
            return (int)i;
    return -1;
}

/* Whether procedure i's prerequisites are met: hard ones done, parallel ones started. */
static bool
satisfied(const vproject_t *p, size_t i)
{
    const pm_template_t *t = p->t;

    for (size_t k = 0; k < t->nedges; k++) {
        int from;
        pm_state_t s;
        if (strcmp(t->edges[k].to, t->procs[i].code) != 0)
            continue;
        from = proc_index(t, t->edges[k].from);
        if (from < 0)
            continue;
        s = p->procs[from].state;
        if (t->edges[k].parallel ? !pm_state_started(s) : !pm_state_done(s))
            return false;
    }
    return true;
}

static void
apply_project(views_t *self, const pm_entry_t *e)
{
    const pm_project_t *info = e->project_info;
    const pm_template_t *t;
    vproject_t *p;

    if (info == NULL || views_project_find(self, info->id) != NULL)
        return;
    t = template_find(self, info->template_name, info->template_version);
    if (t == NULL) {
        log_warnx(_("views: project %s names template %s v%u, which the log did not load before"),
                  info->id, info->template_name, info->template_version);
        return;
    }
    p = xcalloc(1, sizeof(*p));
    pm_project_copy(&p->info, info);
    p->t = t;
    p->colour = PM_COLOUR_GREEN;
    p->updated_seq = e->seq;
    p->procs = xcalloc(t->nprocs > 0 ? t->nprocs : 1, sizeof(*p->procs));
    /* Blocked until the registration's unblocked entries say otherwise. */
    for (size_t i = 0; i < t->nprocs; i++) {
        p->procs[i].type = &t->procs[i];
        p->procs[i].state = strv_contains(&info->not_required, t->procs[i].code)
                                ? PM_STATE_NOT_REQUIRED
                                : PM_STATE_BLOCKED;
    }
    if (self->nprojects == self->capprojects) {
        self->capprojects = self->capprojects ? self->capprojects * 2 : 64;
        self->projects = xgrow(self->projects, self->capprojects, sizeof(*self->projects));
    }
    self->projects[self->nprojects++] = p;
    if (self->nprojects * 2 > self->nslots)
        rehash(self);
    else
        *slot_of(self, info->id) = self->nprojects;
}

/* The state an event leads to; the broker accepted it, so it is a legal step. */
static void
apply_event(vproject_t *p, size_t i, const pm_entry_t *e)
{
    vproc_t *v = &p->procs[i];

    switch (e->kind) {
    case PM_KIND_ACCEPTED:
    case PM_KIND_ACCEPTED_DEFICIENT:
        if (!views_running(v->state))
            v->colour = PM_COLOUR_GREEN; /* the clock starts */
        v->deficient = v->deficient || e->kind == PM_KIND_ACCEPTED_DEFICIENT;
        v->state = v->deficient ? PM_STATE_DEFICIENT : PM_STATE_ACCEPTED;
        break;
    case PM_KIND_SUPPLEMENT_REQUESTED:
        v->state = PM_STATE_SUPPLEMENT;
        break;
    case PM_KIND_SUPPLEMENT_RECEIVED:
        v->state = v->deficient ? PM_STATE_DEFICIENT : PM_STATE_ACCEPTED;
        break;
    case PM_KIND_COMMITMENT_FULFILLED:
        v->deficient = false;
        if (v->state == PM_STATE_DEFICIENT)
            v->state = PM_STATE_ACCEPTED;
        break;
    case PM_KIND_APPROVED:
        v->state = PM_STATE_APPROVED;
        v->colour = PM_COLOUR_NONE;
        break;
    case PM_KIND_REJECTED:
        v->state = PM_STATE_REJECTED;
        v->colour = PM_COLOUR_NONE;
        v->deficient = false;
        break;
    case PM_KIND_NOT_REQUIRED:
        v->state = PM_STATE_NOT_REQUIRED;
        v->colour = PM_COLOUR_NONE;
        v->deficient = false;
        break;
    case PM_KIND_WITHDRAWN:
        v->state = PM_STATE_WITHDRAWN;
        v->colour = PM_COLOUR_NONE;
        v->deficient = false;
        break;
    case PM_KIND_REOPENED:
        v->colour = PM_COLOUR_NONE;
        v->deficient = false;
        v->state = satisfied(p, i) ? PM_STATE_READY : PM_STATE_BLOCKED;
        break;
    default:
        break;
    }
}

static void
apply_procedure(views_t *self, const pm_entry_t *e)
{
    vproject_t *p = project_mut(self, e->project);
    int i;

    if (p == NULL)
        return;
    p->updated_seq = e->seq;
    if (e->kind == PM_KIND_PROJECT_COLOUR) {
        p->colour = e->colour;
        return;
    }
    i = proc_index(p->t, e->procedure);
    if (i < 0)
        return;
    p->procs[i].updated_seq = e->seq;
    if (e->kind == PM_KIND_UNBLOCKED) {
        p->procs[i].state = PM_STATE_READY;
    } else if (e->kind == PM_KIND_BLOCKED) {
        p->procs[i].state = PM_STATE_BLOCKED;
    } else if (e->kind == PM_KIND_COLOUR) {
        p->procs[i].colour = e->colour;
        p->procs[i].days = e->days;
        p->procs[i].colour_seq = e->seq;
    } else if (pm_kind_is_event(e->kind)) {
        apply_event(p, (size_t)i, e);
    }
}

static void
keep_entry(views_t *self, const pm_entry_t *e)
{
    ventry_t *v;
    json_t *j = entryfmt_json(e);

    if (self->n == self->keep) {
        ventry_clear(&self->ring[self->first]);
        self->first = (self->first + 1) % self->keep;
        self->n--;
    }
    v = &self->ring[(self->first + self->n) % self->keep];
    self->n++;
    v->seq = e->seq;
    v->kind = e->kind;
    v->recv_ms = e->recv_ms;
    v->project = util_empty(e->project) ? NULL : xstrdup(e->project);
    v->dept = util_empty(e->dept) ? NULL : xstrdup(e->dept);
    v->procedure = util_empty(e->procedure) ? NULL : xstrdup(e->procedure);
    v->colour = e->colour;
    v->json = wjson_dump(j);
    json_decref(j);
}

void
views_apply(views_t *self, const pm_entry_t *e)
{
    if ((size_t)e->kind < PM_KIND__COUNT)
        self->kinds[e->kind]++;
    if (e->seq > self->head)
        self->head = e->seq;
    switch (e->kind) {
    case PM_KIND_DEPARTMENT:
        if (e->department != NULL)
            apply_department(self, e->department);
        break;
    case PM_KIND_TEMPLATE:
        if (e->template != NULL)
            apply_template(self, e->template);
        break;
    case PM_KIND_PROJECT:
        apply_project(self, e);
        break;
    case PM_KIND_ALERT_ACK: {
        /* The ack pages say "acknowledged already" from here (the broker logs one per alert). */
        ventry_t *alert = (ventry_t *)views_find(self, e->cause);
        if (alert != NULL && alert->ack_seq == 0)
            alert->ack_seq = e->seq;
        break;
    }
    case PM_KIND_CALENDAR:
    case PM_KIND_AGENT_SILENT:
    case PM_KIND_AGENT_BACK:
        break;
    default:
        apply_procedure(self, e);
        break;
    }
    keep_entry(self, e);
}

pm_colour_t
views_project_colour(const vproject_t *p)
{
    pm_colour_t worst = p->colour;
    bool open = false;

    for (size_t k = 0; k < p->t->nprocs; k++) {
        const vproc_t *q = &p->procs[k];
        open = open || !pm_state_done(q->state);
        /* The enum runs none < green < yellow < red: the worst is the largest. */
        if (views_running(q->state) && q->colour > worst)
            worst = q->colour;
    }
    if (!open)
        return PM_COLOUR_NONE;
    return worst == PM_COLOUR_NONE ? PM_COLOUR_GREEN : worst;
}
