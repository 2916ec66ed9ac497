/*
 * webd: the permit-web daemon's loop. One thread, one zmq_poll over the follower's SUB socket,
 * libmicrohttpd's epoll fd and the signal pipe: each round folds the entries that arrived into
 * the views (views.h), wakes the live streams (sse.h), and lets the HTTP server (http.h) answer
 * whatever is ready. The broker's log is followed from the start (common/follow.h: catch up
 * over the query socket, then live, no gap, no duplicate), so a restart builds the same views.
 *
 * Routes: the pages (one embedded bundle, assets.h), /api/ and /metrics (api.h), /events
 * (sse.h). webd_http() hands out the server so other handlers (login, ack links) can be added
 * before webd_run().
 */
#ifndef PERMIT_WEBD_H
#define PERMIT_WEBD_H

#include "http.h"
#include "wcfg.h"

typedef struct webd webd_t;

/* cfg and zctx are borrowed. NULL with *err (caller owns) when the port or the follower cannot
 * be set up. */
webd_t *webd_new(const wcfg_t *cfg, void *zctx, char **err);
void webd_destroy(webd_t **p);

http_t *webd_http(webd_t *self);
/* The address to print: http://HOST:PORT/ (static storage until the next call). */
const char *webd_url(webd_t *self);

/* Run until a signal is pending (sigwake.h). 0, or -1 on a follower error. */
int webd_run(webd_t *self);
/* SIGHUP: the reloadable options (cfg was updated in place). */
void webd_reload(webd_t *self);

#endif
