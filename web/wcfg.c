/*
 * wcfg: see wcfg.h. The table below is the single definition of every option; common/conftab.c
 * reads it.
 */
#include "wcfg.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "eplist.h"
#include "log.h"
#include "util.h"
#include "wreport.h"
#include "zone.h"

#define T(name, field, def, reload, help)                                                          \
    {                                                                                              \
        name, CONFTAB_TEXT, offsetof(wcfg_t, field), def, 0, 0, reload, help, NULL, 0              \
    }
#define I(name, field, def, min, max, reload, help)                                                \
    {                                                                                              \
        name, CONFTAB_INT, offsetof(wcfg_t, field), def, min, max, reload, help, NULL, 0           \
    }

static const conftab_opt_t options[] = {
    T("query", query, "tcp://127.0.0.1:7403", false,
      "the broker's query endpoint, or several: EP1,EP2 (else $PERMIT_QUERY)"),
    T("publish", publish, "tcp://127.0.0.1:7402", false,
      "the broker's publish endpoint, or several, in the order of query (else $PERMIT_PUBLISH)"),
    I("silence_ms", silence_ms, "5000", 100, 3600000, false,
      "nothing published (not even a heartbeat) for this long: ask the broker, and move on to "
      "the next one of the lists if it does not answer"),
    I("query_timeout_ms", query_timeout_ms, "2000", 100, 600000, false,
      "a query unanswered for this long: the broker is away (the next one is tried)"),
    T("listen", listen, "127.0.0.1:7480", false,
      "the HTTP server's address, HOST:PORT ([::1]:7480 for IPv6; port 0: any free one, named in "
      "the ready line); public access goes through "
      "a reverse proxy (deploy/nginx/permit-web.conf)"),
    I("max_clients", max_clients, "2000", 8, 60000, false,
      "HTTP connections at once, live streams (/events) included; more wait in the backlog"),
    I("sse_buffer", sse_buffer, "262144", 4096, 67108864, true,
      "bytes a live stream may have unsent before it is closed (the browser reconnects and "
      "resumes from its Last-Event-ID)"),
    I("keep_entries", keep_entries, "100000", 100, 10000000, false,
      "log entries kept in memory for the ticker, the project history and resuming streams"),
    I("target_pct", target_pct, "80", 1, 100, true,
      "the completion rate (percent) the wall board measures against"),
    T("curve_secret", curve_secret, "", false,
      "CURVE: permit-web's key pair (permitctl keygen NAME --role viewer) (else "
      "$PERMIT_CURVE_SECRET; none: plain)"),
    T("broker_key", broker_key, "", false,
      "CURVE: the broker's public key file (else $PERMIT_BROKER_KEY)"),
    T("time_zone", time_zone, ZONE_DEFAULT, false,
      "the jurisdiction's time zone, as the broker's time_zone (else $PERMIT_TIME_ZONE): every "
      "time shown and the last hour of the ticker"),
    T("db", db, "", false,
      "the broker's database (a file, or a postgresql:// URI), opened read-only for the weekly "
      "report (/report), as permitctl report --db: permit-web then runs on the broker's "
      "machine; none: no report pages"),
    T("bulletin", bulletin, "", false,
      "the report's title block: a file with a [bulletin] section, as permitctl report "
      "--bulletin FILE"),
    T("broker", broker, "tcp://127.0.0.1:7401", false,
      "the broker's ingest endpoint, or several: EP1,EP2 (else $PERMIT_BROKER): an ack from a "
      "link or a page goes there as an alert_ack entry, with the same CURVE keys as the query "
      "connection"),
    T("web_users", web_users, "/etc/permit/web-users", true,
      "the accounts file (permitctl web-user add NAME --role ...), mode 0600; read again on "
      "SIGHUP, when the sessions of removed or changed accounts end"),
    T("ack_key_file", ack_key_file, "", true,
      "the ack links' key, the same file as permit-notify's ack_key_file (mode 0600); empty: "
      "/ack/ links answer 404 not configured"),
    T("cookie_secure", cookie_secure, "yes", false,
      "yes: the session cookie is sent over HTTPS only; no only for plain http on a loopback "
      "listen address (tests)"),
    {"log_level", CONFTAB_LEVEL, offsetof(wcfg_t, log_level), "info", 0, 0, true,
     "error, warn, info or debug", NULL, 0},
};

const conftab_t wcfg_table = {"web", options, ARRAY_LEN(options)};

