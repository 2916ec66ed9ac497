/*
 * Unit tests of the notifier's delivery state: the cursor, records added once per (key,
 * channel, address), due records in order, failures with backoff and dead letters, retry,
 * held records for digests, acknowledgements of red items, silences by project and kind, and
 * the capped, jittered backoff. Each test works on a fresh sqlite file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "notifyd.h"
#include "queue.h"
#include "util.h"

typedef struct fix {
    char dir[64];
    nq_t *q;
} fix_t;

static int
setup(void **state)
{
    fix_t *f = xcalloc(1, sizeof(*f));
    char *err = NULL, *path;

    assert_int_equal(fixture_tmpdir(f->dir, sizeof(f->dir), "queue"), 0);
    path = xasprintf("%s/notify.db", f->dir);
    f->q = nq_open(path, &err);
    free(path);
    assert_non_null(f->q);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fix_t *f = *state;

    nq_close(&f->q);
    assert_null(f->q);
    fixture_rmtree(f->dir);
    free(f);
    return 0;
}

/* A record of entry seq for who, at one destination. */
static void
add_at(nq_t *q, uint64_t seq, const char *who, const char *chan, const char *addr,
       const char *state, int64_t next_ms)
{
    char *idem = xasprintf("%llu-%s", (unsigned long long)seq, who);
    nq_item_t it = {.seq = seq,
                    .route = "unblocked",
                    .project = "TL-2026-001",
                    .recipient = (char *)who,
                    .chan = (char *)chan,
                    .addr = (char *)addr,
                    .idem = idem,
                    .title = "标题",
                    .text = "正文",
                    .payload = "{}",
                    .state = (char *)state,
                    .next_ms = next_ms,
                    .created_ms = 1};

    assert_int_equal(nq_add(q, &it), 0);
    free(idem);
}

static void
add(nq_t *q, uint64_t seq, const char *who, const char *state, int64_t next_ms)
{
    add_at(q, seq, who, "webhook", "http://x/", state, next_ms);
}

/* A record for one destination. */
static void
add_to(nq_t *q, uint64_t seq, const char *chan, const char *addr, const char *state,
       int64_t next_ms)
{
    add_at(q, seq, "d", chan, addr, state, next_ms);
}

/*
 * The destinations with something due, the one waiting longest first, each with how many are
 * due counted up to the cap: one not due yet, and records held or sent, leave no destination.
 */
