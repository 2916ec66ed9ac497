/*
 * store: the broker's storage interface. It owns the database: the ordered log and the
 * current-state tables derived from it.
 *
 * Everything above this interface (ack after commit, dedup, rebuild, queries, the clock) is
 * written against these functions only. Two engines stand behind them (store_backend.h):
 * embedded sqlite in WAL mode with synchronous=FULL, the default, and PostgreSQL through
 * libpq, for a highly available deployment. Either way, when store_commit() returns 0 the
 * transaction is durable.
 *
 * Sequence numbers are assigned here, in append order, starting at 1. All writes happen
 * between store_begin() and store_commit()/store_rollback(); reads may happen at any time and
 * see the open transaction's writes.
 */
#ifndef PERMIT_STORE_H
#define PERMIT_STORE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "row.h" /* the procedure row and the project clock: the fold's, kept here */

typedef struct store store_t;

/*
 * Open (creating if needed) the database a target names: a PostgreSQL URI (postgresql:// or
 * postgres://) or else the path of a sqlite file. On failure *err says why (caller owns).
 * A PostgreSQL database that is a standby, or cannot be reached, is an error here.
 */
store_t *store_open(const char *target, char **err);
/*
 * The same for a broker that serves: while the database is a standby or cannot be reached,
 * wait (saying why in the log, once per reason) until it is the primary, then take over
 * (the fencing epoch: any other broker's transactions fail from then on). NULL with *err when
 * *stop was set while waiting, or on a hard error. sqlite never waits. timeout_ms: as
 * store_set_timeout.
 */
store_t *store_open_wait(const char *target, int timeout_ms, volatile sig_atomic_t *stop,
                         char **err);
/*
 * Before a broker serves from a database or rebuilds it: is it sound? sqlite reads every page
 * of the file (PRAGMA quick_check): a damaged file would otherwise be served and answer every
 * event "storage" for ever. PostgreSQL checks its own pages: nothing to do. 0 sound (or
 * nothing there yet), -1 damaged with *err (caller owns): one line that says what is wrong and
 * what to do next. The cost grows with the file (1.3 s a million entries).
 *
 * clean, when not NULL, is what store_clean_identity gave at the broker's last clean stop:
 * when the file still has that identity nothing has written it since (its inode change time
 * moves with every write, and no tool can set it back), so it is not read again. *how says
 * which it was.
 */
typedef enum store_checked {
    STORE_NOTHING_TO_CHECK, /* PostgreSQL, or no file yet */
    STORE_CHECKED,          /* read whole */
    STORE_UNTOUCHED,        /* as the last clean stop left it: not read */
} store_checked_t;
int store_check(const char *target, const char *clean, store_checked_t *how, char **err);
/*
 * After a clean stop, the closed sqlite file's identity: its device, inode, size and
 * modification and change times, to the nanosecond. NULL (nothing to remember) for
 * PostgreSQL, for a file that cannot be read, and when a write-ahead log with content is
 * left beside it (another connection held the file open). Caller owns.
 */
char *store_clean_identity(const char *target);
/*
 * The layout of the whole database (the log, meta and the derived tables), which a database
 * carries (sqlite: PRAGMA user_version) so that a release can tell one written by a newer
 * release: 1 event ids unique across senders (until the dedup per sender), 2 unique per
 * sender (today's). A database made before the version was kept says 0: layout 1 or 2, told
 * apart by its log's indexes. A store opened read-write brings an older layout up to this one
 * (once, logged) and records it; one newer than this is refused, never opened. PostgreSQL
 * keeps it in meta's 'layout' row, written at each take-over; a standby of a newer layout is
 * not taken over either.
 */
#define STORE_LAYOUT_VERSION 2
/*
 * Before a broker opens a database: can this release serve from it? 0 when its layout is
 * this release's or older (upgraded at open), or there is none yet; -1 with *err (caller
 * owns), one line, when a newer release wrote it (a downgrade) or its version cannot be read.
 */
int store_check_layout(const char *target, char **err);
/*
 * Backups and their checks (permitctl backup and verify), for sqlite: PostgreSQL has its own
 * tools (pg_basebackup, pgBackRest: docs/ha.md), and these refuse its targets with one line
 * that points there.
 *
 * store_backup: a consistent copy of the database at target written to dest while a broker
 * goes on writing it: one read transaction (a WAL snapshot, which never blocks the broker's
 * commits) copied page by page with sqlite's online backup API, into dest.tmp (mode 0600),
 * synced, then renamed to dest (linked, when force is false: an existing dest is never
 * replaced). *head: the log's highest seq in the copy. 0, or -1 with *err (caller owns).
 */
