/*
 * report: the weekly report (report.h). Two halves: report_build() replays the log into a
 * scratch store and reads the figures into one JSON document; report_render() turns that
 * document into Markdown, CSV, JSON or a self-contained HTML page. The renderers compute
 * nothing: a figure exists once, in the document, and every format prints it the same way
 * (integers as they are, reals with one decimal).
 */
#define _GNU_SOURCE
#include "report.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "csvout.h"
#include "log.h"
#include "store.h"
#include "store_view.h"
#include "util.h"
#include "zone.h"

/* The states and colours in the order reports list them. */
static const char *const colours[] = {"red", "yellow", "green"};
static const char *const colour_labels[] = {"红 red (overdue)", "黄 yellow (close)",
                                            "绿 green (on track)"};
static const char *const colour_fill[] = {"#d9342b", "#f2b01e", "#2e9e4f"};

static const char *const by_names[REPORT_BY__COUNT] = {"region", "department", "industry"};
static const char *const by_labels[REPORT_BY__COUNT] = {"旗县市区 region", "部门 department",
                                                        "行业 industry"};
static const char *const format_names[REPORT_FMT__COUNT] = {"md", "csv", "json", "html", "xlsx"};

void
report_opts_defaults(report_opts_t *opts)
{
    memset(opts, 0, sizeof(*opts));
    engine_cfg_defaults(&opts->engine);
    opts->by = REPORT_BY_REGION;
    opts->weeks = 8;
    opts->top = 10;
}

int
report_by_parse(const char *s, report_by_t *out)
{
    for (int i = 0; i < REPORT_BY__COUNT; i++) {
        if (s != NULL && strcmp(s, by_names[i]) == 0) {
            *out = (report_by_t)i;
            return 0;
        }
    }
    return -1;
}

const char *
report_by_name(report_by_t by)
{
    return (unsigned)by < REPORT_BY__COUNT ? by_names[by] : "?";
}

int
report_format_parse(const char *s, report_format_t *out)
{
    for (int i = 0; i < REPORT_FMT__COUNT; i++) {
        if (s != NULL && strcmp(s, format_names[i]) == 0) {
            *out = (report_format_t)i;
            return 0;
        }
    }
    return -1;
}

/* ---- building ------------------------------------------------------------------------- */

/* The replay: the scratch store and engine, and what the report keeps on the side. */
typedef struct replay {
    store_t *mem;
    engine_t *en;
    calendar_t *cal;    /* the log's calendar years, for working days of the report's own */
    store_view_t *view; /* the figures of the scratch store */
    const report_opts_t *opts;
    int64_t as_of_ms;
    int64_t *marks; /* the trend's moments, ascending; the last is as_of_ms */
    int nmarks;
    int next_mark;
    json_t *trend;
    uint64_t entries; /* entries replayed */
    uint64_t last_seq;
    bool past; /* an entry after as_of_ms was reached: the rest is the future */
    char *err;
} replay_t;

