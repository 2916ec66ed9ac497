/*
 * Unit tests of entryfmt, the two faces of a log entry: the readable line of `permitctl tail`
 * and the JSON object of `--json`. Each kind of entry is built in code, its JSON parsed back
 * with jansson and its line searched for what entryfmt.h promises. Times are formatted in
 * Asia/Shanghai so the expected text is fixed.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "entryfmt.h"

/* 2026-11-22T16:30:00.123+08:00 */
#define RECV_MS INT64_C(1795336200123)
#define HOUR_MS INT64_C(3600000)

static int
setup_shanghai(void **state)
{
    (void)state;
    assert_int_equal(setenv("TZ", "Asia/Shanghai", 1), 0);
    tzset();
    return 0;
}

/* A department's event as the broker logs it: cert, note and a claimed time 3 hours back. */
static pm_entry_t *
department_event(void)
{
    pm_entry_t *e = pm_entry_new(PM_KIND_APPROVED);

    e->seq = 42;
    e->event_id = xstrdup("eeb-2026-0007");
    e->actor = xstrdup("EEB");
    e->dept = xstrdup("EEB");
    e->project = xstrdup("P-2026-001");
    e->procedure = xstrdup("EIA");
    e->recv_ms = RECV_MS;
    e->event_ms = RECV_MS - 3 * HOUR_MS;
    e->cert = xstrdup("环审〔2026〕12号");
    e->note = xstrdup("材料齐全 已办结");
    return e;
}

/* A derived entry: a procedure became ready, with the names a subscriber needs. */
static pm_entry_t *
unblocked_entry(void)
{
    pm_entry_t *e = pm_entry_new(PM_KIND_UNBLOCKED);

    e->seq = 43;
    e->actor = xstrdup("broker");
    e->dept = xstrdup("NRB");
    e->project = xstrdup("P-2026-001");
    e->procedure = xstrdup("LAND_PLAN_PERMIT");
    e->recv_ms = RECV_MS;
    e->cause = 42;
    e->project_name = xstrdup("新能源电池产业园");
    e->procedure_name = xstrdup("建设用地规划许可证");
    e->steward = xstrdup("张三");
    e->limit_days = 2;
    return e;
}

static pm_entry_t *
milestone_entry(void)
{
    pm_entry_t *e = pm_entry_new(PM_KIND_MILESTONE);

    e->seq = 44;
    e->actor = xstrdup("broker");
    e->project = xstrdup("P-2026-001");
    e->recv_ms = RECV_MS;
    e->cause = 43;
    e->project_name = xstrdup("新能源电池产业园");
    e->milestone = xstrdup("CERTS_TOGETHER");
    e->milestone_name = xstrdup("五证联发");
    return e;
}

/* An administrative entry: the project lives in the nested object, not in e->project. */
static pm_entry_t *
project_entry(void)
{
    pm_entry_t *e = pm_entry_new(PM_KIND_PROJECT);
    pm_project_t *p = pm_project_new();

    e->seq = 7;
    e->actor = xstrdup("operator:李四");
    e->event_id = xstrdup("import-1");
    e->recv_ms = RECV_MS;
    p->id = xstrdup("P-2026-002");
    p->name = xstrdup("智能装备制造基地");
    p->region = xstrdup("高新区");
    p->company = xstrdup("某某科技有限公司");
    p->steward = xstrdup("王五");
    p->template_name = xstrdup("standard");
    p->template_version = 3;
    strv_push(&p->not_required, "RELICS");
    strv_push(&p->not_required, "FOREST_USE");
    e->project_info = p;
    return e;
}

/* The compact JSON line of e, checked for what every line promises, parsed back. */
static json_t *
json_of(const pm_entry_t *e, char **text)
{
    json_error_t err;
    json_t *j;

    *text = entryfmt_json_line(e);
    assert_non_null(*text);
    assert_null(strchr(*text, '\n'));
    /* Text stays UTF-8: \uXXXX only for the control characters JSON cannot carry raw. */
    for (const char *p = strstr(*text, "\\u"); p != NULL; p = strstr(p + 2, "\\u"))
        if (strncmp(p + 2, "000", 3) != 0 && strncmp(p + 2, "001", 3) != 0)
            fail_msg("escaped text in %s", *text);
    j = json_loads(*text, 0, &err);
    if (j == NULL)
        fail_msg("not JSON (%s): %s", err.text, *text);
    assert_true(json_is_object(j));
    return j;
}

