/*
 * Unit tests of the clock on a real store and engine with the official 2026 calendar:
 * deadlines across the Spring Festival, yellow and red logged once at the moment they take
 * effect, catching up after downtime, supplement pauses, commitments, provisional deadlines
 * recomputed when a year's calendar arrives, project due dates, late events, the agent watch,
 * and a rebuild that reproduces every clock column.
 */
#include <jansson.h>

#include "engine_fixture.h"
#include "watch.h"

static int64_t
at(const char *when)
{
    int64_t ms = 0;
    if (util_parse_time(when, &ms) < 0)
        fail_msg("bad time in the test: %s", when);
    return ms;
}

/* Read a holiday-cn file shipped in deploy/calendar into an import (caller owns). */
static pm_calendar_t *
read_year(int year)
{
    char path[512];
    json_error_t err;
    json_t *root, *v;
    pm_calendar_t *c = pm_calendar_new();
    size_t i;

    snprintf(path, sizeof(path), "%s/%d.json", HOLIDAY_DIR, year);
    root = json_load_file(path, 0, &err);
    if (root == NULL)
        fail_msg("%s: %s", path, err.text);
    c->year = (uint32_t)year;
    json_array_foreach(json_object_get(root, "papers"), i, v)
        strv_push(&c->papers, json_string_value(v));
    json_array_foreach(json_object_get(root, "days"), i, v)
    {
        pm_calday_t *d = pm_calendar_add_day(c);
        d->date = xstrdup(json_string_value(json_object_get(v, "date")));
        d->name = xstrdup(json_string_value(json_object_get(v, "name")));
        d->off = json_is_true(json_object_get(v, "isOffDay"));
    }
    json_decref(root);
    return c;
}

static void
import_calendar(fix_t *f, pm_calendar_t *c)
{
    pm_msg_t *m = pm_msg_new(PM_MSG_IMPORT);

    m->import = xcalloc(1, sizeof(pm_import_t));
    m->import->id = xasprintf("calendar-%d", f->next_id++);
    m->import->calendar = c;
    submit(f, &m);
    expect_ack(f);
}

/* Run the clock up to `when`, as the broker does when it wakes. */
static void
tick(fix_t *f, const char *when)
{
    entry_list_clear(&f->out);
    f->now = at(when);
    assert_int_equal(store_begin(f->s), 0);
    assert_int_equal(engine_clock(f->en, f->now, &f->out), 0);
    assert_int_equal(store_commit(f->s), 0);
}

/* The status row of one procedure (caller clears). */
static void
proc_status(fix_t *f, const char *project, const char *code, pm_procstatus_t *out)
{
    pm_status_t *st = NULL;
    pm_reply_t r = {0};

    assert_int_equal(engine_status(f->en, project, f->now, &st, &r), 0);
    assert_non_null(st);
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < st->nprocs; i++)
        if (strcmp(st->procs[i].code, code) == 0)
            pm_procstatus_copy(out, &st->procs[i]);
    pm_status_destroy(&st);
    assert_non_null(out->code);
}

static void
assert_entry(const pm_entry_t *e, pm_kind_t kind, const char *procedure, pm_colour_t colour,
             const char *effective, int32_t days)
{
    assert_int_equal(e->kind, kind);
    if (procedure != NULL)
        assert_string_equal(e->procedure, procedure);
    assert_int_equal(e->colour, colour);
    assert_int_equal(e->at_ms, at(effective));
    assert_int_equal(e->days, days);
}

static int
clock_setup(void **state)
{
    fix_t *f;

    setup(state);
    f = *state;
    import_calendar(f, read_year(2026));
    return 0;
}

static void
accept(fix_t *f, const char *dept, const char *procedure, const char *when)
{
    f->now = at(when);
    event(f, dept, "TL-2026-001", procedure, PM_KIND_ACCEPTED, NULL);
    expect_ack(f);
}

