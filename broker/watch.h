/*
 * watch: which department agents are alive. Every event or ping from a department counts as a
 * sign of life; one that falls silent for longer than the configured time is logged (and so
 * published) once as agent_silent, and as agent_back when it is heard again. Agents the broker
 * never heard from since it started are not watched.
 */
#ifndef PERMIT_WATCH_H
#define PERMIT_WATCH_H

#include <stdint.h>

#include "engine.h"

typedef struct watch watch_t;

watch_t *watch_new(void);
void watch_destroy(watch_t **p);

/* A sign of life from dept at now_ms; logs agent_back for a silent one. */
int watch_heard(watch_t *w, engine_t *en, const char *dept, int64_t now_ms, entry_list_t *out);
/* Log agent_silent for every agent quiet for longer than silent_ms. */
int watch_check(watch_t *w, engine_t *en, int64_t now_ms, int64_t silent_ms, entry_list_t *out);
/* When watch_check next has something to do (0: nothing watched). */
int64_t watch_next(const watch_t *w, int64_t silent_ms);
/*
 * The transaction holding the entries watch_heard and watch_check logged since the last call
 * committed (watch_commit) or was rolled back (watch_rollback): after a rollback the watch
 * believes again what the log says, so a silence or a return that was not logged is logged
 * the next time.
 */
void watch_commit(watch_t *w);
void watch_rollback(watch_t *w);

#endif