static int replay_fail(replay_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
replay_fail(replay_t *r, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    if (r->err != NULL)
        return -1;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    r->err = msg != NULL ? msg : xstrdup("report: out of memory");
    return -1;
}

static int
sql_fail(replay_t *r, const char *what)
{
    return replay_fail(r, "report: %s: %s", what, store_view_error(r->view));
}

/* A percentage of one decimal, or null when there is nothing to divide by. */
static json_t *
pct(long long num, long long den)
{
    if (den <= 0)
        return json_null();
    return json_real(floor(1000.0 * (double)num / (double)den + 0.5) / 10.0);
}

/* A mean of one decimal, or null. */
static json_t *
mean(long long sum, long long n)
{
    if (n <= 0)
        return json_null();
    return json_real(floor(10.0 * (double)sum / (double)n + 0.5) / 10.0);
}

/* Text for the document: jansson refuses invalid UTF-8, which the broker never stores. */
static json_t *
jstr(const char *s)
{
    json_t *v = json_string(s != NULL ? s : "");
    return v != NULL ? v : json_string("?");
}

/* Civil time in the clock's zone: "2026-03-09 18:00:00+08:00". */
static char *
format_local(int64_t ms, const clock_cfg_t *clk, char *buf, size_t len)
{
    int32_t off = clk->in_zone ? zone_offset_at(ms) : clk->utc_offset_s;
    cal_day_t day = cal_day_of_ms(ms, off);
    int64_t in_day = (ms - cal_day_start_ms(day, off)) / 1000;
    char date[16];
    int aoff = off < 0 ? -off : off;

    snprintf(buf, len, "%s %02d:%02d:%02d%c%02d:%02d", cal_format_date(day, date, sizeof(date)),
             (int)(in_day / 3600), (int)(in_day / 60 % 60), (int)(in_day % 60), off < 0 ? '-' : '+',
             aoff / 3600, aoff / 60 % 60);
    return buf;
}

/*
 * The completion figures of the replayed tables as they stand: used for the summary and for
 * every point of the trend, so both use one definition.
 */
static int
rates(replay_t *r, json_t *o)
{
    store_view_rates_t v;

    if (store_view_rates(r->view, &v) < 0)
        return sql_fail(r, "rates");
    json_object_set_new(o, "projects", json_integer(v.projects));
    json_object_set_new(o, "projects_done", json_integer(v.projects_done));
    json_object_set_new(o, "project_rate_pct", pct(v.projects_done, v.projects));
    json_object_set_new(o, "procedures", json_integer(v.procedures));
    json_object_set_new(o, "approved", json_integer(v.approved));
    json_object_set_new(o, "not_required", json_integer(v.not_required));
    json_object_set_new(o, "done", json_integer(v.approved + v.not_required));
    json_object_set_new(o, "procedure_rate_pct", pct(v.approved + v.not_required, v.procedures));
    return 0;
}

/* One point of the trend: the rates as the log stood at marks[i]. */
static int
snapshot(replay_t *r, int i)
{
    json_t *o;
    char date[16];
    /* A week's point is taken at Monday 00:00 and named by the Sunday it closes. */
    int64_t label_ms = i == r->nmarks - 1 ? r->as_of_ms : r->marks[i] - 1;

    o = json_object();

    cal_format_date(clock_day_of(&r->opts->engine.clock, label_ms), date, sizeof(date));
    json_object_set_new(o, "key", json_string(date));
    json_object_set_new(o, "at_ms", json_integer(r->marks[i]));
    json_object_set_new(o, "log_seq", json_integer((json_int_t)r->last_seq));
    if (rates(r, o) < 0) {
        json_decref(o);
        return -1;
    }
    json_array_append_new(r->trend, o);
    return 0;
}

/* Keep what the report needs beside the engine's tables: approval times, procedure types. */
static int
note_entry(replay_t *r, const pm_entry_t *e)
{
    if (e->kind == PM_KIND_APPROVED && e->project != NULL && e->procedure != NULL) {
        if (store_view_note_approved(r->view, e->project, e->procedure, e->recv_ms) < 0)
            return sql_fail(r, "approvals");
    } else if (e->kind == PM_KIND_TEMPLATE && e->template != NULL) {
        const pm_template_t *t = e->template;
        for (size_t i = 0; i < t->nprocs; i++) {
            const pm_proctype_t *pt = &t->procs[i];
            if (store_view_note_proctype(
                    r->view, t->name, t->version, pt->code, pt->name, pt->limit_days,
                    pt->promised_days != 0 ? pt->promised_days : pt->limit_days) < 0)
                return sql_fail(r, "procedure types");
        }
    } else if (e->kind == PM_KIND_CALENDAR && e->calendar != NULL) {
        char *reason = NULL;
        if (calendar_load_year(r->cal, e->calendar, &reason) < 0)
            free(reason); /* the engine's fold refuses the same entry and says so */
    }
    return 0;
}

/*
 * store_walk's callback: one entry of the real log into the scratch store, in order. The log
 * is append-only and stamped with the broker's clock, so the entries up to the first one
 * received after as_of are exactly the log as it stood then; the rest is skipped.
 */
static int
replay_one(void *arg, pm_entry_t *e)
{
    replay_t *r = arg;
    uint64_t seq = e->seq;

    if (r->past)
        return 0;
    if (e->recv_ms > r->as_of_ms) {
        r->past = true;
        return 0;
    }
    while (r->next_mark < r->nmarks - 1 && e->recv_ms > r->marks[r->next_mark])
        if (snapshot(r, r->next_mark++) < 0)
            return -1;
    if (store_append(r->mem, e) < 0)
        return replay_fail(r, "report: entry %llu cannot be copied", (unsigned long long)seq);
    if (e->seq != seq)
        log_warnx("report: entry %llu replayed as %llu (a gap in the log)", (unsigned long long)seq,
                  (unsigned long long)e->seq);
    if (engine_apply(r->en, e) < 0)
        return replay_fail(r, "report: entry %llu (%s) cannot be replayed", (unsigned long long)seq,
                           pm_kind_name(e->kind));
    if (note_entry(r, e) < 0)
        return -1;
    r->entries++;
    r->last_seq = seq;
    return 0;
}

/*
 * The trend's moments: the ends of the weeks-1 weeks before the as-of moment's (Monday 00:00
 * at the broker's offset, strictly before as_of), then as_of itself.
 */
static void
trend_marks(replay_t *r)
{
    const clock_cfg_t *clk = &r->opts->engine.clock;
    cal_day_t day = clock_day_of(clk, r->as_of_ms);
    cal_day_t monday = day - (cal_day_t)(((day + 3) % 7 + 7) % 7); /* day 0 was a Thursday */

    if (clock_day_start_ms(clk, monday) >= r->as_of_ms)
        monday -= 7;
    r->nmarks = r->opts->weeks;
    r->marks = xcalloc((size_t)r->nmarks, sizeof(int64_t));
    r->marks[r->nmarks - 1] = r->as_of_ms;
    /* Day by day, not 7 * 24 h: a week with a daylight-saving change is not 168 hours. */
    for (int i = r->nmarks - 2; i >= 0; i--, monday -= 7)
        r->marks[i] = clock_day_start_ms(clk, monday);
}

/* store_view_counts' callback: a count into the key of that name, if the report lists it. */
static int
count_one(void *arg, const char *value, int64_t n)
{
    json_t *o = arg;

    if (json_object_get(o, value) != NULL)
        json_object_set_new(o, value, json_integer(n));
    return 0;
}

static int
count_into(replay_t *r, store_view_count_t what, json_t *o, const char *const *keys, size_t nkeys)
{
    for (size_t i = 0; i < nkeys; i++)
        json_object_set_new(o, keys[i], json_integer(0));
    return store_view_counts(r->view, what, count_one, o) < 0 ? sql_fail(r, "counts") : 0;
}

static int
states_and_colours(replay_t *r, json_t *doc)
{
    const char *states[PM_STATE__COUNT];
    json_t *s = json_object(), *c = json_object(), *pc = json_object();

    for (int i = 0; i < PM_STATE__COUNT; i++)
        states[i] = pm_state_name((pm_state_t)i);
    json_object_set_new(doc, "states", s);
    json_object_set_new(doc, "colours", c);
    json_object_set_new(doc, "project_colours", pc);
    if (count_into(r, STORE_VIEW_PROC_STATES, s, states, PM_STATE__COUNT) < 0 ||
        count_into(r, STORE_VIEW_PROC_COLOURS, c, colours, ARRAY_LEN(colours)) < 0 ||
        count_into(r, STORE_VIEW_PROJECT_COLOURS, pc, colours, ARRAY_LEN(colours)) < 0)
        return -1;
    return 0;
}

typedef struct overdue {
    json_t *row;
    long long days;
    long long sdays;
} overdue_t;

static int
overdue_cmp(const void *a, const void *b)
{
    const overdue_t *x = a, *y = b;

    if (x->days != y->days)
        return x->days > y->days ? -1 : 1;
    if (x->sdays != y->sdays)
        return x->sdays > y->sdays ? -1 : 1;
    return strcmp(json_string_value(json_object_get(x->row, "key")),
                  json_string_value(json_object_get(y->row, "key")));
}

/* The red items as the view gives them, before they are ranked. */
typedef struct overdue_list {
    replay_t *r;
    cal_day_t today;
    overdue_t *v;
    size_t n;
} overdue_list_t;

static int
overdue_one(void *arg, const store_view_red_t *x)
{
    overdue_list_t *l = arg;
    cal_day_t upto = x->paused_on != 0 && x->paused_on < l->today ? x->paused_on : l->today;
    json_t *o = json_object();
    char *key = xasprintf("%s/%s", x->project, x->code);
    char d1[16], d2[16];

    l->v = xgrow(l->v, l->n, sizeof(*l->v));
    l->v[l->n].row = o;
    l->v[l->n].days = calendar_workdays_between(l->r->cal, x->deadline, upto, NULL);
    l->v[l->n].sdays = calendar_workdays_between(l->r->cal, x->statutory, upto, NULL);
    json_object_set_new(o, "key", jstr(key));
    free(key);
    json_object_set_new(o, "project", jstr(x->project));
    json_object_set_new(o, "project_name", jstr(x->project_name));
    json_object_set_new(o, "region", jstr(x->region));
    json_object_set_new(o, "steward", jstr(x->steward));
    json_object_set_new(o, "procedure", jstr(x->code));
    json_object_set_new(o, "procedure_name", jstr(x->proc_name));
    json_object_set_new(o, "dept", jstr(x->dept));
    json_object_set_new(o, "dept_name", jstr(x->dept_name));
    json_object_set_new(o, "deadline", jstr(cal_format_date(x->deadline, d1, sizeof(d1))));
    json_object_set_new(o, "statutory_deadline",
                        jstr(cal_format_date(x->statutory, d2, sizeof(d2))));
    json_object_set_new(o, "limit_days", json_integer(x->limit_days));
    json_object_set_new(o, "promised_days", json_integer(x->promised_days));
    json_object_set_new(o, "days_over", json_integer(l->v[l->n].days));
    json_object_set_new(o, "statutory_days_over", json_integer(l->v[l->n].sdays));
    json_object_set_new(o, "paused", json_boolean(x->paused_on != 0));
    l->n++;
    return 0;
}

/*
 * The red items, most working days over first. Days over count against the promised limit
 * (as the colours do) up to the as-of day, or up to the day a supplement paused the clock;
 * days over the statutory limit come beside them.
 */
static int
overdue(replay_t *r, json_t *doc, json_t *summary)
{
    overdue_list_t l = {.r = r, .today = clock_day_of(&r->opts->engine.clock, r->as_of_ms)};
    json_t *arr = json_array();
    int rc;

    json_object_set_new(doc, "overdue", arr);
    rc = store_view_red(r->view, overdue_one, &l);
    if (l.n > 0)
        qsort(l.v, l.n, sizeof(*l.v), overdue_cmp);
    for (size_t i = 0; i < l.n; i++) {
        if ((int)i < r->opts->top)
            json_array_append(arr, l.v[i].row);
        json_decref(l.v[i].row);
    }
    free(l.v);
    json_object_set_new(summary, "overdue_total", json_integer((json_int_t)l.n));
    return rc == 0 ? 0 : sql_fail(r, "overdue");
}

/* One department's figures being summed, as the view gives its rows in order of code. */
typedef struct dept_sum {
    replay_t *r;
    json_t *arr;
    json_t *cur;
    long long n, sum, slimit, plimit, inp, ins;
} dept_sum_t;

static void
dept_close(dept_sum_t *d)
{
    json_t *cur = d->cur;

    if (cur == NULL)
        return;
    json_object_set_new(cur, "approved_on_clock", json_integer(d->n));
    json_object_set_new(cur, "avg_days", mean(d->sum, d->n));
    json_object_set_new(cur, "avg_promised_days", mean(d->plimit, d->n));
    json_object_set_new(cur, "avg_limit_days", mean(d->slimit, d->n));
    json_object_set_new(cur, "within_promised", json_integer(d->inp));
    json_object_set_new(cur, "within_limit", json_integer(d->ins));
    json_object_set_new(cur, "within_limit_pct", pct(d->ins, d->n));
    json_array_append_new(d->arr, cur);
    d->cur = NULL;
    d->n = d->sum = d->slimit = d->plimit = d->inp = d->ins = 0;
}

static int
dept_one(void *arg, const store_view_approval_t *x)
{
    dept_sum_t *d = arg;
    const clock_cfg_t *clk = &d->r->opts->engine.clock;

    if (d->cur != NULL && strcmp(x->dept, json_string_value(json_object_get(d->cur, "key"))) != 0)
        dept_close(d);
    if (d->cur == NULL) {
        d->cur = json_object();
        json_object_set_new(d->cur, "key", jstr(x->dept));
        json_object_set_new(d->cur, "name", jstr(x->dept_name));
    }
    if (x->approved) {
        cal_day_t acc = clock_day_of(clk, x->accepted_ms);
        cal_day_t done = clock_day_of(clk, x->approved_ms);
        long long days = calendar_workdays_between(d->r->cal, acc, done, NULL) - x->extended;
        if (days < 0)
            days = 0;
        d->n++;
        d->sum += days;
        d->slimit += x->limit_days;
        d->plimit += x->promised_days;
        d->inp += days <= x->promised_days;
        d->ins += days <= x->limit_days;
    }
    return 0;
}

/*
 * Working days from acceptance to approval per department, against the promised and the
 * statutory limits: days on the clock, i.e. the working days after the day of acceptance up to
 * the day of approval, less the days a supplement request stood the clock still (the same
 * count the deadlines use, so "within the limit" means approved by the deadline).
 */
static int
departments(replay_t *r, json_t *doc)
{
    dept_sum_t d = {.r = r, .arr = json_array()};
    int rc;

    json_object_set_new(doc, "departments", d.arr);
    rc = store_view_approvals(r->view, dept_one, &d);
    if (rc == 0)
        dept_close(&d);
    json_decref(d.cur);
    return rc == 0 ? 0 : sql_fail(r, "departments");
}

static long long
jint(const json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

/*
 * Ranked as the monthly bulletin ranks: highest procedure completion first (compared exactly,
 * as fractions), rows without procedures last, then by key.
 */
static int
rank_cmp(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    long long nx = jint(x, "procedures"), ny = jint(y, "procedures");
    long long lhs = jint(x, "done") * ny, rhs = jint(y, "done") * nx;

    if ((nx == 0) != (ny == 0))
        return nx == 0 ? 1 : -1;
    if (lhs != rhs)
        return lhs > rhs ? -1 : 1;
    return strcmp(json_string_value(json_object_get(x, "key")),
                  json_string_value(json_object_get(y, "key")));
}

/* The rows of one breakdown as the view gives them, before they are ranked. */
typedef struct group_list {
    report_by_t by;
    json_t **rows;
    size_t n;
} group_list_t;

static int
group_one(void *arg, const store_view_group_t *g)
{
    group_list_t *l = arg;
    json_t *o = json_object();

    json_object_set_new(o, "key", jstr(g->key));
    json_object_set_new(o, "name", jstr(g->name != NULL ? g->name : g->key));
    json_object_set_new(o, "projects", json_integer(g->projects));
    if (l->by == REPORT_BY_DEPARTMENT) {
        json_object_set_new(o, "projects_done", json_null());
        json_object_set_new(o, "project_rate_pct", json_null());
    } else {
        json_object_set_new(o, "projects_done", json_integer(g->projects_done));
        json_object_set_new(o, "project_rate_pct", pct(g->projects_done, g->projects));
    }
    json_object_set_new(o, "procedures", json_integer(g->procedures));
    json_object_set_new(o, "approved", json_integer(g->approved));
    json_object_set_new(o, "not_required", json_integer(g->not_required));
    json_object_set_new(o, "done", json_integer(g->approved + g->not_required));
    json_object_set_new(o, "procedure_rate_pct", pct(g->approved + g->not_required, g->procedures));
    json_object_set_new(o, "red", json_integer(g->red));
    json_object_set_new(o, "yellow", json_integer(g->yellow));
    l->rows = xgrow(l->rows, l->n, sizeof(*l->rows));
    l->rows[l->n++] = o;
    return 0;
}

/* One breakdown: the rates per region, industry (projects' columns) or department. */
static int
breakdown(replay_t *r, report_by_t by, json_t *out)
{
    static const store_view_by_t view_by[REPORT_BY__COUNT] = {
        [REPORT_BY_REGION] = STORE_VIEW_BY_REGION,
        [REPORT_BY_DEPARTMENT] = STORE_VIEW_BY_DEPARTMENT,
        [REPORT_BY_INDUSTRY] = STORE_VIEW_BY_INDUSTRY,
    };
    group_list_t l = {.by = by};
    int rc = store_view_groups(r->view, view_by[by], group_one, &l);

    if (l.n > 0)
        qsort(l.rows, l.n, sizeof(*l.rows), rank_cmp);
    for (size_t i = 0; i < l.n; i++)
        json_array_append_new(out, l.rows[i]);
    free(l.rows);
    return rc == 0 ? 0 : sql_fail(r, "breakdown");
}

static json_t *
meta(const replay_t *r)
{
    json_t *m = json_object();
    char when[64];

    json_object_set_new(m, "title", json_string("联审联批周调度 Weekly dispatch"));
    json_object_set_new(
        m, "as_of",
        json_string(format_local(r->as_of_ms, &r->opts->engine.clock, when, sizeof(when))));
    json_object_set_new(m, "as_of_ms", json_integer(r->as_of_ms));
    json_object_set_new(m, "log_seq", json_integer((json_int_t)r->last_seq));
    json_object_set_new(m, "entries", json_integer((json_int_t)r->entries));
    json_object_set_new(m, "by", json_string(by_names[r->opts->by]));
    json_object_set_new(m, "weeks", json_integer(r->opts->weeks));
    json_object_set_new(m, "top", json_integer(r->opts->top));
    json_object_set_new(m, "procedure_rate",
                        json_string("(approved + not_required) / procedures listed"));
    json_object_set_new(m, "project_rate",
                        json_string("projects with every procedure approved "
                                    "or not required / projects listed"));
    return m;
}

/* The week-on-week change in percentage points, null without two points to compare. */
static json_t *
change(const json_t *trend)
{
    size_t n = json_array_size(trend);
    const json_t *a, *b;

    if (n < 2)
        return json_null();
    a = json_object_get(json_array_get(trend, n - 2), "procedure_rate_pct");
    b = json_object_get(json_array_get(trend, n - 1), "procedure_rate_pct");
    if (!json_is_real(a) || !json_is_real(b))
        return json_null();
    return json_real(floor(10.0 * (json_real_value(b) - json_real_value(a)) + 0.5) / 10.0);
}

/* The figures from the replayed tables. */
static json_t *
figures(replay_t *r)
{
    json_t *doc, *summary, *by;

    doc = json_object();
    summary = json_object();
    by = json_object();
    json_object_set_new(doc, "meta", meta(r));
    json_object_set_new(doc, "summary", summary);
    if (rates(r, summary) < 0 || states_and_colours(r, doc) < 0)
        goto fail;
    for (size_t i = 0; i < ARRAY_LEN(colours); i++)
        json_object_set(summary, colours[i],
                        json_object_get(json_object_get(doc, "colours"), colours[i]));
    json_object_set_new(summary, "change_pct_points", change(r->trend));
    if (overdue(r, doc, summary) < 0 || departments(r, doc) < 0)
        goto fail;
    json_object_set_new(doc, "breakdown", by);
    for (int i = 0; i < REPORT_BY__COUNT; i++) {
        json_t *rows = json_array();
        json_object_set_new(by, by_names[i], rows);
        if (breakdown(r, (report_by_t)i, rows) < 0)
            goto fail;
    }
    json_object_set(doc, "trend", r->trend);
    return doc;
fail:
    json_decref(doc);
    return NULL;
}

int
report_build_store(store_t *log, int64_t as_of_ms, const report_opts_t *opts, json_t **out,
                   char **err)
{
    replay_t r = {.opts = opts};
    entry_list_t clock = {0};
    json_t *doc = NULL;
    char *why = NULL;

    if (opts->weeks < 1 || opts->weeks > 104 || opts->top < 0 || opts->top > 1000 ||
        (unsigned)opts->by >= REPORT_BY__COUNT) {
        *err = xstrdup("report: weeks must be 1 to 104 and top 0 to 1000");
        return -1;
    }
    if (as_of_ms == 0) {
        int64_t last;
        if (store_latest_recv(log, &last) < 0) {
            *err = xstrdup("report: cannot read the log (the store logged why)");
            return -1;
        }
        as_of_ms = util_now_ms() > last ? util_now_ms() : last;
    }
    r.as_of_ms = as_of_ms;
    r.mem = store_open(":memory:", &why);
    if (r.mem == NULL) {
        *err = xasprintf("report: scratch store: %s", why);
        free(why);
        return -1;
    }
    r.view = store_view_new(r.mem, &why);
    if (r.view == NULL) {
        replay_fail(&r, "report: scratch store: %s", why);
        free(why);
        goto done;
    }
    r.en = engine_new(r.mem, &opts->engine);
    r.cal = calendar_new();
    r.trend = json_array();
    trend_marks(&r);
    if (store_begin(r.mem) < 0) {
        sql_fail(&r, "begin");
        goto done;
    }
    if (store_walk(log, 0, replay_one, &r) < 0) {
        replay_fail(&r, "report: cannot read the log (the store logged why)");
        goto done;
    }
    while (r.next_mark < r.nmarks)
        if (snapshot(&r, r.next_mark++) < 0)
            goto done;
    /* Bring the clock up to the as-of moment, as a running broker would have: colours that
     * came due since the last entry (the broker may have been down, or idle). */
    if (engine_clock(r.en, as_of_ms, &clock) < 0) {
        replay_fail(&r, "report: the clock cannot run up to the as-of moment");
        goto done;
    }
    entry_list_clear(&clock);
    doc = figures(&r);
done:
    if (r.mem != NULL && store_in_transaction(r.mem))
        store_rollback(r.mem);
    engine_destroy(&r.en);
    store_view_destroy(&r.view);
    store_close(&r.mem);
    calendar_destroy(&r.cal);
    json_decref(r.trend);
    free(r.marks);
    if (doc == NULL) {
        *err = r.err != NULL ? r.err : xstrdup("report: the figures cannot be computed");
        return -1;
    }
    free(r.err);
    *out = doc;
    return 0;
}

int
report_build(const char *db_path, int64_t as_of_ms, const report_opts_t *opts, json_t **out,
             char **err)
{
    char *why = NULL;
    store_t *log = store_open_readonly(db_path, &why);
    int rc;

    if (log == NULL) {
        *err = why;
        return -1;
    }
    rc = report_build_store(log, as_of_ms, opts, out, err);
    store_close(&log);
    return rc;
}

/* ---- rendering ------------------------------------------------------------------------ */

/* A column of a table: the document's key, its heading, whether it is a percentage. */
typedef struct column {
    const char *key;
    const char *label;
    bool pct;
} column_t;

static const column_t summary_rows[] = {
    {"projects", "列入项目 Projects listed", false},
    {"projects_done", "手续全部办结项目 Projects with every procedure done", false},
    {"project_rate_pct", "项目办结率 Project completion rate", true},
    {"procedures", "列入手续 Procedures listed", false},
    {"approved", "已办结 Approved", false},
    {"not_required", "无需办理 Not required", false},
    {"done", "办结（含无需办理） Done incl. not required", false},
    {"procedure_rate_pct", "手续办结率 Procedure completion rate", true},
    {"change_pct_points", "较上周（百分点） Change on last week (points)", false},
    {"red", "红色预警 Red (overdue)", false},
    {"yellow", "黄色预警 Yellow (close to the limit)", false},
    {"green", "绿色 Green (on track)", false},
    {"overdue_total", "超期事项 Overdue items", false},
};

static const char *const state_labels[PM_STATE__COUNT] = {
    "未满足前置 blocked",
    "可申报 ready",
    "已受理 accepted",
    "容缺受理 accepted_deficient",
    "补正中 supplement_requested",
    "已办结 approved",
    "不予许可 rejected",
    "无需办理 not_required",
    "已撤回 withdrawn",
};

static const column_t breakdown_cols[] = {
    {"key", NULL, false},
    {"projects", "项目 projects", false},
    {"projects_done", "全部办结 all done", false},
    {"project_rate_pct", "项目办结率 project rate", true},
    {"procedures", "手续 procedures", false},
    {"approved", "已办结 approved", false},
    {"not_required", "无需办理 not required", false},
    {"done", "办结 done", false},
    {"procedure_rate_pct", "办结率 rate", true},
    {"red", "红 red", false},
    {"yellow", "黄 yellow", false},
};

static const column_t overdue_cols[] = {
    {"project", "项目 project", false},
    {"project_name", "项目名称 name", false},
    {"region", "旗县市区 region", false},
    {"procedure_name", "手续 procedure", false},
    {"dept", "部门 dept", false},
    {"days_over", "超期工作日 days over", false},
    {"statutory_days_over", "超法定时限 over statutory", false},
    {"deadline", "承诺时限 promised by", false},
    {"statutory_deadline", "法定时限 statutory by", false},
    {"steward", "项目管家 steward", false},
};

static const column_t dept_cols[] = {
    {"key", "部门 dept", false},
    {"name", "名称 name", false},
    {"approved_on_clock", "计时办结 approved", false},
    {"avg_days", "平均用时（工作日） avg days", false},
    {"avg_promised_days", "承诺时限 promised", false},
    {"avg_limit_days", "法定时限 statutory", false},
    {"within_promised", "承诺内 within promised", false},
    {"within_limit", "法定内 within statutory", false},
    {"within_limit_pct", "法定内占比 within statutory", true},
};

static const column_t trend_cols[] = {
    {"key", "周末 week ending", false},
    {"procedures", "手续 procedures", false},
    {"done", "办结 done", false},
    {"procedure_rate_pct", "手续办结率 procedure rate", true},
    {"projects_done", "全部办结项目 projects done", false},
    {"project_rate_pct", "项目办结率 project rate", true},
};

/* A value as every format prints it: integers as they are, reals with one decimal. */
static const char *
value_text(const json_t *v, bool pct_sign, const char *null_text, char *buf, size_t len)
{
    if (json_is_integer(v))
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, len, "%.1f%s", json_real_value(v), pct_sign ? "%" : "");
    else if (json_is_string(v))
        return json_string_value(v);
    else if (json_is_true(v))
        snprintf(buf, len, "yes");
    else if (json_is_false(v))
        snprintf(buf, len, "no");
    else
        return null_text;
    return buf;
}

static const char *
str_of(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s != NULL ? s : "";
}

/* The label of a breakdown row: a department shows its code and name. */
static const char *
row_label(const json_t *row, report_by_t by, char *buf, size_t len)
{
    if (by == REPORT_BY_DEPARTMENT && strcmp(str_of(row, "key"), str_of(row, "name")) != 0) {
        snprintf(buf, len, "%s %s", str_of(row, "key"), str_of(row, "name"));
        util_utf8_trim(buf);
        return buf;
    }
    return str_of(row, "key");
}

static report_by_t
doc_by(const json_t *doc)
{
    report_by_t by = REPORT_BY_REGION;
    report_by_parse(str_of(json_object_get(doc, "meta"), "by"), &by);
    return by;
}

/* Markdown: a cell's text with the table's separator and line breaks made harmless. */
static void
md_cell(FILE *f, const char *s)
{
    fputs("| ", f);
    for (; *s != '\0'; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else if (*s == '\n' || *s == '\r')
            fputc(' ', f);
        else
            fputc(*s, f);
    }
    fputc(' ', f);
}

static void
md_table(FILE *f, const json_t *rows, const column_t *cols, size_t ncols, report_by_t by,
         const char *first_label)
{
    char buf[256];
    size_t i;
    json_t *row;

    for (size_t c = 0; c < ncols; c++)
        md_cell(f, cols[c].label != NULL ? cols[c].label : first_label);
    fputs("|\n", f);
    /* Numbers right-aligned, text left: judged by the first row. */
    for (size_t c = 0; c < ncols; c++)
        fputs(json_is_number(json_object_get(json_array_get(rows, 0), cols[c].key)) ? "|---:"
                                                                                    : "|---",
              f);
    fputs("|\n", f);
    json_array_foreach(rows, i, row)
    {
        for (size_t c = 0; c < ncols; c++) {
            if (cols[c].label == NULL)
                md_cell(f, row_label(row, by, buf, sizeof(buf)));
            else
                md_cell(f, value_text(json_object_get(row, cols[c].key), cols[c].pct, "—", buf,
                                      sizeof(buf)));
        }
        fputs("|\n", f);
    }
    if (json_array_size(rows) == 0)
        fputs("\n（无 none）\n", f);
}

static void
render_md(const json_t *doc, FILE *f)
{
    const json_t *m = json_object_get(doc, "meta"), *s = json_object_get(doc, "summary");
    const json_t *states = json_object_get(doc, "states"), *cols = json_object_get(doc, "colours");
    const json_t *pcols = json_object_get(doc, "project_colours");
    report_by_t by = doc_by(doc);
    char buf[256];

    fprintf(f, "# %s\n\n", str_of(m, "title"));
    fprintf(f, "截至 As of **%s** · 日志序号 log seq %s · 分组 by %s · ", str_of(m, "as_of"),
            value_text(json_object_get(m, "log_seq"), false, "0", buf, sizeof(buf)), by_labels[by]);
    fprintf(f, "趋势 trend %s 周 weeks\n\n",
            value_text(json_object_get(m, "weeks"), false, "0", buf, sizeof(buf)));
    fprintf(f, "口径 Definitions: 手续办结率 = %s; 项目办结率 = %s.\n\n",
            str_of(m, "procedure_rate"), str_of(m, "project_rate"));

    fputs("## 一、办结率 Completion rates\n\n| 指标 Metric | 数值 Value |\n|---|---:|\n", f);
    for (size_t i = 0; i < ARRAY_LEN(summary_rows); i++) {
        md_cell(f, summary_rows[i].label);
        md_cell(f, value_text(json_object_get(s, summary_rows[i].key), summary_rows[i].pct, "—",
                              buf, sizeof(buf)));
        fputs("|\n", f);
    }

    fputs("\n## 二、手续状态 Procedures by state\n\n| 状态 State | 数量 Count |\n|---|---:|\n", f);
    for (int i = 0; i < PM_STATE__COUNT; i++) {
        md_cell(f, state_labels[i]);
        md_cell(f, value_text(json_object_get(states, pm_state_name((pm_state_t)i)), false, "0",
                              buf, sizeof(buf)));
        fputs("|\n", f);
    }

    fputs("\n## 三、红黄绿预警 Red / yellow / green\n\n| 预警 Colour | 手续 Procedures |"
          " 项目 Projects |\n|---|---:|---:|\n",
          f);
    for (size_t i = 0; i < ARRAY_LEN(colours); i++) {
        md_cell(f, colour_labels[i]);
        md_cell(f, value_text(json_object_get(cols, colours[i]), false, "0", buf, sizeof(buf)));
        md_cell(f, value_text(json_object_get(pcols, colours[i]), false, "0", buf, sizeof(buf)));
        fputs("|\n", f);
    }

    fprintf(f, "\n## 四、超期最久 Longest overdue (top %s",
            value_text(json_object_get(m, "top"), false, "0", buf, sizeof(buf)));
    fprintf(f, " of %s)\n\n",
            value_text(json_object_get(s, "overdue_total"), false, "0", buf, sizeof(buf)));
    md_table(f, json_object_get(doc, "overdue"), overdue_cols, ARRAY_LEN(overdue_cols), by, "");

    fprintf(f, "\n## 五、分组办结率 Completion by %s\n\n", by_labels[by]);
    md_table(f, json_object_get(json_object_get(doc, "breakdown"), by_names[by]), breakdown_cols,
             ARRAY_LEN(breakdown_cols), by, by_labels[by]);

    fputs("\n## 六、部门办理用时 Working days from acceptance to approval\n\n", f);
    md_table(f, json_object_get(doc, "departments"), dept_cols, ARRAY_LEN(dept_cols), by, "");

    fputs("\n## 七、办结率趋势 Completion trend\n\n", f);
    md_table(f, json_object_get(doc, "trend"), trend_cols, ARRAY_LEN(trend_cols), by, "");
}

static void
csv_row(FILE *f, const char *section, const char *key, const char *metric, const json_t *v)
{
    char buf[64];

    /* Keys are regions, departments, projects and weeks named by people: text. A value is
     * text when it is a string in the document (a name); numbers stay numbers. */
    csvout_field(f, section, false);
    fputc(',', f);
    csvout_field(f, key, true);
    fputc(',', f);
    csvout_field(f, metric, false);
    fputc(',', f);
    csvout_field(f, value_text(v, false, "", buf, sizeof(buf)), json_is_string(v));
    fputs("\r\n", f);
}

/*
 * The long format: every figure of the document on one row, section,key,metric,value. An
 * object of figures gives rows with an empty key; a list gives one row per figure of each
 * item, keyed by the item's key; an object of lists (the breakdowns) names its sections
 * "breakdown.region" and so on.
 */
static void
csv_section(FILE *f, const char *section, const json_t *v)
{
    const char *name;
    json_t *item, *x;
    size_t i;

    if (json_is_array(v)) {
        json_array_foreach(v, i, item)
        {
            const char *key = str_of(item, "key");
            json_object_foreach(item, name, x)
            {
                if (strcmp(name, "key") != 0)
                    csv_row(f, section, key, name, x);
            }
        }
    } else if (json_is_object(v)) {
        json_object_foreach((json_t *)v, name, x)
        {
            if (json_is_array(x) || json_is_object(x)) {
                char *s = xasprintf("%s.%s", section, name);
                csv_section(f, s, x);
                free(s);
            } else {
                csv_row(f, section, "", name, x);
            }
        }
    } else {
        csv_row(f, section, "", "", v);
    }
}

static void
render_csv(const json_t *doc, FILE *f)
{
    const char *name;
    json_t *v;

    fputs("section,key,metric,value\r\n", f);
    json_object_foreach((json_t *)doc, name, v) csv_section(f, name, v);
}

/* HTML and SVG: text escaped for both (the page is well-formed XML as well as HTML). */
static void
x_text(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

static void
html_table(FILE *f, const char *id, const json_t *rows, const column_t *cols, size_t ncols,
           report_by_t by, const char *first_label)
{
    char buf[256];
    size_t i;
    json_t *row;

    fprintf(f, "<table id=\"%s\">\n<thead><tr>", id);
    for (size_t c = 0; c < ncols; c++) {
        fputs("<th>", f);
        x_text(f, cols[c].label != NULL ? cols[c].label : first_label);
        fputs("</th>", f);
    }
    fputs("</tr></thead>\n<tbody>\n", f);
    json_array_foreach(rows, i, row)
    {
        fputs("<tr>", f);
        for (size_t c = 0; c < ncols; c++) {
            const json_t *v = json_object_get(row, cols[c].key);
            fprintf(f, "<td%s data-key=\"%s\">", json_is_number(v) ? " class=\"n\"" : "",
                    cols[c].key);
            if (cols[c].label == NULL)
                x_text(f, row_label(row, by, buf, sizeof(buf)));
            else
                x_text(f, value_text(v, cols[c].pct, "—", buf, sizeof(buf)));
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    if (json_array_size(rows) == 0)
        fprintf(f, "<tr><td colspan=\"%zu\">无 none</td></tr>\n", ncols);
    fputs("</tbody>\n</table>\n", f);
}

/* Horizontal bars of a percentage per row, 0 to 100 %: completion by region or department. */
static void
svg_bars(FILE *f, const char *id, const char *title, const json_t *rows, report_by_t by)
{
    const int label_w = 220, bar_w = 420, row_h = 26, top = 34;
    int h = top + (int)json_array_size(rows) * row_h + 26;
    char buf[256];
    size_t i;
    json_t *row;

    if (json_array_size(rows) == 0)
        h += row_h;
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"%s\" class=\"chart\" role=\"img\" "
            "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n<title>",
            id, label_w + bar_w + 80, h, label_w + bar_w + 80, h);
    x_text(f, title);
    fputs("</title>\n<text x=\"0\" y=\"18\" class=\"ct\">", f);
    x_text(f, title);
    fputs("</text>\n", f);
    for (int g = 0; g <= 100; g += 25) {
        int x = label_w + bar_w * g / 100;
        fprintf(f,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"grid\" stroke=\"#e2e2e2\"/>"
                "<text x=\"%d\" y=\"%d\" class=\"ax\" text-anchor=\"middle\">%d%%</text>\n",
                x, top - 4, x, h - 22, x, h - 8, g);
    }
    json_array_foreach(rows, i, row)
    {
        const json_t *v = json_object_get(row, "procedure_rate_pct");
        int y = top + (int)i * row_h;

        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label_w - 8, y + 17);
        x_text(f, row_label(row, by, buf, sizeof(buf)));
        fputs("</text>", f);
        if (json_is_real(v)) {
            double pctv = json_real_value(v);
            fprintf(f,
                    "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" class=\"bar\" "
                    "fill=\"#3b6fb6\"/>",
                    label_w, y + 4, bar_w * pctv / 100.0, row_h - 8);
            fprintf(f, "<text x=\"%.1f\" y=\"%d\" class=\"val\">%.1f%%</text>",
                    label_w + bar_w * pctv / 100.0 + 6, y + 17, pctv);
        } else {
            fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"val\">—</text>", label_w + 6, y + 17);
        }
        fputc('\n', f);
    }
    if (json_array_size(rows) == 0)
        fprintf(f, "<text x=\"%d\" y=\"%d\">无 none</text>\n", label_w + 6, top + 17);
    fputs("</svg>\n", f);
}

/* Red, yellow and green counts of the procedures whose clock runs, as three columns. */
static void
svg_colours(FILE *f, const json_t *cols)
{
    const int w = 360, h = 240, base = 200, top = 40, col_w = 70;
    long long max = 1;

    for (size_t i = 0; i < ARRAY_LEN(colours); i++) {
        long long v = (long long)json_integer_value(json_object_get(cols, colours[i]));
        if (v > max)
            max = v;
    }
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"chart-colours\" class=\"chart\" "
            "role=\"img\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n"
            "<title>红黄绿预警 Red / yellow / green</title>\n"
            "<text x=\"0\" y=\"18\" class=\"ct\">红黄绿预警 Red / yellow / green</text>\n"
            "<line x1=\"20\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>\n",
            w, h, w, h, base, w - 10, base);
    for (size_t i = 0; i < ARRAY_LEN(colours); i++) {
        long long v = (long long)json_integer_value(json_object_get(cols, colours[i]));
        double bh = (double)(base - top) * (double)v / (double)max;
        int x = 40 + (int)i * (col_w + 40);
        fprintf(f,
                "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"/>"
                "<text x=\"%d\" y=\"%.1f\" class=\"val\" text-anchor=\"middle\">%lld</text>"
                "<text x=\"%d\" y=\"%d\" class=\"ax\" text-anchor=\"middle\">",
                x, base - bh, col_w, bh, colour_fill[i], x + col_w / 2, base - bh - 6, v,
                x + col_w / 2, base + 18);
        x_text(f, colour_labels[i]);
        fputs("</text>\n", f);
    }
    fputs("</svg>\n", f);
}

