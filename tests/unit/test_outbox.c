/*
 * Unit tests of the agent's outbox: the department recorded and enforced, ids added once,
 * one head per (project, procedure) in arrival order (what keeps a pair in order on the
 * wire), acks and refusals recorded (a refusal never blocks its successors), the clerk's retry
 * and drop, changes by another process noticed, history pruned, and the numbers status shows.
 * Each test works in a fresh temporary folder on a real sqlite file; the full-disk test on a
 * small tmpfs in a mount namespace of its own (skipped where that is not permitted).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "outbox.h"
#include "util.h"

typedef struct fix {
    char dir[64];
    char *state;
    outbox_t *ob;
    char why[512];
} fix_t;

static int
setup(void **state)
{
    fix_t *f = xcalloc(1, sizeof(*f));

    assert_int_equal(fixture_tmpdir(f->dir, sizeof(f->dir), "outbox"), 0);
    /* The state folder does not exist yet: opening with create makes it. */
    f->state = xasprintf("%s/NRB", f->dir);
    if (outbox_open(f->state, "NRB", true, &f->ob, f->why, sizeof(f->why)) != 0)
        fail_msg("outbox_open: %s", f->why);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fix_t *f = *state;

    outbox_close(&f->ob);
    assert_null(f->ob);
    assert_int_equal(fixture_rmtree(f->dir), 0);
    free(f->state);
    free(f);
    return 0;
}

static pm_entry_t *
event(const char *id, const char *project, const char *procedure, pm_kind_t kind)
{
    pm_entry_t *e = pm_entry_new(kind);

    e->event_id = xstrdup(id);
    e->dept = xstrdup("NRB");
    e->project = xstrdup(project);
    e->procedure = xstrdup(procedure);
    e->event_ms = 1700000000000;
    return e;
}

/* Add one event; returns how many were new (0 or 1). */
static size_t
add(fix_t *f, const char *id, const char *project, const char *procedure, pm_kind_t kind)
{
    pm_entry_t *e = event(id, project, procedure, kind);
    outbox_item_t item = {.event = e, .source = "test"};
    size_t added = 99;

    if (outbox_add(f->ob, &item, 1, util_now_ms(), &added, f->why, sizeof(f->why)) != 0)
        fail_msg("outbox_add: %s", f->why);
    pm_entry_destroy(&e);
    return added;
}

/* The heads' ids joined with spaces. Caller owns. */
static char *
heads(fix_t *f, size_t max)
{
    pm_entry_t **v = NULL;
    size_t n = 0;
    strv_t ids = {0};
    char *s;

    assert_int_equal(outbox_heads(f->ob, max, &v, &n), 0);
    for (size_t i = 0; i < n; i++)
        strv_push(&ids, v[i]->event_id);
    s = strv_join(&ids, " ");
    strv_clear(&ids);
    outbox_free_events(&v, n);
    return s;
}

static void
assert_heads(fix_t *f, size_t max, const char *want)
{
    char *got = heads(f, max);

    assert_string_equal(got, want);
    free(got);
}

static void
ack(fix_t *f, const char *id, uint64_t seq)
{
    outbox_result_t r = {.id = id, .ok = true, .seq = seq};

    assert_int_equal(outbox_settle(f->ob, &r, 1, util_now_ms()), 0);
}

static void
refuse(fix_t *f, const char *id, const char *code, const char *reason)
{
    outbox_result_t r = {.id = id, .code = code, .reason = reason};

    assert_int_equal(outbox_settle(f->ob, &r, 1, util_now_ms()), 0);
}

