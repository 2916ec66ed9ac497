/*
 * store_view: read-only figures over the derived tables, for the weekly report (report/report.c),
 * so that the tables' layout (their names, columns and SQL) stays known under store/ alone.
 *
 * A view is opened on the report's scratch store: an in-memory sqlite store that the report
 * replays the log into with the broker's own fold (the log itself may be on either engine).
 * It needs a sqlite store: store_view_new refuses another engine. Beside the fold's tables it
 * keeps two notes of the report's own, in temporary tables of that connection only: when each
 * procedure was approved, and the procedure types of every template version.
 *
 * Every read writes back the rows the store holds in memory first (store_sync), so it sees
 * the fold as it stands, inside the open transaction or not. Strings in the rows given to a
 * callback are borrowed for the call and never NULL ("" when the tables hold none) unless said.
 * Functions return 0, or -1 with store_view_error saying why.
 */
#ifndef PERMIT_STORE_VIEW_H
#define PERMIT_STORE_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

typedef struct store_view store_view_t;

/* A view of s (borrowed: it must outlive the view). NULL with *err (caller owns). */
store_view_t *store_view_new(store_t *s, char **err);
void store_view_destroy(store_view_t **p);
/* Why the last call failed (the engine's message), valid until the next call. */
const char *store_view_error(const store_view_t *v);

/* The notes: an approval of project's procedure code at ms (a later one replaces it), and one
 * procedure type of a template version with its limits in working days. */
int store_view_note_approved(store_view_t *v, const char *project, const char *code, int64_t ms);
int store_view_note_proctype(store_view_t *v, const char *tmpl, uint32_t version, const char *code,
                             const char *name, int64_t limit_days, int64_t promised_days);

/*
 * Completion as the tables stand. A project is done when no procedure of it is open (approved
 * or not required); one without procedures counts as done.
 */
typedef struct store_view_rates {
    int64_t projects;
    int64_t projects_done;
    int64_t procedures;
    int64_t approved;
    int64_t not_required;
} store_view_rates_t;
int store_view_rates(store_view_t *v, store_view_rates_t *out);

/*
 * Counts per value (a state's or a colour's name as pm_state_name and pm_colour_name give
 * them), in no particular order; a value nothing has is not given. Procedures count by their
 * own colour (none while no clock runs). Every project has a colour: red when any procedure
 * of it or its own due date (PM_KIND_PROJECT_COLOUR) is red, else yellow when any of those is
 * yellow, else green (on track, or done).
 */
typedef enum store_view_count {
    STORE_VIEW_PROC_STATES,
    STORE_VIEW_PROC_COLOURS,
    STORE_VIEW_PROJECT_COLOURS,
} store_view_count_t;
typedef int(store_view_count_fn)(void *arg, const char *value, int64_t n);
int store_view_counts(store_view_t *v, store_view_count_t what, store_view_count_fn *fn, void *arg);

/* A red procedure with its project, its type (0 limits when the note is missing) and its
 * department's name. Days as in row.h. */
typedef struct store_view_red {
    const char *project;
    const char *project_name;
    const char *region;
    const char *steward;
    const char *code;
    const char *proc_name;
    const char *dept;
    const char *dept_name;
    int32_t deadline;
    int32_t statutory;
    int32_t paused_on;
    int64_t limit_days;
    int64_t promised_days;
} store_view_red_t;
typedef int(store_view_red_fn)(void *arg, const store_view_red_t *row);
/* Every red procedure, in no particular order; fn returns 0 to go on, -1 to stop. */
int store_view_red(store_view_t *v, store_view_red_fn *fn, void *arg);

/*
 * Per department, ordered by its code: one row per procedure of it approved on the clock
 * (accepted, with an approval noted), or one row with approved false when it has none.
 */
typedef struct store_view_approval {
    const char *dept;
    const char *dept_name;
    bool approved; /* false: the fields below are 0 */
    int64_t accepted_ms;
    int64_t approved_ms;
    int64_t extended; /* working days the clock stood still (row.h) */
    int64_t limit_days;
    int64_t promised_days;
} store_view_approval_t;
typedef int(store_view_approval_fn)(void *arg, const store_view_approval_t *row);
int store_view_approvals(store_view_t *v, store_view_approval_fn *fn, void *arg);

/*
 * Breakdowns: projects grouped by region or industry ("-" for none), or procedures grouped by
 * department. For a project's column, projects_done counts projects with no open procedure;
 * by department, projects counts the projects it has procedures of and projects_done is 0.
 */
typedef enum store_view_by {
    STORE_VIEW_BY_REGION,
    STORE_VIEW_BY_INDUSTRY,
    STORE_VIEW_BY_DEPARTMENT,
} store_view_by_t;
typedef struct store_view_group {
    const char *key;
    const char *name; /* by department: its name, NULL when it has no row; else NULL */
    int64_t projects;
    int64_t projects_done;
    int64_t procedures;
    int64_t approved;
    int64_t not_required;
    int64_t red;
    int64_t yellow;
} store_view_group_t;
typedef int(store_view_group_fn)(void *arg, const store_view_group_t *row);
/* The groups in no particular order. */
int store_view_groups(store_view_t *v, store_view_by_t by, store_view_group_fn *fn, void *arg);

#endif
