/*
 * store_sqlite: the embedded sqlite backend of store_backend.h, the default.
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
#include "store_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crashpoint.h"
#include "i18n.h"
#include "log.h"
#include "sqlx.h"
#include "walvfs.h"

#define STORE_PAGE_MAX 1000

/*
 * Bytes of statement journal held in memory before it spills to a file (single_threaded): 30
 * pages, against sqlite's 16. sqlite allocates this much at once for each savepoint that
 * journals a page, so it stays below the size allocators serve from their own pools (128 KiB:
 * 4 MiB made AddressSanitizer builds map and poison 4 MiB a savepoint, six times slower).
 */
#define STORE_STMTJRNL_SPILL (120 << 10)

/* The kind of a calendar entry (pm_kind_name(PM_KIND_CALENDAR)) as an SQL literal. */
#define LOG_CALENDAR "'calendar'"

enum stmt_id {
    ST_APPEND,
    ST_FIND_EVENT,
    ST_ENTRY_GET,
    ST_ENTRIES,
    ST_WALK,
    ST_CALENDARS,
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
    ST_CLOCK_NEXT,
    ST_LAST_SEQ,
    ST_LATEST_RECV,
    ST_PROVISIONAL,
    ST_COLOURS,
    ST_BLOCKED_LIST,
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST_DERIVED_MARK,
    ST_ZONE_PUT,
    ST__COUNT
};

static const char *const stmt_sql[ST__COUNT] = {
    [ST_APPEND] = "INSERT INTO log(seq, event_id, kind, actor, dept, project, procedure, recv_ms,"
                  " event_ms, cause, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [ST_FIND_EVENT] = "SELECT seq FROM log WHERE actor = ?1 AND event_id = ?2",
    [ST_ENTRY_GET] = "SELECT body FROM log WHERE seq = ?1",
    [ST_ENTRIES] = "SELECT body FROM log WHERE seq > ?1 AND (?2 IS NULL OR project = ?2)"
                   " AND (?3 IS NULL OR dept = ?3) AND (?4 IS NULL OR kind = ?4)"
                   " AND recv_ms >= ?5 ORDER BY seq LIMIT ?6",
    [ST_WALK] = "SELECT body FROM log WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    /* The literal, not a parameter, is what lets sqlite use the partial index log_calendar. */
    [ST_CALENDARS] = "SELECT body FROM log WHERE kind = " LOG_CALENDAR " AND seq > ?1"
                     " ORDER BY seq LIMIT ?2",
    [ST_DEPT_GET] = "SELECT name, contact FROM departments WHERE code = ?1",
    [ST_DEPT_PUT] = "INSERT OR REPLACE INTO departments(code, name, contact, seq)"
                    " VALUES (?1, ?2, ?3, ?4)",
    /* A replay meets templates the table has (engine_apply is idempotent). */
    [ST_TEMPLATE_PUT] = "INSERT OR IGNORE INTO templates(name, version, seq) VALUES (?1, ?2, ?3)",
    [ST_TEMPLATE_FIND] = "SELECT version, seq FROM templates WHERE name = ?1 AND version = ?2",
    [ST_TEMPLATE_LATEST] = "SELECT version, seq FROM templates WHERE name = ?1"
                           " ORDER BY version DESC LIMIT 1",
    [ST_PROJECT_GET] = "SELECT id, name, region, industry, company, steward, leader, template,"
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
    [ST_CLOCK_NEXT] = "SELECT MIN(m) FROM (SELECT MIN(next_ms) AS m FROM procedures"
                      " WHERE next_ms > 0 UNION ALL SELECT MIN(next_ms) FROM projects"
                      " WHERE next_ms > 0)",
    [ST_LAST_SEQ] = "SELECT COALESCE(MAX(seq), 0) FROM log",
    [ST_LATEST_RECV] = "SELECT COALESCE(MAX(recv_ms), 0) FROM log",
    [ST_PROVISIONAL] = "SELECT DISTINCT project FROM procedures WHERE provisional = 1"
                       " AND accepted_ms > 0 ORDER BY project",
    [ST_COLOURS] = "SELECT " PROJECT_COLUMNS_P ", " PROC_COLUMNS_P " FROM procedures x"
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
    [ST_DERIVED_MARK] = "INSERT OR REPLACE INTO meta(key, value)"
                        " VALUES ('derived', ?1), ('replay_from', ?2)",
    [ST_ZONE_PUT] = "INSERT OR REPLACE INTO meta(key, value) VALUES ('time_zone', ?1)",
    [ST_BLOCKED_LIST] = "SELECT " PROJECT_COLUMNS_P ", " PROC_COLUMNS_P
                        " FROM procedures x JOIN projects p ON p.id = x.project"
                        " WHERE x.state = 'blocked' AND (?1 IS NULL OR p.region = ?1)"
                        " AND (?2 IS NULL OR p.id = ?2) ORDER BY p.id, x.ordinal",
};

/* The columns of the log, as created and as migrated (log_migrate_sql). An event id is unique
 * per sender (the actor), not across senders: log_sender_event. */
#define LOG_COLUMNS_DDL                                                                            \
    "(seq INTEGER PRIMARY KEY, event_id TEXT, kind TEXT NOT NULL, actor TEXT NOT NULL,"            \
    " dept TEXT, project TEXT, procedure TEXT, recv_ms INTEGER NOT NULL, event_ms INTEGER,"        \
    " cause INTEGER, body BLOB NOT NULL)"

