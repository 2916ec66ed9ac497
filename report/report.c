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
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "csvout.h"
#include "htmlesc.h"
#include "log.h"
#include "store.h"
#include "store_view.h"
#include "util.h"
#include "zone.h"

/* The colours in the order reports list them. */
static const char *const colours[] = {"red", "yellow", "green"};
static const pm_colour_t colour_ids[] = {PM_COLOUR_RED, PM_COLOUR_YELLOW, PM_COLOUR_GREEN};
static const char *const colour_fill[] = {"#d9342b", "#f2b01e", "#2e9e4f"};

static const char *const by_names[REPORT_BY__COUNT] = {"region", "department", "industry"};
static const char *const format_names[REPORT_FMT__COUNT] = {"md", "csv", "json", "html", "xlsx"};
static const char *const period_names[REPORT_PERIOD__COUNT] = {"week", "month"};
static const char *const lang_names[PM_LANG__COUNT] = {"en", "zh"};

/* The task forces' target for both completion rates: below it a rate is drawn amber. */
#define TARGET_PCT 80.0

/*
 * The report's words for the document's keys, Chinese and English; states and colours come
 * from the model's one table (pm_state_label, pm_colour_label) instead.
 */
static const struct {
    const char *key;
    const char *label[PM_LANG__COUNT]; /* by pm_lang_t: English, Chinese */
} labels[] = {
    {"projects", {"Projects listed", "列入项目"}},
    {"projects_done", {"Projects with every procedure done", "全部办结项目"}},
    {"project_rate_pct", {"Project completion rate", "项目办结率"}},
    {"procedures", {"Procedures listed", "列入手续"}},
    {"done", {"Done (incl. not required)", "办结（含不涉及）"}},
    {"procedure_rate_pct", {"Procedure completion rate", "手续办结率"}},
    {"change_pct_points", {"Change on the last period (points)", "较上期（百分点）"}},
    {"red", {"Red procedures (overdue)", "红色预警手续（超期）"}},
    {"yellow", {"Yellow procedures (close to the limit)", "黄色预警手续（临期）"}},
    {"green", {"Green procedures (on track)", "绿色手续（正常）"}},
    {"project_colours.red", {"Red projects", "红色预警项目"}},
    {"project_colours.yellow", {"Yellow projects", "黄色预警项目"}},
    {"project_colours.green", {"Green projects", "绿色项目"}},
    {"overdue_total", {"Overdue items", "超期事项"}},
    {"approved_in_period", {"Approvals in the period", "本期办结"}},
    {"region", {"Region", "旗县市区"}},
    {"department", {"Department", "部门"}},
    {"industry", {"Industry", "行业"}},
    {"project", {"Project", "项目编号"}},
    {"project_name", {"Project name", "项目名称"}},
    {"procedure", {"Procedure code", "手续编码"}},
    {"procedure_name", {"Procedure", "手续"}},
    {"dept", {"Department code", "部门编码"}},
    {"dept_name", {"Department", "办理部门"}},
    {"name", {"Name", "名称"}},
    {"days_over", {"Working days over the promised limit", "超承诺时限（工作日）"}},
    {"statutory_days_over", {"Working days over the statutory limit", "超法定时限（工作日）"}},
    {"deadline", {"Promised by", "承诺办结日"}},
    {"statutory_deadline", {"Statutory deadline", "法定办结日"}},
    {"steward", {"Steward", "项目管家"}},
    {"approved_on_clock", {"Approved on the clock", "计时办结"}},
    {"avg_days", {"Average working days", "平均用时（工作日）"}},
    {"avg_promised_days", {"Promised limit (working days)", "承诺时限（工作日）"}},
    {"avg_limit_days", {"Statutory limit (working days)", "法定时限（工作日）"}},
    {"within_promised", {"Within the promised limit", "承诺时限内"}},
    {"within_limit", {"Within the statutory limit", "法定时限内"}},
    {"within_limit_pct", {"Share within the statutory limit", "法定时限内占比"}},
    {"week_end", {"Week ending", "周末"}},
    {"month_end", {"Month ending", "月末"}},
};

const char *
report_label(const char *key, pm_lang_t lang)
{
    pm_state_t st;
    unsigned l = (unsigned)lang < PM_LANG__COUNT ? (unsigned)lang : PM_LANG_EN;

    for (size_t i = 0; i < ARRAY_LEN(labels); i++)
        if (strcmp(labels[i].key, key) == 0)
            return labels[i].label[l];
    if (pm_state_parse(key, &st) == 0)
        return pm_state_label(st, lang);
    return key;
}

/* One of two texts of the renderers' own, by the document's language. */
static const char *
tr(pm_lang_t lang, const char *zh, const char *en)
{
    return lang == PM_LANG_ZH ? zh : en;
}

