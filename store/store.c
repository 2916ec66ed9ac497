/*
 * store: the one implementation of store.h, over a backend (store_backend.h).
 *
 * What is the same for every engine lives here: sequence numbers (assigned in append order;
 * the head at a savepoint; the committed head, reread from the engine when a commit's
 * outcome is unknown), the encoding of log entries, the write-back cache of procedure rows
 * and project clocks, and the rule that a statement reading the derived tables runs after the
 * cache was written back. The backend moves rows.
 */
#define _GNU_SOURCE /* qsort_r */
#include "store.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "i18n.h"
#include "log.h"
#include "rowpack.h"
#include "store_backend.h"
#include "util.h"

#define STORE_PAGE_MAX 1000

/*
 * A cache of procedure rows by project: every event reads its project's rows, and reading
 * them back from the engine was the largest cost per event. A change to a cached row (or to a
 * project's clock) is kept in the cache, marked dirty, and written to the engine once, before
 * whatever needs it there: the COMMIT, a statement that reads those tables, or the cache
 * filling up. An event usually changes the same row twice (its state, then its clock), a
 * batch often changes one project several times, and a rebuild, one long transaction, many
 * times: each is one write now. A rollback or a rebuild empties the cache, dirty rows
 * included, since the engine undoes what they stand for. A ROLLBACK TO cannot undo the cache: it
 * keeps it when nothing in it changed since the savepoint (a refused event changes nothing:
 * the engine validates before it writes) and otherwise empties it and fails, so the caller
 * fails the whole transaction. It holds every project in progress, its rows and own fields
 * packed (rowpack.h: about 530 bytes a project of twelve procedures, against 1,440 for the
 * rows as store_proc_t), up to a budget of bytes (store_set_cache_bytes, permitd's
 * cache_mib): with 100,000 projects a cache of 8,192 missed nine events in ten. Past the
 * budget a project is let go to make room for the next one (pcache_evict: CLOCK, the
 * second-chance approximation of least recently used), one with nothing to write that the
 * open transaction did not use; only when there is none is the cache written back and
 * emptied, to fill again with the projects in use.
 *
 * Held across commits. On an engine that allows it (hold_rows: sqlite), dirty rows outlive
 * the COMMIT: they are written from the first commit STORE_HOLD_MS after they were first held
 * (PCACHE_WRITE_MAX a commit), beyond pcache_hold_max projects (the oldest, in chunks of
 * PCACHE_HOLD_CHUNK), when the cache fills with nothing it may let go, before a statement that
 * reads the tables for rows they may hold (pcache_write_picked, by what each entry may hold:
 * sel, sel_next), when the broker is idle (store_sync_step) and at close. A project changed by
 * every batch is then written once every STORE_HOLD_MS, not once a batch. This is safe because the
 * tables are derived: every commit that leaves rows held also records, in the same
 * transaction, that the tables are behind and from which entry on (the least dirty_from of the
 * held entries, refreshed every STORE_MARK_MS: mark_due), and a database opened so marked
 * replays the log from there (store_replay_from), which holds every acked event. A project's
 * rows and clock are written together, so the tables always hold each project as some prefix
 * of its entries left it, and the replay skips what they have (engine_apply is idempotent).
 * A rollback must then give back
 * the rows as they were at the last commit: each change to a row held across a commit first
 * saves the row it replaces (the undo list), and a rollback puts those back, keeps what was
 * held and drops the rest, which the engine reads again.
 */
#define PCACHE_SLOTS_MIN 1024  /* the index's first size, a power of two */
#define PCACHE_GONE UINT32_MAX /* an index slot whose project was let go */

#define PCACHE_DIRTY_MAX 64 /* rows of a project that can be held dirty (bits of .dirty) */
/*
 * Projects held dirty past a commit: at least PCACHE_HOLD_MIN, else as many as half the budget
 * holds (pcache_hold_max); past it the oldest are written until PCACHE_HOLD_CHUNK fewer are
 * held. Rows written in one commit share its pages (the upper levels of the B-trees, the index
 * pages), which one project per commit would write again every commit.
 */
#define PCACHE_HOLD_MIN 4096
#define PCACHE_HOLD_CHUNK 512
/*
 * Held projects older than STORE_HOLD_MS go out at most this many a commit: a backlog (the
 * projects a burst of registrations held, all at once) spreads over the next commits instead
 * of making one of them wait for all of it. At permit-bench's 100 commits a second and more
 * that is 25,000 projects a second, more than an event a project can dirty.
 */
#define PCACHE_WRITE_MAX 256
/*
 * What a held project's rows and clock may be, in memory or in the tables, since it was last
 * written (pcache_entry.sel): a statement that reads the tables for rows of one kind writes
 * first only the held projects that may have one (pcache_write_some), not all of them.
 */
#define SEL_LISTED 1u  /* a procedure red or yellow (the colour lists) */
#define SEL_BLOCKED 2u /* a procedure blocked (the blocked list) */
#define SEL_ALL (SEL_LISTED | SEL_BLOCKED)

typedef struct pcache_entry {
    char *project;   /* NULL: a free entry (pcache.unused) */
    uint8_t *packed; /* its n rows, packed (rowpack.h) */
    uint32_t packed_len;
    uint8_t n;
    uint8_t sel; /* SEL_*: what its rows may be, in memory or in the tables, since written */
    /* The earliest next_ms > 0 its rows or clock may have, in memory or in the tables, since
     * it was last written (0: none; 1: unknown, due at once): a lower bound of both. */
    int64_t sel_next;
    uint64_t tx;         /* the transaction that cached it (store.tx) */
    int64_t held_at;     /* when something in it became dirty (pcache.now) */
    uint64_t dirty;      /* bit i: procs[i] changed since it was written */
    uint64_t dirty_from; /* the first entry whose effect the tables may lack, once dirty */
    uint8_t *info;       /* the project's row, packed (rowpack.h), once read */
    uint32_t info_len;
    store_projclock_t clock; /* the project's own clock, once read (has_clock) */
    bool has_clock;
    bool clock_dirty; /* clock changed since it was written */
    bool referenced;  /* used since the CLOCK hand last passed it (pcache_evict) */
    uint64_t used_tx; /* the last transaction that used it (store.tx) */
    uint32_t cost;    /* what it counts against the budget (pcache_cost) */
} pcache_entry_t;

/* What a change in the open transaction replaced, for a rollback (rows held across commits). */
typedef enum undo_kind {
    UNDO_ROW,     /* the rows before row `ordinal` changed, and its dirty bit */
    UNDO_CLOCK,   /* the project's clock and its dirty flag */
    UNDO_WRITTEN, /* the dirty bits before a write-back */
} undo_kind_t;

typedef struct pcache_undo {
    undo_kind_t kind;
    uint32_t slot; /* the entry's index in pcache.ents */
    int ordinal;
    uint8_t *packed; /* UNDO_ROW: the rows before, owned */
    uint32_t packed_len;
    store_projclock_t clock;
    uint64_t dirty;      /* UNDO_ROW: the bit; UNDO_WRITTEN: the mask */
    uint64_t dirty_from; /* UNDO_WRITTEN */
    bool clock_dirty;
} pcache_undo_t;

/*
 * Entries live in one array and keep their index while cached: the dirty list and the undo
 * list name them by it. Projects are found through an index of nslots slots (linear probing,
 * at most three quarters taken) that names an entry (its index + 1), or is free (0), or was let
 * go (PCACHE_GONE). Both grow by doubling as projects are cached, up to the budget.
 */
