/*
 * frame: messages on the broker's ROUTER sockets (ingest and query). Owns the wire's edge on
 * the broker's side: reading every frame of one message, the return address, who sent it (the
 * CURVE key's identity in the current registry), decoding the body, and sending a reply
 * without ever waiting.
 *
 * Both dispatchers (ingest.c, query.c) take their messages through frame_recv, so what a
 * message must be before a handler sees it is written once: from a trusted key (on CURVE
 * sockets), exactly one body frame, this protocol version, a frame that decodes. Anything else
 * comes back as a refusal, ready to send, and no handler sees it.
 */
#ifndef PERMIT_FRAME_H
#define PERMIT_FRAME_H

#include <stdbool.h>
#include <stddef.h>

#include "auth.h"
#include "model.h"

/* Who sent a message: the identity of its CURVE key, or nobody on plain sockets. */
typedef struct frame_peer {
    char key[CURVE_Z85_LEN + 1]; /* the ZAP User-Id (the public key), "" on plain sockets */
    const auth_identity_t *id;   /* NULL on plain sockets, or when the key is revoked */
} frame_peer_t;

/* One message taken off a ROUTER socket (frame_recv). */
typedef struct frame_in {
    void *addr; /* the return address for frame_reply, opaque; caller owns */
    size_t addr_len;
    frame_peer_t peer;
    pm_msg_t *msg;      /* the decoded message, or NULL when refused; caller owns */
    pm_reply_t refusal; /* when msg is NULL: code, reason, and the id when it could be read */
    bool stranger;      /* refused for its key (unauthorized): the callers count it */
} frame_in_t;

/*
 * Take one message off a ROUTER socket and decode it. auth is the key registry on CURVE
 * sockets, where every message must come from a trusted key, and NULL on plain ones. 1 with in
 * filled, 0 when nothing is waiting, -1 on an error. A message is refused (in->msg NULL, the
 * refusal in in->refusal) when its key is not trusted (unauthorized: a stranger learns
 * nothing, not even whether its frame was well formed), when it is not exactly one body frame,
 * or a frame that does not decode (malformed; with its id when codec_peek_id can read it), or
 * another protocol version (version). Release with frame_in_clear.
 */
int frame_recv(void *sock, const auth_t *auth, frame_in_t *in);

/* Free what frame_recv filled in (what the caller took is NULL) and zero it. */
void frame_in_clear(frame_in_t *in);

/*
 * Send one reply envelope to a ROUTER peer at the return address frame_recv gave, without
 * ever waiting. 0 queued, -1 dropped: the peer is gone, or (query socket) it has QUERY_SNDHWM
 * replies unread already (broker.h).
 */
int frame_reply(void *sock, const void *addr, size_t addr_len, const pm_msg_t *msg);

/* The peer as a log line names it: "NAME (role)", "key Z85 (revoked)" or "plain". */
const char *frame_peer_name(const frame_peer_t *peer, char *buf, size_t size);

#endif
