/*
 * Unit tests of the weekly report (report/report.c) on stores built in a temporary folder with
 * the real engine, on data sets whose figures are known by construction:
 * - 24 projects of the ten-procedure template in three regions and two industries: 240
 *   procedures, 82 approved and 93 not required (72.9 %), 5 projects with everything done
 *   (20.8 %), every region's, industry's and department's rate worked out below;
 * - the Ordos figures of DOMAIN.md: 240 projects of 11 procedures (2,640), 819 approved and
 *   935 not required (66.4 %), 45 projects done (18.8 %);
 * - --as-of reproducing an earlier report exactly after more events, and the trend's points;
 * - the longest-overdue items and working days per department on a hand-checked calendar;
 * - the same figures in every rendering.
 */
#include "engine_fixture.h"

#include <math.h>

#include "calendar.h"
#include "report.h"

#define OFF (8 * 3600)

/* 09:00 +08:00 on a day of 2026. */
static int64_t
at(int month, int mday, int hour)
{
    return cal_day_start_ms(cal_day_from_ymd(2026, month, mday), OFF) + hour * 3600000LL;
}

/* The fixture's store without its sample project: departments and the template only. */
static int
setup_empty(void **state)
{
    static const char *depts[][2] = {
        {"DRC", "发展和改革委员会"}, {"NRB", "自然资源局"}, {"EEB", "生态环境局"},
        {"HCB", "住房和城乡建设局"}, {"WRB", "水务局"},     {"FGB", "林业和草原局"},
        {"CTB", "文化旅游体育局"},
    };
    fix_t *f = xcalloc(1, sizeof(*f));
    pm_msg_t *m;
    char *err = NULL;

    assert_int_equal(fixture_tmpdir(f->dir, sizeof(f->dir), "report"), 0);
    f->path = xasprintf("%s/state.db", f->dir);
    f->s = store_open(f->path, &err);
    assert_non_null(f->s);
    f->en = engine_new(f->s, NULL);
    f->now = at(3, 2, 9); /* Monday 2 March 2026 */
    m = pm_msg_new(PM_MSG_IMPORT);
    m->import = xcalloc(1, sizeof(pm_import_t));
    m->import->id = xstrdup("depts");
    for (size_t i = 0; i < ARRAY_LEN(depts); i++) {
        pm_department_t *d = pm_import_add_dept(m->import);
        d->code = xstrdup(depts[i][0]);
        d->name = xstrdup(depts[i][1]);
    }
    submit(f, &m);
    expect_ack(f);
    import_template(f, fixture_template());
    expect_ack(f);
    *state = f;
    return 0;
}

static void
project(fix_t *f, const char *id, const char *region, const char *industry, const char *tmpl,
        const char *not_required)
{
    pm_msg_t *m = pm_msg_new(PM_MSG_IMPORT);
    pm_project_t *p;

    m->import = xcalloc(1, sizeof(pm_import_t));
    m->import->id = xasprintf("import-%d", f->next_id++);
    p = pm_import_add_project(m->import);
    p->id = xstrdup(id);
    p->name = xasprintf("%s项目", id);
    p->region = xstrdup(region);
    p->industry = xstrdup(industry);
    p->steward = xstrdup("王建国");
    p->template_name = xstrdup(tmpl);
    strv_split(&p->not_required, not_required, ";");
    submit(f, &m);
    expect_ack(f);
}

static void
approve(fix_t *f, const char *dept, const char *project_id, const char *code)
{
    event(f, dept, project_id, code, PM_KIND_ACCEPTED, NULL);
    expect_ack(f);
    event(f, dept, project_id, code, PM_KIND_APPROVED, NULL);
    expect_ack(f);
}

static json_t *
build(fix_t *f, int64_t as_of, int weeks)
{
    report_opts_t o;
    json_t *doc = NULL;
    char *err = NULL;

    report_opts_defaults(&o);
    o.weeks = weeks;
    if (report_build_store(f->s, as_of, &o, &doc, &err) < 0)
        fail_msg("report_build_store: %s", err);
    return doc;
}

static const json_t *
path(const json_t *doc, const char *section, const char *key)
{
    const json_t *v = json_object_get(doc, section);
    assert_non_null(v);
    v = json_object_get(v, key);
    if (v == NULL)
        fail_msg("no %s.%s", section, key);
    return v;
}

static long long
ival(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v))
        fail_msg("%s is not an integer", key);
    return (long long)json_integer_value(v);
}

