/*
 * engine: the dependency engine. Owns the rules that turn events into state: validation of
 * department events and imports, the fold that applies a log entry to the state tables, and
 * the derivation of unblocked/blocked/milestone entries.
 *
 * The state tables are a function of the log: engine_apply() is the only code that writes
 * them, and it is used both live (right after an entry is appended) and by engine_rebuild()
 * and engine_catch_up(). Applying an entry whose effect the tables have changes nothing.
 * Derived entries are appended to the log like any other, so a rebuild replays them instead
 * of re-deriving them.
 *
 * All calls that write expect the caller to hold an open store transaction. A refused
 * submission appends nothing.
 */
#ifndef PERMIT_ENGINE_H
#define PERMIT_ENGINE_H

#include <stdint.h>

#include "clock.h"
#include "model.h"
#include "store.h"

typedef struct engine engine_t;

/* The entries one submission appended, in sequence order; owned by the list. */
typedef struct entry_list {
    pm_entry_t **v;
    size_t n;
} entry_list_t;

void entry_list_push(entry_list_t *l, pm_entry_t **e);
void entry_list_clear(entry_list_t *l);

/* Settings of the rules (from the broker's config). */
typedef struct engine_cfg {
    clock_cfg_t clock;
    int64_t late_after_ms; /* flag events claimed this long before they arrived */
} engine_cfg_t;

void engine_cfg_defaults(engine_cfg_t *cfg);

/* The store is borrowed and must outlive the engine. cfg NULL: the defaults. */
engine_t *engine_new(store_t *store, const engine_cfg_t *cfg);
void engine_set_config(engine_t *en, const engine_cfg_t *cfg);
void engine_destroy(engine_t **p);

/*
 * Validate and apply a department event (msg type PM_MSG_EVENT) or an import
 * (PM_MSG_IMPORT) received at now_ms. Fills *reply with an ack (appending the resulting
 * entries to `appended`) or a nack (appending nothing) and returns 0; returns -1 on a storage
 * failure, after which the caller must roll back.
 */
int engine_submit(engine_t *en, const pm_msg_t *msg, int64_t now_ms, entry_list_t *appended,
                  pm_reply_t *reply);

/* Apply one logged entry's effect to the state tables. An entry whose effect they have already
 * (a replay that starts before what they lack) changes nothing. */
int engine_apply(engine_t *en, const pm_entry_t *entry);

/* Recompute every state table from the log, in one transaction. *count = entries replayed. */
int engine_rebuild(engine_t *en, uint64_t *count);
/*
 * Bring the state tables up to the log when they are behind it (store_replay_from: laid out
 * anew, or left behind by a broker that held rows when it stopped), in one transaction: the log
 * from *from on is replayed, what the tables have already is skipped. *from 0: they were
 * current. *count = entries replayed.
 */
int engine_catch_up(engine_t *en, uint64_t *from, uint64_t *count);

/*
 * A project's status: every procedure, its state and what blocks it. 0 and *out (caller owns)
 * or 0 with a nack in *reply for an unknown project; -1 on a storage failure.
 */
int engine_status(engine_t *en, const char *project, int64_t now_ms, pm_status_t **out,
                  pm_reply_t *reply);

/* Open procedures by colour (red and yellow unless q->colour says), days counted at now_ms. */
int engine_list(engine_t *en, const pm_listreq_t *q, int64_t now_ms, pm_list_t **out);

/*
 * The clock's work up to now_ms: every colour change, commitment reminder or breach and
 * project colour that has come due since it last ran, in time order, each logged once with
 * the moment it took effect (at_ms). Caller holds a transaction.
 */
int engine_clock(engine_t *en, int64_t now_ms, entry_list_t *appended);
/* When engine_clock next has something to do (0: nothing scheduled). */
int engine_clock_next(engine_t *en, int64_t *out_ms);
/* Whether any calendar year is loaded; the year's arrangement known for a civil year. */
bool engine_calendar_known(engine_t *en, int year);

/* Log that a department's agent went silent or came back (PM_KIND_AGENT_SILENT/BACK). */
int engine_agent(engine_t *en, const char *dept, pm_kind_t kind, int64_t now_ms,
                 int64_t last_heard_ms, entry_list_t *appended);

/* Drop cached templates (after a rollback, which may have undone a template load). */
void engine_forget(engine_t *en);

#endif
