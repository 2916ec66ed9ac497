/*
 * config: see config.h. The table below is the single definition of every option; reading,
 * defaults, reloads and --help are common/conftab's.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "conftab.h"
#include "util.h"
#include "zone.h"

static int
parse_offset(const char *value, void *field, char **err)
{
    if (cal_parse_offset(value, field) == 0)
        return 0;
    *err = xasprintf("'%s' is not an offset like +08:00", value);
    return -1;
}

/* A day of the year as MM-DD, kept as month * 100 + day; 02-29 allowed, 02-30 not. */
static int
parse_mmdd(const char *value, void *field, char **err)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int m, d, n = 0;

    if (sscanf(value, "%2d-%2d%n", &m, &d, &n) != 2 || value[n] != '\0' || m < 1 || m > 12 ||
        d < 1 || d > mdays[m - 1]) {
        *err = xasprintf("'%s' is not a day of the year like 03-31", value);
        return -1;
    }
    *(int *)field = m * 100 + d;
    return 0;
}

/* A point in time, or empty for none (0). */
static int
parse_time(const char *value, void *field, char **err)
{
    *(int64_t *)field = 0;
    if (util_empty(value) || util_parse_time(value, field) == 0)
        return 0;
    *err = xasprintf("'%s' is not a time like 2026-03-02T09:00:00+08:00", value);
    return -1;
}

/* yes or no (also true/false, 1/0, on/off). */
static int
parse_bool(const char *value, void *field, char **err)
{
    static const char *const yes[] = {"yes", "true", "on", "1"}, *const no[] = {"no", "false",
                                                                                "off", "0"};

    for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
        if (strcmp(value, yes[i]) == 0) {
            *(bool *)field = true;
            return 0;
        }
        if (strcmp(value, no[i]) == 0) {
            *(bool *)field = false;
            return 0;
        }
    }
    *err = xasprintf("'%s' is not yes or no", value);
    return -1;
}

