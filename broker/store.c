/*
 * store: the sqlite implementation of store.h.
 *
 * Every statement is prepared once at open and reset after use. Durability comes from WAL
 * with synchronous=FULL: sqlite fsyncs the WAL on every commit, so a committed batch survives
 * a crash or power loss; group commit (many events in one transaction) is what makes that
 * affordable.
 *
 * A full disk: sqlite answers SQLITE_FULL (or an I/O error with ENOSPC) on a statement that
 * spills pages, on COMMIT (where WAL frames are written) or on a checkpoint (where the
 * database file grows). After such an error sqlite may have rolled the whole transaction back
 * by itself (sqlite3_get_autocommit says so), so writes are refused from then on until the
 * caller ends the transaction: a later statement must never run in autocommit mode and commit
 * alone. Either way the caller rolls back and nothing of the batch is acked. The condition is
 * logged once when it starts and once when a commit writes again (store_full), not per
 * statement. A failed checkpoint leaves the WAL as it was; the next commit retries it.
 */
#include "store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "codec.h"
#include "crashpoint.h"
#include "log.h"
#include "sqlx.h"

#define STORE_SCHEMA_VERSION "3"
#define STORE_PAGE_MAX 1000

enum stmt_id {
    ST_APPEND,
    ST_FIND_EVENT,
    ST_ENTRY_GET,
    ST_ENTRIES,
    ST_WALK,
    ST_DEPT_GET,
    ST_DEPT_PUT,
    ST_TEMPLATE_PUT,
    ST_TEMPLATE_FIND,
    ST_TEMPLATE_LATEST,
    ST_PROJECT_GET,
    ST_PROJECT_PUT,
    ST_PROCS_LOAD,
    ST_PROC_PUT,
    ST_MILESTONE_PUT,
    ST_MILESTONES_LIST,
    ST_PROJCLOCK_GET,
    ST_PROJCLOCK_PUT,
    ST_DUE_PROCS,
    ST_DUE_PROJECTS,
    ST_NEXT_PROC,
    ST_NEXT_PROJECT,
    ST_PROVISIONAL,
    ST_COLOURS,
    ST_BLOCKED_LIST,
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST__COUNT
};

/* The columns of a procedure row, in the order store_proc_t is read and written. */
#define PROC_COLUMNS                                                                               \
    "code, dept, state, deficient, cert, updated_seq, updated_ms, accepted_ms, extended,"          \
    " deadline, statutory, provisional, paused_on, colour, commit_state, commit_due, missing,"     \
    " next_ms"
#define PROC_COLUMNS_P                                                                             \
    "x.code, x.dept, x.state, x.deficient, x.cert, x.updated_seq, x.updated_ms, x.accepted_ms,"    \
    " x.extended, x.deadline, x.statutory, x.provisional, x.paused_on, x.colour, x.commit_state,"  \
    " x.commit_due, x.missing, x.next_ms"

static const char *const stmt_sql[ST__COUNT] = {
    [ST_APPEND] = "INSERT INTO log(seq, event_id, kind, actor, dept, project, procedure, recv_ms,"
                  " event_ms, cause, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [ST_FIND_EVENT] = "SELECT seq FROM log WHERE event_id = ?1",
    [ST_ENTRY_GET] = "SELECT body FROM log WHERE seq = ?1",
    [ST_ENTRIES] = "SELECT body FROM log WHERE seq > ?1 AND (?2 IS NULL OR project = ?2)"
                   " AND (?3 IS NULL OR dept = ?3) AND (?4 IS NULL OR kind = ?4)"
                   " AND recv_ms >= ?5 ORDER BY seq LIMIT ?6",
    [ST_WALK] = "SELECT body FROM log WHERE seq > ?1 ORDER BY seq LIMIT 1000",
    [ST_DEPT_GET] = "SELECT name, contact FROM departments WHERE code = ?1",
    [ST_DEPT_PUT] = "INSERT OR REPLACE INTO departments(code, name, contact, seq)"
                    " VALUES (?1, ?2, ?3, ?4)",
    [ST_TEMPLATE_PUT] = "INSERT INTO templates(name, version, seq) VALUES (?1, ?2, ?3)",
    [ST_TEMPLATE_FIND] = "SELECT version, seq FROM templates WHERE name = ?1 AND version = ?2",
    [ST_TEMPLATE_LATEST] = "SELECT version, seq FROM templates WHERE name = ?1"
                           " ORDER BY version DESC LIMIT 1",
    [ST_PROJECT_GET] = "SELECT name, region, industry, company, steward, leader, template,"
                       " template_version FROM projects WHERE id = ?1",
    [ST_PROJECT_PUT] = "INSERT INTO projects(id, name, region, industry, company, steward, leader,"
                       " template, template_version, seq) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
    [ST_PROCS_LOAD] = "SELECT " PROC_COLUMNS " FROM procedures WHERE project = ?1 ORDER BY ordinal",
    /* An update in place: a delete and insert (REPLACE) would churn the indexes. */
    [ST_PROC_PUT] = "INSERT INTO procedures(project, ordinal, " PROC_COLUMNS ")"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
                    " ?16, ?17, ?18, ?19, ?20)"
                    " ON CONFLICT(project, ordinal) DO UPDATE SET dept = excluded.dept,"
                    " state = excluded.state, deficient = excluded.deficient,"
                    " cert = excluded.cert, updated_seq = excluded.updated_seq,"
                    " updated_ms = excluded.updated_ms, accepted_ms = excluded.accepted_ms,"
                    " extended = excluded.extended, deadline = excluded.deadline,"
                    " statutory = excluded.statutory, provisional = excluded.provisional,"
                    " paused_on = excluded.paused_on, colour = excluded.colour,"
                    " commit_state = excluded.commit_state,"
                    " commit_due = excluded.commit_due, missing = excluded.missing,"
                    " next_ms = excluded.next_ms",

    [ST_MILESTONE_PUT] = "INSERT OR IGNORE INTO milestones(project, code, seq) VALUES (?1, ?2, ?3)",
    [ST_MILESTONES_LIST] = "SELECT code FROM milestones WHERE project = ?1 ORDER BY seq",
    [ST_PROJCLOCK_GET] = "SELECT due, colour, next_ms FROM projects WHERE id = ?1",
    [ST_PROJCLOCK_PUT] = "UPDATE projects SET due = ?2, colour = ?3, next_ms = ?4 WHERE id = ?1",
    [ST_DUE_PROCS] = "SELECT project, code FROM procedures WHERE next_ms > 0 AND next_ms <= ?1"
                     " ORDER BY next_ms LIMIT ?2",
    [ST_DUE_PROJECTS] = "SELECT id FROM projects WHERE next_ms > 0 AND next_ms <= ?1"
                        " ORDER BY next_ms LIMIT ?2",
    [ST_NEXT_PROC] = "SELECT MIN(next_ms) FROM procedures WHERE next_ms > 0",
    [ST_NEXT_PROJECT] = "SELECT MIN(next_ms) FROM projects WHERE next_ms > 0",
    [ST_PROVISIONAL] = "SELECT DISTINCT project FROM procedures WHERE provisional = 1"
                       " AND accepted_ms > 0 ORDER BY project",
    [ST_COLOURS] = "SELECT p.id, p.name, p.region, p.industry, p.company, p.steward, p.leader,"
                   " p.template, p.template_version, " PROC_COLUMNS_P " FROM procedures x"
                   " JOIN projects p ON p.id = x.project"
                   " WHERE (?1 IS NULL AND x.colour IN ('red', 'yellow') OR x.colour = ?1)"
                   " AND (?2 IS NULL OR x.dept = ?2) AND (?3 IS NULL OR p.region = ?3)"
                   " AND (?4 IS NULL OR p.id = ?4)"
                   " ORDER BY x.colour = 'red' DESC, x.deadline, p.id, x.ordinal",
    /* Transaction control, prepared once: every batch and every message use them. */
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT item",
    [ST_RELEASE] = "RELEASE item",
    [ST_ROLLBACK_TO] = "ROLLBACK TO item",
    [ST_BLOCKED_LIST] = "SELECT p.id, p.name, p.region, p.industry, p.company, p.steward,"
                        " p.leader, p.template, p.template_version, " PROC_COLUMNS_P
                        " FROM procedures x JOIN projects p ON p.id = x.project"
                        " WHERE x.state = 'blocked' AND (?1 IS NULL OR p.region = ?1)"
                        " AND (?2 IS NULL OR p.id = ?2) ORDER BY p.id, x.ordinal",
};

