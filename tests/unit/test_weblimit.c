/*
 * Unit tests of weblimit: five failures a minute cost nothing, the fifth locks for a minute,
 * each further one doubles the lock up to the cap; a clean minute or a success forgets; keys
 * are apart; a full table forgets the oldest key and never grows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

#include "weblimit.h"

#define T0 1000000

static void
test_backoff(void **state)
{
    weblimit_t *l = weblimit_new(16);
    int64_t now = T0;

    (void)state;
    for (int i = 0; i < WEBLIMIT_FREE - 1; i++) {
        assert_int_equal(weblimit_wait(l, "10.0.0.1", now), 0);
        weblimit_fail(l, "10.0.0.1", now);
        now += 1000;
    }
    assert_int_equal(weblimit_wait(l, "10.0.0.1", now), 0);
    weblimit_fail(l, "10.0.0.1", now); /* the fifth */
    assert_int_equal(weblimit_wait(l, "10.0.0.1", now), WEBLIMIT_WINDOW_MS);
    assert_int_equal(weblimit_wait(l, "10.0.0.2", now), 0); /* another key */
    now += WEBLIMIT_WINDOW_MS;
    assert_int_equal(weblimit_wait(l, "10.0.0.1", now), 0);
    weblimit_fail(l, "10.0.0.1", now); /* the sixth, right after the lock: doubled */
    assert_int_equal(weblimit_wait(l, "10.0.0.1", now), 2 * WEBLIMIT_WINDOW_MS);
    now += 2 * WEBLIMIT_WINDOW_MS;
    weblimit_fail(l, "10.0.0.1", now);
    assert_int_equal(weblimit_wait(l, "10.0.0.1", now), 4 * WEBLIMIT_WINDOW_MS);
    for (int i = 0; i < 20; i++) {
        now += weblimit_wait(l, "10.0.0.1", now);
        weblimit_fail(l, "10.0.0.1", now);
    }
    assert_int_equal(weblimit_wait(l, "10.0.0.1", now), WEBLIMIT_MAX_MS);
    /* A success clears the key. */
    weblimit_success(l, "10.0.0.1");
    assert_int_equal(weblimit_wait(l, "10.0.0.1", now), 0);
    weblimit_destroy(&l);
    assert_null(l);
}

static void
test_quiet_minute_forgets(void **state)
{
    weblimit_t *l = weblimit_new(4);
    int64_t now = T0;

    (void)state;
    for (int i = 0; i < WEBLIMIT_FREE - 1; i++)
        weblimit_fail(l, "alice", now++);
    now += WEBLIMIT_WINDOW_MS;
    weblimit_fail(l, "alice", now); /* a fresh count: one */
    assert_int_equal(weblimit_wait(l, "alice", now), 0);
    weblimit_destroy(&l);
}

static void
test_table_bounded(void **state)
{
    weblimit_t *l = weblimit_new(3);
    char key[32];

    (void)state;
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "10.0.%d.%d", i / 256, i % 256);
        for (int k = 0; k < WEBLIMIT_FREE; k++)
            weblimit_fail(l, key, T0 + i);
    }
    /* The last keys are remembered and locked; the first were forgotten. */
    assert_true(weblimit_wait(l, "10.0.3.231", T0 + 1000) > 0);
    assert_int_equal(weblimit_wait(l, "10.0.0.0", T0 + 1000), 0);
    weblimit_destroy(&l);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_quiet_minute_forgets),
        cmocka_unit_test(test_table_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