int store_backup(const char *target, const char *dest, bool force, uint64_t *head, char **err);
/*
 * The checks of a database file that need no rebuild: sqlite's integrity_check, a layout
 * version this release knows, derived tables of this release's layout, and a log whose seqs
 * run from 1 without a gap. Each problem is one line pushed to problems; *head is the log's
 * highest seq. 0 when it could be read (problems or not), -1 with *err when not at all.
 */
int store_audit(const char *target, strv_t *problems, uint64_t *head, char **err);
/*
 * For permitctl verify, on a scratch copy only: keep a copy of every derived table as it is
 * now (store_derived_save), so that after a rebuild store_derived_compare can push a line per
 * table whose rows differ from the kept ones. 0 or -1 (logged). sqlite only.
 */
int store_derived_save(store_t *s);
int store_derived_compare(store_t *s, strv_t *problems);
/*
 * Open a database for reading only, beside a running broker: for tools that read the log,
 * such as reports. Refuses a database of another layout version.
 */
store_t *store_open_readonly(const char *target, char **err);
void store_close(store_t **p);
/*
 * For a program whose stores are all used by one thread (permitd): the storage engine skips
 * its internal locking. Call first, before any store is opened; later it has no effect.
 */
void store_single_threaded(void);
/* True when target names a PostgreSQL database rather than a sqlite file. */
bool store_target_is_pg(const char *target);
/* target as a log line may show it: a password in a PostgreSQL URI replaced by "***". */
char *store_target_redacted(const char *target);
/* Whether target carries a password (one that store_target_redacted hides). */
bool store_target_has_password(const char *target);
/* "sqlite" or "postgresql". */
const char *store_backend_name(const store_t *s);
/*
 * Where the derived tables stand against the log: 0 when they have the effect of every
 * entry; otherwise the first entry whose effect they may lack, from which the log must be
 * replayed into them (engine_catch_up). 1 when they were laid out anew (a new database, or one
 * made by another layout) and also after a broker that held rows stopped without writing them
 * (a crash, see store_holding): then it is where the oldest row it held was first changed.
 */
uint64_t store_replay_from(const store_t *s);
/*
 * The open transaction brings the tables up to the log (a replay, after store_sync): once it
 * commits, store_replay_from says 0.
 */
void store_replayed(store_t *s);
/*
 * True once another broker took over this store's database (the fencing epoch moved) or the
 * database stopped being the primary: this broker must stop serving. Never for sqlite.
 */
bool store_deposed(const store_t *s);
/*
 * Before an answer from memory that the broker which took over may have made stale (a
 * project's status, a list): 0 when this broker still served its database at most max_age_ms
 * ago (a commit, or this check, found the fencing epoch its own), checking again now (one
 * round trip) when that was longer ago; -1 when it was deposed (store_deposed says so from
 * then on) or cannot tell (the database is out of reach): the caller answers "storage".
 * Always 0 for sqlite, which no other broker shares. Outside a transaction.
 */
int store_check_epoch(store_t *s, int64_t max_age_ms);
/* The client-side deadline of every statement on a network engine, commit included. */
void store_set_timeout(store_t *s, int ms);
/* The newest recv_ms in the log, 0 when it is empty. */
int store_latest_recv(store_t *s, int64_t *out);
/*
 * The jurisdiction's time zone, as the broker that writes the log last recorded it (its
 * time_zone), so that a reader of the database without the broker's configuration (permitctl
 * report --db) counts days in it: store_time_zone gives it (*out NULL when none was
 * recorded, an older database; caller owns), store_set_time_zone records it (the broker at
 * start, when it differs; in a transaction).
 */
int store_time_zone(store_t *s, char **out);
int store_set_time_zone(store_t *s, const char *zone);
/*
 * Write the procedure rows and clocks held in memory to the tables: inside the open
 * transaction, or else in a transaction of its own. After it the tables match the log.
 */
int store_sync(store_t *s);
/*
 * When the caller is idle: the oldest held rows reach the tables, STORE_SYNC_STEP projects in
 * a transaction of their own, so that the next message waits for one step at most, not for
 * every project held (store_holding says whether more are).
 */
