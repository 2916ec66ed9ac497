/*
 * client: one request, one reply, against a broker ROUTER socket (ingest or query).
 *
 * Owns a DEALER socket connected to one endpoint of a list (common/eplist.h: several broker
 * nodes, in order of preference). A request is one encoded envelope in one frame (no empty
 * delimiter); the reply is one frame too. When no reply arrives within the timeout the SAME
 * frame is sent again, up to `tries` times: the broker recognises a repeated event or import id
 * and answers with the original sequence number, so resending is safe.
 *
 * With several endpoints, a try that got no answer moves the client to the next endpoint of
 * the list (wrapping round) on a fresh socket before the frame goes again, and the client stays
 * there for later requests: the answer comes from whichever broker is active, and the dedup key
 * makes it the same answer. Every endpoint gets at least one try per request.
 *
 * Requests that carry an id (events, imports) keep their socket across tries on one endpoint,
 * so a late ack of an earlier try is still accepted; replies whose id does not match are stale
 * duplicates of earlier requests and are skipped. Requests without an id (queries, status) cannot
 * tell a late reply to an earlier query from the answer, so their socket is closed and reopened
 * before each resend, and before the next request after one that was given up on: that drops
 * whatever was still in flight (the "lazy pirate" pattern of the ZeroMQ guide).
 *
 * Callers tell "nobody answered" (CLIENT_UNREACHABLE) from "an answer came" (CLIENT_OK, the
 * reply may still be a nack) from "the answer is unusable" (CLIENT_ERROR) from "the broker
 * refused our key in the handshake" (CLIENT_REFUSED: a handshake watch, below, sees it at
 * once instead of waiting out every try). A reply with a
 * protocol version other than PM_PROTOCOL_VERSION is an error.
 */
#ifndef PERMIT_CLIENT_H
#define PERMIT_CLIENT_H

#include <signal.h>

#include "model.h"

typedef struct client client_t;

typedef enum client_status {
    CLIENT_OK,          /* an answer arrived: *reply is set (it may be a nack) */
    CLIENT_UNREACHABLE, /* no answer at all after every try */
    CLIENT_INTERRUPTED, /* the stop flag was set while waiting */
    CLIENT_ERROR,       /* an unusable answer or a local failure; see why */
    CLIENT_REFUSED,     /* the broker ended the handshake: it refused our key; see why */
} client_status_t;

/*
 * A handshake watch: a socket monitor on a client socket that tells "the broker refused us"
 * from "nothing answers". libzmq reconnects quietly after a refused CURVE handshake, so
 * without it a refused key looks exactly like a dead broker. Open it before zmq_connect;
 * handshake_refused() reads the events waiting, without blocking: 1 with a one-line reason
 * and the next step in why when the broker refused the handshake (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
 * its ZAP handler said no; _PROTOCOL: one side speaks CURVE and the other not); 2 with a reason
 * when a handshake was broken off without one (_NO_DETAIL: our copy of its key may be wrong, or
 * the broker closed the connection for another cause, e.g. its per-address cap: libzmq tries
 * again, so this is a refusal only if no try gets through); 0 otherwise.
 * handshake_watch_fd() is the monitor's socket, for a poll set.
 */
typedef struct handshake_watch handshake_watch_t;
handshake_watch_t *handshake_watch_new(void *zctx, void *sock, const char *endpoint, char *why,
                                       size_t whylen);
void handshake_watch_destroy(handshake_watch_t **p);
void *handshake_watch_socket(const handshake_watch_t *self);
int handshake_refused(handshake_watch_t *self, char *why, size_t whylen);

/*
 * Create a client connected to the first endpoint of a list ("EP" or "EP1,EP2,...") on the
 * caller's zmq context (borrowed; it must outlive the client). Returns NULL with a reason in
 * why if the list or its first endpoint is not usable.
 */
client_t *client_new(void *zctx, const char *endpoints, char *why, size_t whylen);
void client_destroy(client_t **p);

/* The endpoint in use (the one that answered last, or is being tried), for messages. */
const char *client_endpoint(const client_t *self);

/*
 * Give the client a flag set by a signal handler (borrowed). While waiting for a reply the
 * client looks at it at least every 200 ms and gives up with CLIENT_INTERRUPTED once set.
 */
void client_set_stop(client_t *self, volatile sig_atomic_t *flag);

/*
 * Send req and wait up to timeout_ms per try for its reply, sending it again up to tries
 * times in all. On CLIENT_OK *reply is the decoded reply, which the caller owns
 * (pm_msg_destroy). Otherwise *reply is untouched and why holds a one-line reason.
 */
client_status_t client_request(client_t *self, const pm_msg_t *req, int timeout_ms, int tries,
                               pm_msg_t **reply, char *why, size_t whylen);

#endif
