/*
 * notifyd: the notifier daemon (`permit-notify run`) and its loop.
 *
 * Owns the follower (follow.h: catch-up from the stored cursor, then live), the database
 * (queue.h, directory.h), the routes and the templates. One thread, one loop driven by
 * deadlines:
 *
 *   follow    wait for log entries at most until the next delivery, escalation or digest is
 *             due; for each entry, in one transaction: learn it (directory), route it (one
 *             record per recipient, channel and address, rendered from its template, or held
 *             for the digest, or recorded as inhibited or unroutable), move the cursor
 *   commit    the batch, before anything is sent: a kill -9 after this point resends at most
 *             (the idempotency key lets receivers drop repeats), never loses
 *   deliver   due records, up to a cap per round: silenced ones are marked so, non-urgent ones
 *             on a non-working day wait for the next working day, the rest are sent; a failure
 *             is retried after a capped exponential backoff with jitter, and after
 *             max_attempts becomes a dead letter
 *   escalate  red items nobody acknowledged within escalate_ms climb one step of the ladder;
 *             an alert_ack entry in the log (permit-web's link, permit-notify ack) stops that
 *   acks      an ack from a webhook's reply is sent to the broker as an alert_ack entry too
 *   digest    held records whose period ended go out as one digest per recipient, address and
 *             period; the period is the one the broker logged the entry in (its recv_ms)
 *
 * `permit-notify ack`, `retry` and `silence` write the same database from another process; the
 * loop looks at it again at least every NOTIFYD_TICK_MS.
 */
#ifndef PERMIT_NOTIFYD_H
#define PERMIT_NOTIFYD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "ncfg.h"

#define NOTIFYD_TICK_MS 250
/*
 * The most records one round of coalescing reads. A robot's backlog after an outage (100,000
 * records) is digested this many at a time, oldest first, one round per turn of the loop, so
 * neither the memory nor a turn grows with the backlog; the records a round leaves stay
 * pending for the next.
 */
#define NOTIFYD_COALESCE_MAX 2000

typedef struct notifyd notifyd_t;

/*
 * Open the database, load the routes and templates, and start following from the stored
 * cursor on the caller's zmq context (borrowed). cfg is borrowed and may be updated in place
 * before notifyd_reload. NULL with *err (caller owns).
 */
notifyd_t *notifyd_new(const ncfg_t *cfg, void *zctx, char **err);
void notifyd_destroy(notifyd_t **p);

/*
 * Run until a signal asks to stop or reload (common/sigwake.h; the caller then does it): 0.
 * -1 on a fatal error.
 */
int notifyd_run(notifyd_t *self);

/* Load the routes and templates again; on an error keep the old ones. 0 or -1 (logged). */
int notifyd_reload(notifyd_t *self);

/*
 * The template variables of an entry: its own fields, completed from the directory info
 * (NULL for none). Caller owns the reference. Exposed for the unit tests.
 */
struct dir_info;
json_t *notifyd_vars(const pm_entry_t *e, const struct dir_info *info);

/*
 * The end of the digest period (digest_ms `period`, aligned to local midnight) that an entry
 * the broker logged at recv_ms belongs to; `now` stands in for a missing recv_ms (0). A held
 * record is released then (at once when that is past). Exposed for the unit tests.
 */
int64_t notifyd_digest_end(int64_t recv_ms, int64_t now, int64_t period);

/*
 * Splitting a digest into parts a robot takes: size(arg, start, end) is the body size of the
 * part of items [start, end), which grows with end (each item adds its line and its object,
 * the count only gets longer). The end of the part that starts at start: the largest end <= to
 * whose size is at most cap, and at least start + 1 (an item over the cap alone goes alone);
 * `to` when cap is 0. It is the end the greedy walk, one item at a time, would stop at, found
 * with O(log k) calls of size for a part of k items (ends doubling, then a bisection), so a
 * part costs O(k log k) items rendered instead of O(k^2). Exposed for the unit tests.
 */
typedef size_t notifyd_size_fn(void *arg, size_t start, size_t end);
size_t notifyd_part_end(size_t start, size_t to, size_t cap, notifyd_size_fn *size, void *arg);

/*
 * A robot's queue is longer than it takes in one window: its due records go out as one digest
 * (in parts when large), each marked delivered by it, so none is dropped or sent twice. At most
 * NOTIFYD_COALESCE_MAX records a round, oldest first; the digests of earlier rounds are
 * left to go out as they are. How many records were digested (0: none due but digests), -1 on
 * a database error. Called by the loop; exposed for the unit tests.
 */
int notifyd_coalesce(notifyd_t *self, const char *chan, const char *addr, int64_t now);

/* The capped, jittered pause before attempt `attempts + 1`, in ms (unit tests). */
int64_t notifyd_backoff(int attempts, int min_ms, int max_ms);

#endif