/* The trend of both completion rates over the weeks, 0 to 100 %, as lines. */
static void
svg_trend(FILE *f, const json_t *trend)
{
    static const char *const keys[] = {"procedure_rate_pct", "project_rate_pct"};
    /* Presentation attributes as well as classes: the chart reads right without the CSS. */
    static const char *const cls[] = {"l1\" fill=\"none\" stroke=\"#c0392b\" stroke-width=\"2.5",
                                      "l2\" fill=\"none\" stroke=\"#3b6fb6\" stroke-width=\"2"};
    const int w = 720, h = 300, left = 50, right = 30, top = 40, bottom = 250;
    size_t n = json_array_size(trend), i;
    json_t *pt;

    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"chart-trend\" class=\"chart\" "
            "role=\"img\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n"
            "<title>办结率趋势 Completion rate trend</title>\n"
            "<text x=\"0\" y=\"18\" class=\"ct\">办结率趋势 Completion rate trend</text>\n",
            w, h, w, h);
    for (int g = 0; g <= 100; g += 25) {
        double y = bottom - (bottom - top) * g / 100.0;
        fprintf(
            f,
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\" stroke=\"#e2e2e2\"/>"
            "<text x=\"%d\" y=\"%.1f\" class=\"ax\" text-anchor=\"end\">%d%%</text>\n",
            left, y, w - right, y, left - 6, y + 4, g);
    }
    for (size_t k = 0; k < ARRAY_LEN(keys); k++) {
        fprintf(f, "<polyline class=\"%s\" points=\"", cls[k]);
        json_array_foreach(trend, i, pt)
        {
            const json_t *v = json_object_get(pt, keys[k]);
            double x = n > 1 ? left + (double)(w - left - right) * (double)i / (double)(n - 1)
                             : (left + w - right) / 2.0;
            if (json_is_real(v))
                fprintf(f, "%.1f,%.1f ", x, bottom - (bottom - top) * json_real_value(v) / 100.0);
        }
        fputs("\"/>\n", f);
    }
    json_array_foreach(trend, i, pt)
    {
        const json_t *v = json_object_get(pt, "procedure_rate_pct");
        const char *key = str_of(pt, "key");
        double x = n > 1 ? left + (double)(w - left - right) * (double)i / (double)(n - 1)
                         : (left + w - right) / 2.0;
        if (json_is_real(v)) {
            double y = bottom - (bottom - top) * json_real_value(v) / 100.0;
            fprintf(
                f,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" class=\"p1\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" class=\"val\" text-anchor=\"middle\">%.1f%%</text>",
                x, y, x, y - 8, json_real_value(v));
        }
        /* MM-DD under each point: the week's Sunday, or the as-of day for the last. */
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" class=\"ax\" text-anchor=\"middle\">", x,
                bottom + 18);
        x_text(f, strlen(key) == 10 ? key + 5 : key);
        fputs("</text>\n", f);
    }
    fprintf(f,
            "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" class=\"k1\"/>"
            "<text x=\"%d\" y=\"%d\">手续办结率 procedure rate</text>"
            "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" class=\"k2\"/>"
            "<text x=\"%d\" y=\"%d\">项目办结率 project rate</text>\n</svg>\n",
            left, h - 14, left + 20, h - 8, left + 240, h - 14, left + 260, h - 8);
}

