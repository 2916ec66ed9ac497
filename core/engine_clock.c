/*
 * engine_clock: the clock's half of the engine (engine_int.h). It keeps the calendar loaded
 * from the log, folds the clock's part of every procedure entry into its row (deadlines,
 * pauses, colours, commitments), derives colour and commitment entries right after an event
 * and, when the broker wakes at the earliest next_ms, for everything that came due since.
 *
 * The fold never looks at the wall clock: transitions are logged with the moment they took
 * effect (at_ms), so a rebuild replays the same rows and a broker that was down catches up
 * with every transition it missed, once each, in order.
 */
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "i18n.h"
#include "log.h"

/* Most due rows looked at in one pass of engine_clock, and passes per call. */
#define CLOCK_BATCH 256
#define CLOCK_PASSES 64

const calendar_t *
engine_calendar(engine_t *en)
{
    return engine_calendar_before(en, UINT64_MAX);
}

const calendar_t *
engine_calendar_before(engine_t *en, uint64_t before)
{
    pm_query_t q = {.limit = 1000, .kind = "calendar"};
    bool more = true, past = false;

    if (en->cal != NULL)
        return en->cal;
    en->cal = calendar_new();
    while (more) {
        pm_page_t pg = {0};
        if (store_entries(en->store, &q, &pg) < 0) {
            calendar_destroy(&en->cal);
            return NULL;
        }
        for (size_t i = 0; i < pg.n; i++) {
            char *reason = NULL;
            past = past || pg.entries[i]->seq >= before;
            if (!past && pg.entries[i]->calendar != NULL &&
                calendar_load_year(en->cal, pg.entries[i]->calendar, &reason) < 0) {
                log_warnx("engine: calendar entry %llu: %s", (unsigned long long)pg.entries[i]->seq,
                          reason);
                free(reason);
            }
            q.after = pg.entries[i]->seq;
            pm_entry_destroy(&pg.entries[i]);
        }
        more = !past && pg.more && pg.n > 0;
        free(pg.entries);
    }
    return en->cal;
}

bool
engine_calendar_known(engine_t *en, int year)
{
    const calendar_t *cal = engine_calendar(en);
    return cal != NULL && calendar_year_known(cal, year);
}

int
engine_calendar_apply(engine_t *en, const pm_entry_t *e)
{
    char *reason = NULL;

    if (e->calendar == NULL || engine_calendar(en) == NULL)
        return -1;
    if (calendar_load_year(en->cal, e->calendar, &reason) < 0) {
        log_warnx("engine: calendar entry %llu: %s", (unsigned long long)e->seq, reason);
        free(reason);
        return -1;
    }
    return 0;
}

static int64_t
day_end(const engine_t *en, int32_t day)
{
    return day == 0 ? 0 : clock_day_end_ms(&en->clock, day);
}

