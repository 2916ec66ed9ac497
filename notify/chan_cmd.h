/*
 * chan_cmd: the escape hatch for anything else (an SMS gateway's client, a ticket system):
 * run the address as a /bin/sh command line with the notification JSON on stdin and
 * PERMIT_NOTIFY_KEY (the idempotency key), PERMIT_NOTIFY_TITLE and PERMIT_NOTIFY_TEXT in its
 * environment. Exit status 0 is success; a command that outlives the timeout is killed.
 */
#ifndef PERMIT_CHAN_CMD_H
#define PERMIT_CHAN_CMD_H

#include "channel.h"

int chan_cmd_send(const chan_msg_t *m, char **err);

#endif
