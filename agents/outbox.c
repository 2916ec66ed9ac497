/*
 * outbox: see outbox.h.
 *
 * The arrival order is the table's rowid (`ord`): a new row gets the largest one plus one, and
 * a retried event is given a new largest one, so "first queued of its pair" is MIN(ord).
 *
 * outbox_heads reads the queue in arrival order and keeps the first row of each pair, stopping
 * as soon as it has enough: a refill costs about the window, not the backlog, so a department
 * that was offline for days drains as fast as one that was not.
 *
 * A full disk: sqlite answers SQLITE_FULL (or an I/O error with ENOSPC) when a commit cannot
 * write its WAL frames, and may roll the transaction back by itself; every write here is one
 * transaction that is then rolled back whole, so nothing is half added or half settled. The
 * condition is kept (outbox_full) and marked by an empty file STATE/outbox.full (an empty file
 * takes no data block, so it can be made on a full disk) until a commit writes again, so
 * `permit-agent status` can show it from any process. It is not logged per statement: the
 * daemon logs its start and end once.
 */
#include "outbox.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "i18n.h"
#include "log.h"
#include "sqlx.h"
#include "util.h"

/* How long a writer waits for another process's transaction before giving up. */
#define OUTBOX_BUSY_MS 10000

static const char schema_sql[] =
    "BEGIN IMMEDIATE;"
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS outbox("
    " ord INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,"
    " project TEXT NOT NULL, procedure TEXT NOT NULL, event_ms INTEGER NOT NULL,"
    " cert TEXT, note TEXT, missing TEXT, due_ms INTEGER NOT NULL DEFAULT 0,"
    " source TEXT NOT NULL, added_ms INTEGER NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'queued'"
    "  CHECK (state IN ('queued', 'sent', 'rejected', 'dropped')),"
    " seq INTEGER, duplicate INTEGER NOT NULL DEFAULT 0, code TEXT, reason TEXT, done_ms INTEGER);"
    "CREATE INDEX IF NOT EXISTS outbox_order ON outbox(state, ord);"
    "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', '1');"
    "COMMIT;";

enum {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_INSERT,
    ST_HEADS,
    ST_ACK,
    ST_REJECT,
    ST_RETRY,
    ST_DROP,
    ST_REJECTED_IDS,
    ST_QUEUED,
    ST_PRUNE,
    ST_NOTE,
    ST_FACT,
    ST_VERSION,
    ST_COUNTS,
    ST_REJECTS,
    ST__COUNT
};

static const char *const statements[ST__COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_INSERT] = "INSERT INTO outbox(id, kind, project, procedure, event_ms, cert, note, missing,"
                  " due_ms, source, added_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
                  " ON CONFLICT(id) DO NOTHING",
    [ST_HEADS] = "SELECT ord, id, kind, project, procedure, event_ms, cert, note, missing,"
                 " due_ms FROM outbox WHERE state = 'queued' ORDER BY ord",
    /* A dropped event the broker acks after all is in its log: the record says so. */
    [ST_ACK] = "UPDATE outbox SET state = 'sent', seq = ?2, duplicate = ?3, done_ms = ?4"
               " WHERE id = ?1 AND state IN ('queued', 'dropped')",
    [ST_REJECT] = "UPDATE outbox SET state = 'rejected', code = ?2, reason = ?3, done_ms = ?4"
                  " WHERE id = ?1 AND state = 'queued'",
    [ST_RETRY] = "UPDATE outbox SET state = 'queued', ord = (SELECT MAX(ord) + 1 FROM outbox),"
                 " code = NULL, reason = NULL, done_ms = NULL WHERE id = ?1 AND state = 'rejected'",
    [ST_DROP] = "UPDATE outbox SET state = 'dropped', done_ms = ?2"
                " WHERE id = ?1 AND state IN ('rejected', 'queued')",
    [ST_REJECTED_IDS] = "SELECT id FROM outbox WHERE state = 'rejected' ORDER BY ord",
    [ST_QUEUED] = "SELECT state = 'queued' FROM outbox WHERE id = ?1",
    [ST_PRUNE] = "DELETE FROM outbox WHERE state IN ('sent', 'dropped') AND done_ms < ?1",
    [ST_NOTE] = "INSERT INTO meta(key, value) VALUES (?1, ?2)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    [ST_FACT] = "SELECT value FROM meta WHERE key = ?1",
    [ST_VERSION] = "PRAGMA data_version",
    [ST_COUNTS] = "SELECT state, COUNT(*), MIN(added_ms) FROM outbox GROUP BY state",
    [ST_REJECTS] = "SELECT id, kind, project, procedure, source, added_ms, done_ms, seq, code,"
                   " reason FROM outbox WHERE state = 'rejected' ORDER BY ord",
};

