/*
 * store_pg: the PostgreSQL backend of store_backend.h, through libpq, for a highly available
 * deployment (a primary with a synchronous standby, managed by Patroni).
 *
 * One connection, nonblocking, in pipeline mode. Every statement goes out through the
 * extended protocol (prepared once per connection, on first use); a log body travels as a
 * binary parameter and comes back in a binary result. Writes are pipelined: a write is sent
 * and its result read later, when a read needs an answer or at COMMIT, so a batch of events
 * costs about one round trip. Each read ends its statements with a Sync (an explicit
 * transaction continues across Syncs) and reads every pending result in order, the earlier
 * writes' included: a write that failed fails the whole transaction (commit then fails and
 * rolls back; the broker refuses the batch with "storage" and agents resend). At most
 * PG_PENDING_MAX results wait unread, so a rebuild (one transaction of many writes) does not
 * pile them up in memory.
 *
 * Every round trip has a client-side deadline (set_timeout, 5 s by default), waited for with
 * poll() on the connection's socket. When it passes, or the connection breaks, the
 * connection is dropped (PQfinish) and the operation fails; nothing is ever cancelled. A
 * COMMIT in particular is never cancelled and never taken as done unless its result says
 * COMMIT: with the synchronous standby down a commit waits for ever (statement_timeout does
 * not cover that wait), and cancelling it reports success while the rows are only on the
 * primary. A commit whose outcome is unknown fails; store.c rolls back and rereads last_seq,
 * agents resend, and the event_id dedup absorbs the rows that did commit. The next operation
 * reconnects.
 *
 * Fencing: take_over increments the epoch in the one-row table fence and keeps it. Every
 * transaction starts with an UPDATE of that row that fails on the server (a CHECK
 * constraint) unless the epoch is still ours: then another broker took over, this one is
 * deposed, and its transaction cannot commit even when its COMMIT went out in the same
 * pipeline before the check's result came back. The row lock the UPDATE takes serialises a
 * take-over with the transactions of the broker it deposes, so a deposed broker can never
 * commit after the take-over did. After a lost connection the reconnect checks again that
 * the server is still the primary and the epoch still ours.
 *
 * The tables are those of store_sqlite.c, with PostgreSQL types (integers stay integers,
 * flags stay 0/1 integers, text compares byte-wise with COLLATE "C" as sqlite's does) and the
 * same schema version in meta.
 */
#include "store_backend.h"

#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "log.h"

#define PG_TIMEOUT_MS 5000     /* the default deadline of a round trip */
#define PG_PENDING_MAX 512     /* unread results before a write waits for them */
#define PG_LOG_REPEAT_MS 30000 /* the same connection failure is logged again after this */
#define PG_CUT_OFF_TIMEOUTS 3  /* deadlines without the database before a broker steps down */
/* STORE_LAYOUT_VERSION as SQL text. */
#define LAYOUT_TEXT_(v) #v
#define LAYOUT_TEXT_OF(v) LAYOUT_TEXT_(v)
#define LAYOUT_TEXT LAYOUT_TEXT_OF(STORE_LAYOUT_VERSION)

/* pg_advisory_xact_lock key: take-overs (and schema changes) one at a time. */
#define PG_TAKEOVER_LOCK INT64_C(0x7065726d6974) /* "permit" */
/* The constraint a fencing check of a deposed broker violates (see ST_FENCE). */
#define PG_FENCE_CHECK "fence_epoch_ours"

/* Text compared byte-wise, as sqlite does (and as the orderings of the queries expect). */
#define TXT "TEXT COLLATE \"C\""