/* A percentage, compared in tenths so 72.9 is 729. */
static long long
tenths(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_real(v))
        fail_msg("%s is not a real", key);
    return (long long)floor(json_real_value(v) * 10.0 + 0.5);
}

/* The row of a list whose key is key. */
static const json_t *
row(const json_t *list, const char *key)
{
    size_t i;
    json_t *r;

    json_array_foreach(list, i, r)
    {
        if (strcmp(json_string_value(json_object_get(r, "key")), key) == 0)
            return r;
    }
    fail_msg("no row %s", key);
    return NULL;
}

static char *
render(const json_t *doc, report_format_t fmt)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    assert_int_equal(report_render(doc, fmt, f), 0);
    fclose(f);
    return buf;
}

static void
expect_in(const char *text, const char *needle)
{
    if (strstr(text, needle) == NULL)
        fail_msg("'%s' not found in the rendering", needle);
}

/* Type A: everything done (4 not required, 6 approved in prerequisite order). */
#define NR4 "FOREST_USE;RELICS;SOIL_WATER;ENERGY_REVIEW"
#define NR3 "FOREST_USE;RELICS;SOIL_WATER"

static void
approve_a(fix_t *f, const char *id)
{
    approve(f, "NRB", id, "LAND_PREREVIEW");
    approve(f, "DRC", id, "PROJECT_APPROVAL");
    approve(f, "EEB", id, "EIA");
    approve(f, "NRB", id, "LAND_PLAN_PERMIT");
    approve(f, "NRB", id, "ENG_PLAN_PERMIT");
    approve(f, "HCB", id, "CONSTRUCTION_PERMIT");
}

/* Type B: 8 of 10 done (4 not required, 4 approved); ENG_PLAN and CONSTRUCTION stay open. */
static void
approve_b(fix_t *f, const char *id)
{
    approve(f, "NRB", id, "LAND_PREREVIEW");
    approve(f, "DRC", id, "PROJECT_APPROVAL");
    approve(f, "EEB", id, "EIA");
    approve(f, "NRB", id, "LAND_PLAN_PERMIT");
}

/*
 * The 24 projects: 科尔沁区 5 A + 3 B, 开鲁县 8 B, 奈曼旗 2 B + 3 C (4 not required) + 3 C
 * (3 not required). A projects are 新能源, the rest 物流. The A projects are done in the week
 * of 2 March, the B approvals come on 9 March.
 */
static void
load_known(fix_t *f, bool second_week)
{
    char id[32];

    if (!second_week) {
        for (int i = 0; i < 24; i++) {
            const char *region = i < 8 ? "科尔沁区" : i < 16 ? "开鲁县" : "奈曼旗";
            bool a = i < 5, c = i >= 18;
            snprintf(id, sizeof(id), "P-%02d", i);
            project(f, id, region, a ? "新能源" : "物流", "standard", c && i >= 21 ? NR3 : NR4);
        }
        for (int i = 0; i < 5; i++) {
            snprintf(id, sizeof(id), "P-%02d", i);
            approve_a(f, id);
        }
        return;
    }
    for (int i = 5; i < 18; i++) {
        snprintf(id, sizeof(id), "P-%02d", i);
        approve_b(f, id);
    }
}