static void
assert_json_str(const json_t *o, const char *key, const char *want)
{
    const json_t *v = json_object_get(o, key);

    if (v == NULL)
        fail_msg("no \"%s\"", key);
    assert_true(json_is_string(v));
    assert_string_equal(json_string_value(v), want);
}

static void
assert_json_int(const json_t *o, const char *key, json_int_t want)
{
    const json_t *v = json_object_get(o, key);

    if (v == NULL)
        fail_msg("no \"%s\"", key);
    assert_true(json_is_integer(v));
    assert_int_equal(json_integer_value(v), want);
}

/* Keys that must be left out (NULL-terminated). */
static void __attribute__((sentinel)) assert_json_absent(const json_t *o, ...)
{
    va_list ap;
    const char *key;

    va_start(ap, o);
    while ((key = va_arg(ap, const char *)) != NULL)
        if (json_object_get(o, key) != NULL)
            fail_msg("\"%s\" should be absent", key);
    va_end(ap);
}

static void
assert_has(const char *line, const char *needle)
{
    if (strstr(line, needle) == NULL)
        fail_msg("'%s' not in line '%s'", needle, line);
}

/* The plain line: one line, no escape sequence, and the columns every entry has. */
static char *
plain_line(const pm_entry_t *e, const char *kind, const char *project)
{
    char *line = entryfmt_line(e, false);
    char seq[32];

    assert_non_null(line);
    assert_null(strchr(line, '\n'));
    assert_null(strchr(line, '\033'));
    snprintf(seq, sizeof(seq), "%llu", (unsigned long long)e->seq);
    /* The sequence number leads the line. */
    assert_int_equal(strncmp(line + strspn(line, " "), seq, strlen(seq)), 0);
    assert_has(line, "2026-11-22 16:30:00+08:00");
    assert_has(line, kind);
    assert_has(line, project);
    if (e->procedure != NULL)
        assert_has(line, e->procedure);
    return line;
}

static void
assert_coloured(const pm_entry_t *e)
{
    char *line = entryfmt_line(e, true);

    assert_non_null(strchr(line, '\033'));
    assert_null(strchr(line, '\n'));
    assert_has(line, pm_kind_name(e->kind));
    free(line);
}

static void
test_department_event(void **state)
{
    pm_entry_t *e = department_event();
    char *text, *line;
    json_t *j = json_of(e, &text);
    (void)state;

    assert_json_int(j, "seq", 42);
    assert_json_str(j, "kind", "approved");
    assert_json_str(j, "recv_time", "2026-11-22T16:30:00.123+08:00");
    assert_json_int(j, "recv_ms", RECV_MS);
    assert_json_str(j, "event_time", "2026-11-22T13:30:00.123+08:00");
    assert_json_int(j, "event_ms", RECV_MS - 3 * HOUR_MS);
    assert_json_str(j, "actor", "EEB");
    assert_json_str(j, "dept", "EEB");
    assert_json_str(j, "project", "P-2026-001");
    assert_json_str(j, "procedure", "EIA");
    assert_json_str(j, "event_id", "eeb-2026-0007");
    assert_json_str(j, "cert", "环审〔2026〕12号");
    assert_json_str(j, "note", "材料齐全 已办结");
    assert_json_absent(j, "cause", "missing", "due_time", "due_ms", "project_name",
                       "procedure_name", "steward", "limit_days", "milestone", "milestone_name",
                       "department", "template", "project_info", NULL);
    assert_has(text, "环审〔2026〕12号");
    json_decref(j);
    free(text);

    line = plain_line(e, "approved", "P-2026-001");
    assert_has(line, "EEB");
    assert_has(line, "actor=EEB");
    assert_has(line, "cert=环审〔2026〕12号");
    /* A value with a blank is quoted so the line still splits into words. */
    assert_has(line, "note=\"材料齐全 已办结\"");
    assert_has(line, "claimed 2026-11-22 13:30:00+08:00");
    assert_has(line, "id=eeb-2026-0007");
    free(line);
    assert_coloured(e);

    /* Sent on time (same second as received): no claimed time in the line. */
    e->event_ms = RECV_MS - 100;
    line = entryfmt_line(e, false);
    assert_null(strstr(line, "claimed"));
    free(line);
    pm_entry_destroy(&e);
}

