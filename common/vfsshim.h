/*
 * vfsshim: the part every sqlite VFS shim of ours shares (broker/walvfs.c, and the test
 * builds' tests/faults/crashvfs.c): a VFS whose own methods are only xOpen (and maybe
 * xDelete), every other one handed to the VFS it stacks on.
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

#endif