static void
test_open_records_department(void **state)
{
    fix_t *f = *state;
    outbox_t *other = NULL;
    sqlite3 *db;
    sqlite3_stmt *st;
    char *path = xasprintf("%s/%s", f->state, OUTBOX_FILE), *missing;

    assert_string_equal(outbox_dept(f->ob), "NRB");
    /* Another department's outbox is refused; the recorded one is taken without a name. */
    assert_int_equal(outbox_open(f->state, "EEB", true, &other, f->why, sizeof(f->why)), -1);
    assert_null(other);
    assert_non_null(strstr(f->why, "belongs to department NRB, not EEB"));
    assert_int_equal(outbox_open(f->state, NULL, false, &other, f->why, sizeof(f->why)), 0);
    assert_string_equal(outbox_dept(other), "NRB");
    outbox_close(&other);
    outbox_close(NULL);
    /* Without create, a folder without an outbox says so. */
    missing = xasprintf("%s/nothing", f->dir);
    assert_int_equal(outbox_open(missing, "NRB", false, &other, f->why, sizeof(f->why)), -1);
    assert_non_null(strstr(f->why, "no outbox in"));
    assert_int_equal(access(missing, F_OK), -1);
    free(missing);
    /* The file is in WAL mode, which persists in the file itself. */
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(path);
}

static void
test_add_takes_each_id_once(void **state)
{
    fix_t *f = *state;
    pm_entry_t *e[3] = {
        event("a", "P1", "EIA", PM_KIND_ACCEPTED),
        event("b", "P1", "EIA", PM_KIND_APPROVED),
        event("c", "P2", "EIA", PM_KIND_ACCEPTED),
    };
    outbox_item_t items[3] = {{e[0], "f.csv:2"}, {e[1], "f.csv:3"}, {e[2], "f.csv:4"}};
    outbox_stats_t st = {0};
    size_t added = 0;

    assert_int_equal(outbox_add(f->ob, items, 2, 1000, &added, f->why, sizeof(f->why)), 0);
    assert_int_equal(added, 2);
    /* Taking the same file again (a crash before it moved to done/) adds only what is new. */
    assert_int_equal(outbox_add(f->ob, items, 3, 2000, &added, f->why, sizeof(f->why)), 0);
    assert_int_equal(added, 1);
    assert_int_equal(add(f, "a", "P9", "RELICS", PM_KIND_WITHDRAWN), 0);
    assert_int_equal(outbox_stats(f->ob, &st), 0);
    assert_int_equal(st.queued, 3);
    assert_int_equal(st.oldest_queued_ms, 1000);
    assert_int_equal(st.sent + st.rejected + st.dropped, 0);
    outbox_stats_clear(&st);
    assert_heads(f, 10, "a c");
    for (size_t i = 0; i < 3; i++)
        pm_entry_destroy(&e[i]);
}

static void
test_heads_one_per_pair_in_arrival_order(void **state)
{
    fix_t *f = *state;

    add(f, "x1", "P1", "EIA", PM_KIND_ACCEPTED);
    add(f, "x2", "P1", "EIA", PM_KIND_SUPPLEMENT_REQUESTED);
    add(f, "y1", "P1", "RELICS", PM_KIND_ACCEPTED);
    add(f, "z1", "P2", "EIA", PM_KIND_ACCEPTED);
    add(f, "x3", "P1", "EIA", PM_KIND_APPROVED);
    add(f, "y2", "P1", "RELICS", PM_KIND_APPROVED);
    assert_heads(f, 10, "x1 y1 z1");
    assert_heads(f, 2, "x1 y1");
    /* Until x1 is answered, nothing else of its pair may go. */
    ack(f, "x1", 41);
    assert_heads(f, 10, "x2 y1 z1");
    /* A refusal takes the event out of the queue: its successor is next. */
    refuse(f, "x2", "forbidden_transition", "EIA of P1 is ready");
    assert_heads(f, 10, "y1 z1 x3");
    ack(f, "y1", 42);
    ack(f, "z1", 43);
    ack(f, "x3", 44);
    assert_heads(f, 10, "y2");
    ack(f, "y2", 45);
    assert_heads(f, 10, "");
}

