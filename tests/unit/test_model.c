/*
 * Unit tests of model: the rule for codes and ids that the broker's imports and
 * `permitctl import` both apply (pm_code_valid), so a file refused by one is refused by the
 * other.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "model.h"

static void
test_code_valid_accepts(void **state)
{
    char longest[PM_CODE_MAX + 1];

    (void)state;
    assert_true(pm_code_valid("EIA"));
    assert_true(pm_code_valid("TL-2026-001"));
    assert_true(pm_code_valid("LAND_PLAN_PERMIT"));
    assert_true(pm_code_valid("自然资源局")); /* UTF-8 bytes are above the blank */
    memset(longest, 'A', PM_CODE_MAX);
    longest[PM_CODE_MAX] = '\0';
    assert_true(pm_code_valid(longest));
}

static void
test_code_valid_refuses(void **state)
{
    static const char *const bad[] = {
        "",
        "A B",
        "A\tB",
        "A/B",
        "A;B",
        "A,B",
        "A:hard",
        "A\x7f"
        "B",
        "\x1b[",
        " A",
        "A\nB",
        "/",
        ";",
        "A\r",
    };
    char toolong[PM_CODE_MAX + 2];

    (void)state;
    assert_false(pm_code_valid(NULL));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (pm_code_valid(bad[i]))
            fail_msg("'%s' (case %zu) is taken as a code", bad[i], i);
    }
    memset(toolong, 'A', PM_CODE_MAX + 1);
    toolong[PM_CODE_MAX + 1] = '\0';
    assert_false(pm_code_valid(toolong));
}

/* Every state, kind and colour has a label in each language, and no two states share a
 * Chinese one (a clerk must tell them apart on a status screen). */
static void
test_labels_complete(void **state)
{
    (void)state;
    for (int l = 0; l < PM_LANG__COUNT; l++) {
        for (int s = 0; s < PM_STATE__COUNT; s++) {
            const char *a = pm_state_label((pm_state_t)s, (pm_lang_t)l);
            assert_true(a[0] != '\0' && strcmp(a, "?") != 0);
            for (int t = 0; t < s; t++)
                if (strcmp(a, pm_state_label((pm_state_t)t, (pm_lang_t)l)) == 0)
                    fail_msg("states %d and %d share the label '%s'", s, t, a);
        }
        for (int k = 0; k < PM_KIND__COUNT; k++)
            assert_true(pm_kind_label((pm_kind_t)k, (pm_lang_t)l)[0] != '\0');
        for (int c = 0; c < PM_COLOUR__COUNT; c++)
            assert_true(pm_colour_label((pm_colour_t)c, (pm_lang_t)l)[0] != '\0');
    }
    assert_string_equal(pm_state_label(PM_STATE_SUPPLEMENT, PM_LANG_ZH), "补正中");
    assert_string_equal(pm_state_label(PM_STATE_NOT_REQUIRED, PM_LANG_EN), "not required");
    assert_string_equal(pm_state_label(PM_STATE__COUNT, PM_LANG_ZH), "?");
}

static void
test_refuse_labels(void **state)
{
    (void)state;
    assert_string_equal(pm_refuse_label(PM_REFUSE_NOT_OWNER, PM_LANG_ZH), "非本部门手续");
    assert_string_equal(pm_refuse_label(PM_REFUSE_CONFLICT, PM_LANG_EN),
                        "id reused with other content");
    /* A code from a newer broker is shown as it came. */
    assert_string_equal(pm_refuse_label("brand_new_code", PM_LANG_ZH), "brand_new_code");
    assert_string_equal(pm_refuse_label(NULL, PM_LANG_ZH), "?");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_code_valid_accepts),
        cmocka_unit_test(test_code_valid_refuses),
        cmocka_unit_test(test_labels_complete),
        cmocka_unit_test(test_refuse_labels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
