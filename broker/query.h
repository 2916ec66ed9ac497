/*
 * query: the dispatcher of the query ROUTER socket (query.c): read-only requests, answered
 * between ingest batches so they only ever see committed entries. The loop (broker.c) calls it
 * when the socket is readable, before the ingest socket.
 */
#ifndef PERMIT_QUERY_H
#define PERMIT_QUERY_H

#include "broker.h"

/*
 * Answer up to QUERY_DRAIN_MAX (query.c) waiting requests, fewer when a signal is pending. 0, or -1
 * when the socket failed (zmq_errno says why).
 */
int query_drain(broker_t *self);

#endif
