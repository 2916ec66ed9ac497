/*
 * Unit tests of the power-loss VFS (tests/faults/crashvfs.c, test builds only): writes wait
 * in memory until synced and reads see them meanwhile; a simulated power loss keeps what was
 * synced and drops or tears what was not; the same seed gives the same files; and through
 * sqlite, a WAL database keeps every transaction committed with synchronous=FULL while those
 * committed with synchronous=OFF may vanish, the database passing integrity_check either way;
 * a crash point (in a child process) keeps unsynced writes in kill mode, not in powerloss mode.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crashpoint.h"
#include "crashvfs.h"
#include "fixture.h"
#include "sqlfix.h"

#define PAGE 4096

typedef struct fix {
    char dir[64];
    char *path;
} fix_t;

static int
setup(void **state)
{
    fix_t *f = xcalloc(1, sizeof(*f));

    assert_int_equal(crashvfs_register(false), SQLITE_OK);
    assert_int_equal(fixture_tmpdir(f->dir, sizeof(f->dir), "crashvfs"), 0);
    f->path = xasprintf("%s/file.db", f->dir);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fix_t *f = *state;

    crashvfs_revive();
    assert_int_equal(fixture_rmtree(f->dir), 0);
    free(f->path);
    free(f);
    return 0;
}

/* The whole real file, as the kernel has it (not through the VFS). */
static unsigned char *
slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    unsigned char *buf;
    long n;

    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    n = ftell(fp);
    assert_true(n >= 0);
    rewind(fp);
    buf = xmalloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

static sqlite3_file *
vfs_open(const char *path)
{
    sqlite3_vfs *vfs = sqlite3_vfs_find("crash");
    sqlite3_file *file;
    int out = 0;

    assert_non_null(vfs);
    file = xcalloc(1, (size_t)vfs->szOsFile);
    assert_int_equal(vfs->xOpen(vfs, path, file,
                                SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE,
                                &out),
                     SQLITE_OK);
    return file;
}

static void
vfs_close(sqlite3_file *file)
{
    assert_int_equal(file->pMethods->xClose(file), SQLITE_OK);
    free(file);
}

static void
write_fill(sqlite3_file *file, int c, int len, sqlite3_int64 off)
{
    unsigned char *buf = xmalloc((size_t)len);

    memset(buf, c, (size_t)len);
    assert_int_equal(file->pMethods->xWrite(file, buf, len, off), SQLITE_OK);
    free(buf);
}

/* Reads, sizes and truncates see the writes not yet synced; the real file does not. */
static void
test_reads_see_unsynced_writes(void **state)
{
    fix_t *f = *state;
    sqlite3_file *file = vfs_open(f->path);
    unsigned char buf[64], *real;
    sqlite3_int64 size;
    size_t len;

    write_fill(file, 'A', PAGE, 0);
    assert_int_equal(file->pMethods->xSync(file, SQLITE_SYNC_FULL), SQLITE_OK);
    assert_int_equal(crashvfs_pending_bytes(), 0);

    write_fill(file, 'B', PAGE, PAGE);
    write_fill(file, 'C', 100, 1000);
    assert_int_equal(crashvfs_pending_bytes(), PAGE + 100);
    assert_int_equal(file->pMethods->xFileSize(file, &size), SQLITE_OK);
    assert_int_equal(size, 2 * PAGE);
    assert_int_equal(file->pMethods->xRead(file, buf, 32, 990), SQLITE_OK);
    assert_memory_equal(buf, "AAAAAAAAAACCCCCCCCCCCCCCCCCCCCCC", 32);
    assert_int_equal(file->pMethods->xRead(file, buf, 8, PAGE - 4), SQLITE_OK);
    assert_memory_equal(buf, "AAAABBBB", 8);

    /* Beyond a truncate: zeros and a short read, as sqlite expects of a file's end. */
    assert_int_equal(file->pMethods->xTruncate(file, PAGE + 10), SQLITE_OK);
    assert_int_equal(file->pMethods->xFileSize(file, &size), SQLITE_OK);
    assert_int_equal(size, PAGE + 10);
    memset(buf, 'x', sizeof(buf));
    assert_int_equal(file->pMethods->xRead(file, buf, 20, PAGE), SQLITE_IOERR_SHORT_READ);
    assert_memory_equal(buf, "BBBBBBBBBB\0\0\0\0\0\0\0\0\0\0", 20);

    /* Nothing of it reached the real file yet. */
    real = slurp(f->path, &len);
    assert_int_equal(len, PAGE);
    assert_int_equal(real[1000], 'A');
    free(real);

    /* The sync writes it all out, in order. */
    assert_int_equal(file->pMethods->xSync(file, SQLITE_SYNC_FULL), SQLITE_OK);
    assert_int_equal(crashvfs_pending_bytes(), 0);
    real = slurp(f->path, &len);
    assert_int_equal(len, PAGE + 10);
    assert_int_equal(real[999], 'A');
    assert_int_equal(real[1000], 'C');
    assert_int_equal(real[PAGE + 9], 'B');
    free(real);
    vfs_close(file);
}

