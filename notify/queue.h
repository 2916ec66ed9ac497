/*
 * queue: the notifier's durable state in its own sqlite database (WAL, synchronous=FULL):
 * the cursor into the broker's log, one delivery record per (entry, recipient, channel,
 * address), the red items waiting for an acknowledgement (escalation), the acks waiting to be
 * logged at the broker, and the silences.
 * directory.h keeps its tables in the same database, so one transaction covers an entry's
 * directory update, its deliveries and the cursor: after a kill -9 either all of them are
 * there or none, and the follower catches up from the cursor.
 *
 * Delivery states: pending (to send at next_ms), sent, dead (max attempts failed; retry puts
 * it back), held (waiting for the digest at next_ms), digested (went out in digest
 * digest_id), silenced, inhibited, unroutable (no contact or address: recorded so history
 * answers "was the steward told?" with "no, there is no address for her").
 */
#ifndef PERMIT_QUEUE_H
#define PERMIT_QUEUE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct nq nq_t;

/* One delivery record. Strings owned by the record (nq_item_clear). */
typedef struct nq_item {
    int64_t id;
    uint64_t seq;    /* the log entry; 0 for a digest */
    char *route;     /* route key: "unblocked", "colour.red", "escalation", "digest" */
    char *project;   /* NULL for entries without one */
    char *procedure; /* NULL for entries without one */
    char *recipient; /* contact name: "其木格", "dept:HCB" */
    char *chan;      /* channel name (channel.h) */
    char *addr;
    char *idem; /* idempotency key */
    char *title;
    char *text;
    char *payload; /* the notification JSON */
    char *state;
    int attempts;
    int64_t next_ms;
    char *last_error;
    int64_t created_ms;
    int64_t done_ms; /* sent, dead or digested at */
    bool urgent;     /* red, breach, escalation: goes out on non-working days too */
} nq_item_t;

typedef struct nq_filter {
    const char *state; /* NULL: any */
    const char *project;
    uint64_t seq; /* 0: any */
    size_t limit; /* 0: no limit */
} nq_filter_t;

typedef struct nq_alert {
    uint64_t seq;
    char *project;
    char *procedure;
    char *dept;
    char *vars; /* the template variables of the red entry, as JSON, for the escalations */
    int step;   /* index into the escalation ladder of the last step notified */
    int64_t next_ms;
    char *state; /* open, acked, resolved, top (the ladder's last step was reached) */
    char *acked_by;
} nq_alert_t;

typedef struct nq_silence {
    int64_t id;
    char *project; /* NULL: any project */
    char *kind;    /* route key or kind; NULL: any */
    char *author;
    char *reason;
    int64_t created_ms, expires_ms;
} nq_silence_t;

/* Open (creating) the database. NULL with a reason in *err (caller owns). */
nq_t *nq_open(const char *path, char **err);
void nq_close(nq_t **p);
sqlite3 *nq_db(nq_t *q);

/* A write transaction; begin when one is open is a no-op, so callers can batch. */
int nq_begin(nq_t *q);
int nq_commit(nq_t *q);
void nq_rollback(nq_t *q);
bool nq_in_tx(const nq_t *q);

int nq_cursor(nq_t *q, uint64_t *out);
int nq_set_cursor(nq_t *q, uint64_t seq);

/* Record a delivery in state it->state; a repeat of (idem, chan, addr) is ignored. */
int nq_add(nq_t *q, const nq_item_t *it);
void nq_item_clear(nq_item_t *it);
void nq_items_free(nq_item_t *v, size_t n);

/* Records matching f, oldest first. Caller owns *out (nq_items_free). */
int nq_select(nq_t *q, const nq_filter_t *f, nq_item_t **out, size_t *n);
/* Pending records due at now, up to max, soonest first. */
int nq_due(nq_t *q, int64_t now, size_t max, nq_item_t **out, size_t *n);
/* A destination with due records: its channel, address and how many are due. */
typedef struct nq_dest {
    char *chan;
    char *addr;
    size_t count;
} nq_dest_t;

/*
 * The destinations with pending records due at now, the one waiting longest first, each with
 * how many are due counted up to cap (0: all). A few index seeks a destination, however many
 * records wait.
 */
