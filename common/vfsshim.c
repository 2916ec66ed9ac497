/*
 * vfsshim: see vfsshim.h. Each VFS forwarder finds the parent in the shim's pAppData; each
 * file forwarder the parent's file in the vfsshim_file_t its file starts with.
 */
#include "vfsshim.h"

#define PARENT(vfs) ((sqlite3_vfs *)(vfs)->pAppData)

static int
fwd_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    return PARENT(vfs)->xDelete(PARENT(vfs), name, sync_dir);
}

static int
fwd_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    return PARENT(vfs)->xAccess(PARENT(vfs), name, flags, out);
}

static int
fwd_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    return PARENT(vfs)->xFullPathname(PARENT(vfs), name, n, out);
}

static void *
fwd_dl_open(sqlite3_vfs *vfs, const char *name)
{
    return PARENT(vfs)->xDlOpen(PARENT(vfs), name);
}

static void
fwd_dl_error(sqlite3_vfs *vfs, int n, char *out)
{
    PARENT(vfs)->xDlError(PARENT(vfs), n, out);
}

static void (*fwd_dl_sym(sqlite3_vfs *vfs, void *handle, const char *sym))(void)
{
    return PARENT(vfs)->xDlSym(PARENT(vfs), handle, sym);
}

static void
fwd_dl_close(sqlite3_vfs *vfs, void *handle)
{
    PARENT(vfs)->xDlClose(PARENT(vfs), handle);
}

static int
fwd_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    return PARENT(vfs)->xRandomness(PARENT(vfs), n, out);
}

static int
fwd_sleep(sqlite3_vfs *vfs, int us)
{
    return PARENT(vfs)->xSleep(PARENT(vfs), us);
}

static int
fwd_current_time(sqlite3_vfs *vfs, double *out)
{
    return PARENT(vfs)->xCurrentTime(PARENT(vfs), out);
}

static int
fwd_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    return PARENT(vfs)->xGetLastError != NULL ? PARENT(vfs)->xGetLastError(PARENT(vfs), n, out) : 0;
}

static int
fwd_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    return PARENT(vfs)->xCurrentTimeInt64(PARENT(vfs), out);
}

void
vfsshim_init(sqlite3_vfs *vfs, sqlite3_vfs *parent, const char *name, size_t file_size,
             vfsshim_open_fn *open)
{
    *vfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int)file_size + parent->szOsFile,
        .mxPathname = parent->mxPathname,
        .zName = name,
        .pAppData = parent,
        .xOpen = open,
        .xDelete = fwd_delete,
        .xAccess = fwd_access,
        .xFullPathname = fwd_full_pathname,
        .xDlOpen = fwd_dl_open,
        .xDlError = fwd_dl_error,
        .xDlSym = fwd_dl_sym,
        .xDlClose = fwd_dl_close,
        .xRandomness = fwd_randomness,
        .xSleep = fwd_sleep,
        .xCurrentTime = fwd_current_time,
        .xGetLastError = fwd_last_error,
        .xCurrentTimeInt64 = fwd_current_time64,
    };
}

#define REAL(file) (((vfsshim_file_t *)(file))->real)

int
vfsshim_lock(sqlite3_file *file, int level)
{
    return REAL(file)->pMethods->xLock(REAL(file), level);
}

int
vfsshim_unlock(sqlite3_file *file, int level)
{
    return REAL(file)->pMethods->xUnlock(REAL(file), level);
}

int
vfsshim_check_reserved(sqlite3_file *file, int *out)
{
    return REAL(file)->pMethods->xCheckReservedLock(REAL(file), out);
}

int
vfsshim_sector_size(sqlite3_file *file)
{
    return REAL(file)->pMethods->xSectorSize(REAL(file));
}

int
vfsshim_device(sqlite3_file *file)
{
    return REAL(file)->pMethods->xDeviceCharacteristics(REAL(file));
}

int
vfsshim_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
    return REAL(file)->pMethods->xUnfetch(REAL(file), off, p);
}
