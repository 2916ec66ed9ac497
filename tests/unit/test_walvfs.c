/*
 * Unit tests of walvfs, the shim that gathers WAL writes: what a connection through it
 * commits is what a plain connection reads, in transactions far larger than its buffer and
 * than the page cache (frames read back from the WAL while it is being written); and a write
 * that fails when the buffer goes out fails the commit, leaving the database as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "sqlfix.h"
#include "walvfs.h"

typedef struct fix {
    char dir[64];
    char *path;
    sqlite3 *db; /* through the shim */
} fix_t;

static int
setup(void **state)
{
    fix_t *f = xcalloc(1, sizeof(*f));

    assert_int_equal(fixture_tmpdir(f->dir, sizeof(f->dir), "walvfs"), 0);
    f->path = xasprintf("%s/w.db", f->dir);
    assert_non_null(walvfs_name());
    assert_int_equal(
        sqlite3_open_v2(f->path, &f->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, walvfs_name()),
        SQLITE_OK);
    /* A small page cache: a large transaction spills frames to the WAL and reads them back. */
    sqlfix_exec(f->db,
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=50;"
                " PRAGMA wal_autocheckpoint=0; CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB)");
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fix_t *f = *state;

    sqlite3_close(f->db);
    assert_int_equal(fixture_rmtree(f->dir), 0);
    free(f->path);
    free(f);
    return 0;
}

/* What the shim's connection commits, a plain one reads, transaction after transaction. */
static void
test_commits_reach_the_file(void **state)
{
    fix_t *f = *state;
    sqlite3 *plain = NULL;

    assert_int_equal(sqlite3_open_v2(f->path, &plain, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    for (int round = 1; round <= 3; round++) {
        /* ~2.4 MB a round: many times the buffer and the page cache. */
        sqlfix_exec(f->db, "BEGIN; WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c"
                           " WHERE x < 8000) INSERT INTO t(v) SELECT randomblob(300) FROM c;"
                           " UPDATE t SET v = zeroblob(10) WHERE k % 7 = 0; COMMIT");
        assert_int_equal(sqlfix_int(plain, "SELECT COUNT(*) FROM t"), round * 8000);
        assert_int_equal(sqlfix_int(plain, "SELECT COUNT(*) FROM t WHERE length(v) = 10"),
                         round * 8000 / 7);
        /* Small commits, one after the other: each is whole for the reader at once. */
        for (int i = 0; i < 50; i++)
            sqlfix_exec(f->db, "INSERT INTO t(v) VALUES (x'00')");
        assert_int_equal(sqlfix_int(plain, "SELECT COUNT(*) FROM t WHERE v = x'00'"), 50);
        sqlfix_exec(f->db, "DELETE FROM t WHERE v = x'00'");
    }
    assert_int_equal(sqlite3_wal_checkpoint_v2(f->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(plain);
    /* Closed and opened again without the shim: the file is whole. */
    sqlite3_close(f->db);
    assert_int_equal(sqlite3_open_v2(f->path, &f->db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlfix_int(f->db, "SELECT COUNT(*) FROM t"), 24000);
    assert_int_equal(sqlfix_int(f->db, "SELECT integrity_check = 'ok' FROM pragma_integrity_check"),
                     1);
}

/*
 * A write that fails when the buffer goes out (here: past RLIMIT_FSIZE, so write(2) says
 * EFBIG) fails the COMMIT, and a plain connection opened afterwards sees none of it.
 */
static void
test_failed_write_fails_the_commit(void **state)
{
    fix_t *f = *state;
    struct rlimit was, small;
    struct stat st;
    sqlite3 *plain = NULL;
    int rc;

    sqlfix_exec(f->db, "INSERT INTO t(v) VALUES (randomblob(100))");
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &was), 0);
    signal(SIGXFSZ, SIG_IGN);
    small = was;
    small.rlim_cur = 512 * 1024; /* the WAL stops growing here */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    rc = sqlite3_exec(f->db,
                      "BEGIN; WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c"
                      " WHERE x < 4000) INSERT INTO t(v) SELECT randomblob(300) FROM c; COMMIT",
                      NULL, NULL, NULL);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &was), 0);
    signal(SIGXFSZ, SIG_DFL);
    assert_int_not_equal(rc, SQLITE_OK);
    if (!sqlite3_get_autocommit(f->db))
        sqlfix_exec(f->db, "ROLLBACK");
    assert_int_equal(sqlite3_open_v2(f->path, &plain, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlfix_int(plain, "SELECT COUNT(*) FROM t"), 1);
    sqlite3_close(plain);
    /* And the connection goes on: the next commit is whole. */
    sqlfix_exec(f->db, "INSERT INTO t(v) VALUES (randomblob(100))");
    assert_int_equal(sqlfix_int(f->db, "SELECT COUNT(*) FROM t"), 2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commits_reach_the_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_write_fails_the_commit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
