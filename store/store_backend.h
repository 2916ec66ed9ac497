/*
 * store_backend: what a storage engine provides under store.h.
 *
 * store.c is the one implementation of store.h. It keeps what is the same for every engine:
 * sequence numbers (head, committed head, the head at a savepoint), encoding and decoding of
 * log entries, the write-back cache of procedure rows and project clocks, and the rule that a
 * statement reading the derived tables comes after the cache was written back. A backend
 * only moves rows: it runs one statement (or a few) per operation, against its own engine.
 *
 * Backends: store_sqlite.c (embedded sqlite in WAL mode, the default) and store_pg.c
 * (PostgreSQL through libpq, pipelined). store_open() picks one by the form of its target:
 * a URI that starts with postgresql:// or postgres:// is PostgreSQL, anything else a path to
 * a sqlite file.
 *
 * Conventions for every operation: 0 is success, -1 a failure the backend has already logged
 * (once, with the reason), 1/0 for found/not found where said. Strings returned in structs
 * are owned by the caller, except the codes of procedure rows (store.h), interned in the pool
 * given at open. Writes happen only between begin and commit/rollback; reads may
 * happen at any time and see the open transaction's writes.
 */
#ifndef PERMIT_STORE_BACKEND_H
#define PERMIT_STORE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "strpool.h"

/*
 * The layout of the derived tables, the same in every engine since they hold the same things:
 * a database whose meta row 'schema' says otherwise has them dropped, laid out anew and
 * rebuilt from the log (replay_from).
 */
#define STORE_SCHEMA_VERSION "3"

/*
 * "PATH: database schema version V is newer than this permitd (STORE_LAYOUT_VERSION): ...",
 * the one line with which a store refuses a database that a newer release wrote (caller owns).
 */
char *store_newer_layout(const char *label, long long version);

/* The columns of a procedure row, in the order store_proc_t is read and written; _P with the
 * alias x, and a project's columns with the alias p, in pm_project_t's order. */
#define PROC_COLUMNS                                                                               \
    "code, dept, state, deficient, cert, updated_seq, updated_ms, accepted_ms, extended,"          \
    " deadline, statutory, provisional, paused_on, colour, commit_state, commit_due, missing,"     \
    " next_ms"
#define PROC_COLUMNS_P                                                                             \
    "x.code, x.dept, x.state, x.deficient, x.cert, x.updated_seq, x.updated_ms, x.accepted_ms,"    \
    " x.extended, x.deadline, x.statutory, x.provisional, x.paused_on, x.colour, x.commit_state,"  \
    " x.commit_due, x.missing, x.next_ms"
#define PROJECT_COLUMNS_P                                                                          \
    "p.id, p.name, p.region, p.industry, p.company, p.steward, p.leader, p.template,"              \
    " p.template_version"

/* One log row: the body is the encoded pm_entry_t (codec.h). */
typedef int(store_blob_fn)(void *arg, const void *body, size_t len);

/* A filter over the log, as store_entries takes it; NULL strings match everything. */
typedef struct store_scan {
    uint64_t after;      /* entries with seq > after */
    const char *project; /* NULL: any */
    const char *dept;
    const char *kind;
    int64_t since_ms; /* recv_ms >= since_ms */
    uint32_t limit;   /* at most this many rows, in seq order */
} store_scan_t;

/* The columns of one log row besides the body, for the indexes and filters. */
typedef struct store_logrow {
    uint64_t seq;
    const char *event_id; /* NULL for broker entries */
    const char *kind;
    const char *actor;
    const char *dept;
    const char *project;
    const char *procedure;
    int64_t recv_ms;
    int64_t event_ms; /* 0: none */
    uint64_t cause;   /* 0: none */
    const void *body;
    size_t len;
} store_logrow_t;

/* A (project, procedure) pair or a project, as the colour and blocked lists return them. */
typedef int(store_row_fn)(void *arg, const pm_project_t *project, const store_proc_t *proc);

typedef struct store_backend store_backend_t; /* each backend's own state */