typedef struct pcache {
    pcache_entry_t *ents; /* nents used (cached or free), cap allocated */
    size_t nents, cap;
    uint32_t *unused; /* the free entries below nents, nunused of them (capacity cap) */
    size_t nunused;
    uint32_t *slots; /* the index: NULL until the first project is cached */
    size_t nslots;   /* a power of two */
    size_t count;    /* projects cached */
    size_t gone;     /* slots of entries let go (PCACHE_GONE) */
    size_t hand;     /* the entry pcache_evict looks at next */
    size_t bytes;    /* the cost of the cached projects (pcache_cost) */
    size_t budget;   /* what bytes may reach (store_set_cache_bytes) */
    uint32_t *dirty; /* the entries with something dirty, ndirty of them, oldest first (capacity
                        cap) */
    size_t ndirty;
    /* It took a project past the budget when nothing could go: the commit empties it. Not
     * merely being over it (a row packed longer, a project's fields read), which letting go
     * of the next project to make room for corrects. */
    bool overgrown;
    uint64_t
        changes; /* counts every change of the cache's contents or of the engine's rows by it */
    int64_t now; /* monotonic ms at the open transaction's start */
    pcache_undo_t *undo; /* the open transaction's, oldest first */
    size_t nundo, undo_cap;
} pcache_t;

struct store {
    const store_ops_t *ops;
    store_backend_t *b;
    bool in_tx;
    uint64_t head;              /* last appended */
    uint64_t committed_head;    /* last committed */
    uint64_t savepoint_head;    /* head when the open savepoint was taken */
    uint64_t savepoint_changes; /* pcache.changes then */
    pcache_t pcache;            /* procedure rows of recently used projects, written back */
    strpool_t *names;           /* the codes of every procedure row given out (store.h) */
    bool hold;                  /* dirty rows may outlive a commit (hold_rows) */
    bool marks;                 /* commits write the mark (not a read-only store) */
    uint64_t marked_from;       /* the committed mark: 0 current, else where a replay starts */
    int64_t marked_at;          /* pcache.now when the mark was last looked at */
    uint64_t stale_from;        /* what the tables lack at open, until a replay commits */
    bool tx_holds;              /* the open transaction began with rows held */
    bool tx_cleared;            /* the open transaction emptied the tables (held rows gone) */
    bool tx_replayed;           /* the open transaction brings the tables up to the log */
    uint64_t tx;                /* counts transactions begun */
    int64_t epoch_seen_ms;      /* monotonic: when a commit or a check last held the epoch */
    int64_t hold_ms;            /* STORE_HOLD_MS until store_set_hold_ms */
};

static void pcache_flush(pcache_t *c);
static int pcache_writeback(store_t *s);
static int pcache_writeback_older(store_t *s, int64_t cutoff, size_t keep);
static int pcache_sync(store_t *s);
static void pcache_undo(store_t *s);
static void pcache_recost(pcache_t *c, pcache_entry_t *e);
static int proc_write(store_t *s, const char *project, const store_proc_t *p, int ordinal);
static int projclock_write(store_t *s, const char *project, const store_projclock_t *c);
static pcache_entry_t *pcache_find(store_t *s, const char *project);
static size_t pcache_hold_max(const pcache_t *c);

void
store_single_threaded(void)
{
    store_sqlite_single_threaded(); /* libpq has no process-wide locking to turn off */
}

bool
store_target_is_pg(const char *target)
{
    return strncmp(target, "postgresql://", 13) == 0 || strncmp(target, "postgres://", 11) == 0;
}

char *
store_target_redacted(const char *target)
{
    char *out = xstrdup(target);
    char *auth, *end, *at, *colon, *pw;

    if (!store_target_is_pg(target))
        return out;
    /* postgresql://user:password@host/db: the authority ends at the first '/' or '?'. */
    auth = strstr(out, "://") + 3;
    end = auth + strcspn(auth, "/?");
    at = memchr(auth, '@', (size_t)(end - auth));
    colon = at != NULL ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (colon != NULL) {
        char *fixed = xasprintf("%.*s:***%s", (int)(colon - out), out, at);
        free(out);
        out = fixed;
    }
    /* ...?password=secret&... */
    if ((pw = strstr(out, "password=")) != NULL) {
        char *val = pw + 9;
        char *fixed = xasprintf("%.*s***%s", (int)(val - out), out, val + strcspn(val, "&"));
        free(out);
        out = fixed;
    }
    return out;
}

bool
store_target_has_password(const char *target)
{
    char *redacted = store_target_redacted(target);
    bool has = strcmp(redacted, target) != 0;

    free(redacted);
    return has;
}

/* The backend a target names. */
static const store_ops_t *
backend_for(const char *target)
{
    return store_target_is_pg(target) ? &store_pg_ops : &store_sqlite_ops;
}

/* The backend is open and may serve: read where the log ends. */
static int
store_start(store_t *s, char **err)
{
    if (s->ops->last_seq(s->b, &s->head) < 0) {
        *err = xasprintf(_("cannot read the log's last sequence number"));
        return -1;
    }
    s->committed_head = s->head;
    /* Tables left behind stay marked so until a replay brought them up to the log
     * (store_replayed). Empty ones laid out for an empty log are current. */
    s->marked_from = s->marks ? s->ops->replay_from(s->b) : 0;
    s->stale_from = s->head > 0 ? s->ops->replay_from(s->b) : 0;
    return 0;
}

static store_t *
store_new(const char *target, bool readonly, char **err)
{
    store_t *s = xcalloc(1, sizeof(*s));

    s->ops = backend_for(target);
    s->names = strpool_new();
    s->b = s->ops->open(target, readonly, s->names, err);
    if (s->b == NULL) {
        strpool_destroy(&s->names);
        free(s);
        return NULL;
    }
    s->marks = !readonly;
    s->hold = !readonly && s->ops->hold_rows;
    s->pcache.budget = (size_t)STORE_CACHE_MIB << 20;
    s->hold_ms = STORE_HOLD_MS;
    return s;
}

/*
 * ready and take_over, for a backend that has them: 1 when the store may serve now, 0 when it
 * must wait, -1 on a hard error; *why says why for 0 and -1 (caller owns).
 */
static int
store_try_take_over(store_t *s, char **why)
{
    int rc;

    if (s->ops->ready == NULL)
        return 1;
    rc = s->ops->ready(s->b, why);
    if (rc == 1 && s->ops->take_over(s->b, why) < 0)
        rc = 0; /* lost a race (another node took over first, a lock timed out): try again */
    if (rc <= 0 && *why == NULL)
        *why = xstrdup("the database cannot serve (see the log)");
    return rc;
}

store_t *
store_open(const char *target, char **err)
{
    store_t *s = store_new(target, false, err);
    char *why = NULL;

    if (s == NULL)
        return NULL;
    if (store_try_take_over(s, &why) <= 0) {
        *err = why;
        store_close(&s);
        return NULL;
    }
    if (store_start(s, err) < 0)
        store_close(&s);
    return s;
}

store_t *
store_open_wait(const char *target, int timeout_ms, volatile sig_atomic_t *stop, char **err)
{
    store_t *s = store_new(target, false, err);
    char *said = NULL;
    int rc;

    if (s == NULL)
        return NULL;
    store_set_timeout(s, timeout_ms);
    while ((rc = store_try_take_over(s, err)) == 0) {
        /* Said when it starts and when the reason changes, not every second. */
        if (said == NULL || strcmp(said, *err) != 0)
            log_info(_("store: waiting before serving: %s"), *err);
        free(said);
        said = *err;
        *err = NULL;
        if (!*stop)
            /* Four times a second: a failover waits for this too. A signal ends it early. */
            nanosleep(&(struct timespec){0, 250 * 1000 * 1000}, NULL);
        if (*stop) {
            *err = xasprintf(_("stopped while waiting: %s"), said);
            break;
        }
    }
    free(said);
    if (rc <= 0 || store_start(s, err) < 0) {
        store_close(&s);
        return NULL;
    }
    return s;
}