enum stmt_id {
    ST_APPEND,
    ST_FIND_EVENT,
    ST_ENTRIES,
    ST_WALK,
    ST_ENTRY_GET,
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
    ST_CLEAR_DEPTS,
    ST_CLEAR_TEMPLATES,
    ST_CLEAR_PROJECTS,
    ST_CLEAR_PROCS,
    ST_CLEAR_MILESTONES,
    ST_FENCE,
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

typedef struct pg_stmt {
    const char *what; /* for log lines */
    const char *sql;
} pg_stmt_t;

/* The queries of store_sqlite.c; a parameter that may be NULL is cast, so its type is known. */
static const pg_stmt_t stmts[ST__COUNT] = {
    [ST_APPEND] = {"append",
                   "INSERT INTO log(seq, event_id, kind, actor, dept, project, procedure, recv_ms,"
                   " event_ms, cause, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"},
    [ST_FIND_EVENT] = {"find event", "SELECT seq FROM log WHERE actor = $1 AND event_id = $2"},
    [ST_ENTRIES] = {"log scan",
                    "SELECT body FROM log WHERE seq > $1 AND ($2::text IS NULL OR project = $2)"
                    " AND ($3::text IS NULL OR dept = $3) AND ($4::text IS NULL OR kind = $4)"
                    " AND recv_ms >= $5 ORDER BY seq LIMIT $6"},
    [ST_WALK] = {"log walk", "SELECT body FROM log WHERE seq > $1 ORDER BY seq LIMIT $2"},
    [ST_ENTRY_GET] = {"entry get", "SELECT body FROM log WHERE seq = $1"},
    [ST_DEPT_GET] = {"department get", "SELECT name, contact FROM departments WHERE code = $1"},
    [ST_DEPT_PUT] = {"department put",
                     "INSERT INTO departments(code, name, contact, seq) VALUES ($1, $2, $3, $4)"
                     " ON CONFLICT (code) DO UPDATE SET name = excluded.name,"
                     " contact = excluded.contact, seq = excluded.seq"},
    [ST_TEMPLATE_PUT] = {"template put",
                         "INSERT INTO templates(name, version, seq) VALUES ($1, $2, $3)"
                         " ON CONFLICT (name, version) DO NOTHING"},
    [ST_TEMPLATE_FIND] = {"template find", "SELECT version, seq FROM templates WHERE name = $1"
                                           " AND version = $2"},
    [ST_TEMPLATE_LATEST] = {"template find", "SELECT version, seq FROM templates WHERE name = $1"
                                             " ORDER BY version DESC LIMIT 1"},
    [ST_PROJECT_GET] = {"project get",
                        "SELECT id, name, region, industry, company, steward, leader, template,"
                        " template_version FROM projects WHERE id = $1"},
    [ST_PROJECT_PUT] = {"project put",
                        "INSERT INTO projects(id, name, region, industry, company, steward,"
                        " leader, template, template_version, seq)"
                        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"},
    [ST_PROCS_LOAD] = {"procedures load", "SELECT " PROC_COLUMNS " FROM procedures"
                                          " WHERE project = $1 ORDER BY ordinal"},
    [ST_PROC_PUT] = {"procedure put",
                     "INSERT INTO procedures(project, ordinal, " PROC_COLUMNS ")"
                     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,"
                     " $16, $17, $18, $19, $20)"
                     " ON CONFLICT (project, ordinal) DO UPDATE SET dept = excluded.dept,"
                     " state = excluded.state, deficient = excluded.deficient,"
                     " cert = excluded.cert, updated_seq = excluded.updated_seq,"
                     " updated_ms = excluded.updated_ms, accepted_ms = excluded.accepted_ms,"
                     " extended = excluded.extended, deadline = excluded.deadline,"
                     " statutory = excluded.statutory, provisional = excluded.provisional,"
                     " paused_on = excluded.paused_on, colour = excluded.colour,"
                     " commit_state = excluded.commit_state, commit_due = excluded.commit_due,"
                     " missing = excluded.missing, next_ms = excluded.next_ms"},
    [ST_MILESTONE_PUT] = {"milestone put", "INSERT INTO milestones(project, code, seq)"
                                           " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"},
    [ST_MILESTONES_LIST] = {"milestones list",
                            "SELECT code FROM milestones WHERE project = $1 ORDER BY seq"},
    [ST_PROJCLOCK_GET] = {"project clock get",
                          "SELECT due, colour, next_ms FROM projects WHERE id = $1"},
    [ST_PROJCLOCK_PUT] = {"project clock put", "UPDATE projects SET due = $2, colour = $3,"
                                               " next_ms = $4 WHERE id = $1"},
    [ST_DUE_PROCS] = {"clock due", "SELECT project, code FROM procedures WHERE next_ms > 0"
                                   " AND next_ms <= $1 ORDER BY next_ms LIMIT $2"},
    [ST_DUE_PROJECTS] = {"clock due projects", "SELECT id FROM projects WHERE next_ms > 0"
                                               " AND next_ms <= $1 ORDER BY next_ms LIMIT $2"},
    [ST_CLOCK_NEXT] = {"clock next",
                       "SELECT COALESCE(MIN(m), 0) FROM (SELECT MIN(next_ms) AS m"
                       " FROM procedures WHERE next_ms > 0 UNION ALL SELECT MIN(next_ms)"
                       " FROM projects WHERE next_ms > 0) AS t"},
    [ST_LAST_SEQ] = {"last seq", "SELECT COALESCE(MAX(seq), 0) FROM log"},
    [ST_LATEST_RECV] = {"latest recv", "SELECT COALESCE(MAX(recv_ms), 0) FROM log"},
    [ST_PROVISIONAL] = {"provisional projects",
                        "SELECT DISTINCT project FROM procedures WHERE provisional = 1"
                        " AND accepted_ms > 0 ORDER BY project"},
    [ST_COLOURS] = {"colour walk",
                    "SELECT " PROJECT_COLUMNS_P ", " PROC_COLUMNS_P " FROM procedures x"
                    " JOIN projects p ON p.id = x.project"
                    " WHERE ($1::text IS NULL AND x.colour IN ('red', 'yellow') OR x.colour = $1)"
                    " AND ($2::text IS NULL OR x.dept = $2) AND ($3::text IS NULL OR p.region = $3)"
                    " AND ($4::text IS NULL OR p.id = $4)"
                    " ORDER BY x.colour = 'red' DESC, x.deadline, p.id, x.ordinal"},
    [ST_BLOCKED_LIST] = {"blocked list",
                         "SELECT " PROJECT_COLUMNS_P ", " PROC_COLUMNS_P " FROM procedures x"
                         " JOIN projects p ON p.id = x.project WHERE x.state = 'blocked'"
                         " AND ($1::text IS NULL OR p.region = $1)"
                         " AND ($2::text IS NULL OR p.id = $2) ORDER BY p.id, x.ordinal"},
    [ST_DERIVED_MARK] = {"derived mark", "INSERT INTO meta(key, value) VALUES ('derived', $1)"
                                         " ON CONFLICT (key) DO UPDATE SET value = excluded.value"},
    [ST_ZONE_PUT] = {"time zone", "INSERT INTO meta(key, value) VALUES ('time_zone', $1)"
                                  " ON CONFLICT (key) DO UPDATE SET value = excluded.value"},
    /* The tables a rebuild recomputes from the log. */
    [ST_CLEAR_DEPTS] = {"clear", "DELETE FROM departments"},
    [ST_CLEAR_TEMPLATES] = {"clear", "DELETE FROM templates"},
    [ST_CLEAR_PROJECTS] = {"clear", "DELETE FROM projects"},
    [ST_CLEAR_PROCS] = {"clear", "DELETE FROM procedures"},
    [ST_CLEAR_MILESTONES] = {"clear", "DELETE FROM milestones"},
    /* The fencing check at the start of every transaction. It fails on the server when the
     * epoch is not ours (the CHECK of fence.epoch), not just in its row count: the COMMIT is
     * often in the same pipeline, sent before the check's result is read. */
    [ST_FENCE] = {"fencing check", "UPDATE fence SET epoch = CASE WHEN epoch = $1 THEN epoch"
                                   " ELSE -1 END WHERE id = 1"},
    [ST_BEGIN] = {"begin", "BEGIN"},
    [ST_COMMIT] = {"commit", "COMMIT"},
    [ST_ROLLBACK] = {"rollback", "ROLLBACK"},
    [ST_SAVEPOINT] = {"savepoint", "SAVEPOINT item"},
    [ST_RELEASE] = {"release", "RELEASE SAVEPOINT item"},
    [ST_ROLLBACK_TO] = {"rollback to", "ROLLBACK TO SAVEPOINT item"},
};

/* The log and meta: the tables that are not derived. */
static const char *const log_schema[] = {
    "CREATE TABLE IF NOT EXISTS meta(key " TXT " PRIMARY KEY, value " TXT " NOT NULL)",
    "CREATE TABLE IF NOT EXISTS log(seq BIGINT PRIMARY KEY, event_id " TXT ","
    " kind " TXT " NOT NULL, actor " TXT " NOT NULL, dept " TXT ", project " TXT ","
    " procedure " TXT ", recv_ms BIGINT NOT NULL, event_ms BIGINT, cause BIGINT,"
    " body BYTEA NOT NULL)",
    "CREATE INDEX IF NOT EXISTS log_project ON log(project, seq)",
    "CREATE INDEX IF NOT EXISTS log_kind ON log(kind, seq)",
};

/*
 * An event id is unique per sender (the actor), not across senders. A log made when it was
 * unique across them (event_id UNIQUE, the constraint log_event_id_key) loses that constraint
 * at the take-over; its rows keep their meaning, since unique ids are unique per sender too.
 */
static const char *const log_scope[] = {
    "CREATE UNIQUE INDEX IF NOT EXISTS log_sender_event ON log(actor, event_id)",
    /* Only when it is there: ALTER TABLE would wait for every reader of the log. */
    "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'log_event_id_key'"
    " AND conrelid = 'log'::regclass) THEN ALTER TABLE log DROP CONSTRAINT log_event_id_key;"
    " END IF; END $$",
};

/* What a change of the derived tables' layout drops; the log stays. */
static const char *const drop_derived[] = {
    "DROP TABLE IF EXISTS departments", "DROP TABLE IF EXISTS templates",
    "DROP TABLE IF EXISTS projects",    "DROP TABLE IF EXISTS procedures",
    "DROP TABLE IF EXISTS milestones",
};

/* The derived tables, recomputed from the log whenever their layout changes. */
static const char *const derived_schema[] = {
    "CREATE TABLE departments(code " TXT " PRIMARY KEY, name " TXT " NOT NULL, contact " TXT ","
    " seq BIGINT NOT NULL)",
    "CREATE TABLE templates(name " TXT " NOT NULL, version BIGINT NOT NULL, seq BIGINT NOT NULL,"
    " PRIMARY KEY(name, version))",
    "CREATE TABLE projects(id " TXT " PRIMARY KEY, name " TXT " NOT NULL, region " TXT ","
    " industry " TXT ", company " TXT ", steward " TXT ", leader " TXT ", template " TXT
    " NOT NULL, template_version BIGINT NOT NULL, seq BIGINT NOT NULL,"
    " due INTEGER NOT NULL DEFAULT 0, colour " TXT " NOT NULL DEFAULT 'none',"
    " next_ms BIGINT NOT NULL DEFAULT 0)",
    "CREATE INDEX projects_next ON projects(next_ms) WHERE next_ms > 0",
    "CREATE TABLE procedures(project " TXT " NOT NULL, code " TXT " NOT NULL,"
    " ordinal INTEGER NOT NULL, dept " TXT " NOT NULL, state " TXT " NOT NULL,"
    " deficient INTEGER NOT NULL, cert " TXT ", updated_seq BIGINT NOT NULL,"
    " updated_ms BIGINT NOT NULL, accepted_ms BIGINT NOT NULL, extended INTEGER NOT NULL,"
    " deadline INTEGER NOT NULL, statutory INTEGER NOT NULL, provisional INTEGER NOT NULL,"
    " paused_on INTEGER NOT NULL, colour " TXT " NOT NULL, commit_state INTEGER NOT NULL,"
    " commit_due INTEGER NOT NULL, missing " TXT ", next_ms BIGINT NOT NULL,"
    " PRIMARY KEY(project, ordinal))",
    "CREATE INDEX procedures_next ON procedures(next_ms) WHERE next_ms > 0",
    "CREATE INDEX procedures_colour ON procedures(colour, deadline)"
    " WHERE colour IN ('red', 'yellow')",
    "CREATE TABLE milestones(project " TXT " NOT NULL, code " TXT " NOT NULL,"
    " seq BIGINT NOT NULL, PRIMARY KEY(project, code))",
    /* Empty until the log is replayed into them, however often a broker stops first. */
    "INSERT INTO meta(key, value) VALUES ('schema', '" STORE_SCHEMA_VERSION "'),"
    " ('derived', 'behind') ON CONFLICT (key) DO UPDATE SET value = excluded.value",
};

/* What a result read from the pipeline is for. */
enum pend_kind {
    PK_PREPARE, /* preparing a statement on this connection */
    PK_WRITE,   /* a statement whose failure fails the transaction */
    PK_FENCE,   /* the fencing check: exactly one row */
    PK_READ,    /* rows for the caller */
    PK_COMMIT,  /* COMMIT: done only when it says COMMIT */
    PK_QUIET,   /* ROLLBACK and session settings: a failure is logged, nothing more */
    PK_SYNC,    /* the end of a pipeline segment */
};

typedef struct pend {
    uint8_t kind;
    int16_t stmt;     /* the statement, -1 for one without a name */
    const char *what; /* for log lines: a string literal */
} pend_t;

/*
 * The event ids of the log, in a Bloom filter: most events are new, and asking the database
 * whether an id is logged cost a round trip per event, the largest cost of a batch. The filter
 * answers "not logged" for sure: it holds every id of the log as it was when this broker took
 * over (or last reloaded it), and every id appended since, whether its transaction committed
 * or not. It is used only inside a transaction of a broker that took over: any other broker
 * that logged an id since took over after us, so that transaction fails its fencing check
 * and commits nothing. A commit whose outcome was unknown holds the fencing row lock until it
 * is resolved, so after a later commit succeeded every row it wrote is visible: the filter is
 * reloaded only then (when it grows too full, or after a unique violation made it suspect).
 */
typedef struct idfilter {
    uint64_t *bits;
    size_t nbits; /* a power of two; 0: no filter, ask the database */
    size_t n;     /* ids added */
    bool stale;   /* reload after the next successful commit */
} idfilter_t;

#define IDF_PROBES 7
#define IDF_MIN_BITS (UINT64_C(1) << 20) /* 128 KiB */
#define IDF_BITS_PER_ID 16               /* at load; reloaded bigger when it falls to 8 */

static void
idf_hash(const char *id, uint64_t *h1, uint64_t *h2)
{
    uint64_t a = UINT64_C(1469598103934665603), c = UINT64_C(0x9e3779b97f4a7c15);

    for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
        a = (a ^ *p) * UINT64_C(1099511628211);
        c = (c ^ *p) * UINT64_C(0xff51afd7ed558ccd);
        c ^= c >> 29;
    }
    *h1 = a;
    *h2 = c | 1;
}

static void
idf_add(idfilter_t *f, const char *id)
{
    uint64_t h1, h2;

    if (f->nbits == 0 || id == NULL)
        return;
    idf_hash(id, &h1, &h2);
    for (int i = 0; i < IDF_PROBES; i++) {
        uint64_t bit = (h1 + (uint64_t)i * h2) & (f->nbits - 1);
        f->bits[bit / 64] |= UINT64_C(1) << (bit % 64);
    }
    if (++f->n > f->nbits / 8)
        f->stale = true; /* about 2 % false positives from here: make it bigger */
}

/* False: the id is surely not in the log. */
static bool
idf_maybe(const idfilter_t *f, const char *id)
{
    uint64_t h1, h2;

    idf_hash(id, &h1, &h2);
    for (int i = 0; i < IDF_PROBES; i++) {
        uint64_t bit = (h1 + (uint64_t)i * h2) & (f->nbits - 1);
        if ((f->bits[bit / 64] & (UINT64_C(1) << (bit % 64))) == 0)
            return false;
    }
    return true;
}

static void
idf_reset(idfilter_t *f, size_t expect)
{
    size_t nbits = IDF_MIN_BITS;

    while (nbits / IDF_BITS_PER_ID < expect)
        nbits *= 2;
    free(f->bits);
    f->bits = xcalloc(nbits / 64, sizeof(uint64_t));
    f->nbits = nbits;
    f->n = 0;
    f->stale = false;
}

static void
idf_drop(idfilter_t *f)
{
    free(f->bits);
    memset(f, 0, sizeof(*f));
}

/*
 * Milestones by project, as milestones_list reads them: the engine asks for a project's
 * milestones whenever one of its procedures is done, a round trip each time. Kept as read
 * and as written (milestone_put appends: seqs only grow), and emptied whenever what it holds
 * may be undone (a rollback of either kind, a clear, a lost connection). Bounded: emptied
 * when full.
 */
#define MSC_SLOTS 16384 /* a power of two */
#define MSC_MAX 8192

typedef struct msc_entry {
    char *project; /* NULL: a free slot */
    strv_t codes;  /* in seq order */
} msc_entry_t;

typedef struct mscache {
    msc_entry_t *slots;
    size_t count;
} mscache_t;

static void
msc_flush(mscache_t *c)
{
    if (c->count == 0)
        return;
    for (size_t i = 0; i < MSC_SLOTS; i++) {
        if (c->slots[i].project != NULL) {
            free(c->slots[i].project);
            strv_clear(&c->slots[i].codes);
            c->slots[i].project = NULL;
        }
    }
    c->count = 0;
}

/* The entry of project; with add, a new empty one if there is none (NULL when full). */
static msc_entry_t *
msc_find(mscache_t *c, const char *project, bool add)
{
    if (c->slots == NULL) {
        if (!add)
            return NULL;
        c->slots = xcalloc(MSC_SLOTS, sizeof(msc_entry_t));
    }
    for (size_t i = (size_t)util_hash(project) & (MSC_SLOTS - 1), k = 0; k < MSC_SLOTS;
         i = (i + 1) & (MSC_SLOTS - 1), k++) {
        msc_entry_t *e = &c->slots[i];
        if (e->project == NULL) {
            if (!add || c->count >= MSC_MAX)
                return NULL;
            e->project = xstrdup(project);
            memset(&e->codes, 0, sizeof(e->codes));
            c->count++;
            return e;
        }
        if (strcmp(e->project, project) == 0)
            return e;
    }
    return NULL;
}

static void
msc_drop(mscache_t *c)
{
    msc_flush(c);
    free(c->slots);
    c->slots = NULL;
}

struct store_backend {
    strpool_t *names; /* where procedure rows read intern their codes (store.h) */
    char *conninfo;
    char *label; /* the target for log lines, without a password */
    bool readonly;
    int timeout_ms;
    PGconn *conn;
    bool prepared[ST__COUNT]; /* on this connection */
    pend_t *pend;             /* results still to read, in order: a ring */
    size_t pend_head, pend_n, pend_cap;
    PGresult *read; /* the last read's rows, once the pipeline was read */

