/*
 * walvfs: see walvfs.h.
 *
 * Each file opened through the shim is a wv_file_t followed in memory by the parent VFS's
 * own file object (szOsFile is the sum). Only files opened with SQLITE_OPEN_WAL buffer; every
 * method of every other file is the parent's. The open WAL files are kept in a list, so that
 * a call on a database file's shared-memory index (xShmLock, xShmBarrier, xShmMap,
 * xShmUnmap: sqlite makes them on the database file, not on the WAL) first writes out what
 * every WAL file of this process holds.
 */
#include "walvfs.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "util.h"
#include "vfsshim.h"

typedef struct wv_file {
    vfsshim_file_t sh;    /* sh.base.pMethods: wv_methods; sh.real: the parent's file */
    bool wal;             /* a WAL file: its writes are gathered */
    unsigned char *buf;   /* WALVFS_BUFFER bytes, allocated at the first gathered write */
    size_t len;           /* bytes held */
    sqlite3_int64 at;     /* the file offset of buf[0] */
    int err;              /* a failed write out, reported by the next sync (which then fails) */
    struct wv_file *next; /* the list of open WAL files */
} wv_file_t;

static sqlite3_vfs *parent;
static sqlite3_vfs wv_vfs;
static wv_file_t *wal_files;

/* Write out what f holds. The error is the parent's write's (SQLITE_FULL on a full disk). */
static int
wv_flush(wv_file_t *f)
{
    int rc;

    if (f->len == 0)
        return SQLITE_OK;
    rc = f->sh.real->pMethods->xWrite(f->sh.real, f->buf, (int)f->len, f->at);
    f->len = 0;
    return rc;
}

/*
 * Before anything touches a shared-memory index: every WAL file's frames are in the file.
 * sticky: the caller cannot return an error (xShmBarrier), so a failed write is kept for the
 * next sync of that file to report.
 */
static int
wv_flush_all(bool sticky)
{
    int rc = SQLITE_OK;

    for (wv_file_t *f = wal_files; f != NULL; f = f->next) {
        int r = wv_flush(f);
        if (r != SQLITE_OK && sticky && f->err == SQLITE_OK)
            f->err = r;
        if (rc == SQLITE_OK)
            rc = r;
    }
    return rc;
}

static int
wv_close(sqlite3_file *file)
{
    wv_file_t *f = (wv_file_t *)file;
    int rc = wv_flush(f), r;

    if (f->wal)
        for (wv_file_t **p = &wal_files; *p != NULL; p = &(*p)->next)
            if (*p == f) {
                *p = f->next;
                break;
            }
    free(f->buf);
    r = f->sh.real->pMethods->xClose(f->sh.real);
    return rc != SQLITE_OK ? rc : r;
}

static int
wv_read(sqlite3_file *file, void *out, int n, sqlite3_int64 off)
{
    wv_file_t *f = (wv_file_t *)file;

    /* What it reads may be in the buffer: write it out first (rare: sqlite reads back the
     * WAL it is writing only when a transaction outgrows its page cache). */
    if (f->len > 0 && off < f->at + (sqlite3_int64)f->len && off + n > f->at) {
        int rc = wv_flush(f);
        if (rc != SQLITE_OK)
            return rc;
    }
    return f->sh.real->pMethods->xRead(f->sh.real, out, n, off);
}

static int
wv_write(sqlite3_file *file, const void *data, int n, sqlite3_int64 off)
{
    wv_file_t *f = (wv_file_t *)file;
    int rc;

    if (!f->wal || n <= 0)
        return f->sh.real->pMethods->xWrite(f->sh.real, data, n, off);
    if (f->len > 0 &&
        (off != f->at + (sqlite3_int64)f->len || f->len + (size_t)n > WALVFS_BUFFER)) {
        if ((rc = wv_flush(f)) != SQLITE_OK)
            return rc;
    }
    if ((size_t)n > WALVFS_BUFFER)
        return f->sh.real->pMethods->xWrite(f->sh.real, data, n, off);
    if (f->buf == NULL)
        f->buf = xmalloc(WALVFS_BUFFER);
    if (f->len == 0)
        f->at = off;
    memcpy(f->buf + f->len, data, (size_t)n);
    f->len += (size_t)n;
    return SQLITE_OK;
}

static int
wv_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    wv_file_t *f = (wv_file_t *)file;
    int rc = wv_flush(f);

    return rc != SQLITE_OK ? rc : f->sh.real->pMethods->xTruncate(f->sh.real, size);
}

/*
 * The commit's sync: it fails when its own write out fails, or when one in xShmBarrier did
 * (which cannot return an error), so a commit never counts frames that did not reach the
 * file. With synchronous=FULL, as the broker runs, sqlite updates the index only after this
 * sync succeeded, so no index entry names a frame that failed.
 */
static int
wv_sync(sqlite3_file *file, int flags)
{
    wv_file_t *f = (wv_file_t *)file;
    int rc;

    rc = wv_flush(f);
    if (rc == SQLITE_OK)
        rc = f->err;
    f->err = SQLITE_OK;
    return rc != SQLITE_OK ? rc : f->sh.real->pMethods->xSync(f->sh.real, flags);
}