void
engine_clock_apply(engine_t *en, work_t *w, size_t i, const pm_entry_t *e, pm_state_t before)
{
    const clock_cfg_t *cfg = &en->clock;
    const calendar_t *cal = engine_calendar(en);
    const pm_proctype_t *pt = &w->t->def->procs[i];
    store_proc_t *p = &w->procs[i];

    if (cal == NULL)
        return;
    switch (e->kind) {
    case PM_KIND_ACCEPTED:
    case PM_KIND_ACCEPTED_DEFICIENT:
        if (!pm_state_started(before))
            clock_start(cfg, cal, p, pt, e->recv_ms);
        if (e->kind == PM_KIND_ACCEPTED_DEFICIENT) {
            clock_commit(cfg, cal, p, e->recv_ms, e->due_ms);
            xstrset(&p->missing, e->missing);
        }
        break;
    case PM_KIND_SUPPLEMENT_REQUESTED:
        clock_pause(cfg, p, e->recv_ms);
        break;
    case PM_KIND_SUPPLEMENT_RECEIVED:
        clock_resume(cfg, cal, p, pt, e->recv_ms);
        break;
    case PM_KIND_COMMITMENT_FULFILLED:
        p->commit = STORE_COMMIT_NONE;
        break;
    case PM_KIND_APPROVED:
        clock_stop(p);
        if (!p->deficient) /* approved on an open commitment: it is still tracked */
            p->commit = STORE_COMMIT_NONE;
        break;
    case PM_KIND_REJECTED:
    case PM_KIND_WITHDRAWN:
    case PM_KIND_NOT_REQUIRED:
        clock_stop(p);
        p->commit = STORE_COMMIT_NONE;
        break;
    case PM_KIND_REOPENED: {
        /* Undone: the next application starts a clock of its own. */
        char *cert = p->cert;
        const char *code = p->code, *dept = p->dept;
        uint64_t seq = p->updated_seq;
        int64_t ms = p->updated_ms;
        pm_state_t state = p->state;
        free(p->missing);
        memset(p, 0, sizeof(*p));
        p->code = code;
        p->dept = dept;
        p->cert = cert;
        p->state = state;
        p->updated_seq = seq;
        p->updated_ms = ms;
        break;
    }
    case PM_KIND_EXTENDED:
        p->extended += e->days;
        clock_recompute(cfg, cal, p, pt);
        break;
    case PM_KIND_COLOUR:
        p->colour = e->colour;
        break;
    case PM_KIND_DEADLINE:
        p->deadline = clock_day_of(cfg, e->deadline_ms - 1);
        p->statutory = clock_day_of(cfg, e->statutory_ms - 1);
        p->provisional = e->provisional;
        break;
    case PM_KIND_COMMITMENT_DUE:
        p->commit = STORE_COMMIT_REMINDED;
        break;
    case PM_KIND_COMMITMENT_BREACHED:
        p->commit = STORE_COMMIT_BREACHED;
        break;
    default:
        break;
    }
    clock_schedule(cfg, cal, p, pt);
}

/* An entry of the clock about procedure i, with its deadline, commitment and days. */
static pm_entry_t *
clock_entry(engine_t *en, const work_t *w, size_t i, pm_kind_t kind, int64_t at_ms, int64_t now_ms,
            uint64_t cause)
{
    const store_proc_t *p = &w->procs[i];
    pm_entry_t *e = engine_proc_entry(w, kind, i, now_ms);

    e->at_ms = at_ms;
    e->cause = cause;
    e->deadline_ms = day_end(en, p->deadline);
    e->statutory_ms = day_end(en, p->statutory);
    e->provisional = p->provisional;
    if (kind == PM_KIND_COMMITMENT_DUE || kind == PM_KIND_COMMITMENT_BREACHED) {
        e->due_ms = day_end(en, p->commit_due);
        e->missing = xstrdup(p->missing);
    }
    return e;
}

/*
 * Log what the clock says about procedure i at at_ms, compared with its row: a new colour, a
 * commitment coming due or breached. Returns the number of entries, or -1.
 */
static int
clock_transitions(engine_t *en, work_t *w, size_t i, int64_t at_ms, int64_t now_ms, uint64_t cause,
                  entry_list_t *out)
{
    const clock_cfg_t *cfg = &en->clock;
    const calendar_t *cal = engine_calendar(en);
    const pm_proctype_t *pt = &w->t->def->procs[i];
    store_proc_t *p = &w->procs[i];
    int n = 0;
    int32_t days;
    pm_colour_t c;
    store_commit_t cm;

    if (cal == NULL)
        return -1;
    c = clock_colour_at(cfg, cal, p, pt, at_ms, &days);
    if (clock_running(p) && c != p->colour) {
        pm_entry_t *e = clock_entry(en, w, i, PM_KIND_COLOUR, at_ms, now_ms, cause);
        e->colour = c;
        e->days = days;
        if (engine_emit(en, w, &e, out) < 0)
            return -1;
        n++;
    }
    cm = clock_commit_at(cfg, cal, p, at_ms);
    if (p->commit == STORE_COMMIT_OPEN && cm >= STORE_COMMIT_REMINDED) {
        pm_entry_t *e = clock_entry(en, w, i, PM_KIND_COMMITMENT_DUE, at_ms, now_ms, cause);
        if (engine_emit(en, w, &e, out) < 0)
            return -1;
        n++;
    }
    if (p->commit == STORE_COMMIT_REMINDED && cm == STORE_COMMIT_BREACHED) {
        pm_entry_t *e = clock_entry(en, w, i, PM_KIND_COMMITMENT_BREACHED, at_ms, now_ms, cause);
        if (engine_emit(en, w, &e, out) < 0)
            return -1;
        n++;
    }
    return n;
}

