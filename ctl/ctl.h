/*
 * ctl: what the commands of `permitctl` share.
 *
 * permitctl.c owns main(): the global options (endpoints, timeout; common/args.h), the
 * command table (common/cli.h) and --help generated from it, signals and the zmq context. Each
 * command lives in its own file (ctl_import.c, ctl_tail.c, ctl_status.c with overdue, ctl_clock.c),
 * gets the context and its own argv (argv[0] is the command's name) and returns the exit status.
 *
 * Exit status, as permit-agent's, by <sysexits.h>'s names: 0 EX_OK, 64 EX_USAGE, 65 EX_DATAERR
 * refused by the broker or a bad input file, 69 EX_UNAVAILABLE broker unreachable, 77
 * EX_NOPERM the broker refused our key in the handshake, 78 EX_CONFIG (report's --config),
 * 128+signal interrupted, 1 EXIT_FAILURE anything else.
 */
#ifndef PERMIT_CTL_H
#define PERMIT_CTL_H

#include <signal.h>
#include <stdbool.h>

#include "cli.h"
#include "client.h"
#include "model.h"

typedef struct ctl {
    const char *broker;  /* ingest endpoint (events, imports) */
    const char *query;   /* query endpoint (entries, status) */
    const char *publish; /* publish endpoint (live entries) */
    int timeout_ms;      /* per try */
    int tries;
    void *zctx;
    volatile sig_atomic_t *stop; /* the number of the signal that asked us to stop, or 0 */
    bool adopt_zone; /* neither --time-zone nor $PERMIT_TIME_ZONE: the broker's zone, once */
} ctl_t;

/* A command: ctx is the ctl_t; argv[0] is the command's name. Returns the exit status. */
typedef int(ctl_cmd_fn)(void *ctx, int argc, char **argv);

ctl_cmd_fn cmd_import;
ctl_cmd_fn cmd_tail;
ctl_cmd_fn cmd_status;
ctl_cmd_fn cmd_overdue;
ctl_cmd_fn cmd_clock;
ctl_cmd_fn cmd_report;
ctl_cmd_fn cmd_blocked;
ctl_cmd_fn cmd_reopen;
ctl_cmd_fn cmd_extend;
ctl_cmd_fn cmd_mark_not_required;
ctl_cmd_fn cmd_backup;
ctl_cmd_fn cmd_verify;
ctl_cmd_fn cmd_web_user; /* ctl_webuser.c: the web console's accounts, no broker */

/* Who an operator's corrections and imports are logged as: "operator:NAME". Caller owns. */
char *ctl_operator(void);

/* "permitctl: MESSAGE" on stderr. */
void ctl_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ctl_warnx, then EX_USAGE for `return ctl_usage(...)`. */
int ctl_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Report what getopt_long returned for a bad option of command `cmd` (opterr must be 0 and
 * the option string start with ':'). Returns EX_USAGE.
 */
int ctl_bad_option(const char *cmd, int c, char **argv);

/* Whole numbers in [0, max] without sign or junk. 0 on success. */
int ctl_parse_uint(const char *s, unsigned long long max, unsigned long long *out);

/*
 * One request to endpoint with the global timeout and tries. 0 with *reply set (caller owns)
 * when an answer came; otherwise the failure is reported on stderr and the exit status to
 * use is returned (69 unreachable, 128+signal interrupted, 1 other).
 */
int ctl_request(ctl_t *ctl, const char *endpoint, const pm_msg_t *req, pm_msg_t **reply);

/*
 * The jurisdiction's zone travels from the broker: without --time-zone or $PERMIT_TIME_ZONE,
 * permitctl shows and reads times in the zone the broker's first answer names (Asia/Shanghai
 * until then, and with a broker that names none). ctl_request adopts it; a command that reads
 * a time before its first request (tail --since, clock set) calls ctl_zone_from_broker first,
 * so the time is read in the zone its output will show. report without --config takes the zone
 * the broker recorded in the database it reads.
 */
/* Make name (an answer's time_zone, NULL or "" for none) the zone, if still to adopt one. */
void ctl_adopt_zone(ctl_t *ctl, const char *name);
/* Ask the query endpoint for nothing but its zone, if still to adopt one: 0, or the exit
 * status ctl_request gave. */
int ctl_zone_from_broker(ctl_t *ctl);

/* Report a nack: "permitctl: refused (CODE): REASON". Returns EX_DATAERR. */
int ctl_refused(const pm_reply_t *r);

#endif