    bool needs_rebuild;
    int64_t epoch;     /* the fencing epoch this broker took over with; 0: not taken over */
    bool deposed;      /* another broker took over, or the server is a standby now */
    int64_t lost_ms;   /* monotonic: since when a serving broker cannot reach it, 0: can */
    bool in_tx;        /* between begin and commit/rollback */
    bool tx_failed;    /* a statement of the transaction failed, or the connection was lost */
    bool committed;    /* the COMMIT said COMMIT */
    bool sp_open;      /* a savepoint was asked for and not released yet */
    bool sp_sent;      /* ... and taken on the server (a write followed it) */
    bool repl_warning; /* a warning during the commit said the replication wait was cut short */
    bool full;         /* the last write failed for want of space */
    int64_t full_since_ms;
    idfilter_t ids;        /* every event id in the log (and some that are not): see find_event */
    mscache_t milestones;  /* milestones of recently used projects */
    char *last_conn_error; /* the last connection failure logged, and when */
    int64_t last_conn_error_ms;
};

static void pg_drop(store_backend_t *b);
static int pg_rollback(store_backend_t *b);

/* A message of libpq or the server on one line: newlines and the tabs after them become one
 * space, a trailing newline goes. Caller owns. */
static char *
oneline(const char *msg)
{
    char *s = xstrdup(msg != NULL && *msg != '\0' ? msg : "unknown error");
    char *w = s;

    for (const char *r = s; *r != '\0'; r++) {
        if (*r == '\n' || *r == '\t' || *r == '\r') {
            if (w > s && w[-1] != ' ')
                *w++ = ' ';
            continue;
        }
        *w++ = *r;
    }
    while (w > s && w[-1] == ' ')
        w--;
    *w = '\0';
    return s;
}

/* A connection failure, logged when it is new (or 30 s after it was last said): with the
 * database away, every operation fails the same way and one line says it. */
static void
conn_failed_log(store_backend_t *b, const char *what, const char *msg)
{
    int64_t now = util_mono_ms();
    char *line = oneline(msg);

    if (b->last_conn_error == NULL || strcmp(b->last_conn_error, line) != 0 ||
        now - b->last_conn_error_ms >= PG_LOG_REPEAT_MS) {
        log_warnx(_("store: %s: %s: %s"), b->label, what, line);
        b->last_conn_error_ms = now;
    }
    free(b->last_conn_error);
    b->last_conn_error = line;
}

/* Notices (a CREATE ... IF NOT EXISTS that skipped, a ROLLBACK outside a transaction) are
 * not for the log; a warning that a wait for synchronous replication was cut short is
 * remembered: the commit it belongs to is not taken as durable. */
static void
on_notice(void *arg, const PGresult *res)
{
    store_backend_t *b = arg;
    const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);

    if (msg != NULL && sev != NULL && strcmp(sev, "WARNING") == 0 &&
        strstr(msg, "synchronous replication") != NULL) {
        b->repl_warning = true;
        log_warnx(_("store: %s: %s"), b->label, msg);
        return;
    }
    log_debug("store: %s: server says: %s", b->label, msg != NULL ? msg : "?");
}

/* --- The queue of results to read. ------------------------------------------------------ */

static void
pend_push(store_backend_t *b, enum pend_kind kind, int stmt, const char *what)
{
    if (b->pend_n == b->pend_cap) {
        size_t cap = b->pend_cap ? b->pend_cap * 2 : 64;
        pend_t *v = xcalloc(cap, sizeof(*v));
        for (size_t i = 0; i < b->pend_n; i++)
            v[i] = b->pend[(b->pend_head + i) % b->pend_cap];
        free(b->pend);
        b->pend = v;
        b->pend_head = 0;
        b->pend_cap = cap;
    }
    b->pend[(b->pend_head + b->pend_n) % b->pend_cap] =
        (pend_t){(uint8_t)kind, (int16_t)stmt, what};
    b->pend_n++;
}

static pend_t
pend_pop(store_backend_t *b)
{
    pend_t p = b->pend[b->pend_head];

    b->pend_head = (b->pend_head + 1) % b->pend_cap;
    b->pend_n--;
    return p;
}

/* --- Parameters. ------------------------------------------------------------------------ */

#define PARAMS_MAX 20

/* Parameters of one statement: text, except a body (binary). PQsendQueryPrepared copies
 * them into its buffer at once, so they may live on the stack. */
typedef struct params {
    int n;
    const char *v[PARAMS_MAX];
    int len[PARAMS_MAX];
    int fmt[PARAMS_MAX];
    char num[PARAMS_MAX][24];
} params_t;

static void
p_text(params_t *p, const char *s)
{
    p->v[p->n] = s; /* NULL is SQL NULL */
    p->len[p->n] = 0;
    p->fmt[p->n] = 0;
    p->n++;
}

static void
p_int(params_t *p, int64_t v)
{
    snprintf(p->num[p->n], sizeof(p->num[p->n]), "%" PRId64, v);
    p_text(p, p->num[p->n]);
}

/* 0 is SQL NULL (event_ms, cause). */
static void
p_int_or_null(params_t *p, int64_t v)
{
    if (v == 0)
        p_text(p, NULL);
    else
        p_int(p, v);
}

static void
p_bin(params_t *p, const void *data, size_t len)
{
    p->v[p->n] = data;
    p->len[p->n] = (int)len;
    p->fmt[p->n] = 1;
    p->n++;
}

/* A filter that is NULL or "" matches everything: SQL NULL. */
static void
p_filter(params_t *p, const char *s)
{
    p_text(p, util_empty(s) ? NULL : s);
}

/* --- Results. --------------------------------------------------------------------------- */

static char *
col_text(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : xstrdup(PQgetvalue(r, row, col));
}