/* The index of s in names[0..n-1], or -1: the option words of report.h. */
static int
name_index(const char *s, const char *const *names, int n)
{
    for (int i = 0; s != NULL && i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

#define BOPT(name, def, help)                                                                      \
    {                                                                                              \
#name, CONFTAB_TEXT, offsetof(report_bulletin_cfg_t, name), def, 0, 0, false, help, NULL,  \
            0                                                                                      \
    }
static const conftab_opt_t bulletin_options[REPORT_BULLETIN_KEYS] = {
    BOPT(issuer, "",
         "the issuing body, e.g. 某市重大项目联审联批工作专班 (default: 联审联批工作专班)"),
    BOPT(city, "", "the city, before the title"),
    BOPT(first_issue, "",
         "a day of issue 1's week (or month): issues are counted from it (default: the ISO "
         "week's number, the month's with --period month)"),
    BOPT(lang, "zh", "zh or en: the language of every label"),
};
const conftab_t report_bulletin_table = {"bulletin", bulletin_options, ARRAY_LEN(bulletin_options)};

int
report_bulletin_use(const report_bulletin_cfg_t *b, report_opts_t *opts, char **err)
{
    cal_day_t day;

    if (report_lang_parse(b->lang, &opts->lang) < 0) {
        *err = xasprintf("lang wants zh or en, not '%s'", b->lang);
        return -1;
    }
    if (!util_empty(b->first_issue) && cal_parse_date(b->first_issue, &day) < 0) {
        *err = xasprintf("first_issue wants a date like 2026-01-05, not '%s'", b->first_issue);
        return -1;
    }
    opts->bulletin.issuer = b->issuer;
    opts->bulletin.city = b->city;
    opts->bulletin.first = b->first_issue;
    return 0;
}

void
report_opts_defaults(report_opts_t *opts)
{
    memset(opts, 0, sizeof(*opts));
    engine_cfg_defaults(&opts->engine);
    opts->by = REPORT_BY_REGION;
    opts->weeks = 8;
    opts->top = 10;
    opts->period = REPORT_PERIOD_WEEK;
    opts->lang = PM_LANG_ZH;
}

void
report_opts_in_zone(report_opts_t *opts)
{
    opts->engine.clock.in_zone = true;
}

int
report_day_parse(const char *s, const report_opts_t *opts, int64_t *as_of_ms)
{
    cal_day_t day;

    if (strlen(s) != 10 || cal_parse_date(s, &day) < 0)
        return -1;
    *as_of_ms = clock_day_end_ms(&opts->engine.clock, day) - 1;
    return 0;
}

char *
report_day_format(const report_opts_t *opts, int64_t ms, char *buf, size_t len)
{
    return cal_format_date(clock_day_of(&opts->engine.clock, ms), buf, len);
}

int
report_period_parse(const char *s, report_period_t *out)
{
    int i = name_index(s, period_names, REPORT_PERIOD__COUNT);

    if (i < 0)
        return -1;
    *out = (report_period_t)i;
    return 0;
}

int
report_lang_parse(const char *s, pm_lang_t *out)
{
    int i = name_index(s, lang_names, PM_LANG__COUNT);

    if (i < 0)
        return -1;
    *out = (pm_lang_t)i;
    return 0;
}

int
report_by_parse(const char *s, report_by_t *out)
{
    int i = name_index(s, by_names, REPORT_BY__COUNT);

    if (i < 0)
        return -1;
    *out = (report_by_t)i;
    return 0;
}

const char *
report_by_name(report_by_t by)
{
    return (unsigned)by < REPORT_BY__COUNT ? by_names[by] : "?";
}

int
report_format_parse(const char *s, report_format_t *out)
{
    int i = name_index(s, format_names, REPORT_FMT__COUNT);

    if (i < 0)
        return -1;
    *out = (report_format_t)i;
    return 0;
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
    int64_t period_ms;            /* the start of the bulletin's period (week or month) */
    long long approved_in_period; /* approvals received from period_ms up to as_of_ms */
    int64_t *marks;               /* the trend's moments, ascending; the last is as_of_ms */
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
    if (e->kind == PM_KIND_APPROVED && e->recv_ms >= r->period_ms)
        r->approved_in_period++;
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

/* A day's year and month. */
static void
day_ym(cal_day_t day, int *y, int *m)
{
    char date[16];
    int d;

    cal_format_date(day, date, sizeof(date));
    if (sscanf(date, "%d-%d-%d", y, m, &d) != 3)
        *y = *m = 0; /* not reached: cal_format_date writes YYYY-MM-DD */
}

/* The first day of the period holding day: its Monday, or the 1st of its month. */
static cal_day_t
period_start(report_period_t period, cal_day_t day)
{
    int y, m;

    if (period == REPORT_PERIOD_WEEK)
        return day - (cal_day_t)(((day + 3) % 7 + 7) % 7); /* day 0 was a Thursday */
    day_ym(day, &y, &m);
    return cal_day_from_ymd(y, m, 1);
}

/* The first day of the period after the one starting at start. */
static cal_day_t
period_next(report_period_t period, cal_day_t start)
{
    return period == REPORT_PERIOD_WEEK ? start + 7 : period_start(period, start + 31);
}

/*
 * The trend's moments: the ends of the weeks-1 periods (weeks or months) before the as-of
 * moment's (Monday 00:00 or the 1st 00:00 in the clock's zone, strictly before as_of), then
 * as_of itself.
 */
static void
trend_marks(replay_t *r)
{
    const clock_cfg_t *clk = &r->opts->engine.clock;
    report_period_t period = r->opts->period;
    cal_day_t start = period_start(period, clock_day_of(clk, r->as_of_ms));

    if (clock_day_start_ms(clk, start) >= r->as_of_ms)
        start = period_start(period, start - 1);
    r->nmarks = r->opts->weeks;
    r->marks = xcalloc((size_t)r->nmarks, sizeof(int64_t));
    r->marks[r->nmarks - 1] = r->as_of_ms;
    /* Day by day, not 7 * 24 h: a week with a daylight-saving change is not 168 hours. */
    for (int i = r->nmarks - 2; i >= 0; i--, start = period_start(period, start - 1))
        r->marks[i] = clock_day_start_ms(clk, start);
}

/*
 * The bulletin's number: as configured; else the periods since the one holding `first`
 * (issue 1); else the ISO week's number (the Thursday's year's) or the month's.
 */
static int
issue_number(replay_t *r, cal_day_t from, long long *out)
{
    const report_bulletin_t *b = &r->opts->bulletin;
    report_period_t period = r->opts->period;
    cal_day_t first;
    int y, m, fy, fm;

    if (b->issue > 0) {
        *out = b->issue;
        return 0;
    }
    if (!util_empty(b->first)) {
        if (cal_parse_date(b->first, &first) < 0)
            return replay_fail(r, "report: first_issue wants a date YYYY-MM-DD, not '%s'",
                               b->first);
        first = period_start(period, first);
        day_ym(from, &y, &m);
        day_ym(first, &fy, &fm);
        *out = period == REPORT_PERIOD_WEEK ? (from - first) / 7 + 1
                                            : (long long)(y * 12 + m) - (fy * 12 + fm) + 1;
        if (*out < 1)
            return replay_fail(r, "report: the period starts before issue 1's (first_issue %s)",
                               b->first);
        return 0;
    }
    if (period == REPORT_PERIOD_WEEK) {
        cal_day_t thursday = from + 3;
        *out = (thursday - cal_day_from_ymd(cal_year_of(thursday), 1, 1)) / 7 + 1;
    } else {
        day_ym(from, &y, &m);
        *out = m;
    }
    return 0;
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

/*
 * The bulletin's title block: what it is, who issues it, its number, its period and the date
 * of issue, all in the document so that every format prints the same.
 */
static int
bulletin_meta(replay_t *r, json_t *m)
{
    const report_bulletin_t *b = &r->opts->bulletin;
    const clock_cfg_t *clk = &r->opts->engine.clock;
    pm_lang_t lang = r->opts->lang;
    bool month = r->opts->period == REPORT_PERIOD_MONTH;
    cal_day_t from = clock_day_of(clk, r->period_ms), issued;
    long long issue = 0; /* set by issue_number, which gcc -O2 cannot see */
    char d1[16], d2[16];

    if (issue_number(r, from, &issue) < 0)
        return -1;
    if (util_empty(b->issued))
        issued = clock_day_of(clk, r->as_of_ms);
    else if (cal_parse_date(b->issued, &issued) < 0)
        return replay_fail(r, "report: issued wants a date YYYY-MM-DD, not '%s'", b->issued);
    json_object_set_new(m, "lang", json_string(lang_names[lang]));
    json_object_set_new(
        m, "title",
        json_string(month ? tr(lang, "联审联批月通报", "Joint review monthly bulletin")
                          : tr(lang, "联审联批周调度通报", "Joint review weekly bulletin")));
    json_object_set_new(m, "issuer",
                        jstr(!util_empty(b->issuer)
                                 ? b->issuer
                                 : tr(lang, "联审联批工作专班", "Joint review task force")));
    json_object_set_new(m, "city", jstr(b->city));
    json_object_set_new(m, "issue", json_integer(issue));
    json_object_set_new(m, "issued", jstr(cal_format_date(issued, d1, sizeof(d1))));
    json_object_set_new(m, "period", json_string(period_names[r->opts->period]));
    json_object_set_new(m, "period_from", jstr(cal_format_date(from, d1, sizeof(d1))));
    json_object_set_new(
        m, "period_to",
        jstr(cal_format_date(period_next(r->opts->period, from) - 1, d2, sizeof(d2))));
    json_object_set_new(m, "time_zone", jstr(clk->in_zone ? zone_name() : ""));
    return 0;
}

static json_t *
meta(replay_t *r)
{
    json_t *m = json_object();
    char when[64];

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
                        json_string(tr(r->opts->lang, "（已办结 + 不涉及）÷ 列入手续",
                                       "(approved + not required) / procedures listed")));
    json_object_set_new(m, "project_rate",
                        json_string(tr(r->opts->lang, "手续全部办结或不涉及的项目 ÷ 列入项目",
                                       "projects with every procedure approved "
                                       "or not required / projects listed")));
    if (bulletin_meta(r, m) < 0) {
        json_decref(m);
        return NULL;
    }
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

    json_t *m = meta(r);

    if (m == NULL)
        return NULL;
    doc = json_object();
    summary = json_object();
    by = json_object();
    json_object_set_new(doc, "meta", m);
    json_object_set_new(doc, "summary", summary);
    if (rates(r, summary) < 0 || states_and_colours(r, doc) < 0)
        goto fail;
    json_object_set_new(summary, "approved_in_period", json_integer(r->approved_in_period));
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
        (unsigned)opts->by >= REPORT_BY__COUNT || (unsigned)opts->period >= REPORT_PERIOD__COUNT ||
        (unsigned)opts->lang >= PM_LANG__COUNT) {
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
    r.period_ms =
        clock_day_start_ms(&opts->engine.clock,
                           period_start(opts->period, clock_day_of(&opts->engine.clock, as_of_ms)));
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

/*
 * A column of a table: the document's key, the key of its heading in report_label (NULL: the
 * table's first label, the grouping's name), whether it is a percentage.
 */
/*
 * A figure or column: its key in the document, the report_label key of its heading when that
 * is not the key itself (NULL: the same), and whether it is a rate. The column keyed "key" is
 * the row's own label (region, department, week), headed by the breakdown's name.
 */
typedef struct column {
    const char *key;
    const char *label;
    bool pct;
} column_t;

static const column_t summary_rows[] = {
    {"projects", NULL, false},
    {"projects_done", NULL, false},
    {"project_rate_pct", NULL, true},
    {"procedures", NULL, false},
    {"approved", NULL, false},
    {"not_required", NULL, false},
    {"done", NULL, false},
    {"procedure_rate_pct", NULL, true},
    {"change_pct_points", NULL, false},
    {"approved_in_period", NULL, false},
    {"red", NULL, false},
    {"yellow", NULL, false},
    {"green", NULL, false},
    {"overdue_total", NULL, false},
};

static const column_t breakdown_cols[] = {
    {"key", NULL, false},
    {"projects", NULL, false},
    {"projects_done", NULL, false},
    {"project_rate_pct", NULL, true},
    {"procedures", NULL, false},
    {"approved", NULL, false},
    {"not_required", NULL, false},
    {"done", NULL, false},
    {"procedure_rate_pct", NULL, true},
    {"red", NULL, false},
    {"yellow", NULL, false},
};

static const column_t overdue_cols[] = {
    {"project", NULL, false},
    {"project_name", NULL, false},
    {"region", NULL, false},
    {"procedure_name", NULL, false},
    {"dept_name", NULL, false},
    {"days_over", NULL, false},
    {"statutory_days_over", NULL, false},
    {"deadline", NULL, false},
    {"statutory_deadline", NULL, false},
    {"steward", NULL, false},
};

static const column_t dept_cols[] = {
    {"name", "department", false},   {"approved_on_clock", NULL, false},
    {"avg_days", NULL, false},       {"avg_promised_days", NULL, false},
    {"avg_limit_days", NULL, false}, {"within_promised", NULL, false},
    {"within_limit", NULL, false},   {"within_limit_pct", NULL, true},
};

static const column_t trend_cols[] = {
    {"key", NULL, false},           {"procedures", NULL, false},
    {"done", NULL, false},          {"procedure_rate_pct", NULL, true},
    {"projects_done", NULL, false}, {"project_rate_pct", NULL, true},
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

static report_by_t
doc_by(const json_t *doc)
{
    report_by_t by = REPORT_BY_REGION;
    report_by_parse(str_of(json_object_get(doc, "meta"), "by"), &by);
    return by;
}

static pm_lang_t
doc_lang(const json_t *doc)
{
    pm_lang_t lang = PM_LANG_ZH;
    report_lang_parse(str_of(json_object_get(doc, "meta"), "lang"), &lang);
    return lang;
}

const char *
report_trend_key_label(const json_t *doc, pm_lang_t lang)
{
    bool month = strcmp(str_of(json_object_get(doc, "meta"), "period"), "month") == 0;
    return report_label(month ? "month_end" : "week_end", lang);
}

/* The column that holds each row's own label. */
static bool
is_row_label(const column_t *c)
{
    return strcmp(c->key, "key") == 0;
}

static const char *
col_label(const column_t *c, const char *first_label, pm_lang_t lang)
{
    if (is_row_label(c))
        return first_label;
    return report_label(c->label != NULL ? c->label : c->key, lang);
}

/* The label of a breakdown row in Markdown: a department shows its code and name. */
static const char *
row_label(const json_t *row, report_by_t by, char *buf, size_t len)
{
    if (by == REPORT_BY_DEPARTMENT && !util_empty(str_of(row, "name")) &&
        strcmp(str_of(row, "key"), str_of(row, "name")) != 0) {
        snprintf(buf, len, "%s %s", str_of(row, "key"), str_of(row, "name"));
        util_utf8_trim(buf);
        return buf;
    }
    return str_of(row, "key");
}

/* The bulletin names a department by its name; the code only when it has none. */
static const char *
html_row_label(const json_t *row, report_by_t by)
{
    if (by == REPORT_BY_DEPARTMENT && !util_empty(str_of(row, "name")))
        return str_of(row, "name");
    return str_of(row, "key");
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
         const char *first_label, pm_lang_t lang)
{
    char buf[256];
    size_t i;
    json_t *row;

    for (size_t c = 0; c < ncols; c++)
        md_cell(f, col_label(&cols[c], first_label, lang));
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
            if (is_row_label(&cols[c]))
                md_cell(f, row_label(row, by, buf, sizeof(buf)));
            else
                md_cell(f, value_text(json_object_get(row, cols[c].key), cols[c].pct, "—", buf,
                                      sizeof(buf)));
        }
        fputs("|\n", f);
    }
    if (json_array_size(rows) == 0)
        fprintf(f, "\n（%s）\n", tr(lang, "无", "none"));
}

/* "通辽市联审联批周调度通报" or "Joint review weekly bulletin, Tongliao". */
static void
md_title(FILE *f, const json_t *m, pm_lang_t lang)
{
    const char *city = str_of(m, "city");

    if (lang == PM_LANG_ZH)
        fprintf(f, "%s%s", city, str_of(m, "title"));
    else
        fprintf(f, "%s%s%s", str_of(m, "title"), *city != '\0' ? ", " : "", city);
}

static void
render_md(const json_t *doc, FILE *f)
{
    const json_t *m = json_object_get(doc, "meta"), *s = json_object_get(doc, "summary");
    const json_t *states = json_object_get(doc, "states"), *cols = json_object_get(doc, "colours");
    const json_t *pcols = json_object_get(doc, "project_colours");
    report_by_t by = doc_by(doc);
    pm_lang_t lang = doc_lang(doc);
    const char *by_label = report_label(by_names[by], lang);
    char buf[256], buf2[64];

    fputs("# ", f);
    md_title(f, m, lang);
    fprintf(f, "\n\n%s · %s%s%s · %s %s\n\n", str_of(m, "issuer"), tr(lang, "第", "No. "),
            value_text(json_object_get(m, "issue"), false, "", buf2, sizeof(buf2)),
            tr(lang, "期", ""), tr(lang, "印发", "issued"), str_of(m, "issued"));
    fprintf(f, "%s %s %s %s · %s **%s** · %s %s · %s %s · %s %s\n\n",
            tr(lang, "统计周期", "Period"), str_of(m, "period_from"), tr(lang, "至", "to"),
            str_of(m, "period_to"), tr(lang, "截至", "As of"), str_of(m, "as_of"),
            tr(lang, "日志序号", "log seq"),
            value_text(json_object_get(m, "log_seq"), false, "0", buf, sizeof(buf)),
            tr(lang, "分组", "by"), by_label, tr(lang, "趋势点数", "trend points"),
            value_text(json_object_get(m, "weeks"), false, "0", buf2, sizeof(buf2)));
    fprintf(f, "%s%s = %s%s%s = %s%s\n\n", tr(lang, "口径：", "Definitions: "),
            report_label("procedure_rate_pct", lang), str_of(m, "procedure_rate"),
            tr(lang, "；", "; "), report_label("project_rate_pct", lang), str_of(m, "project_rate"),
            tr(lang, "。", "."));

    fprintf(f, "## %s\n\n| %s | %s |\n|---|---:|\n", tr(lang, "一、办结率", "1. Completion rates"),
            tr(lang, "指标", "Metric"), tr(lang, "数值", "Value"));
    for (size_t i = 0; i < ARRAY_LEN(summary_rows); i++) {
        md_cell(f, report_label(summary_rows[i].key, lang));
        md_cell(f, value_text(json_object_get(s, summary_rows[i].key), summary_rows[i].pct, "—",
                              buf, sizeof(buf)));
        fputs("|\n", f);
    }

    fprintf(f, "\n## %s\n\n| %s | %s |\n|---|---:|\n",
            tr(lang, "二、手续状态", "2. Procedures by state"), tr(lang, "状态", "State"),
            tr(lang, "数量", "Count"));
    for (int i = 0; i < PM_STATE__COUNT; i++) {
        md_cell(f, pm_state_label((pm_state_t)i, lang));
        md_cell(f, value_text(json_object_get(states, pm_state_name((pm_state_t)i)), false, "0",
                              buf, sizeof(buf)));
        fputs("|\n", f);
    }

    fprintf(f, "\n## %s\n\n| %s | %s | %s |\n|---|---:|---:|\n",
            tr(lang, "三、红黄绿预警", "3. Red / yellow / green"), tr(lang, "预警", "Colour"),
            tr(lang, "手续", "Procedures"), tr(lang, "项目", "Projects"));
    for (size_t i = 0; i < ARRAY_LEN(colours); i++) {
        md_cell(f, pm_colour_label(colour_ids[i], lang));
        md_cell(f, value_text(json_object_get(cols, colours[i]), false, "0", buf, sizeof(buf)));
        md_cell(f, value_text(json_object_get(pcols, colours[i]), false, "0", buf, sizeof(buf)));
        fputs("|\n", f);
    }

    fprintf(f, "\n## %s (%s %s", tr(lang, "四、超期最久", "4. Longest overdue"),
            tr(lang, "前", "top"),
            value_text(json_object_get(m, "top"), false, "0", buf, sizeof(buf)));
    fprintf(f, " / %s)\n\n",
            value_text(json_object_get(s, "overdue_total"), false, "0", buf, sizeof(buf)));
    md_table(f, json_object_get(doc, "overdue"), overdue_cols, ARRAY_LEN(overdue_cols), by, "",
             lang);

    fprintf(f, "\n## %s: %s\n\n", tr(lang, "五、分组办结率", "5. Completion by"), by_label);
    md_table(f, json_object_get(json_object_get(doc, "breakdown"), by_names[by]), breakdown_cols,
             ARRAY_LEN(breakdown_cols), by, by_label, lang);

    fprintf(f, "\n## %s\n\n",
            tr(lang, "六、部门办理用时", "6. Working days from acceptance to approval"));
    md_table(f, json_object_get(doc, "departments"), dept_cols, ARRAY_LEN(dept_cols), by, "", lang);

    fprintf(f, "\n## %s\n\n", tr(lang, "七、办结率趋势", "7. Completion trend"));
    md_table(f, json_object_get(doc, "trend"), trend_cols, ARRAY_LEN(trend_cols), by,
             report_trend_key_label(doc, lang), lang);
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

/*
 * What a value's colour says, as a class: "red" only for an overdue count above 0, "yellow"
 * for a count close to the limit above 0, "below" for a rate under the target; "" for the
 * rest, zeros included.
 */
static const char *
tone(const char *key, const json_t *v)
{
    static const char *const overdue_keys[] = {"red", "overdue_total", "days_over",
                                               "statutory_days_over"};
    static const char *const rate_keys[] = {"procedure_rate_pct", "project_rate_pct",
                                            "within_limit_pct"};

    if (json_is_integer(v) && json_integer_value(v) > 0) {
        for (size_t i = 0; i < ARRAY_LEN(overdue_keys); i++)
            if (strcmp(key, overdue_keys[i]) == 0)
                return "red";
        if (strcmp(key, "yellow") == 0)
            return "yellow";
    }
    if (json_is_real(v) && json_real_value(v) < TARGET_PCT)
        for (size_t i = 0; i < ARRAY_LEN(rate_keys); i++)
            if (strcmp(key, rate_keys[i]) == 0)
                return "below";
    return "";
}

/* A "YYYY-MM-DD..." string: a date, kept on one line. */
static bool
is_date(const json_t *v)
{
    const char *s = json_string_value(v);
    return s != NULL && strlen(s) >= 10 && s[4] == '-' && s[7] == '-';
}

/*
 * The opening of a value's cell: numbers right-aligned; numbers, dates and project numbers
 * (TL-2026-007 would break at a hyphen) never broken across lines.
 */
static void
html_td_open(FILE *f, const char *key, const json_t *v)
{
    const char *t = tone(key, v);

    fputs("<td", f);
    if (json_is_number(v))
        fprintf(f, " class=\"n%s%s\"", *t != '\0' ? " " : "", t);
    else if (is_date(v) || strcmp(key, "project") == 0)
        fputs(" class=\"d\"", f);
    fprintf(f, " data-key=\"%s\">", key);
}

static void
html_table(FILE *f, const char *id, const json_t *rows, const column_t *cols, size_t ncols,
           report_by_t by, const char *first_label, pm_lang_t lang)
{
    char buf[256];
    size_t i;
    json_t *row;

    fprintf(f, "<table id=\"%s\">\n<thead><tr>", id);
    for (size_t c = 0; c < ncols; c++) {
        fputs("<th>", f);
        htmlesc_write(f, col_label(&cols[c], first_label, lang));
        fputs("</th>", f);
    }
    fputs("</tr></thead>\n<tbody>\n", f);
    json_array_foreach(rows, i, row)
    {
        fputs("<tr>", f);
        for (size_t c = 0; c < ncols; c++) {
            const json_t *v = json_object_get(row, cols[c].key);
            html_td_open(f, cols[c].key, v);
            if (is_row_label(&cols[c]))
                htmlesc_write(f, html_row_label(row, by));
            else
                htmlesc_write(f, value_text(v, cols[c].pct, "—", buf, sizeof(buf)));
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    if (json_array_size(rows) == 0)
        fprintf(f, "<tr><td colspan=\"%zu\">%s</td></tr>\n", ncols, tr(lang, "无", "none"));
    fputs("</tbody>\n</table>\n", f);
}

/* The target line of a rate chart at TARGET_PCT, from y1 to y2 at x. */
static void
svg_target_v(FILE *f, double x, int y1, int y2, pm_lang_t lang)
{
    fprintf(f,
            "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"target\" stroke=\"#333\" "
            "stroke-width=\"1.2\" stroke-dasharray=\"4 3\"/>"
            "<text x=\"%.1f\" y=\"%d\" class=\"ax\" text-anchor=\"middle\">%s %.0f%%</text>\n",
            x, y1, x, y2, x, y1 - 3, tr(lang, "目标", "target"), TARGET_PCT);
}

/* A rate's bar fill: amber under the target, a neutral blue at or over it. */
static const char *
rate_fill(double pctv)
{
    return pctv < TARGET_PCT ? "#d9a441" : "#3b6fb6";
}

/*
 * Horizontal bars of a percentage per row, 0 to 100 %, with the target line: completion by
 * region or department.
 */
static void
svg_bars(FILE *f, const char *id, const char *title, const json_t *rows, report_by_t by,
         pm_lang_t lang)
{
    const int label_w = 130, bar_w = 200, row_h = 13, top = 40;
    int h = top + (int)json_array_size(rows) * row_h + 22, w = label_w + bar_w + 50;
    size_t i;
    json_t *row;

    if (json_array_size(rows) == 0)
        h += row_h;
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"%s\" class=\"chart half\" "
            "role=\"img\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n<title>",
            id, w, h, w, h);
    htmlesc_write(f, title);
    fputs("</title>\n<text x=\"0\" y=\"14\" class=\"ct\">", f);
    htmlesc_write(f, title);
    fputs("</text>\n", f);
    for (int g = 0; g <= 100; g += 25) {
        int x = label_w + bar_w * g / 100;
        fprintf(f,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"grid\" stroke=\"#e2e2e2\"/>"
                "<text x=\"%d\" y=\"%d\" class=\"ax\" text-anchor=\"middle\">%d%%</text>\n",
                x, top - 4, x, h - 18, x, h - 6, g);
    }
    json_array_foreach(rows, i, row)
    {
        const json_t *v = json_object_get(row, "procedure_rate_pct");
        int y = top + (int)i * row_h;

        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label_w - 6, y + 10);
        htmlesc_write(f, html_row_label(row, by));
        fputs("</text>", f);
        if (json_is_real(v)) {
            double pctv = json_real_value(v);
            fprintf(f,
                    "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" class=\"bar%s\" "
                    "fill=\"%s\"/>",
                    label_w, y + 2, bar_w * pctv / 100.0, row_h - 4,
                    pctv < TARGET_PCT ? " below" : "", rate_fill(pctv));
            fprintf(f, "<text x=\"%.1f\" y=\"%d\" class=\"val\">%.1f%%</text>",
                    label_w + bar_w * pctv / 100.0 + 4, y + 10, pctv);
        } else {
            fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"val\">—</text>", label_w + 4, y + 10);
        }
        fputc('\n', f);
    }
    if (json_array_size(rows) == 0)
        fprintf(f, "<text x=\"%d\" y=\"%d\">%s</text>\n", label_w + 6, top + 14,
                tr(lang, "无", "none"));
    svg_target_v(f, label_w + bar_w * TARGET_PCT / 100.0, top - 16, h - 18, lang);
    fputs("</svg>\n", f);
}

/* Red, yellow and green counts of the procedures whose clock runs, as three columns. */
static void
svg_colours(FILE *f, const json_t *cols, pm_lang_t lang)
{
    const int w = 250, h = 150, base = 124, top = 36, col_w = 44;
    const char *title = tr(lang, "手续红黄绿预警", "Procedures by colour");
    long long max = 1;

    for (size_t i = 0; i < ARRAY_LEN(colours); i++) {
        long long v = (long long)json_integer_value(json_object_get(cols, colours[i]));
        if (v > max)
            max = v;
    }
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"chart-colours\" class=\"chart\" "
            "role=\"img\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n"
            "<title>%s</title>\n<text x=\"0\" y=\"14\" class=\"ct\">%s</text>\n"
            "<line x1=\"10\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\" stroke=\"#888\"/>\n",
            w, h, w, h, title, title, base, w - 10, base);
    for (size_t i = 0; i < ARRAY_LEN(colours); i++) {
        long long v = (long long)json_integer_value(json_object_get(cols, colours[i]));
        double bh = (double)(base - top) * (double)v / (double)max;
        int x = 24 + (int)i * (col_w + 32);
        fprintf(f,
                "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"/>"
                "<text x=\"%d\" y=\"%.1f\" class=\"val\" text-anchor=\"middle\">%lld</text>"
                "<text x=\"%d\" y=\"%d\" class=\"ax\" text-anchor=\"middle\">",
                x, base - bh, col_w, bh, colour_fill[i], x + col_w / 2, base - bh - 4, v,
                x + col_w / 2, base + 16);
        htmlesc_write(f, pm_colour_label(colour_ids[i], lang));
        fputs("</text>\n", f);
    }
    fputs("</svg>\n", f);
}

/* The trend of both completion rates over the periods, 0 to 100 %, as lines, with the target. */
static void
svg_trend(FILE *f, const json_t *trend, pm_lang_t lang)
{
    static const char *const keys[] = {"procedure_rate_pct", "project_rate_pct"};
    /* Presentation attributes as well as classes: the chart reads right without the CSS. */
    static const char *const cls[] = {"l1\" fill=\"none\" stroke=\"#3b6fb6\" stroke-width=\"2.5",
                                      "l2\" fill=\"none\" stroke=\"#6c757d\" stroke-width=\"2"};
    const int w = 420, h = 170, left = 40, right = 14, top = 30, bottom = 136;
    const char *title = tr(lang, "办结率趋势", "Completion rate trend");
    size_t n = json_array_size(trend), i;
    json_t *pt;
    double ty = bottom - (bottom - top) * TARGET_PCT / 100.0;

    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"chart-trend\" class=\"chart\" "
            "role=\"img\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n"
            "<title>%s</title>\n<text x=\"0\" y=\"14\" class=\"ct\">%s</text>\n",
            w, h, w, h, title, title);
    for (int g = 0; g <= 100; g += 25) {
        double y = bottom - (bottom - top) * g / 100.0;
        fprintf(
            f,
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\" stroke=\"#e2e2e2\"/>"
            "<text x=\"%d\" y=\"%.1f\" class=\"ax\" text-anchor=\"end\">%d%%</text>\n",
            left, y, w - right, y, left - 6, y + 4, g);
    }
    fprintf(f,
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"target\" stroke=\"#333\" "
            "stroke-width=\"1.2\" stroke-dasharray=\"4 3\"/>"
            "<text x=\"%d\" y=\"%.1f\" class=\"ax\" text-anchor=\"end\">%s %.0f%%</text>\n",
            left, ty, w - right, ty, w - right, ty - 3, tr(lang, "目标", "target"), TARGET_PCT);
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
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" class=\"p1\" fill=\"#3b6fb6\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" class=\"val\" text-anchor=\"middle\">%.1f%%</text>",
                x, y, x, y - 7, json_real_value(v));
        }
        /* MM-DD under each point: the period's last day, or the as-of day for the last. */
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" class=\"ax\" text-anchor=\"middle\">", x,
                bottom + 15);
        htmlesc_write(f, strlen(key) == 10 ? key + 5 : key);
        fputs("</text>\n", f);
    }
    fprintf(f,
            "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" fill=\"#3b6fb6\"/>"
            "<text x=\"%d\" y=\"%d\">%s</text>"
            "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"4\" fill=\"#6c757d\"/>"
            "<text x=\"%d\" y=\"%d\">%s</text>\n</svg>\n",
            left, h - 12, left + 20, h - 6, report_label("procedure_rate_pct", lang), left + 180,
            h - 12, left + 200, h - 6, report_label("project_rate_pct", lang));
}