#define STORE_SYNC_STEP 1024
int store_sync_step(store_t *s);
/*
 * Rows changed by committed transactions may be held in memory past their commit (sqlite):
 * they reach the tables from the first commit STORE_HOLD_MS after they were first held (a few
 * hundred projects a commit), when too many projects are held or the cache is full of them,
 * before a statement that reads the tables for rows they may hold (the clock's due rows, the
 * colour and blocked lists: only the projects that may have such rows), at close, and when
 * the caller is idle for STORE_IDLE_MS (store_sync_step). A project changed again while held
 * is written once: with 100,000 projects in progress each sees an event every few seconds, and
 * a hold of ten seconds writes each table page once for several events. The log is written by
 * every commit, and the commits record, at least every STORE_MARK_MS while rows are held, the
 * first entry whose effect the tables may lack: a start after a crash replays the log from
 * there (store_replay_from), at most some ten seconds of entries under load; a clean stop
 * writes everything first.
 */
#define STORE_HOLD_MS 10000
/* The hold of this store, STORE_HOLD_MS until set (a test holds for less). */
void store_set_hold_ms(store_t *s, int64_t ms);
#define STORE_IDLE_MS 20
#define STORE_MARK_MS 250
/*
 * The cache of procedure rows and clocks by project (store.c) holds every project in use, its
 * rows packed (rowpack.h), up to a budget of bytes (STORE_CACHE_MIB MiB until set; permitd's
 * cache_mib): past it, a project not used lately is let go for the next one, which the engine
 * reads again. store_cache_cost: what a project with these rows counts against it (its packed
 * rows, its entry and index slots; not its own fields, read by store_project_get).
 */
#define STORE_CACHE_MIB 96
void store_set_cache_bytes(store_t *s, size_t bytes);
size_t store_cache_cost(store_t *s, const char *project, const store_proc_t *rows, size_t n);
/* True when rows are held that the tables do not have yet. */
bool store_holding(const store_t *s);

int store_begin(store_t *s);
int store_commit(store_t *s);
int store_rollback(store_t *s);
bool store_in_transaction(const store_t *s);
/* Nested undo points inside a transaction, so one refused event undoes only itself. */
int store_savepoint(store_t *s);
int store_release(store_t *s);
int store_rollback_to(store_t *s);

/*
 * Copy committed WAL frames back into the database (PASSIVE: never waits for readers) once
 * the WAL holds at least min_frames. The broker calls it after the acks of a batch went out,
 * so no ack waits for a checkpoint (sqlite's own automatic checkpoint is turned off).
 */
int store_checkpoint(store_t *s, int min_frames);
/*
 * The WAL length at which the broker checkpoints: 4,000 frames of 4 KiB (16 MiB). A
 * checkpoint pauses the loop for a few milliseconds (page writes and an fsync of the database
 * file); a longer WAL makes the pauses rarer (the 99th percentile of acks one event at a time
 * went from 3 to 1.3 ms against 1,000 frames) and copies a page changed many times once.
 */
#define STORE_CHECKPOINT_FRAMES 4000
/*
 * The same after a batch of STORE_CHECKPOINT_BACKLOG messages or more: with a backlog every
 * message in flight waits out the pause, so it is kept short (500 frames: 4x64 ack p99 8.1-8.5
 * ms against 9.3-11 ms at 1,000 and 17-18 ms at 4,000, the same throughput; 250 gained
 * nothing more); with few in flight a pause delays few messages and rarer ones are cheaper
 * (4x1 ack p99 0.76 ms against 0.96-1.0 ms at 1,000 frames).
 */
#define STORE_CHECKPOINT_FRAMES_BACKLOG 500
#define STORE_CHECKPOINT_BACKLOG 64

/*
 * True from a write that failed because the disk is full until a commit writes again (both
 * are logged once by the store): callers answer "storage" with a reason that says so.
 */
bool store_full(const store_t *s);

/* The highest sequence number appended (committed or in the open transaction). */
uint64_t store_head(const store_t *s);
/* The highest committed sequence number. */
uint64_t store_committed_head(const store_t *s);