static int64_t
col_int(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

/* True when an error means the database's disk (or memory) is exhausted. */
static bool
result_full(const PGresult *r)
{
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

    if (state == NULL)
        return false;
    return strcmp(state, "53100") == 0 || strcmp(state, "53200") == 0 ||
           (strcmp(state, "58030") == 0 && msg != NULL && strstr(msg, strerror(ENOSPC)) != NULL);
}

/* A statement failed: the transaction cannot commit. A full disk is logged when it starts,
 * anything else every time (once per transaction: the statements after it are not run). */
static void
statement_failed(store_backend_t *b, const PGresult *r, const char *what)
{
    char *msg = oneline(PQresultErrorMessage(r));

    if (b->in_tx)
        b->tx_failed = true;
    if (util_strcmp0(PQresultErrorField(r, PG_DIAG_SQLSTATE), "23505") == 0)
        b->ids.stale = true; /* an id (or seq) it did not know of: see idfilter_t */
    if (!result_full(r)) {
        log_warnx(_("store: %s: %s"), what, msg);
    } else if (!b->full) {
        b->full = true;
        b->full_since_ms = util_now_ms();
        log_warnx(_("store: %s: the database has no space left (%s): events are refused with "
                    "\"storage\" (resend later) and nothing is acked until space returns"),
                  b->label, msg);
    }
    free(msg);
}

/* Another broker took over: this one stops writing. */
static void
fenced_out(store_backend_t *b)
{
    /* The broker says it is deposed (once); this line says why. */
    if (!b->deposed)
        log_info("store: %s: another broker took over (the fencing epoch is no longer %" PRId64
                 "); nothing more is written here",
                 b->label, b->epoch);
    b->deposed = true;
    b->tx_failed = true;
}

/* The result of one pending statement. Takes r. */
static void
handle_result(store_backend_t *b, pend_t p, PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    const char *what = p.what;

    if (st == PGRES_PIPELINE_ABORTED) {
        /* An earlier statement of the segment failed (and said so); this one did not run. */
        if (p.kind == PK_PREPARE)
            b->prepared[p.stmt] = false;
        if (b->in_tx)
            b->tx_failed = true;
        PQclear(r);
        return;
    }
    if (p.kind == PK_FENCE && st == PGRES_FATAL_ERROR &&
        util_strcmp0(PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME), PG_FENCE_CHECK) == 0) {
        fenced_out(b);
        PQclear(r);
        return;
    }
    if (st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR || st == PGRES_BAD_RESPONSE) {
        if (p.kind == PK_PREPARE)
            b->prepared[p.stmt] = false;
        statement_failed(b, r, what);
        PQclear(r);
        return;
    }
    switch (p.kind) {
    case PK_FENCE:
        if (strcmp(PQcmdTuples(r), "1") != 0)
            fenced_out(b); /* no fencing row: nobody's epoch is ours */
        break;
    case PK_READ:
        if (st == PGRES_TUPLES_OK) {
            PQclear(b->read);
            b->read = r;
            return;
        }
        log_warnx(_("store: %s: unexpected answer %s"), what, PQresStatus(st));
        b->tx_failed = b->in_tx;
        break;
    case PK_COMMIT:
        if (strcmp(PQcmdStatus(r), "COMMIT") == 0) {
            b->committed = true;
        } else {
            /* COMMIT of a transaction that failed answers ROLLBACK. */
            log_warnx(_("store: commit: the server rolled the transaction back (%s)"),
                      PQcmdStatus(r));
            b->tx_failed = true;
        }
        break;
    default:
        break;
    }
    PQclear(r);
}

/*
 * The next result of the pipeline, waiting at most until deadline (monotonic ms). Sets *lost
 * (and logs) when the deadline passed or the connection broke: the caller drops it.
 */
static PGresult *
next_result(store_backend_t *b, int64_t deadline, const char *what, bool *lost)
{
    for (;;) {
        int flush = PQflush(b->conn);
        struct pollfd pfd;
        int64_t left;
        int rc;

        if (flush < 0)
            break;
        if (!PQisBusy(b->conn))
            return PQgetResult(b->conn);
        left = deadline - util_mono_ms();
        if (left <= 0) {
            log_warnx(_("store: %s: %s: no answer from the database within %d ms; the connection "
                        "is dropped"),
                      b->label, what, b->timeout_ms);
            *lost = true;
            return NULL;
        }
        pfd.fd = PQsocket(b->conn);
        pfd.events = (short)(POLLIN | (flush == 1 ? POLLOUT : 0));
        pfd.revents = 0;
        rc = poll(&pfd, 1, (int)left);
        if (rc < 0 && errno != EINTR) {
            log_warn(_("store: poll"));
            *lost = true;
            return NULL;
        }
        if (rc > 0 && (pfd.revents & (POLLIN | POLLERR | POLLHUP)) != 0 && !PQconsumeInput(b->conn))
            break;
    }
    conn_failed_log(b, what, PQerrorMessage(b->conn));
    *lost = true;
    return NULL;
}

/*
 * End the pipeline segment with a Sync and read every pending result, in order, within one
 * deadline. A read's rows are left in b->read. -1 when the connection was lost or the
 * deadline passed (the connection is dropped); statements that failed are noted in the
 * backend's flags (tx_failed, deposed, full), not here.
 */
static int
pg_sync(store_backend_t *b, const char *what)
{
    int64_t deadline = util_mono_ms() + b->timeout_ms;
    bool lost = false;

    if (b->conn == NULL)
        return -1;
    if (!PQpipelineSync(b->conn)) {
        conn_failed_log(b, what, PQerrorMessage(b->conn));
        pg_drop(b);
        return -1;
    }
    pend_push(b, PK_SYNC, -1, what);
    while (b->pend_n > 0) {
        pend_t p = b->pend[b->pend_head];
        PGresult *r = next_result(b, deadline, what, &lost);

        if (lost)
            break;
        if (p.kind == PK_SYNC) {
            if (PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
                log_warnx(_("store: %s: the pipeline is out of step (%s where a sync was due)"),
                          what, r ? PQresStatus(PQresultStatus(r)) : "nothing");
                PQclear(r);
                lost = true;
                break;
            }
            PQclear(r);
            pend_pop(b);
            continue;
        }
        if (r == NULL) {
            log_warnx(_("store: %s: the pipeline is out of step (no result for %s)"), what, p.what);
            lost = true;
            break;
        }
        handle_result(b, p, r);
        /* Each statement's results end with NULL. */
        while ((r = next_result(b, deadline, what, &lost)) != NULL)
            PQclear(r);
        if (lost)
            break;
        pend_pop(b);
        if (PQstatus(b->conn) == CONNECTION_BAD) {
            conn_failed_log(b, what, PQerrorMessage(b->conn));
            lost = true;
            break;
        }
    }
    if (lost) {
        pg_drop(b);
        return -1;
    }
    return 0;
}

/* Queue a prepared statement (prepared first on this connection if need be). */
static int
send_stmt(store_backend_t *b, enum stmt_id id, const params_t *p, enum pend_kind kind,
          int result_format)
{
    char name[16];

    snprintf(name, sizeof(name), "s%d", (int)id);
    if (!b->prepared[id]) {
        if (!PQsendPrepare(b->conn, name, stmts[id].sql, 0, NULL))
            goto fail;
        pend_push(b, PK_PREPARE, id, stmts[id].what);
        b->prepared[id] = true;
    }
    if (!PQsendQueryPrepared(b->conn, name, p ? p->n : 0, p ? p->v : NULL, p ? p->len : NULL,
                             p ? p->fmt : NULL, result_format))
        goto fail;
    pend_push(b, kind, id, stmts[id].what);
    return 0;
fail:
    conn_failed_log(b, stmts[id].what, PQerrorMessage(b->conn));
    pg_drop(b);
    return -1;
}

/* Queue a statement that is run once in a while (schema, settings): not prepared. */
static int
send_sql(store_backend_t *b, const char *what, const char *sql, enum pend_kind kind,
         const params_t *p)
{
    if (!PQsendQueryParams(b->conn, sql, p ? p->n : 0, NULL, p ? p->v : NULL, p ? p->len : NULL,
                           p ? p->fmt : NULL, 0)) {
        conn_failed_log(b, what, PQerrorMessage(b->conn));
        pg_drop(b);
        return -1;
    }
    pend_push(b, kind, -1, what);
    return 0;
}

/* --- The connection. -------------------------------------------------------------------- */

/* Forget the connection: it broke, or did not answer in time. Never a cancel: the server
 * ends (and rolls back) what it was doing when it notices, except a commit that already
 * happened locally and waits for a standby, whose outcome nobody here can know. */
static void
pg_drop(store_backend_t *b)
{
    if (b->conn != NULL)
        PQfinish(b->conn);
    b->conn = NULL;
    memset(b->prepared, 0, sizeof(b->prepared));
    b->pend_n = b->pend_head = 0;
    PQclear(b->read);
    b->read = NULL;
    if (b->in_tx)
        b->tx_failed = true;
    msc_flush(&b->milestones);
}

/* Connect within the deadline; *why (caller owns) says why not. The session: UTF-8, the
 * lock wait bounded below the deadline (a take-over behind a long transaction fails cleanly
 * instead of being dropped), and a session left idle in a transaction (a broker stopped with
 * SIGSTOP) ended by the server so its fencing row lock does not block a take-over for ever. */
static int
pg_connect(store_backend_t *b, char **why)
{
    const char *keys[] = {"dbname", "client_encoding", "fallback_application_name", NULL};
    const char *vals[] = {b->conninfo, "UTF8", "permitd", NULL};
    int64_t deadline = util_mono_ms() + b->timeout_ms;
    PostgresPollingStatusType ps = PGRES_POLLING_WRITING;
    char sql[96];

    pg_drop(b);
    b->conn = PQconnectStartParams(keys, vals, 1);
    if (b->conn == NULL) {
        *why = xstrdup("out of memory");
        return -1;
    }
    while (PQstatus(b->conn) != CONNECTION_BAD && ps != PGRES_POLLING_OK &&
           ps != PGRES_POLLING_FAILED) {
        struct pollfd pfd = {PQsocket(b->conn), ps == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0};
        int64_t left = deadline - util_mono_ms();
        int rc;
        if (left <= 0) {
            *why = xasprintf(_("no connection within %d ms"), b->timeout_ms);
            pg_drop(b);
            return -1;
        }
        rc = poll(&pfd, 1, (int)left);
        if (rc < 0 && errno != EINTR) {
            *why = xasprintf(_("poll: %s"), strerror(errno));
            pg_drop(b);
            return -1;
        }
        if (rc > 0)
            ps = PQconnectPoll(b->conn);
    }
    if (PQstatus(b->conn) != CONNECTION_OK) {
        *why = oneline(PQerrorMessage(b->conn));
        pg_drop(b);
        return -1;
    }
    PQsetNoticeReceiver(b->conn, on_notice, b);
    if (PQsetnonblocking(b->conn, 1) != 0 || !PQenterPipelineMode(b->conn)) {
        *why = oneline(PQerrorMessage(b->conn));
        pg_drop(b);
        return -1;
    }
    snprintf(sql, sizeof(sql), "SET lock_timeout = %d",
             b->timeout_ms / 2 > 0 ? b->timeout_ms / 2 : 1);
    if (send_sql(b, "session settings", sql, PK_QUIET, NULL) < 0)
        goto lost;
    snprintf(sql, sizeof(sql), "SET idle_in_transaction_session_timeout = %d",
             b->timeout_ms * 2 > 10000 ? b->timeout_ms * 2 : 10000);
    if (send_sql(b, "session settings", sql, PK_QUIET, NULL) < 0)
        goto lost;
    if (b->readonly && send_sql(b, "session settings", "SET default_transaction_read_only = on",
                                PK_QUIET, NULL) < 0)
        goto lost;
    if (pg_sync(b, "connect") < 0)
        goto lost;
    return 0;
lost:
    *why = xasprintf(_("the connection broke while it was set up"));
    pg_drop(b);
    return -1;
}