int nq_due_dests(nq_t *q, int64_t now, size_t cap, nq_dest_t **out, size_t *n);
void nq_dests_free(nq_dest_t *v, size_t n);
/*
 * Pending records of one destination due at now, up to max (0: all), in order (oldest first);
 * skip_route, when not NULL, leaves out the records of that route key (coalescing leaves out
 * the digests it made).
 */
int nq_due_at(nq_t *q, const char *chan, const char *addr, int64_t now, size_t max,
              const char *skip_route, nq_item_t **out, size_t *n);
/* Held records whose digest period ended, by recipient, channel, address, seq. */
int nq_held_due(nq_t *q, int64_t now, nq_item_t **out, size_t *n);
/* When the loop has something to do: the earliest next_ms of held records and of pending ones
 * (a destination's hold counted, nq_defer_dest); INT64_MAX when none. */
int64_t nq_next_ms(nq_t *q);

int nq_mark_sent(nq_t *q, int64_t id, int64_t now);
/* A failed attempt: pending again at next_ms, or dead when `dead`. */
int nq_mark_failed(nq_t *q, int64_t id, const char *err, int64_t next_ms, bool dead, int64_t now);
/* Any other change of state (silenced, digested, ...), with an optional note. */
int nq_mark(nq_t *q, int64_t id, const char *state, const char *note, int64_t now);
int nq_defer(nq_t *q, int64_t id, int64_t next_ms);
/*
 * A destination cannot take more before next_ms: its pending records, those waiting and those
 * added meanwhile, wait until then. One row however long its queue (a hold per destination,
 * which only ever moves later), honoured by nq_due, nq_due_dests, nq_due_at and nq_next_ms;
 * the records themselves are not written, so a kill -9 loses at most the hold, never a record.
 */
int nq_defer_dest(nq_t *q, const char *chan, const char *addr, int64_t next_ms);
/* An attempt the receiver asked us to repeat later (a rate limit): pending again at next_ms
 * with err as its last error, not counted as an attempt. */
int nq_mark_wait(nq_t *q, int64_t id, const char *err, int64_t next_ms);
/* Dead letters back to pending: one by id (0: all). *count how many. */
int nq_retry(nq_t *q, int64_t id, int *count);
/* Counts by state, "state n, state n" (caller owns). */
char *nq_counts(nq_t *q);

/* Red items. */
int nq_alert_add(nq_t *q, const nq_alert_t *a);
int nq_alert_due(nq_t *q, int64_t now, nq_alert_t **out, size_t *n);
int nq_alert_step(nq_t *q, uint64_t seq, int step, int64_t next_ms, bool top);
/* Acknowledge: 1 done, 0 no open item with that seq. */
int nq_ack(nq_t *q, uint64_t seq, const char *who, int64_t now);
/*
 * Acks the notifier learnt itself (a webhook's reply), waiting to be logged at the broker as
 * alert_ack entries: add (a repeat of seq is ignored), the oldest (1, or 0 when none; *who
 * caller owns), and done once the broker answered.
 */
int nq_ack_out_add(nq_t *q, uint64_t seq, const char *who, int64_t now);
int nq_ack_out_next(nq_t *q, uint64_t *seq, char **who);
int nq_ack_out_done(nq_t *q, uint64_t seq);
/* The procedure is done or no longer red: its open items need no more escalation. */
int nq_alert_resolve(nq_t *q, const char *project, const char *procedure);
int nq_alert_list(nq_t *q, bool open_only, nq_alert_t **out, size_t *n);
void nq_alerts_free(nq_alert_t *v, size_t n);

/* Silences. */
int nq_silence_add(nq_t *q, const nq_silence_t *s, int64_t *id);
/* 1 when an unexpired silence covers project and route key (or its kind), else 0. */
int nq_silenced(nq_t *q, const char *project, const char *route, int64_t now);
/* Expire one now: 1 done, 0 no such active silence. */
int nq_silence_expire(nq_t *q, int64_t id, int64_t now);
int nq_silence_list(nq_t *q, int64_t now, nq_silence_t **out, size_t *n);
void nq_silences_free(nq_silence_t *v, size_t n);

#endif