/* The log: the only table that is not derived. */
static const char log_schema_sql[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS log("
    " seq INTEGER PRIMARY KEY, event_id TEXT UNIQUE, kind TEXT NOT NULL, actor TEXT NOT NULL,"
    " dept TEXT, project TEXT, procedure TEXT, recv_ms INTEGER NOT NULL, event_ms INTEGER,"
    " cause INTEGER, body BLOB NOT NULL);"
    "CREATE INDEX IF NOT EXISTS log_project ON log(project, seq);"
    "CREATE INDEX IF NOT EXISTS log_kind ON log(kind, seq);";

/* The derived tables, recomputed from the log whenever their layout changes. */
static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS departments(code TEXT PRIMARY KEY, name TEXT NOT NULL,"
    " contact TEXT, seq INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS templates(name TEXT NOT NULL, version INTEGER NOT NULL,"
    " seq INTEGER NOT NULL, PRIMARY KEY(name, version));"
    "CREATE TABLE IF NOT EXISTS projects(id TEXT PRIMARY KEY, name TEXT NOT NULL, region TEXT,"
    " industry TEXT, company TEXT, steward TEXT, leader TEXT, template TEXT NOT NULL,"
    " template_version INTEGER NOT NULL, seq INTEGER NOT NULL, due INTEGER NOT NULL DEFAULT 0,"
    " colour TEXT NOT NULL DEFAULT 'none', next_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS projects_next ON projects(next_ms) WHERE next_ms > 0;"
    "CREATE TABLE IF NOT EXISTS procedures(project TEXT NOT NULL, code TEXT NOT NULL,"
    " ordinal INTEGER NOT NULL, dept TEXT NOT NULL, state TEXT NOT NULL,"
    " deficient INTEGER NOT NULL, cert TEXT, updated_seq INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL, accepted_ms INTEGER NOT NULL, extended INTEGER NOT NULL,"
    " deadline INTEGER NOT NULL, statutory INTEGER NOT NULL, provisional INTEGER NOT NULL,"
    " paused_on INTEGER NOT NULL, colour TEXT NOT NULL, commit_state INTEGER NOT NULL,"
    " commit_due INTEGER NOT NULL, missing TEXT, next_ms INTEGER NOT NULL,"
    " PRIMARY KEY(project, ordinal)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS procedures_next ON procedures(next_ms) WHERE next_ms > 0;"
    "CREATE INDEX IF NOT EXISTS procedures_colour ON procedures(colour, deadline)"
    " WHERE colour IN ('red', 'yellow');"
    "CREATE TABLE IF NOT EXISTS milestones(project TEXT NOT NULL, code TEXT NOT NULL,"
    " seq INTEGER NOT NULL, PRIMARY KEY(project, code));";

/* What a change of the derived tables' layout drops; the log stays. */
static const char drop_derived_sql[] =
    "DROP TABLE IF EXISTS departments; DROP TABLE IF EXISTS templates;"
    "DROP TABLE IF EXISTS projects; DROP TABLE IF EXISTS procedures;"
    "DROP TABLE IF EXISTS milestones;";

/* The tables a rebuild recomputes from the log. */
static const char clear_sql[] = "DELETE FROM departments; DELETE FROM templates;"
                                "DELETE FROM projects; DELETE FROM procedures;"
                                "DELETE FROM milestones;";

/*
 * A cache of procedure rows by project: every event reads its project's rows, and reading
 * them back from sqlite was the largest cost per event. A change to a cached row (or to a
 * project's clock) is kept in the cache, marked dirty, and written to sqlite once, before
 * whatever needs it there: the COMMIT, a statement that reads those tables, or the cache
 * filling up. An event usually changes the same row twice (its state, then its clock), a
 * batch often changes one project several times, and a rebuild, one long transaction, many
 * times: each is one write now. A rollback or a rebuild empties the cache, dirty rows
 * included, since sqlite undoes what they stand for. A ROLLBACK TO cannot undo the cache: it
 * keeps it when nothing in it changed since the savepoint (a refused event changes nothing:
 * the engine validates before it writes) and otherwise empties it and fails, so the caller
 * fails the whole transaction. Bounded: when full it is written back and emptied, and fills
 * again with the projects in use.
 */
#define PCACHE_SLOTS 16384 /* a power of two */
#define PCACHE_MAX 8192    /* projects cached at most */

#define PCACHE_DIRTY_MAX 64 /* rows of a project that can be held dirty (bits of .dirty) */

typedef struct pcache_entry {
    char *project; /* NULL: a free slot */
    store_proc_t *procs;
    size_t n;
    uint64_t dirty;          /* bit i: procs[i] changed since it was written */
    pm_project_t info;       /* the project's row, once read (has_info) */
    store_projclock_t clock; /* the project's own clock, once read (has_clock) */
    bool has_info, has_clock;
    bool clock_dirty; /* clock changed since it was written */
} pcache_entry_t;

typedef struct pcache {
    pcache_entry_t *slots;
    size_t count;
    uint32_t *dirty; /* the slots of entries with something dirty, ndirty of them */
    size_t ndirty;
    uint64_t changes; /* counts every change of the cache's contents or of sqlite's rows by it */
} pcache_t;

struct store {
    sqlite3 *db;
    sqlite3_stmt *stmt[ST__COUNT];
    bool in_tx;
    uint64_t head;              /* last appended */
    uint64_t committed_head;    /* last committed */
    uint64_t savepoint_head;    /* head when the open savepoint was taken */
    uint64_t savepoint_changes; /* pcache.changes then */
    bool needs_rebuild;         /* the derived tables were laid out anew: empty until rebuilt */
    int wal_frames;             /* frames in the WAL after the last commit (the WAL hook) */
    bool wal_written;           /* the last commit wrote WAL frames (the WAL hook ran) */
    char *path;
    bool full;             /* the last write failed for want of space */
    bool checkpoint_full;  /* the last checkpoint failed for want of space */
    int64_t full_since_ms; /* wall clock: when the disk was found full */
    bool tx_lost_logged;   /* the auto-rollback of this transaction was logged */
    bool opened;           /* store_open is done: a full disk is logged, not returned */
    pcache_t pcache;       /* procedure rows of recently used projects, written through */
};

static void pcache_flush(pcache_t *c);
static int pcache_writeback(store_t *s);
static int proc_write(store_t *s, const char *project, const store_proc_t *p, int ordinal);
static int projclock_write(store_t *s, const char *project, const store_projclock_t *c);
static pcache_entry_t *pcache_find(pcache_t *c, const char *project);

/* sqlite tells how long the WAL is after each commit; the broker checkpoints from that. */
static int
on_wal_commit(void *arg, sqlite3 *db, const char *name, int frames)
{
    store_t *s = arg;

    (void)db;
    (void)name;
    s->wal_frames = frames;
    s->wal_written = true;
    return SQLITE_OK;
}

/* True when rc (a failed call) means the disk holding the database is full. */
static bool
rc_full(sqlite3 *db, int rc)
{
    return (rc & 0xff) == SQLITE_FULL ||
           ((rc & 0xff) == SQLITE_IOERR && sqlite3_system_errno(db) == ENOSPC);
}

/* A failed write: a full disk is logged when it starts, anything else every time. */
static void
write_failed(store_t *s, int rc, const char *what)
{
    if (!rc_full(s->db, rc)) {
        log_warnx("store: %s: %s", what, sqlite3_errmsg(s->db));
        return;
    }
    if (!s->full) {
        s->full = true;
        s->full_since_ms = util_now_ms();
        if (s->opened)
            log_warnx("store: %s: the disk is full (%s): events are refused with \"storage\" "
                      "(resend later) and nothing is acked until space returns",
                      s->path, sqlite3_errmsg(s->db));
    }
}

/* A commit wrote to the WAL again: the end of a full disk, logged once. */
static void
write_succeeded(store_t *s)
{
    if (!s->full || !s->wal_written)
        return;
    s->full = false;
    log_info("store: %s: writable again after %.1f s of a full disk; events are acked again",
             s->path, (double)(util_now_ms() - s->full_since_ms) / 1000.0);
}

/*
 * Run a statement that returns no rows, reset it. Inside a transaction that sqlite has rolled
 * back by itself after an error, nothing runs: it would commit alone (autocommit).
 */
static int
step_done(store_t *s, sqlite3_stmt *st)
{
    int rc;

    if (s->in_tx && sqlite3_get_autocommit(s->db) != 0) {
        if (!s->tx_lost_logged && !s->full)
            log_warnx("store: sqlite rolled the transaction back after an error; nothing more "
                      "is written until it ends");
        s->tx_lost_logged = true;
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return -1;
    }
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) {
        rc = sqlite3_reset(st); /* the statement's own error code */
        write_failed(s, rc, sqlite3_sql(st));
    } else {
        sqlite3_reset(st);
    }
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* sqlite3_exec, with a full disk noted instead of logged (store_open says it once). */
static int
exec_sql(store_t *s, const char *sql)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

    if (rc == SQLITE_OK)
        return 0;
    write_failed(s, rc, sql);
    return -1;
}

static int
store_fail(store_t *s, const char *what)
{
    log_warnx("store: %s: %s", what, sqlite3_errmsg(s->db));
    return -1;
}

/* Borrow a prepared statement, reset and unbound. */
static sqlite3_stmt *
stmt(store_t *s, enum stmt_id id)
{
    sqlite3_stmt *st = s->stmt[id];
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

/* The schema version the derived tables were made with, or NULL (caller owns). */
static char *
schema_version(store_t *s)
{
    sqlite3_stmt *st = NULL;
    char *v = NULL;

    if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'schema'", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlx_column_text(st, 0);
    sqlite3_finalize(st);
    return v;
}

/*
 * Create the tables. When the derived tables were made by another layout, drop and recreate
 * them: they are a function of the log, and the broker rebuilds them (store_needs_rebuild).
 */
static int
setup_schema(store_t *s)
{
    char *version;
    bool same;

    if (exec_sql(s, log_schema_sql) < 0)
        return -1;
    version = schema_version(s);
    same = version != NULL && strcmp(version, STORE_SCHEMA_VERSION) == 0;
    free(version);
    if (same)
        return exec_sql(s, schema_sql);
    if (exec_sql(s, "BEGIN IMMEDIATE") < 0)
        return -1;
    if (exec_sql(s, drop_derived_sql) < 0 || exec_sql(s, schema_sql) < 0 ||
        exec_sql(s,
                 "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema', '" STORE_SCHEMA_VERSION
                 "')") < 0 ||
        exec_sql(s, "COMMIT") < 0) {
        exec_sql(s, "ROLLBACK");
        return -1;
    }
    s->needs_rebuild = true;
    return 0;
}

bool
store_needs_rebuild(const store_t *s)
{
    return s->needs_rebuild;
}

sqlite3 *
store_db(store_t *s)
{
    return s->db;
}

/* Open a connection: read-write (setting up the schema) or read-only (a reader beside a
 * running broker, which must have laid the tables out already). */
static store_t *
store_open_mode(const char *path, bool readonly, char **err)
{
    store_t *s = xcalloc(1, sizeof(*s));
    sqlite3_stmt *st = NULL;
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    char *version = NULL;

    s->path = xstrdup(path);
    /* One thread owns the connection: no per-call mutex (NOMUTEX). */
    if (sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        *err = xasprintf("%s: %s", path, s->db ? sqlite3_errmsg(s->db) : "cannot open");
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 5000);
    if (readonly) {
        version = schema_version(s);
        if (version == NULL || strcmp(version, STORE_SCHEMA_VERSION) != 0) {
            *err = xasprintf("%s: not a permitd database of this version (start permitd on it "
                             "once)",
                             path);
            goto fail;
        }
    } else if (exec_sql(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                           /* 16 MiB of page cache: a city's state stays in memory. */
                           " PRAGMA cache_size=-16384;"
                           /* Checkpoints run after the acks (store_checkpoint), not in a commit. */
                           " PRAGMA wal_autocheckpoint=0;") < 0 ||
               setup_schema(s) < 0) {
        *err = xasprintf("%s: cannot set up the database: %s", path, sqlite3_errmsg(s->db));
        goto fail;
    }
    if (!readonly)
        sqlite3_wal_hook(s->db, on_wal_commit, s);
    CRASHPOINT_DB_OPENED(s->db); /* test builds: PERMIT_TEST_SYNCHRONOUS */
    for (int i = 0; i < ST__COUNT; i++) {
        if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[i],
                               NULL) != SQLITE_OK) {
            *err = xasprintf("%s: %s", path, sqlite3_errmsg(s->db));
            goto fail;
        }
    }
    if (sqlite3_prepare_v2(s->db, "SELECT COALESCE(MAX(seq), 0) FROM log", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        *err = xasprintf("%s: %s", path, sqlite3_errmsg(s->db));
        goto fail;
    }
    s->head = s->committed_head = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    free(version);
    s->opened = true;
    return s;
fail:
    if (s->db != NULL && (s->full || rc_full(s->db, sqlite3_extended_errcode(s->db)))) {
        free(*err);
        *err = xasprintf("%s: the disk is full (%s): cannot open the database; free space, then "
                         "start again",
                         path, sqlite3_errmsg(s->db));
    }
    free(version);
    sqlite3_finalize(st);
    store_close(&s);
    return NULL;
}

store_t *
store_open(const char *path, char **err)
{
    return store_open_mode(path, false, err);
}

store_t *
store_open_readonly(const char *path, char **err)
{
    return store_open_mode(path, true, err);
}

void
store_close(store_t **p)
{
    store_t *s = p ? *p : NULL;

    if (s == NULL)
        return;
    if (s->in_tx)
        store_rollback(s);
    pcache_flush(&s->pcache);
    free(s->pcache.slots);
    free(s->pcache.dirty);
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(s->stmt[i]);
    sqlite3_close(s->db);
    free(s->path);
    free(s);
    *p = NULL;
}

int
store_begin(store_t *s)
{
    if (step_done(s, stmt(s, ST_BEGIN)) < 0)
        return -1;
    s->in_tx = true;
    s->tx_lost_logged = false;
    return 0;
}

int
store_commit(store_t *s)
{
    /* SQLITE_FULL on COMMIT may leave the transaction open or rolled back: either way it
     * is rolled back here, and the WAL frames it wrote count for nothing (no commit frame). */
    s->wal_written = false;
    if (pcache_writeback(s) < 0 || step_done(s, stmt(s, ST_COMMIT)) < 0) {
        store_rollback(s);
        return -1;
    }
    s->in_tx = false;
    s->committed_head = s->head;
    write_succeeded(s);
    return 0;
}

int
store_rollback(store_t *s)
{
    int rc = 0;

    pcache_flush(&s->pcache); /* it may hold rows the rollback undoes */
    if (sqlite3_get_autocommit(s->db) == 0)
        rc = step_done(s, stmt(s, ST_ROLLBACK));
    s->in_tx = false;
    s->head = s->committed_head;
    return rc;
}

bool
store_in_transaction(const store_t *s)
{
    return s->in_tx;
}

int
store_savepoint(store_t *s)
{
    s->savepoint_head = s->head;
    s->savepoint_changes = s->pcache.changes;
    return step_done(s, stmt(s, ST_SAVEPOINT));
}

int
store_release(store_t *s)
{
    return step_done(s, stmt(s, ST_RELEASE));
}

int
store_rollback_to(store_t *s)
{
    bool cache_stale = s->pcache.changes != s->savepoint_changes;

    s->head = s->savepoint_head;
    if (cache_stale)
        pcache_flush(&s->pcache); /* it changed since: what it holds dirty may be lost */
    if (step_done(s, stmt(s, ST_ROLLBACK_TO)) < 0 || step_done(s, stmt(s, ST_RELEASE)) < 0)
        return -1;
    if (cache_stale) {
        log_warnx("store: a rollback to a savepoint after the cache changed: the transaction "
                  "must be rolled back whole");
        return -1;
    }
    return 0;
}

int
store_checkpoint(store_t *s, int min_frames)
{
    int rc;

    if (s->in_tx || s->wal_frames < min_frames)
        return 0;
    s->wal_frames = 0;
    CRASHPOINT_SCOPE("checkpoint"); /* test builds: passes before, at each write, after */
    /* On a full disk the database file cannot grow: the WAL keeps every frame (the log is
     * safe in it) and the next commit tries again. Said once, and once when it works again. */
    rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    if (rc != SQLITE_OK) {
        if (!rc_full(s->db, rc))
            log_warnx("store: checkpoint: %s", sqlite3_errmsg(s->db));
        else if (!s->checkpoint_full)
            log_warnx("store: %s: checkpoint: the disk is full (%s); the WAL keeps the frames "
                      "until space returns",
                      s->path, sqlite3_errmsg(s->db));
        s->checkpoint_full = rc_full(s->db, rc);
        return -1;
    }
    if (s->checkpoint_full)
        log_info("store: %s: checkpoints work again", s->path);
    s->checkpoint_full = false;
    return 0;
}

bool
store_full(const store_t *s)
{
    return s->full;
}

uint64_t
store_head(const store_t *s)
{
    return s->head;
}

uint64_t
store_committed_head(const store_t *s)
{
    return s->committed_head;
}

int
store_append(store_t *s, pm_entry_t *e)
{
    sqlite3_stmt *st = stmt(s, ST_APPEND);
    uint8_t *body = NULL;
    size_t len = 0;
    int rc;

    e->seq = s->head + 1;
    if (codec_encode_entry(e, &body, &len) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)e->seq);
    sqlx_bind_text(st, 2, e->event_id);
    sqlx_bind_text(st, 3, pm_kind_name(e->kind));
    sqlx_bind_text(st, 4, e->actor ? e->actor : "broker");
    sqlx_bind_text(st, 5, e->dept);
    sqlx_bind_text(st, 6, e->project);
    sqlx_bind_text(st, 7, e->procedure);
    sqlite3_bind_int64(st, 8, e->recv_ms);
    if (e->event_ms != 0)
        sqlite3_bind_int64(st, 9, e->event_ms);
    if (e->cause != 0)
        sqlite3_bind_int64(st, 10, (sqlite3_int64)e->cause);
    sqlite3_bind_blob(st, 11, body, (int)len, SQLITE_STATIC);
    rc = step_done(s, st);
    free(body);
    if (rc == 0)
        s->head = e->seq;
    return rc;
}

int
store_find_event(store_t *s, const char *event_id, uint64_t *seq)
{
    sqlite3_stmt *st = stmt(s, ST_FIND_EVENT);
    int rc;

    sqlx_bind_text(st, 1, event_id);
    rc = sqlx_step_row(st, "store");
    if (rc == 1) {
        *seq = (uint64_t)sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
    }
    return rc;
}

/* Decode the body column of the current row. */
static int
row_entry(store_t *s, sqlite3_stmt *st, pm_entry_t **out)
{
    char why[256];
    const void *blob = sqlite3_column_blob(st, 0);
    int len = sqlite3_column_bytes(st, 0);

    if (codec_decode_entry(blob, (size_t)len, out, why, sizeof(why)) < 0) {
        log_warnx("store: undecodable log entry: %s", why);
        (void)s;
        return -1;
    }
    return 0;
}

int
store_entry_get(store_t *s, uint64_t seq, pm_entry_t **out)
{
    sqlite3_stmt *st = stmt(s, ST_ENTRY_GET);
    int rc;

    sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
    rc = sqlx_step_row(st, "store");
    if (rc == 1) {
        rc = row_entry(s, st, out) < 0 ? -1 : 1;
        sqlite3_reset(st);
    }
    return rc;
}

int
store_entries(store_t *s, const pm_query_t *q, pm_page_t *page)
{
    sqlite3_stmt *st = stmt(s, ST_ENTRIES);
    uint32_t limit = q->limit == 0 || q->limit > STORE_PAGE_MAX ? STORE_PAGE_MAX : q->limit;
    int rc;

    sqlite3_bind_int64(st, 1, (sqlite3_int64)q->after);
    sqlx_bind_text(st, 2, util_empty(q->project) ? NULL : q->project);
    sqlx_bind_text(st, 3, util_empty(q->dept) ? NULL : q->dept);
    sqlx_bind_text(st, 4, util_empty(q->kind) ? NULL : q->kind);
    sqlite3_bind_int64(st, 5, q->since_ms);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)limit + 1);
    page->head = s->committed_head;
    page->more = false;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        pm_entry_t *e = NULL;
        if (page->n == limit) {
            page->more = true;
            continue;
        }
        if (row_entry(s, st, &e) < 0) {
            sqlite3_reset(st);
            return -1;
        }
        pm_page_add(page, &e);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : store_fail(s, "entries");
}

