/*
 * http: see http.h.
 */
#include "http.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "util.h"

/* The one policy for every answer: our own scripts and styles only, never framed. */
#define CSP "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"
/* A request's head and its buffers; a few KiB is plenty for GETs, and 1,000 streams stay
 * small. */
#define CONN_MEMORY (16 * 1024)
/* An idle keep-alive connection is closed after this (streams send a comment more often). */
#define CONN_TIMEOUT_S 60

typedef struct route {
    char *method;
    char *path;
    size_t len;
    http_match_t match;
    http_handler_fn *fn;
    void *arg;
} route_t;

struct http {
    struct MHD_Daemon *d;
    route_t *routes;
    size_t n, cap;
};

struct http_req {
    http_t *http;
    struct MHD_Connection *conn;
    const char *method;
    const char *path;
    const char *rest;
    bool queued;
    bool later; /* suspended by http_reply_later */
};

typedef struct stream {
    http_read_fn *read;
    http_done_fn *done;
    void *arg;
} stream_t;

static void
add_headers(struct MHD_Response *resp, const char *ctype, const http_extra_t *x)
{
    MHD_add_response_header(resp, "Content-Security-Policy",
                            x != NULL && x->csp != NULL ? x->csp : CSP);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "X-Frame-Options",
                            x != NULL && x->frame_same_origin ? "SAMEORIGIN" : "DENY");
    if (x != NULL && x->disposition != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, x->disposition);
    if (ctype != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
}

static int
queue_extra(http_req_t *r, unsigned status, struct MHD_Response *resp, const char *ctype,
            const http_extra_t *x)
{
    enum MHD_Result ok;

    if (resp == NULL)
        return -1;
    add_headers(resp, ctype, x);
    ok = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    if (ok != MHD_YES)
        return -1;
    r->queued = true;
    return 0;
}

static int
queue(http_req_t *r, unsigned status, struct MHD_Response *resp, const char *ctype)
{
    return queue_extra(r, status, resp, ctype, NULL);
}

int
http_reply(http_req_t *r, unsigned status, const char *ctype, const void *body, size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);

    if (resp != NULL)
        MHD_add_response_header(resp, "Cache-Control", "no-store");
    return queue(r, status, resp, ctype);
}

int
http_reply_take(http_req_t *r, unsigned status, const char *ctype, char *body, size_t len)
{
    return http_reply_take_extra(r, status, ctype, body, len, NULL);
}

int
http_reply_take_extra(http_req_t *r, unsigned status, const char *ctype, char *body, size_t len,
                      const http_extra_t *x)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);

    if (resp == NULL) {
        free(body);
        return -1;
    }
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    return queue_extra(r, status, resp, ctype, x);
}

int
http_reply_later(http_req_t *r)
{
    MHD_suspend_connection(r->conn);
    r->later = true;
    return 0;
}

int
http_reply_static(http_req_t *r, unsigned status, const char *ctype, const void *body, size_t len,
                  const char *cache_control)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT);

    if (resp != NULL && cache_control != NULL)
        MHD_add_response_header(resp, "Cache-Control", cache_control);
    return queue(r, status, resp, ctype);
}

int
http_reply_error(http_req_t *r, unsigned status, const char *what)
{
    /* The path is the client's: text/plain with nosniff, never HTML. */
    char *body = xasprintf("%u %s\n", status, what);

    return http_reply_take(r, status, "text/plain; charset=utf-8", body, strlen(body));
}

static ssize_t
stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    stream_t *s = cls;
    ssize_t n;

    (void)pos;
    n = s->read(s->arg, buf, max);
    return n < 0 ? MHD_CONTENT_READER_END_WITH_ERROR : n;
}

static void
stream_free(void *cls)
{
    stream_t *s = cls;

    s->done(s->arg);
    free(s);
}

int
http_reply_stream(http_req_t *r, const char *ctype, http_read_fn *read, http_done_fn *done,
                  void *arg)
{
    stream_t *s = xcalloc(1, sizeof(*s));
    struct MHD_Response *resp;

    s->read = read;
    s->done = done;
    s->arg = arg;
    resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, s, stream_free);
    if (resp == NULL) {
        done(arg);
        free(s);
        return -1;
    }
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    /* nginx: do not buffer the stream (deploy/nginx/permit-web.conf says so too). */
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    return queue(r, MHD_HTTP_OK, resp, ctype);
}

http_conn_t *
http_req_conn(const http_req_t *r)
{
    return r->conn;
}

void
http_suspend(http_conn_t *c)
{
    MHD_suspend_connection(c);
}

void
http_resume(http_conn_t *c)
{
    MHD_resume_connection(c);
}

const char *
http_req_method(const http_req_t *r)
{
    return r->method;
}

const char *
http_req_path(const http_req_t *r)
{
    return r->path;
}

const char *
http_req_rest(const http_req_t *r)
{
    return r->rest;
}