typedef struct store_ops {
    const char *name; /* "sqlite", "postgresql" */
    /* Open target (a path, a URI): NULL with *err (caller owns) on failure. readonly: for
     * tools beside a running broker, such as reports. names: where procedure rows read are to
     * intern their codes; it outlives the backend. */
    store_backend_t *(*open)(const char *target, bool readonly, strpool_t *names, char **err);
    void (*close)(store_backend_t *b);

    /*
     * Where the derived tables stood at open: 0 when they have the effect of every logged
     * entry; otherwise the first entry whose effect they may lack (1 when they were laid out
     * anew, empty). The broker replays the log from there (store_replay_from).
     */
    uint64_t (*replay_from)(const store_backend_t *b);
    /*
     * Record, in the open transaction, where the derived tables stand once it commits, as
     * replay_from reads it at the next open: 0 current, else the first entry whose effect they
     * may lack (a replay has not committed yet, or the store holds changed rows in memory past
     * this commit).
     */
    int (*derived_mark)(store_backend_t *b, uint64_t from);
    /* The store may hold changed rows past their commit (embedded: a restart after a crash
     * replays a second of the log). Not where a standby must serve at once. */
    bool hold_rows;
    /* The highest sequence number committed in the log (0 for none). */
    int (*last_seq)(store_backend_t *b, uint64_t *out);
    /* The newest recv_ms in the log, 0 for an empty log. */
    int (*latest_recv)(store_backend_t *b, int64_t *out);
    /* The jurisdiction's zone the broker recorded (meta 'time_zone'), *out NULL for none. */
    int (*zone_get)(store_backend_t *b, char **out);
    /* Record it, in the open transaction. */
    int (*zone_put)(store_backend_t *b, const char *zone);

    int (*begin)(store_backend_t *b);
    /* 0 only when the transaction is durable. On -1 the outcome may be unknown (a network
     * engine whose connection broke mid-commit): the caller rolls back and rereads last_seq. */
    int (*commit)(store_backend_t *b);
    int (*rollback)(store_backend_t *b);
    int (*savepoint)(store_backend_t *b);
    int (*release)(store_backend_t *b);
    int (*rollback_to)(store_backend_t *b); /* to the savepoint, which is then released */
    /* Housekeeping after the acks of a batch went out (sqlite: WAL checkpoint); may be NULL. */
    int (*checkpoint)(store_backend_t *b, int min_frames);
    /* True from a write that failed for want of space until a commit writes again. */
    bool (*full)(const store_backend_t *b);

    /* The log. */
    int (*append)(store_backend_t *b, const store_logrow_t *row);
    /* The seq of the row whose (actor, event_id) is (sender, event_id): 1/0/-1. The pair is
     * unique in the log; event_id alone is not. */
    int (*find_event)(store_backend_t *b, const char *sender, const char *event_id, uint64_t *seq);
    /* The rows q selects, to fn in seq order. fn may call other operations of the same
     * backend, entry_get included (a rebuild reads templates while it walks the log). */
    int (*scan)(store_backend_t *b, const store_scan_t *q, store_blob_fn *fn, void *arg);
    /* The row of one seq, to fn: 1 found, 0 not, -1 error. */
    int (*entry_get)(store_backend_t *b, uint64_t seq, store_blob_fn *fn, void *arg);

    /* The derived tables. */
    int (*clear_derived)(store_backend_t *b);
    int (*dept_get)(store_backend_t *b, const char *code, pm_department_t *out); /* 1/0/-1 */
    int (*dept_put)(store_backend_t *b, const pm_department_t *d, uint64_t seq);
    int (*template_put)(store_backend_t *b, const char *name, uint32_t version, uint64_t seq);
    int (*template_find)(store_backend_t *b, const char *name, uint32_t version,
                         uint32_t *out_version, uint64_t *seq); /* 1/0/-1; version 0: latest */
    int (*project_get)(store_backend_t *b, const char *id, pm_project_t *out); /* 1/0/-1 */
    int (*project_put)(store_backend_t *b, const pm_project_t *p, uint64_t seq);
    /* Every procedure row of a project in ordinal order; caller frees with store_procs_free. */
    int (*procs_load)(store_backend_t *b, const char *project, store_proc_t **out, size_t *n);
    /* Insert or update the row (project, ordinal). */
    int (*proc_put)(store_backend_t *b, const char *project, const store_proc_t *p, int ordinal);
    int (*projclock_get)(store_backend_t *b, const char *project,
                         store_projclock_t *out); /* 1/0/-1 */
    int (*projclock_put)(store_backend_t *b, const char *project, const store_projclock_t *c);
    /* Procedures with 0 < next_ms <= now_ms, earliest first, at most max: pairs appended to
     * projects and procedures. projects_due: the same for the projects' own clocks. */
    int (*procs_due)(store_backend_t *b, int64_t now_ms, size_t max, strv_t *projects,
                     strv_t *procedures);
    int (*projects_due)(store_backend_t *b, int64_t now_ms, size_t max, strv_t *projects);
    /* The least next_ms > 0 over procedures and projects, 0 if none. */
    int (*clock_next)(store_backend_t *b, int64_t *out_ms);
    /* Projects (sorted, once each) with a procedure whose clock runs (accepted_ms > 0) on a
     * provisional deadline. */
    int (*provisional)(store_backend_t *b, strv_t *out);
    /* store_colour_walk's rows: with q->blocked the blocked procedures (filtered by region and
     * project, ordered by project id and ordinal); otherwise procedures of colour q->colour
     * (NULL or "": red and yellow) filtered by dept, region, project, red first, then by
     * deadline, project id and ordinal. */
    int (*colour_walk)(store_backend_t *b, const pm_listreq_t *q, store_row_fn *fn, void *arg);
    int (*milestone_put)(store_backend_t *b, const char *project, const char *code,
                         uint64_t seq); /* a milestone already there is kept as it was */
    int (*milestones_list)(store_backend_t *b, const char *project, strv_t *out); /* by seq */

    /*
     * High availability (NULL for an embedded engine that is always the one to serve).
     * ready: 1 when this node may serve (its database is the primary), 0 when it must wait
     * (a standby, or the engine cannot be reached: *why says which), -1 on a hard error.
     * take_over: make this node the one that serves: lay out the tables when needed and
     * advance the fencing epoch, after which any other broker's transactions fail.
     */
    int (*ready)(store_backend_t *b, char **why);
    int (*take_over)(store_backend_t *b, char **err);
    /* True once this node learnt that another broker took over (the fencing epoch moved) or
     * that its database is no longer the primary: it must stop serving. */
    bool (*deposed)(const store_backend_t *b);
    /* Outside a transaction, one round trip: 0 while the database is the primary and the
     * fencing epoch still this node's; -1 when it cannot tell, or when it is not (then deposed
     * says so from here on). */
    int (*check_epoch)(store_backend_t *b);
    /* The client-side deadline of every statement, commit included, in milliseconds. */
    void (*set_timeout)(store_backend_t *b, int ms);
} store_ops_t;