/* One round trip of an unnamed statement that returns rows: b->read holds them. */
static int
query_rows(store_backend_t *b, const char *what, const char *sql, const params_t *p)
{
    if (send_sql(b, what, sql, PK_READ, p) < 0 || pg_sync(b, what) < 0)
        return -1;
    return b->read != NULL ? 0 : -1;
}

/*
 * A connection, made again if it was lost. A broker that took over checks on a new
 * connection that it may still serve: the server is still the primary and the fencing epoch
 * still its own. Otherwise it is deposed.
 */
/*
 * A serving broker that cannot reach its database for PG_CUT_OFF_TIMEOUTS deadlines in a row
 * steps down (deposed): bound but unable to commit, it would answer "storage" for ever and
 * its clients would never move on to the broker that can. Restarted by its supervisor, it
 * waits without its sockets bound until its database answers as the primary again.
 */
static void
cut_off(store_backend_t *b)
{
    int64_t now = util_mono_ms();

    if (b->epoch == 0)
        return; /* not serving yet: store_open_wait waits */
    if (b->lost_ms == 0) {
        b->lost_ms = now;
        return;
    }
    if (now - b->lost_ms < (int64_t)PG_CUT_OFF_TIMEOUTS * b->timeout_ms)
        return;
    log_warnx(_("store: %s: cut off from the database for %.1f s; stepping down so that clients "
                "move to a broker that can commit"),
              b->label, (double)(now - b->lost_ms) / 1000.0);
    b->deposed = true;
}

/*
 * One round trip outside a transaction: is the server still the primary and the fencing
 * epoch still ours? 0 yes; -1 when it cannot tell (the connection is dropped) or when it is
 * not (deposed, said once). what names the check in the log.
 */
static int
epoch_check(store_backend_t *b, const char *what)
{
    bool recovery;
    int64_t epoch;

    if (query_rows(b, what, "SELECT pg_is_in_recovery(), (SELECT epoch FROM fence WHERE id = 1)",
                   NULL) < 0 ||
        PQntuples(b->read) != 1) {
        pg_drop(b);
        return -1;
    }
    recovery = strcmp(PQgetvalue(b->read, 0, 0), "t") == 0;
    epoch = col_int(b->read, 0, 1);
    PQclear(b->read);
    b->read = NULL;
    if (!recovery && epoch == b->epoch)
        return 0;
    if (recovery)
        log_info(_("store: %s: the database is a standby now; nothing more is written here"),
                 b->label);
    else
        log_info("store: %s: another broker took over (fencing epoch %" PRId64 ", ours %" PRId64
                 "); nothing more is written here",
                 b->label, epoch, b->epoch);
    b->deposed = true;
    pg_drop(b);
    return -1;
}

static int
ensure_conn(store_backend_t *b)
{
    char *why = NULL;

    if (b->conn != NULL)
        return 0;
    if (b->deposed)
        return -1;
    if (pg_connect(b, &why) < 0) {
        conn_failed_log(b, "cannot reach the database", why);
        free(why);
        cut_off(b);
        return -1;
    }
    b->lost_ms = 0;
    if (b->epoch == 0)
        return 0;
    if (epoch_check(b, "reconnect check") < 0)
        return -1;
    log_info(_("store: %s: connected again"), b->label);
    return 0;
}

/* --- Reads and writes. ------------------------------------------------------------------ */

/* Run a read: its rows in *out (caller clears), after every write queued before it. */
static int
pg_read(store_backend_t *b, enum stmt_id id, const params_t *p, int result_format, PGresult **out)
{
    if (b->in_tx && (b->tx_failed || b->conn == NULL))
        return -1; /* the transaction is lost: it must be rolled back */
    if (b->deposed)
        return -1; /* another broker's rows are no business of this one any more */
    if (!b->in_tx && ensure_conn(b) < 0)
        return -1;
    PQclear(b->read);
    b->read = NULL;
    if (send_stmt(b, id, p, PK_READ, result_format) < 0 || pg_sync(b, stmts[id].what) < 0)
        return -1;
    if (b->read == NULL || (b->in_tx && b->tx_failed))
        return -1;
    *out = b->read;
    b->read = NULL;
    return 0;
}

/* Queue a write of the open transaction; its result is read later. */
static int
pg_write(store_backend_t *b, enum stmt_id id, const params_t *p)
{
    if (!b->in_tx) {
        log_warnx(_("store: %s outside a transaction"), stmts[id].what);
        return -1;
    }
    if (b->tx_failed || b->conn == NULL)
        return -1; /* said when it failed; nothing more is written */
    if (b->sp_open && !b->sp_sent) {
        b->sp_sent = true; /* first, so what follows can be undone */
        if (send_stmt(b, ST_SAVEPOINT, NULL, PK_WRITE, 0) < 0)
            return -1;
    }
    if (send_stmt(b, id, p, PK_WRITE, 0) < 0)
        return -1;
    if (b->pend_n >= PG_PENDING_MAX && (pg_sync(b, stmts[id].what) < 0 || b->tx_failed))
        return -1;
    return 0;
}

/* One integer from a read that returns one row. */
static int
read_int(store_backend_t *b, enum stmt_id id, const params_t *p, int64_t *out)
{
    PGresult *r;

    if (pg_read(b, id, p, 0, &r) < 0)
        return -1;
    *out = PQntuples(r) > 0 ? col_int(r, 0, 0) : 0;
    PQclear(r);
    return 0;
}

/* --- Open and close. -------------------------------------------------------------------- */

/* A value of meta, NULL without one (or without meta); -1 on failure. */
static int
meta_value(store_backend_t *b, const char *key, char **out)
{
    params_t p = {0};
    bool found;

    *out = NULL;
    if (query_rows(b, "meta", "SELECT to_regclass('meta') IS NOT NULL", NULL) < 0)
        return -1;
    found = strcmp(PQgetvalue(b->read, 0, 0), "t") == 0;
    PQclear(b->read);
    b->read = NULL;
    if (!found)
        return 0;
    p_text(&p, key);
    if (query_rows(b, "meta", "SELECT value FROM meta WHERE key = $1", &p) < 0)
        return -1;
    if (PQntuples(b->read) > 0)
        *out = col_text(b->read, 0, 0);
    PQclear(b->read);
    b->read = NULL;
    return 0;
}

/* The schema version of the derived tables in meta, NULL without one; -1 on failure. */
static int
schema_version(store_backend_t *b, char **out)
{
    return meta_value(b, "schema", out);
}

/*
 * The layout version (store.h, STORE_LAYOUT_VERSION) is meta's 'layout' row, written at each
 * take-over; none (0) before it was kept. 1 and *err (caller owns) when a newer release wrote
 * the database, 0 when not, -1 when it cannot be read.
 */
static int
newer_layout(store_backend_t *b, char **err)
{
    char *v = NULL;
    long long n;

    if (meta_value(b, "layout", &v) < 0)
        return -1;
    n = v != NULL ? strtoll(v, NULL, 10) : 0;
    free(v);
    if (n <= STORE_LAYOUT_VERSION)
        return 0;
    *err = store_newer_layout(b->label, n);
    return 1;
}

static void
pg_close(store_backend_t *b)
{
    if (b == NULL)
        return;
    if (b->in_tx && b->conn != NULL)
        pg_rollback(b);
    pg_drop(b);
    free(b->pend);
    idf_drop(&b->ids);
    msc_drop(&b->milestones);
    free(b->conninfo);
    free(b->label);
    free(b->last_conn_error);
    free(b);
}

/*
 * Open: a read-write backend only checks its target here (ready connects, take_over lays out
 * the tables); a read-only one (reports beside a running broker) connects at once and
 * refuses a database of another layout version.
 */
static store_backend_t *
pg_open(const char *conninfo, bool readonly, strpool_t *names, char **err)
{
    store_backend_t *b;
    PQconninfoOption *opts;
    char *msg = NULL, *why = NULL, *version = NULL;

    opts = PQconninfoParse(conninfo, &msg);
    if (opts == NULL) {
        char *line = oneline(msg), *shown = store_target_redacted(conninfo);
        *err = xasprintf(_("%s: not a PostgreSQL connection URI: %s"), shown, line);
        free(shown);
        free(line);
        PQfreemem(msg);
        return NULL;
    }
    PQconninfoFree(opts);
    b = xcalloc(1, sizeof(*b));
    b->names = names;
    b->conninfo = xstrdup(conninfo);
    b->label = store_target_redacted(conninfo); /* no password in log lines */
    b->readonly = readonly;
    b->timeout_ms = PG_TIMEOUT_MS;
    if (!readonly)
        return b;
    if (pg_connect(b, &why) < 0) {
        *err = xasprintf(_("%s: cannot reach the database: %s"), b->label, why);
        goto fail;
    }
    if (newer_layout(b, err) != 0 || schema_version(b, &version) < 0) {
        if (*err == NULL)
            *err = xasprintf(_("%s: cannot read the schema version"), b->label);
        goto fail;
    }
    if (version == NULL || strcmp(version, STORE_SCHEMA_VERSION) != 0) {
        *err = xasprintf(_("%s: not a permitd database of this version (start permitd on it once)"),
                         b->label);
        goto fail;
    }
    free(version);
    return b;
fail:
    free(why);
    free(version);
    pg_close(b);
    return NULL;
}

/* Every commit writes the tables: they are behind only when laid out anew and not yet
 * replayed into (the mark). */
static uint64_t
pg_replay_from(const store_backend_t *b)
{
    return b->needs_rebuild ? 1 : 0;
}

static int
pg_zone_get(store_backend_t *b, char **out)
{
    return meta_value(b, "time_zone", out);
}

