/*
 * config: the broker's options, declared once in a table (name, type, default, bounds,
 * whether SIGHUP reloads it) and read from an INI file (section [permitd]) and the command
 * line with the same names. The loaded config is one of the broker's two globals' worth of
 * state; it is passed around as a pointer, never reached for.
 */
#ifndef PERMIT_CONFIG_H
#define PERMIT_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine.h"
#include "conftab.h"
#include "log.h"

typedef struct config {
    char *db;
    int db_timeout_ms; /* a network engine: deadline of every statement */
    int cache_mib;     /* the store's cache of procedure rows (store_set_cache_bytes) */
    char *ingest;
    char *publish;
    char *query;
    enum log_level log_level;
    int batch_max;
    int batch_ms;
    int heartbeat_ms;
    /* The clock. */
    char *time_zone;      /* the jurisdiction's zone, an IANA name */
    int32_t utc_offset_s; /* its offset when the system has no tzdata for it */
    int yellow_days;
    int yellow_percent;
    int commitment_days;
    int remind_days;
    int project_yellow_days;
    int first_half_due;  /* month * 100 + day */
    int second_half_due; /* month * 100 + day */
    int late_after_hours;
    int agent_silent_s;
    int64_t test_clock_ms; /* 0: the wall clock; otherwise a test clock starting here */
    /* Security. */
    bool curve;            /* CURVE on every socket; plain only when the config says curve = no */
    char *secret_key_file; /* the broker's key pair (permitctl keygen) */
    char *keys_dir;        /* the trusted public keys, NAME.key each with a role */
    int publish_hwm;       /* messages queued per subscriber before it loses some */
    int handshake_ms;      /* a connection must finish its handshake within this */
    int max_conn_per_address; /* live TCP connections one address may hold (0: no cap) */
    int quota_rate;           /* events a second per identity (0: no quota) */
    int quota_burst;          /* events one identity may send at once above the rate */
    bool test_fail_open;      /* tests only: no ZAP handler, no enforced domain */
} config_t;

/* The option table: the command line reads it too (common/args.h). */
extern const conftab_t config_table;

/* Fill every option with its default. */
void config_defaults(config_t *cfg);
void config_clear(config_t *cfg);

/* Whether name is an option of the table. */
bool config_known(const char *name);

/* Set one option by name from text. 0, or -1 with a reason in *err (caller owns). */
int config_set(config_t *cfg, const char *name, const char *value, char **err);

/* Read an INI file; errors come back as "FILE:LINE: reason" in *err (caller owns). */
int config_load_file(config_t *cfg, const char *path, char **err);

/* Check what no single option can: curve = yes needs its key files named. 0, or -1 (*err). */
int config_check(const config_t *cfg, char **err);

/* Copy the options SIGHUP may change from `from` into `to`; warn about the others. */
void config_reload(config_t *to, const config_t *from);

/* The engine's settings from the broker's config (permitd, its --rebuild, permitctl report). */
/*
 * Make the configured time zone the process's (zone_use): 0, 1 when it fell back to
 * utc_offset (*err says so, for a warning), -1 for a name that is no zone name (*err).
 */
int config_use_zone(const config_t *cfg, char **err);
void config_engine_cfg(const config_t *cfg, engine_cfg_t *ec);

/* Print the option table (for --help). */
void config_usage(FILE *out);

#endif