int
store_walk(store_t *s, store_walk_fn *fn, void *arg)
{
    uint64_t after = 0;

    for (;;) {
        sqlite3_stmt *st = stmt(s, ST_WALK);
        int rc, rows = 0;

        sqlite3_bind_int64(st, 1, (sqlite3_int64)after);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            pm_entry_t *e = NULL;
            if (row_entry(s, st, &e) < 0 || fn(arg, e) < 0) {
                pm_entry_destroy(&e);
                sqlite3_reset(st);
                return -1;
            }
            after = e->seq;
            pm_entry_destroy(&e);
            rows++;
        }
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return store_fail(s, "walk");
        if (rows == 0)
            return 0;
    }
}

int
store_clear_derived(store_t *s)
{
    pcache_flush(&s->pcache);
    return exec_sql(s, clear_sql);
}

int
store_dept_get(store_t *s, const char *code, pm_department_t *out)
{
    sqlite3_stmt *st = stmt(s, ST_DEPT_GET);
    int rc;

    sqlx_bind_text(st, 1, code);
    rc = sqlx_step_row(st, "store");
    if (rc == 1) {
        out->code = xstrdup(code);
        out->name = sqlx_column_text(st, 0);
        out->contact = sqlx_column_text(st, 1);
        sqlite3_reset(st);
    }
    return rc;
}

