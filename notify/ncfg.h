/*
 * ncfg: the options of `permit-notify run`, declared once in a table and read from the
 * [notify] section of an INI file (deploy/notify.conf documents every key) and from the
 * command line under the same names (--max-attempts or --max_attempts).
 *
 * Precedence: the command line, then the file, then PERMIT_QUERY / PERMIT_PUBLISH for the
 * broker's endpoints, then the defaults. db, routes and templates have no default.
 */
#ifndef PERMIT_NCFG_H
#define PERMIT_NCFG_H

#include <stdbool.h>
#include <stdio.h>

#include "conftab.h"
#include "log.h"

typedef struct ncfg {
    char *query;          /* the broker's query endpoint, or several (common/eplist.h) */
    char *publish;        /* the broker's publish endpoint, or several: pair by pair */
    int silence_ms;       /* nothing published for this long: ask, then try the next broker */
    int query_timeout_ms; /* a query unanswered this long: the broker is away */
    char *db;             /* the notifier's own sqlite database: cursor, directory, deliveries */
    char *routes;         /* the routing file (routes.h) */
    char *templates;      /* the folder of message templates (ntmpl.h) */
    char *curve_secret;   /* our CURVE key pair; "" for $PERMIT_CURVE_SECRET, none: plain */
    char *broker_key;     /* the broker's public key; "" for $PERMIT_BROKER_KEY */
    char *time_zone;      /* the jurisdiction's zone (IANA name); "" for $PERMIT_TIME_ZONE */
    enum log_level log_level;
    int backoff_min_ms;  /* first pause after a failed delivery (doubles, with jitter) */
    int backoff_max_ms;  /* the longest pause */
    int max_attempts;    /* failures before a delivery becomes a dead letter */
    int send_timeout_ms; /* one HTTP/SMTP/command attempt at most */
    int pace_limit;      /* a robot takes at most this many messages per pace_window_ms (0: off) */
    int pace_window_ms;  /* the robots' rate window (a minute; tests make it short) */
    int escalate_ms;     /* an unacknowledged red item climbs one step after this long */
    int digest_ms;       /* the digest period; held items go out together at its end */
    char *digest_kinds;  /* route keys that are held for the digest, comma-separated */
    int quiet_days;      /* 1: hold all but red and breaches on non-working days */
    int work_start_hour; /* held notifications go at this hour of the next working day */
    char *smtp_url;      /* smtp://host:port or smtps://...; "" disables e-mail */
    char *smtp_from;
    char *smtp_from_name; /* the sender's display name ("联审联批通知") */
    char *smtp_user;      /* "" for no login */
    char *smtp_password;
    char *smtp_password_file; /* the password from this file instead (a systemd credential) */
    int smtp_starttls;        /* 1: require STARTTLS on smtp:// */
    char *broker;             /* the broker's ingest endpoint(s): where `ack` sends alert_ack */
    char *ack_url_base;       /* permit-web's public address: red alerts end with BASE/ack/TOKEN */
    char *ack_key_file;       /* the key of the ack links' tokens, shared with permit-web */
    int ack_expiry_ms;        /* an ack link works this long after it was sent */
} ncfg_t;

void ncfg_defaults(ncfg_t *cfg);
void ncfg_clear(ncfg_t *cfg);
/* Set one option by name from text. 0, or -1 with *err (caller owns). */
int ncfg_set(ncfg_t *cfg, const char *name, const char *value, char **err);
/* Read an INI file; errors come back as "FILE:LINE: reason" in *err (caller owns). */
int ncfg_load_file(ncfg_t *cfg, const char *path, char **err);
/* Check what no single option can (required keys, bounds in order). 0, or -1 with *err. */
int ncfg_check(const ncfg_t *cfg, char **err);
/* Whether ack_url_base is an http(s) address the links can be built on as they are. */
bool ncfg_ack_base_valid(const char *base);
/* Copy the options SIGHUP may change from `from` into `to`; warn about the others. */
void ncfg_reload(ncfg_t *to, const ncfg_t *from);
/*
 * smtp_password_file set: its first line becomes smtp_password (e.g. a systemd credential,
 * ${CREDENTIALS_DIRECTORY}/smtp-password). 0, or -1 with *err (caller owns).
 */
int ncfg_load_secrets(ncfg_t *cfg, char **err);
void ncfg_usage(FILE *out);

/* The option table: the command line reads it too (common/args.h). */
extern const conftab_t ncfg_table;

#endif