const char *
http_req_arg(const http_req_t *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *
http_req_header(const http_req_t *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/* Where the two letters of a language tag first appear in a header, any case; NULL if never. */
static const char *
find_tag(const char *s, const char *tag)
{
    for (; s != NULL && *s != '\0'; s++)
        if (strncasecmp(s, tag, 2) == 0)
            return s;
    return NULL;
}

bool
http_req_english(const http_req_t *r)
{
    const char *lang = http_req_arg(r, "lang"), *al;
    const char *en, *zh;

    if (lang != NULL)
        return strncasecmp(lang, "en", 2) == 0;
    al = http_req_header(r, "Accept-Language");
    if (al == NULL)
        return false;
    /* The first of the two a browser lists wins; quality values are listed in order anyway. */
    en = find_tag(al, "en");
    zh = find_tag(al, "zh");
    return en != NULL && (zh == NULL || en < zh);
}

static bool
route_matches(const route_t *rt, const char *method, const char *path)
{
    if (rt->match == HTTP_EXACT ? strcmp(path, rt->path) != 0
                                : strncmp(path, rt->path, rt->len) != 0)
        return false;
    return method == NULL || strcmp(method, rt->method) == 0 ||
           (strcmp(method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0);
}

/* MHD's access handler: the first call of a request dispatches it (GETs have no body). */
static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
    http_t *self = cls;
    http_req_t r = {self, conn, method, url, "", false, false};
    static int first; /* any non-NULL marker: "the headers were seen" */
    bool path_known = false;

    (void)version;
    (void)upload_data;
    if (*con_cls == NULL) {
        /* Headers only so far: answer on the next call, when a body (if any) has been seen. */
        *con_cls = &first;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        *upload_size = 0; /* read-only routes ignore bodies; login forms parse their own */
        return MHD_YES;
    }
    for (size_t i = 0; i < self->n; i++) {
        const route_t *rt = &self->routes[i];
        if (!route_matches(rt, NULL, url))
            continue;
        path_known = true;
        if (!route_matches(rt, method, url))
            continue;
        r.rest = url + rt->len;
        if (rt->fn(rt->arg, &r) < 0 || !(r.queued || r.later))
            return MHD_NO;
        return MHD_YES;
    }
    if (path_known)
        return http_reply_error(&r, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed") == 0
                   ? MHD_YES
                   : MHD_NO;
    return http_reply_error(&r, MHD_HTTP_NOT_FOUND, "not found") == 0 ? MHD_YES : MHD_NO;
}

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char buf[512];

    (void)cls;
    vsnprintf(buf, sizeof(buf), fmt, ap);
    buf[strcspn(buf, "\n")] = '\0';
    log_debug("http: %s", buf);
}

http_t *
http_new(const void *addr, unsigned max_clients, char **err)
{
    http_t *self = xcalloc(1, sizeof(*self));

    /* External select over epoll: one fd for the caller's poll set, however many clients. */
    self->d = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request,
        self, MHD_OPTION_SOCK_ADDR, addr, MHD_OPTION_CONNECTION_LIMIT, max_clients,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)CONN_TIMEOUT_S, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_END);
    if (self->d == NULL) {
        *err = xstrdup("cannot listen (address in use, or not ours?)");
        free(self);
        return NULL;
    }
    return self;
}

void
http_destroy(http_t **p)
{
    http_t *self = p != NULL ? *p : NULL;

    if (self == NULL)
        return;
    if (self->d != NULL)
        MHD_stop_daemon(self->d);
    for (size_t i = 0; i < self->n; i++) {
        free(self->routes[i].method);
        free(self->routes[i].path);
    }
    free(self->routes);
    free(self);
    *p = NULL;
}

void
http_route(http_t *self, const char *method, const char *path, http_match_t match,
           http_handler_fn *fn, void *arg)
{
    route_t *rt;

    if (self->n == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 16;
        self->routes = xgrow(self->routes, self->cap, sizeof(*self->routes));
    }
    rt = &self->routes[self->n++];
    rt->method = xstrdup(method);
    rt->path = xstrdup(path);
    rt->len = strlen(path);
    rt->match = match;
    rt->fn = fn;
    rt->arg = arg;
}

int
http_poll_fd(const http_t *self)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(self->d, MHD_DAEMON_INFO_EPOLL_FD);

    return info != NULL ? info->epoll_fd : -1;
}

int
http_timeout_ms(http_t *self)
{
    MHD_UNSIGNED_LONG_LONG t;

    if (MHD_get_timeout(self->d, &t) != MHD_YES)
        return -1;
    return t > 60000 ? 60000 : (int)t;
}

void
http_run(http_t *self)
{
    MHD_run(self->d);
}

unsigned
http_port(const http_t *self)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(self->d, MHD_DAEMON_INFO_BIND_PORT);

    return info != NULL ? info->port : 0;
}

unsigned
http_connections(const http_t *self)
{
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(self->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

    return info != NULL ? info->num_connections : 0;
}