/* A row that cannot be read (a damaged file) holds its pair back rather than let the next go. */
static void
test_damaged_row_holds_its_pair(void **state)
{
    fix_t *f = *state;
    char *path = xasprintf("%s/%s", f->state, OUTBOX_FILE);
    sqlite3 *db;

    add(f, "d1", "P1", "EIA", PM_KIND_ACCEPTED);
    add(f, "d2", "P1", "EIA", PM_KIND_APPROVED);
    add(f, "e1", "P2", "EIA", PM_KIND_ACCEPTED);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db, "UPDATE outbox SET kind = 'bogus' WHERE id = 'd1'", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    assert_heads(f, 10, "e1");
    free(path);
}

/* Many pairs with long queues: the heads are found in arrival order, as many as asked. */
static void
test_heads_in_a_backlog(void **state)
{
    fix_t *f = *state;
    pm_entry_t **ev = xcalloc(3000, sizeof(*ev));
    outbox_item_t *items = xcalloc(3000, sizeof(*items));
    size_t added = 0;
    char *got;

    for (size_t i = 0; i < 3000; i++) {
        char id[32], project[32];
        snprintf(id, sizeof(id), "b%zu", i);
        snprintf(project, sizeof(project), "P%zu", i % 1000);
        ev[i] = event(id, project, "EIA", PM_KIND_ACCEPTED);
        items[i] = (outbox_item_t){.event = ev[i], .source = "backlog.csv"};
    }
    assert_int_equal(outbox_add(f->ob, items, 3000, 1, &added, f->why, sizeof(f->why)), 0);
    assert_int_equal(added, 3000);
    assert_heads(f, 3, "b0 b1 b2");
    got = heads(f, 2000);
    assert_int_equal(strlen(got),
                     strlen("b0") * 10 + strlen("b10") * 90 + strlen("b100") * 900 + 999);
    free(got);
    ack(f, "b1", 1);
    assert_heads(f, 3, "b0 b2 b3");
    for (size_t i = 0; i < 3000; i++)
        pm_entry_destroy(&ev[i]);
    free(ev);
    free(items);
}

