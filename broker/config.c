/*
 * config: see config.h. The table below is the single definition of every option.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <ini.h>

#include "util.h"

enum opt_type { OPT_STRING, OPT_INT, OPT_LEVEL };

typedef struct option_def {
    const char *name;
    enum opt_type type;
    size_t offset;
    const char *def;
    long min, max;
    bool reloadable;
    const char *help;
} option_def_t;

static const option_def_t options[] = {
    {"db", OPT_STRING, offsetof(config_t, db), "permit.db", 0, 0, false,
     "path of the sqlite database (the log and the state)"},
    {"ingest", OPT_STRING, offsetof(config_t, ingest), "tcp://127.0.0.1:7401", 0, 0, false,
     "ROUTER endpoint where agents send events and operators imports"},
    {"publish", OPT_STRING, offsetof(config_t, publish), "tcp://127.0.0.1:7402", 0, 0, false,
     "PUB endpoint where every committed entry is published"},
    {"query", OPT_STRING, offsetof(config_t, query), "tcp://127.0.0.1:7403", 0, 0, false,
     "ROUTER endpoint serving entries after a sequence number and project status"},
    {"log_level", OPT_LEVEL, offsetof(config_t, log_level), "info", 0, 0, true,
     "error, warn, info or debug"},
    {"batch_max", OPT_INT, offsetof(config_t, batch_max), "4096", 1, 1000000, true,
     "most events committed in one transaction (group commit)"},
    {"heartbeat_ms", OPT_INT, offsetof(config_t, heartbeat_ms), "1000", 100, 60000, true,
     "interval of heartbeats on the publish socket"},
};

static const option_def_t *
find_option(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(options); i++)
        if (strcmp(options[i].name, name) == 0)
            return &options[i];
    return NULL;
}

int
config_set(config_t *cfg, const char *name, const char *value, char **err)
{
    const option_def_t *o = find_option(name);
    char *base = (char *)cfg, *end;
    long v;

    if (o == NULL) {
        *err = xasprintf("unknown option '%s'", name);
        return -1;
    }
    switch (o->type) {
    case OPT_STRING:
        if (util_empty(value)) {
            *err = xasprintf("%s: empty value", name);
            return -1;
        }
        xstrset((char **)(base + o->offset), value);
        return 0;
    case OPT_INT:
        errno = 0;
        v = strtol(value, &end, 10);
        if (errno != 0 || end == value || *end != '\0' || v < o->min || v > o->max) {
            *err = xasprintf("%s: '%s' is not a whole number from %ld to %ld", name, value, o->min,
                             o->max);
            return -1;
        }
        *(int *)(base + o->offset) = (int)v;
        return 0;
    case OPT_LEVEL:
        if (log_parse_level(value, (enum log_level *)(base + o->offset)) < 0) {
            *err = xasprintf("%s: '%s' is not one of error, warn, info, debug", name, value);
            return -1;
        }
        return 0;
    }
    return -1;
}

void
config_defaults(config_t *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < ARRAY_LEN(options); i++) {
        char *err = NULL;
        if (config_set(cfg, options[i].name, options[i].def, &err) < 0)
            fatalx("config: bad default: %s", err); /* our bug */
    }
}

void
config_clear(config_t *cfg)
{
    for (size_t i = 0; i < ARRAY_LEN(options); i++) {
        if (options[i].type == OPT_STRING) {
            char **p = (char **)((char *)cfg + options[i].offset);
            free(*p);
            *p = NULL;
        }
    }
}

typedef struct ini_ctx {
    config_t *cfg;
    char *err;
} ini_ctx_t;

static int
on_ini_line(void *arg, const char *section, const char *name, const char *value)
{
    ini_ctx_t *ctx = arg;

    if (ctx->err != NULL)
        return 0;
    if (*section != '\0' && strcmp(section, "permitd") != 0) {
        ctx->err = xasprintf("unknown section [%s] (expected [permitd])", section);
        return 0;
    }
    return config_set(ctx->cfg, name, value, &ctx->err) == 0;
}

int
config_load_file(config_t *cfg, const char *path, char **err)
{
    ini_ctx_t ctx = {cfg, NULL};
    int line = ini_parse(path, on_ini_line, &ctx);

    if (line == 0)
        return 0;
    if (line == -1)
        *err = xasprintf("%s: %s", path, strerror(errno ? errno : ENOENT));
    else if (ctx.err != NULL)
        *err = xasprintf("%s:%d: %s", path, line, ctx.err);
    else
        *err = xasprintf("%s:%d: syntax error", path, line);
    free(ctx.err);
    return -1;
}

void
config_reload(config_t *to, const config_t *from)
{
    for (size_t i = 0; i < ARRAY_LEN(options); i++) {
        const option_def_t *o = &options[i];
        char *dst = (char *)to + o->offset;
        const char *src = (const char *)from + o->offset;
        if (o->type == OPT_STRING) {
            if (util_strcmp0(*(char *const *)dst, *(char *const *)src) != 0)
                log_warnx("config: %s changed; it takes effect at the next start", o->name);
            continue;
        }
        if (o->reloadable)
            memcpy(dst, src, o->type == OPT_INT ? sizeof(int) : sizeof(enum log_level));
    }
}

void
config_usage(FILE *out)
{
    fprintf(out, "Options (also keys of the [permitd] section of the config file):\n");
    for (size_t i = 0; i < ARRAY_LEN(options); i++) {
        char flag[64];
        snprintf(flag, sizeof(flag), "--%s", options[i].name);
        for (char *p = flag + 2; *p; p++)
            if (*p == '_')
                *p = '-';
        fprintf(out, "  %-16s %s (default %s%s)\n", flag, options[i].help, options[i].def,
                options[i].reloadable ? "; SIGHUP reloads it" : "");
    }
}
