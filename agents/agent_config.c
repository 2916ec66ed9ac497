/*
 * agent_config: see agent_config.h. The table below is the single definition of every option;
 * common/conftab.c reads it.
 */
#include "agent_config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "conftab.h"
#include "eplist.h"
#include "i18n.h"
#include "model.h"
#include "util.h"
#include "zone.h"

#define DEFAULT_BROKER "tcp://127.0.0.1:7401"

static const conftab_opt_t options[] = {
    {"dept", CONFTAB_TEXT, offsetof(agentcfg_t, dept), NULL, 0, 0, false,
     N_("the department code this agent speaks for (required)"), NULL, 0},
    {"broker", CONFTAB_TEXT, offsetof(agentcfg_t, broker), DEFAULT_BROKER, 0, 0, true,
     N_("the broker's ingest endpoint, or several: EP1,EP2 (else $PERMIT_BROKER)"), NULL, 0},
    {"state", CONFTAB_TEXT, offsetof(agentcfg_t, state), NULL, 0, 0, false,
     N_("the agent's own folder: outbox.db and the lock (required)"), NULL, 0},
    {"spool", CONFTAB_TEXT, offsetof(agentcfg_t, spool), "", 0, 0, false,
     N_("the drop folder for event files (default STATE/spool)"), NULL, 0},
    {"log_file", CONFTAB_TEXT, offsetof(agentcfg_t, log_file), "", 0, 0, true,
     N_("append log lines here instead of stderr (SIGHUP reopens it, for log rotation)"), NULL, 0},
    {"time_zone", CONFTAB_TEXT, offsetof(agentcfg_t, time_zone), ZONE_DEFAULT, 0, 0, false,
     N_("the jurisdiction's time zone, as the broker's time_zone (else $PERMIT_TIME_ZONE): times "
        "shown and times of event files given without an offset"),
     NULL, 0},
    {"log_level", CONFTAB_LEVEL, offsetof(agentcfg_t, log_level), "info", 0, 0, true,
     N_("error, warn, info or debug"), NULL, 0},
    {"window", CONFTAB_INT, offsetof(agentcfg_t, window), "64", 1, 1024, true,
     N_("most events sent and not yet answered"), NULL, 0},
    {"timeout_ms", CONFTAB_INT, offsetof(agentcfg_t, timeout_ms), "6000", 100, 600000, true,
     N_("no answer for this long: resend, or call the broker lost"), NULL, 0},
    {"heartbeat_ms", CONFTAB_INT, offsetof(agentcfg_t, heartbeat_ms), "2000", 100, 60000, true,
     N_("ping the broker this often while idle"), NULL, 0},
    {"backoff_min_ms", CONFTAB_INT, offsetof(agentcfg_t, backoff_min_ms), "250", 10, 600000, true,
     N_("first pause before reconnecting to a lost broker (doubles, with jitter)"), NULL, 0},
    {"backoff_max_ms", CONFTAB_INT, offsetof(agentcfg_t, backoff_max_ms), "15000", 10, 3600000,
     true, N_("longest pause between reconnection attempts"), NULL, 0},
    {"scan_ms", CONFTAB_INT, offsetof(agentcfg_t, scan_ms), "200", 10, 60000, true,
     N_("look at the spool folder and the outbox this often"), NULL, 0},
    {"drain_ms", CONFTAB_INT, offsetof(agentcfg_t, drain_ms), "5000", 0, 600000, true,
     N_("on SIGTERM, wait this long for the acks of events in flight"), NULL, 0},
    {"keep_days", CONFTAB_INT, offsetof(agentcfg_t, keep_days), "30", 0, 36500, true,
     N_("keep sent and dropped events this many days (0: for ever)"), NULL, 0},
    {"curve_secret", CONFTAB_TEXT, offsetof(agentcfg_t, curve_secret), "", 0, 0, false,
     N_("CURVE: this department's key pair, DEPT.secret from permitctl keygen (else "
        "$PERMIT_CURVE_SECRET; none: plain)"),
     NULL, 0},
    {"broker_key", CONFTAB_TEXT, offsetof(agentcfg_t, broker_key), "", 0, 0, false,
     N_("CURVE: the broker's public key file (else $PERMIT_BROKER_KEY)"), NULL, 0},
};

const conftab_t agentcfg_table = {"agent", options, ARRAY_LEN(options)};

int
agentcfg_set(agentcfg_t *cfg, const char *name, const char *value, char **err)
{
    return conftab_set(&agentcfg_table, cfg, name, value, err);
}

void
agentcfg_defaults(agentcfg_t *cfg)
{
    const char *env = getenv("PERMIT_BROKER"), *zone = getenv("PERMIT_TIME_ZONE");

    conftab_defaults(&agentcfg_table, cfg);
    if (!util_empty(env))
        xstrset(&cfg->broker, env);
    if (!util_empty(zone))
        xstrset(&cfg->time_zone, zone);
}

void
agentcfg_clear(agentcfg_t *cfg)
{
    conftab_clear(&agentcfg_table, cfg);
}

int
agentcfg_load_file(agentcfg_t *cfg, const char *path, char **err)
{
    return conftab_load_file(&agentcfg_table, cfg, path, err);
}

int
agentcfg_check(agentcfg_t *cfg, char **err)
{
    if (conftab_check_required(&agentcfg_table, cfg, err) < 0)
        return -1;
    if (eplist_check("broker", cfg->broker, err) < 0)
        return -1;
    /* The broker's own rules for a code, and the length it takes (one definition each). */
    if (!pm_code_valid(cfg->dept) || strlen(cfg->dept) > codec_field_limit("dept")) {
        *err = xasprintf(_("dept: '%.64s' is not a department code (at most %zu bytes, no blank "
                           "or / ; , :)"),
                         cfg->dept, codec_field_limit("dept"));
        return -1;
    }
    if (zone_check(cfg->time_zone, err) < 0)
        return -1;
    if (cfg->backoff_min_ms > cfg->backoff_max_ms) {
        *err = xasprintf(_("backoff_min_ms (%d) is larger than backoff_max_ms (%d)"),
                         cfg->backoff_min_ms, cfg->backoff_max_ms);
        return -1;
    }
    if (util_empty(cfg->spool)) {
        char *spool = xasprintf("%s/spool", cfg->state);
        free(cfg->spool);
        cfg->spool = spool;
    }
    return 0;
}

void
agentcfg_reload(agentcfg_t *to, const agentcfg_t *from)
{
    conftab_reload(&agentcfg_table, to, from);
}

void
agentcfg_usage(FILE *out)
{
    fprintf(out, _("options of run (also keys of the [agent] section of the config file; * marks "
                   "those\nthat SIGHUP reloads):\n"));
    conftab_usage(&agentcfg_table, out);
}
