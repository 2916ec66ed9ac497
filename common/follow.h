/*
 * follow: read the broker's log from a cursor on, then keep up with it live, delivering every
 * matching entry exactly once and in sequence order (the "clone" pattern of the ZeroMQ guide).
 *
 * Owns a SUB socket on the publish endpoint and a client on the query endpoint. The SUB socket
 * is connected first, so nothing published while catching up is lost: catch-up pages through
 * PM_MSG_QUERY ("entries after the cursor") until a page says no more, and moves the cursor to
 * the page's head, the highest committed sequence number. Live entries then continue the
 * cursor one by one: an entry at or below the cursor was seen already, the next one is
 * delivered, anything beyond it (or a heartbeat whose head is beyond the cursor) means
 * something was missed, and the follower catches up through the query socket again.
 *
 * Several brokers: query and publish take endpoint lists (common/eplist.h) of the same length,
 * naming the brokers pair by pair in order of preference. Live, a follower that hears nothing
 * on its SUB socket (not even a heartbeat) for silence_ms subscribes afresh and asks the query
 * socket; when that does not answer either it moves on to the next pair (wrapping round),
 * subscribes there first and catches up from its cursor, so nothing is missed and nothing is
 * delivered twice. With one pair (or a virtual address) it keeps asking the same one. Not live,
 * the query client tries the endpoints in turn (common/client.h).
 *
 * The cursor counts every entry, matching or not; the filters (project, department, kind,
 * received since) go to the broker with each query and are applied again to live entries.
 *
 * Used by `permitctl tail` (follow_run) and by the notifier, which calls follow_step from its
 * own loop and stores follow_cursor() after each delivery.
 */
#ifndef PERMIT_FOLLOW_H
#define PERMIT_FOLLOW_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "model.h"

typedef struct follow follow_t;

/* Called once per matching entry, in order. Return 0 to go on, -1 to stop with an error. */
typedef int(follow_fn)(void *arg, const pm_entry_t *entry);

typedef struct follow_opts {
    const char *query;   /* query endpoint (ROUTER), or a list of them */
    const char *publish; /* publish endpoint (PUB), or a list; unused unless live */
    uint64_t after;      /* deliver entries after this sequence number */
    bool live;           /* keep following after catching up */
    /* Filters; NULL or 0 for none. */
    const char *project;
    const char *dept;
    const char *kind; /* a kind name (model.h) */
    int64_t since_ms; /* received at or after */
    /* Query behaviour: 0 picks the default (2000 ms, 3 tries, 500 entries a page). */
    int timeout_ms;
    int tries; /* before FOLLOW_UNREACHABLE; live followers retry for ever */
    uint32_t page_size;
    int silence_ms;              /* live: no message for this long, ask the broker (0: 5000 ms) */
    volatile sig_atomic_t *stop; /* set by a signal handler; borrowed */
} follow_opts_t;

typedef enum follow_status {
    FOLLOW_AGAIN,       /* live: call follow_step again */
    FOLLOW_DONE,        /* not live: caught up with the head */
    FOLLOW_STOPPED,     /* the stop flag was set */
    FOLLOW_UNREACHABLE, /* not live: the query socket never answered */
    FOLLOW_REFUSED,     /* the broker refused the query (e.g. a bad filter); see follow_error */
    FOLLOW_ERROR,       /* a protocol error, or the callback returned -1; see follow_error */
} follow_status_t;

/*
 * Create a follower on the caller's zmq context (borrowed). Strings in opts are copied. When
 * live, the SUB socket is connected here, before any query. Returns NULL with a reason in why
 * on a bad endpoint (or, live, query and publish lists of different lengths) or an unknown
 * kind.
 */
follow_t *follow_new(void *zctx, const follow_opts_t *opts, follow_fn *fn, void *arg, char *why,
                     size_t whylen);
void follow_destroy(follow_t **p);

/*
 * Do one round: catch up if needed (blocking on the query socket for up to one timeout when
 * live, every try when not), else wait up to wait_ms for live messages and handle those that
 * arrived. Not live, the first round catches up and returns FOLLOW_DONE.
 */
follow_status_t follow_step(follow_t *self, int wait_ms);

/* Step until something other than FOLLOW_AGAIN comes back, and return that. */
follow_status_t follow_run(follow_t *self);

/* The sequence number of the last entry processed (delivered or filtered out). */
uint64_t follow_cursor(const follow_t *self);

/*
 * The highest sequence number the broker said its log holds (a page's head, a heartbeat, an
 * entry); follow_broker_head() - follow_cursor() is how far behind the follower is.
 */
uint64_t follow_broker_head(const follow_t *self);

/*
 * The time zone the broker last named (an answer's or a heartbeat's time_zone, not yet checked
 * for a zone's name), or "" when it has named none (an older broker, or none heard yet).
 */
const char *follow_broker_zone(const follow_t *self);

/*
 * The SUB socket of a live follower, for a caller that polls it in its own set (with other
 * sockets and fds) and then calls follow_step(self, 0). It changes when the follower moves to
 * another broker, so ask for it before every poll.
 */
void *follow_socket(const follow_t *self);

/* The query endpoint in use, for messages. */
const char *follow_endpoint(const follow_t *self);

/* The reason of the last FOLLOW_UNREACHABLE, FOLLOW_REFUSED or FOLLOW_ERROR. */
const char *follow_error(const follow_t *self);

#endif
