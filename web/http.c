/*
 * http: see http.h.
 */
#include "http.h"

#include <arpa/inet.h>
#include <assert.h>
#include <microhttpd.h>
#include <netinet/in.h>
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
/* A form's body (login, logout, an ack's confirmation) is a few hundred bytes; more is refused
 * (413) without being kept. */
#define BODY_MAX 8192
/* Response headers a handler may add (Set-Cookie, Location, Retry-After). */
#define EXTRA_MAX 4

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

/* A request with a body (POST): what arrived of it, kept until the request completes. */
typedef struct body {
    char *buf;
    size_t len;
    bool too_big;
    char **form; /* name, value, name, value, ...: decoded on first use */
    size_t nform;
    bool parsed;
} body_t;

struct http_req {
    http_t *http;
    struct MHD_Connection *conn;
    const char *method;
    const char *path;
    const char *rest;
    bool queued;
    bool later;   /* suspended by http_reply_later */
    body_t *body; /* NULL for requests without one */
    char *extra[EXTRA_MAX][2];
    size_t nextra;
};

/* Any non-NULL marker in a bodyless request's con_cls: "the headers were seen". */
static int first_seen;

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
    for (size_t i = 0; i < r->nextra; i++)
        MHD_add_response_header(resp, r->extra[i][0], r->extra[i][1]);
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

/* One application/x-www-form-urlencoded part, decoded in place: '+' is a space, then %XX. */
static char *
form_decode(char *s)
{
    for (char *c = s; *c != '\0'; c++)
        if (*c == '+')
            *c = ' ';
    s[MHD_http_unescape(s)] = '\0';
    return s;
}

static void
form_parse(body_t *b)
{
    char *save = NULL;

    b->parsed = true;
    if (b->buf == NULL)
        return;
    for (char *part = strtok_r(b->buf, "&", &save); part != NULL;
         part = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(part, '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        b->form = xrealloc(b->form, (b->nform + 2) * sizeof(*b->form));
        b->form[b->nform++] = form_decode(part);
        b->form[b->nform++] = form_decode(eq + 1);
    }
}

const char *
http_req_form(http_req_t *r, const char *name)
{
    if (r->body == NULL || r->body->too_big)
        return NULL;
    if (!r->body->parsed)
        form_parse(r->body);
    for (size_t i = 0; i + 1 < r->body->nform; i += 2)
        if (strcmp(r->body->form[i], name) == 0)
            return r->body->form[i + 1];
    return NULL;
}

void
http_req_remote(const http_req_t *r, char *out, size_t len)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = info != NULL ? info->client_addr : NULL;
    const char *real = http_req_header(r, "X-Real-IP");
    bool loopback = false;

    snprintf(out, len, "?");
    if (sa != NULL && sa->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &a->sin_addr, out, (socklen_t)len);
        loopback = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    } else if (sa != NULL && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &a->sin6_addr, out, (socklen_t)len);
        loopback = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
    }
    /* Behind the proxy every peer is the proxy on loopback: its X-Real-IP names the client.
     * Only a process on this machine could forge it, and it could log in from here anyway. */
    if (loopback && real != NULL && real[0] != '\0' && strlen(real) < len &&
        strspn(real, "0123456789abcdefABCDEF.:") == strlen(real))
        snprintf(out, len, "%s", real);
}

void
http_req_add_header(http_req_t *r, const char *name, const char *value)
{
    assert(r->nextra < EXTRA_MAX);
    r->extra[r->nextra][0] = xstrdup(name);
    r->extra[r->nextra][1] = xstrdup(value);
    r->nextra++;
}

static void
req_clear(http_req_t *r)
{
    for (size_t i = 0; i < r->nextra; i++) {
        free(r->extra[i][0]);
        free(r->extra[i][1]);
    }
    r->nextra = 0;
}

static void
body_free(body_t *b)
{
    free(b->buf);
    free(b->form);
    free(b);
}

/* MHD: a request ended (answered, or the connection went): its body goes. */
static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)conn;
    (void)code;
    if (*con_cls != NULL && *con_cls != &first_seen)
        body_free(*con_cls);
    *con_cls = NULL;
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

static enum MHD_Result
dispatch(http_t *self, http_req_t *r, const char *url, const char *method)
{
    bool path_known = false;

    if (r->body != NULL && r->body->too_big)
        return http_reply_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large") == 0
                   ? MHD_YES
                   : MHD_NO;
    for (size_t i = 0; i < self->n; i++) {
        const route_t *rt = &self->routes[i];
        if (!route_matches(rt, NULL, url))
            continue;
        path_known = true;
        if (!route_matches(rt, method, url))
            continue;
        r->rest = url + rt->len;
        if (rt->fn(rt->arg, r) < 0 || !(r->queued || r->later))
            return MHD_NO;
        return MHD_YES;
    }
    if (path_known)
        return http_reply_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed") == 0 ? MHD_YES
                                                                                           : MHD_NO;
    return http_reply_error(r, MHD_HTTP_NOT_FOUND, "not found") == 0 ? MHD_YES : MHD_NO;
}

/*
 * MHD's access handler: the first call has the headers; a request with a body (POST) gets a
 * body_t that the next calls fill; the call with nothing more to upload dispatches.
 */
static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
    http_t *self = cls;
    http_req_t r = {self, conn, method, url, "", false, false, NULL, {{0}}, 0};
    enum MHD_Result rc;

    (void)version;
    if (*con_cls == NULL) {
        /* Headers only so far: answer on the next call, when a body (if any) has been seen. */
        bool bodyless = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
        *con_cls = bodyless ? (void *)&first_seen : xcalloc(1, sizeof(body_t));
        return MHD_YES;
    }
    if (*con_cls != &first_seen)
        r.body = *con_cls;
    if (*upload_size > 0) {
        /* A GET's body is ignored; a POST's is kept up to BODY_MAX, the rest refused. */
        if (r.body != NULL && !r.body->too_big) {
            if (r.body->len + *upload_size > BODY_MAX) {
                r.body->too_big = true;
            } else {
                r.body->buf = xrealloc(r.body->buf, r.body->len + *upload_size + 1);
                memcpy(r.body->buf + r.body->len, upload_data, *upload_size);
                r.body->len += *upload_size;
                r.body->buf[r.body->len] = '\0';
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    rc = dispatch(self, &r, url, method);
    req_clear(&r);
    return rc;
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
        (unsigned)CONN_TIMEOUT_S, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
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
