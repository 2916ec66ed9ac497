/*
 * Unit tests of the template graph: hard and parallel edges, joint-review groups, milestones,
 * and the refusal of cycles with the cycle spelled out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "tmpl.h"

static tmpl_t *
compile_ok(pm_template_t *def)
{
    tmpl_t *t = NULL;
    const char *code = NULL;
    char *reason = NULL;

    if (tmpl_compile(&def, &t, &code, &reason) < 0)
        fail_msg("template refused: %s: %s", code, reason);
    assert_null(def);
    return t;
}

static size_t
idx(const tmpl_t *t, const char *code)
{
    int i = tmpl_index(t, code);
    assert_true(i >= 0);
    return (size_t)i;
}

static void
test_hard_and_parallel_edges(void **state)
{
    tmpl_t *t = compile_ok(fixture_template());
    pm_state_t st[10];
    size_t *blockers = NULL, n = 0;
    (void)state;

    for (int i = 0; i < 10; i++)
        st[i] = PM_STATE_BLOCKED;
    /* No prerequisites: satisfied from the start. */
    assert_true(tmpl_satisfied(t, idx(t, "LAND_PREREVIEW"), st, NULL, NULL));
    assert_true(tmpl_satisfied(t, idx(t, "EIA"), st, NULL, NULL));
    /* Parallel edge: PROJECT_APPROVAL needs LAND_PREREVIEW accepted, not approved. */
    assert_false(tmpl_satisfied(t, idx(t, "PROJECT_APPROVAL"), st, NULL, NULL));
    st[idx(t, "LAND_PREREVIEW")] = PM_STATE_ACCEPTED;
    assert_true(tmpl_satisfied(t, idx(t, "PROJECT_APPROVAL"), st, NULL, NULL));
    st[idx(t, "LAND_PREREVIEW")] = PM_STATE_SUPPLEMENT;
    assert_true(tmpl_satisfied(t, idx(t, "PROJECT_APPROVAL"), st, NULL, NULL));
    st[idx(t, "LAND_PREREVIEW")] = PM_STATE_REJECTED;
    assert_false(tmpl_satisfied(t, idx(t, "PROJECT_APPROVAL"), st, NULL, NULL));
    /* Hard edge: FOREST_USE needs LAND_PREREVIEW approved or not required. */
    st[idx(t, "LAND_PREREVIEW")] = PM_STATE_ACCEPTED;
    assert_false(tmpl_satisfied(t, idx(t, "FOREST_USE"), st, NULL, NULL));
    st[idx(t, "LAND_PREREVIEW")] = PM_STATE_APPROVED;
    assert_true(tmpl_satisfied(t, idx(t, "FOREST_USE"), st, NULL, NULL));
    st[idx(t, "LAND_PREREVIEW")] = PM_STATE_NOT_REQUIRED;
    assert_true(tmpl_satisfied(t, idx(t, "FOREST_USE"), st, NULL, NULL));
    /* Blockers list every unsatisfied prerequisite of CONSTRUCTION_PERMIT. */
    st[idx(t, "EIA")] = PM_STATE_APPROVED;
    assert_false(tmpl_satisfied(t, idx(t, "CONSTRUCTION_PERMIT"), st, &blockers, &n));
    assert_int_equal(n, 3);
    for (size_t k = 0; k < n; k++)
        assert_string_not_equal(t->def->edges[blockers[k]].from, "EIA");
    free(blockers);
    tmpl_destroy(&t);
}

static void
test_dependents_only(void **state)
{
    tmpl_t *t = compile_ok(fixture_template());
    size_t *deps = NULL, n = 0;
    (void)state;

    tmpl_dependents(t, idx(t, "LAND_PREREVIEW"), &deps, &n);
    assert_int_equal(n, 2);
    assert_true((deps[0] == idx(t, "PROJECT_APPROVAL") && deps[1] == idx(t, "FOREST_USE")) ||
                (deps[1] == idx(t, "PROJECT_APPROVAL") && deps[0] == idx(t, "FOREST_USE")));
    free(deps);
    tmpl_dependents(t, idx(t, "CONSTRUCTION_PERMIT"), &deps, &n);
    assert_int_equal(n, 0);
    free(deps);
    tmpl_destroy(&t);
}

