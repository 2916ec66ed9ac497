/*
 * publish: the broker's PUB socket. Every committed entry goes out as two frames,
 * [topic][envelope], with topic "KIND/DEPT/PROJECT" ("-" for a part an entry lacks), so a
 * subscriber can filter by prefix: "unblocked/" or "unblocked/HCB/". A heartbeat
 * ["hb"][envelope with the committed head] lets subscribers notice a missed tail.
 *
 * Publishing never blocks the broker: a slow subscriber loses messages at its high-water
 * mark and catches up from the query socket when it sees the gap.
 */
#ifndef PERMIT_PUBLISH_H
#define PERMIT_PUBLISH_H

#include <stdint.h>

#include "model.h"

typedef struct publish publish_t;

publish_t *publish_new(void *zctx, const char *endpoint, char **err);
void publish_destroy(publish_t **p);

void publish_entry(publish_t *pub, const pm_entry_t *entry);
void publish_heartbeat(publish_t *pub, uint64_t head);

/* The topic of an entry. Caller owns. */
char *publish_topic(const pm_entry_t *entry);

#endif