static int
wv_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
    wv_file_t *f = (wv_file_t *)file;
    int rc = f->sh.real->pMethods->xFileSize(f->sh.real, size);

    if (rc == SQLITE_OK && f->len > 0 && f->at + (sqlite3_int64)f->len > *size)
        *size = f->at + (sqlite3_int64)f->len;
    return rc;
}

static int
wv_file_control(sqlite3_file *file, int op, void *arg)
{
    wv_file_t *f = (wv_file_t *)file;
    int rc = wv_flush(f); /* whatever the control does, it sees the file as sqlite does */

    return rc != SQLITE_OK ? rc : f->sh.real->pMethods->xFileControl(f->sh.real, op, arg);
}

static int
wv_shm_map(sqlite3_file *file, int page, int size, int extend, void volatile **out)
{
    wv_file_t *f = (wv_file_t *)file;
    int rc = wv_flush_all(false);

    return rc != SQLITE_OK ? rc
                           : f->sh.real->pMethods->xShmMap(f->sh.real, page, size, extend, out);
}

static int
wv_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
    wv_file_t *f = (wv_file_t *)file;
    int rc = wv_flush_all(false);

    return rc != SQLITE_OK ? rc : f->sh.real->pMethods->xShmLock(f->sh.real, offset, n, flags);
}

static void
wv_shm_barrier(sqlite3_file *file)
{
    wv_file_t *f = (wv_file_t *)file;

    /* No error to return here: the next sync of that WAL returns it. */
    wv_flush_all(true);
    f->sh.real->pMethods->xShmBarrier(f->sh.real);
}

static int
wv_shm_unmap(sqlite3_file *file, int delete_flag)
{
    wv_file_t *f = (wv_file_t *)file;
    int rc = wv_flush_all(false);

    return rc != SQLITE_OK ? rc : f->sh.real->pMethods->xShmUnmap(f->sh.real, delete_flag);
}

static int
wv_fetch(sqlite3_file *file, sqlite3_int64 off, int n, void **out)
{
    wv_file_t *f = (wv_file_t *)file;
    int rc = wv_flush(f);

    if (rc != SQLITE_OK)
        return rc;
    return f->sh.real->pMethods->xFetch(f->sh.real, off, n, out);
}

/* The shim's methods, of the parent file's version: shared memory (WAL mode) from 2 on,
 * memory-mapped reads from 3 on. */
static const sqlite3_io_methods wv_methods[] = {
    {1, wv_close, wv_read, wv_write, wv_truncate, wv_sync, wv_file_size, vfsshim_lock,
     vfsshim_unlock, vfsshim_check_reserved, wv_file_control, vfsshim_sector_size, vfsshim_device,
     NULL, NULL, NULL, NULL, NULL, NULL},
    {2, wv_close, wv_read, wv_write, wv_truncate, wv_sync, wv_file_size, vfsshim_lock,
     vfsshim_unlock, vfsshim_check_reserved, wv_file_control, vfsshim_sector_size, vfsshim_device,
     wv_shm_map, wv_shm_lock, wv_shm_barrier, wv_shm_unmap, NULL, NULL},
    {3, wv_close, wv_read, wv_write, wv_truncate, wv_sync, wv_file_size, vfsshim_lock,
     vfsshim_unlock, vfsshim_check_reserved, wv_file_control, vfsshim_sector_size, vfsshim_device,
     wv_shm_map, wv_shm_lock, wv_shm_barrier, wv_shm_unmap, wv_fetch, vfsshim_unfetch},
};

static int
wv_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags, int *out_flags)
{
    wv_file_t *f = (wv_file_t *)file;
    int rc;

    (void)vfs;
    memset(f, 0, sizeof(*f));
    f->sh.real = (sqlite3_file *)(f + 1);
    rc = parent->xOpen(parent, name, f->sh.real, flags, out_flags);
    if (f->sh.real->pMethods == NULL) {
        f->sh.base.pMethods = NULL; /* nothing to close */
        return rc;
    }
    f->sh.base.pMethods = &wv_methods[f->sh.real->pMethods->iVersion >= 3   ? 2
                                      : f->sh.real->pMethods->iVersion == 2 ? 1
                                                                            : 0];
    if (rc == SQLITE_OK && (flags & SQLITE_OPEN_WAL)) {
        f->wal = true;
        f->next = wal_files;
        wal_files = f;
    }
    return rc;
}

const char *
walvfs_name(void)
{
    if (parent != NULL)
        return wv_vfs.zName;
    parent = sqlite3_vfs_find(NULL);
    if (parent == NULL)
        return NULL;
    vfsshim_init(&wv_vfs, parent, "permit-walvfs", sizeof(wv_file_t), wv_open);
    if (parent->iVersion < 2 || sqlite3_vfs_register(&wv_vfs, 0) != SQLITE_OK) {
        parent = NULL;
        return NULL;
    }
    return wv_vfs.zName;
}
