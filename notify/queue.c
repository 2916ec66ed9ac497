/*
 * queue: see queue.h. Statements are prepared per call: the notifier does a handful of them
 * per notification, next to an HTTP request that costs a thousand times more.
 */
#include "queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include "log.h"
#include "sqlx.h"
#include "util.h"

#define WHO "notify db"

struct nq {
    sqlite3 *db;
    bool in_tx;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS delivery("
    " id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, route TEXT NOT NULL, project TEXT,"
    " procedure TEXT, recipient TEXT NOT NULL, chan TEXT NOT NULL, addr TEXT NOT NULL,"
    " idem TEXT NOT NULL, title TEXT NOT NULL, text TEXT NOT NULL, payload TEXT NOT NULL,"
    " state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_ms INTEGER NOT NULL,"
    " last_error TEXT, created_ms INTEGER NOT NULL, done_ms INTEGER,"
    " urgent INTEGER NOT NULL DEFAULT 0, digest_id INTEGER,"
    " UNIQUE(idem, chan, addr));"
    "CREATE INDEX IF NOT EXISTS delivery_due ON delivery(state, next_ms);"
    "CREATE INDEX IF NOT EXISTS delivery_seq ON delivery(seq);"
    "CREATE INDEX IF NOT EXISTS delivery_project ON delivery(project, seq);"
    /* A destination's pending records in order, and the destinations one seek each
     * (nq_due_dests), however many records wait: a backlog of 500,000 made a scan of them all,
     * 0.9 s, before every send. */
    "CREATE INDEX IF NOT EXISTS delivery_dest ON delivery(state, chan, addr, next_ms);"
    /* A destination that takes nothing before until_ms (a robot's pace): one row for however
     * many records wait, honoured by the queries of due records (nq_defer_dest). */
    "CREATE TABLE IF NOT EXISTS dest_hold("
    " chan TEXT NOT NULL, addr TEXT NOT NULL, until_ms INTEGER NOT NULL,"
    " PRIMARY KEY(chan, addr)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS alert("
    " seq INTEGER PRIMARY KEY, project TEXT, procedure TEXT, dept TEXT, vars TEXT NOT NULL,"
    " step INTEGER NOT NULL, next_ms INTEGER NOT NULL, state TEXT NOT NULL, acked_by TEXT,"
    " acked_ms INTEGER);"
    "CREATE TABLE IF NOT EXISTS ack_out("
    " seq INTEGER PRIMARY KEY, by TEXT NOT NULL, created_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS silence("
    " id INTEGER PRIMARY KEY, project TEXT, kind TEXT, author TEXT NOT NULL,"
    " reason TEXT NOT NULL, created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL);";

#define ITEM_COLS                                                                                  \
    "id, seq, route, project, procedure, recipient, chan, addr, idem, title, text, payload, "      \
    "state, attempts, next_ms, last_error, created_ms, COALESCE(done_ms, 0), urgent"

static sqlite3_stmt *
prep(nq_t *q, const char *sql)
{
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK) {
        log_warnx(WHO ": %s: %s", sql, sqlite3_errmsg(q->db));
        return NULL;
    }
    return st;
}

/* Run a statement that returns no rows and finalise it. */
static int
done(sqlite3_stmt *st)
{
    int rc;

    if (st == NULL)
        return -1;
    rc = sqlx_step_done(st, WHO);
    sqlite3_finalize(st);
    return rc;
}

nq_t *
nq_open(const char *path, char **err)
{
    nq_t *q = xcalloc(1, sizeof(*q));
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;

    if (sqlx_create_private(path) != 0) {
        *err = xasprintf("%s: %s", path, strerror(errno));
        goto fail;
    }
    if (sqlite3_open_v2(path, &q->db, flags, NULL) != SQLITE_OK) {
        *err = xasprintf("%s: %s", path, q->db ? sqlite3_errmsg(q->db) : "cannot open");
        goto fail;
    }
    /* The daemon and the commands (ack, retry, silence) share the file: wait, don't fail. */
    sqlite3_busy_timeout(q->db, 5000);
    if (sqlite3_exec(q->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL,
                     NULL) != SQLITE_OK ||
        sqlite3_exec(q->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
        *err = xasprintf("%s: %s", path, sqlite3_errmsg(q->db));
        goto fail;
    }
    return q;
fail:
    nq_close(&q);
    return NULL;
}

void
nq_close(nq_t **p)
{
    nq_t *q = p != NULL ? *p : NULL;

    if (q == NULL)
        return;
    if (q->in_tx)
        nq_rollback(q);
    sqlite3_close(q->db);
    free(q);
    *p = NULL;
}

sqlite3 *
nq_db(nq_t *q)
{
    return q->db;
}

int
nq_begin(nq_t *q)
{
    if (q->in_tx)
        return 0;
    if (sqlx_exec(q->db, "BEGIN IMMEDIATE", WHO) < 0)
        return -1;
    q->in_tx = true;
    return 0;
}

int
nq_commit(nq_t *q)
{
    if (!q->in_tx)
        return 0;
    if (sqlx_exec(q->db, "COMMIT", WHO) < 0) {
        nq_rollback(q);
        return -1;
    }
    q->in_tx = false;
    return 0;
}

void
nq_rollback(nq_t *q)
{
    if (!q->in_tx)
        return;
    sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
    q->in_tx = false;
}

bool
nq_in_tx(const nq_t *q)
{
    return q->in_tx;
}

int
nq_cursor(nq_t *q, uint64_t *out)
{
    sqlite3_stmt *st = prep(q, "SELECT value FROM meta WHERE key = 'cursor'");
    int rc;

    if (st == NULL)
        return -1;
    rc = sqlx_step_row(st, WHO);
    if (rc >= 0)
        *out = rc == 1 ? strtoull((const char *)sqlite3_column_text(st, 0), NULL, 10) : 0;
    sqlite3_finalize(st);
    return rc < 0 ? -1 : 0;
}

int
nq_set_cursor(nq_t *q, uint64_t seq)
{
    sqlite3_stmt *st = prep(q, "INSERT INTO meta(key, value) VALUES ('cursor', ?1) "
                               "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    char buf[32];

    if (st == NULL)
        return -1;
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)seq);
    sqlx_bind_text(st, 1, buf);
    return done(st);
}

int
nq_add(nq_t *q, const nq_item_t *it)
{
    sqlite3_stmt *st = prep(
        q, "INSERT OR IGNORE INTO delivery(seq, route, project, procedure, recipient, chan, addr,"
           " idem, title, text, payload, state, next_ms, last_error, created_ms, urgent)"
           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)");

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)it->seq);
    sqlx_bind_text(st, 2, it->route);
    sqlx_bind_text(st, 3, it->project);
    sqlx_bind_text(st, 4, it->procedure);
    sqlx_bind_text(st, 5, it->recipient);
    sqlx_bind_text(st, 6, it->chan);
    sqlx_bind_text(st, 7, it->addr != NULL ? it->addr : "");
    sqlx_bind_text(st, 8, it->idem);
    sqlx_bind_text(st, 9, it->title != NULL ? it->title : "");
    sqlx_bind_text(st, 10, it->text != NULL ? it->text : "");
    sqlx_bind_text(st, 11, it->payload != NULL ? it->payload : "{}");
    sqlx_bind_text(st, 12, it->state);
    sqlite3_bind_int64(st, 13, it->next_ms);
    sqlx_bind_text(st, 14, it->last_error);
    sqlite3_bind_int64(st, 15, it->created_ms);
    sqlite3_bind_int(st, 16, it->urgent);
    return done(st);
}