static void
test_milestones(void **state)
{
    tmpl_t *t = compile_ok(fixture_template());
    pm_state_t st[10];
    (void)state;

    for (int i = 0; i < 10; i++)
        st[i] = PM_STATE_APPROVED;
    st[idx(t, "RELICS")] = PM_STATE_NOT_REQUIRED;
    st[idx(t, "EIA")] = PM_STATE_ACCEPTED;
    /* CERTS_TOGETHER covers three permits only; READY_TO_START covers everything. */
    assert_true(tmpl_milestone_reached(t, 0, st));
    assert_false(tmpl_milestone_reached(t, 1, st));
    st[idx(t, "EIA")] = PM_STATE_APPROVED;
    assert_true(tmpl_milestone_reached(t, 1, st));
    st[idx(t, "ENG_PLAN_PERMIT")] = PM_STATE_REJECTED;
    assert_false(tmpl_milestone_reached(t, 0, st));
    assert_int_equal(t->nodes[idx(t, "EIA")].nmilestones, 1);
    assert_int_equal(t->nodes[idx(t, "CONSTRUCTION_PERMIT")].nmilestones, 2);
    tmpl_destroy(&t);
}

static void
test_cycle_refused_and_spelled_out(void **state)
{
    pm_template_t *def = fixture_template();
    tmpl_t *t = NULL;
    const char *code = NULL;
    char *reason = NULL;
    (void)state;

    /* EIA and SOIL_WATER each other's prerequisite: the 互为前置 blocker. */
    pm_template_add_edge(def, "EIA", "SOIL_WATER", false);
    pm_template_add_edge(def, "SOIL_WATER", "EIA", true);
    assert_int_equal(tmpl_compile(&def, &t, &code, &reason), -1);
    assert_null(def);
    assert_null(t);
    assert_string_equal(code, PM_REFUSE_CYCLE);
    assert_non_null(strstr(reason, "环境影响评价批复"));
    assert_non_null(strstr(reason, "水土保持方案审批"));
    assert_non_null(strstr(reason, "joint-review group"));
    assert_non_null(strstr(reason, "parallel"));
    free(reason);

    /* A longer cycle through three procedures names all three. */
    def = fixture_template();
    pm_template_add_edge(def, "CONSTRUCTION_PERMIT", "LAND_PREREVIEW", false);
    assert_int_equal(tmpl_compile(&def, &t, &code, &reason), -1);
    assert_non_null(strstr(reason, "CONSTRUCTION_PERMIT"));
    assert_non_null(strstr(reason, "LAND_PREREVIEW"));
    assert_non_null(strstr(reason, "PROJECT_APPROVAL"));
    free(reason);
}

/* A template of the given procedure codes, all of department D, without edges. */
static pm_template_t *
plain_template(const char *const *codes)
{
    pm_template_t *def = pm_template_new();

    def->name = xstrdup("plain");
    for (size_t i = 0; codes[i] != NULL; i++) {
        pm_proctype_t *p = pm_template_add_proc(def);
        p->code = xstrdup(codes[i]);
        p->name = xstrdup(codes[i]);
        p->dept = xstrdup("D");
        p->limit_days = 5;
    }
    return def;
}

/* tmpl_check on a copy of def: -1 expected, the fault returned (def kept for its edges). */
static void
check_refused(const pm_template_t *def, tmpl_fault_t *f)
{
    pm_template_t *copy = pm_template_dup(def);
    tmpl_t *t = NULL;

    assert_int_equal(tmpl_check(&copy, &t, f), -1);
    assert_null(copy);
    assert_null(t);
    assert_non_null(f->code);
    assert_non_null(f->reason);
}