static void
test_known_rates(void **state)
{
    fix_t *f = *state;
    json_t *doc, *bd;
    const json_t *s, *r;

    load_known(f, false);
    f->now = at(3, 9, 9);
    load_known(f, true);
    doc = build(f, at(3, 10, 12), 3);
    s = json_object_get(doc, "summary");
    assert_int_equal(ival(s, "procedures"), 240);
    assert_int_equal(ival(s, "approved"), 82);
    assert_int_equal(ival(s, "not_required"), 93);
    assert_int_equal(ival(s, "done"), 175);
    assert_int_equal(tenths(s, "procedure_rate_pct"), 729);
    assert_int_equal(ival(s, "projects"), 24);
    assert_int_equal(ival(s, "projects_done"), 5);
    assert_int_equal(tenths(s, "project_rate_pct"), 208);
    /* Week on week: 51.3 % at the end of the week of 2 March. */
    assert_int_equal(tenths(s, "change_pct_points"), 216);
    assert_int_equal(ival(json_object_get(doc, "states"), "approved"), 82);
    assert_int_equal(ival(json_object_get(doc, "states"), "not_required"), 93);
    /* The open ones: 13 B projects with ENG_PLAN ready and CONSTRUCTION blocked; the 6 C
     * projects with LAND_PREREVIEW, PROJECT_APPROVAL, EIA ready, ... */
    assert_int_equal(ival(json_object_get(doc, "states"), "ready") +
                         ival(json_object_get(doc, "states"), "blocked"),
                     65);

    bd = json_object_get(doc, "breakdown");
    r = row(json_object_get(bd, "region"), "科尔沁区");
    assert_int_equal(ival(r, "procedures"), 80);
    assert_int_equal(ival(r, "done"), 74);
    assert_int_equal(tenths(r, "procedure_rate_pct"), 925);
    assert_int_equal(tenths(r, "project_rate_pct"), 625);
    r = row(json_object_get(bd, "region"), "开鲁县");
    assert_int_equal(tenths(r, "procedure_rate_pct"), 800);
    assert_int_equal(tenths(r, "project_rate_pct"), 0);
    r = row(json_object_get(bd, "region"), "奈曼旗");
    assert_int_equal(ival(r, "done"), 37);
    assert_int_equal(tenths(r, "procedure_rate_pct"), 463); /* 46.25 rounds up */
    /* Ranked: highest rate first. */
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(bd, "region"), 0), "key")),
        "科尔沁区");
    r = row(json_object_get(bd, "industry"), "新能源");
    assert_int_equal(tenths(r, "procedure_rate_pct"), 1000);
    assert_int_equal(tenths(r, "project_rate_pct"), 1000);
    r = row(json_object_get(bd, "industry"), "物流");
    assert_int_equal(ival(r, "done"), 125);
    assert_int_equal(tenths(r, "procedure_rate_pct"), 658);
    r = row(json_object_get(bd, "department"), "NRB");
    assert_int_equal(ival(r, "procedures"), 72);
    assert_int_equal(ival(r, "done"), 41); /* A: 3 approved x 5, B: 2 x 13 */
    assert_int_equal(tenths(r, "procedure_rate_pct"), 569);
    assert_string_equal(json_string_value(json_object_get(r, "name")), "自然资源局");
    assert_int_equal(tenths(row(json_object_get(bd, "department"), "DRC"), "procedure_rate_pct"),
                     813); /* 39 / 48 = 81.25 */
    assert_int_equal(tenths(row(json_object_get(bd, "department"), "EEB"), "procedure_rate_pct"),
                     750);
    assert_int_equal(tenths(row(json_object_get(bd, "department"), "HCB"), "procedure_rate_pct"),
                     208);
    assert_int_equal(tenths(row(json_object_get(bd, "department"), "WRB"), "procedure_rate_pct"),
                     1000);
    assert_true(json_is_null(
        json_object_get(row(json_object_get(bd, "department"), "WRB"), "project_rate_pct")));

    /* Trend: weeks ending 1 March (nothing yet), 8 March, then the as-of day. */
    r = json_object_get(doc, "trend");
    assert_int_equal(json_array_size(r), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0), "key")),
                        "2026-03-01");
    assert_true(json_is_null(json_object_get(json_array_get(r, 0), "procedure_rate_pct")));
    assert_string_equal(json_string_value(json_object_get(json_array_get(r, 1), "key")),
                        "2026-03-08");
    assert_int_equal(ival(json_array_get(r, 1), "done"), 123);
    assert_int_equal(tenths(json_array_get(r, 1), "procedure_rate_pct"), 513);
    assert_int_equal(tenths(json_array_get(r, 1), "project_rate_pct"), 208);
    assert_string_equal(json_string_value(json_object_get(json_array_get(r, 2), "key")),
                        "2026-03-10");
    assert_int_equal(tenths(json_array_get(r, 2), "procedure_rate_pct"), 729);
    json_decref(doc);
}

/* A report as of a moment is the same document before and after later events arrive. */
static void
test_as_of(void **state)
{
    fix_t *f = *state;
    int64_t sunday = cal_day_end_ms(cal_day_from_ymd(2026, 3, 8), OFF) - 1;
    json_t *before, *after, *now;
    char *a, *b;

    load_known(f, false);
    before = build(f, sunday, 8);
    assert_int_equal(tenths(json_object_get(before, "summary"), "procedure_rate_pct"), 513);
    f->now = at(3, 9, 9);
    load_known(f, true);
    after = build(f, sunday, 8);
    a = json_dumps(before, JSON_SORT_KEYS);
    b = json_dumps(after, JSON_SORT_KEYS);
    assert_string_equal(a, b);
    free(a);
    free(b);
    /* The trend's point for that week is the as-of report's figure. */
    now = build(f, at(3, 10, 12), 8);
    assert_int_equal(tenths(json_array_get(json_object_get(now, "trend"), 6), "procedure_rate_pct"),
                     513);
    assert_int_equal(tenths(json_object_get(now, "summary"), "procedure_rate_pct"), 729);
    assert_int_equal(json_integer_value(path(now, "meta", "log_seq")), store_head(f->s));
    assert_true((long long)json_integer_value(path(before, "meta", "log_seq")) <
                (long long)store_head(f->s));
    json_decref(before);
    json_decref(after);
    json_decref(now);
}