int
store_dept_put(store_t *s, const pm_department_t *d, uint64_t seq)
{
    sqlite3_stmt *st = stmt(s, ST_DEPT_PUT);

    sqlx_bind_text(st, 1, d->code);
    sqlx_bind_text(st, 2, d->name);
    sqlx_bind_text(st, 3, d->contact);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)seq);
    return step_done(s, st);
}

int
store_template_put(store_t *s, const char *name, uint32_t version, uint64_t seq)
{
    sqlite3_stmt *st = stmt(s, ST_TEMPLATE_PUT);

    sqlx_bind_text(st, 1, name);
    sqlite3_bind_int64(st, 2, version);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)seq);
    return step_done(s, st);
}

int
store_template_find(store_t *s, const char *name, uint32_t version, uint32_t *out_version,
                    uint64_t *seq)
{
    sqlite3_stmt *st = stmt(s, version == 0 ? ST_TEMPLATE_LATEST : ST_TEMPLATE_FIND);
    int rc;

    sqlx_bind_text(st, 1, name);
    if (version != 0)
        sqlite3_bind_int64(st, 2, version);
    rc = sqlx_step_row(st, "store");
    if (rc == 1) {
        *out_version = (uint32_t)sqlite3_column_int64(st, 0);
        *seq = (uint64_t)sqlite3_column_int64(st, 1);
        sqlite3_reset(st);
    }
    return rc;
}

