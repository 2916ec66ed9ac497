/*
 * tail: how every transaction of the broker ends. Ingest's batches (ingest.c) and the clock's
 * ticks (broker_cron) both finish here, so the order that makes an ack mean durable is written
 * once:
 *
 *   1. commit; or, when the transaction failed or its commit does, roll it back: the store,
 *      the engine's cached state and the agent watch, and forget the entries it appended;
 *   2. answer: the caller's replies go out, told whether the commit held, so an ack is never
 *      sent before the commit returned;
 *   3. publish the entries it appended, in log order, after the acks;
 *   4. checkpoint: fold the WAL back, now that the acks and entries are out, so no ack waits
 *      for a checkpoint.
 *
 * Test builds pass the fault suite's crash points between the steps of a transaction that
 * answers someone (ingest's batches; tests/faults counts their passes): after_append before
 * the commit, after_commit before the answers, after_ack before the publication, each only
 * when entries were appended (common/crashpoint.h).
 */
#ifndef PERMIT_TAIL_H
#define PERMIT_TAIL_H

#include <stdbool.h>

#include "broker.h"

/* Send the replies of a transaction; held is false when it was rolled back. */
typedef void(tail_answer_fn)(broker_t *self, void *arg, bool held);

typedef struct tail {
    entry_list_t *appended; /* what the transaction logged, in log order; cleared */
    bool open;              /* a transaction is open: commit or roll it back */
    bool failed;            /* the transaction failed: roll it back */
    tail_answer_fn *answer; /* the replies; NULL when nobody waits (the clock) */
    void *arg;
    int checkpoint_frames; /* store_checkpoint's min_frames */
} tail_t;

/*
 * Finish a transaction as above. 0 when it committed (or none was open), -1 when it was rolled
 * back. A rolled-back transaction with nobody to answer stops there: nothing went out, so
 * there is nothing to publish and no checkpoint to follow it.
 */
int tail_finish(broker_t *self, const tail_t *t);

#endif