void
nq_item_clear(nq_item_t *it)
{
    free(it->route);
    free(it->project);
    free(it->procedure);
    free(it->recipient);
    free(it->chan);
    free(it->addr);
    free(it->idem);
    free(it->title);
    free(it->text);
    free(it->payload);
    free(it->state);
    free(it->last_error);
    memset(it, 0, sizeof(*it));
}

void
nq_items_free(nq_item_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        nq_item_clear(&v[i]);
    free(v);
}

static void
read_item(sqlite3_stmt *st, nq_item_t *it)
{
    it->id = sqlite3_column_int64(st, 0);
    it->seq = (uint64_t)sqlite3_column_int64(st, 1);
    it->route = sqlx_column_text(st, 2);
    it->project = sqlx_column_text(st, 3);
    it->procedure = sqlx_column_text(st, 4);
    it->recipient = sqlx_column_text(st, 5);
    it->chan = sqlx_column_text(st, 6);
    it->addr = sqlx_column_text(st, 7);
    it->idem = sqlx_column_text(st, 8);
    it->title = sqlx_column_text(st, 9);
    it->text = sqlx_column_text(st, 10);
    it->payload = sqlx_column_text(st, 11);
    it->state = sqlx_column_text(st, 12);
    it->attempts = sqlite3_column_int(st, 13);
    it->next_ms = sqlite3_column_int64(st, 14);
    it->last_error = sqlx_column_text(st, 15);
    it->created_ms = sqlite3_column_int64(st, 16);
    it->done_ms = sqlite3_column_int64(st, 17);
    it->urgent = sqlite3_column_int(st, 18) != 0;
}

