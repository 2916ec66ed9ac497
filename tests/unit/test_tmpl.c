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
        cmocka_unit_test(test_group_resolves_mutual_prerequisites),
        cmocka_unit_test(test_shape_refusals),
        cmocka_unit_test(test_same),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