store_t *
store_open_readonly(const char *target, char **err)
{
    store_t *s = store_new(target, true, err);

    if (s != NULL && store_start(s, err) < 0)
        store_close(&s);
    return s;
}

void
store_close(store_t **p)
{
    store_t *s = p ? *p : NULL;

    if (s == NULL)
        return;
    if (s->in_tx)
        store_rollback(s);
    if (store_holding(s) && store_sync(s) < 0)
        log_warnx(_("store: rows held in memory could not be written at close; the next start "
                    "replays the log into the tables from where they lag"));
    pcache_flush(&s->pcache);
    free(s->pcache.ents);
    free(s->pcache.unused);
    free(s->pcache.slots);
    free(s->pcache.dirty);
    free(s->pcache.undo);
    s->ops->close(s->b);
    strpool_destroy(&s->names);
    free(s);
    *p = NULL;
}

const char *
store_backend_name(const store_t *s)
{
    return s->ops->name;
}

uint64_t
store_replay_from(const store_t *s)
{
    return s->stale_from;
}

void
store_replayed(store_t *s)
{
    s->tx_replayed = true;
}

int
store_check(const char *target, const char *clean, store_checked_t *how, char **err)
{
    char *now;
    bool same;

    *err = NULL;
    *how = STORE_NOTHING_TO_CHECK;
    if (store_target_is_pg(target) || strcmp(target, ":memory:") == 0 || access(target, F_OK) != 0)
        return 0; /* nothing there yet */
    now = clean != NULL ? store_sqlite_identity(target) : NULL;
    same = now != NULL && strcmp(now, clean) == 0;
    free(now);
    *how = same ? STORE_UNTOUCHED : STORE_CHECKED;
    return same ? 0 : store_sqlite_check(target, err);
}

char *
store_clean_identity(const char *target)
{
    return store_target_is_pg(target) ? NULL : store_sqlite_identity(target);
}

int
store_check_layout(const char *target, char **err)
{
    *err = NULL;
    return store_target_is_pg(target) ? store_pg_check_layout(target, err)
                                      : store_sqlite_check_layout(target, err);
}

/* The one line for a backup or a check asked of PostgreSQL, NULL for sqlite (caller owns). */
static char *
pg_has_own_tools(const char *target)
{
    if (!store_target_is_pg(target))
        return NULL;
    return xstrdup("a PostgreSQL database is backed up and checked with PostgreSQL's own tools "
                   "(pg_basebackup or pgBackRest): see docs/ha.md, \"Backups\"");
}

int
store_backup(const char *target, const char *dest, bool force, uint64_t *head, char **err)
{
    *err = pg_has_own_tools(target);
    if (*err != NULL)
        return -1;
    return store_sqlite_backup(target, dest, force, head, err);
}

int
store_audit(const char *target, strv_t *problems, uint64_t *head, char **err)
{
    *err = pg_has_own_tools(target);
    if (*err != NULL)
        return -1;
    return store_sqlite_audit(target, problems, head, err);
}

int
store_derived_save(store_t *s)
{
    assert(s->ops == &store_sqlite_ops);
    if (store_sync(s) < 0)
        return -1;
    return store_sqlite_derived_save(s->b);
}

int
store_derived_compare(store_t *s, strv_t *problems)
{
    assert(s->ops == &store_sqlite_ops);
    if (store_sync(s) < 0)
        return -1;
    return store_sqlite_derived_compare(s->b, problems);
}

char *
store_newer_layout(const char *label, long long version)
{
    return xasprintf("%s: database schema version %lld is newer than this permitd (%d): install "
                     "the newer release or restore a backup made by this one",
                     label, version, STORE_LAYOUT_VERSION);
}

struct sqlite3 *
store_sqlite_conn(store_t *s)
{
    return s->ops == &store_sqlite_ops ? store_sqlite_db(s->b) : NULL;
}

bool
store_deposed(const store_t *s)
{
    return s->ops->deposed != NULL && s->ops->deposed(s->b);
}

int
store_check_epoch(store_t *s, int64_t max_age_ms)
{
    int64_t now = util_mono_ms();

    if (s->ops->check_epoch == NULL)
        return 0;
    if (store_deposed(s))
        return -1;
    if (s->epoch_seen_ms > 0 && now - s->epoch_seen_ms <= max_age_ms)
        return 0;
    if (s->ops->check_epoch(s->b) < 0)
        return -1;
    s->epoch_seen_ms = now;
    return 0;
}

void
store_set_timeout(store_t *s, int ms)
{
    if (s->ops->set_timeout != NULL)
        s->ops->set_timeout(s->b, ms);
}

int
store_latest_recv(store_t *s, int64_t *out)
{
    return s->ops->latest_recv(s->b, out);
}

int
store_time_zone(store_t *s, char **out)
{
    return s->ops->zone_get(s->b, out);
}

int
store_set_time_zone(store_t *s, const char *zone)
{
    return s->ops->zone_put(s->b, zone);
}

int
store_begin(store_t *s)
{
    if (s->ops->begin(s->b) < 0)
        return -1;
    s->in_tx = true;
    s->tx++;
    s->pcache.now = s->hold ? util_mono_ms() : 0;
    s->tx_holds = s->pcache.ndirty > 0;
    s->tx_cleared = s->tx_replayed = false;
    return 0;
}

bool
store_holding(const store_t *s)
{
    return s->hold && s->pcache.ndirty > 0;
}

/* Whether the open transaction's changes to the cache must be undoable: rows are held from
 * before it, which its rollback must give back as they were. */
static bool
undoing(const store_t *s)
{
    return s->hold && s->in_tx && s->tx_holds;
}

static void
undo_clear(pcache_t *c)
{
    for (size_t i = 0; i < c->nundo; i++)
        if (c->undo[i].kind == UNDO_ROW)
            free(c->undo[i].packed);
    c->nundo = 0;
}

static pcache_undo_t *
undo_push(pcache_t *c, undo_kind_t kind, const pcache_entry_t *e)
{
    pcache_undo_t *u;

    if (c->nundo == c->undo_cap) {
        c->undo_cap = c->undo_cap ? 2 * c->undo_cap : 256;
        c->undo = xrealloc(c->undo, c->undo_cap * sizeof(*c->undo));
    }
    u = &c->undo[c->nundo++];
    memset(u, 0, sizeof(*u));
    u->kind = kind;
    u->slot = (uint32_t)(e - c->ents);
    return u;
}

/*
 * Whether this commit must write the mark, and what it says (*from): where a replay would start
 * (0: nowhere, the tables are current). It is written when the tables fall behind or become
 * current, and while they stay behind, looked at again every STORE_MARK_MS: the first entry
 * whose effect they may lack advances as held rows are written, and a replay after a crash
 * starts there. Between, the mark may be older than that entry, never newer.
 */
