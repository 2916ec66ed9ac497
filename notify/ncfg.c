/*
 * ncfg: see ncfg.h. The table below is the single definition of every option; common/conftab.c
 * reads it.
 */
#include "ncfg.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conftab.h"
#include "eplist.h"
#include "i18n.h"
#include "log.h"
#include "util.h"
#include "zone.h"

#define T(name, field, def, reload, help)                                                          \
    {                                                                                              \
        name, CONFTAB_TEXT, offsetof(ncfg_t, field), def, 0, 0, reload, help, NULL, 0              \
    }
#define I(name, field, def, min, max, reload, help)                                                \
    {                                                                                              \
        name, CONFTAB_INT, offsetof(ncfg_t, field), def, min, max, reload, help, NULL, 0           \
    }

static const conftab_opt_t options[] = {
    T("query", query, "tcp://127.0.0.1:7403", false,
      N_("the broker's query endpoint, or several: EP1,EP2 (else $PERMIT_QUERY)")),
    T("publish", publish, "tcp://127.0.0.1:7402", false,
      N_("the broker's publish endpoint, or several, in the order of query (else "
         "$PERMIT_PUBLISH)")),
    I("silence_ms", silence_ms, "5000", 100, 3600000, false,
      N_("nothing published (not even a heartbeat) for this long: ask the broker, and move on to "
         "the next one of the lists if it does not answer")),
    I("query_timeout_ms", query_timeout_ms, "2000", 100, 600000, false,
      N_("a query unanswered for this long: the broker is away (the next one is tried)")),
    T("db", db, NULL, false,
      N_("the notifier's database: cursor, directory, deliveries (required)")),
    T("routes", routes, NULL, true, N_("the routing file: who gets what, over which channel")),
    T("templates", templates, NULL, true, N_("the folder of message templates (KIND.tmpl)")),
    T("curve_secret", curve_secret, "", false,
      N_("CURVE: the notifier's key pair (permitctl keygen NAME --role notifier) (else "
         "$PERMIT_CURVE_SECRET; none: plain)")),
    T("broker_key", broker_key, "", false,
      N_("CURVE: the broker's public key file (else $PERMIT_BROKER_KEY)")),
    T("time_zone", time_zone, ZONE_DEFAULT, false,
      N_("the jurisdiction's time zone, as the broker's time_zone (else $PERMIT_TIME_ZONE): "
         "digest midnights, quiet days, working hours and every time shown")),
    {"log_level", CONFTAB_LEVEL, offsetof(ncfg_t, log_level), "info", 0, 0, true,
     N_("error, warn, info or debug"), NULL, 0},
    I("backoff_min_ms", backoff_min_ms, "1000", 10, 3600000, true,
      N_("first pause after a failed delivery (doubles, with jitter)")),
    I("backoff_max_ms", backoff_max_ms, "300000", 10, 86400000, true,
      N_("longest pause between two attempts of one delivery")),
    I("max_attempts", max_attempts, "8", 1, 1000, true,
      N_("failed attempts before a delivery becomes a dead letter")),
    I("send_timeout_ms", send_timeout_ms, "10000", 100, 600000, true,
      N_("one attempt (HTTP, SMTP, command) takes at most this long")),
    I("pace_limit", pace_limit, "20", 0, 100000, true,
      N_("a WeCom or DingTalk robot gets at most this many messages per pace_window_ms; a longer "
         "queue for one robot goes out as a digest (0: no pacing)")),
    I("pace_window_ms", pace_window_ms, "60000", 100, 86400000, true,
      N_("the robots' rate window (DingTalk and WeCom: 20 messages a minute)")),
    I("escalate_ms", escalate_ms, "14400000", 0, 2147483647, true,
      N_("an unacknowledged red item climbs one step of the ladder after this long (0: never)")),
    I("digest_ms", digest_ms, "86400000", 1000, 2147483647, true,
      N_("the digest period: held items go out together at its end")),
    T("digest_kinds", digest_kinds, "colour.yellow", true,
      N_("route keys held for the digest (comma-separated; \"\" sends everything at once)")),
    I("quiet_days", quiet_days, "1", 0, 1, true,
      N_("1: on non-working days hold everything but red, breaches and escalations")),
    I("work_start_hour", work_start_hour, "8", 0, 23, true,
      N_("held notifications go at this hour of the next working day")),
    T("smtp_url", smtp_url, "", true, N_("smtp://HOST:PORT (or smtps://); empty disables e-mail")),
    T("smtp_from", smtp_from, "permit-notify@localhost", true, N_("the sender address")),
    T("smtp_from_name", smtp_from_name, "联审联批通知", true,
      N_("the sender's display name (From: NAME <smtp_from>; empty: the address alone)")),
    T("smtp_user", smtp_user, "", true, N_("log in as this user (empty: no login)")),
    T("smtp_password", smtp_password, "", true, N_("the login's password")),
    T("smtp_password_file", smtp_password_file, "", true,
      N_("read the password from this file's first line instead (a systemd credential: "
         "${CREDENTIALS_DIRECTORY}/smtp-password)")),
    I("smtp_starttls", smtp_starttls, "0", 0, 1, true,
      N_("1: require STARTTLS before login on smtp://")),
    T("broker", broker, "tcp://127.0.0.1:7401", false,
      N_("the broker's ingest endpoint, or several: EP1,EP2 (else $PERMIT_BROKER); `permit-notify "
         "ack` sends the acknowledgement there")),
    T("ack_url_base", ack_url_base, "", false,
      N_("permit-web's address as a phone reaches it (https://permit.example.gov.cn): every red "
         "alert and escalation ends with a link BASE/ack/TOKEN that acknowledges it in one tap "
         "(empty: no links; needs ack_key_file)")),
    T("ack_key_file", ack_key_file, "", false,
      N_("the ack links' key, the same file as permit-web's ack_key_file (mode 0600; a systemd "
         "credential: ${CREDENTIALS_DIRECTORY}/ack-key)")),
    I("ack_expiry_ms", ack_expiry_ms, "259200000", 60000, 2147483647, false,
      N_("an ack link works this long after it was sent (72 hours)")),
};