int
engine_clock_derive(engine_t *en, work_t *w, size_t i, uint64_t cause, int64_t now_ms,
                    entry_list_t *out)
{
    return clock_transitions(en, w, i, now_ms, now_ms, cause, out) < 0 ? -1 : 0;
}

static bool
project_done(const work_t *w)
{
    for (size_t i = 0; i < w->nprocs; i++)
        if (!pm_state_done(w->states[i]))
            return false;
    return true;
}

int
engine_project_apply(engine_t *en, work_t *w, const pm_entry_t *e)
{
    const calendar_t *cal = engine_calendar(en);
    store_projclock_t *cp = work_clock(en, w), c, old;
    bool done = project_done(w);

    if (cal == NULL || cp == NULL)
        return -1;
    c = old = *cp;
    if (e->kind == PM_KIND_PROJECT && e->project_info != NULL) {
        c.due = clock_project_due(&en->clock, e->project_info, e->recv_ms);
        c.colour = c.due != 0 && !done ? PM_COLOUR_GREEN : PM_COLOUR_NONE;
    } else if (e->kind == PM_KIND_PROJECT_COLOUR) {
        c.colour = e->colour;
    } else if (done) {
        c.colour = PM_COLOUR_NONE; /* every approval in: the due date no longer matters */
    } else if (c.due != 0 && c.colour == PM_COLOUR_NONE) {
        c.colour = PM_COLOUR_GREEN; /* reopened: watched again; a later colour is derived */
    }
    clock_project_schedule(&en->clock, cal, &c, done);
    if (memcmp(&c, &old, sizeof(c)) == 0)
        return 0;
    *cp = c;
    engine_note_next(en, c.next_ms);
    return store_projclock_put(en->store, w->project.id, &c);
}

/* Log the project's colour at at_ms if it differs from its row. */
static int
project_transition(engine_t *en, work_t *w, int64_t at_ms, int64_t now_ms, uint64_t cause,
                   entry_list_t *out)
{
    const calendar_t *cal = engine_calendar(en);
    store_projclock_t c;
    pm_colour_t colour;
    pm_entry_t *e;
    int32_t days;

    if (cal == NULL || work_clock(en, w) == NULL)
        return -1;
    c = w->clock;
    colour = clock_project_colour_at(&en->clock, cal, &c, project_done(w), at_ms, &days);
    if (colour == c.colour || colour == PM_COLOUR_NONE)
        return 0;
    e = pm_entry_new(PM_KIND_PROJECT_COLOUR);
    e->actor = xstrdup("broker");
    e->project = xstrdup(w->project.id);
    e->project_name = xstrdup(w->project.name);
    e->steward = xstrdup(w->project.steward);
    e->recv_ms = now_ms;
    e->at_ms = at_ms;
    e->cause = cause;
    e->colour = colour;
    e->days = days;
    e->deadline_ms = day_end(en, c.due);
    return engine_emit(en, w, &e, out) < 0 ? -1 : 1;
}

int
engine_project_derive(engine_t *en, work_t *w, uint64_t cause, int64_t now_ms, entry_list_t *out)
{
    return project_transition(en, w, now_ms, now_ms, cause, out) < 0 ? -1 : 0;
}

/*
 * One due row: whatever changes at its next_ms is logged; a row whose next_ms brought no
 * change is rescheduled (or stopped) so the clock can never spin on it. *next: the row's
 * next_ms afterwards.
 */