static void
test_check_points_at_the_fault(void **state)
{
    static const char *const codes[] = {"A", "B", "C", "D", NULL};
    pm_template_t *def = plain_template(codes);
    tmpl_fault_t f;
    tmpl_t *t;
    (void)state;

    /* A needs D; then A -> B -> C -> A, edges 1, 2 and 3. */
    pm_template_add_edge(def, "D", "A", false);
    pm_template_add_edge(def, "A", "B", false);
    pm_template_add_edge(def, "B", "C", true);
    pm_template_add_edge(def, "C", "A", false);
    check_refused(def, &f);
    assert_string_equal(f.code, PM_REFUSE_CYCLE);
    assert_int_equal(f.at, TMPL_AT_EDGE);
    assert_int_equal(f.ncycle, 3);
    /* In prerequisite order, each edge's `to` the next one's `from`, closing the cycle. */
    for (size_t k = 0; k < f.ncycle; k++) {
        const pm_edge_t *e = &def->edges[f.cycle[k]], *next = &def->edges[f.cycle[(k + 1) % 3]];
        assert_true(f.cycle[k] >= 1 && f.cycle[k] <= 3);
        assert_string_equal(e->to, next->from);
    }
    assert_int_equal(f.index, f.cycle[0]);
    assert_non_null(strstr(f.reason, "互为前置"));
    tmpl_fault_clear(&f);
    assert_null(f.reason);
    assert_null(f.cycle);

    /* The same through tmpl_compile: the same code and reason, nothing more to free. */
    {
        pm_template_t *copy = pm_template_dup(def);
        const char *code = NULL;
        char *reason = NULL;
        t = NULL;
        assert_int_equal(tmpl_compile(&copy, &t, &code, &reason), -1);
        assert_string_equal(code, PM_REFUSE_CYCLE);
        assert_non_null(strstr(reason, "A A → B B → C C → A A"));
        free(reason);
    }
    pm_template_destroy(&def);

    /* A procedure listed twice: the later (3) and the earlier (1). */
    {
        static const char *const dup[] = {"A", "B", "C", "B", NULL};
        def = plain_template(dup);
        check_refused(def, &f);
        assert_string_equal(f.code, PM_REFUSE_INVALID);
        assert_int_equal(f.at, TMPL_AT_PROC);
        assert_int_equal(f.index, 3);
        assert_int_equal(f.first, 1);
        assert_null(f.cycle);
        tmpl_fault_clear(&f);
        pm_template_destroy(&def);
    }

    /* An unknown prerequisite and a repeated one: the edge. */
    def = plain_template(codes);
    pm_template_add_edge(def, "A", "B", false);
    pm_template_add_edge(def, "NOPE", "C", false);
    check_refused(def, &f);
    assert_string_equal(f.code, PM_REFUSE_UNKNOWN_PROCEDURE);
    assert_int_equal(f.at, TMPL_AT_EDGE);
    assert_int_equal(f.index, 1);
    tmpl_fault_clear(&f);
    xstrset(&def->edges[1].from, "A");
    xstrset(&def->edges[1].to, "B");
    check_refused(def, &f);
    assert_string_equal(f.code, PM_REFUSE_INVALID);
    assert_int_equal(f.at, TMPL_AT_EDGE);
    assert_int_equal(f.index, 1);
    assert_int_equal(f.first, 0);
    tmpl_fault_clear(&f);

    /* A milestone naming no procedure of the template. */
    xstrset(&def->edges[1].from, "B");
    xstrset(&def->edges[1].to, "C");
    {
        pm_milestone_t *m = pm_template_add_milestone(def);
        m->code = xstrdup("M");
        m->name = xstrdup("M");
        strv_push(&m->members, "Z");
    }
    check_refused(def, &f);
    assert_string_equal(f.code, PM_REFUSE_UNKNOWN_PROCEDURE);
    assert_int_equal(f.at, TMPL_AT_MILESTONE);
    assert_int_equal(f.index, 0);
    tmpl_fault_clear(&f);
    pm_template_destroy(&def);
}