/* Every row of a prepared item query, then finalise it. */
static int
read_items(sqlite3_stmt *st, nq_item_t **out, size_t *n)
{
    nq_item_t *v = NULL;
    size_t k = 0;
    int rc;

    if (st == NULL)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        v = xgrow(v, k, sizeof(*v));
        read_item(st, &v[k++]);
    }
    if (rc != SQLITE_DONE) {
        log_warnx(WHO ": %s: %s", sqlite3_sql(st), sqlite3_errmsg(sqlite3_db_handle(st)));
        sqlite3_finalize(st);
        nq_items_free(v, k);
        return -1;
    }
    sqlite3_finalize(st);
    *out = v;
    *n = k;
    return 0;
}

int
nq_select(nq_t *q, const nq_filter_t *f, nq_item_t **out, size_t *n)
{
    sqlite3_stmt *st = prep(q, "SELECT " ITEM_COLS " FROM delivery"
                               " WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR project = ?2)"
                               " AND (?3 = 0 OR seq = ?3) ORDER BY id LIMIT ?4");

    if (st == NULL)
        return -1;
    sqlx_bind_text(st, 1, f->state);
    sqlx_bind_text(st, 2, f->project);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)f->seq);
    sqlite3_bind_int64(st, 4, f->limit > 0 ? (sqlite3_int64)f->limit : -1);
    return read_items(st, out, n);
}

int
nq_due(nq_t *q, int64_t now, size_t max, nq_item_t **out, size_t *n)
{
    sqlite3_stmt *st = prep(q, "SELECT " ITEM_COLS " FROM delivery WHERE state = 'pending'"
                               " AND next_ms <= ?1 AND NOT EXISTS (SELECT 1 FROM dest_hold h"
                               " WHERE h.chan = delivery.chan AND h.addr = delivery.addr"
                               " AND h.until_ms > ?1) ORDER BY next_ms, id LIMIT ?2");

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
    return read_items(st, out, n);
}

/*
 * The destination after (chan, addr) in the order of delivery_dest (chan NULL: the first),
 * with when its first pending record is due: that record's next_ms, or the destination's hold
 * when later. 1 found (*d filled, count 0), 0 none, -1 failure. One index seek, or two when the
 * channel changes, and one for the hold.
 */
#define DEST_DUE                                                                                   \
    "SELECT chan, addr, MAX(next_ms, COALESCE((SELECT until_ms FROM dest_hold h"                   \
    " WHERE h.chan = delivery.chan AND h.addr = delivery.addr), next_ms))"                         \
    " FROM delivery WHERE state = 'pending'"