static void
test_deadline_across_spring_festival(void **state)
{
    fix_t *f = *state;
    pm_procstatus_t ps;

    /* Thursday 12 February; 14 and 28 February are make-up Saturdays, 15-23 are off:
     * 13, 14, 24, 25, 26, 27, 28 February, 2, 3, 4 March are the ten working days. */
    accept(f, "EEB", "EIA", "2026-02-12T09:00:00+08:00");
    proc_status(f, "TL-2026-001", "EIA", &ps);
    assert_int_equal(ps.deadline_ms, at("2026-03-05T00:00:00+08:00"));
    assert_int_equal(ps.statutory_ms, ps.deadline_ms);
    assert_int_equal(ps.colour, PM_COLOUR_GREEN);
    assert_false(ps.provisional);
    assert_int_equal(ps.days, 11); /* 12 February itself counts as a day left */
    pm_procstatus_clear(&ps);

    tick(f, "2026-03-02T18:00:00+08:00");
    assert_int_equal(f->out.n, 0);
    /* Two working days left (20% of 10): yellow from the start of 3 March. */
    tick(f, "2026-03-03T08:30:00+08:00");
    assert_int_equal(f->out.n, 1);
    assert_entry(f->out.v[0], PM_KIND_COLOUR, "EIA", PM_COLOUR_YELLOW, "2026-03-03T00:00:00+08:00",
                 2);
    assert_int_equal(f->out.v[0]->deadline_ms, at("2026-03-05T00:00:00+08:00"));
    tick(f, "2026-03-04T17:00:00+08:00");
    assert_int_equal(f->out.n, 0);
    tick(f, "2026-03-05T00:00:01+08:00");
    assert_int_equal(f->out.n, 1);
    assert_entry(f->out.v[0], PM_KIND_COLOUR, "EIA", PM_COLOUR_RED, "2026-03-05T00:00:00+08:00", 1);
    /* Red stays red: nothing repeats while the colour holds. */
    tick(f, "2026-03-10T09:00:00+08:00");
    assert_int_equal(f->out.n, 0);
    proc_status(f, "TL-2026-001", "EIA", &ps);
    assert_int_equal(ps.colour, PM_COLOUR_RED);
    assert_int_equal(ps.days, 4); /* 5, 6, 9, 10 March */
    pm_procstatus_clear(&ps);
    /* Approval stops the clock. */
    event(f, "EEB", "TL-2026-001", "EIA", PM_KIND_APPROVED, NULL);
    proc_status(f, "TL-2026-001", "EIA", &ps);
    assert_int_equal(ps.colour, PM_COLOUR_NONE);
    pm_procstatus_clear(&ps);
    assert_int_equal(engine_clock_next(f->en, &f->now), 0);
    assert_int_equal(f->now, 0);
}

static void
test_catch_up_after_downtime(void **state)
{
    fix_t *f = *state;

    accept(f, "EEB", "EIA", "2026-02-12T09:00:00+08:00");
    /* The broker was down from before yellow to after red: both, once each, in order. */
    tick(f, "2026-03-12T10:00:00+08:00");
    assert_int_equal(f->out.n, 2);
    assert_entry(f->out.v[0], PM_KIND_COLOUR, "EIA", PM_COLOUR_YELLOW, "2026-03-03T00:00:00+08:00",
                 2);
    assert_entry(f->out.v[1], PM_KIND_COLOUR, "EIA", PM_COLOUR_RED, "2026-03-05T00:00:00+08:00", 1);
    assert_true(f->out.v[0]->seq < f->out.v[1]->seq);
    assert_int_equal(f->out.v[1]->recv_ms, at("2026-03-12T10:00:00+08:00"));
    tick(f, "2026-03-12T10:00:01+08:00");
    assert_int_equal(f->out.n, 0);
}

/* Catching up, what two procedures missed comes out in time order across both, not row by row:
 * EIA turns yellow (3 March) and red (5 March) before LAND_PREREVIEW turns yellow (9 March). */
