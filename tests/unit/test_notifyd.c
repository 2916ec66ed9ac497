/*
 * Unit tests of the notifier's digest periods (notifyd_digest_end): an item's period is the one
 * the broker logged its entry in, whenever the notifier routes it. Two items of one clock tick
 * routed either side of a period's end share one period (routing time used to split them), a
 * daily period closes at local midnight, an entry from a period that already ended (catch-up
 * after downtime) is due at once, and an entry without recv_ms falls back to the routing time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <time.h>

#include "notifyd.h"
#include "util.h"

#define DAY_MS 86400000LL

static int64_t
at(const char *iso)
{
    int64_t ms = 0;

    assert_int_equal(util_parse_time(iso, &ms), 0);
    return ms;
}

/* The flake of pg_test_notify_clock: one tick's items routed across a 3 s boundary. */
static void
test_one_tick_one_period(void **state)
{
    int64_t tick = at("2026-03-13T09:00:01.500+08:00");
    int64_t before = at("2026-03-13T09:00:02.999+08:00"),
            after = at("2026-03-13T09:00:03.001+08:00");
    int64_t end = at("2026-03-13T09:00:03+08:00");

    (void)state;
    assert_int_equal(notifyd_digest_end(tick, before, 3000), end);
    assert_int_equal(notifyd_digest_end(tick, after, 3000), end);
    /* The same at midnight with a daily digest: the day of the entry, not of the routing. */
    tick = at("2026-03-13T23:59:59.990+08:00");
    assert_int_equal(notifyd_digest_end(tick, tick + 5, DAY_MS), at("2026-03-14T00:00:00+08:00"));
    assert_int_equal(notifyd_digest_end(tick, tick + 20, DAY_MS), at("2026-03-14T00:00:00+08:00"));
}

/* Periods are aligned to local midnight; an entry at the very end starts the next one. */
static void
test_local_midnight(void **state)
{
    (void)state;
    assert_int_equal(notifyd_digest_end(at("2026-03-13T00:00:00+08:00"), 0, DAY_MS),
                     at("2026-03-14T00:00:00+08:00"));
    assert_int_equal(notifyd_digest_end(at("2026-03-13T09:00:00+08:00"), 0, DAY_MS),
                     at("2026-03-14T00:00:00+08:00"));
    assert_int_equal(notifyd_digest_end(at("2026-03-14T00:00:00+08:00"), 0, DAY_MS),
                     at("2026-03-15T00:00:00+08:00"));
    assert_int_equal(notifyd_digest_end(at("2026-03-13T09:00:00+08:00"), 0, 3000),
                     at("2026-03-13T09:00:03+08:00"));
    assert_int_equal(notifyd_digest_end(at("2026-03-13T09:00:00+08:00"), 0, 3600000),
                     at("2026-03-13T10:00:00+08:00"));
}

/* Catching up: the entry's period ended long ago, so its record is due as soon as it is held. */
static void
test_catch_up_due_at_once(void **state)
{
    int64_t recv = at("2026-03-13T09:00:00+08:00"), now = at("2026-11-22T14:00:00+08:00");
    int64_t end = notifyd_digest_end(recv, now, DAY_MS);

    (void)state;
    assert_int_equal(end, at("2026-03-14T00:00:00+08:00"));
    assert_true(end <= now);
    /* Two entries of that day caught up at different moments still share the period. */
    assert_int_equal(notifyd_digest_end(recv + 3600000, now + 60000, DAY_MS), end);
}

/* No recv_ms (0): the routing time decides, as before; never a period in 1970. */
static void
test_no_recv_ms(void **state)
{
    int64_t now = at("2026-03-13T09:00:01+08:00");

    (void)state;
    assert_int_equal(notifyd_digest_end(0, now, 3000), at("2026-03-13T09:00:03+08:00"));
    assert_int_equal(notifyd_digest_end(-5, now, DAY_MS), at("2026-03-14T00:00:00+08:00"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_tick_one_period),
        cmocka_unit_test(test_local_midnight),
        cmocka_unit_test(test_catch_up_due_at_once),
        cmocka_unit_test(test_no_recv_ms),
    };

    /* Local midnight of China Standard Time, without depending on installed zone files. */
    setenv("TZ", "CST-8", 1);
    tzset();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
