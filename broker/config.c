/*
 * config: see config.h. The table below is the single definition of every option.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <ini.h>

#include "calendar.h"
#include "util.h"

enum opt_type { OPT_STRING, OPT_INT, OPT_LEVEL, OPT_OFFSET, OPT_MMDD, OPT_TIME };

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
    {"utc_offset", OPT_OFFSET, offsetof(config_t, utc_offset_s), "+08:00", 0, 0, false,
     "the civil time zone working days are counted in, as an offset from UTC"},
    {"yellow_days", OPT_INT, offsetof(config_t, yellow_days), "1", 1, 365, true,
     "a procedure turns yellow when this many working days remain (today included)"},
    {"yellow_percent", OPT_INT, offsetof(config_t, yellow_percent), "20", 0, 100, true,
     "...or this share of its limit, whichever is more"},
    {"commitment_days", OPT_INT, offsetof(config_t, commitment_days), "5", 1, 365, true,
     "working days to supply a missing item when acceptance with deficiency names no date"},
    {"remind_days", OPT_INT, offsetof(config_t, remind_days), "1", 0, 365, true,
     "remind this many working days before a commitment is due"},
    {"project_yellow_days", OPT_INT, offsetof(config_t, project_yellow_days), "10", 1, 365, true,
     "a project turns yellow this many working days before all its approvals are due"},
    {"first_half_due", OPT_MMDD, offsetof(config_t, first_half_due), "03-31", 0, 0, true,
     "approvals of projects starting in the first half are due by this day (MM-DD)"},
    {"second_half_due", OPT_MMDD, offsetof(config_t, second_half_due), "08-31", 0, 0, true,
     "approvals of projects starting in the second half are due by this day (MM-DD)"},
    {"late_after_hours", OPT_INT, offsetof(config_t, late_after_hours), "24", 1, 100000, true,
     "an event claimed this many hours before it arrived is logged as late"},
    {"agent_silent_s", OPT_INT, offsetof(config_t, agent_silent_s), "60", 2, 86400, true,
     "a department agent not heard from for this long is logged as silent"},
    {"test_clock", OPT_TIME, offsetof(config_t, test_clock_ms), "", 0, 0, false,
     "tests only: start a test clock at this time, moved by `permitctl clock set`"},
};

static const option_def_t *
find_option(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(options); i++)
        if (strcmp(options[i].name, name) == 0)
            return &options[i];
    return NULL;
}

bool
config_known(const char *name)
{
    return find_option(name) != NULL;
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
        if (value == NULL || *value == '\0') {
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
    case OPT_OFFSET:
        if (cal_parse_offset(value, (int32_t *)(base + o->offset)) < 0) {
            *err = xasprintf("%s: '%s' is not an offset like +08:00", name, value);
            return -1;
        }
        return 0;
    case OPT_MMDD: {
        int m, d, n = 0;
        static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        if (sscanf(value, "%2d-%2d%n", &m, &d, &n) != 2 || value[n] != '\0' || m < 1 || m > 12 ||
            d < 1 || d > mdays[m - 1]) {
            *err = xasprintf("%s: '%s' is not a day of the year like 03-31", name, value);
            return -1;
        }
        *(int *)(base + o->offset) = m * 100 + d;
        return 0;
    }
    case OPT_TIME:
        *(int64_t *)(base + o->offset) = 0;
        if (util_empty(value))
            return 0;
        if (util_parse_time(value, (int64_t *)(base + o->offset)) < 0) {
            *err = xasprintf("%s: '%s' is not a time like 2026-03-02T09:00:00+08:00", name, value);
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

static size_t
option_size(const option_def_t *o)
{
    switch (o->type) {
    case OPT_STRING:
        return sizeof(char *);
    case OPT_LEVEL:
        return sizeof(enum log_level);
    case OPT_OFFSET:
        return sizeof(int32_t);
    case OPT_TIME:
        return sizeof(int64_t);
    default:
        return sizeof(int);
    }
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
            memcpy(dst, src, option_size(o));
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
        fprintf(out, "  %-21s %s (default %s%s)\n", flag, options[i].help,
                *options[i].def ? options[i].def : "none",
                options[i].reloadable ? "; SIGHUP reloads it" : "");
    }
}