static bool
mark_due(store_t *s, uint64_t stale_from, uint64_t *from)
{
    const pcache_t *c = &s->pcache;
    bool behind = c->ndirty > 0 || stale_from > 0;

    if (behind == (s->marked_from > 0) && (!behind || c->now - s->marked_at < STORE_MARK_MS))
        return false;
    s->marked_at = c->now;
    *from = stale_from;
    for (size_t k = 0; k < c->ndirty; k++) {
        uint64_t f = c->ents[c->dirty[k]].dirty_from;
        if (*from == 0 || f < *from)
            *from = f;
    }
    return *from != s->marked_from;
}

int
store_commit(store_t *s)
{
    pcache_t *c = &s->pcache;
    bool full = c->overgrown, mark = false;
    uint64_t stale_from = s->tx_replayed ? 0 : s->stale_from, from = 0;
    size_t most = pcache_hold_max(c), keep = c->ndirty > most ? most - PCACHE_HOLD_CHUNK : most;

    /* Held rows go out when they are old enough (a few projects each commit, not all at once:
     * no commit grows by a whole second's worth) or too many, or all when the cache must be
     * emptied. */
    if (!s->hold || full ? pcache_writeback(s) < 0
                         : pcache_writeback_older(s, c->now - s->hold_ms, keep) < 0)
        goto fail;
    if (s->marks && (mark = mark_due(s, stale_from, &from)) && s->ops->derived_mark(s->b, from) < 0)
        goto fail;
    if (s->ops->commit(s->b) < 0)
        goto fail;
    /* A commit passed the fencing check of its transaction (store_pg.c): the epoch held. */
    s->epoch_seen_ms = util_mono_ms();
    s->in_tx = false;
    s->committed_head = s->head;
    s->stale_from = stale_from;
    if (mark)
        s->marked_from = from;
    undo_clear(c);
    if (full)
        pcache_flush(c); /* everything in it is written: it fills again with what is in use */
    return 0;
fail:
    store_rollback(s); /* rereads where the log ends */
    return -1;
}

int
store_rollback(store_t *s)
{
    uint64_t last;
    int rc;

    /* Callers roll back after a failed commit, which rolled back already: then the cache is
     * as the last commit left it, and must stay so. */
    if (s->in_tx) {
        if (undoing(s))
            pcache_undo(s); /* back to what was held at the last commit */
        else
            pcache_flush(&s->pcache); /* it may hold rows the rollback undoes */
        /* No replay happened, and what was held is gone: the tables lack what the mark says. */
        if (s->tx_cleared && s->marked_from > 0 &&
            (s->stale_from == 0 || s->marked_from < s->stale_from))
            s->stale_from = s->marked_from;
    }
    rc = s->ops->rollback(s->b);
    s->in_tx = false;
    s->head = s->committed_head;
    /* The log says where it ends: on a network engine a commit whose outcome was unknown may
     * reach it now or any time later (once a synchronous standby is back). Embedded, the
     * answer is the committed head, at the cost of one lookup per failed batch. */
    if (s->ops->last_seq(s->b, &last) == 0 && last > s->committed_head) {
        log_warnx(_("store: a failed commit reached the log after all (up to seq %llu); its "
                    "events were not acked, and their resends are duplicates"),
                  (unsigned long long)last);
        s->head = s->committed_head = last;
    }
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
    return s->ops->savepoint(s->b);
}

int
store_release(store_t *s)
{
    return s->ops->release(s->b);
}

int
store_rollback_to(store_t *s)
{
    bool cache_stale = s->pcache.changes != s->savepoint_changes;

    s->head = s->savepoint_head;
    /* It changed since: what it holds dirty may be lost. Rows held from before the transaction
     * are kept for its rollback to restore. */
    if (cache_stale && !undoing(s))
        pcache_flush(&s->pcache);
    if (s->ops->rollback_to(s->b) < 0)
        return -1;
    if (cache_stale) {
        log_warnx(_("store: a rollback to a savepoint after the cache changed: the transaction "
                    "must be rolled back whole"));
        return -1;
    }
    return 0;
}

int
store_checkpoint(store_t *s, int min_frames)
{
    if (s->in_tx || s->ops->checkpoint == NULL)
        return 0;
    return s->ops->checkpoint(s->b, min_frames);
}

bool
store_full(const store_t *s)
{
    return s->ops->full(s->b);
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
    store_logrow_t row = {0};
    uint8_t *body = NULL;
    size_t len = 0;
    int rc;

    e->seq = s->head + 1;
    if (codec_encode_entry(e, &body, &len) < 0)
        return -1;
    row.seq = e->seq;
    row.event_id = e->event_id;
    row.kind = pm_kind_name(e->kind);
    row.actor = e->actor ? e->actor : "broker";
    row.dept = e->dept;
    row.project = e->project;
    row.procedure = e->procedure;
    row.recv_ms = e->recv_ms;
    row.event_ms = e->event_ms;
    row.cause = e->cause;
    row.body = body;
    row.len = len;
    rc = s->ops->append(s->b, &row);
    free(body);
    if (rc == 0)
        s->head = e->seq;
    return rc;
}

int
store_find_event(store_t *s, const char *sender, const char *event_id, uint64_t *seq)
{
    return s->ops->find_event(s->b, sender, event_id, seq);
}

/* Decoding log rows into entries, for a scan's callback. */
typedef struct decode {
    /* Called with each entry; it may keep the entry by taking *e (setting it to NULL). */
    int (*take)(struct decode *d, pm_entry_t **e);
    void *arg;
    uint64_t last; /* seq of the last entry decoded */
    size_t rows;
    size_t budget; /* bytes of encoded entries to take at most, after the first; 0: no cap */
    size_t bytes;  /* taken so far */
    bool full;     /* a row was left out for the budget: the rest are too */
} decode_t;

static int
decode_row(void *arg, const void *body, size_t len)
{
    decode_t *d = arg;
    pm_entry_t *e = NULL;
    char why[256];
    int rc;

    if (d->budget != 0 && (d->full || (d->rows > 0 && d->bytes + len > d->budget))) {
        d->full = true;
        return 0;
    }
    d->bytes += len;
    if (codec_decode_entry(body, len, &e, why, sizeof(why)) < 0) {
        log_warnx(_("store: undecodable log entry: %s"), why);
        return -1;
    }
    /* Rows come in seq order, and a walk pages on by the last entry's own number. */
    if (e->seq <= d->last) {
        log_warnx(_("store: the log is damaged: a row after entry %llu holds entry %llu"),
                  (unsigned long long)d->last, (unsigned long long)e->seq);
        pm_entry_destroy(&e);
        return -1;
    }
    d->last = e->seq;
    d->rows++;
    rc = d->take(d, &e);
    pm_entry_destroy(&e);
    return rc;
}

static int
take_one(decode_t *d, pm_entry_t **e)
{
    pm_entry_t **out = d->arg;

    *out = *e;
    *e = NULL;
    return 0;
}

int
store_entry_get(store_t *s, uint64_t seq, pm_entry_t **out)
{
    pm_entry_t *e = NULL;
    decode_t d = {.take = take_one, .arg = &e};
    int rc = s->ops->entry_get(s->b, seq, decode_row, &d);

    if (rc == 1 && e != NULL && e->seq == seq) {
        *out = e;
        return 1;
    }
    pm_entry_destroy(&e);
    if (rc == 1) {
        log_warnx(_("store: the log row of seq %llu holds another entry"), (unsigned long long)seq);
        return -1;
    }
    return rc;
}

static int
take_into_page(decode_t *d, pm_entry_t **e)
{
    pm_page_t *page = d->arg;

    pm_page_add(page, e);
    return 0;
}

