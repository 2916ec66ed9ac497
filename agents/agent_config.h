/*
 * agent_config: the options of `permit-agent run`, declared once in a table (name, type,
 * default, bounds, whether SIGHUP reloads it) and read from an INI file (section [agent]) and
 * the command line with the same names (--timeout-ms or --timeout_ms for timeout_ms).
 * deploy/agents/NRB.conf and its siblings document every key.
 *
 * Precedence: the command line, then the file, then PERMIT_BROKER for the broker, then the
 * defaults. dept and state have no default: every agent names its department and its folder.
 */
#ifndef PERMIT_AGENT_CONFIG_H
#define PERMIT_AGENT_CONFIG_H

#include <stdio.h>

#include "conftab.h"
#include "log.h"

typedef struct agentcfg {
    char *dept;      /* the department this agent speaks for */
    char *broker;    /* the broker's ingest endpoint */
    char *state;     /* the state folder: outbox.db, agent.lock */
    char *spool;     /* the drop folder; "" means STATE/spool */
    char *log_file;  /* "" means stderr */
    char *time_zone; /* the jurisdiction's zone (IANA name) */
    enum log_level log_level;
    int window;         /* events in flight at most */
    int timeout_ms;     /* no answer for this long: resend, or the broker is lost */
    int heartbeat_ms;   /* ping the broker this often while idle */
    int backoff_min_ms; /* first pause before reconnecting to a lost broker */
    int backoff_max_ms; /* the longest pause */
    int scan_ms;        /* look at the spool folder and the outbox this often */
    int drain_ms;       /* SIGTERM: wait this long for the acks of events in flight */
    int keep_days;      /* keep sent and dropped events this long for status; 0 forever */
    char *curve_secret; /* our CURVE key pair (NAME.secret); "" for $PERMIT_CURVE_SECRET */
    char *broker_key;   /* the broker's public key (NAME.key); "" for $PERMIT_BROKER_KEY */
} agentcfg_t;

/* Fill every option with its default (the broker from PERMIT_BROKER when set). */
void agentcfg_defaults(agentcfg_t *cfg);
void agentcfg_clear(agentcfg_t *cfg);

/* Set one option by name ('-' and '_' alike) from text. 0, or -1 with *err (caller owns). */
int agentcfg_set(agentcfg_t *cfg, const char *name, const char *value, char **err);

/* Read an INI file; errors come back as "FILE:LINE: reason" in *err (caller owns). */
int agentcfg_load_file(agentcfg_t *cfg, const char *path, char **err);

/*
 * Check what no single option can: dept and state are set, the backoff bounds are in order.
 * Fills the spool's default. 0, or -1 with *err (caller owns).
 */
int agentcfg_check(agentcfg_t *cfg, char **err);

/* Copy the options SIGHUP may change from `from` into `to`; warn about the others. */
void agentcfg_reload(agentcfg_t *to, const agentcfg_t *from);

/* Print the option table (for --help). */
void agentcfg_usage(FILE *out);

/* The option table: the command line reads it too (common/args.h). */
extern const conftab_t agentcfg_table;

#endif