/*
 * The page for the screen and for A4 portrait: values (numbers, dates) never wrap, rows and
 * small sections never split across pages, table headers repeat on every page.
 */
static const char html_css[] =
    "body{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"Microsoft YaHei\","
    "\"PingFang SC\",sans-serif;margin:24px auto;max-width:960px;color:#222;padding:0 16px;"
    "font-size:14px}"
    "header{text-align:center;border-bottom:2px solid #333;padding-bottom:6px;margin-bottom:8px}"
    "header .issuer{font-size:1.1em;letter-spacing:.1em}"
    "h1{font-size:1.5em;margin:4px 0}header .no{margin:2px 0}"
    "header .line{display:flex;justify-content:space-between;font-size:.9em}"
    "h2{font-size:1.05em;border-bottom:1px solid #888;padding-bottom:2px;margin:12px 0 4px}"
    ".meta{color:#444;font-size:.85em;margin:4px 0}"
    ".cards{display:flex;flex-wrap:wrap;gap:8px;margin:6px 0}"
    ".card{border:1px solid #ccc;border-radius:4px;padding:4px 10px;min-width:110px}"
    ".card .big{font-size:1.5em;font-weight:bold;white-space:nowrap}"
    ".red,.card.red .big{color:#b3261e;font-weight:bold}"
    ".yellow,.card.yellow .big{color:#8a6100;background:#fff4d6}"
    ".below,.card.below .big{color:#9a6a00}"
    "table{border-collapse:collapse;margin:4px 0;font-size:.85em;width:100%;table-layout:auto}"
    "th,td{border:1px solid #bbb;padding:2px 5px;text-align:left;vertical-align:top}"
    "th{background:#eee;font-weight:bold}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "td.d,.d{white-space:nowrap}"
    ".row{display:flex;gap:10px;align-items:flex-start}.row>table{flex:1 1 0}"
    ".row>svg{flex:0 0 auto;width:36%}"
    ".charts{display:flex;flex-wrap:wrap;gap:8px;justify-content:space-between}"
    "svg.chart{font-size:11px;max-width:100%;height:auto}svg.half{width:49%}"
    "td[data-key=key],td[data-key=name]{white-space:nowrap}"
    "svg .ct{font-size:12px;font-weight:bold}svg .ax{fill:#555;font-size:10px}"
    "svg .val{font-size:10px}"
    ".notes{font-size:.8em;color:#444}"
    "thead{display:table-header-group}"
    "tr,.card,svg.chart,.keep{break-inside:avoid;page-break-inside:avoid}"
    "h2{break-after:avoid;page-break-after:avoid}"
    "@page{size:A4 portrait;margin:12mm 12mm 12mm 12mm}"
    "@media print{body{margin:0;max-width:none;padding:0;font-size:9pt}"
    "table{font-size:.8em}th,td{padding:1px 4px}h2{margin:8px 0 3px}"
    /* On paper the summary table holds the cards' figures: they would only take room. */
    ".cards{display:none}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