static int
tick_one(engine_t *en, const char *project, const char *procedure, int64_t now_ms,
         entry_list_t *out, int64_t *next)
{
    work_t w;
    int rc = work_load(en, project, &w), n;

    if (rc != 1)
        return -1;
    if (procedure[0] == '\0') {
        store_projclock_t c;
        rc = work_clock(en, &w) != NULL ? 0 : -1;
        if (rc == 0)
            c = w.clock;
        n = rc == 0 ? project_transition(en, &w, c.next_ms, now_ms, 0, out) : -1;
        if (n < 0) {
            rc = -1;
        } else if (n == 0) {
            int64_t was = c.next_ms;
            clock_project_schedule(&en->clock, engine_calendar(en), &c, project_done(&w));
            if (c.next_ms != 0 && c.next_ms <= was)
                c.next_ms = 0;
            rc = store_projclock_put(en->store, project, &c);
            w.clock = c;
        }
        *next = w.clock.next_ms;
    } else {
        int i = tmpl_index(w.t, procedure);
        rc = -1;
        if (i >= 0) {
            int64_t was = w.procs[i].next_ms;
            n = clock_transitions(en, &w, (size_t)i, was, now_ms, 0, out);
            rc = n < 0 ? -1 : 0;
            if (n == 0) {
                clock_schedule(&en->clock, engine_calendar(en), &w.procs[i], &w.t->def->procs[i]);
                if (w.procs[i].next_ms != 0 && w.procs[i].next_ms <= was)
                    w.procs[i].next_ms = 0;
                rc = work_put(en, &w, (size_t)i);
            }
            *next = w.procs[i].next_ms;
        }
    }
    work_clear(&w);
    return rc;
}

/* A row the clock must look at, and when (0: done with it in this pass). */
typedef struct due {
    const char *project;   /* borrowed from the pass's lists */
    const char *procedure; /* "" for the project's own clock */
    int64_t at_ms;
} due_t;

/* When the row next has something to do: its next_ms. 0, or -1 on a failure. */
static int
due_at(engine_t *en, due_t *d)
{
    work_t w;
    int i, rc = 0;

    if (work_load(en, d->project, &w) != 1)
        return -1;
    if (d->procedure[0] == '\0') {
        rc = work_clock(en, &w) != NULL ? 0 : -1;
        d->at_ms = rc == 0 ? w.clock.next_ms : 0;
    } else {
        i = tmpl_index(w.t, d->procedure);
        rc = i >= 0 ? 0 : -1;
        d->at_ms = i >= 0 ? w.procs[i].next_ms : 0;
    }
    work_clear(&w);
    return rc;
}

/* The row to tick next, by (at_ms, project, procedure); NULL when none is left. */
static due_t *
due_first(due_t *v, size_t n)
{
    due_t *best = NULL;

    for (size_t k = 0; k < n; k++) {
        int c;
        if (v[k].at_ms == 0)
            continue;
        if (best == NULL || v[k].at_ms < best->at_ms) {
            best = &v[k];
            continue;
        }
        if (v[k].at_ms > best->at_ms)
            continue;
        c = strcmp(v[k].project, best->project);
        if (c < 0 || (c == 0 && strcmp(v[k].procedure, best->procedure) < 0))
            best = &v[k];
    }
    return best;
}

/*
 * One pass: the rows due by now_ms that the store gave (up to CLOCK_BATCH procedures and as
 * many projects' clocks), ticked in time order across all of them, each as often as it has
 * transitions due, so that a broker catching up after downtime logs what it missed in the
 * order it happened, not row by row. A kind that filled its CLOCK_BATCH may have more rows
 * due, none earlier than its last one given (store_clock_due): the pass stops before any
 * transition later than that, and the next pass asks again. *ticked: how many.
 */