/* clang-format off */
/* An option named as its config_t field, and one read by a parser of its own. */
#define INT(field, def, min, max, reload, help) \
    {#field, CONFTAB_INT, offsetof(config_t, field), def, min, max, reload, help, NULL, 0}
#define CUSTOM(name, field, parse, def, reload, help) \
    {name, CONFTAB_CUSTOM, offsetof(config_t, field), def, 0, 0, reload, help, parse, \
     sizeof(((config_t *)0)->field)}
/* The store's default, as the table's text. */
#define CACHE_MIB_TEXT(n) CACHE_MIB_TEXT_(n)
#define CACHE_MIB_TEXT_(n) #n
static const conftab_opt_t options[] = {
    {"db", CONFTAB_TEXT, offsetof(config_t, db), "permit.db", 0, 0, false,
     "the database (the log and the state): the path of a sqlite file, or a PostgreSQL URI "
     "(postgresql://...) for a highly available deployment", NULL, 0},
    INT(db_timeout_ms, "5000", 100, 600000, false,
        "PostgreSQL: the deadline of every statement, commit included; a commit that misses "
        "it is not acked (agents resend; the event id makes the repeat harmless)"),
    INT(cache_mib, CACHE_MIB_TEXT(STORE_CACHE_MIB), 1, 65536, false,
        "MiB of memory for the procedure rows of the projects in progress, so that events "
        "read none from the database; past it, projects not used lately are read again"),
    {"ingest", CONFTAB_TEXT, offsetof(config_t, ingest), "tcp://127.0.0.1:7401", 0, 0, false,
     "ROUTER endpoint where agents send events and operators imports", NULL, 0},
    {"publish", CONFTAB_TEXT, offsetof(config_t, publish), "tcp://127.0.0.1:7402", 0, 0, false,
     "PUB endpoint where every committed entry is published", NULL, 0},
    {"query", CONFTAB_TEXT, offsetof(config_t, query), "tcp://127.0.0.1:7403", 0, 0, false,
     "ROUTER endpoint serving entries after a sequence number, status and colour lists", NULL, 0},
    {"log_level", CONFTAB_LEVEL, offsetof(config_t, log_level), "info", 0, 0, true,
     "error, warn, info or debug", NULL, 0},
    INT(batch_max, "4096", 1, 1000000, true,
        "most events committed in one transaction (group commit)"),
    INT(batch_ms, "10", 1, 1000, true,
        "most milliseconds one group commit collects messages before it commits and acks"),
    INT(heartbeat_ms, "1000", 100, 60000, true, "interval of heartbeats on the publish socket"),
    {"time_zone", CONFTAB_TEXT, offsetof(config_t, time_zone), ZONE_DEFAULT, 0, 0, false,
     "the jurisdiction's time zone (IANA name): working days, times shown and times read "
     "without an offset are in it, whatever TZ the process has", NULL, 0},
    CUSTOM("utc_offset", utc_offset_s, parse_offset, "+08:00", false,
           "the zone's offset from UTC, used only when the system has no tzdata for time_zone"),
    INT(yellow_days, "1", 1, 365, true,
        "a procedure turns yellow when this many working days remain (today included)"),
    INT(yellow_percent, "20", 0, 100, true, "...or this share of its limit, whichever is more"),
    INT(commitment_days, "5", 1, 365, true,
        "working days to supply a missing item when acceptance with deficiency names no date"),
    INT(remind_days, "1", 0, 365, true, "remind this many working days before a commitment is due"),
    INT(project_yellow_days, "10", 1, 365, true,
        "a project turns yellow this many working days before all its approvals are due"),
    CUSTOM("first_half_due", first_half_due, parse_mmdd, "03-31", true,
           "approvals of projects starting in the first half are due by this day (MM-DD)"),
    CUSTOM("second_half_due", second_half_due, parse_mmdd, "08-31", true,
           "approvals of projects starting in the second half are due by this day (MM-DD)"),
    INT(late_after_hours, "24", 1, 100000, true,
        "an event claimed this many hours before it arrived is logged as late"),
    INT(agent_silent_s, "60", 2, 86400, true,
        "a department agent not heard from for this long is logged as silent"),
    CUSTOM("test_clock", test_clock_ms, parse_time, "", false,
           "tests only: start a test clock at this time, moved by `permitctl clock set`"),
    CUSTOM("curve", curve, parse_bool, "yes", false,
           "CURVE authentication and encryption on every socket; 'no' (plain sockets, anyone "
           "who can connect may send and read) only for a local demo or tests"),
    {"secret_key_file", CONFTAB_TEXT, offsetof(config_t, secret_key_file), "", 0, 0, false,
     "the broker's key pair, a NAME.secret file from `permitctl keygen` (mode 0600)", NULL, 0},
    {"keys_dir", CONFTAB_TEXT, offsetof(config_t, keys_dir), "", 0, 0, false,
     "folder of trusted public keys, NAME.key with public and role lines; SIGHUP rereads it",
     NULL, 0},
    INT(publish_hwm, "100000", 100, 10000000, false,
        "messages queued for one subscriber; a slower one loses the rest and catches up from "
        "the query socket"),
    INT(handshake_ms, "5000", 100, 60000, false,
        "a connection must finish its ZeroMQ handshake (and CURVE's) within this many "
        "milliseconds, or it is closed: idle connections cannot hold file descriptors long"),
    INT(max_conn_per_address, "256", 0, 1000000, false,
        "live TCP connections one address may hold on the ingest and query sockets; more are "
        "closed at once and counted in a summary line a minute; 0 for no cap"),
    INT(quota_rate, "2000", 0, 1000000, true,
        "events a second one identity (a key; on plain sockets the department an event names) "
        "may send on average; more are refused 'busy' with a retry-after, so a runaway agent "
        "slows down instead of filling the disk; 0 for no quota"),
    INT(quota_burst, "20000", 1, 10000000, true,
        "events one identity may send at once before quota_rate applies (a backlog after an "
        "outage)"),
    CUSTOM("test_fail_open", test_fail_open, parse_bool, "no", false,
           "tests only: bind no ZAP handler, so the start-up probe must stop the broker"),
};

/* clang-format on */

const conftab_t config_table = {"permitd", options, ARRAY_LEN(options)};

bool
config_known(const char *name)
{
    return conftab_known(&config_table, name);
}

int
config_set(config_t *cfg, const char *name, const char *value, char **err)
{
    return conftab_set(&config_table, cfg, name, value, err);
}

void
config_defaults(config_t *cfg)
{
    conftab_defaults(&config_table, cfg);
}

void
config_clear(config_t *cfg)
{
    conftab_clear(&config_table, cfg);
}

int
config_load_file(config_t *cfg, const char *path, char **err)
{
    return conftab_load_file(&config_table, cfg, path, err);
}

int
config_check(const config_t *cfg, char **err)
{
    if (!cfg->curve)
        return 0;
    if (util_empty(cfg->secret_key_file) || util_empty(cfg->keys_dir)) {
        *err = xasprintf("curve = yes needs secret_key_file and keys_dir (see README, "
                         "Security); for a local demo or tests only, curve = no");
        return -1;
    }
    return 0;
}

void
config_reload(config_t *to, const config_t *from)
{
    conftab_reload(&config_table, to, from);
}

void
config_usage(FILE *out)
{
    fprintf(out, "Options (also keys of the [permitd] section of the config file; * SIGHUP "
                 "reloads it):\n");
    conftab_usage(&config_table, out);
}

int
config_use_zone(const config_t *cfg, char **err)
{
    return zone_use(cfg->time_zone, cfg->utc_offset_s, err);
}

void
config_engine_cfg(const config_t *cfg, engine_cfg_t *ec)
{
    engine_cfg_defaults(ec);
    ec->clock.utc_offset_s = cfg->utc_offset_s;
    ec->clock.in_zone = true;
    ec->clock.yellow_days = cfg->yellow_days;
    ec->clock.yellow_percent = cfg->yellow_percent;
    ec->clock.commitment_days = cfg->commitment_days;
    ec->clock.remind_days = cfg->remind_days;
    ec->clock.project_yellow_days = cfg->project_yellow_days;
    ec->clock.first_half_due = cfg->first_half_due;
    ec->clock.second_half_due = cfg->second_half_due;
    ec->late_after_ms = cfg->late_after_hours * 3600 * 1000LL;
}