int
store_project_get(store_t *s, const char *id, pm_project_t *out)
{
    pcache_entry_t *hit = pcache_find(&s->pcache, id);
    sqlite3_stmt *st;
    int rc;

    if (hit != NULL && hit->has_info) {
        pm_project_copy(out, &hit->info);
        return 1;
    }
    st = stmt(s, ST_PROJECT_GET);
    sqlx_bind_text(st, 1, id);
    rc = sqlx_step_row(st, "store");
    if (rc == 1) {
        out->id = xstrdup(id);
        out->name = sqlx_column_text(st, 0);
        out->region = sqlx_column_text(st, 1);
        out->industry = sqlx_column_text(st, 2);
        out->company = sqlx_column_text(st, 3);
        out->steward = sqlx_column_text(st, 4);
        out->leader = sqlx_column_text(st, 5);
        out->template_name = sqlx_column_text(st, 6);
        out->template_version = (uint32_t)sqlite3_column_int64(st, 7);
        sqlite3_reset(st);
        if (hit != NULL) {
            pm_project_copy(&hit->info, out);
            hit->has_info = true;
        }
    }
    return rc;
}

int
store_project_put(store_t *s, const pm_project_t *p, uint64_t seq)
{
    sqlite3_stmt *st = stmt(s, ST_PROJECT_PUT);
    pcache_entry_t *hit = pcache_find(&s->pcache, p->id);

    if (hit != NULL && hit->has_info) { /* read again when next asked */
        pm_project_clear(&hit->info);
        hit->has_info = false;
    }
    s->pcache.changes++;
    sqlx_bind_text(st, 1, p->id);
    sqlx_bind_text(st, 2, p->name);
    sqlx_bind_text(st, 3, p->region);
    sqlx_bind_text(st, 4, p->industry);
    sqlx_bind_text(st, 5, p->company);
    sqlx_bind_text(st, 6, p->steward);
    sqlx_bind_text(st, 7, p->leader);
    sqlx_bind_text(st, 8, p->template_name);
    sqlite3_bind_int64(st, 9, p->template_version);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)seq);
    return step_done(s, st);
}

