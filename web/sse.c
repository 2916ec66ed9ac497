/*
 * sse: see sse.h.
 */
#include "sse.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "log.h"
#include "util.h"

#define KEEPALIVE_MS 15000
/* The browser's reconnection delay after the stream ends (a restart of permit-web). */
#define RETRY_MS 500

typedef struct client {
    sse_t *owner;
    http_conn_t *conn;
    struct client *prev, *next;
    char *buf;
    size_t len, off;
    uint64_t cursor; /* the last sequence number rendered into buf */
    bool suspended;
    bool closing;
} client_t;

struct sse {
    const views_t *views;
    size_t buffer;
    client_t *clients;
    size_t n;
    uint64_t resets;
    int64_t last_tick;
    bool stopping;
};

sse_t *
sse_new(const views_t *views, size_t buffer)
{
    sse_t *self = xcalloc(1, sizeof(*self));

    self->views = views;
    self->buffer = buffer;
    return self;
}

void
sse_destroy(sse_t **p)
{
    sse_t *self = p != NULL ? *p : NULL;

    if (self == NULL)
        return;
    if (self->n != 0)
        log_warnx(_("sse: %zu streams still open at exit"), self->n);
    free(self);
    *p = NULL;
}

void
sse_set_buffer(sse_t *self, size_t buffer)
{
    self->buffer = buffer;
}

size_t
sse_count(const sse_t *self)
{
    return self->n;
}

uint64_t
sse_resets(const sse_t *self)
{
    return self->resets;
}

static void
append(client_t *c, const char *s, size_t n)
{
    if (c->off > 0 && c->off == c->len)
        c->off = c->len = 0;
    c->buf = xrealloc(c->buf, c->len + n + 1);
    memcpy(c->buf + c->len, s, n);
    c->len += n;
}

/*
 * Render what follows the client's cursor into its buffer, up to the buffer's size (one event
 * at least, however long). The entries come from the ring, so nothing was copied for a client
 * before it could take it.
 */
static void
fill(client_t *c)
{
    const views_t *v = c->owner->views;
    size_t n = views_nentries(v), i;

    if (n == 0 || views_head(v) <= c->cursor)
        return;
    if (views_entry(v, 0)->seq > c->cursor + 1) {
        char line[96];
        int len = snprintf(line, sizeof(line), "event: reset\ndata: %" PRIu64 "\n\n",
                           views_entry(v, 0)->seq);
        append(c, line, (size_t)len);
        c->owner->resets++;
    }
    for (i = views_after(v, c->cursor); i < n && c->len - c->off < c->owner->buffer; i++) {
        const ventry_t *e = views_entry(v, i);
        char head[48];
        int len = snprintf(head, sizeof(head), "id: %" PRIu64 "\ndata: ", e->seq);
        append(c, head, (size_t)len);
        append(c, e->json, strlen(e->json));
        append(c, "\n\n", 2);
        c->cursor = e->seq;
    }
}

static ssize_t
client_read(void *arg, char *buf, size_t max)
{
    client_t *c = arg;
    size_t n;

    if (c->closing)
        return -1;
    if (c->off == c->len)
        fill(c);
    if (c->off == c->len) {
        /* Nothing to send: leave the loop alone until sse_wake or the keep-alive. */
        c->suspended = true;
        http_suspend(c->conn);
        return 0;
    }
    n = c->len - c->off < max ? c->len - c->off : max;
    memcpy(buf, c->buf + c->off, n);
    c->off += n;
    return (ssize_t)n;
}

static void
client_done(void *arg)
{
    client_t *c = arg;
    sse_t *self = c->owner;

    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        self->clients = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    self->n--;
    free(c->buf);
    free(c);
}

static void
resume(client_t *c)
{
    if (c->suspended) {
        c->suspended = false;
        http_resume(c->conn);
    }
}

/* A number from a header or an argument: digits only, else none. */
static int
parse_seq(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

int
sse_handle(void *arg, http_req_t *req)
{
    sse_t *self = arg;
    client_t *c;
    char hello[64];
    int len;

    if (self->stopping)
        return http_reply_error(req, 503, "stopping");
    c = xcalloc(1, sizeof(*c));
    c->owner = self;
    c->conn = http_req_conn(req);
    if (parse_seq(http_req_header(req, "Last-Event-ID"), &c->cursor) < 0 &&
        parse_seq(http_req_arg(req, "after"), &c->cursor) < 0)
        c->cursor = views_head(self->views);
    len = snprintf(hello, sizeof(hello), "retry: %d\n\n", RETRY_MS);
    append(c, hello, (size_t)len);
    c->next = self->clients;
    if (c->next != NULL)
        c->next->prev = c;
    self->clients = c;
    self->n++;
    return http_reply_stream(req, "text/event-stream; charset=utf-8", client_read, client_done, c);
}

void
sse_wake(sse_t *self)
{
    uint64_t head = views_head(self->views);

    for (client_t *c = self->clients; c != NULL; c = c->next)
        if (c->cursor < head)
            resume(c);
}

void
sse_tick(sse_t *self, int64_t now)
{
    if (now - self->last_tick < KEEPALIVE_MS)
        return;
    self->last_tick = now;
    for (client_t *c = self->clients; c != NULL; c = c->next) {
        if (c->len - c->off < self->buffer)
            append(c, ":\n\n", 3);
        resume(c);
    }
}

void
sse_shutdown(sse_t *self)
{
    self->stopping = true;
    for (client_t *c = self->clients; c != NULL; c = c->next) {
        c->closing = true;
        resume(c);
    }
}