static int
pg_zone_put(store_backend_t *b, const char *zone)
{
    params_t p = {0};

    p_text(&p, zone);
    return pg_write(b, ST_ZONE_PUT, &p);
}

static int
pg_derived_mark(store_backend_t *b, uint64_t from)
{
    params_t p = {0};

    p_text(&p, from > 0 ? "behind" : "current");
    return pg_write(b, ST_DERIVED_MARK, &p);
}

/* Whether the mark says the tables wait for a replay (inside the take-over transaction). */
static int
read_mark(store_backend_t *b, bool *behind)
{
    if (query_rows(b, "derived mark", "SELECT value FROM meta WHERE key = 'derived'", NULL) < 0)
        return -1;
    *behind = PQntuples(b->read) > 0 && strcmp(PQgetvalue(b->read, 0, 0), "behind") == 0;
    PQclear(b->read);
    b->read = NULL;
    return 0;
}

static void
pg_set_timeout(store_backend_t *b, int ms)
{
    b->timeout_ms = ms > 0 ? ms : PG_TIMEOUT_MS;
}

static bool
pg_deposed(const store_backend_t *b)
{
    return b->deposed;
}

/* Between transactions: a reconnect checks the epoch by itself, else one round trip does. */
static int
pg_check_epoch(store_backend_t *b)
{
    bool fresh = b->conn == NULL;

    if (b->in_tx) {
        log_warnx(_("store: %s: an epoch check inside a transaction"), b->label);
        return -1;
    }
    if (b->deposed || b->epoch == 0 || ensure_conn(b) < 0)
        return -1;
    return fresh ? 0 : epoch_check(b, "epoch check");
}

/* 1 when the database is the primary and reachable, 0 (with *why) when not. */
static int
pg_ready(store_backend_t *b, char **why)
{
    char *msg = NULL;
    bool recovery;

    if (b->conn == NULL && pg_connect(b, &msg) < 0) {
        *why = xasprintf(_("cannot reach the database: %s"), msg);
        free(msg);
        return 0;
    }
    if (query_rows(b, "primary check", "SELECT pg_is_in_recovery()", NULL) < 0) {
        *why = xstrdup("the database did not answer (see the log)");
        pg_drop(b);
        return 0;
    }
    recovery = strcmp(PQgetvalue(b->read, 0, 0), "t") == 0;
    PQclear(b->read);
    b->read = NULL;
    if (recovery) {
        *why = xstrdup("the database is a standby (waiting for it to become the primary)");
        return 0;
    }
    /* A database a newer release wrote is never taken over: no waiting makes it ours. */
    switch (newer_layout(b, why)) {
    case 1:
        return -1;
    case -1:
        *why = xstrdup("the database did not answer (see the log)");
        pg_drop(b);
        return 0;
    }
    return 1;
}

/*
 * Load the filter of event ids from the log, a page at a time, outside a transaction. On
 * failure there is no filter and find_event asks the database, as it does before take_over.
 */
static void
idf_load(store_backend_t *b)
{
    const char *page_sql = "SELECT seq, event_id FROM log WHERE seq > $1::bigint"
                           " AND event_id IS NOT NULL ORDER BY seq LIMIT 50000";
    int64_t t0 = util_mono_ms(), after = 0, expect;
    size_t rows;

    idf_drop(&b->ids);
    if (query_rows(b, "event ids", "SELECT COUNT(event_id) FROM log", NULL) < 0)
        goto fail;
    expect = col_int(b->read, 0, 0);
    PQclear(b->read);
    b->read = NULL;
    idf_reset(&b->ids, (size_t)expect * 2);
    do {
        params_t p = {0};
        p_int(&p, after);
        if (query_rows(b, "event ids", page_sql, &p) < 0)
            goto fail;
        rows = (size_t)PQntuples(b->read);
        for (size_t i = 0; i < rows; i++)
            idf_add(&b->ids, PQgetvalue(b->read, (int)i, 1));
        if (rows > 0)
            after = col_int(b->read, (int)rows - 1, 0);
        PQclear(b->read);
        b->read = NULL;
    } while (rows > 0);
    b->ids.stale = false;
    log_info(_("store: %s: %zu event ids of the log loaded for the dedup in %.1f s"), b->label,
             b->ids.n, (double)(util_mono_ms() - t0) / 1000.0);
    return;
fail:
    PQclear(b->read);
    b->read = NULL;
    idf_drop(&b->ids);
    log_warnx(_("store: %s: the event ids of the log could not be loaded; each event's dedup asks "
                "the database"),
              b->label);
}

/* Send each statement of a list (inside the take-over's transaction). */
static int
send_all(store_backend_t *b, const char *const *sql, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (send_sql(b, "schema", sql[i], PK_WRITE, NULL) < 0)
            return -1;
    return 0;
}

/*
 * Become the broker that serves: in one transaction, under an advisory lock (brokers
 * starting together take turns), advance the fencing epoch (first: its row lock waits for
 * the deposed broker's transaction in flight, and makes its next one wait and then fail),
 * then lay out the tables if the schema version is not ours (derived tables dropped and made
 * again: needs_rebuild).
 */
