/*
 * entryfmt: how a log entry looks to people and to scripts.
 *
 * Owns the readable one-line form used by `permitctl tail` (and later by notifications):
 *   SEQ  LOCALTIME  KIND  PROJECT  PROCEDURE  DEPT  actor=WHO  details...
 * where details are the names, certificate, note, missing item and due date, milestone,
 * "claimed TIME" (the department's own event time, when it is not the receive time), cause and
 * event id, whichever are set.
 * Values with blanks, quotes or control characters are quoted with C escapes, so an entry is
 * always exactly one line. ANSI colour (by kind) only when the caller asks for it.
 *
 * And the JSON form: one object per entry with seq, kind, recv_time (ISO 8601 with offset),
 * recv_ms, event_time/event_ms, actor, dept, project, procedure, event_id, cause and every set
 * detail; department, template and project entries nest the object ("department", "template",
 * "project_info"). Absent fields are left out. Text stays UTF-8 (no \u escapes).
 */
#ifndef PERMIT_ENTRYFMT_H
#define PERMIT_ENTRYFMT_H

#include <jansson.h>
#include <stdbool.h>

#include "model.h"

/* The readable line, without a newline. Caller owns (free). */
char *entryfmt_line(const pm_entry_t *e, bool colour);

/* The JSON object. Caller owns the reference (json_decref). */
json_t *entryfmt_json(const pm_entry_t *e);

/* The JSON object as one compact line without a newline. Caller owns (free). */
char *entryfmt_json_line(const pm_entry_t *e);

/* The nested objects, reused by `permitctl status --json`. Caller owns the reference. */
json_t *entryfmt_department_json(const pm_department_t *d);
json_t *entryfmt_template_json(const pm_template_t *t);
json_t *entryfmt_project_json(const pm_project_t *p);
json_t *entryfmt_calendar_json(const pm_calendar_t *c);
/*
 * A procedure's status as `permitctl status --json` and permit-web show it: state, limits,
 * blockers, the clock (deadline and statutory as last days, colour, working days, commitment)
 * and the critical path. Caller owns.
 */
json_t *entryfmt_procstatus_json(const pm_procstatus_t *ps);
/* Set KEY to the last day of a deadline ending at end_ms (YYYY-MM-DD) and KEY_ms to end_ms;
 * nothing when end_ms is 0. */
void entryfmt_set_day(json_t *o, const char *key, int64_t end_ms);

/* Dump any JSON value compactly, UTF-8 unescaped, in insertion order. Caller owns (free). */
char *entryfmt_dump(const json_t *j);

#endif
