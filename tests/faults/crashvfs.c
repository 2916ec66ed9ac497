/*
 * crashvfs: see crashvfs.h. Compiled into libpermitsql of test builds only.
 *
 * Each open database, WAL or journal file keeps its writes and truncates since its last
 * xSync as a list of operations in the order sqlite issued them. A read starts from the real
 * file and replays the list over the bytes asked for; the size is the real size replayed the
 * same way. xSync writes the list out, then fsyncs. Other files (temporary ones) and the
 * shared memory of the wal-index pass straight through to the unix VFS.
 */
#include "crashvfs.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "crashpoint.h"
#include "log.h"
#include "util.h"
#include "vfsshim.h"

#define SECTOR 512 /* a power loss tears a write at these boundaries */

typedef struct op {
    sqlite3_int64 off; /* where a write goes; the new size for a truncate */
    int len;           /* bytes written; -1 for a truncate */
    unsigned char *data;
} op_t;

typedef struct cv_file {
    vfsshim_file_t sh;           /* first: sqlite sees sh.base; sh.real is the unix VFS's file */
    struct cv_file *prev, *next; /* the open files, oldest first */
    bool buffered;               /* database, WAL or journal: writes kept until synced */
    op_t *ops;                   /* not yet synced, in order */
    size_t n;
    sqlite3_int64 size; /* the size sqlite sees, while n > 0 */
} cv_file_t;

static sqlite3_vfs *unix_vfs;
static sqlite3_vfs crash_vfs;
static cv_file_t *files_head, *files_tail;
static bool dead; /* after a power loss: nothing reaches the files any more */

/* --- the pending operations --- */

static void
ops_clear(cv_file_t *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->ops[i].data);
    free(f->ops);
    f->ops = NULL;
    f->n = 0;
}

static int
ops_push(cv_file_t *f, sqlite3_int64 off, int len, const void *data)
{
    op_t *op;
    int rc;

    if (f->n == 0 && (rc = f->sh.real->pMethods->xFileSize(f->sh.real, &f->size)) != SQLITE_OK)
        return rc;
    f->ops = xgrow(f->ops, f->n, sizeof(op_t));
    op = &f->ops[f->n++];
    op->off = off;
    op->len = len;
    op->data = NULL;
    if (len >= 0) {
        op->data = xmalloc((size_t)len > 0 ? (size_t)len : 1);
        memcpy(op->data, data, (size_t)len);
        if (off + len > f->size)
            f->size = off + len;
    } else {
        f->size = off;
    }
    return SQLITE_OK;
}

/* Apply the first `keep` bytes of an operation (all of it: keep = len) to the real file. */
static int
op_apply(cv_file_t *f, const op_t *op, int keep)
{
    if (op->len < 0)
        return f->sh.real->pMethods->xTruncate(f->sh.real, op->off);
    if (keep <= 0)
        return SQLITE_OK;
    return f->sh.real->pMethods->xWrite(f->sh.real, op->data, keep, op->off);
}

/* Write every pending operation out, in order (no fsync). */
static int
ops_flush(cv_file_t *f)
{
    int rc = SQLITE_OK;

    for (size_t i = 0; i < f->n && rc == SQLITE_OK; i++)
        rc = op_apply(f, &f->ops[i], f->ops[i].len);
    ops_clear(f);
    return rc;
}

static void
files_link(cv_file_t *f)
{
    f->prev = files_tail;
    f->next = NULL;
    if (files_tail != NULL)
        files_tail->next = f;
    else
        files_head = f;
    files_tail = f;
}

static void
files_unlink(cv_file_t *f)
{
    if (f->prev != NULL)
        f->prev->next = f->next;
    else
        files_head = f->next;
    if (f->next != NULL)
        f->next->prev = f->prev;
    else
        files_tail = f->prev;
    f->prev = f->next = NULL;
}

/* --- the io methods --- */

static int
cv_close(sqlite3_file *file)
{
    cv_file_t *f = (cv_file_t *)file;
    int rc = SQLITE_OK;

    if (f->buffered) {
        if (!dead)
            rc = ops_flush(f);
        ops_clear(f);
        files_unlink(f);
    }
    if (f->sh.real->pMethods != NULL) {
        int rc2 = f->sh.real->pMethods->xClose(f->sh.real);
        if (rc == SQLITE_OK)
            rc = rc2;
    }
    return rc;
}