static int
pg_take_over(store_backend_t *b, char **err)
{
    params_t p = {0};
    char *version = NULL;
    int64_t epoch;

    if (b->readonly) {
        *err = xasprintf(_("%s: a read-only store cannot take over"), b->label);
        return -1;
    }
    if (b->conn == NULL && ensure_conn(b) < 0) {
        *err =
            xasprintf(_("%s: cannot reach the database%s%s"), b->label,
                      b->last_conn_error ? ": " : "", b->last_conn_error ? b->last_conn_error : "");
        return -1;
    }
    b->in_tx = true;
    b->tx_failed = false;
    p_int(&p, PG_TAKEOVER_LOCK);
    if (send_sql(b, "take over", "BEGIN", PK_WRITE, NULL) < 0 ||
        send_sql(b, "take over", "SELECT pg_advisory_xact_lock($1::bigint)", PK_WRITE, &p) < 0 ||
        send_sql(b, "take over",
                 "CREATE TABLE IF NOT EXISTS fence(id INTEGER PRIMARY KEY CHECK (id = 1),"
                 " epoch BIGINT NOT NULL CONSTRAINT " PG_FENCE_CHECK " CHECK (epoch >= 0))",
                 PK_WRITE, NULL) < 0 ||
        send_sql(b, "take over",
                 "INSERT INTO fence(id, epoch) VALUES (1, 0) ON CONFLICT (id) DO NOTHING", PK_WRITE,
                 NULL) < 0 ||
        query_rows(b, "take over",
                   "UPDATE fence SET epoch = epoch + 1 WHERE id = 1 RETURNING epoch", NULL) < 0 ||
        b->tx_failed)
        goto fail;
    epoch = col_int(b->read, 0, 0);
    PQclear(b->read);
    b->read = NULL;
    if (schema_version(b, &version) < 0 || b->tx_failed)
        goto fail;
    if (version == NULL || strcmp(version, STORE_SCHEMA_VERSION) != 0) {
        if (send_all(b, log_schema, ARRAY_LEN(log_schema)) < 0 ||
            send_all(b, log_scope, ARRAY_LEN(log_scope)) < 0 ||
            send_all(b, drop_derived, ARRAY_LEN(drop_derived)) < 0 ||
            send_all(b, derived_schema, ARRAY_LEN(derived_schema)) < 0)
            goto fail;
        b->needs_rebuild = true;
    } else if (send_all(b, log_scope, ARRAY_LEN(log_scope)) < 0 ||
               read_mark(b, &b->needs_rebuild) < 0 || b->tx_failed) {
        goto fail;
    }
    if (send_sql(b, "take over",
                 "INSERT INTO meta(key, value) VALUES ('layout', '" LAYOUT_TEXT "')"
                 " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                 PK_WRITE, NULL) < 0)
        goto fail;
    b->committed = false;
    if (send_sql(b, "take over", "COMMIT", PK_COMMIT, NULL) < 0 || pg_sync(b, "take over") < 0 ||
        !b->committed || b->tx_failed)
        goto fail;
    b->in_tx = false;
    b->epoch = epoch;
    b->deposed = false;
    log_info("store: %s: took over with fencing epoch %" PRId64 "%s", b->label, epoch,
             b->needs_rebuild ? " (the derived tables wait for the log to be replayed)" : "");
    free(version);
    idf_load(b);
    return 0;
fail:
    free(version);
    PQclear(b->read);
    b->read = NULL;
    b->needs_rebuild = false;
    pg_rollback(b);
    *err = xasprintf(_("%s: cannot take over (see the log)"), b->label);
    return -1;
}

static int
pg_last_seq(store_backend_t *b, uint64_t *out)
{
    int64_t v;

    if (read_int(b, ST_LAST_SEQ, NULL, &v) < 0)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

static int
pg_latest_recv(store_backend_t *b, int64_t *out)
{
    return read_int(b, ST_LATEST_RECV, NULL, out);
}

/* --- Transactions. ---------------------------------------------------------------------- */

/* BEGIN and the fencing check, both pipelined: checked with the transaction's first read or
 * at its commit. */
static int
pg_begin(store_backend_t *b)
{
    params_t p = {0};

    if (b->deposed)
        return -1;
    if (!b->readonly && b->epoch == 0) {
        log_warnx(_("store: %s: a transaction before take_over"), b->label);
        return -1;
    }
    if (ensure_conn(b) < 0)
        return -1;
    b->in_tx = true;
    b->tx_failed = false;
    b->committed = false;
    b->sp_open = b->sp_sent = false;
    if (send_stmt(b, ST_BEGIN, NULL, PK_WRITE, 0) < 0)
        goto fail;
    if (b->epoch != 0) {
        p_int(&p, b->epoch);
        if (send_stmt(b, ST_FENCE, &p, PK_FENCE, 0) < 0)
            goto fail;
    }
    return 0;
fail:
    b->in_tx = false;
    return -1;
}

static int
pg_rollback(store_backend_t *b)
{
    int rc = 0;

    if (b->conn != NULL) {
        /* Also after a COMMIT that failed: a ROLLBACK outside a transaction only warns. */
        if (send_stmt(b, ST_ROLLBACK, NULL, PK_QUIET, 0) < 0 || pg_sync(b, "rollback") < 0)
            rc = -1;
    }
    b->in_tx = false;
    b->tx_failed = false;
    msc_flush(&b->milestones); /* it may hold rows the rollback undoes */
    return rc;
}

/*
 * 0 only when the server said COMMIT. A commit with no answer within the deadline (a
 * synchronous standby missing) or on a broken connection has an unknown outcome: -1, the
 * connection dropped, never cancelled.
 */
static int
pg_commit(store_backend_t *b)
{
    if (!b->in_tx) {
        log_warnx(_("store: commit outside a transaction"));
        return -1;
    }
    if (b->tx_failed || b->conn == NULL) {
        pg_rollback(b);
        return -1;
    }
    b->committed = false;
    b->repl_warning = false;
    if (send_stmt(b, ST_COMMIT, NULL, PK_COMMIT, 0) < 0 || pg_sync(b, "commit") < 0) {
        log_warnx(_("store: %s: commit: its outcome is unknown; nothing of it is acked (resends "
                    "of what did commit are duplicates)"),
                  b->label);
        b->in_tx = false;
        b->tx_failed = false;
        return -1;
    }
    if (!b->committed || b->tx_failed || b->repl_warning) {
        pg_rollback(b);
        return -1;
    }
    b->in_tx = false;
    if (b->ids.stale)
        idf_load(b); /* no commit of unknown outcome is pending now: see idfilter_t */
    if (b->full) {
        b->full = false;
        log_info(_("store: %s: writable again after %.1f s without space; events are acked again"),
                 b->label, (double)(util_now_ms() - b->full_since_ms) / 1000.0);
    }
    return 0;
}

/*
 * Savepoints are taken on the server only when a write follows (pg_write sends the SAVEPOINT
 * first): an event answered without writing (a duplicate, a refusal) costs no statement, and
 * a rollback to a savepoint nothing was written after has nothing to undo.
 */
static int
pg_savepoint(store_backend_t *b)
{
    if (!b->in_tx || b->tx_failed)
        return -1;
    b->sp_open = true;
    b->sp_sent = false;
    return 0;
}

static int
pg_release(store_backend_t *b)
{
    bool sent = b->sp_sent;

    b->sp_open = b->sp_sent = false;
    return sent ? pg_write(b, ST_RELEASE, NULL) : 0;
}

static int
pg_rollback_to(store_backend_t *b)
{
    bool sent = b->sp_sent;

    b->sp_open = b->sp_sent = false;
    if (!sent)
        return b->tx_failed ? -1 : 0;
    msc_flush(&b->milestones);
    if (pg_write(b, ST_ROLLBACK_TO, NULL) < 0 || pg_write(b, ST_RELEASE, NULL) < 0)
        return -1;
    return 0;
}

static bool
pg_full(const store_backend_t *b)
{
    return b->full;
}

/* --- The log. --------------------------------------------------------------------------- */

static int
pg_append(store_backend_t *b, const store_logrow_t *r)
{
    params_t p = {0};

    p_int(&p, (int64_t)r->seq);
    p_text(&p, r->event_id);
    p_text(&p, r->kind);
    p_text(&p, r->actor);
    p_text(&p, r->dept);
    p_text(&p, r->project);
    p_text(&p, r->procedure);
    p_int(&p, r->recv_ms);
    p_int_or_null(&p, r->event_ms);
    p_int_or_null(&p, (int64_t)r->cause);
    p_bin(&p, r->body, r->len);
    idf_add(&b->ids, r->event_id); /* before the write: its outcome may never be known */
    return pg_write(b, ST_APPEND, &p);
}

static int
pg_find_event(store_backend_t *b, const char *sender, const char *event_id, uint64_t *seq)
{
    params_t p = {0};
    PGresult *r;
    int rc = 0;

    /* Inside a fenced transaction, an id the filter never saw (from any sender) is not in the
     * log. */
    if (b->in_tx && b->epoch != 0 && b->ids.nbits != 0 && !b->ids.stale && !b->tx_failed &&
        !idf_maybe(&b->ids, event_id))
        return 0;
    p_text(&p, sender);
    p_text(&p, event_id);
    if (pg_read(b, ST_FIND_EVENT, &p, 0, &r) < 0)
        return -1;
    if (PQntuples(r) > 0) {
        *seq = (uint64_t)col_int(r, 0, 0);
        rc = 1;
    }
    PQclear(r);
    return rc;
}

static int
pg_scan(store_backend_t *b, const store_scan_t *q, store_blob_fn *fn, void *arg)
{
    /* Without filters the plain walk: a range of the primary key. */
    bool plain = q->project == NULL && q->dept == NULL && q->kind == NULL && q->since_ms == 0;
    params_t p = {0};
    PGresult *r;
    int rc = 0;

    p_int(&p, (int64_t)q->after);
    if (!plain) {
        p_text(&p, q->project);
        p_text(&p, q->dept);
        p_text(&p, q->kind);
        p_int(&p, q->since_ms);
    }
    p_int(&p, q->limit);
    if (pg_read(b, plain ? ST_WALK : ST_ENTRIES, &p, 1, &r) < 0)
        return -1;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++)
        if (fn(arg, PQgetvalue(r, i, 0), (size_t)PQgetlength(r, i, 0)) < 0)
            rc = -1;
    PQclear(r);
    return rc;
}

static int
pg_entry_get(store_backend_t *b, uint64_t seq, store_blob_fn *fn, void *arg)
{
    params_t p = {0};
    PGresult *r;
    int rc = 0;

    p_int(&p, (int64_t)seq);
    if (pg_read(b, ST_ENTRY_GET, &p, 1, &r) < 0)
        return -1;
    if (PQntuples(r) > 0)
        rc = fn(arg, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0)) < 0 ? -1 : 1;
    PQclear(r);
    return rc;
}

/* --- The derived tables. ---------------------------------------------------------------- */

static int
pg_clear_derived(store_backend_t *b)
{
    msc_flush(&b->milestones);
    for (int id = ST_CLEAR_DEPTS; id <= ST_CLEAR_MILESTONES; id++)
        if (pg_write(b, (enum stmt_id)id, NULL) < 0)
            return -1;
    return 0;
}

static int
pg_dept_get(store_backend_t *b, const char *code, pm_department_t *out)
{
    params_t p = {0};
    PGresult *r;
    int rc = 0;

    p_text(&p, code);
    if (pg_read(b, ST_DEPT_GET, &p, 0, &r) < 0)
        return -1;
    if (PQntuples(r) > 0) {
        out->code = xstrdup(code);
        out->name = col_text(r, 0, 0);
        out->contact = col_text(r, 0, 1);
        rc = 1;
    }
    PQclear(r);
    return rc;
}

static int
pg_dept_put(store_backend_t *b, const pm_department_t *d, uint64_t seq)
{
    params_t p = {0};

    p_text(&p, d->code);
    p_text(&p, d->name);
    p_text(&p, d->contact);
    p_int(&p, (int64_t)seq);
    return pg_write(b, ST_DEPT_PUT, &p);
}

static int
pg_template_put(store_backend_t *b, const char *name, uint32_t version, uint64_t seq)
{
    params_t p = {0};

    p_text(&p, name);
    p_int(&p, version);
    p_int(&p, (int64_t)seq);
    return pg_write(b, ST_TEMPLATE_PUT, &p);
}

static int
pg_template_find(store_backend_t *b, const char *name, uint32_t version, uint32_t *out_version,
                 uint64_t *seq)
{
    params_t p = {0};
    PGresult *r;
    int rc = 0;

    p_text(&p, name);
    if (version != 0)
        p_int(&p, version);
    if (pg_read(b, version == 0 ? ST_TEMPLATE_LATEST : ST_TEMPLATE_FIND, &p, 0, &r) < 0)
        return -1;
    if (PQntuples(r) > 0) {
        *out_version = (uint32_t)col_int(r, 0, 0);
        *seq = (uint64_t)col_int(r, 0, 1);
        rc = 1;
    }
    PQclear(r);
    return rc;
}

/* A project row whose columns (PROJECT_COLUMNS_P's order) start at column col. */
static void
read_project(const PGresult *r, int row, int col, pm_project_t *p)
{
    p->id = col_text(r, row, col);
    p->name = col_text(r, row, col + 1);
    p->region = col_text(r, row, col + 2);
    p->industry = col_text(r, row, col + 3);
    p->company = col_text(r, row, col + 4);
    p->steward = col_text(r, row, col + 5);
    p->leader = col_text(r, row, col + 6);
    p->template_name = col_text(r, row, col + 7);
    p->template_version = (uint32_t)col_int(r, row, col + 8);
}

static int
pg_project_get(store_backend_t *b, const char *id, pm_project_t *out)
{
    params_t p = {0};
    PGresult *r;
    int rc = 0;

    p_text(&p, id);
    if (pg_read(b, ST_PROJECT_GET, &p, 0, &r) < 0)
        return -1;
    if (PQntuples(r) > 0) {
        read_project(r, 0, 0, out);
        rc = 1;
    }
    PQclear(r);
    return rc;
}

static int
pg_project_put(store_backend_t *b, const pm_project_t *pr, uint64_t seq)
{
    params_t p = {0};

    p_text(&p, pr->id);
    p_text(&p, pr->name);
    p_text(&p, pr->region);
    p_text(&p, pr->industry);
    p_text(&p, pr->company);
    p_text(&p, pr->steward);
    p_text(&p, pr->leader);
    p_text(&p, pr->template_name);
    p_int(&p, pr->template_version);
    p_int(&p, (int64_t)seq);
    return pg_write(b, ST_PROJECT_PUT, &p);
}

/* A procedure row whose PROC_COLUMNS start at column col. */
static void
read_proc(store_backend_t *b, const PGresult *r, int row, int col, store_proc_t *p)
{
    memset(p, 0, sizeof(*p));
    p->code = PQgetisnull(r, row, col) ? NULL : strpool_intern(b->names, PQgetvalue(r, row, col));
    p->dept =
        PQgetisnull(r, row, col + 1) ? NULL : strpool_intern(b->names, PQgetvalue(r, row, col + 1));
    if (pm_state_parse(PQgetvalue(r, row, col + 2), &p->state) < 0)
        p->state = PM_STATE_BLOCKED;
    p->deficient = col_int(r, row, col + 3) != 0;
    p->cert = col_text(r, row, col + 4);
    p->updated_seq = (uint64_t)col_int(r, row, col + 5);
    p->updated_ms = col_int(r, row, col + 6);
    p->accepted_ms = col_int(r, row, col + 7);
    p->extended = (int32_t)col_int(r, row, col + 8);
    p->deadline = (int32_t)col_int(r, row, col + 9);
    p->statutory = (int32_t)col_int(r, row, col + 10);
    p->provisional = col_int(r, row, col + 11) != 0;
    p->paused_on = (int32_t)col_int(r, row, col + 12);
    if (pm_colour_parse(PQgetvalue(r, row, col + 13), &p->colour) < 0)
        p->colour = PM_COLOUR_NONE;
    p->commit = (store_commit_t)col_int(r, row, col + 14);
    p->commit_due = (int32_t)col_int(r, row, col + 15);
    p->missing = col_text(r, row, col + 16);
    p->next_ms = col_int(r, row, col + 17);
}

static int
pg_procs_load(store_backend_t *b, const char *project, store_proc_t **out, size_t *n)
{
    params_t p = {0};
    PGresult *r;
    store_proc_t *procs;
    int rows;

    p_text(&p, project);
    if (pg_read(b, ST_PROCS_LOAD, &p, 0, &r) < 0)
        return -1;
    rows = PQntuples(r);
    procs = rows > 0 ? xcalloc((size_t)rows, sizeof(*procs)) : NULL;
    for (int i = 0; i < rows; i++)
        read_proc(b, r, i, 0, &procs[i]);
    PQclear(r);
    *out = procs;
    *n = (size_t)rows;
    return 0;
}

static int
pg_proc_put(store_backend_t *b, const char *project, const store_proc_t *pr, int ordinal)
{
    params_t p = {0};

    p_text(&p, project);
    p_int(&p, ordinal);
    p_text(&p, pr->code);
    p_text(&p, pr->dept);
    p_text(&p, pm_state_name(pr->state));
    p_int(&p, pr->deficient ? 1 : 0);
    p_text(&p, pr->cert);
    p_int(&p, (int64_t)pr->updated_seq);
    p_int(&p, pr->updated_ms);
    p_int(&p, pr->accepted_ms);
    p_int(&p, pr->extended);
    p_int(&p, pr->deadline);
    p_int(&p, pr->statutory);
    p_int(&p, pr->provisional ? 1 : 0);
    p_int(&p, pr->paused_on);
    p_text(&p, pm_colour_name(pr->colour));
    p_int(&p, (int64_t)pr->commit);
    p_int(&p, pr->commit_due);
    p_text(&p, pr->missing);
    p_int(&p, pr->next_ms);
    return pg_write(b, ST_PROC_PUT, &p);
}

static int
pg_projclock_get(store_backend_t *b, const char *project, store_projclock_t *out)
{
    params_t p = {0};
    PGresult *r;
    int rc = 0;

    p_text(&p, project);
    if (pg_read(b, ST_PROJCLOCK_GET, &p, 0, &r) < 0)
        return -1;
    if (PQntuples(r) > 0) {
        out->due = (int32_t)col_int(r, 0, 0);
        if (pm_colour_parse(PQgetvalue(r, 0, 1), &out->colour) < 0)
            out->colour = PM_COLOUR_NONE;
        out->next_ms = col_int(r, 0, 2);
        rc = 1;
    }
    PQclear(r);
    return rc;
}

static int
pg_projclock_put(store_backend_t *b, const char *project, const store_projclock_t *c)
{
    params_t p = {0};

    p_text(&p, project);
    p_int(&p, c->due);
    p_text(&p, pm_colour_name(c->colour));
    p_int(&p, c->next_ms);
    return pg_write(b, ST_PROJCLOCK_PUT, &p);
}

/* Column 0 (and 1, into second when not NULL) of every row of a read. */
static int
collect(store_backend_t *b, enum stmt_id id, const params_t *p, strv_t *first, strv_t *second)
{
    PGresult *r;

    if (pg_read(b, id, p, 0, &r) < 0)
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        strv_push(first, PQgetvalue(r, i, 0));
        if (second != NULL)
            strv_push(second, PQgetvalue(r, i, 1));
    }
    PQclear(r);
    return 0;
}