void
wcfg_defaults(wcfg_t *cfg)
{
    static const conftab_env_t env[] = {
        {"query", "PERMIT_QUERY"},
        {"publish", "PERMIT_PUBLISH"},
        {"time_zone", "PERMIT_TIME_ZONE"},
        {"broker", "PERMIT_BROKER"},
    };
    char *err = NULL;

    conftab_defaults(&wcfg_table, cfg);
    /* Text options take any value: nothing here can be refused. */
    if (conftab_from_env(&wcfg_table, cfg, env, ARRAY_LEN(env), &err) < 0)
        fatalx("%s", err);
}

bool
wcfg_cookie_secure(const wcfg_t *cfg)
{
    return strcmp(cfg->cookie_secure, "no") != 0;
}

void
wcfg_clear(wcfg_t *cfg)
{
    conftab_clear(&wcfg_table, cfg);
}

int
wcfg_load_file(wcfg_t *cfg, const char *path, char **err)
{
    return conftab_load_file(&wcfg_table, cfg, path, err);
}

int
wcfg_listen_addr(const char *listen, void *ss, unsigned *sslen, char **err)
{
    const char *colon = strrchr(listen, ':');
    char host[128];
    size_t hlen;
    char *end;
    long port;

    if (colon == NULL)
        goto bad;
    port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || colon[1] == '\0' || port < 0 || port > 65535)
        goto bad;
    hlen = (size_t)(colon - listen);
    if (hlen >= 2 && listen[0] == '[' && listen[hlen - 1] == ']') {
        struct sockaddr_in6 *a = ss;
        if (hlen - 2 >= sizeof(host))
            goto bad;
        memcpy(host, listen + 1, hlen - 2);
        host[hlen - 2] = '\0';
        memset(a, 0, sizeof(*a));
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
            goto bad;
        *sslen = sizeof(*a);
        return 0;
    } else {
        struct sockaddr_in *a = ss;
        if (hlen >= sizeof(host))
            goto bad;
        memcpy(host, listen, hlen);
        host[hlen] = '\0';
        memset(a, 0, sizeof(*a));
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        if (hlen == 0)
            a->sin_addr.s_addr = htonl(INADDR_ANY);
        else if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
            goto bad;
        *sslen = sizeof(*a);
        return 0;
    }
bad:
    *err = xasprintf("listen: '%s' is not HOST:PORT with a numeric address (127.0.0.1:7480, "
                     "[::1]:7480)",
                     listen);
    return -1;
}

int
wcfg_check(const wcfg_t *cfg, char **err)
{
    struct sockaddr_storage ss;
    unsigned sslen;
    strv_t q = {0}, p = {0};
    char why[256];
    int rc = 0;

    if (conftab_check_required(&wcfg_table, cfg, err) < 0 || zone_check(cfg->time_zone, err) < 0 ||
        wreport_check(cfg->bulletin, err) < 0)
        return -1;
    if (wcfg_listen_addr(cfg->listen, &ss, &sslen, err) < 0)
        return -1;
    if (strcmp(cfg->cookie_secure, "yes") != 0 && strcmp(cfg->cookie_secure, "no") != 0) {
        *err = xasprintf("cookie_secure: '%s' is not yes or no", cfg->cookie_secure);
        return -1;
    }
    /* Without Secure a session cookie travels in clear text: only where nothing but this
     * machine can listen. */
    if (!wcfg_cookie_secure(cfg) &&
        (ss.ss_family == AF_INET
             ? (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) != 127
             : !IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr))) {
        *err = xasprintf("cookie_secure = no needs a loopback listen address, not %s", cfg->listen);
        return -1;
    }
    if (eplist_parse(cfg->query, &q, why, sizeof(why)) != 0) {
        *err = xasprintf("query: %s", why);
        rc = -1;
    } else if (eplist_parse(cfg->publish, &p, why, sizeof(why)) != 0) {
        *err = xasprintf("publish: %s", why);
        rc = -1;
    } else if (eplist_check("broker", cfg->broker, err) < 0) {
        rc = -1;
    } else if (q.n != p.n) {
        *err = xasprintf("%zu query endpoints but %zu publish endpoints: the lists name the same "
                         "brokers, pair by pair",
                         q.n, p.n);
        rc = -1;
    }
    strv_clear(&q);
    strv_clear(&p);
    return rc;
}

void
wcfg_reload(wcfg_t *to, const wcfg_t *from)
{
    conftab_reload(&wcfg_table, to, from);
}

void
wcfg_usage(FILE *out)
{
    fprintf(out, "options (also keys of the [web] section of the config file; * marks those\nthat "
                 "SIGHUP reloads):\n");
    conftab_usage(&wcfg_table, out);
}