static void
test_heads_carry_the_whole_event(void **state)
{
    fix_t *f = *state;
    pm_entry_t *e = event("full", "TL-2026-001", "LAND_PREREVIEW", PM_KIND_ACCEPTED_DEFICIENT);
    outbox_item_t item = {.event = e, .source = "send --queue"};
    pm_entry_t **v = NULL;
    size_t n = 0, added = 0;

    e->cert = xstrdup("证-1");
    e->note = xstrdup("容缺受理，承诺补交");
    e->missing = xstrdup("土地权属证明");
    e->due_ms = 1800000000000;
    e->event_ms = 1700000000123;
    assert_int_equal(outbox_add(f->ob, &item, 1, 5, &added, f->why, sizeof(f->why)), 0);
    assert_int_equal(outbox_heads(f->ob, 1, &v, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(v[0]->kind, PM_KIND_ACCEPTED_DEFICIENT);
    assert_string_equal(v[0]->event_id, "full");
    assert_string_equal(v[0]->dept, "NRB");
    assert_string_equal(v[0]->project, "TL-2026-001");
    assert_string_equal(v[0]->procedure, "LAND_PREREVIEW");
    assert_string_equal(v[0]->cert, "证-1");
    assert_string_equal(v[0]->note, "容缺受理，承诺补交");
    assert_string_equal(v[0]->missing, "土地权属证明");
    assert_int_equal(v[0]->due_ms, 1800000000000);
    assert_int_equal(v[0]->event_ms, 1700000000123);
    outbox_free_events(&v, n);
    assert_null(v);
    pm_entry_destroy(&e);
}

static void
test_settle_records_acks_and_refusals(void **state)
{
    fix_t *f = *state;
    outbox_result_t r[] = {
        {.id = "a", .ok = true, .seq = 7},
        {.id = "b", .code = "unknown_project", .reason = "no project P7 is registered"},
        {.id = "c", .ok = true, .seq = 9, .duplicate = true},
        {.id = "nobody", .ok = true, .seq = 10},
    };
    outbox_stats_t st = {0};
    char *seq;

    add(f, "a", "P1", "EIA", PM_KIND_ACCEPTED);
    add(f, "b", "P7", "EIA", PM_KIND_ACCEPTED);
    add(f, "c", "P2", "EIA", PM_KIND_ACCEPTED);
    assert_int_equal(outbox_settle(f->ob, r, ARRAY_LEN(r), 123456), 0);
    assert_int_equal(outbox_settle(f->ob, r, 0, 123456), 0);
    assert_int_equal(outbox_stats(f->ob, &st), 0);
    assert_int_equal(st.queued, 0);
    assert_int_equal(st.sent, 2);
    assert_int_equal(st.rejected, 1);
    assert_int_equal(st.nrejects, 1);
    assert_string_equal(st.rejects[0].id, "b");
    assert_string_equal(st.rejects[0].project, "P7");
    assert_string_equal(st.rejects[0].kind, "accepted");
    assert_string_equal(st.rejects[0].code, "unknown_project");
    assert_string_equal(st.rejects[0].reason, "no project P7 is registered");
    assert_string_equal(st.rejects[0].source, "test");
    assert_int_equal(st.rejects[0].done_ms, 123456);
    outbox_stats_clear(&st);
    seq = outbox_fact(f->ob, "last_ack_seq");
    assert_string_equal(seq, "9");
    free(seq);
    /* An answer for an event that is no longer queued changes nothing. */
    refuse(f, "a", "invalid", "late refusal");
    assert_int_equal(outbox_stats(f->ob, &st), 0);
    assert_int_equal(st.sent, 2);
    assert_int_equal(st.rejected, 1);
    outbox_stats_clear(&st);
}

/*
 * A queued event can be dropped too (one in flight the broker never answers): it leaves the
 * queue, and the next of its pair becomes the head. Should the broker ack it after all, it is
 * recorded as sent; a refusal that comes late changes nothing. A sent event is not dropped.
 */
static void
test_drop_queued(void **state)
{
    fix_t *f = *state;
    outbox_stats_t st = {0};

    add(f, "q1", "P1", "EIA", PM_KIND_ACCEPTED);
    add(f, "q2", "P1", "EIA", PM_KIND_APPROVED);
    add(f, "q3", "P2", "EIA", PM_KIND_ACCEPTED);
    assert_int_equal(outbox_queued(f->ob, "q1"), 1);
    assert_int_equal(outbox_drop(f->ob, "q1", 1), 1);
    assert_int_equal(outbox_queued(f->ob, "q1"), 0);
    assert_int_equal(outbox_queued(f->ob, "nope"), 0);
    assert_heads(f, 10, "q2 q3");
    assert_int_equal(outbox_drop(f->ob, "q3", 1), 1);
    refuse(f, "q3", "invalid", "late refusal");
    ack(f, "q1", 7);
    assert_int_equal(outbox_drop(f->ob, "q1", 1), 0);
    assert_int_equal(outbox_stats(f->ob, &st), 0);
    assert_int_equal(st.sent, 1);
    assert_int_equal(st.dropped, 1);
    assert_int_equal(st.queued, 1);
    assert_int_equal(st.rejected, 0);
    outbox_stats_clear(&st);
    (void)state;
}

static void
test_retry_goes_behind_the_queue_and_drop(void **state)
{
    fix_t *f = *state;
    outbox_stats_t st = {0};
    size_t count = 0;

    add(f, "r1", "P1", "EIA", PM_KIND_APPROVED);
    add(f, "r2", "P1", "EIA", PM_KIND_ACCEPTED);
    add(f, "r3", "P1", "EIA", PM_KIND_SUPPLEMENT_REQUESTED);
    refuse(f, "r1", "forbidden_transition", "not accepted yet");
    assert_heads(f, 10, "r2");
    /* Only a rejected event can be retried. */
    assert_int_equal(outbox_retry(f->ob, "r2"), 0);
    assert_int_equal(outbox_retry(f->ob, "nope"), 0);
    /* The clerk fixed the cause: r1 goes again, after what is already queued for its pair. */
    assert_int_equal(outbox_retry(f->ob, "r1"), 1);
    assert_int_equal(outbox_retry(f->ob, "r1"), 0);
    assert_heads(f, 10, "r2");
    ack(f, "r2", 1);
    ack(f, "r3", 2);
    assert_heads(f, 10, "r1");
    refuse(f, "r1", "forbidden_transition", "still wrong");
    assert_int_equal(outbox_drop(f->ob, "r1", 99), 1);
    assert_int_equal(outbox_drop(f->ob, "r1", 99), 0);
    assert_int_equal(outbox_stats(f->ob, &st), 0);
    assert_int_equal(st.dropped, 1);
    assert_int_equal(st.rejected, 0);
    assert_int_equal(st.nrejects, 0);
    outbox_stats_clear(&st);
    /* Retry all keeps the rejected events' order among themselves. */
    add(f, "s1", "P2", "EIA", PM_KIND_APPROVED);
    add(f, "s2", "P3", "EIA", PM_KIND_APPROVED);
    add(f, "s3", "P2", "EIA", PM_KIND_ACCEPTED);
    refuse(f, "s2", "x", "y");
    refuse(f, "s1", "x", "y");
    assert_int_equal(outbox_retry_all(f->ob, &count), 0);
    assert_int_equal(count, 2);
    assert_heads(f, 10, "s3 s2");
    ack(f, "s3", 3);
    assert_heads(f, 10, "s1 s2");
}

static void
test_changed_sees_other_processes(void **state)
{
    fix_t *f = *state;
    outbox_t *clerk = NULL;
    pm_entry_t *e = event("q1", "P1", "EIA", PM_KIND_ACCEPTED);
    outbox_item_t item = {.event = e, .source = "send --queue"};
    size_t added = 0;

    assert_false(outbox_changed(f->ob));
    assert_int_equal(outbox_open(f->state, NULL, false, &clerk, f->why, sizeof(f->why)), 0);
    assert_int_equal(outbox_add(clerk, &item, 1, 1, &added, f->why, sizeof(f->why)), 0);
    assert_true(outbox_changed(f->ob));
    assert_false(outbox_changed(f->ob));
    /* Its own writes are not news to the daemon. */
    ack(f, "q1", 5);
    assert_false(outbox_changed(f->ob));
    outbox_close(&clerk);
    pm_entry_destroy(&e);
}

static void
test_prune_keeps_what_is_open(void **state)
{
    fix_t *f = *state;
    outbox_result_t old[] = {{.id = "old", .ok = true, .seq = 1}, {.id = "bad", .code = "x"}};
    outbox_stats_t st = {0};

    add(f, "old", "P1", "EIA", PM_KIND_ACCEPTED);
    add(f, "bad", "P2", "EIA", PM_KIND_ACCEPTED);
    add(f, "new", "P3", "EIA", PM_KIND_ACCEPTED);
    add(f, "wait", "P4", "EIA", PM_KIND_ACCEPTED);
    assert_int_equal(outbox_settle(f->ob, old, 2, 1000), 0);
    ack(f, "new", 3);
    assert_int_equal(outbox_prune(f->ob, 5000), 0);
    assert_int_equal(outbox_stats(f->ob, &st), 0);
    assert_int_equal(st.sent, 1);
    assert_int_equal(st.rejected, 1);
    assert_int_equal(st.queued, 1);
    outbox_stats_clear(&st);
    /* A pruned id may come back: the broker still knows it, and answers "logged before". */
    assert_int_equal(add(f, "old", "P1", "EIA", PM_KIND_ACCEPTED), 1);
}

static void
test_facts(void **state)
{
    fix_t *f = *state;
    const char *facts[] = {"link", "up", "broker_head", "42", NULL};
    const char *again[] = {"link", "down", NULL};
    char *v;

    assert_null(outbox_fact(f->ob, "link"));
    assert_int_equal(outbox_note(f->ob, facts), 0);
    assert_int_equal(outbox_note(f->ob, again), 0);
    v = outbox_fact(f->ob, "link");
    assert_string_equal(v, "down");
    free(v);
    v = outbox_fact(f->ob, "broker_head");
    assert_string_equal(v, "42");
    free(v);
}

/* Fill the file system holding path's folder: write path until the disk says no more. */
static void
fill(const char *path)
{
    char block[4096];
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    assert_true(fd >= 0);
    memset(block, 'x', sizeof(block));
    while (write(fd, block, sizeof(block)) > 0)
        ;
    close(fd);
}

/* Add one event with a note of len bytes: outbox_add's return. */
static int
add_big(fix_t *f, const char *id, size_t len)
{
    pm_entry_t *e = event(id, "P-1", id, PM_KIND_ACCEPTED);
    outbox_item_t item = {.event = e, .source = "test"};
    size_t added = 0;
    int rc;

    e->note = xmalloc(len + 1);
    memset(e->note, 'n', len);
    e->note[len] = '\0';
    rc = outbox_add(f->ob, &item, 1, util_now_ms(), &added, f->why, sizeof(f->why));
    pm_entry_destroy(&e);
    return rc;
}

static size_t
count_heads(fix_t *f)
{
    pm_entry_t **v = NULL;
    size_t n = 0;

    assert_int_equal(outbox_heads(f->ob, 10000, &v, &n), 0);
    outbox_free_events(&v, n);
    return n;
}

/*
 * The disk holding the outbox fills up: an add is refused as OUTBOX_FULL with "the outbox is
 * full" and adds nothing, the outbox.full marker shows it, reads still work; once space is
 * back the same add goes in and the marker is gone.
 */
static void
test_full_disk(void **state)
{
    fix_t *f = *state;
    char *mnt = xasprintf("%s/small", f->dir), *state_dir = xasprintf("%s/small/NRB", f->dir);
    char *filler = xasprintf("%s/small/filler", f->dir), id[32];
    int64_t since = 0;
    size_t before;
    int rc = 0, i;

    assert_int_equal(mkdir(mnt, 0700), 0);
    /* A private mount namespace, so the tmpfs is seen by this process only. */
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", mnt, "tmpfs", 0, "size=512k") != 0) {
        free(mnt);
        free(state_dir);
        free(filler);
        skip(); /* not root, or no mount namespaces here */
    }
    outbox_close(&f->ob);
    if (outbox_open(state_dir, "NRB", true, &f->ob, f->why, sizeof(f->why)) != 0)
        fail_msg("outbox_open: %s", f->why);
    assert_int_equal(add_big(f, "before", 1000), 0);
    fill(filler);
    /* The WAL may still have room for a few: add until the disk says no. */
    for (i = 0; i < 200 && rc == 0; i++) {
        snprintf(id, sizeof(id), "full-%d", i);
        before = count_heads(f);
        rc = add_big(f, id, 8000);
    }
    assert_int_equal(rc, OUTBOX_FULL);
    assert_non_null(strstr(f->why, "the outbox is full"));
    assert_true(outbox_full(f->ob));
    assert_int_equal(count_heads(f), before); /* nothing of it was added */
    assert_int_equal(outbox_full_marked(state_dir, &since), 1);
    assert_true(since > 0);
    /* Still full: refused again, nothing logged per attempt (not checked here), nothing added. */
    assert_int_equal(add_big(f, id, 8000), OUTBOX_FULL);
    assert_int_equal(count_heads(f), before);

    assert_int_equal(unlink(filler), 0);
    assert_int_equal(add_big(f, id, 8000), 0);
    assert_false(outbox_full(f->ob));
    assert_int_equal(outbox_full_marked(state_dir, &since), 0);
    assert_int_equal(count_heads(f), before + 1);

    outbox_close(&f->ob);
    assert_int_equal(umount(mnt), 0);
    free(mnt);
    free(state_dir);
    free(filler);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_records_department, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_takes_each_id_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heads_one_per_pair_in_arrival_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_row_holds_its_pair, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heads_in_a_backlog, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heads_carry_the_whole_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_settle_records_acks_and_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_goes_behind_the_queue_and_drop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drop_queued, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changed_sees_other_processes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune_keeps_what_is_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_facts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_disk, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