static int
pg_procs_due(store_backend_t *b, int64_t now_ms, size_t max, strv_t *projects, strv_t *procedures)
{
    params_t p = {0};

    p_int(&p, now_ms);
    p_int(&p, (int64_t)max);
    return collect(b, ST_DUE_PROCS, &p, projects, procedures);
}

static int
pg_projects_due(store_backend_t *b, int64_t now_ms, size_t max, strv_t *projects)
{
    params_t p = {0};

    p_int(&p, now_ms);
    p_int(&p, (int64_t)max);
    return collect(b, ST_DUE_PROJECTS, &p, projects, NULL);
}

static int
pg_clock_next(store_backend_t *b, int64_t *out_ms)
{
    return read_int(b, ST_CLOCK_NEXT, NULL, out_ms);
}

static int
pg_provisional(store_backend_t *b, strv_t *out)
{
    return collect(b, ST_PROVISIONAL, NULL, out, NULL);
}

static int
pg_colour_walk(store_backend_t *b, const pm_listreq_t *q, store_row_fn *fn, void *arg)
{
    params_t p = {0};
    PGresult *r;
    int rc = 0;

    if (q->blocked) {
        p_filter(&p, q->region);
        p_filter(&p, q->project);
    } else {
        p_filter(&p, q->colour);
        p_filter(&p, q->dept);
        p_filter(&p, q->region);
        p_filter(&p, q->project);
    }
    if (pg_read(b, q->blocked ? ST_BLOCKED_LIST : ST_COLOURS, &p, 0, &r) < 0)
        return -1;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        pm_project_t pr = {0};
        store_proc_t proc;
        read_project(r, i, 0, &pr);
        read_proc(b, r, i, 9, &proc);
        rc = fn(arg, &pr, &proc) < 0 ? -1 : 0;
        pm_project_clear(&pr);
        store_proc_clear(&proc);
    }
    PQclear(r);
    return rc;
}

static int
pg_milestone_put(store_backend_t *b, const char *project, const char *code, uint64_t seq)
{
    params_t p = {0};

    msc_entry_t *e = msc_find(&b->milestones, project, false);

    p_text(&p, project);
    p_text(&p, code);
    p_int(&p, (int64_t)seq);
    if (pg_write(b, ST_MILESTONE_PUT, &p) < 0) {
        msc_flush(&b->milestones);
        return -1;
    }
    if (e != NULL && !strv_contains(&e->codes, code))
        strv_push(&e->codes, code); /* a milestone already there is kept as it was */
    return 0;
}

static int
pg_milestones_list(store_backend_t *b, const char *project, strv_t *out)
{
    params_t p = {0};
    msc_entry_t *e = msc_find(&b->milestones, project, false);
    strv_t codes = {0};

    if (e != NULL) {
        for (size_t i = 0; i < e->codes.n; i++)
            strv_push(out, e->codes.v[i]);
        return 0;
    }
    p_text(&p, project);
    if (collect(b, ST_MILESTONES_LIST, &p, &codes, NULL) < 0) {
        strv_clear(&codes);
        return -1;
    }
    if ((e = msc_find(&b->milestones, project, true)) == NULL) {
        msc_flush(&b->milestones); /* full: start again with the projects in use */
        e = msc_find(&b->milestones, project, true);
    }
    for (size_t i = 0; i < codes.n; i++) {
        strv_push(out, codes.v[i]);
        strv_push(&e->codes, codes.v[i]);
    }
    strv_clear(&codes);
    return 0;
}

const store_ops_t store_pg_ops = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .replay_from = pg_replay_from,
    .derived_mark = pg_derived_mark,
    .last_seq = pg_last_seq,
    .latest_recv = pg_latest_recv,
    .zone_get = pg_zone_get,
    .zone_put = pg_zone_put,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .savepoint = pg_savepoint,
    .release = pg_release,
    .rollback_to = pg_rollback_to,
    .checkpoint = NULL,
    .full = pg_full,
    .append = pg_append,
    .find_event = pg_find_event,
    .scan = pg_scan,
    .entry_get = pg_entry_get,
    .clear_derived = pg_clear_derived,
    .dept_get = pg_dept_get,
    .dept_put = pg_dept_put,
    .template_put = pg_template_put,
    .template_find = pg_template_find,
    .project_get = pg_project_get,
    .project_put = pg_project_put,
    .procs_load = pg_procs_load,
    .proc_put = pg_proc_put,
    .projclock_get = pg_projclock_get,
    .projclock_put = pg_projclock_put,
    .procs_due = pg_procs_due,
    .projects_due = pg_projects_due,
    .clock_next = pg_clock_next,
    .provisional = pg_provisional,
    .colour_walk = pg_colour_walk,
    .milestone_put = pg_milestone_put,
    .milestones_list = pg_milestones_list,
    .ready = pg_ready,
    .take_over = pg_take_over,
    .deposed = pg_deposed,
    .check_epoch = pg_check_epoch,
    .set_timeout = pg_set_timeout,
};

/*
 * store_check_layout for PostgreSQL: a connection of its own, closed before the broker's,
 * so that a newer layout ends permitd with its own exit status rather than in a wait.
 */
int
store_pg_check_layout(const char *target, char **err)
{
    store_backend_t *b = pg_open(target, false, NULL, err);
    char *why = NULL;

    if (b == NULL)
        return 0; /* the broker's own open says why */
    /* Unreachable, a standby without meta yet: the broker waits, as it would anyway. */
    if (pg_connect(b, &why) == 0 && newer_layout(b, err) < 0) {
        free(*err);
        *err = NULL;
    }
    free(why);
    pg_close(b);
    return *err != NULL ? -1 : 0;
}
