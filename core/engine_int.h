/*
 * engine_int: what the engine's two files share and nobody else may use. engine.c owns
 * events, imports, the fold and the dependency rules; engine_clock.c owns the calendar, the
 * clock's transitions and the views that show deadlines and colours.
 */
#ifndef PERMIT_ENGINE_INT_H
#define PERMIT_ENGINE_INT_H

#include "calendar.h"
#include "clock.h"
#include "engine.h"
#include "tmpl.h"

struct engine {
    store_t *store;
    tmpl_t **templates; /* compiled templates, loaded from the log on first use */
    size_t ntemplates;
    calendar_t *cal; /* the working-day calendar, loaded from the log on first use */
    clock_cfg_t clock;
    int64_t late_after_ms; /* an event claimed this much before its arrival is flagged late */
    /* The earliest next_ms of any row, kept as rows are written so the broker's loop need
     * not ask the store after every batch; never later than the truth (a stale early value
     * costs one tick that finds nothing). */
    int64_t next_hint;
    bool next_known;
};

/* A project as the engine works on it: registration data, template and procedure rows. */
typedef struct work {
    pm_project_t project;
    const tmpl_t *t;
    store_proc_t *procs; /* in template order */
    size_t nprocs;
    pm_state_t *states;
    store_projclock_t clock; /* the project's own clock, read once (work_clock) */
    bool clock_loaded;
} work_t;

/* Load a project (1), or 0 for an unknown one, -1 on a storage failure. */
int work_load(engine_t *en, const char *project, work_t *w);
void work_clear(work_t *w);
/* The project's clock of a loaded project, read from the store once. NULL on a failure. */
store_projclock_t *work_clock(engine_t *en, work_t *w);
/* Write procedure i's row back. */
int work_put(engine_t *en, work_t *w, size_t i);

/* A row was written with this next_ms: keep the earliest known. */
void engine_note_next(engine_t *en, int64_t next_ms);

/* Fill a nack. Always returns 0 so validators can `return engine_nack(...)`. */
int engine_nack(pm_reply_t *r, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The compiled template (version 0: latest): 1, 0 unknown, -1 storage failure. Borrowed. */
int engine_template(engine_t *en, const char *name, uint32_t version, const tmpl_t **out);
/* An entry about procedure i of the loaded project, with the names subscribers need. */
pm_entry_t *engine_proc_entry(const work_t *w, pm_kind_t kind, size_t i, int64_t now_ms);
/* Who sent an import, as the log records it (the actor of its entries): what its id is scoped
 * by. Borrowed from im. */
const char *engine_import_sender(const pm_import_t *im);
/* Append, apply and hand over an entry (applied to w when it is about one of its procedures). */
int engine_emit(engine_t *en, work_t *w, pm_entry_t **e, entry_list_t *out);

/* engine_clock.c */
/* The calendar, loaded from the log's calendar entries on first use; NULL on a failure. */
const calendar_t *engine_calendar(engine_t *en);
/* The same, loaded (when it is not yet) from the calendar entries before seq `before` only. */
const calendar_t *engine_calendar_before(engine_t *en, uint64_t before);
/* The fold of the clock's part of a procedure entry (start, pause, stop, colour, ...). */
void engine_clock_apply(engine_t *en, work_t *w, size_t i, const pm_entry_t *e, pm_state_t before);
/* Derive what the clock says right after procedure i changed at now_ms (a colour, a due
 * commitment) and the project's colour. */
int engine_clock_derive(engine_t *en, work_t *w, size_t i, uint64_t cause, int64_t now_ms,
                        entry_list_t *out);
/* A project's own clock after registration or after a procedure changed. */
int engine_project_apply(engine_t *en, work_t *w, const pm_entry_t *e);
int engine_project_derive(engine_t *en, work_t *w, uint64_t cause, int64_t now_ms,
                          entry_list_t *out);
/* The import of a year of the calendar. */
int engine_import_calendar(engine_t *en, const pm_import_t *im, int64_t now_ms, entry_list_t *out,
                           pm_reply_t *r);
/* The fold of a calendar entry. */
int engine_calendar_apply(engine_t *en, const pm_entry_t *e);
/* The project's own clock in a status at now_ms. */
int engine_project_status(engine_t *en, const work_t *w, int64_t now_ms, pm_status_t *st);
/* The critical path of a loaded project at now_ms, into a status built from it. */
void engine_critical_path(engine_t *en, const work_t *w, int64_t now_ms, pm_status_t *st);
/* Status fields of the clock for a procedure row at now_ms. */
void engine_clock_status(engine_t *en, const pm_proctype_t *pt, const store_proc_t *p,
                         int64_t now_ms, pm_procstatus_t *ps);

#endif