static int
clock_pass(engine_t *en, int64_t now_ms, entry_list_t *out, size_t *ticked)
{
    strv_t projects = {0}, procedures = {0};
    due_t *v = NULL, *d;
    size_t nprocs = 0, nclocks = 0;
    int64_t bound = INT64_MAX, last_proc = 0, last_clock = 0;
    int rc = store_clock_due(en->store, now_ms, CLOCK_BATCH, &projects, &procedures);

    *ticked = 0;
    if (rc == 0 && projects.n > 0)
        v = xcalloc(projects.n, sizeof(due_t));
    for (size_t k = 0; rc == 0 && k < projects.n; k++) {
        v[k].project = projects.v[k];
        v[k].procedure = procedures.v[k];
        rc = due_at(en, &v[k]);
        if (v[k].procedure[0] != '\0') {
            nprocs++;
            last_proc = v[k].at_ms > last_proc ? v[k].at_ms : last_proc;
        } else {
            nclocks++;
            last_clock = v[k].at_ms > last_clock ? v[k].at_ms : last_clock;
        }
    }
    if (nprocs >= CLOCK_BATCH)
        bound = last_proc;
    if (nclocks >= CLOCK_BATCH && last_clock < bound)
        bound = last_clock;
    while (rc == 0 && (d = due_first(v, projects.n)) != NULL && (d->at_ms <= bound)) {
        int64_t was = d->at_ms, next = 0;
        rc = tick_one(en, d->project, d->procedure, now_ms, out, &next);
        /* Again in this pass while it has more due by now; never twice at one moment. */
        d->at_ms = next > was && next <= now_ms ? next : 0;
        (*ticked)++;
    }
    free(v);
    strv_clear(&projects);
    strv_clear(&procedures);
    return rc;
}

int
engine_clock(engine_t *en, int64_t now_ms, entry_list_t *out)
{
    en->next_known = false; /* what is due moves on: ask the store afterwards */
    for (int pass = 0; pass < CLOCK_PASSES; pass++) {
        size_t ticked;
        if (clock_pass(en, now_ms, out, &ticked) < 0)
            return -1;
        if (ticked == 0)
            break;
    }
    return 0;
}

void
engine_note_next(engine_t *en, int64_t next_ms)
{
    if (next_ms != 0 && en->next_known && (en->next_hint == 0 || next_ms < en->next_hint))
        en->next_hint = next_ms;
}

int
engine_clock_next(engine_t *en, int64_t *out_ms)
{
    if (!en->next_known) {
        if (store_clock_next(en->store, &en->next_hint) < 0)
            return -1;
        en->next_known = true;
    }
    *out_ms = en->next_hint;
    return 0;
}

/* Whether two listings of a calendar year say the same. */
static bool
calendar_same(const pm_calendar_t *a, const pm_calendar_t *b)
{
    if (a->year != b->year || a->ndays != b->ndays || a->papers.n != b->papers.n)
        return false;
    for (size_t i = 0; i < a->papers.n; i++)
        if (strcmp(a->papers.v[i], b->papers.v[i]) != 0)
            return false;
    for (size_t i = 0; i < a->ndays; i++)
        if (util_strcmp0(a->days[i].date, b->days[i].date) != 0 ||
            util_strcmp0(a->days[i].name, b->days[i].name) != 0 || a->days[i].off != b->days[i].off)
            return false;
    return true;
}

/* The year as last loaded, from the log. 1 found (*out, caller owns), 0 never, -1 failure. */
static int
calendar_loaded(engine_t *en, uint32_t year, pm_calendar_t **out)
{
    pm_query_t q = {.limit = 1000, .kind = "calendar"};
    bool more = true;

    *out = NULL;
    while (more) {
        pm_page_t pg = {0};
        if (store_entries(en->store, &q, &pg) < 0)
            return -1;
        for (size_t i = 0; i < pg.n; i++) {
            pm_entry_t *e = pg.entries[i];
            if (e->calendar != NULL && e->calendar->year == year) {
                pm_calendar_destroy(out);
                *out = e->calendar;
                e->calendar = NULL;
            }
            q.after = e->seq;
            pm_entry_destroy(&pg.entries[i]);
        }
        more = pg.more && pg.n > 0;
        free(pg.entries);
    }
    return *out != NULL;
}

