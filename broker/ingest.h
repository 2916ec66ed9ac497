/*
 * ingest: the dispatcher of the ingest ROUTER socket and its group commit (ingest.c, whose
 * opening comment states the durability contract). The loop (broker.c) calls it when the
 * socket is readable, after the query socket was drained.
 */
#ifndef PERMIT_INGEST_H
#define PERMIT_INGEST_H

#include "broker.h"

/*
 * Read what waits on the ingest socket (up to batch_max messages, batch_ms) into one
 * transaction, commit it, then answer every message and publish what was logged. 0, or -1
 * when the socket failed (zmq_errno says why); the messages read before are answered.
 */
int ingest_drain(broker_t *self);

#endif