static void
html_card(FILE *f, const json_t *s, const char *key, const char *label, bool pct_sign)
{
    const json_t *v = json_object_get(s, key);
    const char *t = tone(key, v);
    char buf[64];

    fprintf(f, "<div class=\"card%s%s\" data-key=\"%s\"><div class=\"big\">", *t != '\0' ? " " : "",
            t, key);
    htmlesc_write(f, value_text(v, pct_sign, "—", buf, sizeof(buf)));
    fputs("</div><div>", f);
    htmlesc_write(f, label);
    fputs("</div></div>\n", f);
}

/* The title block: issuer, title, number, date of issue, period. */
static void
html_masthead(FILE *f, const json_t *m, pm_lang_t lang)
{
    char buf[64];

    fputs("<header>\n<div class=\"issuer\">", f);
    htmlesc_write(f, str_of(m, "issuer"));
    fputs("</div>\n<h1>", f);
    if (lang == PM_LANG_ZH) {
        htmlesc_write(f, str_of(m, "city"));
        htmlesc_write(f, str_of(m, "title"));
    } else {
        htmlesc_write(f, str_of(m, "title"));
        if (!util_empty(str_of(m, "city"))) {
            fputs(", ", f);
            htmlesc_write(f, str_of(m, "city"));
        }
    }
    fprintf(f, "</h1>\n<div class=\"no\" id=\"issue\">%s%s%s</div>\n", tr(lang, "第", "No. "),
            value_text(json_object_get(m, "issue"), false, "", buf, sizeof(buf)),
            tr(lang, "期", ""));
    fputs("<div class=\"line\"><span>", f);
    htmlesc_write(f, str_of(m, "issuer"));
    fprintf(f, "</span><span>%s <span class=\"d\" id=\"issued\">", tr(lang, "印发日期", "Issued"));
    htmlesc_write(f, str_of(m, "issued"));
    fputs("</span></span></div>\n</header>\n<p class=\"meta\">", f);
    fprintf(f, "%s <span class=\"d\">", tr(lang, "统计周期", "Period"));
    htmlesc_write(f, str_of(m, "period_from"));
    fprintf(f, "</span> %s <span class=\"d\">", tr(lang, "至", "to"));
    htmlesc_write(f, str_of(m, "period_to"));
    fprintf(f, "</span> · %s <span class=\"d\">", tr(lang, "数据截至", "data as of"));
    htmlesc_write(f, str_of(m, "as_of"));
    fputs("</span>", f);
    if (!util_empty(str_of(m, "time_zone"))) {
        fputs(" (", f);
        htmlesc_write(f, str_of(m, "time_zone"));
        fputs(")", f);
    }
    fprintf(f, " · %s %s</p>\n", tr(lang, "日志序号", "log seq"),
            value_text(json_object_get(m, "log_seq"), false, "0", buf, sizeof(buf)));
}

