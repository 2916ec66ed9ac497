/*
 * clock: see clock.h for the rules. Every function reads or sets fields of one row; none looks
 * at the wall clock.
 */
#include "clock.h"

#include "zone.h"

cal_day_t
clock_day_of(const clock_cfg_t *cfg, int64_t ms)
{
    return cal_day_of_ms(ms, cfg->in_zone ? zone_offset_at(ms) : cfg->utc_offset_s);
}

int64_t
clock_day_start_ms(const clock_cfg_t *cfg, cal_day_t day)
{
    int64_t t;

    if (!cfg->in_zone)
        return cal_day_start_ms(day, cfg->utc_offset_s);
    /*
     * Midnight's offset is the one in force at midnight: guess with the offset at UTC midnight,
     * then correct with the offset at the guess (two steps settle any real zone's change).
     */
    t = cal_day_start_ms(day, zone_offset_at(cal_day_start_ms(day, 0)));
    return cal_day_start_ms(day, zone_offset_at(t));
}

int64_t
clock_day_end_ms(const clock_cfg_t *cfg, int32_t day)
{
    return clock_day_start_ms(cfg, day + 1);
}

static cal_day_t
day_of(const clock_cfg_t *cfg, int64_t ms)
{
    return clock_day_of(cfg, ms);
}

static int64_t
day_start(const clock_cfg_t *cfg, cal_day_t day)
{
    return clock_day_start_ms(cfg, day);
}

/* The limit colours count against: the promised one when the template has it. */
static int
promised(const pm_proctype_t *pt)
{
    return (int)(pt->promised_days != 0 ? pt->promised_days : pt->limit_days);
}

/* Working days left (today and the deadline day included) at which a procedure turns yellow. */
static int
threshold(const clock_cfg_t *cfg, const pm_proctype_t *pt)
{
    int by_share = (promised(pt) * cfg->yellow_percent + 99) / 100;
    int t = cfg->yellow_days > by_share ? cfg->yellow_days : by_share;
    return t < 1 ? 1 : t;
}

/* The first day of yellow and of red for a last day `due` and a threshold. */
static cal_day_t
yellow_day(const calendar_t *cal, cal_day_t due, int left)
{
    return calendar_sub_workdays(cal, due, left - 1, NULL);
}

static cal_day_t
red_day(const calendar_t *cal, cal_day_t due)
{
    return calendar_add_workdays(cal, due, 1, NULL);
}

/* Colour of a last day `due` seen on `today`, with its working days over or left. */
static pm_colour_t
colour_on(const calendar_t *cal, cal_day_t due, int left, cal_day_t today, int32_t *days)
{
    int32_t d;
    pm_colour_t c;

    if (today >= red_day(cal, due)) {
        d = calendar_workdays_between(cal, due, today, NULL);
        c = PM_COLOUR_RED;
    } else {
        d = calendar_workdays_between(cal, today - 1, due, NULL);
        c = today >= yellow_day(cal, due, left) ? PM_COLOUR_YELLOW : PM_COLOUR_GREEN;
    }
    if (days != NULL)
        *days = d;
    return c;
}

/* The start of the next colour for a row coloured `now_colour`, 0 when none follows. */
static int64_t
colour_next(const clock_cfg_t *cfg, const calendar_t *cal, cal_day_t due, int left,
            pm_colour_t now_colour)
{
    switch (now_colour) {
    case PM_COLOUR_GREEN:
        return day_start(cfg, yellow_day(cal, due, left));
    case PM_COLOUR_YELLOW:
        return day_start(cfg, red_day(cal, due));
    default:
        return 0;
    }
}

static void
set_deadlines(const calendar_t *cal, store_proc_t *p, const pm_proctype_t *pt, cal_day_t start)
{
    bool prov = false;

    p->deadline = calendar_add_workdays(cal, start, promised(pt) + p->extended, &prov);
    p->statutory = calendar_add_workdays(cal, start, (int)pt->limit_days + p->extended, &prov);
    p->provisional = prov;
}

void
clock_start(const clock_cfg_t *cfg, const calendar_t *cal, store_proc_t *p, const pm_proctype_t *pt,
            int64_t at_ms)
{
    p->accepted_ms = at_ms;
    p->extended = 0;
    p->paused_on = 0;
    p->colour = PM_COLOUR_GREEN; /* the baseline; an earlier colour is derived at once */
    set_deadlines(cal, p, pt, day_of(cfg, at_ms));
}

void
clock_recompute(const clock_cfg_t *cfg, const calendar_t *cal, store_proc_t *p,
                const pm_proctype_t *pt)
{
    if (p->accepted_ms != 0)
        set_deadlines(cal, p, pt, day_of(cfg, p->accepted_ms));
}

