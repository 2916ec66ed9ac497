/*
 * Unit tests of the sqlite store: sequence numbers, event ids, paging and filters, undo of a
 * savepoint and of a whole transaction, durability across a reopen, and a full disk (sqlite's
 * max_page_count gives the same SQLITE_FULL, inside a statement) undone whole, the procedure
 * cache included, and the cache's writes held until a commit or a sync.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "store.h"
#include "store_backend.h" /* store_sqlite_conn: the store's own tables, white-box */

typedef struct fix {
    char dir[64];
    char *path;
    store_t *s;
} fix_t;

static int
setup(void **state)
{
    fix_t *f = xcalloc(1, sizeof(*f));
    char *err = NULL;

    assert_int_equal(fixture_tmpdir(f->dir, sizeof(f->dir), "store"), 0);
    f->path = xasprintf("%s/state.db", f->dir);
    f->s = store_open(f->path, &err);
    assert_non_null(f->s);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fix_t *f = *state;

    store_close(&f->s);
    assert_int_equal(fixture_rmtree(f->dir), 0);
    free(f->path);
    free(f);
    return 0;
}

static uint64_t
append(store_t *s, pm_kind_t kind, const char *id, const char *project, const char *dept)
{
    pm_entry_t *e = pm_entry_new(kind);
    uint64_t seq;

    e->event_id = xstrdup(id);
    e->project = xstrdup(project);
    e->dept = xstrdup(dept);
    e->procedure = xstrdup("EIA");
    e->actor = xstrdup(dept);
    e->recv_ms = 1700000000000 + 1000 * (int64_t)store_head(s);
    e->note = xstrdup("备注：材料齐全");
    assert_int_equal(store_append(s, e), 0);
    seq = e->seq;
    pm_entry_destroy(&e);
    return seq;
}

static void
test_sequence_and_ids(void **state)
{
    fix_t *f = *state;
    uint64_t seq = 0;
    pm_entry_t *e = NULL;

    assert_int_equal(store_head(f->s), 0);
    assert_int_equal(store_begin(f->s), 0);
    assert_int_equal(append(f->s, PM_KIND_ACCEPTED, "a-1", "P1", "EEB"), 1);
    assert_int_equal(append(f->s, PM_KIND_APPROVED, "a-2", "P1", "EEB"), 2);
    assert_int_equal(append(f->s, PM_KIND_UNBLOCKED, NULL, "P1", "HCB"), 3);
    assert_int_equal(store_committed_head(f->s), 0);
    assert_int_equal(store_commit(f->s), 0);
    assert_int_equal(store_committed_head(f->s), 3);
    assert_int_equal(store_find_event(f->s, "EEB", "a-2", &seq), 1);
    assert_int_equal(seq, 2);
    assert_int_equal(store_find_event(f->s, "EEB", "nope", &seq), 0);
    assert_int_equal(store_entry_get(f->s, 1, &e), 1);
    assert_int_equal(e->kind, PM_KIND_ACCEPTED);
    assert_string_equal(e->note, "备注：材料齐全");
    pm_entry_destroy(&e);
    assert_int_equal(store_entry_get(f->s, 99, &e), 0);
    /* An event id is unique among its sender's. */
    assert_int_equal(store_begin(f->s), 0);
    {
        pm_entry_t *dup = pm_entry_new(PM_KIND_ACCEPTED);
        dup->event_id = xstrdup("a-1");
        dup->actor = xstrdup("EEB");
        assert_int_equal(store_append(f->s, dup), -1);
        pm_entry_destroy(&dup);
    }
    assert_int_equal(store_rollback(f->s), 0);
    assert_int_equal(store_head(f->s), 3);
}

static void
test_rollback_and_savepoint(void **state)
{
    fix_t *f = *state;
    uint64_t seq;

    assert_int_equal(store_begin(f->s), 0);
    append(f->s, PM_KIND_ACCEPTED, "keep", "P1", "EEB");
    assert_int_equal(store_savepoint(f->s), 0);
    append(f->s, PM_KIND_ACCEPTED, "undo", "P1", "EEB");
    assert_int_equal(store_head(f->s), 2);
    assert_int_equal(store_rollback_to(f->s), 0);
    assert_int_equal(store_head(f->s), 1);
    assert_int_equal(store_find_event(f->s, "EEB", "undo", &seq), 0);
    /* The next append reuses the undone number: no hole in the sequence. */
    assert_int_equal(append(f->s, PM_KIND_APPROVED, "next", "P1", "EEB"), 2);
    assert_int_equal(store_rollback(f->s), 0);
    assert_int_equal(store_head(f->s), 0);
    assert_int_equal(store_find_event(f->s, "EEB", "keep", &seq), 0);
}

static void
test_entries_paging_and_filters(void **state)
{
    fix_t *f = *state;
    pm_query_t q = {0};
    pm_page_t page = {0};

    assert_int_equal(store_begin(f->s), 0);
    for (int i = 0; i < 30; i++) {
        char id[16];
        snprintf(id, sizeof(id), "e%d", i);
        append(f->s, i % 3 == 0 ? PM_KIND_UNBLOCKED : PM_KIND_ACCEPTED, id,
               i % 2 ? "TL-2026-001" : "ED-2026-002", i % 3 == 0 ? "HCB" : "EEB");
    }
    assert_int_equal(store_commit(f->s), 0);
    q.after = 5;
    q.limit = 10;
    assert_int_equal(store_entries(f->s, &q, &page), 0);
    assert_int_equal(page.n, 10);
    assert_int_equal(page.entries[0]->seq, 6);
    assert_int_equal(page.entries[9]->seq, 15);
    assert_true(page.more);
    assert_int_equal(page.head, 30);
    for (size_t i = 0; i < page.n; i++)
        pm_entry_destroy(&page.entries[i]);
    free(page.entries);
    memset(&page, 0, sizeof(page));

    q.after = 0;
    q.limit = 100;
    q.project = "TL-2026-001";
    q.kind = "unblocked";
    assert_int_equal(store_entries(f->s, &q, &page), 0);
    assert_false(page.more);
    assert_int_equal(page.n, 5); /* odd i divisible by 3: 3, 9, 15, 21, 27 */
    for (size_t i = 0; i < page.n; i++) {
        assert_string_equal(page.entries[i]->project, "TL-2026-001");
        assert_int_equal(page.entries[i]->kind, PM_KIND_UNBLOCKED);
        pm_entry_destroy(&page.entries[i]);
    }
    free(page.entries);
}

static int
count_progress(void *arg)
{
    ++*(long *)arg;
    return 0;
}

/*
 * The calendar, read at every start ahead of a replay, is found through its own index: the
 * read takes a few hundred sqlite VM steps whatever the length of the log, where a walk of
 * the log by kind takes several per entry (it took 0.3-0.6 s at 2.2 M entries).
 */
static void
test_calendar_read_skips_the_log(void **state)
{
    enum { N = 20000 };
    fix_t *f = *state;
    pm_query_t q = {.limit = 1000, .kind = "calendar"};
    pm_page_t page = {0};
    long thousands = 0;
    uint64_t cal[2];

    assert_int_equal(store_begin(f->s), 0);
    cal[0] = append(f->s, PM_KIND_CALENDAR, "cal-2026", NULL, "GOV");
    for (int i = 0; i < N; i++) {
        char id[16];
        snprintf(id, sizeof(id), "e%d", i);
        append(f->s, PM_KIND_ACCEPTED, id, "TL-2026-001", "EEB");
    }
    cal[1] = append(f->s, PM_KIND_CALENDAR, "cal-2027", NULL, "GOV");
    assert_int_equal(store_commit(f->s), 0);

    sqlite3_progress_handler(store_sqlite_conn(f->s), 1000, count_progress, &thousands);
    assert_int_equal(store_entries(f->s, &q, &page), 0);
    sqlite3_progress_handler(store_sqlite_conn(f->s), 0, NULL, NULL);
    assert_int_equal(page.n, 2);
    assert_false(page.more);
    assert_int_equal(page.entries[0]->seq, cal[0]);
    assert_int_equal(page.entries[1]->seq, cal[1]);
    assert_int_equal(page.entries[1]->kind, PM_KIND_CALENDAR);
    for (size_t i = 0; i < page.n; i++)
        pm_entry_destroy(&page.entries[i]);
    free(page.entries);
    assert_true(thousands < 5);

    /* Paged from a cursor, as the engine reads it. */
    memset(&page, 0, sizeof(page));
    q.after = cal[0];
    assert_int_equal(store_entries(f->s, &q, &page), 0);
    assert_int_equal(page.n, 1);
    assert_int_equal(page.entries[0]->seq, cal[1]);
    pm_entry_destroy(&page.entries[0]);
    free(page.entries);
}