static int
next_dest(nq_t *q, const char *chan, const char *addr, nq_dest_t *d, int64_t *first_ms)
{
    static const char *const sql[] = {
        DEST_DUE " ORDER BY chan, addr, next_ms LIMIT 1",
        DEST_DUE " AND chan = ?1 AND addr > ?2 ORDER BY addr, next_ms LIMIT 1",
        DEST_DUE " AND chan > ?1 ORDER BY chan, addr, next_ms LIMIT 1",
    };
    int rc = SQLITE_DONE;

    for (size_t k = chan == NULL ? 0 : 1; k < (chan == NULL ? 1 : 3) && rc == SQLITE_DONE; k++) {
        sqlite3_stmt *st = prep(q, sql[k]);
        if (st == NULL)
            return -1;
        if (k > 0) {
            sqlx_bind_text(st, 1, chan);
            if (k == 1)
                sqlx_bind_text(st, 2, addr);
        }
        if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            d->chan = sqlx_column_text(st, 0);
            d->addr = sqlx_column_text(st, 1);
            d->count = 0;
            *first_ms = sqlite3_column_int64(st, 2);
        }
        sqlite3_finalize(st);
    }
    if (rc == SQLITE_ROW)
        return 1;
    if (rc != SQLITE_DONE) {
        log_warnx(WHO ": due destinations: %s", sqlite3_errmsg(q->db));
        return -1;
    }
    return 0;
}

/*
 * One step of a walk through the destinations: *chan and *addr (NULL at the start; caller
 * owns) move on to the next one, as next_dest returns.
 */
static int
walk_dest(nq_t *q, char **chan, char **addr, int64_t *first_ms)
{
    nq_dest_t d;
    int rc = next_dest(q, *chan, *addr, &d, first_ms);

    if (rc == 1) {
        free(*chan);
        free(*addr);
        *chan = d.chan;
        *addr = d.addr;
    }
    return rc;
}

/* How many of a destination's pending records are due at now, counted up to cap. */
static int
count_due(nq_t *q, const nq_dest_t *d, int64_t now, size_t cap, size_t *count)
{
    sqlite3_stmt *st = prep(q, "SELECT COUNT(*) FROM (SELECT 1 FROM delivery WHERE"
                               " state = 'pending' AND chan = ?1 AND addr = ?2 AND next_ms <= ?3"
                               " LIMIT ?4)");

    if (st == NULL)
        return -1;
    sqlx_bind_text(st, 1, d->chan);
    sqlx_bind_text(st, 2, d->addr);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int64(st, 4, cap > 0 && cap < INT64_MAX ? (sqlite3_int64)cap : -1);
    if (sqlite3_step(st) != SQLITE_ROW) {
        log_warnx(WHO ": due destinations: %s", sqlite3_errmsg(q->db));
        sqlite3_finalize(st);
        return -1;
    }
    *count = (size_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return 0;
}

/* Destinations by the next_ms of their earliest record (kept beside them), then by name. */
typedef struct dest_at {
    nq_dest_t d;
    int64_t first_ms;
} dest_at_t;

static int
dest_at_cmp(const void *a, const void *b)
{
    const dest_at_t *x = a, *y = b;
    int c;

    if (x->first_ms != y->first_ms)
        return x->first_ms < y->first_ms ? -1 : 1;
    c = strcmp(x->d.chan, y->d.chan);
    return c != 0 ? c : strcmp(x->d.addr, y->d.addr);
}

int
nq_due_dests(nq_t *q, int64_t now, size_t cap, nq_dest_t **out, size_t *n)
{
    dest_at_t *v = NULL;
    nq_dest_t *res;
    char *chan = NULL, *addr = NULL; /* where the walk is */
    int64_t first_ms;
    size_t k = 0;
    int rc;

    /* Walk the destinations through the index, one seek each, keeping those with a record
     * due; a scan of every pending record (GROUP BY) cost a second with 500,000 waiting. */
    while ((rc = walk_dest(q, &chan, &addr, &first_ms)) == 1) {
        if (first_ms > now)
            continue;
        v = xgrow(v, k, sizeof(*v));
        v[k].d = (nq_dest_t){.chan = xstrdup(chan), .addr = xstrdup(addr)};
        v[k].first_ms = first_ms;
        rc = count_due(q, &v[k].d, now, cap, &v[k].d.count) < 0 ? -1 : 1;
        k++;
        if (rc < 0)
            break;
    }
    free(chan);
    free(addr);
    res = xcalloc(k ? k : 1, sizeof(*res));
    if (k > 1)
        qsort(v, k, sizeof(*v), dest_at_cmp);
    for (size_t i = 0; i < k; i++)
        res[i] = v[i].d;
    free(v);
    if (rc < 0) {
        nq_dests_free(res, k);
        return -1;
    }
    *out = res;
    *n = k;
    return 0;
}

void
nq_dests_free(nq_dest_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].chan);
        free(v[i].addr);
    }
    free(v);
}