static void
test_catch_up_in_order_across_procedures(void **state)
{
    fix_t *f = *state;
    static const struct {
        const char *procedure;
        pm_colour_t colour;
        const char *at;
    } want[] = {
        {"EIA", PM_COLOUR_YELLOW, "2026-03-03T00:00:00+08:00"},
        {"EIA", PM_COLOUR_RED, "2026-03-05T00:00:00+08:00"},
        {"LAND_PREREVIEW", PM_COLOUR_YELLOW, "2026-03-09T00:00:00+08:00"},
        {"LAND_PREREVIEW", PM_COLOUR_RED, "2026-03-10T00:00:00+08:00"},
    };
    size_t k = 0;

    accept(f, "EEB", "EIA", "2026-02-12T09:00:00+08:00");
    /* Five working days from the day after Monday 2 March: 3-6 and 9 March. */
    accept(f, "NRB", "LAND_PREREVIEW", "2026-03-02T09:00:00+08:00");
    tick(f, "2026-03-12T10:00:00+08:00");
    for (size_t i = 0; i < f->out.n; i++) {
        const pm_entry_t *e = f->out.v[i];
        if (i > 0)
            assert_true(f->out.v[i - 1]->at_ms <= e->at_ms);
        if (e->kind != PM_KIND_COLOUR)
            continue;
        assert_true(k < sizeof(want) / sizeof(want[0]));
        assert_string_equal(e->procedure, want[k].procedure);
        assert_int_equal(e->colour, want[k].colour);
        assert_int_equal(e->at_ms, at(want[k].at));
        k++;
    }
    assert_int_equal(k, sizeof(want) / sizeof(want[0]));
}

static void
test_supplement_pause_extends(void **state)
{
    fix_t *f = *state;
    pm_procstatus_t ps;

    /* Monday 2 March: ten working days end on Monday 16 March. */
    accept(f, "EEB", "EIA", "2026-03-02T09:00:00+08:00");
    proc_status(f, "TL-2026-001", "EIA", &ps);
    assert_int_equal(ps.deadline_ms, at("2026-03-17T00:00:00+08:00"));
    pm_procstatus_clear(&ps);
    f->now = at("2026-03-04T15:00:00+08:00");
    event(f, "EEB", "TL-2026-001", "EIA", PM_KIND_SUPPLEMENT_REQUESTED, NULL);
    expect_ack(f);
    proc_status(f, "TL-2026-001", "EIA", &ps);
    assert_true(ps.paused);
    pm_procstatus_clear(&ps);
    /* Paused: no colour while the applicant gathers material. */
    tick(f, "2026-03-09T08:00:00+08:00");
    assert_int_equal(f->out.n, 0);
    /* Resumed on Monday 9 March: 5, 6 and 9 March did not count. */
    f->now = at("2026-03-09T11:00:00+08:00");
    event(f, "EEB", "TL-2026-001", "EIA", PM_KIND_SUPPLEMENT_RECEIVED, NULL);
    expect_ack(f);
    proc_status(f, "TL-2026-001", "EIA", &ps);
    assert_false(ps.paused);
    assert_int_equal(ps.deadline_ms, at("2026-03-20T00:00:00+08:00"));
    assert_int_equal(ps.statutory_ms, ps.deadline_ms);
    assert_int_equal(ps.colour, PM_COLOUR_GREEN);
    pm_procstatus_clear(&ps);
    tick(f, "2026-03-18T09:00:00+08:00");
    assert_int_equal(f->out.n, 1);
    assert_entry(f->out.v[0], PM_KIND_COLOUR, "EIA", PM_COLOUR_YELLOW, "2026-03-18T00:00:00+08:00",
                 2);
}