struct outbox {
    sqlite3 *db;
    sqlite3_stmt *st[ST__COUNT];
    char *path;
    char *marker; /* STATE/outbox.full */
    char *dept;
    int64_t data_version;
    bool full;            /* the last write failed for want of space */
    int changes_at_begin; /* sqlite3_total_changes when the transaction began */
};

/* True when rc (a failed call) means the disk holding the outbox is full. */
static bool
rc_full(sqlite3 *db, int rc)
{
    return (rc & 0xff) == SQLITE_FULL ||
           ((rc & 0xff) == SQLITE_IOERR && sqlite3_system_errno(db) == ENOSPC);
}

/* The disk is full: keep it, and mark it for status (an empty file needs no data block). */
static void
set_full(outbox_t *self)
{
    int fd;

    if (self->full)
        return;
    self->full = true;
    fd = open(self->marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
    if (fd >= 0)
        close(fd);
}

/* A commit wrote again: the disk is no longer full. */
static void
clear_full(outbox_t *self)
{
    self->full = false;
    if (unlink(self->marker) != 0 && errno != ENOENT)
        log_warn(_("outbox: cannot remove %s"), self->marker);
}

static void
db_warn(outbox_t *self, const char *what)
{
    log_warnx(_("outbox %s: %s: %s"), self->path, what, sqlite3_errmsg(self->db));
}

/*
 * Run a statement that returns no rows; reset it. 0 or -1 (logged, unless the disk is full:
 * outbox_full says so and the caller reports it). Inside a transaction that sqlite rolled
 * back by itself after an error nothing more runs, so nothing commits alone.
 */
static int
step_done(outbox_t *self, sqlite3_stmt *st)
{
    int rc;

    if (st != self->st[ST_BEGIN] && st != self->st[ST_ROLLBACK] &&
        sqlite3_get_autocommit(self->db) != 0) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        if (!self->full)
            log_warnx(_("outbox %s: the transaction was rolled back after an error"), self->path);
        return -1;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return 0;
    }
    rc = sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc_full(self->db, rc))
        set_full(self);
    else
        log_warnx(_("outbox %s: %s: %s"), self->path, sqlite3_sql(st), sqlite3_errmsg(self->db));
    return -1;
}

static int
tx_begin(outbox_t *self)
{
    self->changes_at_begin = sqlite3_total_changes(self->db);
    return step_done(self, self->st[ST_BEGIN]);
}

static int
tx_commit(outbox_t *self)
{
    bool wrote = sqlite3_total_changes(self->db) != self->changes_at_begin;

    if (step_done(self, self->st[ST_COMMIT]) == 0) {
        if (wrote && self->full)
            clear_full(self);
        return 0;
    }
    if (!sqlite3_get_autocommit(self->db))
        step_done(self, self->st[ST_ROLLBACK]);
    return -1;
}

static void
tx_rollback(outbox_t *self)
{
    if (!sqlite3_get_autocommit(self->db))
        step_done(self, self->st[ST_ROLLBACK]);
}

/* "the outbox is full: ..." for a write that failed for want of space. */
static void
full_reason(outbox_t *self, const char *what, char *why, size_t whylen)
{
    snprintf(why, whylen,
             _("the outbox is full: no space left on the disk holding %s; %s (free space there, "
               "then try again)"),
             self->path, what);
}