/* After a calendar year arrived: recompute provisional deadlines, log those that moved. */
static int
derive_deadlines(engine_t *en, uint64_t cause, int64_t now_ms, entry_list_t *out)
{
    strv_t projects = {0};
    int rc = store_provisional_projects(en->store, &projects);

    for (size_t k = 0; rc == 0 && k < projects.n; k++) {
        work_t w;
        if (work_load(en, projects.v[k], &w) != 1) {
            rc = -1;
            break;
        }
        for (size_t i = 0; rc == 0 && i < w.nprocs; i++) {
            store_proc_t *p = &w.procs[i], fresh = *p;
            pm_entry_t *e;
            if (!p->provisional || p->accepted_ms == 0)
                continue;
            clock_recompute(&en->clock, en->cal, &fresh, &w.t->def->procs[i]);
            if (fresh.deadline == p->deadline && fresh.statutory == p->statutory &&
                fresh.provisional == p->provisional)
                continue;
            e = clock_entry(en, &w, i, PM_KIND_DEADLINE, now_ms, now_ms, cause);
            e->deadline_ms = day_end(en, fresh.deadline);
            e->statutory_ms = day_end(en, fresh.statutory);
            e->provisional = fresh.provisional;
            rc = engine_emit(en, &w, &e, out);
            if (rc == 0)
                rc = clock_transitions(en, &w, i, now_ms, now_ms, cause, out) < 0 ? -1 : 0;
        }
        work_clear(&w);
    }
    strv_clear(&projects);
    return rc;
}

int
engine_import_calendar(engine_t *en, const pm_import_t *im, int64_t now_ms, entry_list_t *out,
                       pm_reply_t *r)
{
    const pm_calendar_t *c = im->calendar;
    calendar_t *check = calendar_new();
    pm_calendar_t *old = NULL;
    char *reason = NULL;
    pm_entry_t *e;
    int rc;

    if (c->year < 1970 || c->year > 2200) {
        calendar_destroy(&check);
        return engine_nack(r, PM_REFUSE_INVALID, _("calendar year %u is out of range"), c->year);
    }
    rc = calendar_load_year(check, c, &reason);
    calendar_destroy(&check);
    if (rc < 0) {
        engine_nack(r, PM_REFUSE_INVALID, _("calendar %u: %s"), c->year, reason);
        free(reason);
        return 0;
    }
    rc = calendar_loaded(en, c->year, &old);
    if (rc < 0)
        return -1;
    r->ok = true;
    if (rc == 1 && calendar_same(old, c)) {
        pm_calendar_destroy(&old);
        r->count = 0; /* unchanged: nothing to log */
        return 0;
    }
    pm_calendar_destroy(&old);
    e = pm_entry_new(PM_KIND_CALENDAR);
    e->actor = xstrdup(engine_import_sender(im));
    e->event_id = xstrdup(im->id);
    e->recv_ms = now_ms;
    e->calendar = pm_calendar_dup(c);
    if (engine_emit(en, NULL, &e, out) < 0)
        return -1;
    r->seq = out->v[out->n - 1]->seq;
    r->count = 1;
    return derive_deadlines(en, r->seq, now_ms, out);
}

void
engine_clock_status(engine_t *en, const pm_proctype_t *pt, const store_proc_t *p, int64_t now_ms,
                    pm_procstatus_t *ps)
{
    const calendar_t *cal = engine_calendar(en);

    ps->promised_days = pt->promised_days;
    ps->colour = p->colour;
    ps->deadline_ms = day_end(en, p->deadline);
    ps->statutory_ms = day_end(en, p->statutory);
    ps->provisional = p->provisional;
    ps->paused = p->paused_on != 0;
    if (cal != NULL && clock_running(p))
        clock_colour_at(&en->clock, cal, p, pt, now_ms, &ps->days);
    if (p->commit != STORE_COMMIT_NONE) {
        ps->commitment_ms = day_end(en, p->commit_due);
        ps->missing = xstrdup(p->missing);
    }
}

int
engine_project_status(engine_t *en, const work_t *w, int64_t now_ms, pm_status_t *st)
{
    const calendar_t *cal = engine_calendar(en);
    store_projclock_t c;

    if (cal == NULL || store_projclock_get(en->store, w->project.id, &c) != 1)
        return -1;
    st->colour = c.colour;
    st->due_ms = day_end(en, c.due);
    if (c.colour != PM_COLOUR_NONE)
        clock_project_colour_at(&en->clock, cal, &c, project_done(w), now_ms, &st->days);
    return 0;
}

