/*
 * client: see client.h. One DEALER socket, one outstanding request at a time; with a list of
 * endpoints, a silent one is left for the next.
 */
#include "client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "codec.h"
#include "curvecfg.h"
#include "eplist.h"
#include "i18n.h"
#include "log.h"
#include "util.h"

/* The longest we sleep in zmq_poll before looking at the stop flag again. */
#define CLIENT_SLICE_MS 200

struct handshake_watch {
    void *mon; /* PAIR connected to the socket's monitor */
    const char *endpoint;
};

struct client {
    void *zctx;
    void *sock;
    handshake_watch_t *watch; /* on sock */
    strv_t endpoints;         /* in order of preference */
    size_t cur;               /* the one in use */
    const char *endpoint;     /* endpoints.v[cur] */
    volatile sig_atomic_t *stop;
    bool pending; /* a request went out and its answer never came */
};

/* Distinct inproc names for the monitors of every client socket of the process. */
static unsigned watch_counter;

handshake_watch_t *
handshake_watch_new(void *zctx, void *sock, const char *endpoint, char *why, size_t whylen)
{
    handshake_watch_t *self = xcalloc(1, sizeof(*self));
    char addr[64];
    int linger = 0;

    snprintf(addr, sizeof(addr), "inproc://permit-handshake-%u",
             __atomic_fetch_add(&watch_counter, 1, __ATOMIC_RELAXED));
    self->endpoint = endpoint;
    if (zmq_socket_monitor(sock, addr,
                           ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != 0) {
        snprintf(why, whylen, _("zmq_socket_monitor: %s"), zmq_strerror(errno));
        free(self);
        return NULL;
    }
    self->mon = zmq_socket(zctx, ZMQ_PAIR);
    if (self->mon == NULL || zmq_setsockopt(self->mon, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
        zmq_connect(self->mon, addr) != 0) {
        snprintf(why, whylen, _("handshake monitor: %s"), zmq_strerror(errno));
        zmq_socket_monitor(sock, NULL, 0);
        handshake_watch_destroy(&self);
        return NULL;
    }
    return self;
}

void
handshake_watch_destroy(handshake_watch_t **p)
{
    handshake_watch_t *self = p ? *p : NULL;

    if (self == NULL)
        return;
    if (self->mon != NULL)
        zmq_close(self->mon);
    free(self);
    *p = NULL;
}

void *
handshake_watch_socket(const handshake_watch_t *self)
{
    return self->mon;
}

/* The next step for a refused key, naming the key file the broker's admin must add. */
static void
refused_why(const handshake_watch_t *self, uint16_t event, uint32_t value, char *why, size_t whylen)
{
    const char *name = curvecfg_client_name();

    if (!curvecfg_client_on()) {
        snprintf(why, whylen,
                 _("the broker at %s refused this client: it speaks CURVE and this client has no "
                   "key: give --curve-secret NAME.secret and --broker-key (or PERMIT_CURVE_SECRET, "
                   "PERMIT_BROKER_KEY)"),
                 self->endpoint);
    } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
               value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
        snprintf(
            why, whylen,
            _("the broker at %s refused this client: it does not speak CURVE (no keys_dir): "
              "drop --curve-secret and --broker-key, or ask the broker's admin to set keys_dir"),
            self->endpoint);
    } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
        snprintf(why, whylen,
                 _("the broker at %s refused this key: ask the broker's admin to add %s.key to "
                   "keys_dir (permitctl keygen %s writes it)"),
                 self->endpoint, name ? name : "NAME", name ? name : "NAME");
    } else {
        snprintf(why, whylen,
                 _("the broker at %s broke off the handshake: check that --broker-key is its "
                   "public key (keys_dir's broker.key), then ask its admin to add %s.key to "
                   "keys_dir"),
                 self->endpoint, name ? name : "NAME");
    }
}