static void
test_commitment_reminded_then_breached(void **state)
{
    fix_t *f = *state;
    pm_msg_t *m = pm_msg_new(PM_MSG_EVENT);
    pm_procstatus_t ps;

    /* FOREST_USE is still blocked: acceptance with deficiency takes it in on a promise. */
    f->now = at("2026-03-02T10:00:00+08:00");
    m->entry = pm_entry_new(PM_KIND_ACCEPTED_DEFICIENT);
    m->entry->event_id = xstrdup("deficient-1");
    m->entry->dept = xstrdup("FGB");
    m->entry->project = xstrdup("TL-2026-001");
    m->entry->procedure = xstrdup("FOREST_USE");
    m->entry->missing = xstrdup("用地预审意见");
    m->entry->due_ms = at("2026-03-06T12:00:00+08:00");
    submit(f, &m);
    expect_ack(f);
    proc_status(f, "TL-2026-001", "FOREST_USE", &ps);
    assert_int_equal(ps.commitment_ms, at("2026-03-07T00:00:00+08:00"));
    assert_string_equal(ps.missing, "用地预审意见");
    pm_procstatus_clear(&ps);

    tick(f, "2026-03-04T23:00:00+08:00");
    assert_int_equal(f->out.n, 0);
    tick(f, "2026-03-05T09:00:00+08:00"); /* one working day before it is due */
    assert_int_equal(f->out.n, 1);
    assert_int_equal(f->out.v[0]->kind, PM_KIND_COMMITMENT_DUE);
    assert_int_equal(f->out.v[0]->at_ms, at("2026-03-05T00:00:00+08:00"));
    assert_string_equal(f->out.v[0]->missing, "用地预审意见");
    tick(f, "2026-03-07T09:00:00+08:00"); /* Saturday: not yet a working day after */
    assert_int_equal(f->out.n, 0);
    tick(f, "2026-03-09T08:00:00+08:00");
    assert_int_equal(f->out.n, 1);
    assert_int_equal(f->out.v[0]->kind, PM_KIND_COMMITMENT_BREACHED);
    assert_int_equal(f->out.v[0]->at_ms, at("2026-03-09T00:00:00+08:00"));
    assert_int_equal(f->out.v[0]->due_ms, at("2026-03-07T00:00:00+08:00"));
    tick(f, "2026-03-10T08:00:00+08:00");
    assert_int_equal(f->out.n, 0);
    /* Supplied late, but supplied: the commitment closes. */
    event(f, "FGB", "TL-2026-001", "FOREST_USE", PM_KIND_COMMITMENT_FULFILLED, NULL);
    expect_ack(f);
    proc_status(f, "TL-2026-001", "FOREST_USE", &ps);
    assert_int_equal(ps.commitment_ms, 0);
    assert_int_equal(ps.state, PM_STATE_ACCEPTED);
    pm_procstatus_clear(&ps);
}

/* Year 2027 with New Year's Day off (caller owns). */
static pm_calendar_t *
year_2027(void)
{
    pm_calendar_t *y = pm_calendar_new();
    pm_calday_t *d;

    y->year = 2027;
    strv_push(&y->papers, "国务院办公厅关于2027年部分节假日安排的通知");
    d = pm_calendar_add_day(y);
    d->date = xstrdup("2027-01-01");
    d->name = xstrdup("元旦");
    d->off = true;
    return y;
}

/* HA-2026-001, to start in the first half of 2026: all approvals due by 31 March. */
static void
register_h1_project(fix_t *f)
{
    pm_msg_t *m = pm_msg_new(PM_MSG_IMPORT);
    pm_project_t *p;

    m->import = xcalloc(1, sizeof(pm_import_t));
    m->import->id = xstrdup("h1-project");
    p = pm_import_add_project(m->import);
    p->id = xstrdup("HA-2026-001");
    p->name = xstrdup("乌兰浩特市上半年开工项目");
    p->start_half = 1;
    p->year = 2026;
    submit(f, &m);
    expect_ack(f);
}

static void
test_provisional_until_the_year_arrives(void **state)
{
    fix_t *f = *state;
    pm_procstatus_t ps;

    /* Thursday 24 December 2026: the count runs into 2027, whose arrangement is unknown. */
    accept(f, "EEB", "EIA", "2026-12-24T10:00:00+08:00");
    proc_status(f, "TL-2026-001", "EIA", &ps);
    assert_true(ps.provisional);
    assert_int_equal(ps.deadline_ms, at("2027-01-08T00:00:00+08:00")); /* 1 Jan counted */
    pm_procstatus_clear(&ps);
    /* 2027 arrives with New Year's Day off. */
    f->now = at("2026-12-28T09:00:00+08:00");
    import_calendar(f, year_2027());
    assert_int_equal(count_out(f, PM_KIND_DEADLINE, "EIA"), 1);
    proc_status(f, "TL-2026-001", "EIA", &ps);
    assert_false(ps.provisional);
    assert_int_equal(ps.deadline_ms, at("2027-01-09T00:00:00+08:00"));
    pm_procstatus_clear(&ps);
    /* The same year again changes nothing and logs nothing. */
    import_calendar(f, year_2027());
    assert_int_equal(f->reply.count, 0);
    assert_int_equal(f->out.n, 0);
}