static void
test_deficient_event(void **state)
{
    pm_entry_t *e = pm_entry_new(PM_KIND_ACCEPTED_DEFICIENT);
    char *text, *line;
    json_t *j;
    (void)state;

    e->seq = 9;
    e->actor = xstrdup("HCB");
    e->dept = xstrdup("HCB");
    e->project = xstrdup("P-2026-001");
    e->procedure = xstrdup("CONSTRUCTION_PERMIT");
    e->recv_ms = RECV_MS;
    e->missing = xstrdup("施工图审查合格书");
    e->due_ms = RECV_MS + 72 * HOUR_MS;
    j = json_of(e, &text);
    assert_json_str(j, "kind", "accepted_deficient");
    assert_json_str(j, "missing", "施工图审查合格书");
    assert_json_str(j, "due_time", "2026-11-25T16:30:00.123+08:00");
    assert_json_int(j, "due_ms", RECV_MS + 72 * HOUR_MS);
    assert_json_absent(j, "event_time", "event_ms", "event_id", "cert", "note", NULL);
    json_decref(j);
    free(text);

    line = plain_line(e, "accepted_deficient", "P-2026-001");
    assert_has(line, "missing=施工图审查合格书");
    assert_has(line, "due=2026-11-25 16:30:00+08:00");
    free(line);
    pm_entry_destroy(&e);
}

static void
test_unblocked_entry(void **state)
{
    pm_entry_t *e = unblocked_entry();
    char *text, *line;
    json_t *j = json_of(e, &text);
    (void)state;

    assert_json_int(j, "seq", 43);
    assert_json_str(j, "kind", "unblocked");
    assert_json_str(j, "actor", "broker");
    assert_json_str(j, "project", "P-2026-001");
    assert_json_str(j, "procedure", "LAND_PLAN_PERMIT");
    assert_json_int(j, "cause", 42);
    assert_json_str(j, "project_name", "新能源电池产业园");
    assert_json_str(j, "procedure_name", "建设用地规划许可证");
    assert_json_str(j, "steward", "张三");
    assert_json_int(j, "limit_days", 2);
    assert_json_absent(j, "event_id", "event_time", "event_ms", "cert", "note", "missing",
                       "due_time", "milestone", "department", "template", "project_info", NULL);
    assert_has(text, "建设用地规划许可证");
    json_decref(j);
    free(text);

    line = plain_line(e, "unblocked", "P-2026-001");
    assert_has(line, "新能源电池产业园");
    assert_has(line, "建设用地规划许可证");
    assert_has(line, "steward=张三");
    assert_has(line, "cause=42");
    assert_has(line, "NRB");
    free(line);
    assert_coloured(e);
    pm_entry_destroy(&e);
}

static void
test_milestone_entry(void **state)
{
    pm_entry_t *e = milestone_entry();
    char *text, *line;
    json_t *j = json_of(e, &text);
    (void)state;

    assert_json_str(j, "kind", "milestone");
    assert_json_str(j, "milestone", "CERTS_TOGETHER");
    assert_json_str(j, "milestone_name", "五证联发");
    assert_json_int(j, "cause", 43);
    assert_json_absent(j, "procedure", "dept", "procedure_name", "limit_days", NULL);
    assert_has(text, "五证联发");
    json_decref(j);
    free(text);

    line = plain_line(e, "milestone", "P-2026-001");
    assert_has(line, "CERTS_TOGETHER");
    assert_has(line, "五证联发");
    free(line);
    assert_coloured(e);
    pm_entry_destroy(&e);
}

static void
test_project_entry(void **state)
{
    pm_entry_t *e = project_entry();
    char *text, *line;
    json_t *j = json_of(e, &text), *info, *nr;
    (void)state;

    assert_json_int(j, "seq", 7);
    assert_json_str(j, "kind", "project");
    assert_json_str(j, "actor", "operator:李四");
    assert_json_str(j, "event_id", "import-1");
    assert_json_absent(j, "project", "procedure", "dept", "department", "template", NULL);
    info = json_object_get(j, "project_info");
    assert_true(json_is_object(info));
    assert_json_str(info, "id", "P-2026-002");
    assert_json_str(info, "name", "智能装备制造基地");
    assert_json_str(info, "region", "高新区");
    assert_json_str(info, "company", "某某科技有限公司");
    assert_json_str(info, "steward", "王五");
    assert_json_str(info, "template", "standard");
    assert_json_int(info, "template_version", 3);
    assert_json_absent(info, "industry", "leader", NULL);
    nr = json_object_get(info, "not_required");
    assert_true(json_is_array(nr));
    assert_int_equal(json_array_size(nr), 2);
    assert_string_equal(json_string_value(json_array_get(nr, 0)), "RELICS");
    assert_string_equal(json_string_value(json_array_get(nr, 1)), "FOREST_USE");
    assert_has(text, "智能装备制造基地");
    json_decref(j);
    free(text);

    line = plain_line(e, "project", "P-2026-002");
    assert_has(line, "智能装备制造基地");
    assert_has(line, "operator:李四");
    assert_has(line, "RELICS");
    assert_has(line, "FOREST_USE");
    free(line);
    assert_coloured(e);
    pm_entry_destroy(&e);
}