int
handshake_refused(handshake_watch_t *self, char *why, size_t whylen)
{
    for (;;) {
        zmq_msg_t head, addr;
        uint16_t event = 0;
        uint32_t value = 0;
        int got;

        zmq_msg_init(&head);
        if (zmq_msg_recv(&head, self->mon, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&head);
            return 0;
        }
        /* Two frames: event (16 bits) and value (32 bits), then the endpoint. */
        got = zmq_msg_size(&head) >= 6;
        if (got) {
            memcpy(&event, zmq_msg_data(&head), sizeof(event));
            memcpy(&value, (uint8_t *)zmq_msg_data(&head) + 2, sizeof(value));
        }
        zmq_msg_close(&head);
        zmq_msg_init(&addr);
        zmq_msg_recv(&addr, self->mon, 0);
        zmq_msg_close(&addr);
        if (got &&
            (event & (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL))) {
            refused_why(self, event, value, why, whylen);
            return 1;
        }
        /* Broken off without a reason: a wrong broker key, or a connection the broker closed
         * for another cause (its per-address cap, a restart). Worth saying only if no try
         * gets through. */
        if (got && (event & ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)) {
            refused_why(self, event, value, why, whylen);
            return 2;
        }
    }
}

static int
client_open(client_t *self, char *why, size_t whylen)
{
    int linger = 0;
    int64_t maxsize = CODEC_MAX_FRAME;
    void *sock;

    sock = zmq_socket(self->zctx, ZMQ_DEALER);
    if (sock == NULL) {
        snprintf(why, whylen, _("zmq_socket: %s"), zmq_strerror(errno));
        return -1;
    }
    /* Never hang at exit on a request nobody will read; refuse absurd replies unread. */
    if (zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
        zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &maxsize, sizeof(maxsize)) != 0) {
        snprintf(why, whylen, _("zmq_setsockopt: %s"), zmq_strerror(errno));
        goto fail;
    }
    if (curvecfg_client_apply(sock, why, whylen) != 0)
        goto fail;
    self->watch = handshake_watch_new(self->zctx, sock, self->endpoint, why, whylen);
    if (self->watch == NULL)
        goto fail;
    if (zmq_connect(sock, self->endpoint) != 0) {
        snprintf(why, whylen, _("cannot connect to '%s': %s"), self->endpoint, zmq_strerror(errno));
        goto fail;
    }
    self->sock = sock;
    return 0;

fail:
    handshake_watch_destroy(&self->watch);
    zmq_close(sock);
    return -1;
}

static void
client_close(client_t *self)
{
    handshake_watch_destroy(&self->watch);
    if (self->sock != NULL)
        zmq_close(self->sock);
    self->sock = NULL;
    self->pending = false;
}

client_t *
client_new(void *zctx, const char *endpoints, char *why, size_t whylen)
{
    client_t *self = xcalloc(1, sizeof(*self));

    self->zctx = zctx;
    if (eplist_parse(endpoints, &self->endpoints, why, whylen) != 0) {
        client_destroy(&self);
        return NULL;
    }
    self->endpoint = self->endpoints.v[0];
    if (client_open(self, why, whylen) != 0)
        client_destroy(&self);
    return self;
}

void
client_destroy(client_t **p)
{
    client_t *self = p ? *p : NULL;

    if (self == NULL)
        return;
    client_close(self);
    strv_clear(&self->endpoints);
    free(self);
    *p = NULL;
}

const char *
client_endpoint(const client_t *self)
{
    return self->endpoint;
}

void
client_set_stop(client_t *self, volatile sig_atomic_t *flag)
{
    self->stop = flag;
}

static bool
client_stopped(const client_t *self)
{
    return self->stop != NULL && *self->stop;
}

/* The id a reply to req must echo, or NULL for requests that carry none. */
static const char *
request_id(const pm_msg_t *req)
{
    if (req->type == PM_MSG_EVENT && req->entry != NULL && !util_empty(req->entry->event_id))
        return req->entry->event_id;
    if (req->type == PM_MSG_IMPORT && req->import != NULL && !util_empty(req->import->id))
        return req->import->id;
    return NULL;
}

/*
 * A reply that answers an earlier request with another id. A nack without an id is kept: the
 * broker could not read ours (a malformed or wrong-version request) and says so.
 */