/*
 * Overdue and working days, weekends only (no calendar): EIA (10 days) accepted Monday 2 March
 * is due Monday 16 March, and on Friday 20 March 4 working days over; LAND_PREREVIEW (5 days)
 * accepted 2 March and approved Thursday 5 March took 3 working days.
 */
static void
test_overdue_and_days(void **state)
{
    fix_t *f = *state;
    json_t *doc;
    const json_t *o, *d;

    project(f, "OD-1", "科尔沁区", "物流", "standard", "");
    event(f, "EEB", "OD-1", "EIA", PM_KIND_ACCEPTED, NULL);
    expect_ack(f);
    event(f, "NRB", "OD-1", "LAND_PREREVIEW", PM_KIND_ACCEPTED, NULL);
    expect_ack(f);
    f->now = at(3, 5, 16);
    event(f, "NRB", "OD-1", "LAND_PREREVIEW", PM_KIND_APPROVED, NULL);
    expect_ack(f);
    doc = build(f, at(3, 20, 12), 8);
    assert_int_equal(ival(json_object_get(doc, "summary"), "red"), 1);
    assert_int_equal(ival(json_object_get(doc, "summary"), "overdue_total"), 1);
    o = json_array_get(json_object_get(doc, "overdue"), 0);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "procedure")), "EIA");
    assert_string_equal(json_string_value(json_object_get(o, "procedure_name")),
                        "环境影响评价批复");
    assert_string_equal(json_string_value(json_object_get(o, "deadline")), "2026-03-16");
    assert_int_equal(ival(o, "days_over"), 4);
    assert_int_equal(ival(o, "statutory_days_over"), 4);
    d = row(json_object_get(doc, "departments"), "NRB");
    assert_int_equal(ival(d, "approved_on_clock"), 1);
    assert_int_equal(tenths(d, "avg_days"), 30);
    assert_int_equal(tenths(d, "avg_limit_days"), 50);
    assert_int_equal(ival(d, "within_limit"), 1);
    assert_true(
        json_is_null(json_object_get(row(json_object_get(doc, "departments"), "HCB"), "avg_days")));
    json_decref(doc);
    /* A week earlier nothing was overdue: EIA was green, then yellow by 13 March. */
    doc = build(f, at(3, 9, 12), 8);
    assert_int_equal(ival(json_object_get(doc, "summary"), "red"), 0);
    assert_int_equal(ival(json_object_get(doc, "summary"), "green"), 1);
    json_decref(doc);
}

