/*
 * vfsshim: the part every sqlite VFS shim of ours shares (store/walvfs.c, and the test
 * builds' tests/faults/crashvfs.c): a VFS whose own methods are only xOpen (and maybe
 * xDelete), every other one handed to the VFS it stacks on; and, for its files, the methods
 * that only hand the call to the parent's file.
 */
#ifndef PERMIT_VFSSHIM_H
#define PERMIT_VFSSHIM_H

#include <stddef.h>
#include <sqlite3.h>

typedef int(vfsshim_open_fn)(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags,
                             int *out_flags);

/*
 * Fill *vfs as a shim named name over parent (kept in pAppData): xOpen is open, every other
 * method forwards to parent. Its file objects are file_size bytes of the shim's own followed
 * by the parent's (szOsFile is the sum). Register it with sqlite3_vfs_register.
 */
void vfsshim_init(sqlite3_vfs *vfs, sqlite3_vfs *parent, const char *name, size_t file_size,
                  vfsshim_open_fn *open);

/* The first member of a shim's file: what sqlite sees, and the parent's file (in the same
 * allocation, after the shim's own struct). */
typedef struct vfsshim_file {
    sqlite3_file base;
    sqlite3_file *real;
} vfsshim_file_t;

/* File methods that call the parent's file and nothing else, for a shim's io_methods. */
int vfsshim_lock(sqlite3_file *file, int level);
int vfsshim_unlock(sqlite3_file *file, int level);
int vfsshim_check_reserved(sqlite3_file *file, int *out);
int vfsshim_sector_size(sqlite3_file *file);
int vfsshim_device(sqlite3_file *file);
int vfsshim_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p);

#endif