static void
test_due_dests(void **state)
{
    fix_t *f = *state;
    nq_dest_t *d;
    size_t n;

    assert_int_equal(nq_begin(f->q), 0);
    for (int i = 0; i < 5; i++)
        add_to(f->q, 10 + (uint64_t)i, "webhook", "http://a/", "pending", 300 + i);
    add_to(f->q, 20, "webhook", "http://b/", "pending", 100);
    add_to(f->q, 21, "email", "c@example.org", "pending", 200);
    add_to(f->q, 22, "email", "c@example.org", "pending", 900);
    add_to(f->q, 23, "email", "c@example.org", "pending", 5000);
    add_to(f->q, 24, "wecom", "http://d/", "pending", 5000);
    add_to(f->q, 25, "webhook", "http://e/", "held", 0);
    add_to(f->q, 26, "webhook", "http://f/", "sent", 0);
    assert_int_equal(nq_commit(f->q), 0);

    assert_int_equal(nq_due_dests(f->q, 1000, 3, &d, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(d[0].addr, "http://b/");
    assert_int_equal(d[0].count, 1);
    assert_string_equal(d[1].chan, "email");
    assert_int_equal(d[1].count, 2); /* not the one due at 5000 */
    assert_string_equal(d[2].addr, "http://a/");
    assert_int_equal(d[2].count, 3); /* five due, counted up to the cap */
    nq_dests_free(d, n);

    assert_int_equal(nq_due_dests(f->q, 1000, 0, &d, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(d[2].count, 5);
    nq_dests_free(d, n);

    assert_int_equal(nq_due_dests(f->q, 99, 0, &d, &n), 0);
    assert_int_equal(n, 0);
    nq_dests_free(d, n);
}

static int
count_progress(void *arg)
{
    (*(long *)arg)++;
    return 0;
}

/*
 * The destinations are found through the index, not by reading every waiting record: with
 * 20,000 records waiting for one webhook, finding it runs fewer than 10,000 of sqlite's VM
 * steps (its progress handler counts them by the thousand). The GROUP BY over every pending
 * record ran about 20 a record: a backlog of 500,000 took 0.9 s before each send.
 */
static void
test_due_dests_do_not_read_the_backlog(void **state)
{
    enum { N = 20000 };
    fix_t *f = *state;
    nq_dest_t *d;
    size_t n;
    long thousands = 0;

    assert_int_equal(nq_begin(f->q), 0);
    for (int i = 0; i < N; i++)
        add_to(f->q, 100 + (uint64_t)i, "webhook", "http://a/", "pending", i);
    add_to(f->q, 99, "email", "b@example.org", "pending", 7);
    assert_int_equal(nq_commit(f->q), 0);
    sqlite3_progress_handler(nq_db(f->q), 1000, count_progress, &thousands);
    assert_int_equal(nq_due_dests(f->q, N, 101, &d, &n), 0);
    sqlite3_progress_handler(nq_db(f->q), 0, NULL, NULL);
    assert_int_equal(n, 2);
    assert_string_equal(d[0].addr, "http://a/");
    assert_int_equal(d[0].count, 101);
    assert_int_equal(d[1].count, 1);
    nq_dests_free(d, n);
    assert_true(thousands < 10);
}

/*
 * A paced robot with 1,000 records waiting is deferred: one row written, not the 1,000 records
 * (the UPDATE of every waiting record ran on each deferral, each turn of the loop). The hold
 * is honoured by every query of due records and by the loop's next wake-up: the robot is not
 * due until then, a record added for it meanwhile waits too, a shorter deferral does not
 * shorten it, and another destination is not held. At its end all 1,001 are due, in order.
 */
static void
test_defer_dest_one_row(void **state)
{
    enum { N = 1000 };
    fix_t *f = *state;
    nq_dest_t *d;
    nq_item_t *v;
    size_t n;
    int before;

    assert_int_equal(nq_begin(f->q), 0);
    for (int i = 0; i < N; i++)
        add_to(f->q, 1000 + (uint64_t)i, "wecom", "http://robot/", "pending", 1 + i);
    add_to(f->q, 1, "webhook", "http://b/", "pending", 1500);
    assert_int_equal(nq_commit(f->q), 0);

    before = sqlite3_total_changes(nq_db(f->q));
    assert_int_equal(nq_defer_dest(f->q, "wecom", "http://robot/", 5000), 0);
    assert_true(sqlite3_total_changes(nq_db(f->q)) - before <= 1);
    add_to(f->q, 999, "wecom", "http://robot/", "pending", 100); /* came meanwhile */
    assert_int_equal(nq_defer_dest(f->q, "wecom", "http://robot/", 3000), 0);

    assert_int_equal(nq_due_dests(f->q, 4999, 0, &d, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(d[0].addr, "http://b/");
    nq_dests_free(d, n);
    assert_int_equal(nq_due_at(f->q, "wecom", "http://robot/", 4999, 0, NULL, &v, &n), 0);
    assert_int_equal(n, 0);
    nq_items_free(v, n);
    assert_int_equal(nq_due(f->q, 4999, 10, &v, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].seq, 1);
    nq_items_free(v, n);
    assert_int_equal(nq_next_ms(f->q), 1500);
    assert_int_equal(nq_mark_sent(f->q, 1001, 1500), 0); /* http://b/'s record */
    assert_int_equal(nq_next_ms(f->q), 5000);

    assert_int_equal(nq_due_dests(f->q, 5000, 0, &d, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(d[0].addr, "http://robot/");
    assert_int_equal(d[0].count, N + 1);
    nq_dests_free(d, n);
    assert_int_equal(nq_due_at(f->q, "wecom", "http://robot/", 5000, 0, NULL, &v, &n), 0);
    assert_int_equal(n, N + 1);
    assert_int_equal(v[0].seq, 1000); /* still in their own order */
    assert_int_equal(v[N].seq, 1000 + N - 1);
    nq_items_free(v, n);
}

static void
test_cursor_and_once(void **state)
{
    fix_t *f = *state;
    nq_filter_t all = {0};
    nq_item_t *v;
    size_t n;
    uint64_t c = 99;

    assert_int_equal(nq_cursor(f->q, &c), 0);
    assert_int_equal(c, 0);
    assert_int_equal(nq_begin(f->q), 0);
    add(f->q, 7, "张伟", "pending", 0);
    add(f->q, 7, "张伟", "pending", 0); /* the same entry routed again after a crash */
    assert_int_equal(nq_set_cursor(f->q, 7), 0);
    assert_int_equal(nq_commit(f->q), 0);
    assert_int_equal(nq_cursor(f->q, &c), 0);
    assert_int_equal(c, 7);
    assert_int_equal(nq_select(f->q, &all, &v, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].title, "标题");
    nq_items_free(v, n);
}

static void
test_fail_dead_retry(void **state)
{
    fix_t *f = *state;
    nq_filter_t dead = {.state = "dead"};
    nq_item_t *v;
    size_t n;
    int count;

    add(f->q, 1, "a", "pending", 0);
    add(f->q, 2, "b", "pending", 500);
    assert_int_equal(nq_due(f->q, 100, 10, &v, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(nq_mark_failed(f->q, v[0].id, "HTTP 500", 1000, false, 100), 0);
    nq_items_free(v, n);
    assert_int_equal(nq_next_ms(f->q), 500);
    assert_int_equal(nq_due(f->q, 1000, 10, &v, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(v[0].seq, 2); /* soonest first */
    assert_int_equal(v[1].attempts, 1);
    assert_int_equal(nq_mark_sent(f->q, v[0].id, 1000), 0);
    assert_int_equal(nq_mark_failed(f->q, v[1].id, "HTTP 502", 2000, true, 1000), 0);
    nq_items_free(v, n);
    assert_int_equal(nq_select(f->q, &dead, &v, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].last_error, "HTTP 502");
    assert_int_equal(v[0].attempts, 2);
    nq_items_free(v, n);
    assert_int_equal(nq_retry(f->q, 0, &count), 0);
    assert_int_equal(count, 1);
    assert_int_equal(nq_due(f->q, 0, 10, &v, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].attempts, 0);
    nq_items_free(v, n);
}

static void
test_held(void **state)
{
    fix_t *f = *state;
    nq_item_t *v;
    size_t n;

    add(f->q, 3, "b", "held", 5000);
    add(f->q, 4, "a", "held", 5000);
    add(f->q, 5, "a", "held", 9000);
    assert_int_equal(nq_held_due(f->q, 5000, &v, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].recipient, "a"); /* grouped by recipient */
    nq_items_free(v, n);
}

static void
test_alerts(void **state)
{
    fix_t *f = *state;
    nq_alert_t a = {
        .seq = 9, .project = "P", .procedure = "EIA", .dept = "EEB", .vars = "{}", .next_ms = 100};
    nq_alert_t *v;
    size_t n;

    assert_int_equal(nq_alert_add(f->q, &a), 0);
    assert_int_equal(nq_alert_due(f->q, 50, &v, &n), 0);
    assert_int_equal(n, 0);
    free(v);
    assert_int_equal(nq_alert_due(f->q, 100, &v, &n), 0);
    assert_int_equal(n, 1);
    nq_alerts_free(v, n);
    assert_int_equal(nq_alert_step(f->q, 9, 1, 200, false), 0);
    assert_int_equal(nq_ack(f->q, 9, "张伟", 150), 1);
    assert_int_equal(nq_ack(f->q, 9, "张伟", 150), 0);
    assert_int_equal(nq_alert_due(f->q, 1000, &v, &n), 0);
    assert_int_equal(n, 0);
    free(v);
}

/* Acks waiting for the broker: oldest first, a repeat of a seq ignored, gone once done. */
static void
test_ack_out(void **state)
{
    fix_t *f = *state;
    uint64_t seq = 0;
    char *who = NULL;

    assert_int_equal(nq_ack_out_next(f->q, &seq, &who), 0);
    assert_int_equal(nq_ack_out_add(f->q, 12, "王丽娜", 200), 0);
    assert_int_equal(nq_ack_out_add(f->q, 9, "张伟", 100), 0);
    assert_int_equal(nq_ack_out_add(f->q, 9, "李建国", 300), 0);
    assert_int_equal(nq_ack_out_next(f->q, &seq, &who), 1);
    assert_int_equal(seq, 9);
    assert_string_equal(who, "张伟");
    free(who);
    assert_int_equal(nq_ack_out_done(f->q, 9), 0);
    assert_int_equal(nq_ack_out_next(f->q, &seq, &who), 1);
    assert_int_equal(seq, 12);
    free(who);
    assert_int_equal(nq_ack_out_done(f->q, 12), 0);
    assert_int_equal(nq_ack_out_next(f->q, &seq, &who), 0);
}

static void
test_silences(void **state)
{
    fix_t *f = *state;
    nq_silence_t s = {.project = "P",
                      .kind = "colour",
                      .author = "值班员",
                      .reason = "暂停",
                      .created_ms = 0,
                      .expires_ms = 1000};
    int64_t id;

    assert_int_equal(nq_silence_add(f->q, &s, &id), 0);
    assert_int_equal(nq_silenced(f->q, "P", "colour.red", 10), 1);
    assert_int_equal(nq_silenced(f->q, "P", "colour", 10), 1);
    assert_int_equal(nq_silenced(f->q, "P", "colourful", 10), 0);
    assert_int_equal(nq_silenced(f->q, "Q", "colour.red", 10), 0);
    assert_int_equal(nq_silenced(f->q, "P", "colour.red", 1000), 0); /* expired */
    assert_int_equal(nq_silence_expire(f->q, id, 10), 1);
    assert_int_equal(nq_silenced(f->q, "P", "colour.red", 11), 0);
}

static void
test_backoff(void **state)
{
    (void)state;
    for (int i = 0; i < 100; i++) {
        int64_t d0 = notifyd_backoff(0, 1000, 60000), d3 = notifyd_backoff(3, 1000, 60000);
        int64_t d20 = notifyd_backoff(20, 1000, 60000);
        assert_true(d0 >= 500 && d0 <= 1000);
        assert_true(d3 >= 4000 && d3 <= 8000);
        assert_true(d20 >= 30000 && d20 <= 60000);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cursor_and_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_due_dests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_due_dests_do_not_read_the_backlog, setup, teardown),
        cmocka_unit_test_setup_teardown(test_defer_dest_one_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fail_dead_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_held, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alerts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ack_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_silences, setup, teardown),
        cmocka_unit_test(test_backoff),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
