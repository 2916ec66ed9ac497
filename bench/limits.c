/*
 * limits: see limits.h.
 */
#include "limits.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/* A row about the size of a log entry's body plus its indexed columns. */
#define ROW_BYTES 200

static int
exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        log_warnx("limits: %s: %s", sql, err != NULL ? err : "?");
        sqlite3_free(err);
        return -1;
    }
    return 0;
}

/*
 * Insert rows `per_txn` at a time for about secs seconds; rows/s in *rate. The table has an
 * index like the log's, so the figure is comparable to what the broker's append does.
 */
static int
sqlite_rate(const char *path, int per_txn, double secs, double *rate)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *ins = NULL;
    char blob[ROW_BYTES];
    int64_t start, now;
    long rows = 0;
    int rc = -1;

    memset(blob, 'x', sizeof(blob));
    if (sqlite3_open(path, &db) != SQLITE_OK) {
        log_warnx("limits: cannot open %s: %s", path, sqlite3_errmsg(db));
        goto fail;
    }
    if (exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                 "DROP TABLE IF EXISTS t;"
                 "CREATE TABLE t(seq INTEGER PRIMARY KEY, id TEXT UNIQUE, body BLOB);") < 0)
        goto fail;
    if (sqlite3_prepare_v2(db, "INSERT INTO t(id, body) VALUES (?1, ?2)", -1, &ins, NULL) !=
        SQLITE_OK) {
        log_warnx("limits: prepare: %s", sqlite3_errmsg(db));
        goto fail;
    }
    start = util_mono_ms();
    do {
        if (exec(db, "BEGIN") < 0)
            goto fail;
        for (int i = 0; i < per_txn; i++) {
            char id[32];
            snprintf(id, sizeof(id), "r%ld", rows++);
            sqlite3_bind_text(ins, 1, id, -1, SQLITE_TRANSIENT);
            sqlite3_bind_blob(ins, 2, blob, sizeof(blob), SQLITE_STATIC);
            if (sqlite3_step(ins) != SQLITE_DONE) {
                log_warnx("limits: insert: %s", sqlite3_errmsg(db));
                goto fail;
            }
            sqlite3_reset(ins);
        }
        if (exec(db, "COMMIT") < 0)
            goto fail;
        now = util_mono_ms();
    } while (now - start < (int64_t)(secs * 1000));
    *rate = (double)rows * 1000.0 / (double)(now - start);
    rc = 0;
fail:
    sqlite3_finalize(ins);
    sqlite3_close(db);
    return rc;
}

/* write + fdatasync of one 4 KiB block, over and over, for about secs seconds. */
static int
fsync_rate(const char *path, double secs, double *rate)
{
    char block[4096];
    int64_t start, now;
    long n = 0;
    int fd;

    memset(block, 'f', sizeof(block));
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        log_warn("limits: %s", path);
        return -1;
    }
    start = util_mono_ms();
    do {
        /* Rewrite the same block, as a WAL's commit record does near the file's end. */
        if (pwrite(fd, block, sizeof(block), 0) != (ssize_t)sizeof(block) || fdatasync(fd) < 0) {
            log_warn("limits: %s", path);
            close(fd);
            return -1;
        }
        n++;
        now = util_mono_ms();
    } while (now - start < (int64_t)(secs * 1000));
    close(fd);
    *rate = (double)n * 1000.0 / (double)(now - start);
    return 0;
}

static void
remove_db(const char *path)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};

    for (size_t i = 0; i < ARRAY_LEN(suffix); i++) {
        char *p = xasprintf("%s%s", path, suffix[i]);
        unlink(p);
        free(p);
    }
}

int
limits_measure(const char *dir, double secs, limits_t *out)
{
    char *db = xasprintf("%s/limits.db", dir), *fs = xasprintf("%s/limits.fsync", dir);
    limits_t l = {0};
    int rc = -1;

    if (sqlite_rate(db, 1, secs, &l.sqlite_row1_per_s) < 0)
        goto done;
    remove_db(db);
    if (sqlite_rate(db, 1000, secs, &l.sqlite_row1000_per_s) < 0)
        goto done;
    if (fsync_rate(fs, secs, &l.fsync_per_s) < 0)
        goto done;
    *out = l;
    rc = 0;
done:
    remove_db(db);
    unlink(fs);
    free(db);
    free(fs);
    return rc;
}
