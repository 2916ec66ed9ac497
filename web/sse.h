/*
 * sse: the live stream /events (Server-Sent Events): every log entry as one event whose id is
 * its sequence number and whose data is its JSON line, in order, from where the client stands.
 *
 * A client's place is its cursor: the Last-Event-ID header a reconnecting browser sends, else
 * ?after=SEQ, else the head (only what comes next). Events are rendered from the views' ring
 * (views.h) when the client can take them, a buffer of at most sse_buffer bytes at a time, so
 * the loop never copies anything for a client that does not read: such a client costs its
 * buffer and its socket until libmicrohttpd's timeout closes it. A client whose cursor fell out
 * of the ring gets an event "reset" (data: the first sequence number still held) and goes on
 * from there: the page reloads its figures. A client with nothing to send is suspended and
 * resumed by sse_wake() when entries arrive; every 15 s a comment line keeps proxies and the
 * connection-timeout from closing a quiet stream and finds clients that went away.
 */
#ifndef PERMIT_SSE_H
#define PERMIT_SSE_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "views.h"

typedef struct sse sse_t;

/* The views are borrowed and outlive the streams. */
sse_t *sse_new(const views_t *views, size_t buffer);
/* Only after sse_shutdown and http_destroy (which ends every stream). */
void sse_destroy(sse_t **p);
void sse_set_buffer(sse_t *self, size_t buffer);

/* The route handler of /events (arg: the sse_t). */
int sse_handle(void *arg, http_req_t *req);

/* Entries were folded: wake the streams waiting for them. */
void sse_wake(sse_t *self);
/* The periodic chore: keep-alive comments. now is monotonic ms. */
void sse_tick(sse_t *self, int64_t now);
/* Stopping: every stream ends at its next read; run the HTTP loop once after this. */
void sse_shutdown(sse_t *self);

size_t sse_count(const sse_t *self);
/* Streams that got a reset (their cursor was older than the ring). */
uint64_t sse_resets(const sse_t *self);

#endif
