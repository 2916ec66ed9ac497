/*
 * broker: see broker.h. Lifecycle of the daemon object and the poll loop.
 */
#include "broker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "codec.h"
#include "log.h"

static int64_t
wall_clock(void *arg)
{
    (void)arg;
    return util_now_ms();
}

static void *
bind_router(void *zctx, const char *endpoint, char **err)
{
    void *s = zmq_socket(zctx, ZMQ_ROUTER);
    int linger = 0;
    int64_t maxmsg = CODEC_MAX_FRAME;

    if (s == NULL) {
        *err = xasprintf("%s: %s", endpoint, zmq_strerror(zmq_errno()));
        return NULL;
    }
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg));
    if (zmq_bind(s, endpoint) < 0) {
        *err = xasprintf("cannot bind %s: %s", endpoint, zmq_strerror(zmq_errno()));
        zmq_close(s);
        return NULL;
    }
    return s;
}

broker_t *
broker_new(config_t *cfg, void *zctx, char **err)
{
    broker_t *self = xcalloc(1, sizeof(*self));

    self->cfg = cfg;
    self->zctx = zctx;
    self->now = wall_clock;
    self->store = store_open(cfg->db, err);
    if (self->store == NULL)
        goto fail;
    self->engine = engine_new(self->store);
    if ((self->ingest = bind_router(zctx, cfg->ingest, err)) == NULL ||
        (self->query = bind_router(zctx, cfg->query, err)) == NULL ||
        (self->pub = publish_new(zctx, cfg->publish, err)) == NULL)
        goto fail;
    return self;
fail:
    broker_destroy(&self);
    return NULL;
}

void
broker_destroy(broker_t **p)
{
    broker_t *self = p ? *p : NULL;

    if (self == NULL)
        return;
    publish_destroy(&self->pub);
    if (self->query != NULL)
        zmq_close(self->query);
    if (self->ingest != NULL)
        zmq_close(self->ingest);
    engine_destroy(&self->engine);
    store_close(&self->store);
    free(self);
    *p = NULL;
}

void
broker_reply(void *sock, const void *rid, size_t rid_len, const pm_msg_t *msg)
{
    uint8_t *buf = NULL;
    size_t len = 0;

    if (codec_encode(msg, &buf, &len) < 0)
        return;
    /* A peer that went away loses its reply; it resends and gets a duplicate ack. */
    if (zmq_send(sock, rid, rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
        zmq_send(sock, buf, len, ZMQ_DONTWAIT);
    free(buf);
}

/* Receive one frame into a malloc'ed copy. */
static int
recv_frame(void *sock, void **data, size_t *len, bool *more)
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
    zmq_msg_close(&m);
    return 0;
}

int
broker_recv(void *sock, void **rid, size_t *rid_len, void **body, size_t *body_len)
{
    bool more = false;
    int frames = 0;

    *body = NULL;
    if (recv_frame(sock, rid, rid_len, &more) < 0)
        return zmq_errno() == EAGAIN ? 0 : -1;
    /* Read every frame of the message; only a single body frame is valid. */
    while (more) {
        void *data = NULL;
        size_t len = 0;
        if (recv_frame(sock, &data, &len, &more) < 0)
            break;
        if (++frames == 1) {
            *body = data;
            *body_len = len;
        } else {
            free(data);
        }
    }
    if (frames != 1) {
        free(*body);
        *body = NULL;
    }
    return 1;
}

bool
broker_version_mismatch(const void *body, size_t len, char *why, size_t whylen)
{
    uint32_t version;

    if (codec_peek_version(body, len, &version) < 0 || version == PM_PROTOCOL_VERSION)
        return false;
    snprintf(why, whylen, "protocol version %u; this broker speaks %u", version,
             PM_PROTOCOL_VERSION);
    return true;
}

int
broker_run(broker_t *self, volatile sig_atomic_t *stop)
{
    zmq_pollitem_t items[] = {
        {self->ingest, 0, ZMQ_POLLIN, 0},
        {self->query, 0, ZMQ_POLLIN, 0},
    };

    log_info("ready: ingest %s, publish %s, query %s, db %s, head %llu", self->cfg->ingest,
             self->cfg->publish, self->cfg->query, self->cfg->db,
             (unsigned long long)store_committed_head(self->store));
    self->next_heartbeat = util_mono_ms();
    while (!*stop) {
        int64_t now = util_mono_ms();
        long timeout;
        int n;

        if (now >= self->next_heartbeat) {
            publish_heartbeat(self->pub, store_committed_head(self->store));
            self->next_heartbeat = now + self->cfg->heartbeat_ms;
        }
        timeout = (long)(self->next_heartbeat - now);
        n = zmq_poll(items, 2, timeout);
        if (n < 0) {
            if (zmq_errno() == EINTR)
                return 0; /* a signal: the caller decides (stop or reload) */
            log_warnx("poll: %s", zmq_strerror(zmq_errno()));
            return -1;
        }
        /* Queries first: they must run outside the ingest transaction. */
        if ((items[1].revents & ZMQ_POLLIN) && query_drain(self) < 0)
            log_warnx("query: %s", zmq_strerror(zmq_errno()));
        if ((items[0].revents & ZMQ_POLLIN) && ingest_drain(self) < 0)
            log_warnx("ingest: %s", zmq_strerror(zmq_errno()));
    }
    return 0;
}