/* Whether sqlite holds a temporary file open (a spilled statement journal: etilqs_*). */
static bool
sqlite_temp_file_open(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    bool found = false;

    assert_non_null(d);
    while (!found && (de = readdir(d)) != NULL) {
        char link[300], target[4096];
        ssize_t n;
        snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
        n = readlink(link, target, sizeof(target) - 1);
        if (n > 0) {
            target[n] = '\0';
            found = strstr(target, "etilqs_") != NULL;
        }
    }
    closedir(d);
    return found;
}

/*
 * A batch as the broker makes one, a savepoint a message, where one message changes about 20
 * pages the file had (ids of agents are random, so their index entries fall on pages all over
 * it): what its savepoint journals stays in memory (STORE_STMTJRNL_SPILL, set by
 * store_single_threaded, called by main below as by permitd's), where sqlite's default spilled
 * it to a temporary file past 64 KiB (16 pages), and the rest of the batch then wrote two
 * writes a page to that file.
 */
/* n entries of project with ids in random order, as agents' are (xorshift state *x). */
static void
append_random_ids(store_t *s, uint32_t *x, int n, const char *project)
{
    char id[48];

    for (int i = 0; i < n; i++) {
        *x ^= *x << 13, *x ^= *x >> 17, *x ^= *x << 5;
        snprintf(id, sizeof(id), "%08x-%s-%d", *x, project, i);
        append(s, PM_KIND_ACCEPTED, id, project, "EEB");
    }
}

static void
test_batch_savepoints_stay_in_memory(void **state)
{
    fix_t *f = *state;
    uint32_t x = 2463534242u;
    char id[24];

    assert_int_equal(store_begin(f->s), 0);
    append_random_ids(f->s, &x, 20000, "TL-2026-001");
    assert_int_equal(store_commit(f->s), 0);

    assert_int_equal(store_begin(f->s), 0);
    assert_int_equal(store_savepoint(f->s), 0);
    append_random_ids(f->s, &x, 22, "TL-2026-002");
    assert_int_equal(store_release(f->s), 0);
    for (int i = 0; i < 64; i++) {
        snprintf(id, sizeof(id), "m%d", i);
        assert_int_equal(store_savepoint(f->s), 0);
        append(f->s, PM_KIND_ACCEPTED, id, "TL-2026-003", "NRB");
        assert_int_equal(store_release(f->s), 0);
    }
    assert_false(sqlite_temp_file_open());
    assert_int_equal(store_commit(f->s), 0);
}

/* A page stops at STORE_PAGE_BYTES of entries, says there is more, and the next goes on. */
static void
test_entries_byte_cap(void **state)
{
    fix_t *f = *state;
    pm_query_t q = {.limit = 1000};
    char *big = xmalloc(60001);
    uint64_t seen = 0;
    size_t pages = 0;

    memset(big, 'x', 60000);
    big[60000] = '\0';
    assert_int_equal(store_begin(f->s), 0);
    for (int i = 0; i < 40; i++) {
        pm_entry_t *e = pm_entry_new(PM_KIND_ACCEPTED);
        e->event_id = xasprintf("big%d", i);
        e->project = xstrdup("TL-2026-001");
        e->project_name = xstrdup(big);
        assert_int_equal(store_append(f->s, e), 0);
        pm_entry_destroy(&e);
    }
    assert_int_equal(store_commit(f->s), 0);
    for (bool more = true; more; pages++) {
        pm_page_t page = {0};
        q.after = seen;
        assert_int_equal(store_entries(f->s, &q, &page), 0);
        assert_true(page.n >= 1);
        assert_true(page.n * 60000 <= STORE_PAGE_BYTES);
        for (size_t i = 0; i < page.n; i++) {
            assert_int_equal(page.entries[i]->seq, ++seen);
            pm_entry_destroy(&page.entries[i]);
        }
        free(page.entries);
        more = page.more;
    }
    assert_int_equal(seen, 40);
    assert_true(pages >= 3); /* 2.4 MB of entries in pages of at most 1 MiB */
    free(big);
}

static void
test_durable_across_reopen(void **state)
{
    fix_t *f = *state;
    char *err = NULL;
    uint64_t seq;

    assert_int_equal(store_begin(f->s), 0);
    append(f->s, PM_KIND_ACCEPTED, "x", "P1", "EEB");
    append(f->s, PM_KIND_ACCEPTED, "y", "P1", "EEB");
    assert_int_equal(store_commit(f->s), 0);
    assert_int_equal(store_begin(f->s), 0);
    append(f->s, PM_KIND_ACCEPTED, "uncommitted", "P1", "EEB");
    store_close(&f->s); /* closing with a transaction open loses only that transaction */
    f->s = store_open(f->path, &err);
    assert_non_null(f->s);
    assert_int_equal(store_head(f->s), 2);
    assert_int_equal(store_find_event(f->s, "EEB", "y", &seq), 1);
    assert_int_equal(store_find_event(f->s, "EEB", "uncommitted", &seq), 0);
}

/* The zone the broker records: none in a new database, then the one recorded last, read by a
 * reader of its own (permitctl report --db). */
static void
test_time_zone_recorded(void **state)
{
    fix_t *f = *state;
    char *err = NULL, *zone = NULL;
    store_t *ro;

    assert_int_equal(store_time_zone(f->s, &zone), 0);
    assert_null(zone);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(store_begin(f->s), 0);
        assert_int_equal(store_set_time_zone(f->s, i == 0 ? "America/New_York" : "Asia/Urumqi"), 0);
        assert_int_equal(store_commit(f->s), 0);
    }
    ro = store_open_readonly(f->path, &err);
    assert_non_null(ro);
    assert_int_equal(store_time_zone(ro, &zone), 0);
    assert_string_equal(zone, "Asia/Urumqi");
    free(zone);
    store_close(&ro);
}

/* Two senders numbering their events alike: the same id is two events, each found by its own
 * sender only. */
static void
test_ids_are_the_senders(void **state)
{
    fix_t *f = *state;
    uint64_t seq = 0;

    assert_int_equal(store_begin(f->s), 0);
    assert_int_equal(append(f->s, PM_KIND_ACCEPTED, "2026-0001", "P1", "EEB"), 1);
    assert_int_equal(append(f->s, PM_KIND_ACCEPTED, "2026-0001", "P1", "NRB"), 2);
    assert_int_equal(store_commit(f->s), 0);
    assert_int_equal(store_find_event(f->s, "EEB", "2026-0001", &seq), 1);
    assert_int_equal(seq, 1);
    assert_int_equal(store_find_event(f->s, "NRB", "2026-0001", &seq), 1);
    assert_int_equal(seq, 2);
    assert_int_equal(store_find_event(f->s, "operator:li", "2026-0001", &seq), 0);
    assert_int_equal(store_find_event(f->s, "EEB", "2026-0002", &seq), 0);
}

/* Turn the log of the database at path into the layout of a broker from before ids were the
 * senders' (event_id TEXT UNIQUE, the DDL it created), keeping its rows. */
static void
make_old_layout(const char *path)
{
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "BEGIN; CREATE TABLE log_old("
                     " seq INTEGER PRIMARY KEY, event_id TEXT UNIQUE, kind TEXT NOT NULL,"
                     " actor TEXT NOT NULL, dept TEXT, project TEXT, procedure TEXT,"
                     " recv_ms INTEGER NOT NULL, event_ms INTEGER, cause INTEGER,"
                     " body BLOB NOT NULL);"
                     "INSERT INTO log_old SELECT * FROM log; DROP TABLE log;"
                     "ALTER TABLE log_old RENAME TO log; COMMIT;",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
}

