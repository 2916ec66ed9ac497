/*
 * Unit tests of permit-web's pure modules: wjson (JSON safe in any context), views (the fold of
 * followed entries: states, colours, the ring of recent entries and its bisection) and wcfg's
 * listen address.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "views.h"
#include "wcfg.h"
#include "wjson.h"

static void
test_wjson_escapes(void **state)
{
    json_t *j =
        json_pack("{ss}", "name", "<script>\"q\"\xe2\x80\xa8\xe2\x80\xa9\x01\xe2\x80\xae</b>");
    char *s = wjson_dump(j);

    (void)state;
    assert_null(strchr(s, '<'));
    assert_null(strchr(s, '>'));
    assert_null(strstr(s, "\xe2\x80\xa8"));
    assert_null(strstr(s, "\xe2\x80\xa9"));
    assert_string_equal(s, "{\"name\":\"\\u003cscript\\u003e\\\"q\\\"\\u2028\\u2029\\u0001"
                           "\xe2\x80\xae\\u003c/b\\u003e\"}");
    /* It is still the same JSON: it parses back to the original text. */
    json_t *back = json_loads(s, 0, NULL);
    assert_non_null(back);
    assert_string_equal(json_string_value(json_object_get(back, "name")),
                        json_string_value(json_object_get(j, "name")));
    json_decref(back);
    json_decref(j);
    free(s);
}

static pm_entry_t *
entry(uint64_t seq, pm_kind_t kind, const char *project, const char *procedure)
{
    pm_entry_t *e = pm_entry_new(kind);

    e->seq = seq;
    e->recv_ms = 1000 * (int64_t)seq;
    e->project = project ? xstrdup(project) : NULL;
    e->procedure = procedure ? xstrdup(procedure) : NULL;
    return e;
}

static void
apply(views_t *v, pm_entry_t *e)
{
    views_apply(v, e);
    pm_entry_destroy(&e);
}

/* A template A -> B (hard), a project on it, then the steps of A. */
static views_t *
fixture(size_t keep)
{
    views_t *v = views_new(keep);
    pm_entry_t *e = entry(1, PM_KIND_TEMPLATE, NULL, NULL);
    pm_proctype_t *p;

    e->template = pm_template_new();
    e->template->name = xstrdup("t");
    e->template->version = 1;
    p = pm_template_add_proc(e->template);
    p->code = xstrdup("A");
    p->dept = xstrdup("D1");
    p = pm_template_add_proc(e->template);
    p->code = xstrdup("B");
    p->dept = xstrdup("D2");
    pm_template_add_edge(e->template, "A", "B", false);
    apply(v, e);
    e = entry(2, PM_KIND_PROJECT, "P1", NULL);
    e->project_info = pm_project_new();
    e->project_info->id = xstrdup("P1");
    e->project_info->region = xstrdup("R");
    e->project_info->template_name = xstrdup("t");
    e->project_info->template_version = 1;
    apply(v, e);
    apply(v, entry(3, PM_KIND_UNBLOCKED, "P1", "A"));
    return v;
}

/* A project is as red as its worst running procedure, even while its own due date is green (the
 * board said "8 red procedures, 0 red projects"); done, it has no colour. */
static void
test_views_project_colour(void **state)
{
    views_t *v = fixture(100);
    const vproject_t *p = views_project_find(v, "P1");
    pm_entry_t *e;

    (void)state;
    assert_int_equal(views_project_colour(p), PM_COLOUR_GREEN);
    apply(v, entry(4, PM_KIND_ACCEPTED, "P1", "A"));
    e = entry(5, PM_KIND_COLOUR, "P1", "A");
    e->colour = PM_COLOUR_YELLOW;
    apply(v, e);
    assert_int_equal(views_project_colour(p), PM_COLOUR_YELLOW);
    e = entry(6, PM_KIND_COLOUR, "P1", "A");
    e->colour = PM_COLOUR_RED;
    apply(v, e);
    assert_int_equal(p->colour, PM_COLOUR_GREEN); /* its own due date */
    assert_int_equal(views_project_colour(p), PM_COLOUR_RED);
    apply(v, entry(7, PM_KIND_APPROVED, "P1", "A"));
    assert_int_equal(views_project_colour(p), PM_COLOUR_GREEN);
    apply(v, entry(8, PM_KIND_UNBLOCKED, "P1", "B"));
    apply(v, entry(9, PM_KIND_NOT_REQUIRED, "P1", "B"));
    assert_int_equal(views_project_colour(p), PM_COLOUR_NONE);
    views_destroy(&v);
}