int
nq_due_at(nq_t *q, const char *chan, const char *addr, int64_t now, size_t max,
          const char *skip_route, nq_item_t **out, size_t *n)
{
    sqlite3_stmt *st = prep(q, "SELECT " ITEM_COLS " FROM delivery WHERE state = 'pending'"
                               " AND chan = ?1 AND addr = ?2 AND next_ms <= ?3"
                               " AND (?5 IS NULL OR route <> ?5) AND NOT EXISTS (SELECT 1"
                               " FROM dest_hold WHERE chan = ?1 AND addr = ?2 AND until_ms > ?3)"
                               " ORDER BY next_ms, id LIMIT ?4");

    if (st == NULL)
        return -1;
    sqlx_bind_text(st, 1, chan);
    sqlx_bind_text(st, 2, addr);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int64(st, 4, max > 0 ? (sqlite3_int64)max : -1);
    sqlx_bind_text(st, 5, skip_route);
    return read_items(st, out, n);
}

int
nq_held_due(nq_t *q, int64_t now, nq_item_t **out, size_t *n)
{
    sqlite3_stmt *st = prep(q, "SELECT " ITEM_COLS " FROM delivery WHERE state = 'held'"
                               " AND next_ms <= ?1 ORDER BY recipient, chan, addr, seq");

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, now);
    return read_items(st, out, n);
}

/* The one value of a query with its first parameter bound to arg; INT64_MAX for NULL or none. */
static int64_t
min_ms(nq_t *q, const char *sql, int64_t arg)
{
    sqlite3_stmt *st = prep(q, sql);
    int64_t v = INT64_MAX;

    if (st == NULL)
        return v;
    if (sqlite3_bind_parameter_count(st) > 0)
        sqlite3_bind_int64(st, 1, arg);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

int64_t
nq_next_ms(nq_t *q)
{
    int64_t held = min_ms(q, "SELECT MIN(next_ms) FROM delivery WHERE state = 'held'", 0);
    int64_t v = min_ms(q, "SELECT MIN(next_ms) FROM delivery WHERE state = 'pending'", 0);
    char *chan = NULL, *addr = NULL;
    int64_t first_ms;

    /* A hold that ends after the earliest pending record may be what it waits for: then the
     * destinations, a few seeks each, each due at its first record or its hold. */
    if (v != INT64_MAX &&
        min_ms(q, "SELECT MIN(until_ms) FROM dest_hold WHERE until_ms > ?1", v) != INT64_MAX) {
        v = INT64_MAX;
        while (walk_dest(q, &chan, &addr, &first_ms) == 1)
            v = first_ms < v ? first_ms : v;
        free(chan);
        free(addr);
    }
    return held < v ? held : v;
}

int
nq_mark_sent(nq_t *q, int64_t id, int64_t now)
{
    sqlite3_stmt *st = prep(q, "UPDATE delivery SET state = 'sent', attempts = attempts + 1,"
                               " done_ms = ?2 WHERE id = ?1");

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now);
    return done(st);
}

