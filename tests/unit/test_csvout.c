/*
 * Unit tests of csvout: RFC 4180 quoting, and text that a spreadsheet would run as a formula
 * (OWASP CSV injection) written so it shows as text, while our own figures, negative ones
 * too, stay figures.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "csvout.h"

/* The field as written. */
static void
assert_field(const char *in, bool text, const char *want)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    csvout_field(f, in, text);
    assert_int_equal(fclose(f), 0);
    assert_string_equal(buf, want);
    free(buf);
}

static void
test_plain_and_quoted(void **state)
{
    (void)state;
    assert_field("科尔沁区", true, "科尔沁区");
    assert_field("", true, "");
    assert_field("奈曼旗物流园, 二期", true, "\"奈曼旗物流园, 二期\"");
    assert_field("say \"hi\"", true, "\"say \"\"hi\"\"\"");
    assert_field("two\nlines", true, "\"two\nlines\"");
}

static void
test_formula_text_shows_as_text(void **state)
{
    (void)state;
    assert_field("=HYPERLINK(\"http://x\",\"y\")", true,
                 "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
    assert_field("+86 1234", true, "\"'+86 1234\"");
    assert_field("-2+3", true, "\"'-2+3\"");
    assert_field("@SUM(A1)", true, "\"'@SUM(A1)\"");
    assert_field("\tcmd", true, "\"'\tcmd\"");
    assert_field("\rcmd", true, "\"'\rcmd\"");
    /* Only the first character counts. */
    assert_field("a=b", true, "a=b");
}

static void
test_figures_stay_figures(void **state)
{
    (void)state;
    assert_field("-3", false, "-3");
    assert_field("-12.5", false, "-12.5");
    assert_field("42", false, "42");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_and_quoted),
        cmocka_unit_test(test_formula_text_shows_as_text),
        cmocka_unit_test(test_figures_stay_figures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