int
store_entries(store_t *s, const pm_query_t *q, pm_page_t *page)
{
    uint32_t limit = q->limit == 0 || q->limit > STORE_PAGE_MAX ? STORE_PAGE_MAX : q->limit;
    decode_t d = {.take = take_into_page, .arg = page, .budget = STORE_PAGE_BYTES};
    store_scan_t scan = {
        .after = q->after,
        .project = util_empty(q->project) ? NULL : q->project,
        .dept = util_empty(q->dept) ? NULL : q->dept,
        .kind = util_empty(q->kind) ? NULL : q->kind,
        .since_ms = q->since_ms,
        .limit = limit + 1, /* one more tells whether there are more */
    };

    page->head = s->committed_head;
    page->more = false;
    if (s->ops->scan(s->b, &scan, decode_row, &d) < 0)
        return -1;
    if (page->n > limit) {
        page->more = true;
        pm_entry_destroy(&page->entries[--page->n]);
    }
    if (d.full)
        page->more = true;
    return 0;
}

/* store_walk's callback, behind the decoding. */
typedef struct walk {
    store_walk_fn *fn;
    void *arg;
} walk_t;

static int
take_walk(decode_t *d, pm_entry_t **e)
{
    walk_t *w = d->arg;

    return w->fn(w->arg, *e);
}

int
store_walk(store_t *s, uint64_t after, store_walk_fn *fn, void *arg)
{
    walk_t w = {fn, arg};
    decode_t d = {.take = take_walk, .arg = &w, .last = after};
    store_scan_t q = {.limit = STORE_PAGE_MAX};

    for (;;) {
        d.rows = 0;
        q.after = d.last;
        if (s->ops->scan(s->b, &q, decode_row, &d) < 0)
            return -1;
        if (d.rows == 0)
            return 0;
    }
}

int
store_clear_derived(store_t *s)
{
    pcache_flush(&s->pcache); /* held rows too: the rebuild recomputes everything */
    s->tx_holds = false;
    s->tx_cleared = true;
    return s->ops->clear_derived(s->b);
}

int
store_dept_get(store_t *s, const char *code, pm_department_t *out)
{
    return s->ops->dept_get(s->b, code, out);
}

int
store_dept_put(store_t *s, const pm_department_t *d, uint64_t seq)
{
    return s->ops->dept_put(s->b, d, seq);
}

int
store_template_put(store_t *s, const char *name, uint32_t version, uint64_t seq)
{
    return s->ops->template_put(s->b, name, version, seq);
}

int
store_template_find(store_t *s, const char *name, uint32_t version, uint32_t *out_version,
                    uint64_t *seq)
{
    return s->ops->template_find(s->b, name, version, out_version, seq);
}

int
store_project_get(store_t *s, const char *id, pm_project_t *out)
{
    pcache_entry_t *hit = pcache_find(s, id);
    int rc;

    if (hit != NULL && hit->info != NULL) {
        rowpack_project_unpack(hit->info, hit->info_len, out);
        return 1;
    }
    rc = s->ops->project_get(s->b, id, out);
    if (rc == 1 && hit != NULL) {
        size_t len;
        hit->info = rowpack_project_pack(out, &len);
        hit->info_len = (uint32_t)len;
        pcache_recost(&s->pcache, hit);
    }
    return rc;
}

int
store_project_put(store_t *s, const pm_project_t *p, uint64_t seq)
{
    pcache_entry_t *hit = pcache_find(s, p->id);

    if (hit != NULL && hit->info != NULL) { /* read again when next asked */
        free(hit->info);
        hit->info = NULL;
        pcache_recost(&s->pcache, hit);
    }
    s->pcache.changes++;
    return s->ops->project_put(s->b, p, seq);
}

/* True when an entry holds a project (not free). */
static bool
pcache_live(const pcache_entry_t *e)
{
    return e->project != NULL;
}

static void
pcache_entry_free(pcache_t *c, pcache_entry_t *e)
{
    c->bytes -= e->cost;
    free(e->project);
    free(e->packed);
    free(e->info);
    memset(e, 0, sizeof(*e));
}

/*
 * What a project counts against the budget, its rows packed into `packed` bytes: its entry,
 * its share of the index (at least a third of it free) and of the lists that name entries,
 * its id and its packed rows, and the allocator's overhead of each. Its own fields count too
 * once read (pcache_recost).
 */
static size_t
pcache_cost(const char *project, size_t packed)
{
    return sizeof(pcache_entry_t) + 3 * sizeof(uint32_t) + 2 * sizeof(uint32_t) + strlen(project) +
           1 + packed + 2 * 16;
}

size_t
store_cache_cost(store_t *s, const char *project, const store_proc_t *rows, size_t n)
{
    size_t len;

    free(rowpack_pack(s->names, rows, n, &len));
    return pcache_cost(project, len);
}

/* Entry e's rows, unpacked (store_procs_free). */
static store_proc_t *
pcache_rows(const store_t *s, const pcache_entry_t *e)
{
    store_proc_t *rows = xcalloc(e->n ? e->n : 1, sizeof(*rows));

    rowpack_unpack(s->names, e->packed, e->packed_len, rows, e->n);
    return rows;
}

/* Count entry e again, after what it holds changed. */
static void
pcache_recost(pcache_t *c, pcache_entry_t *e)
{
    size_t cost = pcache_cost(e->project, e->packed_len) + (e->info ? e->info_len + 16 : 0);

    c->bytes = c->bytes - e->cost + cost;
    e->cost = (uint32_t)cost;
}

/* Entry e holds these packed rows now (what it held before is the caller's to free). */
static void
pcache_set_packed(pcache_t *c, pcache_entry_t *e, uint8_t *packed, size_t len)
{
    e->packed = packed;
    e->packed_len = (uint32_t)len;
    pcache_recost(c, e);
}

void
store_set_hold_ms(store_t *s, int64_t ms)
{
    s->hold_ms = ms;
}

void
store_set_cache_bytes(store_t *s, size_t bytes)
{
    s->pcache.budget = bytes;
}

static void
pcache_flush(pcache_t *c)
{
    for (size_t i = 0; i < c->nents; i++)
        if (pcache_live(&c->ents[i]))
            pcache_entry_free(c, &c->ents[i]);
    if (c->slots != NULL)
        memset(c->slots, 0, c->nslots * sizeof(*c->slots));
    c->nents = c->nunused = 0;
    c->count = c->gone = c->hand = 0;
    c->overgrown = false;
    c->ndirty = 0;
    c->changes++;
    undo_clear(c); /* it names entries */
}

static size_t
pcache_hash(const pcache_t *c, const char *key)
{
    return (size_t)util_hash(key) & (c->nslots - 1);
}

/* The entry of a project, or NULL; a hit counts as a use by the open transaction. Linear
 * probing: a slot let go keeps the probe going, only a free one ends it. */
static pcache_entry_t *
pcache_find(store_t *s, const char *project)
{
    pcache_t *c = &s->pcache;

    if (c->slots == NULL)
        return NULL;
    for (size_t i = pcache_hash(c, project), k = 0; k < c->nslots;
         i = (i + 1) & (c->nslots - 1), k++) {
        uint32_t v = c->slots[i];
        pcache_entry_t *e;
        if (v == 0)
            return NULL;
        if (v == PCACHE_GONE)
            continue;
        e = &c->ents[v - 1];
        if (strcmp(e->project, project) == 0) {
            e->referenced = true;
            e->used_tx = s->tx;
            return e;
        }
    }
    return NULL;
}

/* Where a project not in the index goes: the first slot of its probe sequence that is free or
 * was let go. */
