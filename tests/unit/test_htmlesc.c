/*
 * Unit tests of htmlesc: the five characters that end a text or a quoted attribute come out as
 * entities, everything else (Chinese, controls the caller deals with) as it is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "htmlesc.h"

static char *
escaped(const char *in)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);

    assert_non_null(f);
    htmlesc_write(f, in);
    assert_int_equal(fclose(f), 0);
    return out;
}

static void
test_write(void **state)
{
    char *s;

    (void)state;
    s = escaped("<script>alert(\"x\" & 'y')</script>");
    assert_string_equal(s, "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;");
    free(s);
    s = escaped("自然资源局 NRB");
    assert_string_equal(s, "自然资源局 NRB");
    free(s);
    s = escaped(NULL);
    assert_string_equal(s, "");
    free(s);
}

static void
test_char(void **state)
{
    (void)state;
    assert_string_equal(htmlesc_char('&'), "&amp;");
    assert_null(htmlesc_char('a'));
    assert_null(htmlesc_char('\n'));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write),
        cmocka_unit_test(test_char),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