/* The Ordos figures: 240 projects of 11 procedures, all without prerequisites. */
static void
test_ordos(void **state)
{
    static const char *const depts[] = {"NRB", "DRC", "EEB", "WRB", "CTB", "FGB", "HCB"};
    fix_t *f = *state;
    pm_template_t *t = pm_template_new();
    entry_list_t out = {0};
    json_t *doc;
    const json_t *s;
    char *text;

    t->name = xstrdup("ordos");
    for (int i = 0; i < 11; i++) {
        char code[16];
        snprintf(code, sizeof(code), "P%02d", i);
        fixture_proc(t, code, code, depts[i % 7], 10, NULL);
    }
    import_template(f, t);
    expect_ack(f);
    /* One transaction for the lot, as a broker's batch would. */
    assert_int_equal(store_begin(f->s), 0);
    for (int p = 0; p < 240; p++) {
        pm_msg_t *m = pm_msg_new(PM_MSG_IMPORT);
        pm_project_t *pr;
        int nr = p < 45 ? 5 : p < 170 ? 4 : 3;
        int ap = p < 45 ? 6 : p < 204 ? 3 : 2;

        m->import = xcalloc(1, sizeof(pm_import_t));
        m->import->id = xasprintf("ordos-%d", p);
        pr = pm_import_add_project(m->import);
        pr->id = xasprintf("ED-%03d", p);
        pr->name = xasprintf("鄂尔多斯项目%d", p);
        pr->region = xstrdup(p % 2 ? "康巴什区" : "东胜区");
        pr->template_name = xstrdup("ordos");
        for (int k = 0; k < nr; k++) {
            char code[16];
            snprintf(code, sizeof(code), "P%02d", k);
            strv_push(&pr->not_required, code);
        }
        reply_clear(&f->reply);
        assert_int_equal(engine_submit(f->en, m, f->now, &out, &f->reply), 0);
        expect_ack(f);
        pm_msg_destroy(&m);
        for (int k = 5; k < 5 + ap; k++) {
            for (int step = 0; step < 2; step++) {
                m = pm_msg_new(PM_MSG_EVENT);
                m->entry = pm_entry_new(step == 0 ? PM_KIND_ACCEPTED : PM_KIND_APPROVED);
                m->entry->event_id = xasprintf("ordos-%d-%d-%d", p, k, step);
                m->entry->dept = xstrdup(depts[k % 7]);
                m->entry->project = xasprintf("ED-%03d", p);
                m->entry->procedure = xasprintf("P%02d", k);
                reply_clear(&f->reply);
                assert_int_equal(engine_submit(f->en, m, f->now, &out, &f->reply), 0);
                expect_ack(f);
                pm_msg_destroy(&m);
            }
        }
    }
    assert_int_equal(store_commit(f->s), 0);
    entry_list_clear(&out);

    doc = build(f, at(3, 10, 12), 8);
    s = json_object_get(doc, "summary");
    assert_int_equal(ival(s, "procedures"), 2640);
    assert_int_equal(ival(s, "approved"), 819);
    assert_int_equal(ival(s, "not_required"), 935);
    assert_int_equal(tenths(s, "procedure_rate_pct"), 664);
    assert_int_equal(ival(s, "projects"), 240);
    assert_int_equal(ival(s, "projects_done"), 45);
    assert_int_equal(tenths(s, "project_rate_pct"), 188);

    /* The same figures in every format. */
    text = render(doc, REPORT_FMT_JSON);
    expect_in(text, "\"procedure_rate_pct\": 66.4");
    expect_in(text, "\"project_rate_pct\": 18.8");
    expect_in(text, "\"key\": \"东胜区\"");
    free(text);
    text = render(doc, REPORT_FMT_CSV);
    expect_in(text, "summary,,procedure_rate_pct,66.4\r\n");
    expect_in(text, "summary,,project_rate_pct,18.8\r\n");
    expect_in(text, "summary,,not_required,935\r\n");
    free(text);
    text = render(doc, REPORT_FMT_MD);
    expect_in(text, "| 手续办结率 | 66.4% |");
    expect_in(text, "| 项目办结率 | 18.8% |");
    expect_in(text, "| 已办结 | 819 |");
    free(text);
    text = render(doc, REPORT_FMT_HTML);
    expect_in(text, "data-key=\"procedure_rate_pct\">66.4%</td>");
    expect_in(text, "data-key=\"project_rate_pct\">18.8%</td>");
    expect_in(text, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"chart-trend\"");
    free(text);
    json_decref(doc);
}

static void
test_refusals(void **state)
{
    fix_t *f = *state;
    report_opts_t o;
    json_t *doc = NULL;
    char *err = NULL;
    report_by_t by;
    report_format_t fmt;

    report_opts_defaults(&o);
    o.weeks = 0;
    assert_int_equal(report_build_store(f->s, 0, &o, &doc, &err), -1);
    assert_non_null(err);
    assert_null(doc);
    free(err);
    err = NULL;
    assert_int_equal(report_build("/nonexistent/permit.db", 0, &o, &doc, &err), -1);
    assert_non_null(err);
    free(err);
    assert_int_equal(report_by_parse("department", &by), 0);
    assert_int_equal(by, REPORT_BY_DEPARTMENT);
    assert_int_equal(report_by_parse("county", &by), -1);
    assert_int_equal(report_format_parse("html", &fmt), 0);
    assert_int_equal(fmt, REPORT_FMT_HTML);
    assert_int_equal(report_format_parse("pdf", &fmt), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_known_rates, setup_empty, teardown),
        cmocka_unit_test_setup_teardown(test_as_of, setup_empty, teardown),
        cmocka_unit_test_setup_teardown(test_overdue_and_days, setup_empty, teardown),
        cmocka_unit_test_setup_teardown(test_ordos, setup_empty, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup_empty, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