static void
test_department_entry(void **state)
{
    pm_entry_t *e = pm_entry_new(PM_KIND_DEPARTMENT);
    char *text, *line;
    json_t *j, *d;
    (void)state;

    e->seq = 1;
    e->actor = xstrdup("operator:admin");
    e->recv_ms = RECV_MS;
    e->department = xcalloc(1, sizeof(*e->department));
    e->department->code = xstrdup("EEB");
    e->department->name = xstrdup("生态环境局");
    j = json_of(e, &text);
    d = json_object_get(j, "department");
    assert_true(json_is_object(d));
    assert_json_str(d, "code", "EEB");
    assert_json_str(d, "name", "生态环境局");
    assert_json_absent(d, "contact", NULL);
    assert_json_absent(j, "project_info", "template", "project", NULL);
    json_decref(j);
    free(text);

    line = entryfmt_line(e, false);
    assert_has(line, "department");
    assert_has(line, "EEB");
    assert_has(line, "生态环境局");
    assert_null(strchr(line, '\033'));
    free(line);
    pm_entry_destroy(&e);
}

/* Control characters and quotes in a value never break the entry onto a second line. */
static void
test_one_line_escapes(void **state)
{
    pm_entry_t *e = department_event();
    char *text, *line;
    json_t *j;
    (void)state;

    xstrset(&e->note, "第一行\n第二行 \"引号\"\t\\ \x1b[31m");
    line = entryfmt_line(e, false);
    assert_null(strchr(line, '\n'));
    assert_null(strchr(line, '\033'));
    assert_has(line, "note=\"第一行\\n第二行 \\\"引号\\\"\\t\\\\ \\x1b[31m\"");
    free(line);

    j = json_of(e, &text);
    assert_json_str(j, "note", "第一行\n第二行 \"引号\"\t\\ \x1b[31m");
    json_decref(j);
    free(text);
    pm_entry_destroy(&e);
}

static void
test_dump_unescaped(void **state)
{
    json_t *o = json_object();
    char *s;
    (void)state;

    json_object_set_new(o, "z", json_string("五证联发"));
    json_object_set_new(o, "a", json_integer(1));
    s = entryfmt_dump(o);
    /* Compact, unescaped, in insertion order. */
    assert_string_equal(s, "{\"z\":\"五证联发\",\"a\":1}");
    free(s);
    json_decref(o);
}

/* An alert's acknowledgement shows which alert (cause), who, how and through which key. */
static void
test_alert_ack_entry(void **state)
{
    pm_entry_t *e = pm_entry_new(PM_KIND_ALERT_ACK);
    char *text, *line;
    json_t *j;
    (void)state;

    e->seq = 260;
    e->event_id = xstrdup("ack:252");
    e->actor = xstrdup(PM_ACK_ACTOR);
    e->project = xstrdup("P-2026-001");
    e->dept = xstrdup("EEB");
    e->recv_ms = RECV_MS;
    e->cause = 252;
    e->recipient = xstrdup("其木格");
    e->via = xstrdup(PM_ACK_VIA_WEB);
    e->relay = xstrdup("viewer:permit-web");
    j = json_of(e, &text);
    assert_json_str(j, "kind", "alert_ack");
    assert_json_str(j, "recipient", "其木格");
    assert_json_str(j, "via", "web");
    assert_json_str(j, "relay", "viewer:permit-web");
    assert_int_equal(json_integer_value(json_object_get(j, "cause")), 252);
    json_decref(j);
    free(text);

    line = entryfmt_line(e, false);
    assert_has(line, "alert_ack");
    assert_has(line, "by=其木格");
    assert_has(line, "via=web");
    assert_has(line, "relay=viewer:permit-web");
    assert_has(line, "cause=252");
    free(line);
    pm_entry_destroy(&e);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_department_event), cmocka_unit_test(test_deficient_event),
        cmocka_unit_test(test_unblocked_entry),  cmocka_unit_test(test_milestone_entry),
        cmocka_unit_test(test_project_entry),    cmocka_unit_test(test_department_entry),
        cmocka_unit_test(test_one_line_escapes), cmocka_unit_test(test_dump_unescaped),
        cmocka_unit_test(test_alert_ack_entry),
    };
    return cmocka_run_group_tests(tests, setup_shanghai, NULL);
}