static size_t
pcache_free_slot(const pcache_t *c, const char *project)
{
    size_t i = pcache_hash(c, project);

    while (c->slots[i] != 0 && c->slots[i] != PCACHE_GONE)
        i = (i + 1) & (c->nslots - 1);
    return i;
}

/* The index slot that names entry `idx`. */
static size_t
pcache_slot_of(const pcache_t *c, uint32_t idx)
{
    size_t i = pcache_hash(c, c->ents[idx].project);

    while (c->slots[i] != idx + 1)
        i = (i + 1) & (c->nslots - 1);
    return i;
}

/*
 * Lay the index out afresh with nslots slots, without the slots let go (they lengthen every
 * probe that passes them, and an index without free slots would make a miss probe all of it).
 * Entries keep their place: the dirty and undo lists still name them.
 */
static void
pcache_reindex(pcache_t *c, size_t nslots)
{
    free(c->slots);
    c->nslots = nslots;
    c->slots = xcalloc(nslots, sizeof(*c->slots));
    for (size_t i = 0; i < c->nents; i++)
        if (pcache_live(&c->ents[i]))
            c->slots[pcache_free_slot(c, c->ents[i].project)] = (uint32_t)i + 1;
    c->gone = 0;
}

/* An entry for one more project (its index): a free one, or a new one at the end. */
static uint32_t
pcache_new_entry(pcache_t *c)
{
    if (c->nunused > 0)
        return c->unused[--c->nunused];
    if (c->nents == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 256;
        c->ents = xrealloc(c->ents, c->cap * sizeof(*c->ents));
        c->unused = xrealloc(c->unused, c->cap * sizeof(*c->unused));
        c->dirty = xrealloc(c->dirty, c->cap * sizeof(*c->dirty));
    }
    memset(&c->ents[c->nents], 0, sizeof(*c->ents));
    return (uint32_t)c->nents++;
}

/*
 * Make room for one more project by letting one go: CLOCK, which gives an entry used since the
 * hand last passed a second chance. Only an entry with nothing to write that the open
 * transaction has not used may go (a rollback may need what that one holds, and the undo list
 * names it). False when the hand went round twice without finding one.
 */
static bool
pcache_evict(store_t *s)
{
    pcache_t *c = &s->pcache;

    for (size_t k = 0; k < 2 * c->nents; k++) {
        uint32_t idx = (uint32_t)(c->hand < c->nents ? c->hand : 0);
        pcache_entry_t *e = &c->ents[idx];
        c->hand = idx + 1;
        if (!pcache_live(e) || e->dirty != 0 || e->clock_dirty || (s->in_tx && e->used_tx == s->tx))
            continue;
        if (e->referenced) {
            e->referenced = false;
            continue;
        }
        c->slots[pcache_slot_of(c, idx)] = PCACHE_GONE;
        pcache_entry_free(c, e);
        c->unused[c->nunused++] = idx;
        c->count--;
        if (++c->gone > c->nslots / 4)
            pcache_reindex(c, c->nslots);
        return true;
    }
    return false;
}

/* The earlier of two next_ms, 0 being none. */
static int64_t
next_min(int64_t a, int64_t b)
{
    return a == 0 ? b : b == 0 || a < b ? a : b;
}

/* What entry e may hold once it holds row p too (pcache_entry.sel). */
static void
sel_add(pcache_entry_t *e, const store_proc_t *p)
{
    e->sel_next = next_min(e->sel_next, p->next_ms);
    if (p->colour == PM_COLOUR_RED || p->colour == PM_COLOUR_YELLOW)
        e->sel |= SEL_LISTED;
    if (p->state == PM_STATE_BLOCKED)
        e->sel |= SEL_BLOCKED;
}

/* What entry e holds, exactly: its n rows and its clock once read. */
static void
sel_reset(pcache_entry_t *e, const store_proc_t *rows)
{
    e->sel = 0;
    e->sel_next = e->has_clock ? e->clock.next_ms : 0;
    for (size_t k = 0; k < e->n; k++)
        sel_add(e, &rows[k]);
}

/* Held projects at most before a commit writes the oldest: half what the budget holds, at the
 * cost of the projects cached so far (held ones cannot be let go), or PCACHE_HOLD_MIN. */
static size_t
pcache_hold_max(const pcache_t *c)
{
    size_t half = c->count > 0 ? c->budget / 2 / (c->bytes / c->count + 1) : 0;

    return half > PCACHE_HOLD_MIN ? half : PCACHE_HOLD_MIN;
}

/* Write an entry's dirty rows and clock to the engine. */
static int
pcache_write_entry(store_t *s, pcache_entry_t *e)
{
    e->used_tx = s->tx; /* its undo record names it: it stays (pcache_evict) */
    if (undoing(s)) {
        pcache_undo_t *u = undo_push(&s->pcache, UNDO_WRITTEN, e);
        u->dirty = e->dirty;
        u->dirty_from = e->dirty_from;
        u->clock_dirty = e->clock_dirty;
    }
    store_proc_t *rows = pcache_rows(s, e);
    int rc = 0;
    for (size_t k = 0; k < e->n && rc == 0; k++)
        if (e->dirty >> k & 1)
            rc = proc_write(s, e->project, &rows[k], (int)k);
    if (rc == 0 && e->clock_dirty)
        rc = projclock_write(s, e->project, &e->clock);
    if (rc == 0) {
        e->dirty = 0;
        e->clock_dirty = false;
        sel_reset(e, rows); /* the tables have what memory has */
    }
    store_procs_free(rows, e->n);
    return rc;
}

/* Entries named by index, ordered by their projects' ids, descending (qsort_r). */
static int
project_desc(const void *a, const void *b, void *arg)
{
    const pcache_entry_t *ents = arg;

    return strcmp(ents[*(const uint32_t *)b].project, ents[*(const uint32_t *)a].project);
}

/*
 * Write every dirty row to the engine, in the order of the tables' keys (from the end of the
 * list, sorted descending): rows that follow one another in a B-tree share its pages, and a
 * rebuild's 1.2 million rows of 100,000 projects fill the emptied table from one end to the
 * other. -1 when a write failed (the caller rolls back).
 */
static int
pcache_writeback(store_t *s)
{
    pcache_t *c = &s->pcache;

    if (c->ndirty > 1)
        qsort_r(c->dirty, c->ndirty, sizeof(*c->dirty), project_desc, c->ents);
    for (; c->ndirty > 0; c->ndirty--)
        if (pcache_write_entry(s, &c->ents[c->dirty[c->ndirty - 1]]) < 0)
            return -1;
    return 0;
}

/*
 * Write the entries dirty since `cutoff` or before, and more until at most `keep` stay dirty:
 * the front of the dirty list, which is in the order they became dirty (after a rollback,
 * pcache_undo lists them in entry order: one may then wait for those ahead of it, a second more
 * at most).
 */
static int
pcache_writeback_older(store_t *s, int64_t cutoff, size_t keep)
{
    pcache_t *c = &s->pcache;
    size_t k = 0;
    int rc = 0;

    while (k < c->ndirty && ((k < PCACHE_WRITE_MAX && c->ents[c->dirty[k]].held_at <= cutoff) ||
                             c->ndirty - k > keep))
        if ((rc = pcache_write_entry(s, &c->ents[c->dirty[k++]])) < 0)
            break;
    c->ndirty -= k;
    if (k > 0)
        memmove(c->dirty, c->dirty + k, c->ndirty * sizeof(*c->dirty));
    return rc;
}

/* Whether a held entry is one a statement about to read the tables must find written. */
typedef bool(pcache_pick_fn)(const pcache_entry_t *e, int64_t arg);