/* The log: the only table that is not derived. */
static const char log_schema_sql[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS log" LOG_COLUMNS_DDL ";"
    "CREATE UNIQUE INDEX IF NOT EXISTS log_sender_event ON log(actor, event_id);"
    /* No index on project or kind: a filtered read walks the log from its cursor by seq (what
     * sqlite's planner chooses for the optional filters of ST_ENTRIES anyway), and the two
     * indexes took 30 % of the broker's CPU per event (permit-bench 4x64: 3.1 -> 2.2 s per
     * 100,000 events). A database made before loses them here. */
    "DROP INDEX IF EXISTS log_project; DROP INDEX IF EXISTS log_kind;"
    /* The one kind read alone at every start (the calendar, engine_calendar_before), and rare:
     * without this index that read walked the whole log, 0.3-0.6 s at 2.2 M entries, ahead
     * of every replay. It costs an ordinary append nothing but the test of its kind. */
    "CREATE INDEX IF NOT EXISTS log_calendar ON log(seq) WHERE kind = " LOG_CALENDAR ";";

/*
 * A log made when event ids were unique across senders (event_id TEXT UNIQUE, which sqlite
 * keeps as the index sqlite_autoindex_log_1 and cannot drop alone): copied into a log of
 * today's layout. Its rows keep their meaning, since unique ids are unique per sender too.
 */
static const char log_is_old_sql[] = "SELECT 1 FROM sqlite_master WHERE type = 'index'"
                                     " AND tbl_name = 'log' AND name LIKE 'sqlite_autoindex_log%'";
static const char log_migrate_sql[] =
    "CREATE TABLE log_scoped" LOG_COLUMNS_DDL ";"
    "INSERT INTO log_scoped(seq, event_id, kind, actor, dept, project, procedure, recv_ms,"
    " event_ms, cause, body) SELECT seq, event_id, kind, actor, dept, project, procedure,"
    " recv_ms, event_ms, cause, body FROM log ORDER BY seq;"
    "DROP TABLE log; ALTER TABLE log_scoped RENAME TO log;"
    "CREATE UNIQUE INDEX log_sender_event ON log(actor, event_id);";

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

struct store_backend {
    sqlite3 *db;
    strpool_t *names; /* where procedure rows read intern their codes (store.h) */
    sqlite3_stmt *stmt[ST__COUNT];
    bool in_tx;
    uint64_t replay_from; /* at open: the first entry whose effect the tables may lack */
    int wal_frames;       /* frames in the WAL after the last commit (the WAL hook) */
    bool wal_written;     /* the last commit wrote WAL frames (the WAL hook ran) */
    char *path;
    bool full;             /* the last write failed for want of space */
    bool checkpoint_full;  /* the last checkpoint failed for want of space */
    int64_t full_since_ms; /* wall clock: when the disk was found full */
    bool tx_lost_logged;   /* the auto-rollback of this transaction was logged */
    bool opened;           /* open is done: a full disk is logged, not returned */
};

/* sqlite tells how long the WAL is after each commit; the broker checkpoints from that. */
static int
on_wal_commit(void *arg, sqlite3 *db, const char *name, int frames)
{
    store_backend_t *b = arg;

    (void)db;
    (void)name;
    b->wal_frames = frames;
    b->wal_written = true;
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
write_failed(store_backend_t *b, int rc, const char *what)
{
    if (!rc_full(b->db, rc)) {
        log_warnx(_("store: %s: %s"), what, sqlite3_errmsg(b->db));
        return;
    }
    if (!b->full) {
        b->full = true;
        b->full_since_ms = util_now_ms();
        if (b->opened)
            log_warnx(_("store: %s: the disk is full (%s): events are refused with \"storage\" "
                        "(resend later) and nothing is acked until space returns"),
                      b->path, sqlite3_errmsg(b->db));
    }
}

/* A commit wrote to the WAL again: the end of a full disk, logged once. */
static void
write_succeeded(store_backend_t *b)
{
    if (!b->full || !b->wal_written)
        return;
    b->full = false;
    log_info(_("store: %s: writable again after %.1f s of a full disk; events are acked again"),
             b->path, (double)(util_now_ms() - b->full_since_ms) / 1000.0);
}

/*
 * Run a statement that returns no rows, reset it. Inside a transaction that sqlite has rolled
 * back by itself after an error, nothing runs: it would commit alone (autocommit).
 */
static int
step_done(store_backend_t *b, sqlite3_stmt *st)
{
    int rc;

    if (b->in_tx && sqlite3_get_autocommit(b->db) != 0) {
        if (!b->tx_lost_logged && !b->full)
            log_warnx(_("store: sqlite rolled the transaction back after an error; nothing more "
                        "is written until it ends"));
        b->tx_lost_logged = true;
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return -1;
    }
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) {
        rc = sqlite3_reset(st); /* the statement's own error code */
        write_failed(b, rc, sqlite3_sql(st));
    } else {
        sqlite3_reset(st);
    }
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Bind text to a statement that step_done runs: it clears the bindings before it returns, so
 * the text need only live until then and is not copied (SQLITE_STATIC), like the log's body.
 */
static void
bind_str(sqlite3_stmt *st, int i, const char *v)
{
    if (v == NULL)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* sqlite3_exec, with a full disk noted instead of logged (open says it once). */
static int
exec_sql(store_backend_t *b, const char *sql)
{
    int rc = sqlite3_exec(b->db, sql, NULL, NULL, NULL);

    if (rc == SQLITE_OK)
        return 0;
    write_failed(b, rc, sql);
    return -1;
}

static int
sq_fail(store_backend_t *b, const char *what)
{
    log_warnx(_("store: %s: %s"), what, sqlite3_errmsg(b->db));
    return -1;
}

/* Borrow a prepared statement, reset and unbound. */
static sqlite3_stmt *
stmt(store_backend_t *b, enum stmt_id id)
{
    sqlite3_stmt *st = b->stmt[id];
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

/* A value of the meta table, or NULL (caller owns). */
static char *
meta_get(store_backend_t *b, const char *key)
{
    sqlite3_stmt *st = NULL;
    char *v = NULL;

    if (sqlite3_prepare_v2(b->db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlx_column_text(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The schema version the derived tables were made with, or NULL (caller owns). */
static char *
schema_version(store_backend_t *b)
{
    return meta_get(b, "schema");
}

/*
 * The mark a broker that held rows past their commits left (sq_derived_mark): 0 when the
 * tables are current, else the first entry whose effect they may lack. "behind" without a
 * number (an older broker) means the whole log.
 */
static uint64_t
read_mark(store_backend_t *b)
{
    char *derived = meta_get(b, "derived"), *from = meta_get(b, "replay_from"), *end = NULL;
    uint64_t v = 0;

    if (derived != NULL && strcmp(derived, "behind") == 0) {
        v = from != NULL ? strtoull(from, &end, 10) : 0;
        if (end == NULL || end == from || *end != '\0' || v == 0)
            v = 1;
    }
    free(derived);
    free(from);
    return v;
}

/* Bring a log of the old layout (log_migrate_sql) to today's, in one transaction. */
static int
migrate_log(store_backend_t *b)
{
    sqlite3_stmt *st = NULL;
    int rc;
    bool old;

    if (sqlite3_prepare_v2(b->db, log_is_old_sql, -1, &st, NULL) != SQLITE_OK)
        return sq_fail(b, "log layout");
    rc = sqlite3_step(st);
    old = rc == SQLITE_ROW;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sq_fail(b, "log layout");
    if (!old)
        return 0;
    log_info(_("store: %s: event ids become unique per sender: copying the log into the new "
               "layout (once)"),
             b->path);
    if (exec_sql(b, "BEGIN IMMEDIATE") < 0)
        return -1;
    if (exec_sql(b, log_migrate_sql) < 0 || exec_sql(b, "COMMIT") < 0) {
        exec_sql(b, "ROLLBACK");
        return -1;
    }
    return 0;
}

/* The layout version in the file's header (store.h, STORE_LAYOUT_VERSION); -1 on error. */
static int
layout_version(sqlite3 *db, long long *out)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;

    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = 0;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Whether the file holds a log already (not a new database). */
static bool
has_log(store_backend_t *b)
{
    sqlite3_stmt *st = NULL;
    bool found;

    found = sqlite3_prepare_v2(b->db,
                               "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'log'",
                               -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

/*
 * Record this release's layout in the header once the tables are laid out as it lays them,
 * and say so when an older database was brought up to it.
 */
static int
set_layout(store_backend_t *b, long long was, bool existed)
{
    char sql[64];

    if (was == STORE_LAYOUT_VERSION)
        return 0;
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", STORE_LAYOUT_VERSION);
    if (exec_sql(b, sql) < 0)
        return -1;
    if (existed)
        log_info("store: %s: database schema version %d (was %lld%s)", b->path,
                 STORE_LAYOUT_VERSION, was, was == 0 ? ": made before versions were kept" : "");
    return 0;
}

/*
 * Create the tables. When the derived tables were made by another layout, drop and recreate
 * them, marked behind the whole log in the same transaction: they are a function of the log,
 * and the broker replays it into them (store_replay_from), however often it is stopped before
 * that replay commits.
 */
static int
setup_schema(store_backend_t *b)
{
    char *version;
    bool same, existed = has_log(b);
    long long was = 0;

    if (layout_version(b->db, &was) < 0)
        return sq_fail(b, "schema version");
    if (migrate_log(b) < 0 || exec_sql(b, log_schema_sql) < 0)
        return -1;
    version = schema_version(b);
    same = version != NULL && strcmp(version, STORE_SCHEMA_VERSION) == 0;
    free(version);
    if (same) {
        b->replay_from = read_mark(b);
        return exec_sql(b, schema_sql) < 0 ? -1 : set_layout(b, was, existed);
    }
    if (exec_sql(b, "BEGIN IMMEDIATE") < 0)
        return -1;
    if (exec_sql(b, drop_derived_sql) < 0 || exec_sql(b, schema_sql) < 0 ||
        exec_sql(b,
                 "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema', '" STORE_SCHEMA_VERSION
                 "'), ('derived', 'behind'), ('replay_from', '1')") < 0 ||
        exec_sql(b, "COMMIT") < 0) {
        exec_sql(b, "ROLLBACK");
        return -1;
    }
    b->replay_from = 1;
    return set_layout(b, was, existed);
}

static uint64_t
sq_replay_from(const store_backend_t *b)
{
    return b->replay_from;
}

sqlite3 *
store_sqlite_db(store_backend_t *b)
{
    return b->db;
}

static void
sq_close(store_backend_t *b)
{
    if (b == NULL)
        return;
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(b->stmt[i]);
    sqlite3_close(b->db);
    free(b->path);
    free(b);
}

void
store_sqlite_single_threaded(void)
{
    /* Both fail (and change nothing) once sqlite was initialised: then it keeps its locks. */
    sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    /* The savepoint of each message in a batch (store_savepoint) keeps the pages it changes
     * in sqlite's statement journal, which by default spills to a temporary file past 64 KiB
     * (16 pages) and stays a file to the end of the transaction: every page the batch's later
     * savepoints journal then costs two writes to it (permit-bench 4x64 at 1,000 projects:
     * about 30,000 a second). Held in memory up to this much; past it a savepoint still
     * spills, so none costs memory without bound. */
    sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, STORE_STMTJRNL_SPILL);
}

/* Open a connection: read-write (setting up the schema) or read-only (a reader beside a
 * running broker, which must have laid the tables out already). */
static store_backend_t *
sq_open(const char *path, bool readonly, strpool_t *names, char **err)
{
    store_backend_t *b = xcalloc(1, sizeof(*b));
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    char *version = NULL;
    long long layout = 0;

    b->path = xstrdup(path);
    b->names = names;
    /* One thread owns the connection: no per-call mutex (NOMUTEX). The writer's WAL writes
     * are gathered into one per commit (walvfs.h). */
    if (!readonly && sqlx_create_private(path) != 0) {
        *err = xasprintf("%s: %s", path, strerror(errno));
        goto fail;
    }
    if (sqlite3_open_v2(path, &b->db, flags | SQLITE_OPEN_NOMUTEX,
                        readonly || strcmp(path, ":memory:") == 0 ? NULL : walvfs_name()) !=
        SQLITE_OK) {
        *err = xasprintf("%s: %s", path, b->db ? sqlite3_errmsg(b->db) : "cannot open");
        goto fail;
    }
    sqlite3_busy_timeout(b->db, 5000);
    /* A file a newer release wrote is never touched: not even its journal mode. */
    if (layout_version(b->db, &layout) == 0 && layout > STORE_LAYOUT_VERSION) {
        *err = store_newer_layout(path, layout);
        goto fail;
    }
    if (readonly) {
        version = schema_version(b);
        if (version == NULL || strcmp(version, STORE_SCHEMA_VERSION) != 0) {
            *err = xasprintf(_("%s: not a permitd database of this version (start permitd on it "
                               "once)"),
                             path);
            goto fail;
        }
    } else if (exec_sql(b, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                           /* 16 MiB of page cache: a city's state stays in memory. */
                           " PRAGMA cache_size=-16384;"
                           /* Checkpoints run after the acks (store_checkpoint), not in a commit. */
                           " PRAGMA wal_autocheckpoint=0;") < 0 ||
               setup_schema(b) < 0) {
        *err = xasprintf(_("%s: cannot set up the database: %s"), path, sqlite3_errmsg(b->db));
        goto fail;
    }
    if (!readonly)
        sqlite3_wal_hook(b->db, on_wal_commit, b);
    CRASHPOINT_DB_OPENED(b->db); /* test builds: PERMIT_TEST_SYNCHRONOUS */
    for (int i = 0; i < ST__COUNT; i++) {
        if (sqlite3_prepare_v3(b->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &b->stmt[i],
                               NULL) != SQLITE_OK) {
            *err = xasprintf("%s: %s", path, sqlite3_errmsg(b->db));
            goto fail;
        }
    }
    free(version);
    b->opened = true;
    return b;
fail:
    if (b->db != NULL && (b->full || rc_full(b->db, sqlite3_extended_errcode(b->db)))) {
        free(*err);
        *err = xasprintf(_("%s: the disk is full (%s): cannot open the database; free space, then "
                           "start again"),
                         path, sqlite3_errmsg(b->db));
    }
    free(version);
    sq_close(b);
    return NULL;
}

/* What sqlite says of a file it cannot read as a database. */
static bool
rc_damaged(int rc)
{
    return (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB;
}

/*
 * store_clean_identity for a sqlite file. A write-ahead log with content beside it means the
 * file alone is not the database: no identity.
 */
char *
store_sqlite_identity(const char *path)
{
    struct stat st, wal;
    char *wal_path = xasprintf("%s-wal", path);
    bool wal_empty = stat(wal_path, &wal) != 0 ? errno == ENOENT : wal.st_size == 0;

    free(wal_path);
    if (!wal_empty || stat(path, &st) != 0)
        return NULL;
    return xasprintf("sqlite %llu %llu %lld %lld.%09ld %lld.%09ld", (unsigned long long)st.st_dev,
                     (unsigned long long)st.st_ino, (long long)st.st_size,
                     (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec,
                     st.st_ctim.tv_nsec);
}

/*
 * store_check for a sqlite file: PRAGMA quick_check (every page, b-tree and record read once,
 * without the index cross-checks of integrity_check) on a connection of its own, closed
 * before the broker opens the file; store_check calls it for a file that exists. Only damage
 * is reported: a file that cannot be opened
 * for another reason is left to the broker's own open, which says why.
 */
int
store_sqlite_check(const char *path, char **err)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *first = NULL;
    int rc;

    rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &st, NULL);
    }
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            first = sqlx_column_text(st, 0);
            rc = SQLITE_OK;
        } else {
            rc = sqlite3_extended_errcode(db);
        }
    }
    if (rc_damaged(rc) || (first != NULL && strcmp(first, "ok") != 0))
        *err = xasprintf(
            _("%s: the database file is damaged (sqlite: %s); permitd will not serve from it. "
              "Restore it from the latest backup (agents resend what it lacks), or salvage the "
              "log into a new file (sqlite3 %s .recover | sqlite3 NEW.db), run permitd --db "
              "NEW.db --rebuild, and start on NEW.db"),
            path, first != NULL && strcmp(first, "ok") != 0 ? first : sqlite3_errstr(rc), path);
    free(first);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return *err != NULL ? -1 : 0;
}

/*
 * store_check_layout for a sqlite file: the header's user_version read on a connection of its
 * own (the broker's open refuses a newer file too, but cannot say so with an exit status of
 * its own). A file that cannot be read is left to store_check and the open, which say why.
 */
int
store_sqlite_check_layout(const char *path, char **err)
{
    sqlite3 *db = NULL;
    long long v = 0;

    if (strcmp(path, ":memory:") == 0 || access(path, F_OK) != 0)
        return 0; /* a new database */
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK &&
        layout_version(db, &v) == 0 && v > STORE_LAYOUT_VERSION)
        *err = store_newer_layout(path, v);
    sqlite3_close(db);
    return *err != NULL ? -1 : 0;
}

/* --- Backups and their checks (store.h). ----------------------------------------------- */

/* The pages copied per backup step: 4 MiB, between which the copy yields to a busy lock. */
#define BACKUP_STEP_PAGES 1024

/* The tables a rebuild recomputes, as store_derived_save keeps and _compare reads them. */
static const char *const derived_tables[] = {"departments", "templates", "projects", "procedures",
                                             "milestones"};

/* A connection for reading a file beside a running broker (sqlite's own VFS: no WAL writes). */
static sqlite3 *
open_reader(const char *path, char **err)
{
    sqlite3 *db = NULL;

    if (access(path, R_OK) != 0) {
        *err = xasprintf("%s: %s", path, strerror(errno));
        return NULL;
    }
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        *err = xasprintf("%s: %s", path, db != NULL ? sqlite3_errmsg(db) : "cannot open");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 5000);
    return db;
}

/* The log's highest seq as this connection's transaction sees it. */
static int
log_head(sqlite3 *db, uint64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;

    if (sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(seq), 0) FROM log", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        *out = (uint64_t)sqlite3_column_int64(st, 0);
        rc = 0;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Make a rename or link in path's folder durable. */
static int
sync_dir_of(const char *path)
{
    char *copy = xstrdup(path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = -1;

    if (fd >= 0) {
        rc = fsync(fd);
        close(fd);
    }
    free(copy);
    return rc;
}

/*
 * Copy src's main database into the file tmp, inside the read transaction src holds: every
 * step reads the same snapshot, so the broker's commits meanwhile (to its WAL) neither
 * restart the copy nor wait for it. Small steps only matter for a lock the copy must wait
 * out (a checkpoint truncating the WAL); the snapshot stays the same across them.
 */
static int
copy_pages(sqlite3 *src, const char *tmp, char **err)
{
    sqlite3 *dst = NULL;
    sqlite3_backup *bk;
    int rc;

    if (sqlx_create_private(tmp) != 0) {
        *err = xasprintf("%s: %s", tmp, strerror(errno));
        return -1;
    }
    if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        *err = xasprintf("%s: %s", tmp, dst != NULL ? sqlite3_errmsg(dst) : "cannot open");
        sqlite3_close(dst);
        return -1;
    }
    bk = sqlite3_backup_init(dst, "main", src, "main");
    if (bk == NULL) {
        *err = xasprintf("%s: %s", tmp, sqlite3_errmsg(dst));
        sqlite3_close(dst);
        return -1;
    }
    do {
        rc = sqlite3_backup_step(bk, BACKUP_STEP_PAGES);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    sqlite3_backup_finish(bk);
    if (rc != SQLITE_DONE)
        *err = xasprintf("%s: the copy failed: %s", tmp, sqlite3_errstr(rc));
    /* The copy commits with synchronous=FULL (the default): on disk when this returns. */
    if (sqlite3_close(dst) != SQLITE_OK && *err == NULL)
        *err = xasprintf("%s: cannot close the copy", tmp);
    return *err != NULL ? -1 : 0;
}

int
store_sqlite_backup(const char *path, const char *dest, bool force, uint64_t *head, char **err)
{
    char *tmp = xasprintf("%s.tmp", dest);
    sqlite3 *src = NULL;
    uint64_t h = 0;
    int rc = -1;

    if (!force && access(dest, F_OK) == 0) {
        *err = xasprintf("%s exists: give --force to replace it", dest);
        goto done;
    }
    src = open_reader(path, err);
    if (src == NULL)
        goto done;
    unlink(tmp); /* left by a copy that was interrupted */
    /* The read transaction starts at the first read: the head and the pages are one snapshot. */
    if (sqlx_exec(src, "BEGIN", "backup") < 0 || log_head(src, &h) < 0) {
        *err = xasprintf("%s: not a permitd database: %s", path, sqlite3_errmsg(src));
        goto done;
    }
    if (copy_pages(src, tmp, err) < 0)
        goto done;
    if (force ? rename(tmp, dest) != 0 : (link(tmp, dest) != 0 || unlink(tmp) != 0)) {
        *err = errno == EEXIST ? xasprintf("%s exists: give --force to replace it", dest)
                               : xasprintf("%s: %s", dest, strerror(errno));
        goto done;
    }
    if (sync_dir_of(dest) != 0) {
        *err = xasprintf("%s: cannot sync its folder: %s", dest, strerror(errno));
        goto done;
    }
    *head = h;
    rc = 0;
done:
    if (rc < 0)
        unlink(tmp);
    sqlite3_close(src); /* ends the read transaction */
    free(tmp);
    return rc;
}

/* Every line of every row of a one-column query, pushed as "prefix: text". */
static int
push_rows(sqlite3 *db, const char *sql, const char *prefix, strv_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        strv_t lines = {0}; /* integrity_check puts several lines in one row */
        strv_split(&lines, (const char *)sqlite3_column_text(st, 0), "\n");
        for (size_t i = 0; i < lines.n; i++) {
            char *line = xasprintf("%s%s", prefix, lines.v[i]);
            strv_push(out, line);
            free(line);
        }
        strv_clear(&lines);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The log's sequence: from 1, without a gap. */
static int
audit_log(sqlite3 *db, strv_t *problems, uint64_t *head)
{
    sqlite3_stmt *st = NULL;
    long long n = 0, lo = 0, hi = 0;
    int rc = -1;

    if (sqlite3_prepare_v2(db,
                           "SELECT COUNT(*), COALESCE(MIN(seq), 0), COALESCE(MAX(seq), 0)"
                           " FROM log",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        n = sqlite3_column_int64(st, 0);
        lo = sqlite3_column_int64(st, 1);
        hi = sqlite3_column_int64(st, 2);
        rc = 0;
    }
    sqlite3_finalize(st);
    if (rc < 0)
        return -1;
    *head = (uint64_t)hi;
    if (n > 0 && lo != 1) {
        char *line = xasprintf("log: starts at seq %lld, not 1", lo);
        strv_push(problems, line);
        free(line);
    }
    if (hi - lo + 1 != n && n > 0) {
        char *line = xasprintf("log: %lld entries missing between seq %lld and %lld",
                               hi - lo + 1 - n, lo, hi);
        strv_push(problems, line);
        free(line);
        return push_rows(db,
                         "SELECT seq FROM log AS l WHERE seq < (SELECT MAX(seq) FROM log)"
                         " AND NOT EXISTS (SELECT 1 FROM log WHERE seq = l.seq + 1)"
                         " ORDER BY seq LIMIT 5",
                         "log: a gap after seq ", problems);
    }
    return 0;
}

int
store_sqlite_audit(const char *path, strv_t *problems, uint64_t *head, char **err)
{
    sqlite3 *db = open_reader(path, err);
    long long layout = 0;
    char *schema = NULL;
    size_t before = problems->n;

    if (db == NULL)
        return -1;
    sqlx_exec(db, "BEGIN", "verify"); /* one snapshot, if a broker writes it meanwhile */
    if (push_rows(db, "PRAGMA integrity_check(10)", "integrity: ", problems) < 0) {
        *err = xasprintf("%s: the file is not a database sqlite can read (%s)", path,
                         sqlite3_errmsg(db));
        sqlite3_close(db);
        return -1;
    }
    /* "ok" alone is no problem. */
    if (problems->n == before + 1 && strcmp(problems->v[before], "integrity: ok") == 0) {
        free(problems->v[before]);
        problems->v[before] = NULL;
        problems->n = before;
    }
    if (layout_version(db, &layout) < 0 || layout > STORE_LAYOUT_VERSION) {
        char *line = store_newer_layout("layout", layout);
        strv_push(problems, line);
        free(line);
    }
    if (sqlite3_exec(db, "SELECT 1 FROM meta", NULL, NULL, NULL) == SQLITE_OK) {
        store_backend_t b = {.db = db};
        schema = schema_version(&b);
    }
    if (schema == NULL || strcmp(schema, STORE_SCHEMA_VERSION) != 0) {
        char *line = xasprintf("layout: the state tables are of layout %s, not this release's "
                               "%s (not a permitd database, or one a broker must lay out anew)",
                               schema != NULL ? schema : "none", STORE_SCHEMA_VERSION);
        strv_push(problems, line);
        free(line);
    }
    free(schema);
    if (audit_log(db, problems, head) < 0) {
        char *line = xasprintf("log: cannot be read: %s", sqlite3_errmsg(db));
        strv_push(problems, line);
        free(line);
    }
    sqlite3_close(db);
    return 0;
}

int
store_sqlite_derived_save(store_backend_t *b)
{
    for (size_t i = 0; i < ARRAY_LEN(derived_tables); i++) {
        char *sql = xasprintf("DROP TABLE IF EXISTS temp.saved_%s;"
                              " CREATE TEMP TABLE saved_%s AS SELECT * FROM main.%s",
                              derived_tables[i], derived_tables[i], derived_tables[i]);
        int rc = exec_sql(b, sql);
        free(sql);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* The number of rows of `sql` (a compound SELECT), or -1. */
static long long
count_rows(store_backend_t *b, const char *sql)
{
    char *q = xasprintf("SELECT COUNT(*) FROM (%s)", sql);
    sqlite3_stmt *st = NULL;
    long long n = -1;

    if (sqlite3_prepare_v2(b->db, q, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    else
        sq_fail(b, "verify");
    sqlite3_finalize(st);
    free(q);
    return n;
}

int
store_sqlite_derived_compare(store_backend_t *b, strv_t *problems)
{
    for (size_t i = 0; i < ARRAY_LEN(derived_tables); i++) {
        const char *t = derived_tables[i];
        char *kept = xasprintf("SELECT * FROM temp.saved_%s EXCEPT SELECT * FROM main.%s", t, t);
        char *made = xasprintf("SELECT * FROM main.%s EXCEPT SELECT * FROM temp.saved_%s", t, t);
        long long stale = count_rows(b, kept), lacking = count_rows(b, made);

        free(kept);
        free(made);
        if (stale < 0 || lacking < 0)
            return -1;
        if (stale > 0 || lacking > 0) {
            char *line = xasprintf("%s: differs from a rebuild of the log: %lld stored rows are "
                                   "not what the log gives, %lld rows of the rebuild are missing",
                                   t, stale, lacking);
            strv_push(problems, line);
            free(line);
        }
    }
    return 0;
}

/* One integer from a statement that returns one row (0 for NULL). */
static int
one_int64(store_backend_t *b, enum stmt_id id, int64_t *out)
{
    sqlite3_stmt *st = stmt(b, id);
    int rc = sqlx_step_row(st, "store");

    *out = 0;
    if (rc < 0)
        return -1;
    if (rc == 1) {
        *out = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
    }
    return 0;
}

static int
sq_last_seq(store_backend_t *b, uint64_t *out)
{
    int64_t v;

    if (one_int64(b, ST_LAST_SEQ, &v) < 0)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

static int
sq_derived_mark(store_backend_t *b, uint64_t from)
{
    sqlite3_stmt *st = stmt(b, ST_DERIVED_MARK);

    sqlite3_bind_text(st, 1, from > 0 ? "behind" : "current", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)from);
    return step_done(b, st);
}

static int
sq_latest_recv(store_backend_t *b, int64_t *out)
{
    return one_int64(b, ST_LATEST_RECV, out);
}

static int
sq_zone_get(store_backend_t *b, char **out)
{
    *out = meta_get(b, "time_zone");
    return 0;
}

static int
sq_zone_put(store_backend_t *b, const char *zone)
{
    sqlite3_stmt *st = stmt(b, ST_ZONE_PUT);

    sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
    return step_done(b, st);
}

static int
sq_begin(store_backend_t *b)
{
    if (step_done(b, stmt(b, ST_BEGIN)) < 0)
        return -1;
    b->in_tx = true;
    b->tx_lost_logged = false;
    return 0;
}

static int
sq_rollback(store_backend_t *b)
{
    int rc = 0;

    if (sqlite3_get_autocommit(b->db) == 0)
        rc = step_done(b, stmt(b, ST_ROLLBACK));
    b->in_tx = false;
    return rc;
}

static int
sq_commit(store_backend_t *b)
{
    /* SQLITE_FULL on COMMIT may leave the transaction open or rolled back: either way it
     * is rolled back (by the caller), and the WAL frames it wrote count for nothing (no
     * commit frame). */
    b->wal_written = false;
    if (step_done(b, stmt(b, ST_COMMIT)) < 0)
        return -1;
    b->in_tx = false;
    write_succeeded(b);
    return 0;
}

static int
sq_savepoint(store_backend_t *b)
{
    return step_done(b, stmt(b, ST_SAVEPOINT));
}

static int
sq_release(store_backend_t *b)
{
    return step_done(b, stmt(b, ST_RELEASE));
}

static int
sq_rollback_to(store_backend_t *b)
{
    if (step_done(b, stmt(b, ST_ROLLBACK_TO)) < 0)
        return -1;
    return step_done(b, stmt(b, ST_RELEASE));
}

static int
sq_checkpoint(store_backend_t *b, int min_frames)
{
    int rc;

    if (b->in_tx || b->wal_frames < min_frames)
        return 0;
    b->wal_frames = 0;
    CRASHPOINT_SCOPE("checkpoint"); /* test builds: passes before, at each write, after */
    /* On a full disk the database file cannot grow: the WAL keeps every frame (the log is
     * safe in it) and the next commit tries again. Said once, and once when it works again. */
    rc = sqlite3_wal_checkpoint_v2(b->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    if (rc != SQLITE_OK) {
        if (!rc_full(b->db, rc))
            log_warnx(_("store: checkpoint: %s"), sqlite3_errmsg(b->db));
        else if (!b->checkpoint_full)
            log_warnx(_("store: %s: checkpoint: the disk is full (%s); the WAL keeps the frames "
                        "until space returns"),
                      b->path, sqlite3_errmsg(b->db));
        b->checkpoint_full = rc_full(b->db, rc);
        return -1;
    }
    if (b->checkpoint_full)
        log_info(_("store: %s: checkpoints work again"), b->path);
    b->checkpoint_full = false;
    return 0;
}

static bool
sq_full(const store_backend_t *b)
{
    return b->full;
}

static int
sq_append(store_backend_t *b, const store_logrow_t *r)
{
    sqlite3_stmt *st = stmt(b, ST_APPEND);

    sqlite3_bind_int64(st, 1, (sqlite3_int64)r->seq);
    bind_str(st, 2, r->event_id);
    bind_str(st, 3, r->kind);
    bind_str(st, 4, r->actor);
    bind_str(st, 5, r->dept);
    bind_str(st, 6, r->project);
    bind_str(st, 7, r->procedure);
    sqlite3_bind_int64(st, 8, r->recv_ms);
    if (r->event_ms != 0)
        sqlite3_bind_int64(st, 9, r->event_ms);
    if (r->cause != 0)
        sqlite3_bind_int64(st, 10, (sqlite3_int64)r->cause);
    sqlite3_bind_blob(st, 11, r->body, (int)r->len, SQLITE_STATIC);
    return step_done(b, st);
}

static int
sq_find_event(store_backend_t *b, const char *sender, const char *event_id, uint64_t *seq)
{
    sqlite3_stmt *st = stmt(b, ST_FIND_EVENT);
    int rc;

    sqlx_bind_text(st, 1, sender);
    sqlx_bind_text(st, 2, event_id);
    rc = sqlx_step_row(st, "store");
    if (rc == 1) {
        *seq = (uint64_t)sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
    }
    return rc;
}

static int
sq_scan(store_backend_t *b, const store_scan_t *q, store_blob_fn *fn, void *arg)
{
    /* Without filters the plain walk: a range of the primary key. The calendar alone: its
     * index. */
    bool by_kind = q->project == NULL && q->dept == NULL && q->since_ms == 0;
    bool plain = by_kind && q->kind == NULL;
    bool calendars =
        by_kind && q->kind != NULL && strcmp(q->kind, pm_kind_name(PM_KIND_CALENDAR)) == 0;
    sqlite3_stmt *st = stmt(b, plain ? ST_WALK : calendars ? ST_CALENDARS : ST_ENTRIES);
    int rc;

    sqlite3_bind_int64(st, 1, (sqlite3_int64)q->after);
    if (plain || calendars) {
        sqlite3_bind_int64(st, 2, (sqlite3_int64)q->limit);
    } else {
        sqlx_bind_text(st, 2, q->project);
        sqlx_bind_text(st, 3, q->dept);
        sqlx_bind_text(st, 4, q->kind);
        sqlite3_bind_int64(st, 5, q->since_ms);
        sqlite3_bind_int64(st, 6, (sqlite3_int64)q->limit);
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (fn(arg, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0)) < 0) {
            sqlite3_reset(st);
            return -1;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(b, "log scan");
}

static int
sq_entry_get(store_backend_t *b, uint64_t seq, store_blob_fn *fn, void *arg)
{
    sqlite3_stmt *st = stmt(b, ST_ENTRY_GET);
    int rc;

    sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
    rc = sqlx_step_row(st, "store");
    if (rc == 1) {
        if (fn(arg, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0)) < 0)
            rc = -1;
        sqlite3_reset(st);
    }
    return rc;
}

static int
sq_clear_derived(store_backend_t *b)
{
    return exec_sql(b, clear_sql);
}

static int
sq_dept_get(store_backend_t *b, const char *code, pm_department_t *out)
{
    sqlite3_stmt *st = stmt(b, ST_DEPT_GET);
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

static int
sq_dept_put(store_backend_t *b, const pm_department_t *d, uint64_t seq)
{
    sqlite3_stmt *st = stmt(b, ST_DEPT_PUT);

    bind_str(st, 1, d->code);
    bind_str(st, 2, d->name);
    bind_str(st, 3, d->contact);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)seq);
    return step_done(b, st);
}

static int
sq_template_put(store_backend_t *b, const char *name, uint32_t version, uint64_t seq)
{
    sqlite3_stmt *st = stmt(b, ST_TEMPLATE_PUT);

    bind_str(st, 1, name);
    sqlite3_bind_int64(st, 2, version);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)seq);
    return step_done(b, st);
}

static int
sq_template_find(store_backend_t *b, const char *name, uint32_t version, uint32_t *out_version,
                 uint64_t *seq)
{
    sqlite3_stmt *st = stmt(b, version == 0 ? ST_TEMPLATE_LATEST : ST_TEMPLATE_FIND);
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

/* Read a project row whose PROJECT_COLUMNS start at column `col`. */
static void
read_project(sqlite3_stmt *st, int col, pm_project_t *p)
{
    p->id = sqlx_column_text(st, col);
    p->name = sqlx_column_text(st, col + 1);
    p->region = sqlx_column_text(st, col + 2);
    p->industry = sqlx_column_text(st, col + 3);
    p->company = sqlx_column_text(st, col + 4);
    p->steward = sqlx_column_text(st, col + 5);
    p->leader = sqlx_column_text(st, col + 6);
    p->template_name = sqlx_column_text(st, col + 7);
    p->template_version = (uint32_t)sqlite3_column_int64(st, col + 8);
}

static int
sq_project_get(store_backend_t *b, const char *id, pm_project_t *out)
{
    sqlite3_stmt *st = stmt(b, ST_PROJECT_GET);
    int rc;

    sqlx_bind_text(st, 1, id);
    rc = sqlx_step_row(st, "store");
    if (rc == 1) {
        read_project(st, 0, out);
        sqlite3_reset(st);
    }
    return rc;
}

static int
sq_project_put(store_backend_t *b, const pm_project_t *p, uint64_t seq)
{
    sqlite3_stmt *st = stmt(b, ST_PROJECT_PUT);

    bind_str(st, 1, p->id);
    bind_str(st, 2, p->name);
    bind_str(st, 3, p->region);
    bind_str(st, 4, p->industry);
    bind_str(st, 5, p->company);
    bind_str(st, 6, p->steward);
    bind_str(st, 7, p->leader);
    bind_str(st, 8, p->template_name);
    sqlite3_bind_int64(st, 9, p->template_version);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)seq);
    return step_done(b, st);
}

/* Read a procedure row whose PROC_COLUMNS start at column `col`. */
static void
read_proc(store_backend_t *b, sqlite3_stmt *st, int col, store_proc_t *p)
{
    memset(p, 0, sizeof(*p));
    p->code = strpool_intern(b->names, (const char *)sqlite3_column_text(st, col));
    p->dept = strpool_intern(b->names, (const char *)sqlite3_column_text(st, col + 1));
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

static int
sq_procs_load(store_backend_t *b, const char *project, store_proc_t **out, size_t *n)
{
    sqlite3_stmt *st = stmt(b, ST_PROCS_LOAD);
    store_proc_t *procs = NULL;
    size_t count = 0;
    int rc;

    sqlx_bind_text(st, 1, project);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        procs = xgrow(procs, count, sizeof(*procs));
        read_proc(b, st, 0, &procs[count++]);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        store_procs_free(procs, count);
        return sq_fail(b, "procedures load");
    }
    *out = procs;
    *n = count;
    return 0;
}

static int
sq_proc_put(store_backend_t *b, const char *project, const store_proc_t *p, int ordinal)
{
    sqlite3_stmt *st = stmt(b, ST_PROC_PUT);

    bind_str(st, 1, project);
    sqlite3_bind_int(st, 2, ordinal);
    bind_str(st, 3, p->code);
    bind_str(st, 4, p->dept);
    bind_str(st, 5, pm_state_name(p->state));
    sqlite3_bind_int(st, 6, p->deficient ? 1 : 0);
    bind_str(st, 7, p->cert);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)p->updated_seq);
    sqlite3_bind_int64(st, 9, p->updated_ms);
    sqlite3_bind_int64(st, 10, p->accepted_ms);
    sqlite3_bind_int(st, 11, p->extended);
    sqlite3_bind_int(st, 12, p->deadline);
    sqlite3_bind_int(st, 13, p->statutory);
    sqlite3_bind_int(st, 14, p->provisional ? 1 : 0);
    sqlite3_bind_int(st, 15, p->paused_on);
    bind_str(st, 16, pm_colour_name(p->colour));
    sqlite3_bind_int(st, 17, (int)p->commit);
    sqlite3_bind_int(st, 18, p->commit_due);
    bind_str(st, 19, p->missing);
    sqlite3_bind_int64(st, 20, p->next_ms);
    return step_done(b, st);
}

static int
sq_projclock_get(store_backend_t *b, const char *project, store_projclock_t *out)
{
    sqlite3_stmt *st = stmt(b, ST_PROJCLOCK_GET);
    int rc;

    sqlx_bind_text(st, 1, project);
    rc = sqlx_step_row(st, "store");
    if (rc == 1) {
        out->due = sqlite3_column_int(st, 0);
        if (pm_colour_parse((const char *)sqlite3_column_text(st, 1), &out->colour) < 0)
            out->colour = PM_COLOUR_NONE;
        out->next_ms = sqlite3_column_int64(st, 2);
        sqlite3_reset(st);
    }
    return rc;
}

static int
sq_projclock_put(store_backend_t *b, const char *project, const store_projclock_t *c)
{
    sqlite3_stmt *st = stmt(b, ST_PROJCLOCK_PUT);

    bind_str(st, 1, project);
    sqlite3_bind_int(st, 2, c->due);
    bind_str(st, 3, pm_colour_name(c->colour));
    sqlite3_bind_int64(st, 4, c->next_ms);
    return step_done(b, st);
}

/* Collect the text of column 0 (and 1, into second when not NULL) of every row. */
static int
collect(store_backend_t *b, sqlite3_stmt *st, strv_t *first, strv_t *second, const char *what)
{
    int rc;

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        strv_push(first, (const char *)sqlite3_column_text(st, 0));
        if (second != NULL)
            strv_push(second, (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(b, what);
}

static int
sq_procs_due(store_backend_t *b, int64_t now_ms, size_t max, strv_t *projects, strv_t *procedures)
{
    sqlite3_stmt *st = stmt(b, ST_DUE_PROCS);

    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
    return collect(b, st, projects, procedures, "clock due");
}

static int
sq_projects_due(store_backend_t *b, int64_t now_ms, size_t max, strv_t *projects)
{
    sqlite3_stmt *st = stmt(b, ST_DUE_PROJECTS);

    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
    return collect(b, st, projects, NULL, "clock due projects");
}

static int
sq_clock_next(store_backend_t *b, int64_t *out_ms)
{
    return one_int64(b, ST_CLOCK_NEXT, out_ms);
}

static int
sq_provisional(store_backend_t *b, strv_t *out)
{
    return collect(b, stmt(b, ST_PROVISIONAL), out, NULL, "provisional projects");
}

static int
sq_colour_walk(store_backend_t *b, const pm_listreq_t *q, store_row_fn *fn, void *arg)
{
    sqlite3_stmt *st = stmt(b, q->blocked ? ST_BLOCKED_LIST : ST_COLOURS);
    int rc;

    if (q->blocked) {
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
        read_project(st, 0, &p);
        read_proc(b, st, 9, &proc);
        r = fn(arg, &p, &proc);
        pm_project_clear(&p);
        store_proc_clear(&proc);
        if (r < 0) {
            sqlite3_reset(st);
            return -1;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(b, "colour walk");
}

static int
sq_milestone_put(store_backend_t *b, const char *project, const char *code, uint64_t seq)
{
    sqlite3_stmt *st = stmt(b, ST_MILESTONE_PUT);

    bind_str(st, 1, project);
    bind_str(st, 2, code);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)seq);
    return step_done(b, st);
}

static int
sq_milestones_list(store_backend_t *b, const char *project, strv_t *out)
{
    sqlite3_stmt *st = stmt(b, ST_MILESTONES_LIST);

    sqlx_bind_text(st, 1, project);
    return collect(b, st, out, NULL, "milestones list");
}

const store_ops_t store_sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .replay_from = sq_replay_from,
    .derived_mark = sq_derived_mark,
    .hold_rows = true,
    .last_seq = sq_last_seq,
    .latest_recv = sq_latest_recv,
    .zone_get = sq_zone_get,
    .zone_put = sq_zone_put,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .savepoint = sq_savepoint,
    .release = sq_release,
    .rollback_to = sq_rollback_to,
    .checkpoint = sq_checkpoint,
    .full = sq_full,
    .append = sq_append,
    .find_event = sq_find_event,
    .scan = sq_scan,
    .entry_get = sq_entry_get,
    .clear_derived = sq_clear_derived,
    .dept_get = sq_dept_get,
    .dept_put = sq_dept_put,
    .template_put = sq_template_put,
    .template_find = sq_template_find,
    .project_get = sq_project_get,
    .project_put = sq_project_put,
    .procs_load = sq_procs_load,
    .proc_put = sq_proc_put,
    .projclock_get = sq_projclock_get,
    .projclock_put = sq_projclock_put,
    .procs_due = sq_procs_due,
    .projects_due = sq_projects_due,
    .clock_next = sq_clock_next,
    .provisional = sq_provisional,
    .colour_walk = sq_colour_walk,
    .milestone_put = sq_milestone_put,
    .milestones_list = sq_milestones_list,
};
