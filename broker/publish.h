/*
 * publish: the broker's PUB socket. Every committed entry goes out as two frames,
 * [topic][envelope], with topic "KIND/DEPT/PROJECT" ("-" for a part an entry lacks), so a
 * subscriber can filter by prefix: "unblocked/" or "unblocked/HCB/". A heartbeat
 * ["hb"][envelope with the committed head] lets subscribers notice a missed tail.
 *
 * Publishing never blocks the broker: a slow subscriber loses messages at its high-water
 * mark (publish_hwm, ZMQ_SNDHWM per subscriber; ZMQ_DONTWAIT) and catches up from the query
 * socket when it sees the gap (common/follow.c). Subscriptions are the only thing a PUB socket
 * reads, so its maximum message size is small.
 */
#ifndef PERMIT_PUBLISH_H
#define PERMIT_PUBLISH_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

typedef struct publish publish_t;

#include "curvecfg.h"

/* How to open the socket: hwm per subscriber; secret NULL for plain, else CURVE with ZAP. */
typedef struct publish_opts {
    int hwm;
    const curve_key_t *secret;
    bool enforce_zap; /* false only for the test of the start-up probe */
    int handshake_ms; /* ZMQ_HANDSHAKE_IVL; 0 leaves libzmq's */
} publish_opts_t;

/* Bind the socket. NULL with *err (caller owns) and errno set (EADDRINUSE: endpoint taken). */
publish_t *publish_new(void *zctx, const char *endpoint, const publish_opts_t *opts, char **err);

/* Messages lost to a full queue so far. */
uint64_t publish_dropped(const publish_t *pub);
void publish_destroy(publish_t **p);

void publish_entry(publish_t *pub, const pm_entry_t *entry);
/* The head, and the broker's time_zone for subscribers that take the jurisdiction's zone. */
void publish_heartbeat(publish_t *pub, uint64_t head, const char *time_zone);

/* The topic of an entry. Caller owns. */
char *publish_topic(const pm_entry_t *entry);

#endif
