/*
 * wcfg: the options of permit-web, declared once in a table and read from the [web] section of
 * an INI file (deploy/web.conf documents every key) and from the command line under the same
 * names (--listen or --listen).
 *
 * Precedence: the command line, then the file, then PERMIT_QUERY / PERMIT_PUBLISH for the
 * broker's endpoints, then the defaults.
 */
#ifndef PERMIT_WCFG_H
#define PERMIT_WCFG_H

#include <stdbool.h>
#include <stdio.h>

#include "conftab.h"
#include "log.h"

typedef struct wcfg {
    char *query;          /* the broker's query endpoint, or several (common/eplist.h) */
    char *publish;        /* the broker's publish endpoint, or several: pair by pair */
    int silence_ms;       /* nothing published for this long: ask, then try the next broker */
    int query_timeout_ms; /* a query unanswered this long: the broker is away */
    char *listen;         /* HOST:PORT of the HTTP server (IPv4 or [IPv6]) */
    int max_clients;      /* HTTP connections at once, SSE streams included */
    int sse_buffer;       /* bytes one SSE stream may have waiting before it is closed */
    int keep_entries;     /* log entries kept in memory: ticker, history, SSE replay */
    int target_pct;       /* the completion rate the board measures against */
    char *curve_secret;   /* our CURVE key pair; "" for $PERMIT_CURVE_SECRET, none: plain */
    char *broker_key;     /* the broker's public key; "" for $PERMIT_BROKER_KEY */
    char *time_zone;      /* the jurisdiction's zone (IANA name); "" for $PERMIT_TIME_ZONE */
    char *db;             /* the broker's database, read-only, for the weekly report; "": none */
    char *bulletin;       /* the bulletin's title block: a file with a [bulletin] section */
    char *broker;         /* the broker's ingest endpoint(s): where acks go as alert_ack entries */
    char *web_users;      /* the accounts file (web/auth/webuser.h) */
    char *ack_key_file;   /* the ack links' key, shared with permit-notify; "": no /ack/ */
    char *cookie_secure;  /* "yes", or "no" for plain http on loopback (tests) */
    enum log_level log_level;
} wcfg_t;

void wcfg_defaults(wcfg_t *cfg);
void wcfg_clear(wcfg_t *cfg);
/* Read an INI file; errors come back as "FILE:LINE: reason" in *err (caller owns). */
int wcfg_load_file(wcfg_t *cfg, const char *path, char **err);
/* Check what no single option can (required keys, endpoint lists, the listen address). */
int wcfg_check(const wcfg_t *cfg, char **err);
/* Copy the options SIGHUP may change from `from` into `to`; warn about the others. */
void wcfg_reload(wcfg_t *to, const wcfg_t *from);
void wcfg_usage(FILE *out);
/* Whether session cookies carry Secure (cookie_secure = yes). */
bool wcfg_cookie_secure(const wcfg_t *cfg);
/*
 * Split cfg->listen into a socket address: "127.0.0.1:7480", "[::1]:7480", ":7480" (every
 * IPv4 address). 0, or -1 with *err. ss is a struct sockaddr_storage.
 */
int wcfg_listen_addr(const char *listen, void *ss, unsigned *sslen, char **err);

/* The option table: the command line reads it too (common/args.h). */
extern const conftab_t wcfg_table;

#endif
