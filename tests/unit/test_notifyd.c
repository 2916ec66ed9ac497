/*
 * Unit tests of the notifier's digest periods (notifyd_digest_end): an item's period is the one
 * the broker logged its entry in, whenever the notifier routes it. Two items of one clock tick
 * routed either side of a period's end share one period (routing time used to split them), a
 * daily period closes at local midnight, an entry from a period that already ended (catch-up
 * after downtime) is due at once, and an entry without recv_ms falls back to the routing time.
 * And the splitting of a digest into parts (notifyd_part_end): the parts the greedy walk made,
 * found with few measurements. And coalescing a robot's backlog (notifyd_coalesce): a bounded
 * number of records a round, oldest first, none dropped or digested twice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "fixture.h"
#include "ncfg.h"
#include "notifyd.h"
#include "queue.h"
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

/*
 * A digest stand-in: items of the given sizes in bytes after a header of 100, each measurement
 * counted with the items it covers (what rendering the part would cost).
 */
typedef struct parts {
    const size_t *len;
    size_t calls, items;
} parts_t;

static size_t
parts_size(void *arg, size_t start, size_t end)
{
    parts_t *p = arg;
    size_t size = 100;

    p->calls++;
    p->items += end - start;
    for (size_t i = start; i < end; i++)
        size += p->len[i];
    return size;
}

/* The greedy walk make_digest did before: one item more until the part is over the cap. */
static size_t
greedy_end(size_t start, size_t to, size_t cap, parts_t *p)
{
    size_t end = start + 1;

    if (cap == 0)
        return to;
    while (end < to && parts_size(p, start, end + 1) <= cap)
        end++;
    return end;
}

/*
 * The parts are the greedy walk's, item for item: items of uneven sizes, one of them over the
 * cap alone (a part of its own), a last part that takes the rest, and no cap at all.
 */
static void
test_parts_as_greedy(void **state)
{
    enum { N = 3000 };
    static size_t len[N];
    parts_t p = {len, 0, 0};
    size_t caps[] = {0, 150, 400, 1000, 4096, 20000, 1000000};

    (void)state;
    srandom(7);
    for (size_t i = 0; i < N; i++)
        len[i] = 1 + (size_t)(random() % 120);
    len[N / 2] = 5000;
    for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
        size_t start = 0, nparts = 0;
        while (start < N) {
            size_t end = notifyd_part_end(start, N, caps[c], parts_size, &p);
            assert_int_equal(end, greedy_end(start, N, caps[c], &p));
            assert_true(end > start && end <= N);
            start = end;
            nparts++;
        }
        assert_true(caps[c] != 0 || nparts == 1);
    }
}

/*
 * A backlog of 20,000 items into DingTalk-sized parts (about 500 items each): the greedy walk
 * rendered every part once per item added, about 250 items rendered per item of the digest
 * (5 million); found by doubling then bisecting, fewer than 20 per item.
 */
static void
test_parts_render_few(void **state)
{
    enum { N = 20000 };
    static size_t len[N];
    parts_t p = {len, 0, 0};
    size_t start = 0, nparts = 0;

    (void)state;
    for (size_t i = 0; i < N; i++)
        len[i] = 40;
    while (start < N) {
        start = notifyd_part_end(start, N, 20000, parts_size, &p);
        nparts++;
    }
    assert_int_equal(nparts, N / 497 + 1); /* (20,000 - 100) / 40 = 497 items a part */
    assert_true(p.items < 20 * (size_t)N);
}

#define ROBOT "http://127.0.0.1:9/wecom/taskforce"

/* The records waiting for one robot after an outage: n notices, due at 1 ... n. */
static void
add_backlog(const char *db, int n)
{
    char *err = NULL;
    nq_t *q = nq_open(db, &err);

    assert_non_null(q);
    assert_int_equal(nq_begin(q), 0);
    for (int i = 0; i < n; i++) {
        char idem[32], title[32];
        nq_item_t it = {.seq = (uint64_t)i + 1,
                        .route = "unblocked",
                        .recipient = "taskforce",
                        .chan = "wecom",
                        .addr = ROBOT,
                        .idem = idem,
                        .title = title,
                        .text = "text",
                        .state = "pending",
                        .next_ms = i + 1,
                        .created_ms = 1};
        snprintf(idem, sizeof(idem), "%d-taskforce", i + 1);
        snprintf(title, sizeof(title), "item %d", i + 1);
        assert_int_equal(nq_add(q, &it), 0);
    }
    assert_int_equal(nq_commit(q), 0);
    nq_close(&q);
}

