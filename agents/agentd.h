/*
 * agentd: the department agent daemon (`permit-agent run`) and its loop.
 *
 * Owns the state folder's lock (one daemon per folder), the outbox, the spool and one DEALER
 * socket to the broker's ingest endpoint (with a list of brokers, to the one in use: a lost
 * broker is left for the next of the list). One thread, one zmq_poll loop driven by deadlines:
 *
 *   cron        every scan_ms: take complete spool files into the outbox, notice events
 *               queued by other processes (send --queue, retry), prune old history
 *   link        the broker's liveness: a ping while idle; no answer for timeout_ms while
 *               something is outstanding means lost (one log line), then reconnection
 *               attempts on a fresh socket with capped exponential backoff and jitter, until
 *               any answer comes back (one log line)
 *   fill        send the first queued event of each (project, procedure) not yet in flight,
 *               up to `window` events in flight
 *   poll, drain receive every answer waiting
 *   settle      record the answers in the outbox in one transaction, before anything else is
 *               sent: the next event of a pair goes out only after its predecessor's ack or
 *               refusal is on disk, so a crash can never reorder a pair
 *
 * Answers: an ack marks the event sent; a refusal moves it to the rejected list (the next event
 * of its pair then becomes sendable); a "storage" refusal keeps it and sends it again after a
 * pause. An event not answered within timeout_ms while the broker answers others is resent on
 * the same socket; after a reconnect every unacked event is sent again. Resends carry the same
 * id, so the broker logs each event once.
 */
#ifndef PERMIT_AGENTD_H
#define PERMIT_AGENTD_H

#include <stddef.h>

#include "agent_config.h"

typedef struct agentd agentd_t;

/* The lock file's name in the state folder; it holds the daemon's pid. */
#define AGENTD_LOCK "agent.lock"

/*
 * Take the state folder (creating it, one level), open the outbox and the spool, and set up
 * the socket on the caller's zmq context (borrowed). cfg is borrowed: SIGHUP updates it in
 * place, then the caller calls agentd_reconfigure. NULL with *err (caller owns) on failure.
 */
agentd_t *agentd_new(const agentcfg_t *cfg, void *zctx, char **err);
void agentd_destroy(agentd_t **p);

/*
 * Run until a signal asks to stop or reload (common/sigwake.h; the caller then does it): 0.
 * -1 on a fatal error.
 */
int agentd_run(agentd_t *self);

/* Apply a reloaded config: a changed broker endpoint means reconnecting. */
void agentd_reconfigure(agentd_t *self);

/*
 * The stop: take no more input, wait up to drain_ms for the answers to the events in flight
 * and record them. What is still unanswered stays queued for the next start.
 */
void agentd_drain(agentd_t *self);

/*
 * Whether a daemon holds the state folder: 1 with its pid, 0 when none does, -1 when the
 * folder cannot be looked at.
 */
int agentd_running(const char *state, long *pid);

#endif
