/*
 * tmpl: a template compiled into a graph the engine can evaluate quickly, and the checks a
 * template must pass before it is loaded.
 *
 * Procedures are numbered in template order. A joint-review group (联合审查) is treated as
 * one node: its members become ready together, when every prerequisite any member has outside
 * the group is satisfied; edges between members are what the joint review replaces. A
 * template whose graph (with groups as nodes) has a cycle is refused, and the cycle is
 * spelled out with the procedures' names so the task force sees the "互为前置" blocker.
 */
#ifndef PERMIT_TMPL_H
#define PERMIT_TMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

typedef struct tmpl_node {
    size_t *in; /* edge indices whose `to` is this procedure */
    size_t nin;
    size_t *out; /* edge indices whose `from` is this procedure */
    size_t nout;
    int group;          /* group index or -1 */
    size_t *milestones; /* milestone indices this procedure belongs to */
    size_t nmilestones;
} tmpl_node_t;

typedef struct tmpl_group {
    char *name;
    size_t *members;
    size_t n;
} tmpl_group_t;

typedef struct tmpl {
    pm_template_t *def; /* owned */
    tmpl_node_t *nodes; /* def->nprocs of them */
    size_t *edge_from;  /* per edge: procedure index of from and to */
    size_t *edge_to;
    tmpl_group_t *groups;
    size_t ngroups;
} tmpl_t;

/*
 * Check a template and compile it. Takes ownership of *def (cleared) on success and failure.
 * On refusal returns -1 with a PM_REFUSE_* code (static) and a reason (caller owns).
 */
int tmpl_compile(pm_template_t **def, tmpl_t **out, const char **code, char **reason);

/* What a refusal points at in the definition: `index` counts procs, edges or milestones. */
typedef enum tmpl_at {
    TMPL_AT_TEMPLATE, /* the template as a whole (no name, no procedure) */
    TMPL_AT_PROC,
    TMPL_AT_EDGE,
    TMPL_AT_MILESTONE,
} tmpl_at_t;

/* A refusal of tmpl_check, in terms a file's reader can map back to its rows. */
typedef struct tmpl_fault {
    const char *code; /* PM_REFUSE_* (static) */
    char *reason;     /* the broker's one-line reason (owned) */
    tmpl_at_t at;
    size_t index; /* the offending procedure, edge or milestone: for a duplicate, the later */
    size_t first; /* for a duplicate: the earlier one */
    /* PM_REFUSE_CYCLE between procedures or groups: the cycle's edges (indices into
     * def->edges) in prerequisite order, each edge's `to` (or a member of its group) being the
     * next edge's `from`, the last edge's `to` the first's `from`. Owned. */
    size_t *cycle;
    size_t ncycle;
} tmpl_fault_t;

/*
 * tmpl_compile, telling where a refusal points: 0 and *out, or -1 with *fault filled (clear it
 * with tmpl_fault_clear). Takes ownership of *def as tmpl_compile does.
 */
int tmpl_check(pm_template_t **def, tmpl_t **out, tmpl_fault_t *fault);
void tmpl_fault_clear(tmpl_fault_t *f);
void tmpl_destroy(tmpl_t **p);

/* The index of a procedure code, or -1. */
int tmpl_index(const tmpl_t *t, const char *code);

/*
 * Whether procedure i's prerequisites are satisfied given every procedure's state. With
 * `blockers`, the unsatisfied prerequisite edges (indices) are pushed onto it as well.
 */
bool tmpl_satisfied(const tmpl_t *t, size_t i, const pm_state_t *states, size_t **blockers,
                    size_t *nblockers);

/* Whether an edge is satisfied by the state of its `from` procedure. */
bool tmpl_edge_satisfied(const pm_edge_t *e, pm_state_t from_state);

/*
 * The procedures to re-evaluate after procedure i changed: the targets of its out-edges,
 * expanded to whole groups, without duplicates. Caller frees *out.
 */
void tmpl_dependents(const tmpl_t *t, size_t i, size_t **out, size_t *n);

/* Whether milestone m is reached given every procedure's state. */
bool tmpl_milestone_reached(const tmpl_t *t, size_t m, const pm_state_t *states);

/* Whether two template definitions have the same content (ignoring name and version). */
bool tmpl_same(const pm_template_t *a, const pm_template_t *b);

#endif
