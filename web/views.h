/*
 * views: what permit-web knows of the log, kept in memory and updated entry by entry from the
 * follower (common/follow.h): departments, templates, projects with each procedure's state
 * and colour, counts by kind, and the most recent entries (a bounded ring) as the JSON lines
 * `permitctl tail --json` prints.
 *
 * The fold here is the reader's one, not the broker's: states follow the events and the
 * derived unblocked/blocked entries, colours follow the colour entries (a clock starts green
 * on acceptance and stops on a decision). Deadlines, working days and the critical path need
 * the working-day calendar and the broker's rules, so the pages ask the broker for those
 * (PM_MSG_STATUS_REQ, PM_MSG_LIST_REQ, as `permitctl status` and `overdue` do) instead of
 * folding them a second time here.
 */
#ifndef PERMIT_VIEWS_H
#define PERMIT_VIEWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

typedef struct vproc {
    const pm_proctype_t *type; /* borrowed from the project's template */
    pm_state_t state;
    bool deficient;
    pm_colour_t colour;  /* PM_COLOUR_NONE while no clock runs */
    int32_t days;        /* as of the last colour entry */
    uint64_t colour_seq; /* the last colour entry's seq: the alert an ack names */
    uint64_t updated_seq;
} vproc_t;

typedef struct vproject {
    pm_project_t info;
    const pm_template_t *t; /* borrowed from the views */
    vproc_t *procs;         /* one per t->procs, in the template's order */
    pm_colour_t colour;     /* the due date's colour: green until a project_colour entry */
    uint64_t updated_seq;
} vproject_t;

/* One kept entry: what the ticker, the history and the streams need. */
typedef struct ventry {
    uint64_t seq;
    pm_kind_t kind;
    int64_t recv_ms;
    char *project;   /* NULL for entries of no project */
    char *dept;      /* the department concerned, NULL for none */
    char *procedure; /* NULL for entries of no procedure */
    pm_colour_t colour;
    uint64_t ack_seq; /* an alert: the seq of its alert_ack entry, 0 while unacknowledged */
    char *json;       /* the entry as one JSON object (entryfmt_json), escaped for HTML (wjson.h) */
} ventry_t;

typedef struct views views_t;

/* Keep the last `keep` entries (at least 1). */
views_t *views_new(size_t keep);
void views_destroy(views_t **p);

/*
 * A project's colour, as the bulletin counts it: the worst of its own due date's and its running
 * procedures' (red, else yellow, else green); PM_COLOUR_NONE once every procedure is done.
 */
pm_colour_t views_project_colour(const vproject_t *p);

/* Fold one entry (borrowed), in sequence order. */
void views_apply(views_t *self, const pm_entry_t *e);

/* The highest sequence number folded (0: none yet). */
uint64_t views_head(const views_t *self);
/* Entries folded, by kind. */
uint64_t views_kind_count(const views_t *self, pm_kind_t k);

/* The kept entries, oldest first: count, i-th, and the index of the first with seq > after. */
size_t views_nentries(const views_t *self);
const ventry_t *views_entry(const views_t *self, size_t i);
size_t views_after(const views_t *self, uint64_t after);
/* The kept entry of seq, or NULL (never logged, or older than the ring). */
const ventry_t *views_find(const views_t *self, uint64_t seq);

size_t views_nprojects(const views_t *self);
const vproject_t *views_project(const views_t *self, size_t i);
const vproject_t *views_project_find(const views_t *self, const char *id);

size_t views_ndepts(const views_t *self);
const pm_department_t *views_dept(const views_t *self, size_t i);
/* A department's name, or its code when it has none. */
const char *views_dept_name(const views_t *self, const char *code);

/* Whether a procedure in this state has its clock running (accepted, deficient, supplement). */
bool views_running(pm_state_t s);

#endif