static const char html_css[] =
    "body{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"Microsoft YaHei\","
    "\"PingFang SC\",sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}"
    "h1{font-size:1.6em;margin-bottom:4px}h2{font-size:1.2em;border-bottom:2px solid #c0392b;"
    "padding-bottom:3px;margin-top:28px}"
    ".meta{color:#555;font-size:.9em}"
    ".cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}"
    ".card{border:1px solid #ddd;border-radius:6px;padding:10px 16px;min-width:150px}"
    ".card .big{font-size:1.8em;font-weight:bold;color:#c0392b}"
    "table{border-collapse:collapse;margin:8px 0;font-size:.9em}"
    "th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}"
    "th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".charts{display:flex;flex-wrap:wrap;gap:16px}"
    "svg.chart{font-size:12px;max-width:100%;height:auto}"
    "svg .ct{font-size:14px;font-weight:bold}svg .ax{fill:#666;font-size:11px}"
    "svg .grid{stroke:#e2e2e2}svg .axis{stroke:#888}svg .bar{fill:#3b6fb6}"
    "svg .val{font-size:11px}svg .l1{fill:none;stroke:#c0392b;stroke-width:2.5}"
    "svg .l2{fill:none;stroke:#3b6fb6;stroke-width:2;stroke-dasharray:6 3}"
    "svg .p1{fill:#c0392b}svg .k1{fill:#c0392b}svg .k2{fill:#3b6fb6}"
    "@media print{body{margin:0;max-width:none;font-size:10pt}"
    "h2{break-after:avoid;page-break-after:avoid}"
    "svg.chart,table,.card{break-inside:avoid;page-break-inside:avoid}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    "@page{size:A4;margin:14mm}}";