/* The backends. */
extern const store_ops_t store_sqlite_ops;
struct sqlite3 *store_sqlite_db(store_backend_t *b);  /* the connection, for sqlite-only SQL */
void store_sqlite_single_threaded(void);              /* store_single_threaded, for sqlite */
int store_sqlite_check(const char *path, char **err); /* store_check, for sqlite */
char *store_sqlite_identity(const char *path);        /* store_clean_identity, for sqlite */
int store_sqlite_check_layout(const char *path, char **err); /* store_check_layout, sqlite */
/* store_backup, store_audit, store_derived_save and _compare, for sqlite. */
int store_sqlite_backup(const char *path, const char *dest, bool force, uint64_t *head, char **err);
int store_sqlite_audit(const char *path, strv_t *problems, uint64_t *head, char **err);
int store_sqlite_derived_save(store_backend_t *b);
int store_sqlite_derived_compare(store_backend_t *b, strv_t *problems);
/* The connection of a sqlite store, NULL on another engine: for the report's figures
 * (store_view.c), which read the tables with SQL of their own. */
struct sqlite3 *store_sqlite_conn(store_t *s);
extern const store_ops_t store_pg_ops;
int store_pg_check_layout(const char *target, char **err); /* store_check_layout, PostgreSQL */

#endif