static void
test_group_resolves_mutual_prerequisites(void **state)
{
    pm_template_t *def = fixture_template();
    tmpl_t *t;
    pm_state_t st[10];
    (void)state;

    /* The same mutual pair, reviewed jointly: accepted, and the members move together. */
    xstrset(&def->procs[3].group, "ENV_JOINT");
    xstrset(&def->procs[4].group, "ENV_JOINT");
    pm_template_add_edge(def, "EIA", "SOIL_WATER", false);
    pm_template_add_edge(def, "SOIL_WATER", "EIA", false);
    pm_template_add_edge(def, "LAND_PREREVIEW", "SOIL_WATER", false);
    t = compile_ok(def);
    for (int i = 0; i < 10; i++)
        st[i] = PM_STATE_BLOCKED;
    /* EIA itself has no outside prerequisite, but its group member needs LAND_PREREVIEW. */
    assert_false(tmpl_satisfied(t, idx(t, "EIA"), st, NULL, NULL));
    assert_false(tmpl_satisfied(t, idx(t, "SOIL_WATER"), st, NULL, NULL));
    st[idx(t, "LAND_PREREVIEW")] = PM_STATE_APPROVED;
    assert_true(tmpl_satisfied(t, idx(t, "EIA"), st, NULL, NULL));
    assert_true(tmpl_satisfied(t, idx(t, "SOIL_WATER"), st, NULL, NULL));
    tmpl_destroy(&t);

    /* A cycle through a group and an outside procedure is still a cycle, named as a group. */
    def = fixture_template();
    xstrset(&def->procs[3].group, "ENV_JOINT");
    xstrset(&def->procs[4].group, "ENV_JOINT");
    pm_template_add_edge(def, "CONSTRUCTION_PERMIT", "EIA", false);
    {
        const char *code;
        char *reason = NULL;
        assert_int_equal(tmpl_compile(&def, &t, &code, &reason), -1);
        assert_non_null(strstr(reason, "joint-review group ENV_JOINT [EIA, SOIL_WATER]"));
        free(reason);
    }
}

static void
test_shape_refusals(void **state)
{
    const char *code;
    char *reason = NULL;
    tmpl_t *t = NULL;
    pm_template_t *def;
    (void)state;

    def = fixture_template();
    pm_template_add_edge(def, "NOPE", "EIA", false);
    assert_int_equal(tmpl_compile(&def, &t, &code, &reason), -1);
    assert_string_equal(code, PM_REFUSE_UNKNOWN_PROCEDURE);
    assert_non_null(strstr(reason, "NOPE"));
    free(reason);

    def = fixture_template();
    fixture_proc(def, "EIA", "重复", "EEB", 1, NULL);
    assert_int_equal(tmpl_compile(&def, &t, &code, &reason), -1);
    assert_string_equal(code, PM_REFUSE_INVALID);
    assert_non_null(strstr(reason, "twice"));
    free(reason);

    def = fixture_template();
    pm_template_add_edge(def, "EIA", "EIA", false);
    assert_int_equal(tmpl_compile(&def, &t, &code, &reason), -1);
    assert_string_equal(code, PM_REFUSE_CYCLE);
    free(reason);

    def = fixture_template();
    fixture_milestone(def, "M", "里程碑", "MISSING", NULL);
    assert_int_equal(tmpl_compile(&def, &t, &code, &reason), -1);
    assert_string_equal(code, PM_REFUSE_UNKNOWN_PROCEDURE);
    free(reason);
}

static void
test_same(void **state)
{
    pm_template_t *a = fixture_template(), *b = fixture_template();
    (void)state;

    assert_true(tmpl_same(a, b));
    b->procs[2].limit_days = 4;
    assert_false(tmpl_same(a, b));
    b->procs[2].limit_days = a->procs[2].limit_days;
    b->edges[0].parallel = false;
    assert_false(tmpl_same(a, b));
    pm_template_destroy(&a);
    pm_template_destroy(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hard_and_parallel_edges),
        cmocka_unit_test(test_dependents_only),
        cmocka_unit_test(test_milestones),
        cmocka_unit_test(test_cycle_refused_and_spelled_out),
        cmocka_unit_test(test_check_points_at_the_fault),
        cmocka_unit_test(test_group_resolves_mutual_prerequisites),
        cmocka_unit_test(test_shape_refusals),
        cmocka_unit_test(test_same),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
