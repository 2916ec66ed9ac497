/*
 * publish: see publish.h.
 */
#include "publish.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "auth.h"
#include "codec.h"
#include "i18n.h"
#include "log.h"

struct publish {
    void *sock;
    uint64_t dropped;
};

/* A subscription is a topic prefix; nothing longer ever needs to reach a PUB socket. */
#define PUBLISH_MAX_SUBSCRIPTION 1024

publish_t *
publish_new(void *zctx, const char *endpoint, const publish_opts_t *opts, char **err)
{
    publish_t *pub = xcalloc(1, sizeof(*pub));
    int hwm = opts->hwm, linger = 0, saved;
    int64_t maxmsg = PUBLISH_MAX_SUBSCRIPTION;

    pub->sock = zmq_socket(zctx, ZMQ_PUB);
    if (pub->sock == NULL) {
        *err = xasprintf(_("publish %s: %s"), endpoint, zmq_strerror(zmq_errno()));
        goto fail;
    }
    zmq_setsockopt(pub->sock, ZMQ_SNDHWM, &hwm, sizeof(hwm));
    zmq_setsockopt(pub->sock, ZMQ_LINGER, &linger, sizeof(linger));
    zmq_setsockopt(pub->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg));
    if (opts->handshake_ms > 0)
        zmq_setsockopt(pub->sock, ZMQ_HANDSHAKE_IVL, &opts->handshake_ms,
                       sizeof(opts->handshake_ms));
    if (opts->secret != NULL &&
        auth_server_socket(pub->sock, "publish", opts->secret, opts->enforce_zap, err) < 0)
        goto fail;
    if (zmq_bind(pub->sock, endpoint) < 0) {
        *err = xasprintf(_("publish %s: %s"), endpoint, zmq_strerror(zmq_errno()));
        goto fail;
    }
    return pub;
fail:
    saved = zmq_errno();
    publish_destroy(&pub);
    errno = saved;
    return NULL;
}

uint64_t
publish_dropped(const publish_t *pub)
{
    return pub->dropped;
}

void
publish_destroy(publish_t **p)
{
    publish_t *pub = p ? *p : NULL;

    if (pub == NULL)
        return;
    if (pub->sock != NULL)
        zmq_close(pub->sock);
    free(pub);
    *p = NULL;
}

char *
publish_topic(const pm_entry_t *e)
{
    return xasprintf("%s/%s/%s", pm_kind_name(e->kind), util_empty(e->dept) ? "-" : e->dept,
                     util_empty(e->project) ? "-" : e->project);
}

static void
send_two(publish_t *pub, const char *topic, const pm_msg_t *msg)
{
    uint8_t *buf = NULL;
    size_t len = 0;

    if (codec_encode(msg, &buf, &len) < 0)
        return;
    if (zmq_send(pub->sock, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(pub->sock, buf, len, ZMQ_DONTWAIT) < 0)
        pub->dropped++;
    free(buf);
}

void
publish_entry(publish_t *pub, const pm_entry_t *entry)
{
    pm_msg_t msg = {.version = PM_PROTOCOL_VERSION, .type = PM_MSG_ENTRY};
    char *topic = publish_topic(entry);

    msg.entry = (pm_entry_t *)entry;
    send_two(pub, topic, &msg);
    free(topic);
}

void
publish_heartbeat(publish_t *pub, uint64_t head, const char *time_zone)
{
    pm_msg_t msg = {.version = PM_PROTOCOL_VERSION,
                    .type = PM_MSG_HEARTBEAT,
                    .head = head,
                    .time_zone = (char *)time_zone};

    send_two(pub, "hb", &msg);
}