/* Read a procedure row whose PROC_COLUMNS start at column `col`. */
static void
read_proc(sqlite3_stmt *st, int col, store_proc_t *p)
{
    memset(p, 0, sizeof(*p));
    p->code = sqlx_column_text(st, col);
    p->dept = sqlx_column_text(st, col + 1);
    if (pm_state_parse((const char *)sqlite3_column_text(st, col + 2), &p->state) < 0)
        p->state = PM_STATE_BLOCKED;
    p->deficient = sqlite3_column_int(st, col + 3) != 0;
    p->cert = sqlx_column_text(st, col + 4);
    p->updated_seq = (uint64_t)sqlite3_column_int64(st, col + 5);
    p->updated_ms = sqlite3_column_int64(st, col + 6);
    p->accepted_ms = sqlite3_column_int64(st, col + 7);
    p->extended = sqlite3_column_int(st, col + 8);
    p->deadline = sqlite3_column_int(st, col + 9);
    p->statutory = sqlite3_column_int(st, col + 10);
    p->provisional = sqlite3_column_int(st, col + 11) != 0;
    p->paused_on = sqlite3_column_int(st, col + 12);
    if (pm_colour_parse((const char *)sqlite3_column_text(st, col + 13), &p->colour) < 0)
        p->colour = PM_COLOUR_NONE;
    p->commit = (store_commit_t)sqlite3_column_int(st, col + 14);
    p->commit_due = sqlite3_column_int(st, col + 15);
    p->missing = sqlx_column_text(st, col + 16);
    p->next_ms = sqlite3_column_int64(st, col + 17);
}

static void
proc_copy(store_proc_t *dst, const store_proc_t *src)
{
    *dst = *src;
    dst->code = xstrdup(src->code);
    dst->dept = xstrdup(src->dept);
    dst->cert = xstrdup(src->cert);
    dst->missing = xstrdup(src->missing);
}

static store_proc_t *
procs_copy(const store_proc_t *src, size_t n)
{
    store_proc_t *v = xcalloc(n ? n : 1, sizeof(*v));

    for (size_t i = 0; i < n; i++)
        proc_copy(&v[i], &src[i]);
    return v;
}

static void
pcache_flush(pcache_t *c)
{
    if (c->slots == NULL)
        return;
    for (size_t i = 0; i < PCACHE_SLOTS; i++) {
        if (c->slots[i].project != NULL) {
            free(c->slots[i].project);
            store_procs_free(c->slots[i].procs, c->slots[i].n);
            pm_project_clear(&c->slots[i].info);
        }
    }
    memset(c->slots, 0, PCACHE_SLOTS * sizeof(pcache_entry_t));
    c->count = 0;
    c->ndirty = 0;
    c->changes++;
}

static size_t
pcache_hash(const char *key)
{
    size_t h = 1469598103934665603ULL;

    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h & (PCACHE_SLOTS - 1);
}

/* The entry of a project, or NULL. Linear probing; nothing is ever deleted alone. */
static pcache_entry_t *
pcache_find(pcache_t *c, const char *project)
{
    if (c->slots == NULL)
        return NULL;
    for (size_t i = pcache_hash(project), k = 0; k < PCACHE_SLOTS;
         i = (i + 1) & (PCACHE_SLOTS - 1), k++) {
        if (c->slots[i].project == NULL)
            return NULL;
        if (strcmp(c->slots[i].project, project) == 0)
            return &c->slots[i];
    }
    return NULL;
}

