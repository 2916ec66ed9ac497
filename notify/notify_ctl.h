/*
 * notify_ctl: the operator's commands on the notifier's database, whether the daemon runs or
 * not (sqlite WAL: the daemon sees their changes within a tick):
 *   status            the cursor, deliveries by state, the dead letters with their last
 *                     error, open red items, active silences
 *   retry ID|--all    dead letters back to pending, attempts reset
 *   ack SEQ           acknowledge a red item: an alert_ack entry sent to the broker (cfg's
 *                     broker endpoint); the daemon stops its escalation when it reads it
 *   silence add|list|expire
 *   history [--project ID] [--seq N] [--json]   every delivery record: "was the steward told?"
 * Each returns an exit status: 0, 1 (database), 64 (usage), 65 (no such item; ack: refused
 * or acknowledged already), 69 (ack: the broker does not answer), 77 (ack: our key refused).
 */
#ifndef PERMIT_NOTIFY_CTL_H
#define PERMIT_NOTIFY_CTL_H

#include "ncfg.h"

/* argv[0] is the command's name; db is the database's path. */
int notify_ctl_status(const char *db, int argc, char **argv);
int notify_ctl_retry(const char *db, int argc, char **argv);
/* cfg gives the broker's endpoint and timeout; its CURVE keys are set up (curvecfg.h). */
int notify_ctl_ack(const ncfg_t *cfg, void *zctx, int argc, char **argv);
int notify_ctl_silence(const char *db, int argc, char **argv);
int notify_ctl_history(const char *db, int argc, char **argv);

#endif