static int
cv_read(sqlite3_file *file, void *buf, int amt, sqlite3_int64 off)
{
    cv_file_t *f = (cv_file_t *)file;
    unsigned char *out = buf;
    int rc;

    if (!f->buffered || f->n == 0)
        return f->sh.real->pMethods->xRead(f->sh.real, buf, amt, off);
    rc = f->sh.real->pMethods->xRead(f->sh.real, buf, amt, off); /* zero-fills a short read */
    if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ)
        return rc;
    for (size_t i = 0; i < f->n; i++) {
        const op_t *op = &f->ops[i];
        sqlite3_int64 lo, hi;
        if (op->len < 0) {
            /* A truncate: whatever lay beyond it reads as zeros until written again. */
            if (op->off < off + amt) {
                lo = op->off > off ? op->off : off;
                memset(out + (lo - off), 0, (size_t)(off + amt - lo));
            }
            continue;
        }
        lo = op->off > off ? op->off : off;
        hi = op->off + op->len < off + amt ? op->off + op->len : off + amt;
        if (lo < hi)
            memcpy(out + (lo - off), op->data + (lo - op->off), (size_t)(hi - lo));
    }
    if (off + amt > f->size) {
        if (off < f->size)
            memset(out + (f->size - off), 0, (size_t)(off + amt - f->size));
        else
            memset(out, 0, (size_t)amt);
        return SQLITE_IOERR_SHORT_READ;
    }
    return SQLITE_OK;
}

static int
cv_write(sqlite3_file *file, const void *buf, int amt, sqlite3_int64 off)
{
    cv_file_t *f = (cv_file_t *)file;

    if (!f->buffered)
        return f->sh.real->pMethods->xWrite(f->sh.real, buf, amt, off);
    if (dead)
        return SQLITE_OK;
    crashpoint_io();
    crashpoint_pass("vfs_write");
    return ops_push(f, off, amt, buf);
}

static int
cv_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    cv_file_t *f = (cv_file_t *)file;

    if (!f->buffered)
        return f->sh.real->pMethods->xTruncate(f->sh.real, size);
    if (dead)
        return SQLITE_OK;
    return ops_push(f, size, -1, NULL);
}

static int
cv_sync(sqlite3_file *file, int flags)
{
    cv_file_t *f = (cv_file_t *)file;
    int rc;

    if (!f->buffered)
        return f->sh.real->pMethods->xSync(f->sh.real, flags);
    if (dead)
        return SQLITE_OK;
    crashpoint_io();
    crashpoint_pass("vfs_sync");
    if ((rc = ops_flush(f)) != SQLITE_OK)
        return rc;
    return f->sh.real->pMethods->xSync(f->sh.real, flags);
}

static int
cv_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
    cv_file_t *f = (cv_file_t *)file;

    if (f->buffered && f->n > 0) {
        *size = f->size;
        return SQLITE_OK;
    }
    return f->sh.real->pMethods->xFileSize(f->sh.real, size);
}

static int
cv_file_control(sqlite3_file *file, int op, void *arg)
{
    cv_file_t *f = (cv_file_t *)file;

    /* A size hint would let the unix VFS grow the real file behind our back. */
    if (f->buffered && op == SQLITE_FCNTL_SIZE_HINT)
        return SQLITE_OK;
    return f->sh.real->pMethods->xFileControl(f->sh.real, op, arg);
}

static int
cv_shm_map(sqlite3_file *file, int region, int size, int extend, void volatile **out)
{
    cv_file_t *f = (cv_file_t *)file;
    return f->sh.real->pMethods->xShmMap(f->sh.real, region, size, extend, out);
}

static int
cv_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
    cv_file_t *f = (cv_file_t *)file;
    return f->sh.real->pMethods->xShmLock(f->sh.real, offset, n, flags);
}

static void
cv_shm_barrier(sqlite3_file *file)
{
    cv_file_t *f = (cv_file_t *)file;
    f->sh.real->pMethods->xShmBarrier(f->sh.real);
}