static void
test_views_fold(void **state)
{
    views_t *v = fixture(100);
    const vproject_t *p = views_project_find(v, "P1");
    pm_entry_t *e;

    (void)state;
    assert_non_null(p);
    assert_int_equal(p->procs[0].state, PM_STATE_READY);
    assert_int_equal(p->procs[1].state, PM_STATE_BLOCKED);
    apply(v, entry(4, PM_KIND_ACCEPTED, "P1", "A"));
    assert_int_equal(p->procs[0].state, PM_STATE_ACCEPTED);
    assert_int_equal(p->procs[0].colour, PM_COLOUR_GREEN);
    e = entry(5, PM_KIND_COLOUR, "P1", "A");
    e->colour = PM_COLOUR_RED;
    e->days = 2;
    apply(v, e);
    assert_int_equal(p->procs[0].colour, PM_COLOUR_RED);
    assert_int_equal(p->procs[0].days, 2);
    apply(v, entry(6, PM_KIND_APPROVED, "P1", "A"));
    apply(v, entry(7, PM_KIND_UNBLOCKED, "P1", "B"));
    assert_int_equal(p->procs[0].state, PM_STATE_APPROVED);
    assert_int_equal(p->procs[0].colour, PM_COLOUR_NONE);
    assert_int_equal(p->procs[1].state, PM_STATE_READY);
    /* Reopened: A is ready again (no prerequisites); B would be blocked by the broker's entry. */
    apply(v, entry(8, PM_KIND_REOPENED, "P1", "A"));
    assert_int_equal(p->procs[0].state, PM_STATE_READY);
    assert_int_equal(views_head(v), 8);
    assert_int_equal(views_kind_count(v, PM_KIND_UNBLOCKED), 2);
    /* Entries about unknown projects change nothing and do not crash. */
    apply(v, entry(9, PM_KIND_ACCEPTED, "NOPE", "A"));
    assert_null(views_project_find(v, "NOPE"));
    views_destroy(&v);
    assert_null(v);
}

static void
test_views_ring(void **state)
{
    views_t *v = fixture(4);

    (void)state;
    for (uint64_t s = 4; s <= 10; s++)
        apply(v, entry(s, PM_KIND_AGENT_BACK, NULL, NULL));
    assert_int_equal(views_nentries(v), 4);
    assert_int_equal(views_entry(v, 0)->seq, 7);
    assert_int_equal(views_entry(v, 3)->seq, 10);
    assert_null(views_entry(v, 4));
    assert_int_equal(views_after(v, 0), 0);
    assert_int_equal(views_after(v, 7), 1);
    assert_int_equal(views_after(v, 9), 3);
    assert_int_equal(views_after(v, 10), 4);
    assert_non_null(strstr(views_entry(v, 0)->json, "\"seq\":7"));
    views_destroy(&v);
}

static void
test_listen_addr(void **state)
{
    struct sockaddr_storage ss;
    unsigned len;
    char *err = NULL;

    (void)state;
    assert_int_equal(wcfg_listen_addr("127.0.0.1:7480", &ss, &len, &err), 0);
    assert_int_equal(ss.ss_family, AF_INET);
    assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 7480);
    assert_int_equal(wcfg_listen_addr("[::1]:80", &ss, &len, &err), 0);
    assert_int_equal(ss.ss_family, AF_INET6);
    assert_int_equal(wcfg_listen_addr(":0", &ss, &len, &err), 0);
    const char *bad[] = {"localhost:80", "127.0.0.1", "127.0.0.1:70000", "1.2.3.4:x", "[::1:80"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(wcfg_listen_addr(bad[i], &ss, &len, &err), -1);
        assert_non_null(err);
        free(err);
        err = NULL;
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wjson_escapes),        cmocka_unit_test(test_views_fold),
        cmocka_unit_test(test_views_project_colour), cmocka_unit_test(test_views_ring),
        cmocka_unit_test(test_listen_addr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