/* Working days procedure i still needs once it can start, as seen at now_ms. */
static int32_t
remaining_days(engine_t *en, const work_t *w, size_t i, int64_t now_ms)
{
    const store_proc_t *p = &w->procs[i];
    const pm_proctype_t *pt = &w->t->def->procs[i];
    const calendar_t *cal = engine_calendar(en);
    int32_t days = 0;

    if (pm_state_done(w->states[i]))
        return 0;
    if (!pm_state_started(w->states[i]))
        return (int32_t)(pt->promised_days != 0 ? pt->promised_days : pt->limit_days);
    if (cal == NULL || p->deadline == 0)
        return 1;
    if (p->paused_on != 0)
        days = calendar_workdays_between(cal, p->paused_on, p->deadline, NULL);
    else if (clock_colour_at(&en->clock, cal, p, pt, now_ms, &days) == PM_COLOUR_RED)
        days = 1; /* overdue: at least the day it takes to finish */
    return days < 1 ? 1 : days;
}

/*
 * The critical path: the longest remaining chain of working days through the prerequisite
 * graph, so the operator sees which approval to push first. A procedure not yet started can
 * start when its hard prerequisites are done and its parallel ones started; one already
 * started starts now. Edges inside a joint-review group do not count; what any member needs
 * from outside counts for all. Marks each procedure's finish and the chain that sets the end.
 */
void
engine_critical_path(engine_t *en, const work_t *w, int64_t now_ms, pm_status_t *st)
{
    size_t n = w->nprocs;
    int32_t *start = xcalloc(n, sizeof(int32_t)), *finish = xcalloc(n, sizeof(int32_t));
    int32_t *rem = xcalloc(n, sizeof(int32_t));
    int *pred = xcalloc(n, sizeof(int));
    size_t last = 0;

    for (size_t i = 0; i < n; i++) {
        rem[i] = remaining_days(en, w, i, now_ms);
        finish[i] = rem[i];
        pred[i] = -1;
    }
    /* Longest paths in a DAG: n rounds of relaxation are enough (n is a template's size). */
    for (size_t round = 0; round < n; round++) {
        bool changed = false;
        for (size_t e = 0; e < w->t->def->nedges; e++) {
            size_t a = w->t->edge_from[e], to = w->t->edge_to[e];
            int g = w->t->nodes[to].group;
            int32_t ready_at;
            if (g >= 0 && w->t->nodes[a].group == g)
                continue;
            ready_at = w->t->def->edges[e].parallel ? start[a] : finish[a];
            for (size_t k = 0; k < (g >= 0 ? w->t->groups[g].n : 1); k++) {
                size_t b = g >= 0 ? w->t->groups[g].members[k] : to;
                if (pm_state_started(w->states[b]) || ready_at <= start[b])
                    continue;
                start[b] = ready_at;
                finish[b] = start[b] + rem[b];
                pred[b] = (int)a;
                changed = true;
            }
        }
        if (!changed)
            break;
    }
    for (size_t i = 0; i < n; i++)
        if (finish[i] > finish[last])
            last = i;
    st->critical_days = n > 0 ? finish[last] : 0;
    for (size_t i = 0; i < n && i < st->nprocs; i++)
        st->procs[i].finish_days = finish[i];
    if (st->critical_days > 0)
        for (int i = (int)last; i >= 0 && (size_t)i < st->nprocs; i = pred[i])
            st->procs[i].critical = true;
    free(start);
    free(finish);
    free(rem);
    free(pred);
}

typedef struct list_ctx {
    engine_t *en;
    const pm_listreq_t *q;
    int64_t now_ms;
    pm_list_t *list;
    work_t w; /* the project of the last blocked row, loaded once for its rows */
    bool loaded;
} list_ctx_t;