const conftab_t ncfg_table = {"notify", options, ARRAY_LEN(options)};

void
ncfg_defaults(ncfg_t *cfg)
{
    static const conftab_env_t env[] = {
        {"broker", "PERMIT_BROKER"},
        {"query", "PERMIT_QUERY"},
        {"publish", "PERMIT_PUBLISH"},
        {"time_zone", "PERMIT_TIME_ZONE"},
    };
    char *err = NULL;

    conftab_defaults(&ncfg_table, cfg);
    /* Text options take any value: nothing here can be refused. */
    if (conftab_from_env(&ncfg_table, cfg, env, ARRAY_LEN(env), &err) < 0)
        fatalx("%s", err);
}

void
ncfg_clear(ncfg_t *cfg)
{
    conftab_clear(&ncfg_table, cfg);
}

int
ncfg_set(ncfg_t *cfg, const char *name, const char *value, char **err)
{
    return conftab_set(&ncfg_table, cfg, name, value, err);
}

int
ncfg_load_file(ncfg_t *cfg, const char *path, char **err)
{
    return conftab_load_file(&ncfg_table, cfg, path, err);
}

int
ncfg_check(const ncfg_t *cfg, char **err)
{
    strv_t q = {0}, p = {0};
    char why[256];
    int rc = 0;

    if (conftab_check_required(&ncfg_table, cfg, err) < 0 || zone_check(cfg->time_zone, err) < 0)
        return -1;
    if (eplist_parse(cfg->query, &q, why, sizeof(why)) != 0) {
        *err = xasprintf(_("query: %s"), why);
        return -1;
    }
    if (eplist_parse(cfg->publish, &p, why, sizeof(why)) != 0) {
        *err = xasprintf(_("publish: %s"), why);
        rc = -1;
    } else if (q.n != p.n) {
        *err = xasprintf(_("%zu query endpoints but %zu publish endpoints: the lists name the same "
                           "brokers, pair by pair"),
                         q.n, p.n);
        rc = -1;
    }
    strv_clear(&q);
    strv_clear(&p);
    if (rc < 0)
        return -1;
    if (!util_empty(cfg->ack_url_base) && !ncfg_ack_base_valid(cfg->ack_url_base)) {
        *err = xasprintf("ack_url_base '%.200s' is not an address like https://HOST[:PORT][/PATH] "
                         "(letters, digits and . - _ ~ / only)",
                         cfg->ack_url_base);
        return -1;
    }
    if (util_empty(cfg->ack_url_base) != util_empty(cfg->ack_key_file)) {
        *err = xstrdup("ack_url_base and ack_key_file go together: the links need the key, the "
                       "key is only for the links");
        return -1;
    }
    if (cfg->backoff_min_ms > cfg->backoff_max_ms) {
        *err = xasprintf(_("backoff_min_ms (%d) is larger than backoff_max_ms (%d)"),
                         cfg->backoff_min_ms, cfg->backoff_max_ms);
        return -1;
    }
    return 0;
}

/*
 * The link is put into Markdown, HTML and plain text as it is, by us, after the values were
 * escaped: so its base may hold nothing any of them would read as markup (no quote, bracket,
 * parenthesis, angle bracket, ampersand, blank or control character), and the tokens are
 * base64url. Then no escaping is needed and none can break the link.
 */
bool
ncfg_ack_base_valid(const char *base)
{
    const char *p = base;
    size_t host;

    if (strncmp(p, "https://", 8) == 0)
        p += 8;
    else if (strncmp(p, "http://", 7) == 0)
        p += 7;
    else
        return false;
    host = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
    if (host == 0)
        return false;
    p += host;
    if (*p == ':') {
        size_t port = strspn(p + 1, "0123456789");
        if (port == 0 || port > 5)
            return false;
        p += 1 + port;
    }
    if (*p != '\0' && *p != '/')
        return false;
    return strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_~/") ==
           strlen(p);
}

void
ncfg_reload(ncfg_t *to, const ncfg_t *from)
{
    conftab_reload(&ncfg_table, to, from);
}

void
ncfg_usage(FILE *out)
{
    fprintf(out, _("options of run (also keys of the [notify] section of the config file; * marks "
                   "those\nthat SIGHUP reloads):\n"));
    conftab_usage(&ncfg_table, out);
}

int
ncfg_load_secrets(ncfg_t *cfg, char **err)
{
    char line[1024];
    FILE *f;
    size_t n;

    if (util_empty(cfg->smtp_password_file))
        return 0;
    if (!util_empty(cfg->smtp_password)) {
        *err = xstrdup(_("smtp_password and smtp_password_file are both set: keep one"));
        return -1;
    }
    f = fopen(cfg->smtp_password_file, "re");
    if (f == NULL) {
        *err = xasprintf(_("smtp_password_file %s: %s"), cfg->smtp_password_file, strerror(errno));
        return -1;
    }
    if (fgets(line, sizeof(line), f) == NULL)
        line[0] = '\0';
    fclose(f);
    n = strcspn(line, "\r\n");
    line[n] = '\0';
    if (n == 0) {
        *err = xasprintf(_("smtp_password_file %s is empty"), cfg->smtp_password_file);
        return -1;
    }
    xstrset(&cfg->smtp_password, line);
    explicit_bzero(line, sizeof(line));
    return 0;
}
