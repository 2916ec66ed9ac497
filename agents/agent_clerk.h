/*
 * agent_clerk: what a clerk does with a department agent's outbox, with or without the daemon
 * running: `permit-agent status` (what waits, what the broker said, what was refused and
 * why), `retry` (queue a refused event again after fixing the cause) and `drop` (give up on
 * it). Each function opens the outbox in the state folder, acts, and returns the command's
 * exit status: 0 done, 65 an ID that is not a rejected event, 1 the outbox cannot be used.
 */
#ifndef PERMIT_AGENT_CLERK_H
#define PERMIT_AGENT_CLERK_H

#include <stdbool.h>
#include <stdio.h>

#include "util.h"

/* Print the agent's status to out: readable lines, or one JSON object. */
int clerk_status(const char *state, bool json, FILE *out);

/* Queue the rejected events ids (or every rejected event, with all) again. */
int clerk_retry(const char *state, const strv_t *ids, bool all);

/* Set the rejected events ids aside for good. */
int clerk_drop(const char *state, const strv_t *ids);

#endif
