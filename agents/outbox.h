/*
 * outbox: a department agent's durable queue of events, STATE/outbox.db (sqlite, WAL mode,
 * synchronous=FULL, so a committed row survives a power cut).
 *
 * Owns the outbox table and a small key/value table of what the daemon knows (the broker's
 * reachability, the last ack) for `permit-agent status`. Every event has an id (UNIQUE: adding
 * an id that is already there adds nothing) and an arrival order. It is in one of four states:
 *
 *   queued    waiting to be sent, or sent and not yet answered
 *   sent      acked by the broker: durably in the broker's log under `seq`
 *   rejected  refused by the broker with a code and a reason; a clerk retries or drops it
 *   dropped   a clerk gave up on a rejected or queued event
 *
 * Events of one (project, procedure) are sent in arrival order, one at a time: the daemon
 * sends only the first queued event of each pair (outbox_heads), so a later event never
 * overtakes an earlier one, whatever is resent after a timeout or a reconnect. A rejected
 * event leaves the queue, so the next one of its pair becomes the head.
 *
 * Several processes open the same file: the daemon (permit-agent run) and the clerk's
 * commands (send --queue, retry, drop, status). Writers wait for each other up to a busy
 * timeout; outbox_changed tells the daemon another process committed something.
 */
#ifndef PERMIT_OUTBOX_H
#define PERMIT_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

typedef struct outbox outbox_t;

/* The database file's name inside the state folder. */
#define OUTBOX_FILE "outbox.db"
/* An empty file beside it while the outbox cannot be written because the disk is full. */
#define OUTBOX_FULL_FILE "outbox.full"
/* What outbox_open and outbox_add return when the disk holding the outbox is full. */
#define OUTBOX_FULL (-2)

/*
 * Open STATE/outbox.db. With create, the folder (one level) and the database are made when
 * missing; without, a missing outbox is an error. dept is the department the outbox belongs
 * to: recorded on first use, and an outbox of another department is refused; NULL accepts the
 * recorded one (an outbox that records none is refused). On success *out is the outbox
 * (caller owns) and 0 is returned; on failure -1 with a reason in why.
 */
int outbox_open(const char *state, const char *dept, bool create, outbox_t **out, char *why,
                size_t whylen);
/* (outbox_open returns OUTBOX_FULL, with "the outbox is full: ..." in why, on a full disk.) */
void outbox_close(outbox_t **p);

/* The department recorded in the outbox. */
const char *outbox_dept(const outbox_t *self);

/* One event to add, and where it came from ("a.csv:7", "send --queue") for the clerk. */
typedef struct outbox_item {
    const pm_entry_t *event; /* needs event_id, project, procedure; borrowed */
    const char *source;
} outbox_item_t;

/*
 * Add events in one transaction, in the order given, after everything already there. An id
 * that is already in the outbox (in any state) is skipped. *added counts the new ones.
 * 0, or -1 with a reason in why (nothing was added); OUTBOX_FULL when the disk is full, with
 * "the outbox is full: ..." in why (nothing was added either).
 */
int outbox_add(outbox_t *self, const outbox_item_t *items, size_t n, int64_t now_ms, size_t *added,
               char *why, size_t whylen);

/*
 * The first queued event of each (project, procedure), oldest first, at most max. *out is an
 * array of events (caller owns the array and each event: outbox_free_events). 0 or -1.
 */
int outbox_heads(outbox_t *self, size_t max, pm_entry_t ***out, size_t *n);
void outbox_free_events(pm_entry_t ***events, size_t n);

/* The broker's answer to one event. Strings are borrowed. */
typedef struct outbox_result {
    const char *id;
    bool ok;
    uint64_t seq;   /* ok: the event's sequence number in the broker's log */
    bool duplicate; /* ok: the broker had it already (an earlier try was logged) */
    const char *code;
    const char *reason;
} outbox_result_t;

/*
 * Record answers in one transaction: an ack marks the event sent with its seq (and records the
 * last ack for status), a refusal moves it to the rejected list. An answer for an event that
 * is no longer queued changes nothing. 0, or -1 when the transaction failed (nothing changed).
 */
int outbox_settle(outbox_t *self, const outbox_result_t *results, size_t n, int64_t now_ms);

/*
 * A clerk's decisions: retry queues a rejected event again after everything already queued;
 * drop sets a rejected or a queued event aside for good (one in flight included: the daemon
 * stops sending it, and should the broker ack it after all it is recorded as sent). 1 done,
 * 0 no such event has that id, -1 error.
 */
int outbox_retry(outbox_t *self, const char *id);
int outbox_drop(outbox_t *self, const char *id, int64_t now_ms);
/* 1 when the event is queued, 0 when it is not (or unknown), -1 error. */
int outbox_queued(outbox_t *self, const char *id);
/* Queue every rejected event again; *count says how many. 0 or -1. */
int outbox_retry_all(outbox_t *self, size_t *count);

/* Delete sent and dropped events settled before the given time (the history kept). 0 or -1. */
int outbox_prune(outbox_t *self, int64_t before_ms);

/*
 * True when another connection committed a change since the last call (a queued event, a
 * retry): PRAGMA data_version, which costs no disk access.
 */
bool outbox_changed(outbox_t *self);

/*
 * True from a write that failed because the disk is full until a commit writes again; while
 * true, STATE/outbox.full exists (its time: since when) and failures are not logged here.
 */
bool outbox_full(const outbox_t *self);
/* 1 when STATE/outbox.full marks the outbox full (since_ms: since when), else 0. */
int outbox_full_marked(const char *state, int64_t *since_ms);
/* The bytes free for us on the disk holding state. 0 or -1. */
int outbox_disk_free(const char *state, uint64_t *bytes);

/* Record facts for status, as NULL-terminated key, value pairs, in one transaction. 0 or -1. */
int outbox_note(outbox_t *self, const char *const *pairs);
/* A recorded fact (caller owns), or NULL when none was recorded. */
char *outbox_fact(outbox_t *self, const char *key);

/* One row of the outbox, for status. */
typedef struct outbox_row {
    char *id;
    char *kind;
    char *project;
    char *procedure;
    char *source;
    int64_t added_ms;
    int64_t done_ms; /* acked, rejected or dropped at */
    uint64_t seq;
    char *code;
    char *reason;
} outbox_row_t;

typedef struct outbox_stats {
    uint64_t queued, sent, rejected, dropped;
    int64_t oldest_queued_ms; /* when the oldest queued event arrived; 0 when none */
    outbox_row_t *rejects;    /* the rejected events, oldest first */
    size_t nrejects;
} outbox_stats_t;

/* Counts by state and the rejected list. 0 or -1. Free with outbox_stats_clear. */
int outbox_stats(outbox_t *self, outbox_stats_t *out);
void outbox_stats_clear(outbox_stats_t *st);

#endif