static void
html_card(FILE *f, const json_t *s, const char *key, const char *label, bool pct_sign)
{
    char buf[64];

    fputs("<div class=\"card\"><div class=\"big\">", f);
    x_text(f, value_text(json_object_get(s, key), pct_sign, "—", buf, sizeof(buf)));
    fputs("</div><div>", f);
    x_text(f, label);
    fputs("</div></div>\n", f);
}

static void
render_html(const json_t *doc, FILE *f)
{
    const json_t *m = json_object_get(doc, "meta"), *s = json_object_get(doc, "summary");
    const json_t *states = json_object_get(doc, "states"), *cols = json_object_get(doc, "colours");
    const json_t *pcols = json_object_get(doc, "project_colours");
    const json_t *bd = json_object_get(doc, "breakdown");
    report_by_t by = doc_by(doc);
    char buf[256], buf2[64], *title;

    fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"zh-CN\">\n<head>\n"
          "<meta charset=\"utf-8\"/>\n<meta name=\"viewport\" content=\"width=device-width\"/>\n"
          "<title>",
          f);
    x_text(f, str_of(m, "title"));
    fputs(" ", f);
    x_text(f, str_of(m, "as_of"));
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", html_css);
    x_text(f, str_of(m, "title"));
    fputs("</h1>\n<p class=\"meta\">截至 As of <strong>", f);
    x_text(f, str_of(m, "as_of"));
    fprintf(f, "</strong> · 日志序号 log seq %s · 分组 by ",
            value_text(json_object_get(m, "log_seq"), false, "0", buf2, sizeof(buf2)));
    x_text(f, by_labels[by]);
    fputs("<br/>口径 Definitions: 手续办结率 = ", f);
    x_text(f, str_of(m, "procedure_rate"));
    fputs("; 项目办结率 = ", f);
    x_text(f, str_of(m, "project_rate"));
    fputs("</p>\n<div class=\"cards\">\n", f);
    html_card(f, s, "procedure_rate_pct", "手续办结率 procedure completion", true);
    html_card(f, s, "project_rate_pct", "项目办结率 project completion", true);
    html_card(f, s, "change_pct_points", "较上周（百分点） change on last week", false);
    html_card(f, s, "overdue_total", "超期事项 overdue items", false);
    fputs("</div>\n<h2>一、办结率 Completion rates</h2>\n<table id=\"summary\">\n<thead><tr>"
          "<th>指标 Metric</th><th>数值 Value</th></tr></thead>\n<tbody>\n",
          f);
    for (size_t i = 0; i < ARRAY_LEN(summary_rows); i++) {
        fprintf(f, "<tr><td>%s</td><td class=\"n\" data-key=\"%s\">", summary_rows[i].label,
                summary_rows[i].key);
        x_text(f, value_text(json_object_get(s, summary_rows[i].key), summary_rows[i].pct, "—", buf,
                             sizeof(buf)));
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody>\n</table>\n<h2>图表 Charts</h2>\n<div class=\"charts\">\n", f);
    svg_bars(f, "chart-region", "分区办结率 Completion by region", json_object_get(bd, "region"),
             REPORT_BY_REGION);
    svg_bars(f, "chart-department", "部门办结率 Completion by department",
             json_object_get(bd, "department"), REPORT_BY_DEPARTMENT);
    if (by == REPORT_BY_INDUSTRY)
        svg_bars(f, "chart-industry", "行业办结率 Completion by industry",
                 json_object_get(bd, "industry"), REPORT_BY_INDUSTRY);
    svg_colours(f, cols);
    svg_trend(f, json_object_get(doc, "trend"));
    fputs("</div>\n<h2>二、手续状态 Procedures by state</h2>\n<table id=\"states\">\n<thead><tr>"
          "<th>状态 State</th><th>数量 Count</th></tr></thead>\n<tbody>\n",
          f);
    for (int i = 0; i < PM_STATE__COUNT; i++)
        fprintf(f, "<tr><td>%s</td><td class=\"n\" data-key=\"%s\">%s</td></tr>\n", state_labels[i],
                pm_state_name((pm_state_t)i),
                value_text(json_object_get(states, pm_state_name((pm_state_t)i)), false, "0", buf,
                           sizeof(buf)));
    fputs("</tbody>\n</table>\n<h2>三、红黄绿预警 Red / yellow / green</h2>\n<table "
          "id=\"colours\">\n<thead><tr><th>预警 Colour</th><th>手续 Procedures</th>"
          "<th>项目 Projects</th></tr></thead>\n<tbody>\n",
          f);
    for (size_t i = 0; i < ARRAY_LEN(colours); i++) {
        fprintf(f, "<tr><td>%s</td><td class=\"n\" data-key=\"%s\">%s</td>", colour_labels[i],
                colours[i],
                value_text(json_object_get(cols, colours[i]), false, "0", buf, sizeof(buf)));
        fprintf(f, "<td class=\"n\" data-key=\"%s\">%s</td></tr>\n", colours[i],
                value_text(json_object_get(pcols, colours[i]), false, "0", buf, sizeof(buf)));
    }
    fputs("</tbody>\n</table>\n<h2>四、超期最久 Longest overdue</h2>\n", f);
    html_table(f, "overdue", json_object_get(doc, "overdue"), overdue_cols, ARRAY_LEN(overdue_cols),
               by, "");
    title = xasprintf("五、分组办结率 Completion by %s", by_labels[by]);
    fputs("<h2>", f);
    x_text(f, title);
    fputs("</h2>\n", f);
    free(title);
    html_table(f, "breakdown", json_object_get(bd, by_names[by]), breakdown_cols,
               ARRAY_LEN(breakdown_cols), by, by_labels[by]);
    fputs("<h2>六、部门办理用时 Working days from acceptance to approval</h2>\n", f);
    html_table(f, "departments", json_object_get(doc, "departments"), dept_cols,
               ARRAY_LEN(dept_cols), by, "");
    fputs("<h2>七、办结率趋势 Completion trend</h2>\n", f);
    html_table(f, "trend", json_object_get(doc, "trend"), trend_cols, ARRAY_LEN(trend_cols), by,
               "");
    fputs("</body>\n</html>\n", f);
}

int
report_render(const json_t *doc, report_format_t fmt, FILE *f)
{
    switch (fmt) {
    case REPORT_FMT_MD:
        render_md(doc, f);
        break;
    case REPORT_FMT_CSV:
        render_csv(doc, f);
        break;
    case REPORT_FMT_JSON:
        /* Ten significant digits print the one-decimal figures as they are (72.9). */
        if (json_dumpf(doc, f, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) < 0)
            return -1;
        fputc('\n', f);
        break;
    case REPORT_FMT_HTML:
        render_html(doc, f);
        break;
    default:
        return -1;
    }
    return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}