/* Write every dirty row to sqlite. -1 when a write failed (the caller rolls back). */
static int
pcache_writeback(store_t *s)
{
    pcache_t *c = &s->pcache;

    while (c->ndirty > 0) {
        pcache_entry_t *e = &c->slots[c->dirty[c->ndirty - 1]];
        for (size_t k = 0; k < e->n; k++)
            if ((e->dirty >> k & 1) && proc_write(s, e->project, &e->procs[k], (int)k) < 0)
                return -1;
        if (e->clock_dirty && projclock_write(s, e->project, &e->clock) < 0)
            return -1;
        e->dirty = 0;
        e->clock_dirty = false;
        c->ndirty--;
    }
    return 0;
}

/* Entry e has something to write now: remember it, once. */
static void
pcache_mark(pcache_t *c, pcache_entry_t *e)
{
    if (e->dirty == 0 && !e->clock_dirty)
        c->dirty[c->ndirty++] = (uint32_t)(e - c->slots);
    c->changes++;
}

int
store_sync(store_t *s)
{
    return pcache_writeback(s);
}

static int
pcache_put(store_t *s, const char *project, const store_proc_t *procs, size_t n)
{
    pcache_t *c = &s->pcache;
    size_t i;

    if (c->slots == NULL) {
        c->slots = xcalloc(PCACHE_SLOTS, sizeof(pcache_entry_t));
        c->dirty = xcalloc(PCACHE_MAX, sizeof(uint32_t));
    }
    if (c->count >= PCACHE_MAX) {
        if (pcache_writeback(s) < 0)
            return -1;
        pcache_flush(c);
    }
    for (i = pcache_hash(project); c->slots[i].project != NULL; i = (i + 1) & (PCACHE_SLOTS - 1))
        ;
    c->slots[i].project = xstrdup(project);
    c->slots[i].procs = procs_copy(procs, n);
    c->slots[i].n = n;
    c->slots[i].dirty = 0;
    c->slots[i].has_info = c->slots[i].has_clock = c->slots[i].clock_dirty = false;
    memset(&c->slots[i].info, 0, sizeof(c->slots[i].info));
    c->count++;
    return 0;
}

int
store_procs_load(store_t *s, const char *project, store_proc_t **out, size_t *n)
{
    sqlite3_stmt *st;
    store_proc_t *procs = NULL;
    size_t count = 0;
    pcache_entry_t *hit = pcache_find(&s->pcache, project);
    int rc;

    if (hit != NULL) {
        *out = procs_copy(hit->procs, hit->n);
        *n = hit->n;
        return 0;
    }
    st = stmt(s, ST_PROCS_LOAD);
    sqlx_bind_text(st, 1, project);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        procs = xgrow(procs, count, sizeof(*procs));
        read_proc(st, 0, &procs[count++]);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        store_procs_free(procs, count);
        return store_fail(s, "procedures load");
    }
    if (count > 0 && pcache_put(s, project, procs, count) < 0) {
        store_procs_free(procs, count);
        return -1;
    }
    *out = procs;
    *n = count;
    return 0;
}

void
store_proc_clear(store_proc_t *p)
{
    free(p->code);
    free(p->dept);
    free(p->cert);
    free(p->missing);
    memset(p, 0, sizeof(*p));
}

void
store_procs_free(store_proc_t *procs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        store_proc_clear(&procs[i]);
    free(procs);
}

/* The row of procedure `ordinal` of project, written to sqlite. */
static int
proc_write(store_t *s, const char *project, const store_proc_t *p, int ordinal)
{
    sqlite3_stmt *st = stmt(s, ST_PROC_PUT);

    s->pcache.changes++; /* a row a later read may cache: see store_rollback_to */
    sqlx_bind_text(st, 1, project);
    sqlite3_bind_int(st, 2, ordinal);
    sqlx_bind_text(st, 3, p->code);
    sqlx_bind_text(st, 4, p->dept);
    sqlx_bind_text(st, 5, pm_state_name(p->state));
    sqlite3_bind_int(st, 6, p->deficient ? 1 : 0);
    sqlx_bind_text(st, 7, p->cert);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)p->updated_seq);
    sqlite3_bind_int64(st, 9, p->updated_ms);
    sqlite3_bind_int64(st, 10, p->accepted_ms);
    sqlite3_bind_int(st, 11, p->extended);
    sqlite3_bind_int(st, 12, p->deadline);
    sqlite3_bind_int(st, 13, p->statutory);
    sqlite3_bind_int(st, 14, p->provisional ? 1 : 0);
    sqlite3_bind_int(st, 15, p->paused_on);
    sqlx_bind_text(st, 16, pm_colour_name(p->colour));
    sqlite3_bind_int(st, 17, (int)p->commit);
    sqlite3_bind_int(st, 18, p->commit_due);
    sqlx_bind_text(st, 19, p->missing);
    sqlite3_bind_int64(st, 20, p->next_ms);
    return step_done(s, st);
}

int
store_proc_put(store_t *s, const char *project, const store_proc_t *p, int ordinal)
{
    pcache_entry_t *hit = pcache_find(&s->pcache, project);

    if (hit == NULL)
        return proc_write(s, project, p, ordinal); /* not cached: written through */
    if (ordinal >= 0 && (size_t)ordinal < hit->n && ordinal < PCACHE_DIRTY_MAX &&
        strcmp(hit->procs[ordinal].code, p->code) == 0) {
        store_proc_clear(&hit->procs[ordinal]);
        proc_copy(&hit->procs[ordinal], p);
        pcache_mark(&s->pcache, hit);
        hit->dirty |= UINT64_C(1) << ordinal;
        return 0;
    }
    /* A row it does not hold: write what it holds, and start again. */
    if (pcache_writeback(s) < 0)
        return -1;
    pcache_flush(&s->pcache);
    return proc_write(s, project, p, ordinal);
}

int
store_projclock_get(store_t *s, const char *project, store_projclock_t *out)
{
    pcache_entry_t *hit = pcache_find(&s->pcache, project);
    sqlite3_stmt *st;
    int rc;

    if (hit != NULL && hit->has_clock) {
        *out = hit->clock;
        return 1;
    }
    st = stmt(s, ST_PROJCLOCK_GET);
    sqlx_bind_text(st, 1, project);
    rc = sqlx_step_row(st, "store");
    if (rc == 1) {
        out->due = sqlite3_column_int(st, 0);
        if (pm_colour_parse((const char *)sqlite3_column_text(st, 1), &out->colour) < 0)
            out->colour = PM_COLOUR_NONE;
        out->next_ms = sqlite3_column_int64(st, 2);
        sqlite3_reset(st);
        if (hit != NULL) {
            hit->clock = *out;
            hit->has_clock = true;
        }
    }
    return rc;
}