/* A log of the old layout opens, keeps every entry and id, and takes ids per sender from then. */
static void
test_old_layout_is_migrated(void **state)
{
    fix_t *f = *state;
    char *err = NULL;
    uint64_t seq = 0;
    pm_entry_t *e = NULL;
    sqlite3_stmt *st = NULL;

    assert_int_equal(store_begin(f->s), 0);
    append(f->s, PM_KIND_ACCEPTED, "2026-0001", "P1", "EEB");
    append(f->s, PM_KIND_UNBLOCKED, NULL, "P1", "HCB");
    append(f->s, PM_KIND_APPROVED, "2026-0002", "P1", "EEB");
    assert_int_equal(store_commit(f->s), 0);
    store_close(&f->s);
    make_old_layout(f->path);

    f->s = store_open(f->path, &err);
    assert_non_null(f->s);
    assert_int_equal(store_head(f->s), 3);
    assert_int_equal(store_find_event(f->s, "EEB", "2026-0002", &seq), 1);
    assert_int_equal(seq, 3);
    assert_int_equal(store_entry_get(f->s, 1, &e), 1);
    assert_string_equal(e->event_id, "2026-0001");
    pm_entry_destroy(&e);
    assert_int_equal(sqlite3_prepare_v2(store_sqlite_conn(f->s),
                                        "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE "
                                        "'sqlite_autoindex_log%' OR name = 'log_sender_event'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 1); /* the new index, not the old one */
    sqlite3_finalize(st);
    assert_int_equal(store_begin(f->s), 0);
    assert_int_equal(append(f->s, PM_KIND_ACCEPTED, "2026-0001", "P1", "NRB"), 4);
    assert_int_equal(store_commit(f->s), 0);
    assert_int_equal(store_find_event(f->s, "NRB", "2026-0001", &seq), 1);
    assert_int_equal(seq, 4);
    assert_int_equal(store_find_event(f->s, "EEB", "2026-0001", &seq), 1);
    assert_int_equal(seq, 1);
}

/* The one procedure row of a project, with the given state. */
static void
put_proc_of(store_t *s, const char *project, pm_state_t st)
{
    store_proc_t p = {.code = "EIA", .dept = "EEB", .state = st, .deadline = 10};

    assert_int_equal(store_proc_put(s, project, &p, 0), 0);
}

static pm_state_t
proc_state_of(store_t *s, const char *project)
{
    store_proc_t *procs = NULL;
    size_t n = 0;
    pm_state_t st;

    assert_int_equal(store_procs_load(s, project, &procs, &n), 0);
    assert_int_equal(n, 1);
    st = procs[0].state;
    store_procs_free(procs, n);
    return st;
}

static void
put_proc(store_t *s, pm_state_t st)
{
    put_proc_of(s, "P", st);
}

static pm_state_t
proc_state(store_t *s)
{
    return proc_state_of(s, "P");
}

static void
sql(store_t *s, const char *q)
{
    assert_int_equal(sqlite3_exec(store_sqlite_conn(s), q, NULL, NULL, NULL), SQLITE_OK);
}

/* The first column of the first row a query gives, or NULL for no row (caller frees). */
static char *
sql_text(store_t *s, const char *q)
{
    sqlite3_stmt *st = NULL;
    char *v = NULL;

    assert_int_equal(sqlite3_prepare_v2(store_sqlite_conn(s), q, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = xstrdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
}

/* The state of P's row as the table has it (not the cache). */
static char *
table_state(store_t *s)
{
    char *v = sql_text(s, "SELECT state FROM procedures");

    assert_non_null(v);
    return v;
}

static void
assert_table_state(store_t *s, const char *want)
{
    char *got = table_state(s);
    assert_string_equal(got, want);
    free(got);
}

/* The derived tables' mark in meta: "behind" while rows are held past a commit. */
static char *
derived_mark(store_t *s)
{
    return sql_text(s, "SELECT value FROM meta WHERE key = 'derived'");
}

static void
assert_mark(store_t *s, const char *want)
{
    char *got = derived_mark(s);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

/* A row's codes as given: any string that outlives the call. What the store gives back are its
 * own copies, shared by every row it gives out (store.h), and valid after the caller's went. */
static void
put_row_with_codes(store_t *s, const char *project, pm_state_t st)
{
    store_proc_t p = {.code = xstrdup("EIA"), .dept = xstrdup("EEB"), .state = st};

    assert_int_equal(store_begin(s), 0);
    assert_int_equal(store_proc_put(s, project, &p, 0), 0);
    free((char *)p.code);
    free((char *)p.dept);
    assert_int_equal(store_commit(s), 0);
}

static void
test_row_codes_are_the_stores(void **state)
{
    fix_t *f = *state;
    store_proc_t *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    char *err = NULL;

    put_row_with_codes(f->s, "Q", PM_STATE_READY);             /* not cached: written through */
    assert_int_equal(store_procs_load(f->s, "Q", &a, &na), 0); /* read, and cached */
    put_row_with_codes(f->s, "Q", PM_STATE_ACCEPTED);          /* held in the cache */
    assert_int_equal(store_procs_load(f->s, "Q", &b, &nb), 0);
    assert_int_equal(na, 1);
    assert_int_equal(nb, 1);
    assert_int_equal(b[0].state, PM_STATE_ACCEPTED);
    assert_string_equal(b[0].code, "EIA");
    assert_string_equal(b[0].dept, "EEB");
    assert_ptr_equal(a[0].code, b[0].code); /* one copy, not one per row */
    assert_ptr_equal(a[0].dept, b[0].dept);
    store_procs_free(a, na);
    store_procs_free(b, nb);

    store_close(&f->s); /* writes the held row */
    f->s = store_open(f->path, &err);
    assert_non_null(f->s);
    assert_int_equal(store_procs_load(f->s, "Q", &a, &na), 0);
    assert_int_equal(na, 1);
    assert_int_equal(a[0].state, PM_STATE_ACCEPTED);
    assert_string_equal(a[0].code, "EIA");
    assert_string_equal(a[0].dept, "EEB");
    store_procs_free(a, na);
}

/*
 * A cached row changed inside a transaction is written once, before what needs it in the
 * table (store_sync), and may be held past its COMMIT: the commit marks the tables behind, a
 * database opened so marked asks for a rebuild, and a sync or a clean close writes the row
 * and marks them current. A rollback gives back the rows held at the last commit, even after a
 * write-back inside it; a rollback to a savepoint keeps the batch when the cache did not
 * change since, and fails (the caller must roll back whole) when it did.
 */
static void
test_cache_writes_back(void **state)
{
    fix_t *f = *state;
    char *err = NULL;
    store_t *other;
    uint64_t seq;

    assert_int_equal(store_begin(f->s), 0);
    put_proc(f->s, PM_STATE_READY); /* not cached yet: written through */
    assert_int_equal(store_commit(f->s), 0);
    assert_int_equal(proc_state(f->s), PM_STATE_READY); /* cached from here on */
    assert_false(store_holding(f->s));

    assert_int_equal(store_begin(f->s), 0);
    put_proc(f->s, PM_STATE_ACCEPTED);
    assert_int_equal(proc_state(f->s), PM_STATE_ACCEPTED);
    assert_table_state(f->s, "ready"); /* held in the cache */
    assert_int_equal(store_sync(f->s), 0);
    assert_table_state(f->s, "accepted");
    put_proc(f->s, PM_STATE_APPROVED);
    assert_int_equal(store_commit(f->s), 0);
    assert_table_state(f->s, "accepted"); /* held past the commit */
    assert_true(store_holding(f->s));
    assert_mark(f->s, "behind");

    assert_int_equal(store_begin(f->s), 0);
    put_proc(f->s, PM_STATE_REJECTED);
    assert_int_equal(store_rollback(f->s), 0);
    assert_int_equal(proc_state(f->s), PM_STATE_APPROVED); /* the held row, given back */
    assert_table_state(f->s, "accepted");

    assert_int_equal(store_begin(f->s), 0);
    put_proc(f->s, PM_STATE_REJECTED);
    assert_int_equal(store_sync(f->s), 0);
    assert_table_state(f->s, "rejected");
    assert_int_equal(store_rollback(f->s), 0);
    assert_table_state(f->s, "accepted");
    assert_int_equal(proc_state(f->s), PM_STATE_APPROVED); /* held again, not lost */
    assert_true(store_holding(f->s));

    assert_int_equal(store_begin(f->s), 0);
    put_proc(f->s, PM_STATE_REJECTED);
    assert_int_equal(store_savepoint(f->s), 0);
    append(f->s, PM_KIND_ACCEPTED, "refused-later", "P", "EEB");
    assert_int_equal(store_rollback_to(f->s), 0); /* the cache did not change: kept */
    assert_int_equal(proc_state(f->s), PM_STATE_REJECTED);
    assert_int_equal(store_savepoint(f->s), 0);
    put_proc(f->s, PM_STATE_NOT_REQUIRED);
    assert_int_equal(store_rollback_to(f->s), -1); /* it did: the whole transaction goes */
    assert_int_equal(store_rollback(f->s), 0);
    assert_int_equal(proc_state(f->s), PM_STATE_APPROVED);

    assert_int_equal(store_sync(f->s), 0); /* outside a transaction: one of its own */
    assert_table_state(f->s, "approved");
    assert_false(store_holding(f->s));
    assert_mark(f->s, "current");

    /* What a crash leaves: a commit that held its row. Another opener must replay the log
     * from the entry that changed it. */
    assert_int_equal(store_begin(f->s), 0);
    seq = append(f->s, PM_KIND_REJECTED, "crash-1", "P", "EEB");
    put_proc(f->s, PM_STATE_REJECTED);
    assert_int_equal(store_commit(f->s), 0);
    other = store_open(f->path, &err);
    assert_non_null(other);
    assert_int_equal(store_replay_from(other), seq);
    store_close(&other); /* it held nothing: the mark stays */
    assert_mark(f->s, "behind");

    store_close(&f->s); /* writes the held row */
    f->s = store_open(f->path, &err);
    assert_non_null(f->s);
    assert_int_equal(store_replay_from(f->s), 0);
    assert_table_state(f->s, "rejected");
    assert_int_equal(proc_state(f->s), PM_STATE_REJECTED);
}

/* Where a crash now would have the next start replay from (another opener reads the mark). */
static uint64_t
replay_from_now(const char *path)
{
    char *err = NULL;
    store_t *other = store_open(path, &err);
    uint64_t from;

    assert_non_null(other);
    from = store_replay_from(other);
    store_close(&other);
    return from;
}

/*
 * The mark follows the held rows: it names the entry that first changed the oldest row still
 * held, and once that row was written (a hold later: one second here) and the mark looked at
 * again (every STORE_MARK_MS), the entry that changed the next one. A replay after a crash so
 * starts a hold or two back, not at the first entry of the run.
 */
static void
test_mark_follows_the_held_rows(void **state)
{
    fix_t *f = *state;
    uint64_t first, second;

    store_set_hold_ms(f->s, 1000);
    assert_int_equal(store_begin(f->s), 0);
    put_proc_of(f->s, "A", PM_STATE_READY); /* not cached yet: written through */
    put_proc_of(f->s, "B", PM_STATE_READY);
    assert_int_equal(store_commit(f->s), 0);
    assert_int_equal(proc_state_of(f->s, "A"), PM_STATE_READY); /* cached from here on */
    assert_int_equal(proc_state_of(f->s, "B"), PM_STATE_READY);
    assert_int_equal(replay_from_now(f->path), 0);

    assert_int_equal(store_begin(f->s), 0);
    first = append(f->s, PM_KIND_ACCEPTED, "mark-1", "A", "EEB");
    put_proc_of(f->s, "A", PM_STATE_ACCEPTED);
    assert_int_equal(store_commit(f->s), 0);
    assert_int_equal(replay_from_now(f->path), first);

    /* Held rows go out a second after they were first held. */
    nanosleep(&(struct timespec){1, 100 * 1000 * 1000}, NULL);
    assert_int_equal(store_begin(f->s), 0);
    second = append(f->s, PM_KIND_ACCEPTED, "mark-2", "B", "EEB");
    put_proc_of(f->s, "B", PM_STATE_ACCEPTED);
    assert_int_equal(store_commit(f->s), 0);
    assert_true(store_holding(f->s));
    assert_int_equal(replay_from_now(f->path), second);

    assert_int_equal(store_sync(f->s), 0);
    assert_int_equal(replay_from_now(f->path), 0);
    assert_mark(f->s, "current");
}

/* The database may not grow past the pages it has: the next new page is a full disk. */
static void
disk_full_at_this_size(store_t *s)
{
    sqlite3_stmt *st = NULL;
    char q[64];

    assert_int_equal(sqlite3_prepare_v2(store_sqlite_conn(s), "PRAGMA page_count", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    snprintf(q, sizeof(q), "PRAGMA max_page_count = %d", sqlite3_column_int(st, 0));
    sqlite3_finalize(st);
    sql(s, q);
}

/* Append 4 KB entries (full-0, full-1, ...) until one fails for want of space. */
static void
append_until_full(store_t *s)
{
    char id[32];
    int i, rc = 0;

    for (i = 0; i < 1000 && rc == 0; i++) {
        pm_entry_t *e = pm_entry_new(PM_KIND_ACCEPTED);
        snprintf(id, sizeof(id), "full-%d", i);
        e->event_id = xstrdup(id);
        e->project = xstrdup("P");
        e->note = xmalloc(4001);
        memset(e->note, 'n', 4000);
        e->note[4000] = '\0';
        rc = store_append(s, e);
        pm_entry_destroy(&e);
    }
    assert_int_equal(rc, -1);
}

/*
 * The disk fills up inside a transaction: the append fails with SQLITE_FULL, store_full says
 * so, nothing more is written in that transaction (sqlite may have rolled it back by itself),
 * the rollback undoes every write including the cached procedure row, and once there is room
 * again a commit works and clears the condition.
 */
static void
test_full_disk_undoes_the_transaction(void **state)
{
    fix_t *f = *state;
    uint64_t seq;

    assert_int_equal(store_begin(f->s), 0);
    put_proc(f->s, PM_STATE_READY);
    append(f->s, PM_KIND_ACCEPTED, "before", "P", "EEB");
    assert_int_equal(store_commit(f->s), 0);
    assert_int_equal(proc_state(f->s), PM_STATE_READY); /* now cached */

    disk_full_at_this_size(f->s);

    assert_int_equal(store_begin(f->s), 0);
    put_proc(f->s, PM_STATE_APPROVED); /* in place, into the cache too */
    append_until_full(f->s);
    assert_true(store_full(f->s));
    /* Whether or not sqlite rolled back by itself, nothing more goes in before the rollback. */
    {
        pm_entry_t *e = pm_entry_new(PM_KIND_ACCEPTED);
        e->event_id = xstrdup("after-the-failure");
        e->project = xstrdup("P");
        if (sqlite3_get_autocommit(store_sqlite_conn(f->s)) != 0)
            assert_int_equal(store_append(f->s, e), -1);
        pm_entry_destroy(&e);
    }
    store_rollback(f->s);
    assert_int_equal(store_head(f->s), store_committed_head(f->s));
    assert_int_equal(store_committed_head(f->s), 1);
    assert_int_equal(store_find_event(f->s, "EEB", "full-0", &seq), 0);
    assert_int_equal(store_find_event(f->s, "EEB", "after-the-failure", &seq), 0);
    assert_int_equal(proc_state(f->s), PM_STATE_READY); /* the cache did not keep the undone row */

    sql(f->s, "PRAGMA max_page_count = 1000000");
    assert_true(store_full(f->s)); /* until a commit writes */
    assert_int_equal(store_begin(f->s), 0);
    append(f->s, PM_KIND_APPROVED, "after", "P", "EEB");
    assert_int_equal(store_commit(f->s), 0);
    assert_false(store_full(f->s));
    assert_int_equal(store_committed_head(f->s), 2);
}

/*
 * A row held past its commit survives a commit that fails on a full disk, and the rollback
 * callers add after it (ingest and the clock roll back again): it is given back as the last
 * commit left it, and written once there is room.
 */
static void
test_held_row_survives_a_failed_commit(void **state)
{
    fix_t *f = *state;

    assert_int_equal(store_begin(f->s), 0);
    put_proc(f->s, PM_STATE_READY);
    assert_int_equal(store_commit(f->s), 0);
    assert_int_equal(proc_state(f->s), PM_STATE_READY); /* now cached */
    assert_int_equal(store_begin(f->s), 0);
    put_proc(f->s, PM_STATE_ACCEPTED);
    assert_int_equal(store_commit(f->s), 0);
    assert_true(store_holding(f->s));
    assert_table_state(f->s, "ready");

    disk_full_at_this_size(f->s);

    assert_int_equal(store_begin(f->s), 0);
    put_proc(f->s, PM_STATE_APPROVED);
    append_until_full(f->s);
    assert_int_equal(store_commit(f->s), -1);
    store_rollback(f->s);
    assert_int_equal(proc_state(f->s), PM_STATE_ACCEPTED); /* held, not lost, not APPROVED */
    assert_true(store_holding(f->s));

    sql(f->s, "PRAGMA max_page_count = 1000000");
    assert_int_equal(store_sync(f->s), 0);
    assert_false(store_holding(f->s));
    assert_table_state(f->s, "accepted");
    assert_mark(f->s, "current");
}

/*
 * More projects than the cache holds, with rows held past a commit: a transaction that may not
 * empty the cache (a rollback needs what it holds) lets it grow, then writes the rest through;
 * its rollback leaves every project as committed, and a sync and a reopen find every row.
 */
static void
test_held_rows_beyond_the_cache(void **state)
{
    enum { N = 13000 }; /* past a cache of 8,192 projects and its 12,288 in a transaction */
    fix_t *f = *state;
    char id[32], *err = NULL;
    int i;
    store_proc_t row = {.code = "EIA", .dept = "EEB", .state = PM_STATE_APPROVED, .deadline = 10};

    store_set_cache_bytes(f->s, 8192 * store_cache_cost(f->s, "M-00000", &row, 1));

    assert_int_equal(store_begin(f->s), 0);
    for (i = 0; i < N; i++) {
        store_proc_t p = {.code = "EIA", .dept = "EEB", .state = PM_STATE_READY};
        snprintf(id, sizeof(id), "M-%05d", i);
        assert_int_equal(store_procs_create(f->s, id, &p, 1), 0);
    }
    assert_int_equal(store_commit(f->s), 0);
    assert_true(store_holding(f->s)); /* the newest projects' rows */

    assert_int_equal(store_begin(f->s), 0);
    for (i = 0; i < N; i++) {
        snprintf(id, sizeof(id), "M-%05d", i);
        assert_int_equal(proc_state_of(f->s, id), PM_STATE_READY);
        put_proc_of(f->s, id, PM_STATE_ACCEPTED);
    }
    assert_int_equal(store_rollback(f->s), 0);
    for (i = 0; i < N; i += 7) {
        snprintf(id, sizeof(id), "M-%05d", i);
        assert_int_equal(proc_state_of(f->s, id), PM_STATE_READY);
    }

    assert_int_equal(store_begin(f->s), 0);
    for (i = 0; i < N; i++) {
        snprintf(id, sizeof(id), "M-%05d", i);
        put_proc_of(f->s, id, PM_STATE_APPROVED);
    }
    assert_int_equal(store_commit(f->s), 0);
    store_close(&f->s);
    f->s = store_open(f->path, &err);
    assert_non_null(f->s);
    assert_int_equal(store_replay_from(f->s), 0);
    for (i = 0; i < N; i++) {
        snprintf(id, sizeof(id), "M-%05d", i);
        assert_int_equal(proc_state_of(f->s, id), PM_STATE_APPROVED);
    }
}

/* Projects C-00000 to C-<n - 1>, one procedure each, created in one transaction. */
static void
create_projects(store_t *s, int n)
{
    char id[32];

    assert_int_equal(store_begin(s), 0);
    for (int i = 0; i < n; i++) {
        store_proc_t p = {.code = "EIA", .dept = "EEB", .state = PM_STATE_READY};
        snprintf(id, sizeof(id), "C-%05d", i);
        assert_int_equal(store_procs_create(s, id, &p, 1), 0);
    }
    assert_int_equal(store_commit(s), 0);
}

/*
 * Past the most projects a commit may leave held (with a budget of 1.5 MiB, PCACHE_HOLD_MIN,
 * 4,096), the commit writes the oldest until a chunk (PCACHE_HOLD_CHUNK, 512) fewer are held.
 */
static void
test_held_rows_go_out_oldest_first(void **state)
{
    enum { N = 5000, HOLD_MAX = 4096, CHUNK = 512 };
    fix_t *f = *state;
    char id[32], *n, *last;

    store_set_cache_bytes(f->s, 3 << 19); /* holds N, but half of it fewer than HOLD_MAX */
    create_projects(f->s, N);
    n = sql_text(f->s, "SELECT COUNT(*) FROM procedures");
    last = sql_text(f->s, "SELECT MAX(project) FROM procedures");
    snprintf(id, sizeof(id), "C-%05d", N - (HOLD_MAX - CHUNK) - 1);
    assert_int_equal(atoi(n), N - (HOLD_MAX - CHUNK));
    assert_string_equal(last, id);
    free(n);
    free(last);

    assert_true(store_holding(f->s));
    assert_int_equal(store_sync(f->s), 0);
    n = sql_text(f->s, "SELECT COUNT(*) FROM procedures");
    assert_int_equal(atoi(n), N);
    free(n);
}

/* How many projects the procedures table has rows of. */
static int
table_projects(store_t *s)
{
    char *n = sql_text(s, "SELECT COUNT(DISTINCT project) FROM procedures");
    int v = atoi(n);

    free(n);
    return v;
}

/*
 * With the default budget a commit holds as many projects as half of it takes: none of 5,000
 * new ones is written. The idle steps then write them STORE_SYNC_STEP at a time, oldest first.
 */
static void
test_held_rows_fill_half_the_budget(void **state)
{
    enum { N = 5000 };
    fix_t *f = *state;
    char id[32], *last;
    int steps = 0;

    create_projects(f->s, N);
    assert_int_equal(table_projects(f->s), 0);
    assert_int_equal(store_sync_step(f->s), 0);
    assert_int_equal(table_projects(f->s), STORE_SYNC_STEP);
    last = sql_text(f->s, "SELECT MAX(project) FROM procedures");
    snprintf(id, sizeof(id), "C-%05d", STORE_SYNC_STEP - 1);
    assert_string_equal(last, id);
    free(last);
    for (steps = 1; store_holding(f->s); steps++)
        assert_int_equal(store_sync_step(f->s), 0);
    assert_int_equal(steps, (N + STORE_SYNC_STEP - 1) / STORE_SYNC_STEP);
    assert_int_equal(table_projects(f->s), N);
}

static int
collect_project(void *arg, const pm_project_t *project, const store_proc_t *proc)
{
    (void)proc;
    strv_push(arg, project->id);
    return 0;
}

/* The projects a colour list (or the blocked list) of the tables gives. */
static void
walk_projects(store_t *s, bool blocked, strv_t *out)
{
    pm_listreq_t q = {.blocked = blocked};

    strv_clear(out);
    assert_int_equal(store_colour_walk(s, &q, collect_project, out), 0);
}

/*
 * A statement that reads the tables for rows of one kind writes first the held projects that
 * may have such rows, in memory or in the tables, and no others: the clock's due rows, the
 * colour list, the blocked list. A project whose table row is red and whose held row is green
 * is written before a colour list, which then leaves it out.
 */
static void
test_reads_write_only_what_they_may_read(void **state)
{
    enum { N = 100 };
    fix_t *f = *state;
    const char *kinds[] = {"D-DUE", "D-RED", "D-BLOCKED"};
    strv_t got = {0}, projects = {0}, procedures = {0};
    store_proc_t row;
    int64_t next = 0;
    char id[32];

    assert_int_equal(store_begin(f->s), 0);
    for (int i = 0; i < N + 3; i++) {
        store_proc_t p = {.code = "EIA",
                          .dept = "EEB",
                          .state = PM_STATE_READY,
                          .colour = PM_COLOUR_GREEN,
                          .next_ms = 5000000};
        pm_project_t pr = {.template_name = "t", .template_version = 1};
        if (i < 3)
            snprintf(id, sizeof(id), "%s", kinds[i]);
        else
            snprintf(id, sizeof(id), "D-%05d", i);
        p.next_ms = i == 0 ? 1000 : p.next_ms;
        p.colour = i == 1 ? PM_COLOUR_RED : p.colour;
        p.state = i == 2 ? PM_STATE_BLOCKED : p.state;
        pr.id = id;
        pr.name = id;
        assert_int_equal(store_project_put(f->s, &pr, 1), 0);
        assert_int_equal(store_procs_create(f->s, id, &p, 1), 0);
    }
    assert_int_equal(store_commit(f->s), 0);
    assert_int_equal(table_projects(f->s), 0);

    assert_int_equal(store_clock_next(f->s, &next), 0); /* from memory: nothing written */
    assert_int_equal(next, 1000);
    assert_int_equal(table_projects(f->s), 0);
    assert_int_equal(store_clock_due(f->s, 2000, 10, &projects, &procedures), 0);
    assert_int_equal(projects.n, 1);
    assert_string_equal(projects.v[0], "D-DUE");
    assert_int_equal(table_projects(f->s), 1);

    walk_projects(f->s, false, &got);
    assert_int_equal(got.n, 1);
    assert_string_equal(got.v[0], "D-RED");
    assert_int_equal(table_projects(f->s), 2);
    walk_projects(f->s, true, &got);
    assert_int_equal(got.n, 1);
    assert_string_equal(got.v[0], "D-BLOCKED");
    assert_int_equal(table_projects(f->s), 3);

    /* Red in the table, green held: written before the next list, which has none. */
    row = (store_proc_t){.code = "EIA",
                         .dept = "EEB",
                         .state = PM_STATE_READY,
                         .colour = PM_COLOUR_GREEN,
                         .next_ms = 5000000};
    assert_int_equal(store_begin(f->s), 0);
    assert_int_equal(store_proc_put(f->s, "D-RED", &row, 0), 0);
    assert_int_equal(store_commit(f->s), 0);
    assert_true(store_holding(f->s));
    walk_projects(f->s, false, &got);
    assert_int_equal(got.n, 0);
    assert_int_equal(table_projects(f->s), 3);
    assert_int_equal(store_clock_next(f->s, &next), 0);
    assert_int_equal(next, 1000);

    strv_clear(&got);
    strv_clear(&projects);
    strv_clear(&procedures);
}

/* The state of a project's row as the table has it (not the cache). */
static pm_state_t
table_state_of(store_t *s, const char *project)
{
    char *q = xasprintf("SELECT state FROM procedures WHERE project = '%s'", project);
    char *v = sql_text(s, q);
    pm_state_t st;

    assert_non_null(v);
    assert_int_equal(pm_state_parse(v, &st), 0);
    free(v);
    free(q);
    return st;
}

/* Projects P-<from> to P-<to - 1> as the store gives them: all in state `want`. */
static void
assert_states(store_t *s, int from, int to, pm_state_t want)
{
    char id[32];

    for (int i = from; i < to; i++) {
        snprintf(id, sizeof(id), "P-%05d", i);
        assert_int_equal(proc_state_of(s, id), want);
    }
}

/*
 * A full cache lets go of projects not used lately, one at a time, and keeps what it holds:
 * after reading far more projects than it takes, held rows are still held and unwritten, a
 * project in use and the projects read last are still cached (a change behind the cache's
 * back does not show), and some read once long ago are read again from the table. Letting go
 * inside a transaction that holds rows, across the rehash that clears the slots let go,
 * leaves its rollback able to give every held row back: the ones it changed and the ones it
 * only wrote back.
 */
static void
test_full_cache_lets_the_unused_go(void **state)
{
    /* Projects read before the transaction, and twice as many in it: each more than a cache
     * of 8,192 (enough to let go of a quarter of its slots, which lays it out afresh). */
    enum { FIRST = 10000, MORE = 15000, N = FIRST + 2 * MORE, K = 300 };
    fix_t *f = *state;
    char id[32];
    int reread = 0;
    store_proc_t row = {.code = "EIA", .dept = "EEB", .state = PM_STATE_APPROVED, .deadline = 10};

    store_set_cache_bytes(f->s, 8192 * store_cache_cost(f->s, "P-00000", &row, 1));

    assert_int_equal(store_begin(f->s), 0);
    put_proc_of(f->s, "U", PM_STATE_READY); /* not cached: written through */
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof(id), "P-%05d", i);
        put_proc_of(f->s, id, PM_STATE_READY);
    }
    for (int i = 0; i < 2 * K; i++) {
        snprintf(id, sizeof(id), "H-%03d", i);
        put_proc_of(f->s, id, PM_STATE_READY);
    }
    assert_int_equal(store_commit(f->s), 0);

    for (int i = 0; i < FIRST; i++) {
        snprintf(id, sizeof(id), "P-%05d", i);
        assert_int_equal(proc_state_of(f->s, id), PM_STATE_READY);
        if (i % 100 == 0)
            assert_int_equal(proc_state_of(f->s, "U"), PM_STATE_READY);
    }
    /* Cached among them, where many a slot is taken or was let go: read, then changed, and
     * held past the commit. */
    assert_int_equal(store_begin(f->s), 0);
    for (int i = 0; i < 2 * K; i++) {
        snprintf(id, sizeof(id), "H-%03d", i);
        assert_int_equal(proc_state_of(f->s, id), PM_STATE_READY);
        put_proc_of(f->s, id, PM_STATE_ACCEPTED);
    }
    assert_int_equal(store_commit(f->s), 0);
    assert_true(store_holding(f->s));
    assert_int_equal(table_state_of(f->s, "H-000"), PM_STATE_READY);
    assert_int_equal(proc_state_of(f->s, "H-000"), PM_STATE_ACCEPTED);

    sql(f->s, "UPDATE procedures SET state = 'rejected' WHERE project LIKE 'P-%' OR project = 'U'");
    assert_int_equal(proc_state_of(f->s, "U"), PM_STATE_READY);
    assert_states(f->s, FIRST - 100, FIRST, PM_STATE_READY);
    for (int i = 0; i < 2000; i++) {
        snprintf(id, sizeof(id), "P-%05d", i);
        reread += proc_state_of(f->s, id) == PM_STATE_REJECTED;
    }
    assert_true(reread > 0);

    /* A transaction changes the first K held rows and reads enough projects to let go of
     * every one it did not use; it writes every held row back (the others it never read) and
     * reads as many again. */
    assert_int_equal(store_begin(f->s), 0);
    for (int i = 0; i < K; i++) {
        snprintf(id, sizeof(id), "H-%03d", i);
        put_proc_of(f->s, id, PM_STATE_WITHDRAWN);
    }
    assert_states(f->s, FIRST, FIRST + MORE, PM_STATE_REJECTED);
    assert_int_equal(store_sync(f->s), 0);
    for (int i = 0; i < 2 * K; i++) {
        snprintf(id, sizeof(id), "H-%03d", i);
        assert_int_equal(table_state_of(f->s, id), i < K ? PM_STATE_WITHDRAWN : PM_STATE_ACCEPTED);
    }
    assert_states(f->s, FIRST + MORE, N, PM_STATE_REJECTED);
    assert_int_equal(store_rollback(f->s), 0);
    assert_true(store_holding(f->s));
    for (int i = 0; i < 2 * K; i++) {
        snprintf(id, sizeof(id), "H-%03d", i);
        assert_int_equal(table_state_of(f->s, id), PM_STATE_READY);
        assert_int_equal(proc_state_of(f->s, id), PM_STATE_ACCEPTED);
    }
    assert_int_equal(store_sync(f->s), 0);
    assert_false(store_holding(f->s));
    for (int i = 0; i < 2 * K; i++) {
        snprintf(id, sizeof(id), "H-%03d", i);
        assert_int_equal(table_state_of(f->s, id), PM_STATE_ACCEPTED);
    }
}

/* Project `id`'s rows as the store gives them equal what `fresh`, a store that cached nothing
 * yet, reads from the tables. */
static void
assert_rows_as_the_tables(store_t *s, store_t *fresh, const char *id, size_t want)
{
    store_proc_t *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;

    assert_int_equal(store_procs_load(s, id, &a, &na), 0);
    assert_int_equal(store_procs_load(fresh, id, &b, &nb), 0);
    assert_int_equal(na, want);
    assert_int_equal(nb, want);
    for (size_t k = 0; k < na; k++) {
        assert_string_equal(a[k].code, b[k].code);
        assert_string_equal(a[k].dept, b[k].dept);
        assert_int_equal(a[k].state, b[k].state);
        assert_int_equal(a[k].deadline, b[k].deadline);
        assert_int_equal(a[k].updated_seq, b[k].updated_seq);
        assert_int_equal(a[k].accepted_ms, b[k].accepted_ms);
        assert_int_equal(a[k].colour, b[k].colour);
        assert_int_equal(a[k].commit, b[k].commit);
        assert_int_equal(a[k].next_ms, b[k].next_ms);
        assert_int_equal(a[k].cert == NULL, b[k].cert == NULL);
        if (a[k].cert != NULL)
            assert_string_equal(a[k].cert, b[k].cert);
        assert_int_equal(a[k].missing == NULL, b[k].missing == NULL);
        if (a[k].missing != NULL)
            assert_string_equal(a[k].missing, b[k].missing);
    }
    store_procs_free(a, na);
    store_procs_free(b, nb);
}

/* Every seventh of projects Q-00000 to Q-<n - 1> as assert_rows_as_the_tables (all of them
 * would take the unit's time limit under the sanitizers). */
static void
assert_sample_as_the_tables(store_t *s, const char *path, int n, size_t rows)
{
    char id[32], *err = NULL;
    store_t *fresh = store_open(path, &err);

    assert_non_null(fresh);
    for (int i = 0; i < n; i += 7) {
        snprintf(id, sizeof(id), "Q-%05d", i);
        assert_rows_as_the_tables(s, fresh, id, rows);
    }
    store_close(&fresh);
}

/*
 * Every project in progress stays cached with the default budget, far past the 8,192 a cache
 * of fixed size held: 20,000 projects of three rows created in one transaction, changed in
 * the next, changed again and rolled back in a third, are all given back from memory (a change
 * of the tables behind the cache's back does not show), and their rows equal what a fresh
 * reader of the tables finds after a sync, and again after a reopen.
 */
static void
test_every_project_stays_cached(void **state)
{
    enum { N = 20000, R = 3 };
    fix_t *f = *state;
    char id[32], cert[32], *err = NULL;

    assert_int_equal(store_begin(f->s), 0);
    for (int i = 0; i < N; i++) {
        store_proc_t rows[R] = {
            {.code = "EIA", .dept = "EEB", .state = PM_STATE_READY, .deadline = 20000 + i},
            {.code = "WATER", .dept = "WRB", .state = PM_STATE_BLOCKED, .missing = "图纸"},
            {.code = "FIRE", .dept = "FRB", .state = PM_STATE_BLOCKED, .next_ms = i},
        };
        snprintf(id, sizeof(id), "Q-%05d", i);
        assert_int_equal(store_procs_create(f->s, id, rows, R), 0);
    }
    assert_int_equal(store_commit(f->s), 0);

    assert_int_equal(store_begin(f->s), 0);
    for (int i = 0; i < N; i++) {
        store_proc_t p = {.code = "EIA",
                          .dept = "EEB",
                          .state = PM_STATE_APPROVED,
                          .cert = cert,
                          .updated_seq = (uint64_t)i + 1};
        snprintf(id, sizeof(id), "Q-%05d", i);
        snprintf(cert, sizeof(cert), "CERT-%d", i);
        assert_int_equal(store_proc_put(f->s, id, &p, 0), 0);
    }
    assert_int_equal(store_commit(f->s), 0);
    assert_true(store_holding(f->s));

    assert_int_equal(store_begin(f->s), 0); /* begins with rows held: one that undoes */
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof(id), "Q-%05d", i);
        put_proc_of(f->s, id, PM_STATE_REJECTED);
    }
    assert_int_equal(store_rollback(f->s), 0);
    assert_int_equal(store_sync(f->s), 0);
    assert_sample_as_the_tables(f->s, f->path, N, R);

    /* The rollback let go of those it did not hold (they are read again): read, each is cached,
     * and rows changed behind the cache's back are not read again. */
    for (int i = 0; i < N; i++) {
        store_proc_t *procs = NULL;
        size_t n = 0;
        snprintf(id, sizeof(id), "Q-%05d", i);
        assert_int_equal(store_procs_load(f->s, id, &procs, &n), 0);
        store_procs_free(procs, n);
    }
    sql(f->s, "UPDATE procedures SET deadline = 1");
    for (int i = 0; i < N; i++) {
        store_proc_t *procs = NULL;
        size_t n = 0;
        snprintf(id, sizeof(id), "Q-%05d", i);
        assert_int_equal(store_procs_load(f->s, id, &procs, &n), 0);
        assert_int_equal(n, R);
        assert_int_equal(procs[0].state, PM_STATE_APPROVED);
        for (size_t k = 0; k < n; k++)
            assert_int_equal(procs[k].deadline, 0);
        store_procs_free(procs, n);
    }
    sql(f->s, "UPDATE procedures SET deadline = 0"); /* as it was */

    store_close(&f->s);
    f->s = store_open(f->path, &err);
    assert_non_null(f->s);
    assert_int_equal(store_replay_from(f->s), 0);
    assert_sample_as_the_tables(f->s, f->path, N, R);
}

/*
 * The cache keeps a project's rows packed: a project of twelve procedures, half of them under
 * way (times, days, a colour), counts at most PACKED_MAX bytes, entry and index included,
 * where its rows alone took 12 x sizeof(store_proc_t) (about 1,440 bytes) plus their
 * strings. Rows come back exactly as given, extreme values and empty strings included.
 */
static void
test_packed_rows_are_small_and_exact(void **state)
{
    enum { N = 12, PACKED_MAX = 640 };
    static const char *const codes[N] = {"LAND_PREREVIEW",
                                         "PROJECT_APPROVAL",
                                         "PLANNING_PERMIT",
                                         "EIA",
                                         "WATER",
                                         "FIRE",
                                         "CONSTRUCTION",
                                         "ENERGY",
                                         "SOIL",
                                         "DRAWING",
                                         "CIVIL_AIR",
                                         "ACCEPT"};
    fix_t *f = *state;
    store_proc_t rows[N], *back = NULL;
    size_t n = 0, cost;

    for (int i = 0; i < N; i++)
        rows[i] = (store_proc_t){.code = codes[i],
                                 .dept = "NRB",
                                 .state = i < 6 ? PM_STATE_ACCEPTED : PM_STATE_BLOCKED,
                                 .updated_seq = 123456 + (uint64_t)i,
                                 .updated_ms = 1765000000000 + i,
                                 .accepted_ms = i < 6 ? 1765000000000 : 0,
                                 .deadline = i < 6 ? 20450 : 0,
                                 .statutory = i < 6 ? 20460 : 0,
                                 .colour = i < 6 ? PM_COLOUR_GREEN : PM_COLOUR_NONE,
                                 .next_ms = i < 6 ? 1767000000000 : 0};
    cost = store_cache_cost(f->s, "BENCH-0000012345", rows, N);
    print_message("a project of %d rows: %zu bytes in the cache\n", N, cost);
    assert_true(cost <= PACKED_MAX);

    rows[0] = (store_proc_t){.code = "EIA",
                             .dept = "",
                             .state = PM_STATE_WITHDRAWN,
                             .deficient = true,
                             .cert = "",
                             .updated_seq = UINT64_MAX,
                             .updated_ms = INT64_MIN,
                             .accepted_ms = INT64_MAX,
                             .extended = INT32_MIN,
                             .deadline = INT32_MAX,
                             .statutory = -1,
                             .provisional = true,
                             .paused_on = 1,
                             .colour = PM_COLOUR_RED,
                             .commit = STORE_COMMIT_BREACHED,
                             .commit_due = -20000,
                             .missing = "图纸；消防设计",
                             .next_ms = -1};
    assert_int_equal(store_begin(f->s), 0);
    assert_int_equal(store_procs_create(f->s, "X", rows, N), 0);
    assert_int_equal(store_commit(f->s), 0);
    for (int round = 0; round < 2; round++) {
        if (round == 1) { /* a row in the middle replaced, the others as they were */
            rows[5].state = PM_STATE_APPROVED;
            rows[5].cert = "许可证-0005";
            rows[5].updated_seq = 1ULL << 40;
            assert_int_equal(store_begin(f->s), 0);
            assert_int_equal(store_proc_put(f->s, "X", &rows[5], 5), 0);
            assert_int_equal(store_commit(f->s), 0);
            store_procs_free(back, n);
        }
        assert_int_equal(store_procs_load(f->s, "X", &back, &n), 0); /* from the cache */
        assert_int_equal(n, N);
        for (int i = 0; i < N; i++) {
            store_proc_t *a = &rows[i], *b = &back[i];
            assert_string_equal(b->code, a->code);
            assert_true(a->dept == NULL ? b->dept == NULL : strcmp(a->dept, b->dept) == 0);
            assert_true(a->state == b->state && a->deficient == b->deficient);
            assert_true(a->cert == NULL ? b->cert == NULL : strcmp(a->cert, b->cert) == 0);
            assert_true(a->updated_seq == b->updated_seq && a->updated_ms == b->updated_ms);
            assert_true(a->accepted_ms == b->accepted_ms && a->extended == b->extended);
            assert_true(a->deadline == b->deadline && a->statutory == b->statutory);
            assert_true(a->provisional == b->provisional && a->paused_on == b->paused_on);
            assert_true(a->colour == b->colour && a->commit == b->commit);
            assert_true(a->commit_due == b->commit_due && a->next_ms == b->next_ms);
            assert_true(a->missing == NULL ? b->missing == NULL
                                           : strcmp(a->missing, b->missing) == 0);
        }
    }
    store_procs_free(back, n);

    /* The project's own fields, packed with its rows once read. */
    {
        pm_project_t p = {.id = "X",
                          .name = "厂房",
                          .region = "330100",
                          .company = "甲公司",
                          .template_name = "industrial",
                          .template_version = 3,
                          .start_half = 2,
                          .year = 2027};
        pm_project_t got[2] = {{0}};
        strv_push(&p.not_required, "EIA");
        strv_push(&p.not_required, "FIRE");
        assert_int_equal(store_begin(f->s), 0);
        assert_int_equal(store_project_put(f->s, &p, 1), 0);
        assert_int_equal(store_commit(f->s), 0);
        for (int k = 0; k < 2; k++) /* from the table, then from the cache */
            assert_int_equal(store_project_get(f->s, "X", &got[k]), 1);
        assert_string_equal(got[1].id, "X");
        assert_string_equal(got[1].name, "厂房");
        assert_string_equal(got[1].company, "甲公司");
        assert_string_equal(got[1].region, got[0].region);
        assert_string_equal(got[1].template_name, got[0].template_name);
        assert_int_equal(got[1].template_version, got[0].template_version);
        assert_int_equal(got[1].start_half, got[0].start_half);
        assert_int_equal(got[1].year, got[0].year);
        assert_int_equal(got[1].not_required.n, got[0].not_required.n);
        for (size_t i = 0; i < got[0].not_required.n; i++)
            assert_string_equal(got[1].not_required.v[i], got[0].not_required.v[i]);
        assert_true(got[1].industry == NULL ? got[0].industry == NULL
                                            : strcmp(got[1].industry, got[0].industry) == 0);
        pm_project_clear(&got[0]);
        pm_project_clear(&got[1]);
        strv_clear(&p.not_required);
    }
}

/*
 * A cache at its budget that goes over it by a row packed longer (a certificate number given)
 * stays as it is: the next project to come makes room. Only a transaction that took it past
 * the budget with nothing it could let go empties it at its commit.
 */
static void
test_cache_at_its_budget_stays(void **state)
{
    enum { N = 200 };
    fix_t *f = *state;
    store_proc_t row = {.code = "EIA", .dept = "EEB", .state = PM_STATE_READY, .deadline = 10};
    char id[32], cert[256];

    store_set_cache_bytes(f->s, N * store_cache_cost(f->s, "B-000", &row, 1));
    assert_int_equal(store_begin(f->s), 0);
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof(id), "B-%03d", i);
        put_proc_of(f->s, id, PM_STATE_READY); /* not cached: written through */
    }
    assert_int_equal(store_commit(f->s), 0);
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof(id), "B-%03d", i);
        assert_int_equal(proc_state_of(f->s, id), PM_STATE_READY); /* all of them cached */
    }

    memset(cert, 'C', sizeof(cert) - 1);
    cert[sizeof(cert) - 1] = '\0';
    row.cert = cert;
    assert_int_equal(store_begin(f->s), 0);
    assert_int_equal(store_proc_put(f->s, "B-000", &row, 0), 0);
    assert_int_equal(store_commit(f->s), 0);
    assert_int_equal(store_sync(f->s), 0);

    sql(f->s, "UPDATE procedures SET state = 'rejected'");
    for (int i = 1; i < N; i++) {
        snprintf(id, sizeof(id), "B-%03d", i);
        assert_int_equal(proc_state_of(f->s, id), PM_STATE_READY); /* still cached */
    }
}

