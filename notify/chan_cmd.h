/*
 * chan_cmd: the escape hatch for anything else (an SMS gateway's client, a ticket system):
 * run the address as a /bin/sh command line with the notification JSON on stdin and
 * PERMIT_NOTIFY_KEY (the idempotency key), PERMIT_NOTIFY_TITLE and PERMIT_NOTIFY_TEXT in its
 * environment. Exit status 0 is success. The timeout covers everything, writing stdin too (a
 * command that does not read it cannot block us): the child runs in its own process group,
 * which is killed at the deadline, or at once when a signal asks the notifier to stop.
 */
#ifndef PERMIT_CHAN_CMD_H
#define PERMIT_CHAN_CMD_H

#include "channel.h"

/* Deliver once, synchronously: 0, or -1 with *err (caller owns). */
int chan_cmd_send(const chan_msg_t *m, char **err);

#endif
