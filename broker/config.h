/*
 * config: the broker's options, declared once in a table (name, type, default, bounds,
 * whether SIGHUP reloads it) and read from an INI file (section [permitd]) and the command
 * line with the same names. The loaded config is one of the broker's two globals' worth of
 * state; it is passed around as a pointer, never reached for.
 */
#ifndef PERMIT_CONFIG_H
#define PERMIT_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "log.h"

typedef struct config {
    char *db;
    char *ingest;
    char *publish;
    char *query;
    enum log_level log_level;
    int batch_max;
    int heartbeat_ms;
} config_t;

/* Fill every option with its default. */
void config_defaults(config_t *cfg);
void config_clear(config_t *cfg);

/* Set one option by name from text. 0, or -1 with a reason in *err (caller owns). */
int config_set(config_t *cfg, const char *name, const char *value, char **err);

/* Read an INI file; errors come back as "FILE:LINE: reason" in *err (caller owns). */
int config_load_file(config_t *cfg, const char *path, char **err);

/* Copy the options SIGHUP may change from `from` into `to`; warn about the others. */
void config_reload(config_t *to, const config_t *from);

/* Print the option table (for --help). */
void config_usage(FILE *out);

#endif