/* Its rows or clock may be due by arg (store_clock_due). */
static bool
pick_due(const pcache_entry_t *e, int64_t arg)
{
    return e->sel_next > 0 && e->sel_next <= arg;
}

/* Its rows may be of a kind in arg (SEL_*: store_colour_walk). */
static bool
pick_sel(const pcache_entry_t *e, int64_t arg)
{
    return (e->sel & (unsigned)arg) != 0;
}

/* work(s, arg) in a transaction of its own: committed, or rolled back when it fails. */
static int
store_own_tx(store_t *s, int (*work)(store_t *s, const void *arg), const void *arg)
{
    if (store_begin(s) < 0)
        return -1;
    if (work(s, arg) < 0) {
        store_rollback(s);
        return -1;
    }
    return store_commit(s);
}

typedef struct picked {
    pcache_pick_fn *pick;
    int64_t arg;
} picked_t;

static int pcache_write_picked(store_t *s, pcache_pick_fn *pick, int64_t arg);

static int
write_picked(store_t *s, const void *arg)
{
    const picked_t *p = arg;
    return pcache_write_picked(s, p->pick, p->arg);
}

/*
 * Before a statement that reads the tables for rows of one kind: the held entries that pick
 * chooses are written, the others stay held in their order. Inside the open transaction, or
 * else in one of its own when there is anything to write.
 */
static int
pcache_write_picked(store_t *s, pcache_pick_fn *pick, int64_t arg)
{
    pcache_t *c = &s->pcache;
    size_t k = 0, kept;
    int rc = 0;

    while (k < c->ndirty && !pick(&c->ents[c->dirty[k]], arg))
        k++;
    if (k == c->ndirty)
        return 0;
    if (!s->in_tx) {
        picked_t p = {pick, arg};
        return store_own_tx(s, write_picked, &p);
    }
    for (kept = k; k < c->ndirty; k++) {
        uint32_t idx = c->dirty[k];
        if (rc < 0 || !pick(&c->ents[idx], arg))
            c->dirty[kept++] = idx;
        else if ((rc = pcache_write_entry(s, &c->ents[idx])) < 0)
            c->dirty[kept++] = idx; /* still dirty: the caller rolls back */
    }
    c->ndirty = kept;
    return rc;
}

/* Entry e has something to write now: remember it, once. What the tables lack of it comes
 * from the open transaction (its entries follow the committed head), or else from a replay,
 * which writes everything before it commits. */
static void
pcache_mark(store_t *s, pcache_entry_t *e)
{
    pcache_t *c = &s->pcache;

    if (e->dirty == 0 && !e->clock_dirty) {
        c->dirty[c->ndirty++] = (uint32_t)(e - c->ents);
        e->held_at = c->now;
        e->dirty_from = s->committed_head + 1;
    }
    c->changes++;
}

static int
writeback(store_t *s, const void *arg)
{
    (void)arg;
    return pcache_writeback(s);
}

/* Before a statement that reads the tables: what the cache holds reaches them, inside the
 * open transaction or else in one of its own. */
static int
pcache_sync(store_t *s)
{
    if (s->in_tx || s->pcache.ndirty == 0)
        return pcache_writeback(s);
    return store_own_tx(s, writeback, NULL);
}

int
store_sync(store_t *s)
{
    return pcache_sync(s);
}

/* The oldest STORE_SYNC_STEP held entries (store_sync_step). */
static int
writeback_step(store_t *s, const void *arg)
{
    size_t n = s->pcache.ndirty;

    (void)arg;
    return pcache_writeback_older(s, INT64_MIN, n > STORE_SYNC_STEP ? n - STORE_SYNC_STEP : 0);
}

int
store_sync_step(store_t *s)
{
    if (s->in_tx || s->pcache.ndirty == 0)
        return 0;
    return store_own_tx(s, writeback_step, NULL);
}

/*
 * A rollback of a transaction that began with rows held: put back what its changes replaced,
 * newest first, then keep only the entries that hold rows the tables lack. The rest may hold
 * what the rollback undid in the tables (rows, project fields, clocks read in the
 * transaction): they are read again when next needed.
 */
static void
pcache_undo(store_t *s)
{
    pcache_t *c = &s->pcache;

    while (c->nundo > 0) {
        pcache_undo_t *u = &c->undo[--c->nundo];
        pcache_entry_t *e = &c->ents[u->slot];
        uint64_t bit = UINT64_C(1) << (u->ordinal & 63);
        switch (u->kind) {
        case UNDO_ROW:
            free(e->packed);
            pcache_set_packed(c, e, u->packed, u->packed_len);
            e->dirty = u->dirty ? e->dirty | bit : e->dirty & ~bit;
            break;
        case UNDO_CLOCK:
            e->clock = u->clock;
            e->clock_dirty = u->clock_dirty;
            break;
        case UNDO_WRITTEN:
            e->dirty = u->dirty;
            e->dirty_from = u->dirty_from;
            e->clock_dirty = u->clock_dirty;
            break;
        }
    }
    c->count = c->ndirty = c->nunused = 0;
    c->overgrown = false; /* what it took past the budget was this transaction's: gone */
    c->changes++;
    for (size_t i = 0; i < c->nents; i++) {
        pcache_entry_t *e = &c->ents[i];
        if (pcache_live(e) && (e->tx == s->tx || (e->dirty == 0 && !e->clock_dirty)))
            pcache_entry_free(c, e);
        if (!pcache_live(e)) {
            c->unused[c->nunused++] = (uint32_t)i;
            continue;
        }
        free(e->info);
        e->info = NULL;
        pcache_recost(c, e);
        e->has_clock = e->clock_dirty;
        e->sel = SEL_ALL; /* the tables as the rollback left them: anything */
        e->sel_next = 1;
        c->dirty[c->ndirty++] = (uint32_t)i;
        c->count++;
    }
    pcache_reindex(c, c->nslots);
}

/* Cache a project's rows: 1 cached, 0 not (the budget spent while rows are held that only a
 * commit may write), -1 failure. */
static int
pcache_put(store_t *s, const char *project, const store_proc_t *procs, size_t n)
{
    pcache_t *c = &s->pcache;
    size_t len, cost, i, want;
    uint8_t *packed;
    uint32_t idx;

    if (n > PCACHE_DIRTY_MAX)
        return 0; /* a row past the dirty bits could not be held */
    packed = rowpack_pack(s->names, procs, n, &len);
    cost = pcache_cost(project, len);
    if (c->bytes + cost > c->budget && !pcache_evict(s)) {
        /* Nothing may go. Rows held past a commit stay until a commit empties the cache: a
         * rollback may need them (even once this transaction wrote them), and outside one they
         * are not written. Inside one it grows to half as much again as the budget (the commit
         * empties it), then takes no more. */
        if (s->in_tx ? undoing(s) : store_holding(s)) {
            if (!s->in_tx || c->bytes + cost > c->budget + c->budget / 2) {
                free(packed);
                return 0;
            }
            c->overgrown = true;
        } else if (pcache_writeback(s) < 0) {
            free(packed);
            return -1;
        } else {
            pcache_flush(c);
        }
    }
    /* At most three quarters of the index taken, counting the slots let go. */
    if (c->slots == NULL || (c->count + c->gone + 1) * 4 > c->nslots * 3) {
        for (want = c->nslots ? c->nslots : PCACHE_SLOTS_MIN; (c->count + 1) * 2 > want;)
            want *= 2;
        pcache_reindex(c, want);
    }
    idx = pcache_new_entry(c);
    i = pcache_free_slot(c, project);
    if (c->slots[i] == PCACHE_GONE)
        c->gone--;
    c->slots[i] = idx + 1;
    c->ents[idx].project = xstrdup(project);
    c->ents[idx].packed = packed;
    c->ents[idx].packed_len = (uint32_t)len;
    c->ents[idx].n = (uint8_t)n;
    sel_reset(&c->ents[idx], procs); /* what the tables have, or what it creates */
    c->ents[idx].tx = c->ents[idx].used_tx = s->tx;
    c->ents[idx].referenced = true; /* just used: a first pass of the hand spares it */
    c->ents[idx].cost = (uint32_t)cost;
    c->bytes += cost;
    c->count++;
    return 1;
}

