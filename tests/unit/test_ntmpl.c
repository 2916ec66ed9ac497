/*
 * Unit tests of the notifier's templates: placeholders expanded (Chinese text intact, "-" for
 * a value the notification lacks, {{ and }} as braces), unknown placeholders refused at load
 * time as FILE:LINE, the lookup falling back from "colour.red" to "colour" to "default", the
 * shipped deploy/templates all loading, and the entry variables built from a log entry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "directory.h"
#include "fixture.h"
#include "notifyd.h"
#include "ntmpl.h"
#include "util.h"

static char dir[64];

static const char *
lookup(void *arg, const char *name)
{
    return json_string_value(json_object_get(arg, name));
}

static void
put(const char *name, const char *text)
{
    char *path = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(path);
}

static void
test_render(void **state)
{
    json_t *v = json_pack("{s:s, s:s, s:s}", "project_name", "开鲁县红干椒冷链物流中心",
                          "procedure_name", "建筑工程施工许可证", "limit", "1");
    char *out;

    (void)state;
    out =
        ntmpl_render("【联审联批】{project_name}的{procedure_name}已可办理，{dept_name}请在{limit}"
                     "个工作日内办结 {{ok}}",
                     lookup, v, NTMPL_ESC_MARKDOWN);
    assert_string_equal(out,
                        "【联审联批】开鲁县红干椒冷链物流中心的建筑工程施工许可证已可办理，-请在1"
                        "个工作日内办结 {ok}");
    free(out);
    json_decref(v);
}

/* A rejection note written to phish and ping everyone arrives as text on every channel. */
static void
test_escape(void **state)
{
    const char *note = "[国务院整改通知](http://phish.example/login) <@all>\n# 标题 "
                       "<font color=\"warning\">红</font> @13800000000 www.x.cn *粗*";
    json_t *v = json_pack("{s:s}", "note", note);
    char *out;

    (void)state;
    out = ntmpl_render("**退回**：{note}", lookup, v, NTMPL_ESC_MARKDOWN);
    assert_string_equal(out, "**退回**：［国务院整改通知］(http：//phish.example/login) ＜@all＞ "
                             "＃ 标题 ＜font color=\"warning\"＞红＜/font＞ @13800000000 "
                             "www．x.cn ＊粗＊");
    free(out);
    out = ntmpl_render("{note}", lookup, v, NTMPL_ESC_MARKDOWN_AT);
    assert_non_null(strstr(out, "＜＠all＞"));
    assert_non_null(strstr(out, "＠13800000000"));
    free(out);
    out = ntmpl_render("<p>{note}</p>", lookup, v, NTMPL_ESC_HTML);
    assert_string_equal(out, "<p>[国务院整改通知](http：//phish.example/login) &lt;@all&gt; # 标题 "
                             "&lt;font color=&quot;warning&quot;&gt;红&lt;/font&gt; @13800000000 "
                             "www．x.cn *粗*</p>");
    free(out);
    out = ntmpl_render("{note}", lookup, v, NTMPL_ESC_TEXT);
    assert_null(strchr(out, '\n'));
    assert_null(strstr(out, "://"));
    free(out);
    json_decref(v);
}

static void
test_check(void **state)
{
    char *err = NULL;

    (void)state;
    assert_int_equal(ntmpl_check("{project} {days}", &err), 0);
    assert_int_equal(ntmpl_check("line one\n{projcet}", &err), -1);
    assert_string_equal(err, "line 2: unknown placeholder {projcet}");
    free(err);
    assert_int_equal(ntmpl_check("{project", &err), -1);
    free(err);
}

static void
test_load_and_fallback(void **state)
{
    const char *title, *body;
    char *err = NULL;
    ntmpl_t *t;

    (void)state;
    put("colour.tmpl", "colour {colour}\n\nbody {days}\n");
    put("default.tmpl", "default {kind}\nbody\n");
    put("notes.txt", "ignored {nonsense}\n");
    t = ntmpl_load(dir, &err);
    assert_non_null(t);
    assert_int_equal(ntmpl_get(t, "colour.red", &title, &body), 0);
    assert_string_equal(title, "colour {colour}");
    assert_string_equal(body, "body {days}");
    assert_int_equal(ntmpl_get(t, "milestone", &title, &body), 0);
    assert_string_equal(title, "default {kind}");
    ntmpl_destroy(&t);
    put("bad.tmpl", "title\n\n{steward} {stewrd}\n");
    assert_null(ntmpl_load(dir, &err));
    assert_non_null(strstr(err, "bad.tmpl:3: unknown placeholder {stewrd}"));
    free(err);
}

static void
test_shipped(void **state)
{
    const char *title, *body;
    char *err = NULL;
    ntmpl_t *t = ntmpl_load(DEPLOY_TEMPLATES, &err);

    (void)state;
    if (t == NULL)
        fail_msg("%s", err);
    assert_int_equal(ntmpl_get(t, "unblocked", &title, &body), 0);
    assert_non_null(strstr(title, "已可办理"));
    assert_int_equal(ntmpl_get(t, "digest", &title, &body), 0);
    assert_int_equal(ntmpl_get(t, "escalation", &title, &body), 0);
    ntmpl_destroy(&t);
}

static void
test_vars(void **state)
{
    pm_entry_t *e = pm_entry_new(PM_KIND_COLOUR);
    dir_info_t info = {0};
    json_t *v;

    (void)state;
    e->seq = 42;
    e->project = xstrdup("TL-2026-001");
    e->procedure = xstrdup("EIA");
    e->dept = xstrdup("EEB");
    e->colour = PM_COLOUR_RED;
    e->days = 2;
    e->procedure_name = xstrdup("环境影响评价批复");
    info.project_name = xstrdup("科尔沁区200兆瓦风光储一体化项目");
    info.leader = xstrdup("李建国");
    info.dept_name = xstrdup("生态环境局");
    v = notifyd_vars(e, &info);
    assert_string_equal(json_string_value(json_object_get(v, "seq")), "42");
    assert_string_equal(json_string_value(json_object_get(v, "colour")), "red");
    assert_string_equal(json_string_value(json_object_get(v, "days")), "2");
    assert_string_equal(json_string_value(json_object_get(v, "project_name")),
                        "科尔沁区200兆瓦风光储一体化项目");
    assert_string_equal(json_string_value(json_object_get(v, "leader")), "李建国");
    assert_null(json_object_get(v, "cert"));
    json_decref(v);
    dir_info_clear(&info);
    pm_entry_destroy(&e);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render),  cmocka_unit_test(test_escape),
        cmocka_unit_test(test_check),   cmocka_unit_test(test_load_and_fallback),
        cmocka_unit_test(test_shipped), cmocka_unit_test(test_vars),
    };
    int rc;

    if (fixture_tmpdir(dir, sizeof(dir), "ntmpl") != 0)
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    fixture_rmtree(dir);
    return rc;
}