static void
test_project_due_date(void **state)
{
    fix_t *f = *state;
    pm_status_t *st = NULL;
    pm_reply_t r = {0};

    f->now = at("2026-03-02T09:00:00+08:00");
    register_h1_project(f);
    /* All approvals by 31 March: yellow with ten working days left (from 18 March). */
    tick(f, "2026-03-17T20:00:00+08:00");
    assert_int_equal(count_out(f, PM_KIND_PROJECT_COLOUR, NULL), 0);
    tick(f, "2026-03-18T09:00:00+08:00");
    assert_int_equal(f->out.n, 1);
    assert_entry(f->out.v[0], PM_KIND_PROJECT_COLOUR, NULL, PM_COLOUR_YELLOW,
                 "2026-03-18T00:00:00+08:00", 10);
    assert_string_equal(f->out.v[0]->project, "HA-2026-001");
    tick(f, "2026-04-01T09:00:00+08:00");
    assert_int_equal(f->out.n, 1);
    assert_entry(f->out.v[0], PM_KIND_PROJECT_COLOUR, NULL, PM_COLOUR_RED,
                 "2026-04-01T00:00:00+08:00", 1);
    assert_int_equal(engine_status(f->en, "HA-2026-001", f->now, &st, &r), 0);
    assert_int_equal(st->colour, PM_COLOUR_RED);
    assert_int_equal(st->due_ms, at("2026-04-01T00:00:00+08:00"));
    pm_status_destroy(&st);
    /* A project without a planned start has no due date. */
    assert_int_equal(engine_status(f->en, "TL-2026-001", f->now, &st, &r), 0);
    assert_int_equal(st->colour, PM_COLOUR_NONE);
    assert_int_equal(st->due_ms, 0);
    pm_status_destroy(&st);
}

static void
test_late_event_flagged(void **state)
{
    fix_t *f = *state;
    pm_msg_t *m = pm_msg_new(PM_MSG_EVENT);

    f->now = at("2026-03-10T09:00:00+08:00");
    m->entry = pm_entry_new(PM_KIND_ACCEPTED);
    m->entry->event_id = xstrdup("entered-after-the-fact");
    m->entry->dept = xstrdup("EEB");
    m->entry->project = xstrdup("TL-2026-001");
    m->entry->procedure = xstrdup("EIA");
    m->entry->event_ms = at("2026-03-06T16:00:00+08:00");
    submit(f, &m);
    expect_ack(f);
    assert_true(f->out.v[0]->late);
    /* The log's order is the broker's; the claimed time is data, and the clock runs from
     * arrival. */
    assert_int_equal(f->out.v[0]->recv_ms, f->now);
    m = pm_msg_new(PM_MSG_EVENT);
    m->entry = pm_entry_new(PM_KIND_ACCEPTED);
    m->entry->event_id = xstrdup("on-time");
    m->entry->dept = xstrdup("WRB");
    m->entry->project = xstrdup("TL-2026-001");
    m->entry->procedure = xstrdup("SOIL_WATER");
    m->entry->event_ms = f->now - 3600 * 1000;
    submit(f, &m);
    expect_ack(f);
    assert_false(f->out.v[0]->late);
}