/*
 * After a synced first page, many unsynced writes crossing sector boundaries, then a power
 * loss with this seed: the real file's bytes afterwards.
 */
static unsigned char *
lose_with_seed(const char *path, uint64_t seed, crashvfs_loss_t *loss, size_t *len)
{
    sqlite3_file *file;

    unlink(path);
    file = vfs_open(path);
    write_fill(file, 'S', PAGE, 0);
    assert_int_equal(file->pMethods->xSync(file, SQLITE_SYNC_FULL), SQLITE_OK);
    for (int i = 0; i < 60; i++)
        write_fill(file, 'a' + i % 26, 1500, PAGE + (sqlite3_int64)i * 1500);
    crashvfs_powerloss(seed, loss);
    vfs_close(file); /* after the loss: nothing more reaches the file */
    crashvfs_revive();
    return slurp(path, len);
}

/* Synced bytes survive; unsynced ones are kept, dropped or torn; the seed decides. */
static void
test_powerloss_keeps_synced_same_seed_same_result(void **state)
{
    fix_t *f = *state;
    crashvfs_loss_t l1, l2, l3;
    unsigned char *a, *b, *c;
    size_t la, lb, lc;
    bool partial = false;

    a = lose_with_seed(f->path, 42, &l1, &la);
    b = lose_with_seed(f->path, 42, &l2, &lb);
    c = lose_with_seed(f->path, 43, &l3, &lc);

    assert_int_equal(l1.applied + l1.dropped + l1.torn, 60);
    assert_true(l1.applied > 0 && l1.dropped > 0 && l1.torn > 0);
    /* The synced page is whole. */
    assert_true(la >= PAGE);
    for (size_t i = 0; i < PAGE; i++)
        assert_int_equal(a[i], 'S');
    /* A torn write leaves a prefix of whole sectors: somewhere a write's data stops at a
     * 512-byte boundary inside it, followed by a hole (zeros) or by the end of the file. */
    for (int i = 0; i < 60 && !partial; i++) {
        size_t start = PAGE + (size_t)i * 1500, end = start + 1500;
        for (size_t cut = (start / 512 + 1) * 512; cut < end && cut < la && !partial; cut += 512)
            partial = a[cut - 1] == 'a' + i % 26 && a[cut] != 'a' + i % 26 &&
                      (cut == start || a[start] == 'a' + i % 26);
    }
    assert_true(partial);

    /* Same seed, same files and the same fates; another seed, another outcome. */
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    assert_int_equal(l1.applied, l2.applied);
    assert_int_equal(l1.dropped, l2.dropped);
    assert_int_equal(l1.torn, l2.torn);
    assert_true(la != lc || memcmp(a, c, la) != 0);
    free(a);
    free(b);
    free(c);
}

static sqlite3 *
db_open(const char *path, const char *vfs)
{
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs),
                     SQLITE_OK);
    return db;
}

static void
insert_commits(sqlite3 *db, int from, int commits)
{
    char sql[160];

    for (int i = 0; i < commits; i++) {
        snprintf(sql, sizeof(sql),
                 "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < 9) "
                 "INSERT INTO t(x, pad) SELECT %d + i, randomblob(300) FROM c",
                 from + i * 10);
        sqlfix_exec(db, sql);
    }
}

/* After the loss: reopened on the plain unix VFS, integrity ok; the number of rows left. */
static int64_t
rows_after_recovery(const char *path)
{
    sqlite3 *db = db_open(path, "unix");
    sqlite3_stmt *st = NULL;
    int64_t n;

    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    n = sqlfix_int(db, "SELECT count(*) FROM t");
    /* The rows left are always a whole prefix of the commits: no transaction half there. */
    assert_int_equal(sqlfix_int(db, "SELECT COALESCE(MAX(x), -1) + 1 FROM t"), n);
    assert_int_equal(n % 10, 0);
    sqlite3_close(db);
    return n;
}

/*
 * Through sqlite: 100 rows committed with synchronous=FULL, then 100 with synchronous=OFF
 * (never synced), then a power loss. Over 20 seeds: every FULL row survives each time, the
 * database is sound each time, and the OFF rows are lost at least once.
 */