/* A blocked row's blockers (what holds it, and which department holds that). */
static int
list_blockers(list_ctx_t *ctx, const pm_project_t *project, int i, pm_procstatus_t *ps)
{
    size_t *edges = NULL, n = 0;

    if (!ctx->loaded || strcmp(ctx->w.project.id, project->id) != 0) {
        if (ctx->loaded)
            work_clear(&ctx->w);
        ctx->loaded = false;
        if (work_load(ctx->en, project->id, &ctx->w) != 1)
            return -1;
        ctx->loaded = true;
    }
    tmpl_satisfied(ctx->w.t, (size_t)i, ctx->w.states, &edges, &n);
    for (size_t k = 0; k < n; k++) {
        size_t from = ctx->w.t->edge_from[edges[k]];
        pm_blocker_t *b = pm_procstatus_add_blocker(ps);
        b->code = xstrdup(ctx->w.t->def->procs[from].code);
        b->name = xstrdup(ctx->w.t->def->procs[from].name);
        b->dept = xstrdup(ctx->w.t->def->procs[from].dept);
        b->state = ctx->w.states[from];
        b->parallel = ctx->w.t->def->edges[edges[k]].parallel;
    }
    free(edges);
    return 0;
}

/* With --dept, a blocked row belongs to the department that waits or to one that holds it. */
static bool
dept_concerned(const pm_procstatus_t *ps, const char *dept)
{
    if (util_empty(dept) || util_strcmp0(ps->dept, dept) == 0)
        return true;
    for (size_t k = 0; k < ps->nblockers; k++)
        if (util_strcmp0(ps->blockers[k].dept, dept) == 0)
            return true;
    return false;
}

static int
list_row(void *arg, const pm_project_t *project, const store_proc_t *p)
{
    list_ctx_t *ctx = arg;
    const tmpl_t *t;
    pm_listrow_t *row;
    int i;

    if (engine_template(ctx->en, project->template_name, project->template_version, &t) != 1)
        return -1;
    i = tmpl_index(t, p->code);
    if (i < 0)
        return 0; /* a row the template no longer names: nothing to show */
    row = pm_list_add_row(ctx->list);
    row->project = xstrdup(project->id);
    row->project_name = xstrdup(project->name);
    row->region = xstrdup(project->region);
    row->steward = xstrdup(project->steward);
    row->ps.code = xstrdup(p->code);
    row->ps.name = xstrdup(t->def->procs[i].name);
    row->ps.dept = xstrdup(p->dept);
    row->ps.state = p->state;
    row->ps.limit_days = t->def->procs[i].limit_days;
    row->ps.deficient = p->deficient;
    row->ps.updated_seq = p->updated_seq;
    row->ps.updated_ms = p->updated_ms;
    engine_clock_status(ctx->en, &t->def->procs[i], p, ctx->now_ms, &row->ps);
    if (ctx->q->blocked) {
        if (list_blockers(ctx, project, i, &row->ps) < 0)
            return -1;
        if (!dept_concerned(&row->ps, ctx->q->dept)) {
            /* Not this department's business: drop the row just built. */
            pm_listrow_t *last = &ctx->list->rows[--ctx->list->n];
            free(last->project);
            free(last->project_name);
            free(last->region);
            free(last->steward);
            pm_procstatus_clear(&last->ps);
        }
    }
    return 0;
}

int
engine_list(engine_t *en, const pm_listreq_t *q, int64_t now_ms, pm_list_t **out)
{
    list_ctx_t ctx = {.en = en, .q = q, .now_ms = now_ms, .list = xcalloc(1, sizeof(pm_list_t))};
    int rc;

    ctx.list->now_ms = now_ms;
    rc = store_colour_walk(en->store, q, list_row, &ctx);
    if (ctx.loaded)
        work_clear(&ctx.w);
    if (rc < 0) {
        pm_list_destroy(&ctx.list);
        return -1;
    }
    *out = ctx.list;
    return 0;
}

int
engine_agent(engine_t *en, const char *dept, pm_kind_t kind, int64_t now_ms, int64_t last_heard_ms,
             entry_list_t *out)
{
    pm_entry_t *e = pm_entry_new(kind);

    e->actor = xstrdup("broker");
    e->dept = xstrdup(dept);
    e->recv_ms = now_ms;
    e->at_ms = last_heard_ms;
    return engine_emit(en, NULL, &e, out);
}
