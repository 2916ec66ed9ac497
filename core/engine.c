/*
 * engine: see engine.h.
 *
 * A submission runs in three steps: validate (read only; a refusal ends here), append the
 * entry and apply it, then derive: re-evaluate only the dependents of the procedure that
 * changed and the milestones it belongs to, appending and applying what follows. The cost of
 * an event grows with its procedure's dependents, never with the number of projects.
 */
#include "engine.h"
#include "engine_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsm.h"
#include "i18n.h"
#include "log.h"
#include "tmpl.h"

void
entry_list_push(entry_list_t *l, pm_entry_t **e)
{
    l->v = xgrow(l->v, l->n, sizeof(pm_entry_t *));
    l->v[l->n++] = *e;
    *e = NULL;
}

void
entry_list_clear(entry_list_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        pm_entry_destroy(&l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

void
engine_cfg_defaults(engine_cfg_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->clock.utc_offset_s = 8 * 3600;
    cfg->clock.yellow_days = 1;
    cfg->clock.yellow_percent = 20;
    cfg->clock.commitment_days = 5;
    cfg->clock.remind_days = 1;
    cfg->clock.project_yellow_days = 10;
    cfg->clock.first_half_due = 331;
    cfg->clock.second_half_due = 831;
    cfg->late_after_ms = 24 * 3600 * 1000LL;
}

engine_t *
engine_new(store_t *store, const engine_cfg_t *cfg)
{
    engine_t *en = xcalloc(1, sizeof(*en));
    engine_cfg_t defaults;

    if (cfg == NULL) {
        engine_cfg_defaults(&defaults);
        cfg = &defaults;
    }
    en->store = store;
    engine_set_config(en, cfg);
    return en;
}

void
engine_set_config(engine_t *en, const engine_cfg_t *cfg)
{
    en->clock = cfg->clock;
    en->late_after_ms = cfg->late_after_ms;
}

void
engine_forget(engine_t *en)
{
    for (size_t i = 0; i < en->ntemplates; i++)
        tmpl_destroy(&en->templates[i]);
    free(en->templates);
    en->templates = NULL;
    en->ntemplates = 0;
    calendar_destroy(&en->cal);
    en->next_known = false;
}

void
engine_destroy(engine_t **p)
{
    if (p == NULL || *p == NULL)
        return;
    engine_forget(*p);
    free(*p);
    *p = NULL;
}

int
engine_nack(pm_reply_t *r, const char *code, const char *fmt, ...)
{
    va_list ap;
    char buf[1024];

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    util_utf8_trim(buf); /* a long reason is cut, never in the middle of a character */
    r->ok = false;
    xstrset(&r->code, code);
    xstrset(&r->reason, buf);
    return 0;
}

/*
 * The compiled template (name, version); version 0 means the latest. 1 found, 0 unknown,
 * -1 storage failure. The result is borrowed from the cache.
 */
int
engine_template(engine_t *en, const char *name, uint32_t version, const tmpl_t **out)
{
    uint32_t v;
    uint64_t seq;
    pm_entry_t *e = NULL;
    tmpl_t *t = NULL;
    const char *code;
    char *reason = NULL;
    int rc;

    /* A given version is found in the cache without asking the store (the hot path: every
     * event loads its project's template). Only "the latest" needs the templates table. */
    for (size_t i = 0; version != 0 && i < en->ntemplates; i++) {
        if (strcmp(en->templates[i]->def->name, name) == 0 &&
            en->templates[i]->def->version == version) {
            *out = en->templates[i];
            return 1;
        }
    }
    rc = store_template_find(en->store, name, version, &v, &seq);
    if (rc <= 0)
        return rc;
    for (size_t i = 0; i < en->ntemplates; i++) {
        if (strcmp(en->templates[i]->def->name, name) == 0 && en->templates[i]->def->version == v) {
            *out = en->templates[i];
            return 1;
        }
    }
    if (store_entry_get(en->store, seq, &e) != 1 || e->template == NULL) {
        log_warnx("engine: template %s v%u: entry %llu unreadable", name, v,
                  (unsigned long long)seq);
        pm_entry_destroy(&e);
        return -1;
    }
    if (tmpl_compile(&e->template, &t, &code, &reason) < 0) {
        log_warnx("engine: template %s v%u in the log does not compile: %s", name, v, reason);
        free(reason);
        pm_entry_destroy(&e);
        return -1;
    }
    pm_entry_destroy(&e);
    en->templates = xrealloc(en->templates, (en->ntemplates + 1) * sizeof(tmpl_t *));
    en->templates[en->ntemplates++] = t;
    *out = t;
    return 1;
}

void
work_clear(work_t *w)
{
    pm_project_clear(&w->project);
    store_procs_free(w->procs, w->nprocs);
    free(w->states);
    memset(w, 0, sizeof(*w));
}

/*
 * Load a project with its template and procedure rows, ordered as the template lists them.
 * 1 loaded, 0 unknown project, -1 storage failure.
 */
int
work_load(engine_t *en, const char *project, work_t *w)
{
    store_proc_t *rows = NULL;
    size_t nrows = 0;
    int rc;

    memset(w, 0, sizeof(*w));
    rc = store_project_get(en->store, project, &w->project);
    if (rc <= 0)
        return rc;
    if (engine_template(en, w->project.template_name, w->project.template_version, &w->t) != 1)
        goto fail;
    if (store_procs_load(en->store, project, &rows, &nrows) < 0)
        goto fail;
    w->nprocs = w->t->def->nprocs;
    w->procs = xcalloc(w->nprocs, sizeof(store_proc_t));
    w->states = xcalloc(w->nprocs, sizeof(pm_state_t));
    for (size_t r = 0; r < nrows; r++) {
        /* Rows come in ordinal order, and a row's ordinal is its template index. */
        int i = r < w->nprocs && util_strcmp0(w->t->def->procs[r].code, rows[r].code) == 0
                    ? (int)r
                    : tmpl_index(w->t, rows[r].code);
        if (i < 0 || w->procs[i].code != NULL)
            continue;
        w->procs[i] = rows[r];
        memset(&rows[r], 0, sizeof(rows[r]));
    }
    store_procs_free(rows, nrows);
    for (size_t i = 0; i < w->nprocs; i++) {
        if (w->procs[i].code == NULL) {
            log_warnx("engine: project %s has no row for %s", project, w->t->def->procs[i].code);
            goto fail;
        }
        w->states[i] = w->procs[i].state;
    }
    return 1;
fail:
    work_clear(w);
    return -1;
}

store_projclock_t *
work_clock(engine_t *en, work_t *w)
{
    if (!w->clock_loaded) {
        if (store_projclock_get(en->store, w->project.id, &w->clock) != 1)
            return NULL;
        w->clock_loaded = true;
    }
    return &w->clock;
}

int
work_put(engine_t *en, work_t *w, size_t i)
{
    w->states[i] = w->procs[i].state;
    engine_note_next(en, w->procs[i].next_ms);
    return store_proc_put(en->store, w->project.id, &w->procs[i], (int)i);
}

/* An entry about procedure i of the project, with the names subscribers need. */
pm_entry_t *
engine_proc_entry(const work_t *w, pm_kind_t kind, size_t i, int64_t now_ms)
{
    const pm_proctype_t *pt = &w->t->def->procs[i];
    pm_entry_t *e = pm_entry_new(kind);

    e->actor = xstrdup("broker");
    e->dept = xstrdup(pt->dept);
    e->project = xstrdup(w->project.id);
    e->procedure = xstrdup(pt->code);
    e->recv_ms = now_ms;
    e->project_name = xstrdup(w->project.name);
    e->procedure_name = xstrdup(pt->name);
    e->steward = xstrdup(w->project.steward);
    e->limit_days = pt->limit_days;
    return e;
}

static int apply_to_work(engine_t *en, work_t *w, const pm_entry_t *e);

/*
 * Append, apply and hand over an entry. With a loaded project (w), an entry about one of its
 * procedures is applied to it directly, so w stays the project's current state.
 */
int
engine_emit(engine_t *en, work_t *w, pm_entry_t **e, entry_list_t *out)
{
    int rc = store_append(en->store, *e);

    if (rc == 0) {
        if (w != NULL && (*e)->procedure != NULL)
            rc = apply_to_work(en, w, *e);
        else if (w != NULL && (*e)->kind == PM_KIND_PROJECT_COLOUR)
            rc = engine_project_apply(en, w, *e); /* keeps w's cached clock true */
        else
            rc = engine_apply(en, *e);
    }
    if (rc < 0) {
        pm_entry_destroy(e);
        return -1;
    }
    entry_list_push(out, e);
    return 0;
}

/* Milestones of procedure `changed` (or all, with changed < 0) newly reached. */
static int
derive_milestones(engine_t *en, work_t *w, int changed, uint64_t cause, int64_t now_ms,
                  entry_list_t *out)
{
    const pm_template_t *d = w->t->def;
    strv_t reached = {0};
    int rc = 0;

    if (changed >= 0 && !pm_state_done(w->states[changed]))
        return 0;
    if (store_milestones_list(en->store, w->project.id, &reached) < 0)
        return -1;
    for (size_t m = 0; m < d->nmilestones && rc == 0; m++) {
        pm_entry_t *e;
        bool member = changed < 0;
        for (size_t k = 0; !member && k < w->t->nodes[changed].nmilestones; k++)
            member = w->t->nodes[changed].milestones[k] == m;
        if (!member || strv_contains(&reached, d->milestones[m].code) ||
            !tmpl_milestone_reached(w->t, m, w->states))
            continue;
        e = pm_entry_new(PM_KIND_MILESTONE);
        e->actor = xstrdup("broker");
        e->project = xstrdup(w->project.id);
        e->project_name = xstrdup(w->project.name);
        e->steward = xstrdup(w->project.steward);
        e->milestone = xstrdup(d->milestones[m].code);
        e->milestone_name = xstrdup(d->milestones[m].name);
        e->recv_ms = now_ms;
        e->cause = cause;
        rc = engine_emit(en, w, &e, out);
    }
    strv_clear(&reached);
    return rc;
}

/*
 * After procedure `changed` moved: dependents that are blocked and now satisfied become ready
 * (unblocked), ready ones that lost a prerequisite become blocked again; then milestones.
 */
static int
derive(engine_t *en, work_t *w, size_t changed, uint64_t cause, int64_t now_ms, entry_list_t *out)
{
    size_t *deps = NULL, ndeps = 0;
    int rc = 0;

    tmpl_dependents(w->t, changed, &deps, &ndeps);
    for (size_t k = 0; k < ndeps && rc == 0; k++) {
        size_t d = deps[k];
        pm_state_t s = w->states[d];
        bool sat;
        pm_entry_t *e;
        if (s != PM_STATE_BLOCKED && s != PM_STATE_READY)
            continue;
        sat = tmpl_satisfied(w->t, d, w->states, NULL, NULL);
        if (sat == (s == PM_STATE_READY))
            continue;
        e = engine_proc_entry(w, sat ? PM_KIND_UNBLOCKED : PM_KIND_BLOCKED, d, now_ms);
        e->cause = cause;
        rc = engine_emit(en, w, &e, out);
    }
    free(deps);
    if (rc == 0)
        rc = derive_milestones(en, w, (int)changed, cause, now_ms, out);
    return rc;
}

/* "CODE (DEPT, state)" for each unsatisfied prerequisite of procedure i. Caller owns. */
static char *
describe_blockers(const work_t *w, size_t i)
{
    size_t *edges = NULL, n = 0;
    strv_t parts = {0};
    char *s;

    tmpl_satisfied(w->t, i, w->states, &edges, &n);
    for (size_t k = 0; k < n; k++) {
        const pm_edge_t *e = &w->t->def->edges[edges[k]];
        size_t from = w->t->edge_from[edges[k]];
        char *p = xasprintf("%s %s (%s, %s, needs %s)", e->from, w->t->def->procs[from].name,
                            w->t->def->procs[from].dept, pm_state_name(w->states[from]),
                            e->parallel ? "accepted" : "approved");
        strv_push(&parts, p);
        free(p);
    }
    s = strv_join(&parts, "; ");
    strv_clear(&parts);
    free(edges);
    return s;
}

/* Whether a message repeats the logged entry that carries its id (same_event, same_import). */
typedef bool(same_fn)(const void *msg, const pm_entry_t *logged);

/*
 * The exactly-once rule: a message without an id is refused; an id is its sender's (the
 * department, or "operator:NAME", that the log records as the actor), so two senders never
 * share one. An id its sender used before is answered with the original sequence number when
 * the message repeats what was logged, and refused "conflict" (permanent) when it says
 * something else: a sender that reuses an id must not have its new event silently dropped.
 * 1 answered (reply filled), 0 new, -1 storage failure.
 */
static int
check_seen(engine_t *en, const char *sender, const char *id, same_fn *same, const void *msg,
           pm_reply_t *r)
{
    pm_entry_t *logged = NULL;
    uint64_t seq;
    int rc;

    xstrset(&r->id, id);
    if (util_empty(id)) {
        engine_nack(r, PM_REFUSE_INVALID, _("message has no id"));
        return 1;
    }
    rc = store_find_event(en->store, sender, id, &seq);
    if (rc != 1)
        return rc;
    rc = store_entry_get(en->store, seq, &logged);
    if (rc != 1) {
        if (rc == 0)
            log_warnx("engine: id %s is indexed at seq %llu, which the log lacks", id,
                      (unsigned long long)seq);
        return -1;
    }
    if (same(msg, logged)) {
        r->ok = true;
        r->duplicate = true;
        r->seq = seq;
    } else {
        engine_nack(r, PM_REFUSE_CONFLICT,
                    _("id %s of %s is already logged as seq %llu (%s%s%s%s%s), with other "
                      "content: a new event needs a new id"),
                    id, sender, (unsigned long long)seq, pm_kind_name(logged->kind),
                    logged->project ? " of " : "", logged->project ? logged->project : "",
                    logged->procedure ? " " : "", logged->procedure ? logged->procedure : "");
    }
    pm_entry_destroy(&logged);
    return 1;
}

/*
 * Whether an event repeats the logged one: what its sender said about the procedure (kind,
 * project, procedure, certificate, note, missing item, commitment due date, and for an
 * extension the days). Not its own time (event_ms): a client fills it from its clock when not
 * told (permit-agent send without --time), so a resend typed again after an unknown outcome
 * differs in it alone. Not the department either, which is the sender's for a department's
 * event and the procedure's owner, filled in by the broker, for an operator's correction.
 */
static bool
same_event(const void *msg, const pm_entry_t *logged)
{
    const pm_entry_t *ev = msg;

    return ev->kind == logged->kind && util_strcmp0(ev->project, logged->project) == 0 &&
           util_strcmp0(ev->procedure, logged->procedure) == 0 &&
           util_strcmp0(ev->cert, logged->cert) == 0 && util_strcmp0(ev->note, logged->note) == 0 &&
           util_strcmp0(ev->missing, logged->missing) == 0 && ev->due_ms == logged->due_ms &&
           (ev->kind != PM_KIND_EXTENDED || ev->days == logged->days);
}

/*
 * Whether an import repeats the logged one, as far as its first entry (the one that carries
 * the id) tells: the same part, and that entry is one of the import's departments (code, name
 * and contact), its template (name), its first project (id) or its year of the calendar.
 */
static bool
same_import(const void *msg, const pm_entry_t *logged)
{
    const pm_import_t *im = msg;

    switch (logged->kind) {
    case PM_KIND_DEPARTMENT:
        for (size_t i = 0; logged->department != NULL && i < im->ndepts; i++)
            if (util_strcmp0(im->depts[i].code, logged->department->code) == 0)
                return util_strcmp0(im->depts[i].name, logged->department->name) == 0 &&
                       util_strcmp0(im->depts[i].contact, logged->department->contact) == 0;
        return false;
    case PM_KIND_TEMPLATE:
        return im->template != NULL && logged->template != NULL &&
               util_strcmp0(im->template->name, logged->template->name) == 0;
    case PM_KIND_PROJECT:
        return im->nprojects > 0 && logged->project_info != NULL &&
               util_strcmp0(im->projects[0].id, logged->project_info->id) == 0;
    case PM_KIND_CALENDAR:
        return im->calendar != NULL && logged->calendar != NULL &&
               im->calendar->year == logged->calendar->year;
    default:
        return false;
    }
}

/*
 * An operator's correction: who made it comes with it (the identity in the actor field until
 * CURVE authenticates it) and why (the note) is required, since the log is the audit trail.
 */
static bool
is_operator(const pm_entry_t *ev)
{
    return ev->actor != NULL && strncmp(ev->actor, "operator:", 9) == 0 && ev->actor[9] != '\0';
}

/* Who sent an event, as the log records it (the actor): the operator, else the department. */
static const char *
event_sender(const pm_entry_t *ev)
{
    return is_operator(ev) ? ev->actor : ev->dept;
}

const char *
engine_import_sender(const pm_import_t *im)
{
    return util_empty(im->actor) ? "operator" : im->actor;
}

/* Refuse a correction that is not one: 1 refused (reply filled), 0 fine. */
static int
check_correction(const pm_entry_t *ev, pm_reply_t *r)
{
    if (!pm_kind_is_operators(ev->kind)) {
        engine_nack(r, PM_REFUSE_INVALID,
                    _("an operator corrects with not_required, reopened or extended; %s comes from "
                      "the department"),
                    pm_kind_name(ev->kind));
        return 1;
    }
    if (util_empty(ev->note)) {
        engine_nack(r, PM_REFUSE_INVALID, _("a correction needs a reason"));
        return 1;
    }
    if (ev->kind == PM_KIND_EXTENDED && (ev->days < 1 || ev->days > 365)) {
        engine_nack(r, PM_REFUSE_INVALID,
                    _("an extension is a whole number of working days from 1 to 365"));
        return 1;
    }
    return 0;
}

static int
submit_event(engine_t *en, const pm_entry_t *ev, int64_t now_ms, entry_list_t *out, pm_reply_t *r)
{
    work_t w;
    int i, rc;
    uint64_t seq;
    fsm_cond_t from, to;
    pm_entry_t *e;
    const pm_proctype_t *pt;

    rc = check_seen(en, event_sender(ev), ev->event_id, same_event, ev, r);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (!pm_kind_is_event(ev->kind))
        return engine_nack(r, PM_REFUSE_INVALID, _("%s is not a department event"),
                           pm_kind_name(ev->kind));
    if (is_operator(ev)) {
        if (check_correction(ev, r))
            return 0;
    } else if (pm_kind_is_correction(ev->kind)) {
        return engine_nack(
            r, PM_REFUSE_INVALID,
            _("%s is an operator's correction (permitctl %s), not a department event"),
            pm_kind_name(ev->kind), ev->kind == PM_KIND_REOPENED ? "reopen" : "extend");
    } else if (util_empty(ev->dept)) {
        return engine_nack(r, PM_REFUSE_INVALID, _("event needs a department"));
    }
    if (util_empty(ev->project) || util_empty(ev->procedure))
        return engine_nack(r, PM_REFUSE_INVALID, _("event needs a project and a procedure"));
    if (ev->kind == PM_KIND_ACCEPTED_DEFICIENT && util_empty(ev->missing))
        return engine_nack(r, PM_REFUSE_INVALID, _("accepted_deficient needs the missing item"));
    rc = work_load(en, ev->project, &w);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return engine_nack(r, PM_REFUSE_UNKNOWN_PROJECT, _("no project %s is registered"),
                           ev->project);
    i = tmpl_index(w.t, ev->procedure);
    if (i < 0) {
        engine_nack(r, PM_REFUSE_UNKNOWN_PROCEDURE,
                    _("project %s (template %s v%u) has no procedure %s"), ev->project,
                    w.t->def->name, w.t->def->version, ev->procedure);
        goto done;
    }
    pt = &w.t->def->procs[i];
    if (!is_operator(ev) && strcmp(pt->dept, ev->dept) != 0) {
        pm_department_t d = {0};
        rc = store_dept_get(en->store, ev->dept, &d);
        pm_department_clear(&d);
        if (rc < 0) {
            work_clear(&w);
            return -1;
        }
        if (rc == 0) {
            engine_nack(r, PM_REFUSE_UNKNOWN_DEPARTMENT, _("no department %s is registered"),
                        ev->dept);
            goto done;
        }
        engine_nack(r, PM_REFUSE_NOT_OWNER, _("%s %s belongs to %s, not %s"), pt->code, pt->name,
                    pt->dept, ev->dept);
        goto done;
    }
    if (ev->kind == PM_KIND_ACCEPTED && !tmpl_satisfied(w.t, (size_t)i, w.states, NULL, NULL)) {
        char *b = describe_blockers(&w, (size_t)i);
        engine_nack(
            r, PM_REFUSE_PREREQUISITES,
            _("%s of %s cannot be accepted yet: waiting for %s (accepted_deficient takes it in on "
              "a commitment)"),
            pt->code, ev->project, b);
        free(b);
        goto done;
    }
    from.state = w.procs[i].state;
    from.deficient = w.procs[i].deficient;
    if (fsm_next(from, ev->kind, &to) < 0) {
        char *allowed = fsm_allowed(from);
        engine_nack(r, PM_REFUSE_TRANSITION, _("%s of %s is %s%s: %s is not allowed (allowed: %s)"),
                    pt->code, ev->project, pm_state_name(from.state),
                    from.deficient ? _(" with an open commitment") : "", pm_kind_name(ev->kind),
                    allowed);
        free(allowed);
        goto done;
    }

    e = engine_proc_entry(&w, ev->kind, (size_t)i, now_ms);
    xstrset(&e->actor, event_sender(ev));
    e->days = ev->kind == PM_KIND_EXTENDED ? ev->days : 0;
    e->event_id = xstrdup(ev->event_id);
    e->event_ms = ev->event_ms;
    e->cert = xstrdup(ev->cert);
    e->note = xstrdup(ev->note);
    e->missing = xstrdup(ev->missing);
    e->due_ms = ev->due_ms;
    /* Entered after the fact: accepted, flagged so timeliness reports can tell. */
    e->late = ev->event_ms != 0 && now_ms - ev->event_ms > en->late_after_ms;
    seq = 0;
    if (engine_emit(en, &w, &e, out) < 0) {
        work_clear(&w);
        return -1;
    }
    seq = out->v[out->n - 1]->seq;
    if (derive(en, &w, (size_t)i, seq, now_ms, out) < 0 ||
        engine_clock_derive(en, &w, (size_t)i, seq, now_ms, out) < 0 ||
        engine_project_derive(en, &w, seq, now_ms, out) < 0) {
        work_clear(&w);
        return -1;
    }
    r->ok = true;
    r->seq = seq;
    r->count = 1;
done:
    work_clear(&w);
    return 0;
}

static pm_entry_t *
admin_entry(pm_kind_t kind, const pm_import_t *im, int64_t now_ms, size_t appended)
{
    pm_entry_t *e = pm_entry_new(kind);

    e->actor = xstrdup(engine_import_sender(im));
    e->recv_ms = now_ms;
    /* The import's id marks its first entry, so a resent import is recognised. */
    if (appended == 0)
        e->event_id = xstrdup(im->id);
    return e;
}

/* An id of an import and where it is listed, for first_repeat. */
typedef struct listed {
    const char *id;
    size_t at;
} listed_t;

static int
listed_cmp(const void *a, const void *b)
{
    const listed_t *x = a, *y = b;
    int c = strcmp(x->id, y->id);

    return c != 0 ? c : (x->at > y->at) - (x->at < y->at);
}

/*
 * The first place in ids[0..n-1] (NULL ids skipped) that repeats an id listed before it, or n
 * when none does: what comparing each id with every one before it finds, in n log n rather
 * than n squared (an import of 2,000 projects made 2 million comparisons, and one of the
 * 200,000 a message may hold, 20 billion).
 */
static size_t
first_repeat(const char *const *ids, size_t n)
{
    listed_t *v = xcalloc(n ? n : 1, sizeof(*v));
    size_t m = 0, first = n;

    for (size_t i = 0; i < n; i++)
        if (ids[i] != NULL)
            v[m++] = (listed_t){ids[i], i};
    qsort(v, m, sizeof(*v), listed_cmp);
    /* Sorted by id, then by place: the second of a run is where that id first repeats. */
    for (size_t k = 1; k < m; k++)
        if (strcmp(v[k - 1].id, v[k].id) == 0 && v[k].at < first)
            first = v[k].at;
    free(v);
    return first;
}

static int
import_departments(engine_t *en, const pm_import_t *im, int64_t now_ms, entry_list_t *out,
                   pm_reply_t *r)
{
    size_t appended = 0, repeat_at;
    const char **codes = xcalloc(im->ndepts ? im->ndepts : 1, sizeof(char *));

    for (size_t i = 0; i < im->ndepts; i++)
        codes[i] = im->depts[i].code;
    repeat_at = first_repeat(codes, im->ndepts);
    free(codes);
    for (size_t i = 0; i < im->ndepts; i++) {
        const pm_department_t *d = &im->depts[i];
        if (!pm_code_valid(d->code) || util_empty(d->name))
            return engine_nack(r, PM_REFUSE_INVALID,
                               _("department %zu needs a code (no blanks, '/', ';', "
                                 "',' or ':') and a name"),
                               i + 1);
        if (i == repeat_at)
            return engine_nack(r, PM_REFUSE_INVALID, _("department %s is listed twice"), d->code);
    }
    for (size_t i = 0; i < im->ndepts; i++) {
        const pm_department_t *d = &im->depts[i];
        pm_department_t old = {0};
        pm_entry_t *e;
        int rc = store_dept_get(en->store, d->code, &old);
        bool same = rc == 1 && util_strcmp0(old.name, d->name) == 0 &&
                    util_strcmp0(old.contact, d->contact) == 0;
        pm_department_clear(&old);
        if (rc < 0)
            return -1;
        if (same)
            continue;
        e = admin_entry(PM_KIND_DEPARTMENT, im, now_ms, appended);
        e->dept = xstrdup(d->code);
        e->department = xcalloc(1, sizeof(pm_department_t));
        pm_department_copy(e->department, d);
        if (engine_emit(en, NULL, &e, out) < 0)
            return -1;
        if (appended++ == 0)
            r->seq = out->v[out->n - 1]->seq;
    }
    r->ok = true;
    r->count = (uint32_t)appended;
    return 0;
}

static int
import_template(engine_t *en, const pm_import_t *im, int64_t now_ms, entry_list_t *out,
                pm_reply_t *r)
{
    pm_template_t *copy = pm_template_dup(im->template);
    tmpl_t *t = NULL;
    const tmpl_t *latest = NULL;
    const char *code;
    char *reason = NULL;
    pm_entry_t *e;
    int rc;

    if (!pm_code_valid(copy->name)) {
        pm_template_destroy(&copy);
        return engine_nack(r, PM_REFUSE_INVALID,
                           _("a template needs a name without blanks or separators"));
    }
    if (tmpl_compile(&copy, &t, &code, &reason) < 0) {
        engine_nack(r, code, _("template %s refused: %s"), im->template->name, reason);
        free(reason);
        return 0;
    }
    for (size_t i = 0; i < t->def->nprocs; i++) {
        const pm_proctype_t *p = &t->def->procs[i];
        pm_department_t d = {0};
        if (!pm_code_valid(p->code)) {
            engine_nack(r, PM_REFUSE_INVALID, _("procedure code '%s' has a blank or a separator"),
                        p->code);
            goto done;
        }
        rc = store_dept_get(en->store, p->dept, &d);
        pm_department_clear(&d);
        if (rc < 0)
            goto storage;
        if (rc == 0) {
            engine_nack(r, PM_REFUSE_UNKNOWN_DEPARTMENT,
                        _("procedure %s belongs to department %s, which is not registered (import "
                          "departments first)"),
                        p->code, p->dept);
            goto done;
        }
    }
    rc = engine_template(en, t->def->name, 0, &latest);
    if (rc < 0)
        goto storage;
    r->ok = true;
    if (rc == 1 && tmpl_same(latest->def, t->def)) {
        r->count = 0; /* unchanged: nothing to log */
        goto done;
    }
    e = admin_entry(PM_KIND_TEMPLATE, im, now_ms, 0);
    e->template = pm_template_dup(t->def);
    e->template->version = rc == 1 ? latest->def->version + 1 : 1;
    if (engine_emit(en, NULL, &e, out) < 0)
        goto storage;
    r->seq = out->v[out->n - 1]->seq;
    r->count = 1;
done:
    tmpl_destroy(&t);
    return 0;
storage:
    tmpl_destroy(&t);
    return -1;
}

/* Check one project of an import. 1 fine, 0 refused (reply filled), -1 storage failure. */
static int
check_project(engine_t *en, const pm_import_t *im, size_t i, size_t repeat_at, const tmpl_t **tp,
              pm_reply_t *r)
{
    const pm_project_t *p = &im->projects[i];
    const char *tname = util_empty(p->template_name) ? "standard" : p->template_name;
    pm_project_t old = {0};
    int rc;

    if (!pm_code_valid(p->id) || util_empty(p->name))
        return engine_nack(r, PM_REFUSE_INVALID,
                           _("project %zu needs an id (no blanks, '/', ';', ',' or "
                             "':') and a name"),
                           i + 1);
    if (i == repeat_at)
        return engine_nack(r, PM_REFUSE_INVALID, _("project %s is listed twice"), p->id);
    rc = store_project_get(en->store, p->id, &old);
    pm_project_clear(&old);
    if (rc < 0)
        return -1;
    if (rc == 1)
        return engine_nack(r, PM_REFUSE_EXISTS, _("project %s is already registered"), p->id);
    rc = engine_template(en, tname, 0, tp);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return engine_nack(r, PM_REFUSE_UNKNOWN_TEMPLATE, _("project %s: no template %s is loaded"),
                           p->id, tname);
    for (size_t k = 0; k < p->not_required.n; k++)
        if (tmpl_index(*tp, p->not_required.v[k]) < 0)
            return engine_nack(r, PM_REFUSE_UNKNOWN_PROCEDURE,
                               _("project %s: template %s has no procedure %s (not_required)"),
                               p->id, tname, p->not_required.v[k]);
    return 1;
}

/*
 * A registered project's procedures that are ready from the start (no prerequisites, or
 * every one not required) are announced as any that becomes ready later: one unblocked entry
 * each, caused by the registration, so their departments hear of them. The rows are ready
 * already (apply_project); the entry changes nothing in them but its stamp, in the rebuild as
 * live. Not required ones are never announced.
 */
static int
announce_ready(engine_t *en, work_t *w, uint64_t cause, int64_t now_ms, entry_list_t *out)
{
    for (size_t i = 0; i < w->nprocs; i++) {
        pm_entry_t *e;
        if (w->states[i] != PM_STATE_READY)
            continue;
        e = engine_proc_entry(w, PM_KIND_UNBLOCKED, i, now_ms);
        e->cause = cause;
        if (engine_emit(en, w, &e, out) < 0)
            return -1;
    }
    return 0;
}

static int
import_projects(engine_t *en, const pm_import_t *im, int64_t now_ms, entry_list_t *out,
                pm_reply_t *r)
{
    const tmpl_t **bound = xcalloc(im->nprojects, sizeof(tmpl_t *));
    const char **ids = xcalloc(im->nprojects ? im->nprojects : 1, sizeof(char *));
    size_t repeat_at;
    int rc = 0;

    for (size_t i = 0; i < im->nprojects; i++)
        ids[i] = im->projects[i].id;
    repeat_at = first_repeat(ids, im->nprojects);
    free(ids);
    for (size_t i = 0; i < im->nprojects && rc == 0; i++) {
        int c = check_project(en, im, i, repeat_at, &bound[i], r);
        if (c < 0)
            rc = -1;
        else if (c == 0)
            goto done;
    }
    for (size_t i = 0; i < im->nprojects && rc == 0; i++) {
        pm_entry_t *e = admin_entry(PM_KIND_PROJECT, im, now_ms, i);
        work_t w;
        uint64_t seq;
        e->project = xstrdup(im->projects[i].id);
        e->project_info = pm_project_new();
        pm_project_copy(e->project_info, &im->projects[i]);
        xstrset(&e->project_info->template_name, bound[i]->def->name);
        e->project_info->template_version = bound[i]->def->version;
        if (engine_emit(en, NULL, &e, out) < 0) {
            rc = -1;
            break;
        }
        seq = out->v[out->n - 1]->seq;
        if (i == 0)
            r->seq = seq;
        if (work_load(en, im->projects[i].id, &w) != 1) {
            rc = -1;
            break;
        }
        rc = announce_ready(en, &w, seq, now_ms, out);
        if (rc == 0)
            rc = derive_milestones(en, &w, -1, seq, now_ms, out);
        if (rc == 0)
            rc = engine_project_derive(en, &w, seq, now_ms, out);
        work_clear(&w);
    }
    r->ok = rc == 0;
    r->count = (uint32_t)im->nprojects;
done:
    free(bound);
    return rc;
}

/*
 * An alert acknowledged (permit-web's /ack link, permit-notify ack): logged once per alert
 * under the sender PM_ACK_ACTOR with the id "ack:SEQ" (model.h), so the log's unique id per
 * sender holds one ack per alert whoever sends it, and the check lives where the log is. A
 * second ack of the same alert, by the same recipient or another, changes nothing: it is
 * answered as a duplicate with the first one's seq. The acked entry must be a derived one. It
 * changes no state (engine_apply); the notifier reads it to stop escalating.
 */
static int
submit_ack(engine_t *en, const pm_entry_t *ev, int64_t now_ms, entry_list_t *out, pm_reply_t *r)
{
    char id[32];
    uint64_t seq;
    pm_entry_t *alert = NULL, *e;
    int rc;

    xstrset(&r->id, ev->event_id);
    if (ev->cause == 0 || util_empty(ev->recipient) ||
        (util_strcmp0(ev->via, PM_ACK_VIA_WEB) != 0 && util_strcmp0(ev->via, PM_ACK_VIA_CLI) != 0 &&
         util_strcmp0(ev->via, PM_ACK_VIA_WEBHOOK) != 0))
        return engine_nack(r, PM_REFUSE_INVALID,
                           _("an alert_ack names the alert (cause: its seq), who acknowledged it "
                             "(recipient) and how (via: web, cli or webhook)"));
    snprintf(id, sizeof(id), PM_ACK_ID, (unsigned long long)ev->cause);
    rc = store_find_event(en->store, PM_ACK_ACTOR, id, &seq);
    if (rc < 0)
        return -1;
    if (rc == 1) {
        r->ok = true;
        r->duplicate = true;
        r->seq = seq;
        return 0;
    }
    rc = store_entry_get(en->store, ev->cause, &alert);
    if (rc < 0)
        return -1;
    /* Alerts are what the broker derives (colours, breaches, silent agents); what a person
     * sent is no alert to acknowledge. */
    if (rc == 0 || !pm_kind_is_derived(alert->kind)) {
        engine_nack(r, PM_REFUSE_INVALID, _("the log has no alert at seq %llu%s%s"),
                    (unsigned long long)ev->cause, rc == 0 ? "" : _(": it is "),
                    rc == 0 ? "" : pm_kind_name(alert->kind));
        pm_entry_destroy(&alert);
        return 0;
    }
    e = pm_entry_new(PM_KIND_ALERT_ACK);
    e->event_id = xstrdup(id);
    e->actor = xstrdup(PM_ACK_ACTOR);
    e->cause = ev->cause;
    e->recv_ms = now_ms;
    e->event_ms = ev->event_ms;
    e->project = xstrdup(alert->project);
    e->dept = xstrdup(alert->dept);
    e->recipient = xstrdup(ev->recipient);
    e->via = xstrdup(ev->via);
    e->relay = xstrdup(ev->relay);
    pm_entry_destroy(&alert);
    if (engine_emit(en, NULL, &e, out) < 0)
        return -1;
    r->ok = true;
    r->seq = out->v[out->n - 1]->seq;
    r->count = 1;
    return 0;
}

int
engine_submit(engine_t *en, const pm_msg_t *msg, int64_t now_ms, entry_list_t *appended,
              pm_reply_t *r)
{
    const pm_import_t *im = msg->import;
    int rc, parts;

    if (msg->type == PM_MSG_EVENT && msg->entry != NULL && msg->entry->kind == PM_KIND_ALERT_ACK)
        return submit_ack(en, msg->entry, now_ms, appended, r);
    if (msg->type == PM_MSG_EVENT && msg->entry != NULL)
        return submit_event(en, msg->entry, now_ms, appended, r);
    if (msg->type != PM_MSG_IMPORT || im == NULL)
        return engine_nack(r, PM_REFUSE_UNSUPPORTED,
                           _("the ingest socket takes events and imports only"));
    rc = check_seen(en, engine_import_sender(im), im->id, same_import, im, r);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    parts =
        (im->ndepts > 0) + (im->template != NULL) + (im->nprojects > 0) + (im->calendar != NULL);
    if (parts != 1)
        return engine_nack(r, PM_REFUSE_INVALID,
                           _("an import carries departments, one template, projects or one year "
                             "of the calendar: exactly one"));
    if (im->calendar != NULL)
        return engine_import_calendar(en, im, now_ms, appended, r);
    if (im->ndepts > 0)
        return import_departments(en, im, now_ms, appended, r);
    if (im->template != NULL)
        return import_template(en, im, now_ms, appended, r);
    return import_projects(en, im, now_ms, appended, r);
}

/*
 * The last entry whose effect a loaded project's rows have: every entry about a procedure
 * stamps its row, and the tables hold each project as some prefix of its entries left it
 * (store.c). What follows in that prefix can only be project colours, which set what they
 * say: applied again, they change nothing.
 */
static uint64_t
work_applied(const work_t *w)
{
    uint64_t seq = 0;

    for (size_t i = 0; i < w->nprocs; i++)
        if (w->procs[i].updated_seq > seq)
            seq = w->procs[i].updated_seq;
    return seq;
}

/*
 * Registration: every procedure starts blocked, ready or not required. A replay may find it
 * done (the project's row is written with the entry; its procedures and clock may have been
 * held: store.h), or the row alone.
 */
static int
apply_project(engine_t *en, const pm_entry_t *e)
{
    const pm_project_t *p = e->project_info;
    pm_project_t had = {0};
    const tmpl_t *t;
    pm_state_t *states;
    store_proc_t *rows;
    size_t n = 0;
    int rc;

    if (p == NULL || (rc = store_project_get(en->store, p->id, &had)) < 0)
        return -1;
    pm_project_clear(&had);
    if (rc == 1) {
        if (store_procs_load(en->store, p->id, &rows, &n) < 0)
            return -1;
        store_procs_free(rows, n);
        if (n > 0)
            return 0;
    } else if (store_project_put(en->store, p, e->seq) < 0) {
        return -1;
    }
    if (engine_template(en, p->template_name, p->template_version, &t) != 1)
        return -1;
    states = xcalloc(t->def->nprocs, sizeof(pm_state_t));
    for (size_t i = 0; i < t->def->nprocs; i++)
        states[i] = strv_contains(&p->not_required, t->def->procs[i].code) ? PM_STATE_NOT_REQUIRED
                                                                           : PM_STATE_BLOCKED;
    /* Readiness depends only on prerequisites being done or started, which "ready" is not,
     * so one pass over the initial states is exact. */
    rows = xcalloc(t->def->nprocs, sizeof(store_proc_t));
    for (size_t i = 0; i < t->def->nprocs; i++) {
        store_proc_t *row = &rows[i];
        row->code = t->def->procs[i].code;
        row->dept = t->def->procs[i].dept;
        row->state = states[i];
        if (row->state == PM_STATE_BLOCKED && tmpl_satisfied(t, i, states, NULL, NULL))
            row->state = PM_STATE_READY;
        row->updated_seq = e->seq;
        row->updated_ms = e->recv_ms;
    }
    rc = store_procs_create(en->store, p->id, rows, t->def->nprocs);
    free(rows); /* the strings are the template's */
    free(states);
    if (rc == 0) {
        work_t w;
        if (work_load(en, p->id, &w) != 1)
            return -1;
        rc = engine_project_apply(en, &w, e);
        work_clear(&w);
    }
    return rc;
}

/*
 * The fold for one procedure: apply a department event or a derived readiness change to a
 * loaded project and write the row. The live path calls it on the project it validated
 * against; the rebuild loads the project first (apply_procedure).
 */
static int
apply_to_work(engine_t *en, work_t *w, const pm_entry_t *e)
{
    int i = tmpl_index(w->t, e->procedure);
    store_proc_t *p;
    pm_state_t before;

    if (i < 0)
        goto fail;
    p = &w->procs[i];
    before = p->state;
    if (e->kind == PM_KIND_UNBLOCKED) {
        p->state = PM_STATE_READY;
    } else if (e->kind == PM_KIND_BLOCKED) {
        p->state = PM_STATE_BLOCKED;
    } else if (pm_kind_is_event(e->kind)) {
        fsm_cond_t from = {p->state, p->deficient}, to;
        if (fsm_next(from, e->kind, &to) < 0)
            goto fail;
        p->state = to.state;
        p->deficient = to.deficient;
        if (e->kind == PM_KIND_APPROVED && e->cert != NULL)
            xstrset(&p->cert, e->cert);
        if (e->kind == PM_KIND_REOPENED) {
            xstrset(&p->cert, NULL);
            if (!tmpl_satisfied(w->t, (size_t)i, w->states, NULL, NULL))
                p->state = PM_STATE_BLOCKED;
        }
    }
    engine_clock_apply(en, w, (size_t)i, e, before);
    p->updated_seq = e->seq;
    p->updated_ms = e->recv_ms;
    if (work_put(en, w, (size_t)i) == 0 && engine_project_apply(en, w, e) == 0)
        return 0;
fail:
    log_warnx("engine: entry %llu (%s %s %s) cannot be applied", (unsigned long long)e->seq,
              pm_kind_name(e->kind), e->project, e->procedure);
    return -1;
}

/* An entry about a procedure or a project's colour, applied to its project unless the rows
 * have it already (a replay). */
static int
apply_to_project(engine_t *en, const pm_entry_t *e)
{
    work_t w;
    int rc = 0;

    if (work_load(en, e->project, &w) != 1)
        return -1;
    if (e->seq > work_applied(&w))
        rc = e->kind == PM_KIND_PROJECT_COLOUR ? engine_project_apply(en, &w, e)
                                               : apply_to_work(en, &w, e);
    work_clear(&w);
    return rc;
}

int
engine_apply(engine_t *en, const pm_entry_t *e)
{
    switch (e->kind) {
    case PM_KIND_DEPARTMENT:
        return e->department ? store_dept_put(en->store, e->department, e->seq) : -1;
    case PM_KIND_TEMPLATE:
        return e->template
                   ? store_template_put(en->store, e->template->name, e->template->version, e->seq)
                   : -1;
    case PM_KIND_PROJECT:
        return apply_project(en, e);
    case PM_KIND_MILESTONE:
        return store_milestone_put(en->store, e->project, e->milestone, e->seq);
    case PM_KIND_CALENDAR:
        return engine_calendar_apply(en, e);
    case PM_KIND_PROJECT_COLOUR:
        return apply_to_project(en, e);
    case PM_KIND_AGENT_SILENT:
    case PM_KIND_AGENT_BACK:
        return 0; /* news about agents: nothing in the state tables */
    case PM_KIND_ALERT_ACK:
        return 0; /* read by the notifier; nothing in the state tables */
    default:
        if (e->procedure != NULL && (pm_kind_is_event(e->kind) || pm_kind_is_derived(e->kind)))
            return apply_to_project(en, e);
        log_warnx("engine: entry %llu has unknown kind %d", (unsigned long long)e->seq, e->kind);
        return -1;
    }
}

typedef struct replay_ctx {
    engine_t *en;
    uint64_t count;
} replay_ctx_t;

static int
replay_one(void *arg, pm_entry_t *e)
{
    replay_ctx_t *ctx = arg;
    ctx->count++;
    return engine_apply(ctx->en, e);
}

/*
 * Apply the log from entry `from` on to the tables, emptied first with `clear`, in one
 * transaction; the calendar as the entries before `from` made it. Entries whose effect the
 * tables have already change nothing (engine_apply).
 */
static int
replay(engine_t *en, uint64_t from, bool clear, uint64_t *count)
{
    replay_ctx_t ctx = {en, 0};

    engine_forget(en);
    if (store_begin(en->store) < 0)
        return -1;
    /* Synced before the commit: the tables are current when it returns. */
    if ((clear && store_clear_derived(en->store) < 0) || engine_calendar_before(en, from) == NULL ||
        store_walk(en->store, from - 1, replay_one, &ctx) < 0 || store_sync(en->store) < 0)
        goto fail;
    store_replayed(en->store);
    if (store_commit(en->store) < 0)
        goto fail;
    *count = ctx.count;
    return 0;
fail:
    store_rollback(en->store);
    engine_forget(en);
    return -1;
}

int
engine_rebuild(engine_t *en, uint64_t *count)
{
    return replay(en, 1, true, count);
}

int
engine_catch_up(engine_t *en, uint64_t *from, uint64_t *count)
{
    *from = store_replay_from(en->store);
    *count = 0;
    return *from == 0 ? 0 : replay(en, *from, false, count);
}

int
engine_status(engine_t *en, const char *project, int64_t now_ms, pm_status_t **out, pm_reply_t *r)
{
    work_t w;
    pm_status_t *st;
    int rc = work_load(en, project, &w);

    if (rc < 0)
        return -1;
    if (rc == 0) {
        xstrset(&r->id, project);
        return engine_nack(r, PM_REFUSE_UNKNOWN_PROJECT, _("no project %s is registered"), project);
    }
    st = pm_status_new();
    st->project = pm_project_new();
    pm_project_copy(st->project, &w.project);
    for (size_t i = 0; i < w.nprocs; i++) {
        const pm_proctype_t *pt = &w.t->def->procs[i];
        pm_procstatus_t *ps = pm_status_add_proc(st);
        ps->code = xstrdup(pt->code);
        ps->name = xstrdup(pt->name);
        ps->dept = xstrdup(pt->dept);
        ps->group = xstrdup(pt->group);
        ps->state = w.states[i];
        ps->limit_days = pt->limit_days;
        ps->deficient = w.procs[i].deficient;
        ps->cert = xstrdup(w.procs[i].cert);
        ps->updated_seq = w.procs[i].updated_seq;
        ps->updated_ms = w.procs[i].updated_ms;
        engine_clock_status(en, pt, &w.procs[i], now_ms, ps);
        if (w.states[i] == PM_STATE_BLOCKED) {
            size_t *edges = NULL, n = 0;
            tmpl_satisfied(w.t, i, w.states, &edges, &n);
            for (size_t k = 0; k < n; k++) {
                size_t from = w.t->edge_from[edges[k]];
                pm_blocker_t *b = pm_procstatus_add_blocker(ps);
                b->code = xstrdup(w.t->def->procs[from].code);
                b->name = xstrdup(w.t->def->procs[from].name);
                b->dept = xstrdup(w.t->def->procs[from].dept);
                b->state = w.states[from];
                b->parallel = w.t->def->edges[edges[k]].parallel;
            }
            free(edges);
        }
    }
    rc = store_milestones_list(en->store, project, &st->milestones);
    if (rc == 0)
        rc = engine_project_status(en, &w, now_ms, st);
    if (rc == 0)
        engine_critical_path(en, &w, now_ms, st);
    work_clear(&w);
    if (rc < 0) {
        pm_status_destroy(&st);
        return -1;
    }
    *out = st;
    return 0;
}