void
clock_pause(const clock_cfg_t *cfg, store_proc_t *p, int64_t at_ms)
{
    if (p->paused_on == 0)
        p->paused_on = day_of(cfg, at_ms);
}

void
clock_resume(const clock_cfg_t *cfg, const calendar_t *cal, store_proc_t *p,
             const pm_proctype_t *pt, int64_t at_ms)
{
    if (p->paused_on == 0)
        return;
    p->extended += calendar_workdays_between(cal, p->paused_on, day_of(cfg, at_ms), NULL);
    p->paused_on = 0;
    clock_recompute(cfg, cal, p, pt);
}

void
clock_stop(store_proc_t *p)
{
    p->colour = PM_COLOUR_NONE;
    p->paused_on = 0;
}

void
clock_commit(const clock_cfg_t *cfg, const calendar_t *cal, store_proc_t *p, int64_t at_ms,
             int64_t due_ms)
{
    p->commit = STORE_COMMIT_OPEN;
    p->commit_due =
        due_ms != 0 ? day_of(cfg, due_ms)
                    : calendar_add_workdays(cal, day_of(cfg, at_ms), cfg->commitment_days, NULL);
}

bool
clock_running(const store_proc_t *p)
{
    return p->colour != PM_COLOUR_NONE && p->paused_on == 0 && p->deadline != 0;
}

pm_colour_t
clock_colour_at(const clock_cfg_t *cfg, const calendar_t *cal, const store_proc_t *p,
                const pm_proctype_t *pt, int64_t at_ms, int32_t *days)
{
    if (!clock_running(p)) {
        if (days != NULL)
            *days = 0;
        return PM_COLOUR_NONE;
    }
    return colour_on(cal, p->deadline, threshold(cfg, pt), day_of(cfg, at_ms), days);
}

static cal_day_t
remind_day(const clock_cfg_t *cfg, const calendar_t *cal, const store_proc_t *p)
{
    return calendar_sub_workdays(cal, p->commit_due, cfg->remind_days, NULL);
}

store_commit_t
clock_commit_at(const clock_cfg_t *cfg, const calendar_t *cal, const store_proc_t *p, int64_t at_ms)
{
    cal_day_t today = day_of(cfg, at_ms);

    if (p->commit == STORE_COMMIT_NONE)
        return STORE_COMMIT_NONE;
    if (today >= red_day(cal, p->commit_due))
        return STORE_COMMIT_BREACHED;
    if (today >= remind_day(cfg, cal, p))
        return STORE_COMMIT_REMINDED;
    return STORE_COMMIT_OPEN;
}

int64_t
clock_commit_next(const clock_cfg_t *cfg, const calendar_t *cal, const store_proc_t *p)
{
    switch (p->commit) {
    case STORE_COMMIT_OPEN:
        return day_start(cfg, remind_day(cfg, cal, p));
    case STORE_COMMIT_REMINDED:
        return day_start(cfg, red_day(cal, p->commit_due));
    default:
        return 0;
    }
}

static int64_t
earliest(int64_t a, int64_t b)
{
    if (a == 0)
        return b;
    if (b == 0)
        return a;
    return a < b ? a : b;
}

void
clock_schedule(const clock_cfg_t *cfg, const calendar_t *cal, store_proc_t *p,
               const pm_proctype_t *pt)
{
    int64_t next = 0;

    if (clock_running(p))
        next = colour_next(cfg, cal, p->deadline, threshold(cfg, pt), p->colour);
    p->next_ms = earliest(next, clock_commit_next(cfg, cal, p));
}

int32_t
clock_project_due(const clock_cfg_t *cfg, const pm_project_t *p, int64_t registered_ms)
{
    int year, mmdd;

    if (p->start_half != 1 && p->start_half != 2)
        return 0;
    year = p->year != 0 ? (int)p->year : cal_year_of(day_of(cfg, registered_ms));
    mmdd = p->start_half == 1 ? cfg->first_half_due : cfg->second_half_due;
    return cal_day_from_ymd(year, mmdd / 100, mmdd % 100);
}

pm_colour_t
clock_project_colour_at(const clock_cfg_t *cfg, const calendar_t *cal, const store_projclock_t *c,
                        bool done, int64_t at_ms, int32_t *days)
{
    if (done || c->due == 0) {
        if (days != NULL)
            *days = 0;
        return PM_COLOUR_NONE;
    }
    return colour_on(cal, c->due, cfg->project_yellow_days, day_of(cfg, at_ms), days);
}

void
clock_project_schedule(const clock_cfg_t *cfg, const calendar_t *cal, store_projclock_t *c,
                       bool done)
{
    c->next_ms = done || c->due == 0
                     ? 0
                     : colour_next(cfg, cal, c->due, cfg->project_yellow_days, c->colour);
}