static void
test_agent_watch(void **state)
{
    fix_t *f = *state;
    watch_t *w = watch_new();
    int64_t t0 = at("2026-03-10T09:00:00+08:00");

    assert_int_equal(store_begin(f->s), 0);
    entry_list_clear(&f->out);
    assert_int_equal(watch_next(w, 60000), 0); /* nobody heard yet: nothing to watch */
    assert_int_equal(watch_heard(w, f->en, "NRB", true, t0, &f->out), 0);
    assert_int_equal(watch_next(w, 60000), t0 + 60001);
    assert_int_equal(watch_check(w, f->en, t0 + 60000, 60000, &f->out), 0);
    assert_int_equal(f->out.n, 0);
    assert_int_equal(watch_check(w, f->en, t0 + 60001, 60000, &f->out), 0);
    assert_int_equal(watch_check(w, f->en, t0 + 90000, 60000, &f->out), 0);
    assert_int_equal(f->out.n, 1); /* silent once, not once per check */
    assert_int_equal(f->out.v[0]->kind, PM_KIND_AGENT_SILENT);
    assert_string_equal(f->out.v[0]->dept, "NRB");
    assert_int_equal(f->out.v[0]->at_ms, t0);
    assert_int_equal(watch_heard(w, f->en, "NRB", false, t0 + 120000, &f->out), 0);
    assert_int_equal(f->out.n, 2);
    assert_int_equal(f->out.v[1]->kind, PM_KIND_AGENT_BACK);
    assert_int_equal(store_commit(f->s), 0);
    watch_commit(w);

    /* A silence logged in a transaction that is rolled back is logged again next time. */
    assert_int_equal(store_begin(f->s), 0);
    entry_list_clear(&f->out);
    assert_int_equal(watch_check(w, f->en, t0 + 200000, 60000, &f->out), 0);
    assert_int_equal(f->out.n, 1);
    assert_int_equal(store_rollback(f->s), 0);
    engine_forget(f->en);
    watch_rollback(w);
    assert_int_equal(store_begin(f->s), 0);
    entry_list_clear(&f->out);
    assert_int_equal(watch_check(w, f->en, t0 + 210000, 60000, &f->out), 0);
    assert_int_equal(f->out.n, 1);
    assert_int_equal(f->out.v[0]->kind, PM_KIND_AGENT_SILENT);
    assert_int_equal(store_commit(f->s), 0);
    watch_commit(w);
    watch_destroy(&w);
}

static void
test_rebuild_reproduces_the_clock(void **state)
{
    fix_t *f = *state;
    uint64_t count;
    char *live, *rebuilt;

    accept(f, "EEB", "EIA", "2026-02-12T09:00:00+08:00");
    accept(f, "WRB", "SOIL_WATER", "2026-02-26T09:00:00+08:00");
    f->now = at("2026-03-02T09:00:00+08:00");
    event(f, "WRB", "TL-2026-001", "SOIL_WATER", PM_KIND_SUPPLEMENT_REQUESTED, NULL);
    tick(f, "2026-03-05T09:00:00+08:00");
    assert_true(count_out(f, PM_KIND_COLOUR, "EIA") == 2);
    assert_int_equal(store_sync(f->s), 0); /* rows held past their commit reach the tables */
    live = dump_state(f->path);
    assert_int_equal(engine_rebuild(f->en, &count), 0);
    rebuilt = dump_state(f->path);
    assert_string_equal(live, rebuilt);
    assert_non_null(strstr(live, "red"));
    free(live);
    free(rebuilt);
    /* And the rebuilt clock carries on from where it was: nothing new is due. */
    tick(f, "2026-03-05T09:00:01+08:00");
    assert_int_equal(f->out.n, 0);
}

/* The tables as a broker that opens the database now leaves them once it caught up. */
static char *
caught_up_state(fix_t *f, uint64_t *from, uint64_t *count)
{
    char *err = NULL, *out;
    store_t *s = store_open(f->path, &err);
    engine_t *en;

    assert_non_null(s);
    en = engine_new(s, NULL);
    assert_int_equal(engine_catch_up(en, from, count), 0);
    assert_int_equal(store_replay_from(s), 0);
    out = dump_state(f->path);
    engine_destroy(&en);
    store_close(&s);
    return out;
}

/*
 * A broker that stops while it holds rows past their commits (a crash) leaves the tables
 * behind the log. The next one replays only the entries from the first change it held, skips
 * what the tables have (a registration's row, written with its entry) and ends with the
 * tables the live broker writes: events, a registration, a project's colour, deadlines moved
 * by a calendar year that arrived inside that stretch. Replaying the whole log over tables
 * that have it all (what an older broker's mark asks for) changes nothing.
 */