/* Append an entry: assigns entry->seq, encodes it and inserts it into the log. */
int store_append(store_t *s, pm_entry_t *entry);
/*
 * Look up an event id: 1 and *seq if logged, 0 if not, -1 on error. An id is its sender's:
 * the same id from two senders is two events. The sender is the actor the log records for
 * the entry that carries the id (a department's code, "operator:NAME" for an operator's
 * correction or an import), so a log made when ids were unique across senders means the same.
 */
int store_find_event(store_t *s, const char *sender, const char *event_id, uint64_t *seq);
/* Read one entry by sequence number. Caller owns *out. 1 found, 0 not, -1 error. */
int store_entry_get(store_t *s, uint64_t seq, pm_entry_t **out);
/*
 * Entries after q->after matching its filters, at most q->limit (capped at 1000) and at most
 * STORE_PAGE_BYTES of encoded entries, but never none: an entry larger than that goes out
 * alone. page->more says when either cap cut the page short. The byte cap bounds what a page
 * costs the broker to build and to queue for a reader (query.c).
 */
#define STORE_PAGE_BYTES (1024 * 1024)
int store_entries(store_t *s, const pm_query_t *q, pm_page_t *page);

/* Walk the log in order from the entry after `after` (0: the whole log); fn returns 0 to go
 * on, -1 to stop with an error. */
typedef int(store_walk_fn)(void *arg, pm_entry_t *entry);
int store_walk(store_t *s, uint64_t after, store_walk_fn *fn, void *arg);
/* Empty every derived table (inside a transaction), before a rebuild. */
int store_clear_derived(store_t *s);

/* Departments. get: 1 found (out filled, caller clears), 0 not, -1 error. */
int store_dept_get(store_t *s, const char *code, pm_department_t *out);
int store_dept_put(store_t *s, const pm_department_t *d, uint64_t seq);

/* Templates: the table maps (name, version) to the log entry that holds the definition. */
int store_template_put(store_t *s, const char *name, uint32_t version, uint64_t seq);
/* 1 and *seq of the entry, 0 if unknown, -1 error. version 0 asks for the latest. */
int store_template_find(store_t *s, const char *name, uint32_t version, uint32_t *out_version,
                        uint64_t *seq);

/* Projects. get: 1 found (*out filled without not_required, caller clears), 0 not, -1 error. */
int store_project_get(store_t *s, const char *id, pm_project_t *out);
int store_project_put(store_t *s, const pm_project_t *p, uint64_t seq);

/* Procedures of a project, in template order. Caller frees with store_procs_free. */
int store_procs_load(store_t *s, const char *project, store_proc_t **out, size_t *n);
void store_procs_free(store_proc_t *procs, size_t n);
void store_proc_clear(store_proc_t *p);
int store_proc_put(store_t *s, const char *project, const store_proc_t *p, int ordinal);
/* The rows of a newly registered project (ordinals 0..n-1), which has none yet. */
int store_procs_create(store_t *s, const char *project, const store_proc_t *procs, size_t n);

/* A project's clock. 1 found, 0 not, -1 error. */
int store_projclock_get(store_t *s, const char *project, store_projclock_t *out);
int store_projclock_put(store_t *s, const char *project, const store_projclock_t *c);

/*
 * What the clock must look at by now_ms: the (project, procedure) pairs whose next_ms has
 * come, earliest first, up to max procedures and then up to max projects' own clocks (each
 * with procedure ""): beyond a kind that filled max, none of that kind is due earlier than the
 * last one given. Caller clears projects and procedures.
 */
int store_clock_due(store_t *s, int64_t now_ms, size_t max, strv_t *projects, strv_t *procedures);
/* The earliest next_ms of any procedure or project, 0 if none. */
int store_clock_next(store_t *s, int64_t *out_ms);
/* Projects with a running procedure whose deadline is provisional. */
int store_provisional_projects(store_t *s, strv_t *out);

/* Open procedures of a colour (NULL: red and yellow), with their project's row; with
 * q->blocked, the blocked procedures instead (q->dept is left to the caller). */
typedef int(store_colour_fn)(void *arg, const pm_project_t *project, const store_proc_t *proc);
int store_colour_walk(store_t *s, const pm_listreq_t *q, store_colour_fn *fn, void *arg);

/* Milestones reached by a project. */
int store_milestone_put(store_t *s, const char *project, const char *code, uint64_t seq);
int store_milestones_list(store_t *s, const char *project, strv_t *out);

#endif
