/*
 * frame: see frame.h. Reading a ROUTER socket's multi-frame messages, and the checks every
 * message passes before a dispatcher's handler sees it.
 */
#include "frame.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "codec.h"
#include "i18n.h"
#include "util.h"

/*
 * A return address (frame_recv) is the routing id followed by one byte: ADDR_REQ when the
 * peer put an empty delimiter frame before its body, as a REQ socket does, which must come
 * back before the reply or REQ drops it; ADDR_DEALER when it did not.
 */
#define ADDR_DEALER 0
#define ADDR_REQ 1

int
frame_reply(void *sock, const void *addr, size_t addr_len, const pm_msg_t *msg)
{
    const uint8_t *a = addr;
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = -1;

    assert(addr_len >= 1);
    if (codec_encode(msg, &buf, &len) < 0)
        return -1;
    /* A peer that went away, or (query) has too many replies unread, loses this one; it asks
     * again (an event is resent and gets a duplicate ack). Never waited for. */
    if (zmq_send(sock, a, addr_len - 1, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0 &&
        (a[addr_len - 1] != ADDR_REQ || zmq_send(sock, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0) &&
        zmq_send(sock, buf, len, ZMQ_DONTWAIT) >= 0)
        rc = 0;
    free(buf);
    return rc;
}

/*
 * Receive one frame into a malloc'ed copy; user (when not NULL) gets the connection's ZAP
 * User-Id, which libzmq attaches to every message of a CURVE connection.
 */
static int
recv_frame(void *sock, void **data, size_t *len, bool *more, char *user, size_t usersize)
{
    zmq_msg_t m;
    int more_flag = 0;
    size_t sz = sizeof(more_flag);

    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, sock, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&m);
        return -1;
    }
    *len = zmq_msg_size(&m);
    *data = xmalloc(*len);
    memcpy(*data, zmq_msg_data(&m), *len);
    zmq_getsockopt(sock, ZMQ_RCVMORE, &more_flag, &sz);
    *more = more_flag != 0;
    if (user != NULL) {
        const char *u = zmq_msg_gets(&m, "User-Id");
        snprintf(user, usersize, "%s", u != NULL ? u : "");
    }
    zmq_msg_close(&m);
    return 0;
}

const char *
frame_peer_name(const frame_peer_t *peer, char *buf, size_t size)
{
    if (peer->id != NULL)
        snprintf(buf, size, "%s (%s)", peer->id->name, auth_role_name(peer->id->role));
    else if (peer->key[0] != '\0')
        snprintf(buf, size, _("key %s (not trusted: revoked?)"), peer->key);
    else
        snprintf(buf, size, _("plain"));
    return buf;
}

/*
 * Receive one message: [routing id][body] from a DEALER, or [routing id][""][body] from a REQ
 * socket. 1 received, 0 nothing waiting, -1 error. *body is NULL when the peer sent more or
 * fewer than one body frame. Caller frees *addr and *body. peer says who sent it, looked up in
 * the current key registry (auth, NULL on plain sockets) for every message.
 */
static int
recv_message(void *sock, const auth_t *auth, void **addr, size_t *addr_len, void **body,
             size_t *body_len, frame_peer_t *peer)
{
    bool more = false, first = true;
    uint8_t kind = ADDR_DEALER;
    int frames = 0;
    size_t rid_len = 0;

    *body = NULL;
    memset(peer, 0, sizeof(*peer));
    if (recv_frame(sock, addr, &rid_len, &more, NULL, 0) < 0)
        return zmq_errno() == EAGAIN ? 0 : -1;
    /* Read every frame of the message; only a single body frame is valid, after an empty
     * delimiter frame when the peer is a REQ socket. */
    while (more) {
        void *data = NULL;
        size_t len = 0;
        if (recv_frame(sock, &data, &len, &more, first ? peer->key : NULL, sizeof(peer->key)) < 0)
            break;
        if (first && len == 0 && more) {
            kind = ADDR_REQ;
            free(data);
        } else if (++frames == 1) {
            *body = data;
            *body_len = len;
        } else {
            free(data);
        }
        first = false;
    }
    if (frames != 1) {
        free(*body);
        *body = NULL;
    }
    *addr = xrealloc(*addr, rid_len + 1);
    ((uint8_t *)*addr)[rid_len] = kind;
    *addr_len = rid_len + 1;
    /* Never the routing id, which the client chooses: the registry as it is now. */
    if (auth != NULL)
        peer->id = auth_lookup(auth, peer->key);
    return 1;
}

/* True (with a reason in why) when a frame announces another protocol version. */
static bool
version_mismatch(const void *body, size_t len, char *why, size_t whylen)
{
    uint32_t version;

    if (codec_peek_version(body, len, &version) < 0 || version == PM_PROTOCOL_VERSION)
        return false;
    snprintf(why, whylen, "protocol version %u; this broker speaks %u", version,
             PM_PROTOCOL_VERSION);
    return true;
}

static void
refuse(frame_in_t *in, const char *code, const char *reason)
{
    xstrset(&in->refusal.code, code);
    xstrset(&in->refusal.reason, reason);
}

/* Decode the body into in->msg, or fill in->refusal: the checks frame.h lists, in order. */
static void
decode(frame_in_t *in, const auth_t *auth, const void *body, size_t len)
{
    char why[256];

    if (auth != NULL && in->peer.id == NULL) {
        in->stranger = true;
        refuse(in, PM_REFUSE_UNAUTHORIZED,
               "this key is not trusted (any more): ask the broker's operator");
        return;
    }
    if (body == NULL) {
        refuse(in, PM_REFUSE_MALFORMED, "expected exactly one frame after the routing id");
        return;
    }
    if (version_mismatch(body, len, why, sizeof(why))) {
        refuse(in, PM_REFUSE_VERSION, why);
        return;
    }
    if (codec_decode(body, len, &in->msg, why, sizeof(why)) < 0) {
        char id[CODEC_MAX_ID + 1];
        refuse(in, PM_REFUSE_MALFORMED, why);
        /* The sender learns which of its messages this was, when the id can be read at all. */
        if (codec_peek_id(body, len, id, sizeof(id)) == 0)
            xstrset(&in->refusal.id, id);
        return;
    }
    if (in->msg->version != PM_PROTOCOL_VERSION) {
        pm_msg_destroy(&in->msg);
        refuse(in, PM_REFUSE_VERSION, "the envelope carries no protocol version");
    }
}

int
frame_recv(void *sock, const auth_t *auth, frame_in_t *in)
{
    void *body = NULL;
    size_t body_len = 0;
    int got;

    memset(in, 0, sizeof(*in));
    got = recv_message(sock, auth, &in->addr, &in->addr_len, &body, &body_len, &in->peer);
    if (got <= 0)
        return got;
    decode(in, auth, body, body_len);
    free(body);
    return 1;
}

void
frame_in_clear(frame_in_t *in)
{
    free(in->addr);
    pm_msg_destroy(&in->msg);
    free(in->refusal.id);
    free(in->refusal.code);
    free(in->refusal.reason);
    memset(in, 0, sizeof(*in));
}