int
nq_mark_failed(nq_t *q, int64_t id, const char *err, int64_t next_ms, bool dead, int64_t now)
{
    sqlite3_stmt *st = prep(q, "UPDATE delivery SET state = ?2, attempts = attempts + 1,"
                               " last_error = ?3, next_ms = ?4,"
                               " done_ms = CASE WHEN ?2 = 'dead' THEN ?5 END WHERE id = ?1");

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlx_bind_text(st, 2, dead ? "dead" : "pending");
    sqlx_bind_text(st, 3, err);
    sqlite3_bind_int64(st, 4, next_ms);
    sqlite3_bind_int64(st, 5, now);
    return done(st);
}

int
nq_mark(nq_t *q, int64_t id, const char *state, const char *note, int64_t now)
{
    sqlite3_stmt *st =
        prep(q, "UPDATE delivery SET state = ?2,"
                " last_error = COALESCE(?3, last_error), done_ms = ?4 WHERE id = ?1");

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlx_bind_text(st, 2, state);
    sqlx_bind_text(st, 3, note);
    sqlite3_bind_int64(st, 4, now);
    return done(st);
}

int
nq_defer(nq_t *q, int64_t id, int64_t next_ms)
{
    sqlite3_stmt *st = prep(q, "UPDATE delivery SET next_ms = ?2 WHERE id = ?1");

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, next_ms);
    return done(st);
}

int
nq_defer_dest(nq_t *q, const char *chan, const char *addr, int64_t next_ms)
{
    /* One row, however many records wait: moving each record's next_ms wrote the whole backlog
     * on every deferral of a paced robot. A hold only ever moves later. */
    sqlite3_stmt *st = prep(q, "INSERT INTO dest_hold(chan, addr, until_ms) VALUES (?1, ?2, ?3)"
                               " ON CONFLICT(chan, addr) DO UPDATE"
                               " SET until_ms = MAX(until_ms, excluded.until_ms)"
                               " WHERE excluded.until_ms > until_ms");

    if (st == NULL)
        return -1;
    sqlx_bind_text(st, 1, chan);
    sqlx_bind_text(st, 2, addr);
    sqlite3_bind_int64(st, 3, next_ms);
    return done(st);
}

int
nq_mark_wait(nq_t *q, int64_t id, const char *err, int64_t next_ms)
{
    sqlite3_stmt *st = prep(
        q, "UPDATE delivery SET state = 'pending', last_error = ?2, next_ms = ?3 WHERE id = ?1");

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlx_bind_text(st, 2, err);
    sqlite3_bind_int64(st, 3, next_ms);
    return done(st);
}

int
nq_retry(nq_t *q, int64_t id, int *count)
{
    sqlite3_stmt *st = prep(q, "UPDATE delivery SET state = 'pending', attempts = 0, next_ms = 0,"
                               " done_ms = NULL WHERE state = 'dead' AND (?1 = 0 OR id = ?1)");

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    if (done(st) < 0)
        return -1;
    *count = sqlite3_changes(q->db);
    return 0;
}

char *
nq_counts(nq_t *q)
{
    sqlite3_stmt *st = prep(q, "SELECT state, COUNT(*) FROM delivery GROUP BY state ORDER BY 1");
    strv_t parts = {0};
    char *out;

    if (st == NULL)
        return xstrdup("?");
    while (sqlite3_step(st) == SQLITE_ROW) {
        char *p = xasprintf("%s %lld", sqlite3_column_text(st, 0),
                            (long long)sqlite3_column_int64(st, 1));
        strv_push(&parts, p);
        free(p);
    }
    sqlite3_finalize(st);
    out = parts.n > 0 ? strv_join(&parts, ", ") : xstrdup("none");
    strv_clear(&parts);
    return out;
}

int
nq_alert_add(nq_t *q, const nq_alert_t *a)
{
    sqlite3_stmt *st = prep(q, "INSERT OR IGNORE INTO alert(seq, project, procedure, dept, vars,"
                               " step, next_ms, state) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, 'open')");

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)a->seq);
    sqlx_bind_text(st, 2, a->project);
    sqlx_bind_text(st, 3, a->procedure);
    sqlx_bind_text(st, 4, a->dept);
    sqlx_bind_text(st, 5, a->vars);
    sqlite3_bind_int64(st, 6, a->next_ms);
    return done(st);
}

