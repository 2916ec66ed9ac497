/*
 * watch: which department agents are alive. An agent daemon pings its broker: its first ping
 * starts the watch of its department, and from then on every ping or event from it counts as
 * a sign of life. One that falls silent for longer than the configured time is logged (and so
 * published) once as agent_silent, and as agent_back when it is heard again. An event alone
 * never starts a watch: a one-shot `permit-agent send` is no agent the broker should expect
 * to hear from again. Departments whose agent never pinged since the broker started are not
 * watched.
 */
#ifndef PERMIT_WATCH_H
#define PERMIT_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

typedef struct watch watch_t;

watch_t *watch_new(void);
void watch_destroy(watch_t **p);

/*
 * A sign of life from dept at now_ms; logs agent_back for a silent one. ping: it is an agent
 * daemon's ping, which starts watching dept; otherwise (an event) only a watched dept is
 * refreshed.
 */
int watch_heard(watch_t *w, engine_t *en, const char *dept, bool ping, int64_t now_ms,
                entry_list_t *out);
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
