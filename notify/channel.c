/*
 * channel: see channel.h. The dispatcher: one handler per channel kind.
 */
#include "channel.h"

#include <curl/curl.h>
#include <string.h>

#include "chan_cmd.h"
#include "chan_http.h"
#include "chan_smtp.h"
#include "util.h"

static const char *const names[CHAN__COUNT] = {"webhook", "wecom", "dingtalk", "email", "command"};

const char *
chan_name(chan_kind_t k)
{
    return (unsigned)k < CHAN__COUNT ? names[k] : "?";
}

int
chan_parse(const char *name, chan_kind_t *out)
{
    for (int k = 0; k < CHAN__COUNT; k++) {
        if (strcmp(names[k], name) == 0) {
            *out = (chan_kind_t)k;
            return 0;
        }
    }
    return -1;
}

const char *
chan_names(void)
{
    return "webhook, wecom, dingtalk, email, command";
}

char *
chan_redact_addr(const char *addr)
{
    const char *scheme = strstr(addr, "://"), *host, *at, *colon, *q;
    size_t len = strlen(addr), cap = len + 64, n = 0;
    char *out;

    if (scheme == NULL)
        return xstrdup(addr);
    out = xmalloc(cap);
    host = scheme + 3;
    at = strchr(host, '@');
    q = strchr(host, '?');
    /* user:password@host: only the password goes, the user says whose it is. */
    if (at != NULL && (q == NULL || at < q) && strcspn(host, "/") > (size_t)(at - host) &&
        (colon = memchr(host, ':', (size_t)(at - host))) != NULL) {
        n = (size_t)(colon - addr) + 1;
        memcpy(out, addr, n);
        memcpy(out + n, "***", 3);
        n += 3;
        addr = at;
    }
    q = strchr(addr, '?');
    for (const char *p = addr; *p != '\0'; p++) {
        if (n + 5 > cap)
            out = xrealloc(out, cap *= 2);
        out[n++] = *p;
        /* Inside the query, a value runs from '=' to the next '&' or '#'. */
        if (q != NULL && p > q && *p == '=') {
            memcpy(out + n, "***", 3);
            n += 3;
            p += strcspn(p + 1, "&#");
        }
    }
    out[n] = '\0';
    return out;
}

int
chan_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
chan_fini(void)
{
    curl_global_cleanup();
}

int
chan_send(const chan_msg_t *m, char **err)
{
    switch (m->chan) {
    case CHAN_WEBHOOK:
    case CHAN_WECOM:
    case CHAN_DINGTALK:
        return chan_http_send(m, err);
    case CHAN_EMAIL:
        return chan_smtp_send(m, err);
    case CHAN_COMMAND:
        return chan_cmd_send(m, err);
    case CHAN__COUNT:
        break;
    }
    *err = xasprintf("unknown channel %d", (int)m->chan);
    return -1;
}
