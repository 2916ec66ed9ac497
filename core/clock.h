/*
 * clock: statutory time limits. Owns the rules that turn a procedure's acceptance, pauses and
 * commitments into deadlines, red/yellow/green colours and the next moment anything changes.
 *
 * Everything here is a function of a procedure row (row.h), the calendar and the clock's
 * settings — never of "now" except where a time is passed in — so the engine can apply a log
 * entry the same way live and in a rebuild, and the broker can sleep until the earliest
 * next_ms instead of scanning projects.
 *
 * Rules (administrative practice, working days on the calendar):
 * - Accepting starts the clock: the deadline is the end of the limit-th working day after the
 *   day of acceptance (promised limit for colours, statutory limit for reports).
 * - A supplement request pauses it; the resumption extends both deadlines by the working days
 *   after the pause day up to and including the resumption day.
 * - Yellow from the start of the working day on which `threshold` working days remain
 *   (today and the deadline day included); red from the start of the first working day
 *   after the deadline. threshold = max(yellow_days, ceil(limit * yellow_percent / 100)).
 * - A commitment (容缺受理) is due at the end of its day: reminded at the start of the working
 *   day remind_days before, breached from the first working day after.
 * - A project with a planned start half must have every approval by a due date (end of March
 *   or end of August of its year): yellow when project_yellow_days working days remain, red
 *   after it, none once every procedure is done.
 */
#ifndef PERMIT_CLOCK_H
#define PERMIT_CLOCK_H

#include <stdint.h>

#include "calendar.h"
#include "model.h"
#include "row.h"

typedef struct clock_cfg {
    int32_t utc_offset_s;    /* the civil time zone of working days, unless in_zone */
    bool in_zone;            /* count days in the process's zone (zone.h), DST included */
    int yellow_days;         /* yellow when this many working days remain... */
    int yellow_percent;      /* ...or this share of the limit, whichever is more */
    int commitment_days;     /* a commitment without a due date is due after this many */
    int remind_days;         /* remind this many working days before a commitment is due */
    int project_yellow_days; /* a project turns yellow this many working days before its due */
    int first_half_due;      /* month * 100 + day: all approvals of a first-half start by */
    int second_half_due;     /* the same for a second-half start */
} clock_cfg_t;

/* Start the clock of an accepted procedure at at_ms. */
void clock_start(const clock_cfg_t *cfg, const calendar_t *cal, store_proc_t *p,
                 const pm_proctype_t *pt, int64_t at_ms);
/* Recompute the deadlines from acceptance and extensions (a calendar year arrived). */
void clock_recompute(const clock_cfg_t *cfg, const calendar_t *cal, store_proc_t *p,
                     const pm_proctype_t *pt);
void clock_pause(const clock_cfg_t *cfg, store_proc_t *p, int64_t at_ms);
void clock_resume(const clock_cfg_t *cfg, const calendar_t *cal, store_proc_t *p,
                  const pm_proctype_t *pt, int64_t at_ms);
/* Approved, rejected, withdrawn, not required: no colour, no more transitions. */
void clock_stop(store_proc_t *p);
/* A commitment made at at_ms, due at the end of due_ms's day (0: commitment_days later). */
void clock_commit(const clock_cfg_t *cfg, const calendar_t *cal, store_proc_t *p, int64_t at_ms,
                  int64_t due_ms);

/* Whether the procedure's clock runs (accepted, not paused, not stopped). */
bool clock_running(const store_proc_t *p);

/*
 * The colour of a running procedure at at_ms and the working days that go with it (over, for
 * red; left, for green and yellow); PM_COLOUR_NONE when the clock does not run.
 */
pm_colour_t clock_colour_at(const clock_cfg_t *cfg, const calendar_t *cal, const store_proc_t *p,
                            const pm_proctype_t *pt, int64_t at_ms, int32_t *days);

/* When the commitment's state moves next (reminder, breach), 0 if never. */
int64_t clock_commit_next(const clock_cfg_t *cfg, const calendar_t *cal, const store_proc_t *p);
/* The commitment's state at at_ms. */
store_commit_t clock_commit_at(const clock_cfg_t *cfg, const calendar_t *cal, const store_proc_t *p,
                               int64_t at_ms);

/* Set p->next_ms: the earliest future change of colour or commitment, from the row alone. */
void clock_schedule(const clock_cfg_t *cfg, const calendar_t *cal, store_proc_t *p,
                    const pm_proctype_t *pt);

/* A project's due day from its planned start (0 when it has none). */
int32_t clock_project_due(const clock_cfg_t *cfg, const pm_project_t *p, int64_t registered_ms);
/* A project's colour at at_ms given whether every procedure is done, and its days. */
pm_colour_t clock_project_colour_at(const clock_cfg_t *cfg, const calendar_t *cal,
                                    const store_projclock_t *c, bool done, int64_t at_ms,
                                    int32_t *days);
/* Set c->next_ms for a project clock. */
void clock_project_schedule(const clock_cfg_t *cfg, const calendar_t *cal, store_projclock_t *c,
                            bool done);

/* End of a day (00:00 of the next) in ms, for deadlines shown to people. */
int64_t clock_day_end_ms(const clock_cfg_t *cfg, int32_t day);
/* The civil day of the instant ms, and the instant its day starts, in the clock's zone. */
cal_day_t clock_day_of(const clock_cfg_t *cfg, int64_t ms);
int64_t clock_day_start_ms(const clock_cfg_t *cfg, cal_day_t day);

#endif
