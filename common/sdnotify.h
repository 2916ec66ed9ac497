/*
 * sdnotify: tell systemd how a daemon is doing (Type=notify units, deploy/systemd), written by
 * hand so that no program needs libsystemd: one datagram of "VAR=VALUE" lines to the socket
 * named by $NOTIFY_SOCKET (a path, or an abstract name after '@'), as sd_notify(3) says.
 *
 *   sdnotify_status("READY=1", _("ready, head %llu"), head)   once the sockets are bound
 *   sdnotify_status(NULL, ...)                 what `systemctl status` shows, in the
 *                                              daemon's language like its log
 *   sdnotify_status("STOPPING=1", _("stopping"))   when a clean stop begins
 *   sdnotify_watchdog()                                 every loop iteration
 *
 * Without $NOTIFY_SOCKET (not under systemd, the tests) every call does nothing. A failed send
 * is logged once at warn and never stops the daemon: systemd's view is not worth an outage.
 * With WatchdogSec= (systemd sets $WATCHDOG_USEC, and $WATCHDOG_PID to the pid it watches)
 * sdnotify_watchdog() sends WATCHDOG=1 at most every half period, and the loops wait at most
 * sdnotify_watchdog_ms() in their polls, so a wedged loop, not a quiet one, is restarted.
 */
#ifndef PERMIT_SDNOTIFY_H
#define PERMIT_SDNOTIFY_H

/* Send the formatted state. 0 when sent or when there is nowhere to send; -1 on an error. */
int sdnotify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The given lines (such as "READY=1", or NULL) and STATUS= the formatted text, kept on one line
 * (a newline in it becomes a blank). 0 or -1 as sdnotify. */
int sdnotify_status(const char *lines, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* WATCHDOG=1 when half the watchdog period passed since the last one; else nothing. */
void sdnotify_watchdog(void);

/* Milliseconds until the next WATCHDOG=1 is due (0: now), or -1 when there is no watchdog. */
long sdnotify_watchdog_ms(void);

#endif