static int
cv_shm_unmap(sqlite3_file *file, int delete_flag)
{
    cv_file_t *f = (cv_file_t *)file;
    return f->sh.real->pMethods->xShmUnmap(f->sh.real, dead ? 0 : delete_flag);
}

/* Version 2: shared memory, but no xFetch, so every read of the database goes through us. */
static const sqlite3_io_methods cv_methods = {
    .iVersion = 2,
    .xClose = cv_close,
    .xRead = cv_read,
    .xWrite = cv_write,
    .xTruncate = cv_truncate,
    .xSync = cv_sync,
    .xFileSize = cv_file_size,
    .xLock = vfsshim_lock,
    .xUnlock = vfsshim_unlock,
    .xCheckReservedLock = vfsshim_check_reserved,
    .xFileControl = cv_file_control,
    .xSectorSize = vfsshim_sector_size,
    .xDeviceCharacteristics = vfsshim_device,
    .xShmMap = cv_shm_map,
    .xShmLock = cv_shm_lock,
    .xShmBarrier = cv_shm_barrier,
    .xShmUnmap = cv_shm_unmap,
};

/* --- the VFS methods: open and delete are ours, the rest is the unix VFS's --- */

static int
cv_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags, int *out_flags)
{
    cv_file_t *f = (cv_file_t *)file;
    int rc;

    (void)vfs;
    memset(f, 0, sizeof(*f));
    f->sh.real = (sqlite3_file *)(f + 1);
    rc = unix_vfs->xOpen(unix_vfs, name, f->sh.real, flags, out_flags);
    if (rc != SQLITE_OK) {
        if (f->sh.real->pMethods != NULL)
            f->sh.real->pMethods->xClose(f->sh.real);
        f->sh.base.pMethods = NULL;
        return rc;
    }
    f->buffered = name != NULL &&
                  (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL)) != 0;
    if (f->buffered)
        files_link(f);
    f->sh.base.pMethods = &cv_methods;
    return SQLITE_OK;
}

static int
cv_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    if (dead)
        return SQLITE_OK;
    return unix_vfs->xDelete(unix_vfs, name, sync_dir);
}

int
crashvfs_register(bool make_default)
{
    if (unix_vfs == NULL) {
        unix_vfs = sqlite3_vfs_find("unix");
        if (unix_vfs == NULL)
            return SQLITE_ERROR;
        vfsshim_init(&crash_vfs, unix_vfs, "crash", sizeof(cv_file_t), cv_open);
        crash_vfs.xDelete = cv_delete; /* after a power loss nothing reaches the files */
    }
    return sqlite3_vfs_register(&crash_vfs, make_default ? 1 : 0);
}

/* --- power loss --- */

static uint64_t
splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t
crashvfs_pending_bytes(void)
{
    uint64_t total = 0;

    for (cv_file_t *f = files_head; f != NULL; f = f->next)
        for (size_t i = 0; i < f->n; i++)
            total += f->ops[i].len > 0 ? (uint64_t)f->ops[i].len : 0;
    return total;
}

/*
 * One pending operation's fate: whole, dropped, or (a write crossing a sector boundary) torn
 * at one of the boundaries inside it, so a prefix of whole sectors reaches the file.
 */
static void
lose_one(cv_file_t *f, const op_t *op, uint64_t *rng, crashvfs_loss_t *loss)
{
    sqlite3_int64 first, last;
    uint64_t r = splitmix64(rng), cuts;

    first = (op->off / SECTOR + 1) * SECTOR;          /* the first boundary after the start */
    last = (op->off + op->len - 1) / SECTOR * SECTOR; /* the last one before the end */
    cuts = op->len > 0 && last >= first ? (uint64_t)((last - first) / SECTOR + 1) : 0;
    switch (r % (cuts > 0 ? 3 : 2)) {
    case 0:
        loss->applied++;
        op_apply(f, op, op->len);
        break;
    case 1:
        loss->dropped++;
        break;
    default:
        loss->torn++;
        op_apply(f, op, (int)(first + (sqlite3_int64)((r / 3) % cuts) * SECTOR - op->off));
        break;
    }
}