static void
test_catch_up_replays_what_was_held(void **state)
{
    fix_t *f = *state;
    uint64_t synced, from = 0, count = 0;
    char *live, *caught;
    sqlite3 *db;

    f->now = at("2026-03-02T09:00:00+08:00");
    register_h1_project(f);
    accept(f, "EEB", "EIA", "2026-03-02T10:00:00+08:00");
    assert_int_equal(store_sync(f->s), 0);
    assert_false(store_holding(f->s));
    synced = store_committed_head(f->s);

    /* Held from here on: what the first entry did (a colour) is still what the tables lack
     * at the end. */
    tick(f, "2026-03-18T09:00:00+08:00"); /* the project turns yellow */
    assert_int_equal(count_out(f, PM_KIND_PROJECT_COLOUR, NULL), 1);
    f->now = at("2026-12-24T10:00:00+08:00");
    event(f, "WRB", "TL-2026-001", "SOIL_WATER", PM_KIND_ACCEPTED, NULL); /* runs into 2027 */
    expect_ack(f);
    import_project(f, "TL-2026-002", "通辽市开鲁县光伏治沙项目", "RELICS");
    expect_ack(f);
    event(f, "EEB", "TL-2026-002", "EIA", PM_KIND_ACCEPTED, NULL);
    expect_ack(f);
    f->now = at("2026-12-28T09:00:00+08:00");
    import_calendar(f, year_2027());
    assert_int_equal(count_out(f, PM_KIND_DEADLINE, NULL), 2);
    assert_true(store_holding(f->s));

    /* A crash here: another broker opens the database as the commits left it. */
    caught = caught_up_state(f, &from, &count);
    /* From the first held change (later if the oldest rows went out on a slow machine). */
    assert_true(from > synced && from <= store_head(f->s));
    assert_int_equal(count, store_head(f->s) - from + 1);
    assert_int_equal(store_sync(f->s), 0);
    live = dump_state(f->path);
    assert_string_equal(live, caught);
    assert_non_null(strstr(live, "TL-2026-002"));
    assert_non_null(strstr(live, "|yellow|"));
    free(caught);

    /* The mark of an older broker ("behind", no entry): the whole log, over current tables. */
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "UPDATE meta SET value = 'behind' WHERE key = 'derived';"
                                  "DELETE FROM meta WHERE key = 'replay_from'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    caught = caught_up_state(f, &from, &count);
    assert_int_equal(from, 1);
    assert_int_equal(count, store_head(f->s));
    assert_string_equal(live, caught);
    free(caught);
    free(live);
}

static void
test_lawful_extension_moves_the_deadline(void **state)
{
    fix_t *f = *state;
    pm_msg_t *m = pm_msg_new(PM_MSG_EVENT);
    pm_procstatus_t ps;

    accept(f, "EEB", "EIA", "2026-02-12T09:00:00+08:00");
    tick(f, "2026-03-05T09:00:00+08:00");
    assert_int_equal(count_out(f, PM_KIND_COLOUR, "EIA"), 2); /* yellow, then red */
    /* Five more working days (5, 6, 9, 10, 11 March): green again, logged as a change. */
    m->entry = pm_entry_new(PM_KIND_EXTENDED);
    m->entry->event_id = xstrdup("extension-1");
    m->entry->actor = xstrdup("operator:李工");
    m->entry->project = xstrdup("TL-2026-001");
    m->entry->procedure = xstrdup("EIA");
    m->entry->note = xstrdup("依法延长审查期限（专家论证）");
    m->entry->days = 5;
    submit(f, &m);
    expect_ack(f);
    assert_int_equal(f->out.n, 2);
    assert_int_equal(f->out.v[1]->kind, PM_KIND_COLOUR);
    assert_int_equal(f->out.v[1]->colour, PM_COLOUR_GREEN);
    proc_status(f, "TL-2026-001", "EIA", &ps);
    assert_int_equal(ps.deadline_ms, at("2026-03-12T00:00:00+08:00"));
    assert_int_equal(ps.colour, PM_COLOUR_GREEN);
    pm_procstatus_clear(&ps);
    /* The clock runs on from the new deadline. */
    tick(f, "2026-03-10T08:00:00+08:00");
    assert_int_equal(f->out.n, 1);
    assert_entry(f->out.v[0], PM_KIND_COLOUR, "EIA", PM_COLOUR_YELLOW, "2026-03-10T00:00:00+08:00",
                 2);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, clock_setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_deadline_across_spring_festival),
        T(test_catch_up_after_downtime),
        T(test_catch_up_in_order_across_procedures),
        T(test_supplement_pause_extends),
        T(test_commitment_reminded_then_breached),
        T(test_provisional_until_the_year_arrives),
        T(test_project_due_date),
        T(test_late_event_flagged),
        T(test_agent_watch),
        T(test_rebuild_reproduces_the_clock),
        T(test_catch_up_replays_what_was_held),
        T(test_lawful_extension_moves_the_deadline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