static void
test_open_failure_says_why(void **state)
{
    char *err = NULL;
    store_t *s = store_open("/nonexistent-dir/state.db", &err);
    (void)state;

    assert_null(s);
    assert_non_null(err);
    assert_non_null(strstr(err, "/nonexistent-dir/state.db"));
    free(err);
}

/* A PostgreSQL URI is told apart from a sqlite path, and a password never reaches a log. */
static void
test_targets_and_redaction(void **state)
{
    static const struct {
        const char *target, *shown;
    } cases[] = {
        {"permit.db", "permit.db"},
        {"/var/lib/permit/postgresql:x.db", "/var/lib/permit/postgresql:x.db"},
        {"postgresql://permit@db1/permit", "postgresql://permit@db1/permit"},
        {"postgresql://permit:s3cret@db1:5432/permit", "postgresql://permit:***@db1:5432/permit"},
        {"postgres://u:p%40ss@h/d?sslmode=require", "postgres://u:***@h/d?sslmode=require"},
        {"postgresql:///permit?host=/run/pg&password=s3cret&user=permit",
         "postgresql:///permit?host=/run/pg&password=***&user=permit"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *shown = store_target_redacted(cases[i].target);
        assert_string_equal(shown, cases[i].shown);
        assert_int_equal(store_target_is_pg(cases[i].target),
                         strncmp(cases[i].target, "postgres", 8) == 0);
        free(shown);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sequence_and_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_and_savepoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_entries_paging_and_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_entries_byte_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_calendar_read_skips_the_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_savepoints_stay_in_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_durable_across_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_time_zone_recorded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ids_are_the_senders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_layout_is_migrated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_disk_undoes_the_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_held_row_survives_a_failed_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_held_rows_beyond_the_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_cache_lets_the_unused_go, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_project_stays_cached, setup, teardown),
        cmocka_unit_test_setup_teardown(test_packed_rows_are_small_and_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_at_its_budget_stays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_held_rows_go_out_oldest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_held_rows_fill_half_the_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reads_write_only_what_they_may_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_writes_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_row_codes_are_the_stores, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mark_follows_the_held_rows, setup, teardown),
        cmocka_unit_test(test_open_failure_says_why),
        cmocka_unit_test(test_targets_and_redaction),
    };
    store_single_threaded(); /* as permitd: before any store is opened */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