static int
read_alerts(sqlite3_stmt *st, nq_alert_t **out, size_t *n)
{
    nq_alert_t *v = NULL;
    size_t k = 0;

    if (st == NULL)
        return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        nq_alert_t *a;
        v = xgrow(v, k, sizeof(*v));
        a = &v[k++];
        a->seq = (uint64_t)sqlite3_column_int64(st, 0);
        a->project = sqlx_column_text(st, 1);
        a->procedure = sqlx_column_text(st, 2);
        a->dept = sqlx_column_text(st, 3);
        a->vars = sqlx_column_text(st, 4);
        a->step = sqlite3_column_int(st, 5);
        a->next_ms = sqlite3_column_int64(st, 6);
        a->state = sqlx_column_text(st, 7);
        a->acked_by = sqlx_column_text(st, 8);
    }
    sqlite3_finalize(st);
    *out = v;
    *n = k;
    return 0;
}

#define ALERT_COLS "seq, project, procedure, dept, vars, step, next_ms, state, acked_by"

int
nq_alert_due(nq_t *q, int64_t now, nq_alert_t **out, size_t *n)
{
    sqlite3_stmt *st = prep(q, "SELECT " ALERT_COLS " FROM alert WHERE state = 'open'"
                               " AND next_ms <= ?1 ORDER BY next_ms");

    if (st != NULL)
        sqlite3_bind_int64(st, 1, now);
    return read_alerts(st, out, n);
}

int
nq_alert_list(nq_t *q, bool open_only, nq_alert_t **out, size_t *n)
{
    return read_alerts(prep(q, open_only ? "SELECT " ALERT_COLS
                                           " FROM alert WHERE state = 'open' ORDER BY seq"
                                         : "SELECT " ALERT_COLS " FROM alert ORDER BY seq"),
                       out, n);
}

int
nq_alert_step(nq_t *q, uint64_t seq, int step, int64_t next_ms, bool top)
{
    sqlite3_stmt *st = prep(q, "UPDATE alert SET step = ?2, next_ms = ?3,"
                               " state = CASE WHEN ?4 THEN 'top' ELSE state END WHERE seq = ?1");

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
    sqlite3_bind_int(st, 2, step);
    sqlite3_bind_int64(st, 3, next_ms);
    sqlite3_bind_int(st, 4, top);
    return done(st);
}

int
nq_ack(nq_t *q, uint64_t seq, const char *who, int64_t now)
{
    sqlite3_stmt *st = prep(q, "UPDATE alert SET state = 'acked', acked_by = ?2, acked_ms = ?3"
                               " WHERE seq = ?1 AND state IN ('open', 'top')");

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
    sqlx_bind_text(st, 2, who);
    sqlite3_bind_int64(st, 3, now);
    if (done(st) < 0)
        return -1;
    return sqlite3_changes(q->db) > 0 ? 1 : 0;
}

int
nq_ack_out_add(nq_t *q, uint64_t seq, const char *who, int64_t now)
{
    sqlite3_stmt *st = prep(q, "INSERT OR IGNORE INTO ack_out(seq, by, created_ms)"
                               " VALUES (?1, ?2, ?3)");

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
    sqlx_bind_text(st, 2, who);
    sqlite3_bind_int64(st, 3, now);
    return done(st);
}

int
nq_ack_out_next(nq_t *q, uint64_t *seq, char **who)
{
    sqlite3_stmt *st = prep(q, "SELECT seq, by FROM ack_out ORDER BY created_ms, seq LIMIT 1");
    int rc;

    if (st == NULL)
        return -1;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *seq = (uint64_t)sqlite3_column_int64(st, 0);
        *who = sqlx_column_text(st, 1);
        rc = 1;
    } else {
        rc = rc == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_finalize(st);
    return rc;
}

