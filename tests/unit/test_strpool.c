/*
 * Unit tests of strpool: one copy per distinct string, the same pointer for equal strings
 * however they were made, pointers that stay valid while the pool grows, NULL for NULL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strpool.h"
#include "util.h"

static void
test_equal_strings_share_one_copy(void **state)
{
    strpool_t *pool = strpool_new();
    char *a = xstrdup("EIA"), *b = xstrdup("EIA");
    const char *ia, *ib, *other;

    (void)state;
    ia = strpool_intern(pool, a);
    ib = strpool_intern(pool, b);
    other = strpool_intern(pool, "用地预审");
    assert_ptr_equal(ia, ib);
    assert_ptr_not_equal(ia, a); /* the pool's own copy */
    assert_ptr_not_equal(ia, other);
    free(a);
    free(b);
    assert_string_equal(ia, "EIA"); /* outlives what it was made from */
    assert_string_equal(other, "用地预审");
    assert_null(strpool_intern(pool, NULL));
    assert_ptr_equal(strpool_intern(pool, ""), strpool_intern(pool, ""));
    assert_int_equal(strpool_count(pool), 3);
    /* Numbered in the order first seen: a number gives its string back. */
    assert_int_equal(strpool_number(pool, "EIA"), 0);
    assert_int_equal(strpool_number(pool, "用地预审"), 1);
    assert_ptr_equal(strpool_at(pool, 1), other);
    assert_int_equal(strpool_number(pool, "NEW"), 3);
    assert_string_equal(strpool_at(pool, 3), "NEW");
    strpool_destroy(&pool);
    assert_null(pool);
    strpool_destroy(&pool); /* NULL is fine */
}

/* Many more strings than the first table holds: every pointer given out stays the one the
 * pool answers with, and keeps its text. */
static void
test_pointers_survive_growth(void **state)
{
    enum { N = 5000 };
    strpool_t *pool = strpool_new();
    const char **given = xcalloc(N, sizeof(char *));
    char key[32];

    (void)state;
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "PROC_%d", i);
        given[i] = strpool_intern(pool, key);
    }
    assert_int_equal(strpool_count(pool), N);
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "PROC_%d", i);
        assert_string_equal(given[i], key);
        assert_ptr_equal(strpool_intern(pool, key), given[i]);
    }
    assert_int_equal(strpool_count(pool), N);
    free(given);
    strpool_destroy(&pool);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal_strings_share_one_copy),
        cmocka_unit_test(test_pointers_survive_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
