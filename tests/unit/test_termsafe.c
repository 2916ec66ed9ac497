/*
 * Unit tests of termsafe: what a terminal would obey (C0 and C1 controls, DEL, bidi
 * controls) and bytes that are not UTF-8 come out as escapes; Chinese text comes out as it
 * is; a cut at a fixed buffer never splits a character or an escape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "termsafe.h"

static void
assert_safe(const char *in, const char *want)
{
    char *out = termsafe_dup(in);

    assert_string_equal(out, want);
    assert_int_equal(termsafe_clean(in), strcmp(in, want) == 0);
    free(out);
}

static void
test_c0_and_del(void **state)
{
    (void)state;
    assert_safe("\x1b[31mred", "\\x1b[31mred");
    assert_safe("a\nb\rc\td", "a\\nb\\rc\\td");
    assert_safe("bell\a", "bell\\x07");
    assert_safe("del\x7f", "del\\x7f");
}

static void
test_c1(void **state)
{
    (void)state;
    /* U+0085 (NEL) and U+009B (CSI) are C1 controls, two bytes in UTF-8. */
    assert_safe("x\xc2\x85y", "x\\u0085y");
    assert_safe("\xc2\x9b"
                "31m",
                "\\u009b31m");
    assert_safe("\xc2\x80\xc2\x9f", "\\u0080\\u009f");
    /* U+00A0 is not a control. */
    assert_safe("a\xc2\xa0"
                "b",
                "a\xc2\xa0"
                "b");
}

static void
test_bidi(void **state)
{
    (void)state;
    assert_safe("abc\xe2\x80\xae"
                "fdp.exe",
                "abc\\u202efdp.exe");
    assert_safe("\xe2\x80\xaa\xe2\x80\xac", "\\u202a\\u202c");
    assert_safe("\xe2\x81\xa6x\xe2\x81\xa9", "\\u2066x\\u2069");
    assert_safe("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", "\\u200e\\u200f\\u061c");
}

static void
test_invalid_utf8(void **state)
{
    (void)state;
    assert_safe("a\xff"
                "b",
                "a\\xffb");
    /* A lead byte without its continuation, an overlong '/', a surrogate. */
    assert_safe("\xe4\xb8", "\\xe4\\xb8");
    assert_safe("\xc0\xaf", "\\xc0\\xaf");
    assert_safe("\xed\xa0\x80", "\\xed\\xa0\\x80");
}

static void
test_chinese_untouched(void **state)
{
    (void)state;
    assert_safe("科尔沁区风光储一体化项目（二期）", "科尔沁区风光储一体化项目（二期）");
    assert_safe("证-RP-1 \"EIA\" \\ 𠀀", "证-RP-1 \"EIA\" \\ 𠀀");
}

static void
test_copy_cuts_whole(void **state)
{
    char buf[8];

    (void)state;
    termsafe_copy(buf, sizeof(buf), "ab\x1b\x1b");
    assert_string_equal(buf, "ab\\x1b");
    termsafe_copy(buf, sizeof(buf), "中文字");
    assert_string_equal(buf, "中文");
    termsafe_copy(buf, 1, "abc");
    assert_string_equal(buf, "");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_c0_and_del),
        cmocka_unit_test(test_c1),
        cmocka_unit_test(test_bidi),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_chinese_untouched),
        cmocka_unit_test(test_copy_cuts_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