static void
render_html(const json_t *doc, FILE *f)
{
    const json_t *m = json_object_get(doc, "meta"), *s = json_object_get(doc, "summary");
    const json_t *states = json_object_get(doc, "states"), *cols = json_object_get(doc, "colours");
    const json_t *pcols = json_object_get(doc, "project_colours");
    const json_t *bd = json_object_get(doc, "breakdown");
    report_by_t by = doc_by(doc);
    pm_lang_t lang = doc_lang(doc);
    const char *by_label = report_label(by_names[by], lang);
    char buf[256], buf2[64];

    fprintf(f,
            "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"%s\">\n<head>\n"
            "<meta charset=\"utf-8\"/>\n<meta name=\"viewport\" content=\"width=device-width\"/>\n"
            "<title>",
            lang == PM_LANG_ZH ? "zh-CN" : "en");
    htmlesc_write(f, str_of(m, "city"));
    htmlesc_write(f, str_of(m, "title"));
    fprintf(f, " %s%s%s</title>\n<style>%s</style>\n</head>\n<body>\n", tr(lang, "第", "No. "),
            value_text(json_object_get(m, "issue"), false, "", buf2, sizeof(buf2)),
            tr(lang, "期", ""), html_css);
    html_masthead(f, m, lang);

    fprintf(f, "<section class=\"keep\">\n<h2>%s</h2>\n<div class=\"cards\">\n",
            tr(lang, "一、总体情况", "1. Overview"));
    html_card(f, s, "procedure_rate_pct", report_label("procedure_rate_pct", lang), true);
    html_card(f, s, "project_rate_pct", report_label("project_rate_pct", lang), true);
    html_card(f, s, "change_pct_points", report_label("change_pct_points", lang), false);
    html_card(f, s, "approved_in_period", report_label("approved_in_period", lang), false);
    html_card(f, s, "overdue_total", report_label("overdue_total", lang), false);
    fprintf(f,
            "</div>\n<table id=\"summary\">\n<thead><tr><th>%s</th><th>%s</th><th>%s</th>"
            "<th>%s</th></tr></thead>\n<tbody>\n",
            tr(lang, "指标", "Metric"), tr(lang, "数值", "Value"), tr(lang, "指标", "Metric"),
            tr(lang, "数值", "Value"));
    /* Two figures a row: half the height on paper. */
    for (size_t i = 0; i < ARRAY_LEN(summary_rows); i++) {
        const json_t *v = json_object_get(s, summary_rows[i].key);
        fputs(i % 2 == 0 ? "<tr><td>" : "<td>", f);
        htmlesc_write(f, report_label(summary_rows[i].key, lang));
        fputs("</td>", f);
        html_td_open(f, summary_rows[i].key, v);
        htmlesc_write(f, value_text(v, summary_rows[i].pct, "—", buf, sizeof(buf)));
        fputs(i % 2 == 1 || i + 1 == ARRAY_LEN(summary_rows) ? "</td></tr>\n" : "</td>", f);
    }
    fprintf(f,
            "</tbody>\n</table>\n<p class=\"notes\">%s%s = ", tr(lang, "口径：", "Definitions: "),
            report_label("procedure_rate_pct", lang));
    htmlesc_write(f, str_of(m, "procedure_rate"));
    fprintf(f, "%s%s = ", tr(lang, "；", "; "), report_label("project_rate_pct", lang));
    htmlesc_write(f, str_of(m, "project_rate"));
    fprintf(f, "%s%s %.0f%%%s</p>\n</section>\n", tr(lang, "；", "; "),
            tr(lang, "目标线", "target line"), TARGET_PCT, tr(lang, "。", "."));

    fprintf(f, "<section class=\"keep\">\n<h2>%s</h2>\n<div class=\"row\">\n",
            tr(lang, "二、红黄绿预警与手续状态", "2. Colours and states"));
    fprintf(f,
            "<table id=\"colours\">\n<thead><tr><th>%s</th><th>%s</th><th>%s</th></tr></thead>"
            "\n<tbody>\n",
            tr(lang, "预警", "Colour"), tr(lang, "手续", "Procedures"),
            tr(lang, "项目", "Projects"));
    for (size_t i = 0; i < ARRAY_LEN(colours); i++) {
        const json_t *v = json_object_get(cols, colours[i]),
                     *pv = json_object_get(pcols, colours[i]);
        fprintf(f, "<tr><td>%s</td>", pm_colour_label(colour_ids[i], lang));
        html_td_open(f, colours[i], v);
        fprintf(f, "%s</td>", value_text(v, false, "0", buf, sizeof(buf)));
        html_td_open(f, colours[i], pv);
        fprintf(f, "%s</td></tr>\n", value_text(pv, false, "0", buf, sizeof(buf)));
    }
    fputs("</tbody>\n</table>\n", f);
    svg_colours(f, cols, lang);
    /* The states across, their names over their counts: nine rows would take a third of the
     * page's height for nine numbers. */
    fputs("</div>\n<table id=\"states\">\n<thead><tr>", f);
    for (int i = 0; i < PM_STATE__COUNT; i++)
        fprintf(f, "<th>%s</th>", pm_state_label((pm_state_t)i, lang));
    fputs("</tr></thead>\n<tbody>\n<tr>", f);
    for (int i = 0; i < PM_STATE__COUNT; i++)
        fprintf(f, "<td class=\"n\" data-key=\"%s\">%s</td>", pm_state_name((pm_state_t)i),
                value_text(json_object_get(states, pm_state_name((pm_state_t)i)), false, "0", buf,
                           sizeof(buf)));
    fputs("</tr>\n</tbody>\n</table>\n", f);
    fprintf(f, "<p class=\"notes\">%s</p>\n</section>\n",
            tr(lang,
               "红色：已超过承诺时限（超期）；黄色：临近时限；绿色：正常。项目颜色取其手续与"
               "项目总时限中最严重者：任一为红即红，否则任一为黄即黄，其余为绿。",
               "Red: past the promised limit (overdue); yellow: close to the limit; green: on "
               "track. A project takes the worst colour of its procedures and its own due "
               "date: red if any is red, else yellow if any is yellow, else green."));

    fprintf(f, "<section>\n<h2>%s</h2>\n<div class=\"charts\">\n",
            tr(lang, "三、办结率", "3. Completion rates"));
    svg_bars(f, "chart-region", tr(lang, "分地区手续办结率", "Completion by region"),
             json_object_get(bd, "region"), REPORT_BY_REGION, lang);
    svg_bars(f, "chart-department", tr(lang, "分部门手续办结率", "Completion by department"),
             json_object_get(bd, "department"), REPORT_BY_DEPARTMENT, lang);
    if (by == REPORT_BY_INDUSTRY)
        svg_bars(f, "chart-industry", tr(lang, "分行业手续办结率", "Completion by industry"),
                 json_object_get(bd, "industry"), REPORT_BY_INDUSTRY, lang);
    fputs("</div>\n</section>\n", f);

    fprintf(f, "<section>\n<h2>%s (%s ", tr(lang, "四、超期最久", "4. Longest overdue"),
            tr(lang, "前", "top"));
    fprintf(f, "%s / ", value_text(json_object_get(m, "top"), false, "0", buf, sizeof(buf)));
    fprintf(f, "%s)</h2>\n",
            value_text(json_object_get(s, "overdue_total"), false, "0", buf, sizeof(buf)));
    html_table(f, "overdue", json_object_get(doc, "overdue"), overdue_cols, ARRAY_LEN(overdue_cols),
               by, "", lang);
    fprintf(f, "</section>\n<section>\n<h2>%s: ", tr(lang, "五、分组办结率", "5. Completion by"));
    htmlesc_write(f, by_label);
    fputs("</h2>\n", f);
    html_table(f, "breakdown", json_object_get(bd, by_names[by]), breakdown_cols,
               ARRAY_LEN(breakdown_cols), by, by_label, lang);
    fprintf(f, "</section>\n<section>\n<h2>%s</h2>\n",
            tr(lang, "六、部门办理用时", "6. Working days from acceptance to approval"));
    html_table(f, "departments", json_object_get(doc, "departments"), dept_cols,
               ARRAY_LEN(dept_cols), by, "", lang);
    fprintf(f, "</section>\n<section class=\"keep\">\n<h2>%s</h2>\n<div class=\"row\">\n",
            tr(lang, "七、办结率趋势", "7. Completion trend"));
    svg_trend(f, json_object_get(doc, "trend"), lang);
    html_table(f, "trend", json_object_get(doc, "trend"), trend_cols, ARRAY_LEN(trend_cols), by,
               report_trend_key_label(doc, lang), lang);
    fputs("</div>\n</section>\n</body>\n</html>\n", f);
}

const char *
report_html_style(void)
{
    return html_css;
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
