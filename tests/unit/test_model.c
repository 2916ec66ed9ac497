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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_code_valid_accepts),
        cmocka_unit_test(test_code_valid_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
