/*
 * api: the read-only JSON API under /api/ and the Prometheus text at /metrics (docs/web.md
 * lists every document and field).
 *
 * The board's figures (completion rates by region and department, counts by colour, the
 * ticker) come from the views in memory; the project's procedures with their deadlines,
 * working days, blockers and critical path, and the blocked and overdue lists, come from the
 * broker's query socket (PM_MSG_STATUS_REQ, PM_MSG_LIST_REQ), the answers `permitctl status`,
 * `blocked` and `overdue` print, with the same filters. Labels of states, colours and kinds are
 * common/model.h's (pm_*_label) in the language asked for.
 */
#ifndef PERMIT_API_H
#define PERMIT_API_H

#include <stdint.h>

#include "client.h"
#include "http.h"
#include "views.h"
#include "wcfg.h"

typedef struct api api_t;

/* Everything borrowed; it outlives the api. */
api_t *api_new(const views_t *views, client_t *query, const wcfg_t *cfg);
void api_destroy(api_t **p);

/* Add the /api/... and /metrics routes. */
void api_routes(api_t *self, http_t *http);

/* The broker's head as the follower last heard it (follow_broker_head), for /metrics. */
void api_note_broker_head(api_t *self, uint64_t head);
/* Counters the loop keeps, shown in /metrics. */
void api_note_stream_count(api_t *self, size_t streams, uint64_t resets);

#endif
