/*
 * store: the broker's storage interface. It owns the database: the ordered log and the
 * current-state tables derived from it.
 *
 * Everything above this interface (ack after commit, dedup, rebuild, queries) is written
 * against these functions only, so another backend can stand behind them. This file's
 * implementation is embedded sqlite in WAL mode with synchronous=FULL: when store_commit()
 * returns 0 the transaction is durable.
 *
 * Sequence numbers are assigned here, in append order, starting at 1. All writes happen
 * between store_begin() and store_commit()/store_rollback(); reads may happen at any time and
 * see the open transaction's writes.
 */
#ifndef PERMIT_STORE_H
#define PERMIT_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

typedef struct store store_t;

/* One procedure of one project, as kept in the procedures table. */
typedef struct store_proc {
    char *code;
    pm_state_t state;
    bool deficient; /* an open commitment from acceptance with deficiency */
    char *cert;
    uint64_t updated_seq;
    int64_t updated_ms;
} store_proc_t;

/* Open (creating if needed) the database at path. On failure *err says why (caller owns). */
store_t *store_open(const char *path, char **err);
void store_close(store_t **p);

int store_begin(store_t *s);
int store_commit(store_t *s);
int store_rollback(store_t *s);
bool store_in_transaction(const store_t *s);
/* Nested undo points inside a transaction, so one refused event undoes only itself. */
int store_savepoint(store_t *s);
int store_release(store_t *s);
int store_rollback_to(store_t *s);

/* The highest sequence number appended (committed or in the open transaction). */
uint64_t store_head(const store_t *s);
/* The highest committed sequence number. */
uint64_t store_committed_head(const store_t *s);

/* Append an entry: assigns entry->seq, encodes it and inserts it into the log. */
int store_append(store_t *s, pm_entry_t *entry);
/* Look up an event id: 1 and *seq if logged, 0 if not, -1 on error. */
int store_find_event(store_t *s, const char *event_id, uint64_t *seq);
/* Read one entry by sequence number. Caller owns *out. 1 found, 0 not, -1 error. */
int store_entry_get(store_t *s, uint64_t seq, pm_entry_t **out);
/* Entries after q->after matching its filters, at most q->limit (capped at 1000). */
int store_entries(store_t *s, const pm_query_t *q, pm_page_t *page);

/* Walk the whole log in order; fn returns 0 to go on, -1 to stop with an error. */
typedef int(store_walk_fn)(void *arg, pm_entry_t *entry);
int store_walk(store_t *s, store_walk_fn *fn, void *arg);
/* Empty every derived table (inside a transaction), before a rebuild. */
int store_clear_derived(store_t *s);

/* Departments. get: 1 found (out filled, caller clears), 0 not, -1 error. */
int store_dept_get(store_t *s, const char *code, pm_department_t *out);
int store_dept_put(store_t *s, const pm_department_t *d, uint64_t seq);

/* Templates: the table maps (name, version) to the log entry that holds the definition. */
int store_template_put(store_t *s, const char *name, uint32_t version, uint64_t seq);
/* 1 and *seq of the entry, 0 if unknown, -1 error. version 0 asks for the latest. */
int store_template_find(store_t *s, const char *name, uint32_t version, uint32_t *out_version,
                        uint64_t *seq);

/* Projects. get: 1 found (*out filled without not_required, caller clears), 0 not, -1 error. */
int store_project_get(store_t *s, const char *id, pm_project_t *out);
int store_project_put(store_t *s, const pm_project_t *p, uint64_t seq);

/* Procedures of a project, in template order. Caller frees with store_procs_free. */
int store_procs_load(store_t *s, const char *project, store_proc_t **out, size_t *n);
void store_procs_free(store_proc_t *procs, size_t n);
int store_proc_put(store_t *s, const char *project, const store_proc_t *p, int ordinal);

/* Milestones reached by a project. */
int store_milestone_put(store_t *s, const char *project, const char *code, uint64_t seq);
int store_milestones_list(store_t *s, const char *project, strv_t *out);

#endif
