/*
 * crashvfs: a test-only sqlite VFS that can simulate a power loss (issue 9).
 *
 * It wraps the default "unix" VFS. Writes (and truncates) to the database, its WAL and its
 * journals are kept in memory until the file's next xSync, which applies them in order to the
 * real file and then fsyncs it; reads and the file size see them as sqlite expects. A power
 * loss (crashvfs_powerloss, or a crash point with PERMIT_CRASH_MODE=powerloss) applies a
 * seeded random subset of the writes not yet synced -- some whole, some dropped, some torn
 * (only a prefix of whole 512-byte sectors reaches the file) -- and then no write of this
 * process reaches the files any more. A plain crash point (PERMIT_CRASH_MODE=kill) applies
 * them all, as the kernel would keep them when only the process dies.
 *
 * The -shm file is passed through untouched: the wal-index is transient and sqlite rebuilds
 * it from the WAL when the first connection opens the database after a crash (walformat.html,
 * "The wal-index is transient"). Writes pending when a file is closed are applied at the
 * close (without an fsync): they then survive a later simulated loss, which is kinder than a
 * real disk; the broker closes its database only when it stops.
 *
 * Environment (read by crashvfs_init, from permitd's test_hooks_init before any open):
 *   PERMIT_TEST_VFS=crash          register this VFS as the default
 *   PERMIT_TEST_SYNCHRONOUS=NORMAL the store uses synchronous=NORMAL (or OFF) instead of FULL,
 *                                  with a loud warning: only to show what it would lose
 * and PERMIT_CRASH, PERMIT_CRASH_MODE, PERMIT_CRASH_SEED as in common/crashpoint.h, with the
 * points vfs_write:N and vfs_sync:N (the N-th write or sync of a database file).
 */
#ifndef PERMIT_CRASHVFS_H
#define PERMIT_CRASHVFS_H

#include <stdbool.h>
#include <stdint.h>
#include <sqlite3.h>

/* What a power loss did to the writes not yet synced. */
typedef struct crashvfs_loss {
    unsigned applied; /* reached the file whole */
    unsigned dropped; /* never reached it */
    unsigned torn;    /* only a prefix reached it */
} crashvfs_loss_t;

/* Read the environment and register the VFS if asked; 0, or -1 after one line on stderr. */
int crashvfs_init(void);

/* permitd's one call, before any sqlite3_open: crashpoint_init, then crashvfs_init. */
int test_hooks_init(void);

/* Register the VFS (named "crash"), as the default when make_default. SQLITE_OK or an error. */
int crashvfs_register(bool make_default);

/* Bytes written to the database files and not yet synced. */
uint64_t crashvfs_pending_bytes(void);

/*
 * Simulate a power loss now: apply a random subset of the pending writes (seeded), then
 * ignore every later write, sync, truncate and delete, as if the process were gone, until
 * crashvfs_revive. The caller may then close its connections without touching the files.
 */
void crashvfs_powerloss(uint64_t seed, crashvfs_loss_t *out);
void crashvfs_revive(void);

#endif