static void
test_sqlite_full_survives_off_may_not(void **state)
{
    fix_t *f = *state;
    int lost_some = 0;

    for (uint64_t seed = 1; seed <= 20; seed++) {
        char *db_path = xasprintf("%s/s%llu.db", f->dir, (unsigned long long)seed);
        crashvfs_loss_t loss;
        sqlite3 *db = db_open(db_path, "crash");
        int64_t n;

        sqlfix_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                        "PRAGMA wal_autocheckpoint=0; CREATE TABLE t(x INTEGER PRIMARY KEY, pad)");
        insert_commits(db, 0, 10);
        assert_int_equal(crashvfs_pending_bytes(), 0);
        sqlfix_exec(db, "PRAGMA synchronous=OFF");
        insert_commits(db, 100, 10);
        assert_true(crashvfs_pending_bytes() > 0);
        assert_int_equal(sqlfix_int(db, "SELECT count(*) FROM t"), 200); /* before the loss */
        crashvfs_powerloss(seed, &loss);
        sqlite3_close(db); /* as if the process were gone: no checkpoint reaches the files */
        crashvfs_revive();

        n = rows_after_recovery(db_path);
        assert_true(n >= 100);
        assert_true(n <= 200);
        lost_some += n < 200;
        free(db_path);
    }
    assert_true(lost_some > 0);
}

/* A transaction under way (FULL, not committed) is lost whole; the committed ones are not. */
static void
test_sqlite_uncommitted_lost_whole(void **state)
{
    fix_t *f = *state;

    for (uint64_t seed = 100; seed < 110; seed++) {
        char *db_path = xasprintf("%s/u%llu.db", f->dir, (unsigned long long)seed);
        sqlite3 *db = db_open(db_path, "crash");

        sqlfix_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=10; "
                        "CREATE TABLE t(x INTEGER PRIMARY KEY, pad)");
        insert_commits(db, 0, 5);
        sqlfix_exec(db, "BEGIN");
        insert_commits(db, 50, 20); /* a small cache spills pages to the WAL before COMMIT */
        crashvfs_powerloss(seed, NULL);
        sqlite3_close(db);
        crashvfs_revive();
        assert_int_equal(rows_after_recovery(db_path), 50);
        free(db_path);
    }
}

/*
 * A crash point in a child process: the third write of the database file kills it. In kill
 * mode the first two (never synced) reach the file, as the kernel keeps them; the third does
 * not. In powerloss mode the seed decides, the same way twice.
 */
static unsigned char *
crash_child(const char *path, const char *mode, size_t *len)
{
    int status = 0;
    pid_t pid;

    unlink(path);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sqlite3_file *file;
        setenv("PERMIT_CRASH", "vfs_write:3", 1);
        setenv("PERMIT_CRASH_MODE", mode, 1);
        setenv("PERMIT_CRASH_SEED", "1", 1);
        setenv("PERMIT_TEST_VFS", "crash", 1);
        if (crashpoint_init() < 0 || crashvfs_init() < 0)
            _exit(3);
        file = vfs_open(path);
        write_fill(file, 'A', 3 * 512, 0);
        write_fill(file, 'B', 3 * 512, 3 * 512);
        write_fill(file, 'C', 512, 6 * 512); /* dies here */
        _exit(4);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
    return slurp(path, len);
}

static void
test_crashpoint_kill_keeps_powerloss_loses(void **state)
{
    fix_t *f = *state;
    unsigned char *a, *b;
    size_t la, lb;

    a = crash_child(f->path, "kill", &la);
    assert_int_equal(la, 6 * 512);
    for (size_t i = 0; i < la; i++)
        assert_int_equal(a[i], i < 3 * 512 ? 'A' : 'B');
    free(a);

    a = crash_child(f->path, "powerloss", &la);
    b = crash_child(f->path, "powerloss", &lb);
    assert_true(la <= 6 * 512);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    for (size_t i = 0; i < la; i++)
        assert_true(a[i] == (i < 3 * 512 ? 'A' : 'B') || a[i] == 0);
    /* Seed 1 drops one of the two writes and tears the other: not what a kill leaves. */
    assert_true(la < 6 * 512 || memchr(a, 0, la) != NULL);
    free(a);
    free(b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reads_see_unsynced_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_powerloss_keeps_synced_same_seed_same_result, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sqlite_full_survives_off_may_not, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sqlite_uncommitted_lost_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crashpoint_kill_keeps_powerloss_loses, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