int
store_procs_create(store_t *s, const char *project, const store_proc_t *procs, size_t n)
{
    pcache_entry_t *e;

    if (n == 0 || n > PCACHE_DIRTY_MAX || pcache_find(&s->pcache, project) != NULL) {
        for (size_t i = 0; i < n; i++)
            if (store_proc_put(s, project, &procs[i], (int)i) < 0)
                return -1;
        return 0;
    }
    /* Held in the cache, dirty, and written with the project's later changes. */
    if (pcache_put(s, project, procs, n) < 0)
        return -1;
    e = pcache_find(&s->pcache, project);
    pcache_mark(&s->pcache, e);
    e->dirty = n == 64 ? ~UINT64_C(0) : (UINT64_C(1) << n) - 1;
    return 0;
}

/* The project's own clock, written to sqlite. */
static int
projclock_write(store_t *s, const char *project, const store_projclock_t *c)
{
    sqlite3_stmt *st = stmt(s, ST_PROJCLOCK_PUT);

    s->pcache.changes++;
    sqlx_bind_text(st, 1, project);
    sqlite3_bind_int(st, 2, c->due);
    sqlx_bind_text(st, 3, pm_colour_name(c->colour));
    sqlite3_bind_int64(st, 4, c->next_ms);
    return step_done(s, st);
}

int
store_projclock_put(store_t *s, const char *project, const store_projclock_t *c)
{
    pcache_entry_t *hit = pcache_find(&s->pcache, project);

    if (hit == NULL || !hit->has_clock)
        return projclock_write(s, project, c); /* not cached: written through */
    hit->clock = *c;
    pcache_mark(&s->pcache, hit);
    hit->clock_dirty = true;
    return 0;
}

/* Collect the text of column 0 (and 1, into second when not NULL) of every row. */
static int
collect(store_t *s, sqlite3_stmt *st, strv_t *first, strv_t *second, const char *what)
{
    int rc;

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        strv_push(first, (const char *)sqlite3_column_text(st, 0));
        if (second != NULL)
            strv_push(second, (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : store_fail(s, what);
}

int
store_clock_due(store_t *s, int64_t now_ms, size_t max, strv_t *projects, strv_t *procedures)
{
    sqlite3_stmt *st = stmt(s, ST_DUE_PROCS);
    size_t before = projects->n;

    if (pcache_writeback(s) < 0) /* the query reads the procedures table */
        return -1;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
    if (collect(s, st, projects, procedures, "clock due") < 0)
        return -1;
    if (projects->n - before >= max)
        return 0;
    st = stmt(s, ST_DUE_PROJECTS);
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)(max - (projects->n - before)));
    before = projects->n;
    if (collect(s, st, projects, NULL, "clock due projects") < 0)
        return -1;
    /* A project's own clock pairs with an empty procedure code. */
    for (size_t i = before; i < projects->n; i++)
        strv_push(procedures, "");
    return 0;
}

int
store_clock_next(store_t *s, int64_t *out_ms)
{
    int64_t best = 0;
    enum stmt_id ids[] = {ST_NEXT_PROC, ST_NEXT_PROJECT};

    if (pcache_writeback(s) < 0)
        return -1;
    for (size_t i = 0; i < ARRAY_LEN(ids); i++) {
        sqlite3_stmt *st = stmt(s, ids[i]);
        int rc = sqlx_step_row(st, "store");
        if (rc < 0)
            return -1;
        if (rc == 1) {
            int64_t v = sqlite3_column_int64(st, 0);
            if (v > 0 && (best == 0 || v < best))
                best = v;
            sqlite3_reset(st);
        }
    }
    *out_ms = best;
    return 0;
}

int
store_provisional_projects(store_t *s, strv_t *out)
{
    if (pcache_writeback(s) < 0)
        return -1;
    return collect(s, stmt(s, ST_PROVISIONAL), out, NULL, "provisional projects");
}

int
store_colour_walk(store_t *s, const pm_listreq_t *q, store_colour_fn *fn, void *arg)
{
    sqlite3_stmt *st = stmt(s, q->blocked ? ST_BLOCKED_LIST : ST_COLOURS);
    int rc;

    if (pcache_writeback(s) < 0)
        return -1;
    if (q->blocked) {
        /* Which department: the blocked one's or the one holding it, the engine decides. */
        sqlx_bind_text(st, 1, util_empty(q->region) ? NULL : q->region);
        sqlx_bind_text(st, 2, util_empty(q->project) ? NULL : q->project);
    } else {
        sqlx_bind_text(st, 1, util_empty(q->colour) ? NULL : q->colour);
        sqlx_bind_text(st, 2, util_empty(q->dept) ? NULL : q->dept);
        sqlx_bind_text(st, 3, util_empty(q->region) ? NULL : q->region);
        sqlx_bind_text(st, 4, util_empty(q->project) ? NULL : q->project);
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        pm_project_t p = {0};
        store_proc_t proc;
        int r;
        p.id = sqlx_column_text(st, 0);
        p.name = sqlx_column_text(st, 1);
        p.region = sqlx_column_text(st, 2);
        p.industry = sqlx_column_text(st, 3);
        p.company = sqlx_column_text(st, 4);
        p.steward = sqlx_column_text(st, 5);
        p.leader = sqlx_column_text(st, 6);
        p.template_name = sqlx_column_text(st, 7);
        p.template_version = (uint32_t)sqlite3_column_int64(st, 8);
        read_proc(st, 9, &proc);
        r = fn(arg, &p, &proc);
        pm_project_clear(&p);
        store_proc_clear(&proc);
        if (r < 0) {
            sqlite3_reset(st);
            return -1;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : store_fail(s, "colour walk");
}

int
store_milestone_put(store_t *s, const char *project, const char *code, uint64_t seq)
{
    sqlite3_stmt *st = stmt(s, ST_MILESTONE_PUT);

    sqlx_bind_text(st, 1, project);
    sqlx_bind_text(st, 2, code);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)seq);
    return step_done(s, st);
}

int
store_milestones_list(store_t *s, const char *project, strv_t *out)
{
    sqlite3_stmt *st = stmt(s, ST_MILESTONES_LIST);
    int rc;

    sqlx_bind_text(st, 1, project);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        strv_push(out, (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : store_fail(s, "milestones list");
}
