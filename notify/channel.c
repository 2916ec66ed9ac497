/*
 * channel: see channel.h. The dispatcher: one handler per channel kind.
 */
#include "channel.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <sys/select.h>
#include <string.h>

#include "chan_cmd.h"
#include "chan_http.h"
#include "chan_smtp.h"
#include "i18n.h"
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

struct chan_pool {
    CURLM *multi;
    chan_xfer_t **v; /* in flight */
    size_t n, cap;
};

char *
chan_dest(const char *chan, const char *addr)
{
    return xasprintf("%s %s", chan, addr);
}

chan_pool_t *
chan_pool_new(void)
{
    chan_pool_t *pool = xcalloc(1, sizeof(*pool));

    pool->multi = curl_multi_init();
    if (pool->multi == NULL) {
        free(pool);
        return NULL;
    }
    return pool;
}

static void
xfer_free(chan_pool_t *pool, chan_xfer_t *x)
{
    curl_multi_remove_handle(pool->multi, x->easy);
    curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->list);
    free(x->body);
    free(x->dest);
    free(x);
}

void
chan_pool_destroy(chan_pool_t **p)
{
    chan_pool_t *pool = p != NULL ? *p : NULL;

    if (pool == NULL)
        return;
    for (size_t i = 0; i < pool->n; i++)
        xfer_free(pool, pool->v[i]);
    free(pool->v);
    curl_multi_cleanup(pool->multi);
    free(pool);
    *p = NULL;
}

int
chan_pool_start(chan_pool_t *pool, const chan_msg_t *m, int64_t tag, char **err)
{
    chan_xfer_t *x;

    if (m->chan == CHAN_COMMAND || (unsigned)m->chan >= CHAN__COUNT) {
        *err = xasprintf(_("channel %s is not sent by the pool"), chan_name(m->chan));
        return -1;
    }
    x = xcalloc(1, sizeof(*x));
    x->easy = curl_easy_init();
    if (x->easy == NULL) {
        free(x);
        *err = xstrdup("curl_easy_init failed");
        return -1;
    }
    x->chan = m->chan;
    x->tag = tag;
    x->dest = chan_dest(chan_name(m->chan), m->addr);
    x->want_ack = m->acked_by != NULL;
    if (m->chan == CHAN_EMAIL) {
        if (chan_smtp_setup(x, m, err) < 0) {
            xfer_free(pool, x);
            return -1;
        }
    } else {
        chan_http_setup(x, m);
    }
    /* The deadline of this one request, whatever the others do. */
    curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, (long)m->timeout_ms);
    curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->cerr);
    curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
    if (curl_multi_add_handle(pool->multi, x->easy) != CURLM_OK) {
        xfer_free(pool, x);
        *err = xstrdup("curl_multi_add_handle failed");
        return -1;
    }
    if (pool->n == pool->cap) {
        pool->cap = pool->cap ? pool->cap * 2 : 16;
        pool->v = xrealloc(pool->v, pool->cap * sizeof(*pool->v));
    }
    pool->v[pool->n++] = x;
    return 0;
}

size_t
chan_pool_count(const chan_pool_t *pool)
{
    return pool->n;
}

bool
chan_pool_busy(const chan_pool_t *pool, const char *dest)
{
    for (size_t i = 0; i < pool->n; i++)
        if (strcmp(pool->v[i]->dest, dest) == 0)
            return true;
    return false;
}

static void
finish(chan_pool_t *pool, chan_xfer_t *x, CURLcode cc, chan_done_fn *fn, void *arg)
{
    char *err = NULL, *acked_by = NULL;
    chan_done_t d = {.tag = x->tag, .dest = x->dest};

    d.rc = x->chan == CHAN_EMAIL ? chan_smtp_finish(x, cc, &err)
                                 : chan_http_finish(x, cc, &err, &acked_by);
    d.err = err;
    d.acked_by = acked_by;
    fn(arg, &d);
    free(err);
    free(acked_by);
    for (size_t i = 0; i < pool->n; i++) {
        if (pool->v[i] == x) {
            pool->v[i] = pool->v[--pool->n];
            break;
        }
    }
    xfer_free(pool, x);
}

void
chan_pool_step(chan_pool_t *pool, int wait_ms, chan_done_fn *fn, void *arg)
{
    CURLMsg *msg;
    int running = 0, left = 0;

    if (pool->n == 0)
        return;
    if (wait_ms > 0)
        curl_multi_poll(pool->multi, NULL, 0, wait_ms, NULL);
    curl_multi_perform(pool->multi, &running);
    while ((msg = curl_multi_info_read(pool->multi, &left)) != NULL) {
        chan_xfer_t *x = NULL;
        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        finish(pool, x, msg->data.result, fn, arg);
    }
}

size_t
chan_pool_fds(chan_pool_t *pool, chan_pollfd_t *out, size_t max, long *timeout_ms)
{
    fd_set rd, wr, ex;
    int maxfd = -1;
    size_t n = 0;

    *timeout_ms = -1;
    if (pool->n == 0)
        return 0;
    FD_ZERO(&rd);
    FD_ZERO(&wr);
    FD_ZERO(&ex);
    if (curl_multi_fdset(pool->multi, &rd, &wr, &ex, &maxfd) != CURLM_OK ||
        curl_multi_timeout(pool->multi, timeout_ms) != CURLM_OK) {
        *timeout_ms = -1;
        return 0;
    }
    for (int fd = 0; fd <= maxfd && n < max; fd++) {
        bool in = FD_ISSET(fd, &rd) || FD_ISSET(fd, &ex), wout = FD_ISSET(fd, &wr);
        if (in || wout)
            out[n++] = (chan_pollfd_t){.fd = fd, .in = in, .out = wout};
    }
    return n;
}
