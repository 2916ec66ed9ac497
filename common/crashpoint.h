/*
 * crashpoint: named places where a test build can end the process at once (issue 9).
 *
 * Only builds with PERMIT_TEST_HOOKS (cmake -DPERMIT_TEST_HOOKS=ON, as `make test` builds)
 * carry them; elsewhere every macro below compiles to nothing. In a test build each
 * CRASHPOINT("name") counts its passes, and when the environment says
 *
 *   PERMIT_CRASH=NAME:N           die at the N-th pass of NAME (N >= 1)
 *   PERMIT_CRASH_MODE=kill        (default) as SIGKILL would: what was written stays written
 *   PERMIT_CRASH_MODE=powerloss   as a power cut would: the crash VFS (tests/faults/crashvfs.c)
 *                                 drops or tears writes not yet synced before the process dies
 *   PERMIT_CRASH_SEED=S           the seed of those choices (else one is drawn and logged)
 *
 * the process writes one marker line to stderr ("crash point NAME:N reached ...") and kills
 * itself with SIGKILL: no atexit, no stdio flush, no sqlite close. A point may last
 * (CRASHPOINT_BEGIN/END, or CRASHPOINT_SCOPE to the end of a block, e.g. the checkpoint): it
 * passes at its start, at every write or sync the crash VFS sees meanwhile, and at its end.
 *
 * The points: after_receive, after_append, after_commit, after_ack, checkpoint (broker), and
 * vfs_write, vfs_sync (the crash VFS: the N-th write or sync of the database files).
 */
#ifndef PERMIT_CRASHPOINT_H
#define PERMIT_CRASHPOINT_H

#ifdef PERMIT_TEST_HOOKS

#include <stdbool.h>
#include <stdint.h>

struct sqlite3;

/* Read PERMIT_CRASH*; 0, or -1 after one line on stderr when it is malformed. */
int crashpoint_init(void);
void crashpoint_pass(const char *name);
int crashpoint_begin(const char *name); /* returns 0, for CRASHPOINT_SCOPE */
void crashpoint_end(void);
void crashpoint_scope_end(int *scope); /* the cleanup of CRASHPOINT_SCOPE: crashpoint_end */
/* A write or sync seen by the crash VFS: a pass of the lasting point, if one is open. */
void crashpoint_io(void);

/* The parsed environment, for the crash VFS. */
bool crashpoint_powerloss(void);
uint64_t crashpoint_seed(void);
const char *crashpoint_target(void); /* the NAME of PERMIT_CRASH, or NULL */

/* Run just before the process kills itself (the crash VFS registers one). */
void crashpoint_on_crash(void (*fn)(bool powerloss, uint64_t seed));

/* Defined by the crash VFS (tests/faults/crashvfs.c, in libpermitsql of test builds). */
void crashvfs_db_opened(struct sqlite3 *db);

#define CRASHPOINT(name) crashpoint_pass(name)
#define CRASHPOINT_IF(cond, name)                                                                  \
    do {                                                                                           \
        if (cond)                                                                                  \
            crashpoint_pass(name);                                                                 \
    } while (0)
#define CRASHPOINT_BEGIN(name) crashpoint_begin(name)
#define CRASHPOINT_END() crashpoint_end()
/* A lasting point from here to the end of the enclosing block (however it is left). */
#define CRASHPOINT_SCOPE(name)                                                                     \
    int crashpoint_scope_ __attribute__((cleanup(crashpoint_scope_end), unused)) =                 \
        crashpoint_begin(name)
/* After the store set its pragmas: PERMIT_TEST_SYNCHRONOUS may weaken them (read-write
 * database files only). */
#define CRASHPOINT_DB_OPENED(db) crashvfs_db_opened(db)

#else

#define CRASHPOINT(name)                                                                           \
    do {                                                                                           \
    } while (0)
#define CRASHPOINT_IF(cond, name)                                                                  \
    do {                                                                                           \
    } while (0)
#define CRASHPOINT_BEGIN(name)                                                                     \
    do {                                                                                           \
    } while (0)
#define CRASHPOINT_END()                                                                           \
    do {                                                                                           \
    } while (0)
#define CRASHPOINT_SCOPE(name)                                                                     \
    do {                                                                                           \
    } while (0)
#define CRASHPOINT_DB_OPENED(db)                                                                   \
    do {                                                                                           \
    } while (0)

#endif /* PERMIT_TEST_HOOKS */

#endif
