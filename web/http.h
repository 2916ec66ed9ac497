/*
 * http: permit-web's HTTP server, libmicrohttpd run from the caller's own poll loop, with a
 * route table and the request and response helpers every page, API, stream and (later) login
 * handler uses.
 *
 * Owns one MHD daemon in external-select mode over epoll: the loop puts http_poll_fd() in its
 * zmq_poll set with a timeout no longer than http_timeout_ms(), and calls http_run() when it is
 * readable or the timeout passed. Nothing blocks: a client that does not read is buffered by
 * the module that streams to it (sse.h), never waited for.
 *
 * Routes: (method, path, exact or prefix) -> handler, tried in the order added; the first
 * match answers. A path no route takes gets 404; a path taken for other methods, 405. Extra
 * handlers (login, ack links) are added with http_route() like the built-in ones.
 *
 * Every response carries the security headers (Content-Security-Policy without inline
 * script, frame-ancestors 'none', X-Content-Type-Options nosniff, Referrer-Policy
 * no-referrer).
 */
#ifndef PERMIT_HTTP_H
#define PERMIT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct http http_t;
/* One request, borrowed by its handler for the length of the call. */
typedef struct http_req http_req_t;
/* A connection held open by a stream (sse.h), for http_suspend/http_resume. */
typedef struct MHD_Connection http_conn_t;

/*
 * A handler answers with one of the http_reply* functions and returns 0; -1 closes the
 * connection without an answer (nothing could be queued).
 */
typedef int(http_handler_fn)(void *arg, http_req_t *req);

typedef enum http_match { HTTP_EXACT, HTTP_PREFIX } http_match_t;

/*
 * Listen on addr (a struct sockaddr) with at most max_clients connections at once (the rest
 * wait in the kernel's backlog). NULL with *err (caller owns) when the port cannot be bound.
 */
http_t *http_new(const void *addr, unsigned max_clients, char **err);
void http_destroy(http_t **p);

/* Add a route; method "GET" also takes HEAD. path is copied. */
void http_route(http_t *self, const char *method, const char *path, http_match_t match,
                http_handler_fn *fn, void *arg);

/* The fd to poll for reading, and the longest the loop may wait before http_run (-1: none). */
int http_poll_fd(const http_t *self);
int http_timeout_ms(http_t *self);
/* Do what is ready: accept, read requests, call handlers, write. */
void http_run(http_t *self);
/* The port actually bound (for listen ports of 0). */
unsigned http_port(const http_t *self);
/* Open connections. */
unsigned http_connections(const http_t *self);

/* The request: method, path (decoded, without the query), a query argument, a header. */
const char *http_req_method(const http_req_t *r);
const char *http_req_path(const http_req_t *r);
const char *http_req_arg(const http_req_t *r, const char *name);
const char *http_req_header(const http_req_t *r, const char *name);
/*
 * A field of the request's form body (application/x-www-form-urlencoded, at most 8 KiB; a
 * larger body is answered 413 before any handler), or NULL.
 */
const char *http_req_form(http_req_t *r, const char *name);
/*
 * The client's address as text into out: the peer's, or the X-Real-IP header's when the peer is
 * on loopback (the reverse proxy, which sets it: deploy/nginx/permit-web-locations.conf).
 */
void http_req_remote(const http_req_t *r, char *out, size_t len);
/* A header for the answer this handler is about to give (Set-Cookie, Location, Retry-After; at
 * most 4). Both strings are copied. */
void http_req_add_header(http_req_t *r, const char *name, const char *value);
/* The part of the path after a prefix route's path ("/p/" + "TL-1" -> "TL-1"). */
const char *http_req_rest(const http_req_t *r);
/* The language asked for: ?lang=en|zh, else Accept-Language's first of en/zh, else zh. */
bool http_req_english(const http_req_t *r);

/* Answer with a copy of body. */
int http_reply(http_req_t *r, unsigned status, const char *ctype, const void *body, size_t len);
/* Answer with body, which the response takes (free()d when sent). */
int http_reply_take(http_req_t *r, unsigned status, const char *ctype, char *body, size_t len);
/* Answer with a static buffer that outlives the daemon (the embedded bundle). */
int http_reply_static(http_req_t *r, unsigned status, const char *ctype, const void *body,
                      size_t len, const char *cache_control);
/* A short plain-text error page: "404 not found: /x". */
int http_reply_error(http_req_t *r, unsigned status, const char *what);

/* What an answer may carry besides the headers every answer has. */
typedef struct http_extra {
    const char *csp;         /* a Content-Security-Policy instead of the default one, or NULL */
    bool frame_same_origin;  /* our own pages may frame it (X-Frame-Options SAMEORIGIN) */
    const char *disposition; /* a Content-Disposition header, or NULL */
} http_extra_t;
/* http_reply_take with those. */
int http_reply_take_extra(http_req_t *r, unsigned status, const char *ctype, char *body, size_t len,
                          const http_extra_t *x);

/*
 * Answer later: the connection is suspended, and once http_resume(http_req_conn(r)) is called
 * the route's handler is called again for the same request (and answers then, or defers
 * again). For work done off the loop (a report built in a thread).
 */
int http_reply_later(http_req_t *r);

/*
 * A stream: `read` is called whenever the client can take more; it copies up to max bytes into
 * buf and returns their count, 0 after suspending the connection (http_suspend) when it has
 * nothing yet, or -1 to end the response (the connection closes). `done` is called once when
 * the connection is gone, whatever the reason.
 */
typedef ssize_t(http_read_fn)(void *arg, char *buf, size_t max);
typedef void(http_done_fn)(void *arg);
int http_reply_stream(http_req_t *r, const char *ctype, http_read_fn *read, http_done_fn *done,
                      void *arg);
/* The connection of a request, for a stream to suspend and resume. */
http_conn_t *http_req_conn(const http_req_t *r);
void http_suspend(http_conn_t *c);
void http_resume(http_conn_t *c);

#endif
