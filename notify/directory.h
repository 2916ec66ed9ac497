/*
 * directory: who is who, learnt from the broker's log itself (the notifier follows it from
 * seq 0), so no broker change and no second source of truth: departments (name, contact) from
 * department entries, projects (name, region, steward, leader, template) from project
 * entries, prerequisites from template entries (the latest version of each template), the
 * working-day calendar from calendar entries, and which procedures are currently rejected
 * (for inhibition). Tables live in the queue's database (queue.h) and are written in the same
 * transaction as the cursor.
 */
#ifndef PERMIT_DIRECTORY_H
#define PERMIT_DIRECTORY_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "model.h"

/* What the directory knows about an entry's project and department. Strings owned. */
typedef struct dir_info {
    char *project_name;
    char *region;
    char *steward;
    char *leader;
    char *dept_name;
    char *dept_contact;
} dir_info_t;

/* Create the tables. 0 or -1. */
int dir_init(sqlite3 *db);

/* Learn from one log entry (departments, projects, templates, calendars, rejections). */
int dir_apply(sqlite3 *db, const pm_entry_t *e);

/* Look up project and department (either may be NULL). Fields unknown stay NULL. */
int dir_lookup(sqlite3 *db, const char *project, const char *dept, dir_info_t *out);
void dir_info_clear(dir_info_t *i);

/*
 * Whether a prerequisite of (project, procedure) is currently rejected: 1 yes (with its code
 * into *which, caller owns), 0 no, -1 error.
 */
int dir_prereq_rejected(sqlite3 *db, const char *project, const char *procedure, char **which);

/*
 * Whether a local calendar date (YYYY-MM-DD, weekday 0 = Sunday) is a working day: as listed
 * in a loaded calendar, else Monday to Friday.
 */
bool dir_is_workday(sqlite3 *db, const char *date, int wday);

#endif