int
nq_ack_out_done(nq_t *q, uint64_t seq)
{
    sqlite3_stmt *st = prep(q, "DELETE FROM ack_out WHERE seq = ?1");

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
    return done(st);
}

int
nq_alert_resolve(nq_t *q, const char *project, const char *procedure)
{
    sqlite3_stmt *st = prep(q, "UPDATE alert SET state = 'resolved' WHERE state = 'open'"
                               " AND project = ?1 AND procedure IS ?2");

    if (st == NULL)
        return -1;
    sqlx_bind_text(st, 1, project);
    sqlx_bind_text(st, 2, procedure);
    return done(st);
}

void
nq_alerts_free(nq_alert_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].project);
        free(v[i].procedure);
        free(v[i].dept);
        free(v[i].vars);
        free(v[i].state);
        free(v[i].acked_by);
    }
    free(v);
}

int
nq_silence_add(nq_t *q, const nq_silence_t *s, int64_t *id)
{
    sqlite3_stmt *st = prep(q, "INSERT INTO silence(project, kind, author, reason, created_ms,"
                               " expires_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");

    if (st == NULL)
        return -1;
    sqlx_bind_text(st, 1, s->project);
    sqlx_bind_text(st, 2, s->kind);
    sqlx_bind_text(st, 3, s->author);
    sqlx_bind_text(st, 4, s->reason);
    sqlite3_bind_int64(st, 5, s->created_ms);
    sqlite3_bind_int64(st, 6, s->expires_ms);
    if (done(st) < 0)
        return -1;
    *id = sqlite3_last_insert_rowid(q->db);
    return 0;
}

int
nq_silenced(nq_t *q, const char *project, const char *route, int64_t now)
{
    /* A silence's kind covers the key itself and the keys under it: colour covers colour.red. */
    sqlite3_stmt *st = prep(q, "SELECT 1 FROM silence WHERE expires_ms > ?1"
                               " AND (project IS NULL OR project = ?2)"
                               " AND (kind IS NULL OR kind = ?3 OR ?3 LIKE kind || '.%') LIMIT 1");
    int rc;

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, now);
    sqlx_bind_text(st, 2, project);
    sqlx_bind_text(st, 3, route);
    rc = sqlx_step_row(st, WHO);
    sqlite3_finalize(st);
    return rc;
}

int
nq_silence_expire(nq_t *q, int64_t id, int64_t now)
{
    sqlite3_stmt *st = prep(q, "UPDATE silence SET expires_ms = ?2 WHERE id = ?1"
                               " AND expires_ms > ?2");

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now);
    if (done(st) < 0)
        return -1;
    return sqlite3_changes(q->db) > 0 ? 1 : 0;
}

int
nq_silence_list(nq_t *q, int64_t now, nq_silence_t **out, size_t *n)
{
    sqlite3_stmt *st = prep(q, "SELECT id, project, kind, author, reason, created_ms, expires_ms"
                               " FROM silence WHERE expires_ms > ?1 ORDER BY id");
    nq_silence_t *v = NULL;
    size_t k = 0;

    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, now);
    while (sqlite3_step(st) == SQLITE_ROW) {
        nq_silence_t *s;
        v = xgrow(v, k, sizeof(*v));
        s = &v[k++];
        s->id = sqlite3_column_int64(st, 0);
        s->project = sqlx_column_text(st, 1);
        s->kind = sqlx_column_text(st, 2);
        s->author = sqlx_column_text(st, 3);
        s->reason = sqlx_column_text(st, 4);
        s->created_ms = sqlite3_column_int64(st, 5);
        s->expires_ms = sqlite3_column_int64(st, 6);
    }
    sqlite3_finalize(st);
    *out = v;
    *n = k;
    return 0;
}

void
nq_silences_free(nq_silence_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].project);
        free(v[i].kind);
        free(v[i].author);
        free(v[i].reason);
    }
    free(v);
}