int
store_procs_load(store_t *s, const char *project, store_proc_t **out, size_t *n)
{
    store_proc_t *procs = NULL;
    size_t count = 0;
    pcache_entry_t *hit = pcache_find(s, project);

    if (hit != NULL) {
        *out = pcache_rows(s, hit);
        *n = hit->n;
        return 0;
    }
    if (s->ops->procs_load(s->b, project, &procs, &count) < 0)
        return -1;
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

/* The row of procedure `ordinal` of project, written to the engine. */
static int
proc_write(store_t *s, const char *project, const store_proc_t *p, int ordinal)
{
    s->pcache.changes++; /* a row a later read may cache: see store_rollback_to */
    return s->ops->proc_put(s->b, project, p, ordinal);
}

int
store_proc_put(store_t *s, const char *project, const store_proc_t *p, int ordinal)
{
    pcache_entry_t *hit = pcache_find(s, project);
    uint8_t *packed;
    size_t len;

    if (hit == NULL || ordinal < 0 || (size_t)ordinal >= hit->n)
        return proc_write(s, project, p, ordinal); /* a row it does not hold: written through */
    /* The row at that ordinal, as the table keys it (an upsert replaces it whole), packed in
     * the place of the one it replaces. */
    packed = rowpack_replace(s->names, hit->packed, hit->packed_len, (size_t)ordinal, p, &len);
    if (undoing(s)) {
        pcache_undo_t *u = undo_push(&s->pcache, UNDO_ROW, hit);
        u->ordinal = ordinal;
        u->packed = hit->packed; /* moved: the undo list owns it now */
        u->packed_len = hit->packed_len;
        u->dirty = hit->dirty >> ordinal & 1;
    } else {
        free(hit->packed);
    }
    pcache_set_packed(&s->pcache, hit, packed, len);
    pcache_mark(s, hit);
    hit->dirty |= UINT64_C(1) << ordinal;
    sel_add(hit, p); /* and what the tables have of the row it replaces, since written */
    return 0;
}

int
store_projclock_get(store_t *s, const char *project, store_projclock_t *out)
{
    pcache_entry_t *hit = pcache_find(s, project);
    int rc;

    if (hit != NULL && hit->has_clock) {
        *out = hit->clock;
        return 1;
    }
    rc = s->ops->projclock_get(s->b, project, out);
    if (rc == 1 && hit != NULL) {
        hit->clock = *out;
        hit->has_clock = true;
    }
    return rc;
}

int
store_procs_create(store_t *s, const char *project, const store_proc_t *procs, size_t n)
{
    pcache_entry_t *e;

    if (n == 0 || n > PCACHE_DIRTY_MAX || pcache_find(s, project) != NULL) {
        for (size_t i = 0; i < n; i++)
            if (store_proc_put(s, project, &procs[i], (int)i) < 0)
                return -1;
        return 0;
    }
    /* Held in the cache, dirty, and written with the project's later changes. */
    switch (pcache_put(s, project, procs, n)) {
    case -1:
        return -1;
    case 0:
        for (size_t i = 0; i < n; i++)
            if (proc_write(s, project, &procs[i], (int)i) < 0)
                return -1;
        return 0;
    }
    e = pcache_find(s, project);
    pcache_mark(s, e);
    e->dirty = n == 64 ? ~UINT64_C(0) : (UINT64_C(1) << n) - 1;
    return 0;
}

/* The project's own clock, written to the engine. */
static int
projclock_write(store_t *s, const char *project, const store_projclock_t *c)
{
    s->pcache.changes++;
    return s->ops->projclock_put(s->b, project, c);
}

int
store_projclock_put(store_t *s, const char *project, const store_projclock_t *c)
{
    pcache_entry_t *hit = pcache_find(s, project);

    /* A project in the cache has its clock held with its rows, even one it never read (a
     * put replaces it whole): the tables get both at once. */
    if (hit == NULL)
        return projclock_write(s, project, c); /* not cached: written through */
    if (undoing(s)) {
        pcache_undo_t *u = undo_push(&s->pcache, UNDO_CLOCK, hit);
        u->clock = hit->clock; /* when it was never read, the undo drops it (pcache_undo) */
        u->clock_dirty = hit->clock_dirty;
    }
    if (!hit->has_clock)
        hit->sel_next = 1; /* the tables' clock was never read: due for all it knows */
    hit->sel_next = next_min(hit->sel_next, c->next_ms);
    hit->clock = *c;
    hit->has_clock = true;
    pcache_mark(s, hit);
    hit->clock_dirty = true;
    return 0;
}

int
store_clock_due(store_t *s, int64_t now_ms, size_t max, strv_t *projects, strv_t *procedures)
{
    size_t before;

    if (pcache_write_picked(s, pick_due, now_ms) < 0) /* what may be due is in the tables */
        return -1;
    if (s->ops->procs_due(s->b, now_ms, max, projects, procedures) < 0)
        return -1;
    before = projects->n;
    if (s->ops->projects_due(s->b, now_ms, max, projects) < 0)
        return -1;
    /* A project's own clock pairs with an empty procedure code. */
    for (size_t i = before; i < projects->n; i++)
        strv_push(procedures, "");
    return 0;
}

int
store_clock_next(store_t *s, int64_t *out_ms)
{
    const pcache_t *c = &s->pcache;
    int64_t held = 0;

    /* The tables' answer, earlier if a held project may be due before: never later than the
     * truth, and a pass that comes too early writes what it finds may be due (store_clock_due),
     * after which the answer is exact for those. */
    for (size_t k = 0; k < c->ndirty; k++)
        held = next_min(held, c->ents[c->dirty[k]].sel_next);
    if (s->ops->clock_next(s->b, out_ms) < 0)
        return -1;
    *out_ms = next_min(*out_ms, held);
    return 0;
}

int
store_provisional_projects(store_t *s, strv_t *out)
{
    if (pcache_sync(s) < 0)
        return -1;
    return s->ops->provisional(s->b, out);
}

int
store_colour_walk(store_t *s, const pm_listreq_t *q, store_colour_fn *fn, void *arg)
{
    unsigned kind =
        q->blocked ? SEL_BLOCKED
        : util_empty(q->colour) || strcmp(q->colour, "red") == 0 || strcmp(q->colour, "yellow") == 0
            ? SEL_LISTED
            : 0; /* another colour: every held project */

    if (kind == 0 ? pcache_sync(s) < 0 : pcache_write_picked(s, pick_sel, kind) < 0)
        return -1;
    return s->ops->colour_walk(s->b, q, fn, arg);
}

int
store_milestone_put(store_t *s, const char *project, const char *code, uint64_t seq)
{
    return s->ops->milestone_put(s->b, project, code, seq);
}

int
store_milestones_list(store_t *s, const char *project, strv_t *out)
{
    return s->ops->milestones_list(s->b, project, out);
}