static bool
reply_is_stale(const pm_msg_t *rep, const char *id)
{
    if (id == NULL || rep->type != PM_MSG_REPLY || rep->reply == NULL)
        return false;
    if (util_empty(rep->reply->id))
        return rep->reply->ok;
    return strcmp(rep->reply->id, id) != 0;
}

/*
 * Receive one reply frame that is ready. Returns 1 with *out set, 0 when there was nothing to
 * take after all or the reply was stale (keep waiting), -1 on an unusable reply.
 */
static int
client_recv(client_t *self, const char *id, pm_msg_t **out, char *why, size_t whylen)
{
    zmq_msg_t frame;
    pm_msg_t *rep = NULL;
    char reason[256];
    int more = 0, rc = -1;
    size_t morelen = sizeof(more);

    zmq_msg_init(&frame);
    if (zmq_msg_recv(&frame, self->sock, ZMQ_DONTWAIT) < 0) {
        if (errno == EAGAIN || errno == EINTR) {
            rc = 0;
            goto done;
        }
        snprintf(why, whylen, _("receive from %s: %s"), self->endpoint, zmq_strerror(errno));
        goto done;
    }
    zmq_getsockopt(self->sock, ZMQ_RCVMORE, &more, &morelen);
    if (more) {
        /* Not our framing: swallow the rest of the message so the next one starts clean. */
        while (more) {
            zmq_msg_close(&frame);
            zmq_msg_init(&frame);
            if (zmq_msg_recv(&frame, self->sock, 0) < 0)
                break;
            morelen = sizeof(more);
            zmq_getsockopt(self->sock, ZMQ_RCVMORE, &more, &morelen);
        }
        snprintf(why, whylen, _("bad reply from %s: more than one frame"), self->endpoint);
        goto done;
    }
    if (codec_decode(zmq_msg_data(&frame), zmq_msg_size(&frame), &rep, reason, sizeof(reason)) !=
        0) {
        snprintf(why, whylen, _("bad reply from %s: %s"), self->endpoint, reason);
        goto done;
    }
    if (rep->version != PM_PROTOCOL_VERSION) {
        snprintf(why, whylen, _("%s speaks protocol version %u, we speak %u"), self->endpoint,
                 rep->version, PM_PROTOCOL_VERSION);
        goto done;
    }
    if (reply_is_stale(rep, id)) {
        log_debug("client: skipping a stale reply for %s", rep->reply->id);
        rc = 0;
        goto done;
    }
    *out = rep;
    rep = NULL;
    rc = 1;

done:
    pm_msg_destroy(&rep);
    zmq_msg_close(&frame);
    return rc;
}

/*
 * The endpoint in use did not answer: move to the next one of the list on a fresh socket
 * (whatever it still had in flight dies with the old one). 0, or -1 with a reason in why.
 */
static int
client_next(client_t *self, char *why, size_t whylen)
{
    const char *from = self->endpoint;

    client_close(self);
    self->cur = (self->cur + 1) % self->endpoints.n;
    self->endpoint = self->endpoints.v[self->cur];
    log_debug("client: %s does not answer; moving on to %s", from, self->endpoint);
    return client_open(self, why, whylen);
}

/*
 * Send the encoded request and wait for its answer, up to tries times. Owns nothing, so it can
 * return from anywhere; client_request frees the frame.
 */