static int
read_version(outbox_t *self, int64_t *out)
{
    sqlite3_stmt *st = self->st[ST_VERSION];
    int rc = sqlite3_step(st);

    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* Record the department on first use; refuse another department's outbox. */
static int
bind_dept(outbox_t *self, const char *dept, char *why, size_t whylen)
{
    char *have = outbox_fact(self, "dept");
    const char *pair[] = {"dept", dept, NULL};

    if (have != NULL && dept != NULL && strcmp(have, dept) != 0) {
        snprintf(why, whylen, _("%s belongs to department %s, not %s"), self->path, have, dept);
        free(have);
        return -1;
    }
    if (have == NULL && dept == NULL) {
        snprintf(why, whylen, _("%s records no department (start permit-agent run first)"),
                 self->path);
        return -1;
    }
    if (have == NULL && outbox_note(self, pair) != 0) {
        snprintf(why, whylen, _("%s: cannot record the department: %s"), self->path,
                 sqlite3_errmsg(self->db));
        return -1;
    }
    self->dept = have != NULL ? have : xstrdup(dept);
    return 0;
}

int
outbox_open(const char *state, const char *dept, bool create, outbox_t **out, char *why,
            size_t whylen)
{
    outbox_t *self = xcalloc(1, sizeof(*self));
    int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    char *err = NULL;
    int rc;

    self->path = xasprintf("%s/%s", state, OUTBOX_FILE);
    self->marker = xasprintf("%s/%s", state, OUTBOX_FULL_FILE);
    if (create && mkdir(state, 0750) != 0 && errno != EEXIST) {
        snprintf(why, whylen, _("cannot create the state folder %s: %s"), state, strerror(errno));
        goto fail;
    }
    if (create && sqlx_create_private(self->path) != 0) {
        snprintf(why, whylen, _("cannot create %s: %s"), self->path, strerror(errno));
        goto fail;
    }
    if (sqlite3_open_v2(self->path, &self->db, flags, NULL) != SQLITE_OK) {
        if (!create && access(self->path, F_OK) != 0)
            snprintf(why, whylen, _("no outbox in %s (is it the agent's state folder?)"), state);
        else
            snprintf(why, whylen, _("cannot open %s: %s"), self->path,
                     self->db ? sqlite3_errmsg(self->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(self->db, OUTBOX_BUSY_MS);
    /* WAL lets status read while the daemon writes; FULL makes every commit durable. */
    if ((rc = sqlite3_exec(self->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL,
                           NULL, &err)) != SQLITE_OK ||
        (rc = sqlite3_exec(self->db, schema_sql, NULL, NULL, &err)) != SQLITE_OK) {
        if (rc_full(self->db, rc)) {
            set_full(self);
            full_reason(self, _("it cannot be opened"), why, whylen);
        } else {
            snprintf(why, whylen, _("cannot set up %s: %s"), self->path, err ? err : "?");
        }
        sqlite3_free(err);
        goto fail;
    }
    for (int i = 0; i < ST__COUNT; i++) {
        if (sqlite3_prepare_v3(self->db, statements[i], -1, SQLITE_PREPARE_PERSISTENT, &self->st[i],
                               NULL) != SQLITE_OK) {
            snprintf(why, whylen, "%s: %s", self->path, sqlite3_errmsg(self->db));
            goto fail;
        }
    }
    if (bind_dept(self, dept, why, whylen) != 0) {
        if (self->full)
            full_reason(self, _("the department cannot be recorded"), why, whylen);
        goto fail;
    }
    if (read_version(self, &self->data_version) != 0) {
        snprintf(why, whylen, "%s: %s", self->path, sqlite3_errmsg(self->db));
        goto fail;
    }
    *out = self;
    return 0;

fail:
    rc = self->full ? OUTBOX_FULL : -1;
    outbox_close(&self);
    return rc;
}

void
outbox_close(outbox_t **p)
{
    outbox_t *self = p ? *p : NULL;

    if (self == NULL)
        return;
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(self->st[i]);
    sqlite3_close(self->db);
    free(self->path);
    free(self->marker);
    free(self->dept);
    free(self);
    *p = NULL;
}

const char *
outbox_dept(const outbox_t *self)
{
    return self->dept;
}

int
outbox_add(outbox_t *self, const outbox_item_t *items, size_t n, int64_t now_ms, size_t *added,
           char *why, size_t whylen)
{
    sqlite3_stmt *st = self->st[ST_INSERT];
    size_t count = 0;

    if (tx_begin(self) != 0)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        const pm_entry_t *e = items[i].event;
        sqlx_bind_text(st, 1, e->event_id);
        sqlx_bind_text(st, 2, pm_kind_name(e->kind));
        sqlx_bind_text(st, 3, e->project);
        sqlx_bind_text(st, 4, e->procedure);
        sqlite3_bind_int64(st, 5, e->event_ms);
        sqlx_bind_text(st, 6, e->cert);
        sqlx_bind_text(st, 7, e->note);
        sqlx_bind_text(st, 8, e->missing);
        sqlite3_bind_int64(st, 9, e->due_ms);
        sqlx_bind_text(st, 10, items[i].source);
        sqlite3_bind_int64(st, 11, now_ms);
        if (step_done(self, st) != 0)
            goto fail;
        count += (size_t)sqlite3_changes(self->db);
    }
    if (tx_commit(self) != 0)
        goto fail;
    *added = count;
    return 0;

fail:
    if (self->full) {
        full_reason(self, _("nothing was queued"), why, whylen);
        tx_rollback(self);
        return OUTBOX_FULL;
    }
    snprintf(why, whylen, _("cannot write to %s: %s"), self->path, sqlite3_errmsg(self->db));
    tx_rollback(self);
    return -1;
}

bool
outbox_full(const outbox_t *self)
{
    return self->full;
}

int
outbox_full_marked(const char *state, int64_t *since_ms)
{
    char *marker = xasprintf("%s/%s", state, OUTBOX_FULL_FILE);
    struct stat st;
    int rc = stat(marker, &st) == 0;

    if (rc)
        *since_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
    free(marker);
    return rc;
}

int
outbox_disk_free(const char *state, uint64_t *bytes)
{
    struct statvfs vfs;

    if (statvfs(state, &vfs) != 0)
        return -1;
    *bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize;
    return 0;
}

void
outbox_free_events(pm_entry_t ***events, size_t n)
{
    if (*events == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        pm_entry_destroy(&(*events)[i]);
    free(*events);
    *events = NULL;
}

/* FNV-1a over a pair's project and procedure. */
static uint64_t
pair_hash(const char *project, const char *procedure)
{
    uint64_t h = 14695981039346656037ull;

    for (const char *p = project; *p != '\0'; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    h *= 1099511628211ull; /* the separator */
    for (const char *p = procedure; *p != '\0'; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h;
}

/*
 * The pairs seen so far in one scan: an open-addressing table of indices into a list of
 * "project\x1fprocedure" keys. At most `max` pairs are ever added (each first row is a head).
 */
typedef struct pairs {
    size_t *slot; /* index into keys, or SIZE_MAX */
    size_t cap;   /* a power of two, at least twice the pairs */
    strv_t keys;
} pairs_t;

/* Add the pair unless it is there: true when it is new. */
static bool
pairs_add(pairs_t *ps, const char *project, const char *procedure)
{
    char *key = xasprintf("%s\x1f%s", project, procedure);
    size_t i = (size_t)pair_hash(project, procedure) & (ps->cap - 1);

    for (; ps->slot[i] != SIZE_MAX; i = (i + 1) & (ps->cap - 1)) {
        if (strcmp(ps->keys.v[ps->slot[i]], key) == 0) {
            free(key);
            return false;
        }
    }
    ps->slot[i] = ps->keys.n;
    strv_push(&ps->keys, key);
    free(key);
    return true;
}

/* The event of a queue row, or NULL for a row whose kind cannot be read (a damaged file). */
static pm_entry_t *
row_event(outbox_t *self, sqlite3_stmt *st)
{
    pm_kind_t kind;
    pm_entry_t *e;

    if (pm_kind_parse((const char *)sqlite3_column_text(st, 2), &kind) != 0) {
        log_warnx(_("outbox %s: event %s has an unknown kind; its procedure waits"), self->path,
                  sqlite3_column_text(st, 1));
        return NULL;
    }
    e = pm_entry_new(kind);
    e->event_id = sqlx_column_text(st, 1);
    e->dept = xstrdup(self->dept);
    e->project = sqlx_column_text(st, 3);
    e->procedure = sqlx_column_text(st, 4);
    e->event_ms = sqlite3_column_int64(st, 5);
    e->cert = sqlx_column_text(st, 6);
    e->note = sqlx_column_text(st, 7);
    e->missing = sqlx_column_text(st, 8);
    e->due_ms = sqlite3_column_int64(st, 9);
    return e;
}

int
outbox_heads(outbox_t *self, size_t max, pm_entry_t ***out, size_t *n)
{
    sqlite3_stmt *st = self->st[ST_HEADS];
    pairs_t ps = {.cap = 16};
    pm_entry_t **v = NULL;
    size_t count = 0;
    int rc = SQLITE_DONE;

    while (ps.cap < 2 * max)
        ps.cap <<= 1;
    ps.slot = xmalloc(ps.cap * sizeof(size_t));
    for (size_t i = 0; i < ps.cap; i++)
        ps.slot[i] = SIZE_MAX;
    /* Rows come oldest first, so the first row of a pair is its head. */
    while (ps.keys.n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        pm_entry_t *e;
        if (!pairs_add(&ps, (const char *)sqlite3_column_text(st, 3),
                       (const char *)sqlite3_column_text(st, 4)))
            continue;
        if ((e = row_event(self, st)) == NULL)
            continue;
        v = xgrow(v, count, sizeof(*v));
        v[count++] = e;
    }
    sqlite3_reset(st);
    free(ps.slot);
    strv_clear(&ps.keys);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        db_warn(self, "reading the queue");
        outbox_free_events(&v, count);
        return -1;
    }
    *out = v;
    *n = count;
    return 0;
}

int
outbox_settle(outbox_t *self, const outbox_result_t *results, size_t n, int64_t now_ms)
{
    const outbox_result_t *last_ack = NULL;

    if (n == 0)
        return 0;
    if (tx_begin(self) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const outbox_result_t *r = &results[i];
        sqlite3_stmt *st = self->st[r->ok ? ST_ACK : ST_REJECT];
        sqlx_bind_text(st, 1, r->id);
        if (r->ok) {
            sqlite3_bind_int64(st, 2, (sqlite3_int64)r->seq);
            sqlite3_bind_int(st, 3, r->duplicate);
        } else {
            sqlx_bind_text(st, 2, r->code != NULL ? r->code : "?");
            sqlx_bind_text(st, 3, r->reason != NULL ? r->reason : _("no reason given"));
        }
        sqlite3_bind_int64(st, 4, now_ms);
        if (step_done(self, st) != 0)
            goto fail;
        if (r->ok && sqlite3_changes(self->db) > 0)
            last_ack = r;
    }
    if (last_ack != NULL) {
        char seq[32], ms[32];
        const char *facts[] = {"last_ack_seq", seq, "last_ack_ms", ms, NULL};
        snprintf(seq, sizeof(seq), "%llu", (unsigned long long)last_ack->seq);
        snprintf(ms, sizeof(ms), "%lld", (long long)now_ms);
        for (size_t i = 0; facts[i] != NULL; i += 2) {
            sqlx_bind_text(self->st[ST_NOTE], 1, facts[i]);
            sqlx_bind_text(self->st[ST_NOTE], 2, facts[i + 1]);
            if (step_done(self, self->st[ST_NOTE]) != 0)
                goto fail;
        }
    }
    return tx_commit(self);

fail:
    tx_rollback(self);
    return -1;
}

/* Run a one-row update keyed by id inside its own transaction: 1 changed, 0 none, -1 error. */
static int
update_one(outbox_t *self, sqlite3_stmt *st)
{
    int changed;

    if (tx_begin(self) != 0) {
        sqlite3_clear_bindings(st);
        return -1;
    }
    if (step_done(self, st) != 0) {
        tx_rollback(self);
        return -1;
    }
    changed = sqlite3_changes(self->db) > 0;
    return tx_commit(self) == 0 ? changed : -1;
}

int
outbox_retry(outbox_t *self, const char *id)
{
    sqlx_bind_text(self->st[ST_RETRY], 1, id);
    return update_one(self, self->st[ST_RETRY]);
}

int
outbox_drop(outbox_t *self, const char *id, int64_t now_ms)
{
    sqlx_bind_text(self->st[ST_DROP], 1, id);
    sqlite3_bind_int64(self->st[ST_DROP], 2, now_ms);
    return update_one(self, self->st[ST_DROP]);
}

int
outbox_queued(outbox_t *self, const char *id)
{
    sqlite3_stmt *st = self->st[ST_QUEUED];
    int rc;

    sqlx_bind_text(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        rc = sqlite3_column_int(st, 0) != 0;
    else if (rc == SQLITE_DONE)
        rc = 0;
    else
        rc = -1;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

int
outbox_retry_all(outbox_t *self, size_t *count)
{
    sqlite3_stmt *ids = self->st[ST_REJECTED_IDS];
    strv_t v = {0};
    int rc;

    if (tx_begin(self) != 0)
        return -1;
    while ((rc = sqlite3_step(ids)) == SQLITE_ROW)
        strv_push(&v, (const char *)sqlite3_column_text(ids, 0));
    sqlite3_reset(ids);
    if (rc != SQLITE_DONE)
        goto fail;
    /* One by one, so they keep their order among themselves behind everything queued. */
    for (size_t i = 0; i < v.n; i++) {
        sqlx_bind_text(self->st[ST_RETRY], 1, v.v[i]);
        if (step_done(self, self->st[ST_RETRY]) != 0)
            goto fail;
    }
    if (tx_commit(self) != 0)
        goto fail;
    *count = v.n;
    strv_clear(&v);
    return 0;

fail:
    db_warn(self, "retry");
    tx_rollback(self);
    strv_clear(&v);
    return -1;
}

int
outbox_prune(outbox_t *self, int64_t before_ms)
{
    sqlite3_bind_int64(self->st[ST_PRUNE], 1, before_ms);
    return update_one(self, self->st[ST_PRUNE]) < 0 ? -1 : 0;
}

bool
outbox_changed(outbox_t *self)
{
    int64_t v;

    if (read_version(self, &v) != 0 || v == self->data_version)
        return false;
    self->data_version = v;
    return true;
}

int
outbox_note(outbox_t *self, const char *const *pairs)
{
    sqlite3_stmt *st = self->st[ST_NOTE];

    if (tx_begin(self) != 0)
        return -1;
    for (size_t i = 0; pairs[i] != NULL && pairs[i + 1] != NULL; i += 2) {
        sqlx_bind_text(st, 1, pairs[i]);
        sqlx_bind_text(st, 2, pairs[i + 1]);
        if (step_done(self, st) != 0) {
            tx_rollback(self);
            return -1;
        }
    }
    return tx_commit(self);
}

char *
outbox_fact(outbox_t *self, const char *key)
{
    sqlite3_stmt *st = self->st[ST_FACT];
    char *value = NULL;

    sqlx_bind_text(st, 1, key);
    if (sqlite3_step(st) == SQLITE_ROW)
        value = sqlx_column_text(st, 0);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return value;
}

static void
row_clear(outbox_row_t *r)
{
    free(r->id);
    free(r->kind);
    free(r->project);
    free(r->procedure);
    free(r->source);
    free(r->code);
    free(r->reason);
    memset(r, 0, sizeof(*r));
}

void
outbox_stats_clear(outbox_stats_t *st)
{
    for (size_t i = 0; i < st->nrejects; i++)
        row_clear(&st->rejects[i]);
    free(st->rejects);
    memset(st, 0, sizeof(*st));
}

int
outbox_stats(outbox_t *self, outbox_stats_t *out)
{
    outbox_stats_t s = {0};
    sqlite3_stmt *st = self->st[ST_COUNTS];
    int rc;

    /* One read transaction, so the counts and the list agree. */
    if (sqlite3_exec(self->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *state = (const char *)sqlite3_column_text(st, 0);
        uint64_t count = (uint64_t)sqlite3_column_int64(st, 1);
        if (strcmp(state, "queued") == 0) {
            s.queued = count;
            s.oldest_queued_ms = sqlite3_column_int64(st, 2);
        } else if (strcmp(state, "sent") == 0) {
            s.sent = count;
        } else if (strcmp(state, "rejected") == 0) {
            s.rejected = count;
        } else {
            s.dropped = count;
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        goto fail;
    st = self->st[ST_REJECTS];
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        outbox_row_t *r;
        s.rejects = xgrow(s.rejects, s.nrejects, sizeof(*s.rejects));
        r = &s.rejects[s.nrejects++];
        r->id = sqlx_column_text(st, 0);
        r->kind = sqlx_column_text(st, 1);
        r->project = sqlx_column_text(st, 2);
        r->procedure = sqlx_column_text(st, 3);
        r->source = sqlx_column_text(st, 4);
        r->added_ms = sqlite3_column_int64(st, 5);
        r->done_ms = sqlite3_column_int64(st, 6);
        r->seq = (uint64_t)sqlite3_column_int64(st, 7);
        r->code = sqlx_column_text(st, 8);
        r->reason = sqlx_column_text(st, 9);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        goto fail;
    sqlite3_exec(self->db, "COMMIT", NULL, NULL, NULL);
    *out = s;
    return 0;

fail:
    db_warn(self, "status");
    sqlite3_exec(self->db, "ROLLBACK", NULL, NULL, NULL);
    outbox_stats_clear(&s);
    return -1;
}