void
crashvfs_powerloss(uint64_t seed, crashvfs_loss_t *out)
{
    crashvfs_loss_t loss = {0};
    uint64_t rng = seed;

    for (cv_file_t *f = files_head; f != NULL; f = f->next) {
        for (size_t i = 0; i < f->n; i++)
            lose_one(f, &f->ops[i], &rng, &loss);
        ops_clear(f);
    }
    dead = true;
    if (out != NULL)
        *out = loss;
}

void
crashvfs_revive(void)
{
    dead = false;
}

/* Just before a crash point kills the process. */
static void
on_crash(bool powerloss, uint64_t seed)
{
    crashvfs_loss_t loss;
    char line[160];
    int n;

    if (!powerloss) {
        /* Only the process dies: the kernel keeps what was written. */
        for (cv_file_t *f = files_head; f != NULL; f = f->next)
            ops_flush(f);
        return;
    }
    crashvfs_powerloss(seed, &loss);
    n = snprintf(line, sizeof(line),
                 "permit test hooks: power loss (seed %" PRIu64
                 "): of the unsynced writes %u applied, %u dropped, %u torn\n",
                 seed, loss.applied, loss.dropped, loss.torn);
    if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0)
        n = 0; /* we die anyway */
}

static const char *
weak_synchronous(void)
{
    const char *v = getenv("PERMIT_TEST_SYNCHRONOUS");

    if (v == NULL || *v == '\0')
        return NULL;
    if (strcasecmp(v, "NORMAL") == 0)
        return "NORMAL";
    if (strcasecmp(v, "OFF") == 0)
        return "OFF";
    return NULL;
}

void
crashvfs_db_opened(sqlite3 *db)
{
    const char *level = weak_synchronous(), *file = sqlite3_db_filename(db, "main");
    char sql[64];

    /* Only the read-write database files of a store; not a reader, not ":memory:". */
    if (level == NULL || file == NULL || *file == '\0' || sqlite3_db_readonly(db, "main") != 0)
        return;
    snprintf(sql, sizeof(sql), "PRAGMA synchronous=%s", level);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        log_warnx("TEST BUILD: PRAGMA synchronous=%s failed: %s", level, sqlite3_errmsg(db));
        return;
    }
    log_warnx("TEST BUILD: PERMIT_TEST_SYNCHRONOUS: the store runs with synchronous=%s, NOT "
              "FULL: acked events may be lost on a power loss. Never in production.",
              level);
}

static int
bad(const char *what)
{
    fprintf(stderr, "permit test hooks: %s\n", what);
    return -1;
}

int
crashvfs_init(void)
{
    const char *vfs = getenv("PERMIT_TEST_VFS"), *sync = getenv("PERMIT_TEST_SYNCHRONOUS");
    const char *target = crashpoint_target();
    bool on = false;

    if (vfs != NULL && *vfs != '\0') {
        if (strcmp(vfs, "crash") != 0)
            return bad("PERMIT_TEST_VFS is malformed: the only test VFS is 'crash'");
        on = true;
    }
    if (sync != NULL && *sync != '\0' && weak_synchronous() == NULL)
        return bad("PERMIT_TEST_SYNCHRONOUS is malformed: expected NORMAL or OFF");
    if (!on && target != NULL && crashpoint_powerloss())
        return bad("PERMIT_CRASH_MODE=powerloss needs PERMIT_TEST_VFS=crash");
    if (!on && target != NULL && strncmp(target, "vfs_", 4) == 0)
        return bad("the crash points vfs_write and vfs_sync need PERMIT_TEST_VFS=crash");
    if (!on)
        return 0;
    if (crashvfs_register(true) != SQLITE_OK)
        return bad("cannot register the crash VFS (no unix VFS in this sqlite?)");
    crashpoint_on_crash(on_crash);
    log_warnx("TEST BUILD: sqlite runs on the crash VFS: writes stay in memory until synced");
    return 0;
}

int
test_hooks_init(void)
{
    return crashpoint_init() < 0 || crashvfs_init() < 0 ? -1 : 0;
}