/* The digest parts' items: seen[i] counts the parts that list item i + 1. */
static void
count_digested(nq_t *q, int *seen, int n)
{
    nq_filter_t f = {.state = "pending"};
    nq_item_t *v;
    size_t k;

    assert_int_equal(nq_select(q, &f, &v, &k), 0);
    for (size_t i = 0; i < k; i++) {
        assert_string_equal(v[i].route, "digest");
        for (const char *l = strstr(v[i].text, "- item "); l != NULL;
             l = strstr(l + 1, "- item ")) {
            int item = atoi(l + 7);
            assert_true(item >= 1 && item <= n);
            seen[item - 1]++;
        }
    }
    nq_items_free(v, k);
}

/*
 * A backlog of twice NOTIFYD_COALESCE_MAX and 5 for one robot: each round reads and digests at
 * most NOTIFYD_COALESCE_MAX records, the oldest, and leaves the rest pending; the digests of
 * earlier rounds are not digested again (their items would be lost behind their titles). After
 * three rounds every notice is in exactly one digest part, and a fourth finds nothing to do.
 * Before the bound one round read the whole backlog into memory.
 */
static void
test_coalesce_bounded(void **state)
{
    enum { MAX = NOTIFYD_COALESCE_MAX, N = 2 * MAX + 5 };
    char dir[64], *path[3], *err = NULL;
    static int seen[N];
    void *zctx = zmq_ctx_new();
    ncfg_t cfg;
    notifyd_t *nd;
    nq_t *q;
    FILE *f;

    (void)state;
    assert_int_equal(fixture_tmpdir(dir, sizeof(dir), "coalesce"), 0);
    path[0] = xasprintf("%s/notify.db", dir);
    path[1] = xasprintf("%s/routes.conf", dir);
    path[2] = xasprintf("ipc://%s/q", dir);
    f = fopen(path[1], "w");
    assert_non_null(f);
    fputs("[route]\nunblocked = taskforce\n[contact taskforce]\nwecom = " ROBOT "\n", f);
    fclose(f);
    add_backlog(path[0], N);
    ncfg_defaults(&cfg);
    assert_int_equal(ncfg_set(&cfg, "db", path[0], &err), 0);
    assert_int_equal(ncfg_set(&cfg, "routes", path[1], &err), 0);
    assert_int_equal(ncfg_set(&cfg, "templates", DEPLOY_TEMPLATES, &err), 0);
    assert_int_equal(ncfg_set(&cfg, "query", path[2], &err), 0);
    assert_int_equal(ncfg_set(&cfg, "publish", path[2], &err), 0);
    nd = notifyd_new(&cfg, zctx, &err);
    assert_non_null(nd);
    q = nq_open(path[0], &err);
    assert_non_null(q);

    assert_int_equal(notifyd_coalesce(nd, "wecom", ROBOT, N + 1), MAX);
    {
        /* the oldest went first: the next due is the first one left */
        nq_item_t *v;
        size_t k;
        assert_int_equal(nq_due_at(q, "wecom", ROBOT, N + 1, 1, "digest", &v, &k), 0);
        assert_int_equal(k, 1);
        assert_int_equal(v[0].seq, MAX + 1);
        nq_items_free(v, k);
    }
    assert_int_equal(notifyd_coalesce(nd, "wecom", ROBOT, N + 1), MAX);
    assert_int_equal(notifyd_coalesce(nd, "wecom", ROBOT, N + 1), 5);
    assert_int_equal(notifyd_coalesce(nd, "wecom", ROBOT, N + 1), 0);
    count_digested(q, seen, N);
    for (int i = 0; i < N; i++)
        assert_int_equal(seen[i], 1);

    nq_close(&q);
    notifyd_destroy(&nd);
    ncfg_clear(&cfg);
    zmq_ctx_term(zctx);
    fixture_rmtree(dir);
    for (int i = 0; i < 3; i++)
        free(path[i]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_tick_one_period),  cmocka_unit_test(test_local_midnight),
        cmocka_unit_test(test_catch_up_due_at_once), cmocka_unit_test(test_no_recv_ms),
        cmocka_unit_test(test_parts_as_greedy),      cmocka_unit_test(test_parts_render_few),
        cmocka_unit_test(test_coalesce_bounded),
    };

    /* Local midnight of China Standard Time, without depending on installed zone files. */
    setenv("TZ", "CST-8", 1);
    tzset();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