static client_status_t
client_exchange(client_t *self, const uint8_t *buf, size_t len, const char *id, int timeout_ms,
                int tries, pm_msg_t **reply, char *why, size_t whylen)
{
    char broken[512] = ""; /* a handshake broken off without a reason, if one was */

    for (int try = 0; try < tries; try++) {
        int64_t deadline;

        /*
         * Without an id, a late answer to a request we gave up on (the previous try, or an
         * earlier call) would pass for this one's: start over on a fresh socket.
         */
        if (self->pending && id == NULL) {
            client_close(self);
            if (client_open(self, why, whylen) != 0)
                return CLIENT_ERROR;
        }
        if (client_stopped(self))
            break;
        /* A full queue (no peer yet) loses this try only; the next one sends again. */
        if (zmq_send(self->sock, buf, len, ZMQ_DONTWAIT) < 0 && errno != EAGAIN && errno != EINTR) {
            snprintf(why, whylen, _("send to %s: %s"), self->endpoint, zmq_strerror(errno));
            return CLIENT_ERROR;
        }
        self->pending = true;
        deadline = util_mono_ms() + timeout_ms;
        for (;;) {
            zmq_pollitem_t items[2] = {
                {.socket = self->sock, .events = ZMQ_POLLIN},
                {.socket = handshake_watch_socket(self->watch), .events = ZMQ_POLLIN},
            };
            int64_t left = deadline - util_mono_ms();
            int rc;

            if (client_stopped(self) || left <= 0)
                break;
            rc = zmq_poll(items, 2, left < CLIENT_SLICE_MS ? (long)left : CLIENT_SLICE_MS);
            if (rc < 0 && errno != EINTR) {
                snprintf(why, whylen, _("poll %s: %s"), self->endpoint, zmq_strerror(errno));
                return CLIENT_ERROR;
            }
            /* A refused handshake is an answer too: waiting longer cannot change it. One broken
             * off without a reason may be transient: libzmq reconnects, and only if no try gets
             * an answer is it the reason given. */
            if (rc > 0 && (items[1].revents & ZMQ_POLLIN)) {
                int hs = handshake_refused(self->watch, broken, sizeof(broken));
                if (hs == 1) {
                    snprintf(why, whylen, "%s", broken);
                    return CLIENT_REFUSED;
                }
            }
            if (rc <= 0 || !(items[0].revents & ZMQ_POLLIN))
                continue;
            rc = client_recv(self, id, reply, why, whylen);
            if (rc < 0)
                return CLIENT_ERROR;
            if (rc > 0) {
                self->pending = false;
                log_debug("client: answer from %s", self->endpoint);
                return CLIENT_OK;
            }
        }
        if (client_stopped(self))
            break;
        log_debug("client: no answer from %s within %d ms (try %d of %d)", self->endpoint,
                  timeout_ms, try + 1, tries);
        if (self->endpoints.n > 1 && try + 1 < tries && client_next(self, why, whylen) != 0)
            return CLIENT_ERROR;
    }
    if (client_stopped(self)) {
        snprintf(why, whylen, _("interrupted while waiting for %s"), self->endpoint);
        return CLIENT_INTERRUPTED;
    }
    if (broken[0] != '\0') {
        /* Every try failed and a handshake was broken off: say so, not "no answer". */
        snprintf(why, whylen, "%s", broken);
        return CLIENT_REFUSED;
    }
    if (self->endpoints.n > 1) {
        char *all = strv_join(&self->endpoints, ", ");
        snprintf(why, whylen, _("no answer from any of %s after %d tries of %d ms"), all, tries,
                 timeout_ms);
        free(all);
        /* The next request starts on the next endpoint. */
        if (client_next(self, why, whylen) != 0)
            return CLIENT_ERROR;
        return CLIENT_UNREACHABLE;
    }
    snprintf(why, whylen,
             ngettext("no answer from %s after %d try of %d ms",
                      "no answer from %s after %d tries of %d ms", tries),
             self->endpoint, tries, timeout_ms);
    return CLIENT_UNREACHABLE;
}

client_status_t
client_request(client_t *self, const pm_msg_t *req, int timeout_ms, int tries, pm_msg_t **reply,
               char *why, size_t whylen)
{
    client_status_t status;
    uint8_t *buf = NULL;
    size_t len = 0;

    if (codec_encode(req, &buf, &len) != 0) {
        snprintf(why, whylen, _("cannot encode the request"));
        return CLIENT_ERROR;
    }
    /* Every endpoint of the list gets a try. */
    if (tries < (int)self->endpoints.n)
        tries = (int)self->endpoints.n;
    status = client_exchange(self, buf, len, request_id(req), timeout_ms, tries < 1 ? 1 : tries,
                             reply, why, whylen);
    free(buf);
    return status;
}
