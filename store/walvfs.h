/*
 * walvfs: a sqlite VFS shim that gathers the writer's consecutive writes to the WAL into one.
 *
 * sqlite writes every WAL frame as two write(2) calls (its 24-byte header and the page), so a
 * commit of a few hundred pages cost the broker a few hundred system calls, a fifth of its
 * CPU at full load. Through this shim, writes that continue the one before are kept in a
 * buffer (up to WALVFS_BUFFER bytes, some 23 frames) and reach the file in one pwrite when it
 * is full or sqlite syncs the
 * WAL, reads it, asks its size, truncates it, touches the shared-memory index (in any mode:
 * no index entry ever names a frame that is still in the buffer) or closes it. Nothing
 * changes for durability: a commit is durable when its sync returns, and the sync comes after
 * the write; a write error surfaces at that sync, which fails the commit. Other files pass
 * straight through.
 *
 * The shim stacks on the default VFS as it is at the first walvfs_name() (in test builds,
 * the crash VFS when it is on). Its state (the parent, the list of open WAL files) is the
 * process's, without locks: one thread of a process opens databases through it, as the
 * broker's loop does.
 */
#ifndef PERMIT_WALVFS_H
#define PERMIT_WALVFS_H

/* sqlite's unix VFS writes at most 128 KiB - 1 in one call (it masks the length with
 * 0x1ffff and calls a shorter write a full disk), so a buffer stays below that. */
#define WALVFS_BUFFER (96 * 1024)

/* The name to open a database with (registering the shim the first time), or NULL when it
 * could not be registered (then sqlite's default VFS serves). */
const char *walvfs_name(void);

#endif
