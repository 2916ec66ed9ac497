/*
 * calendar: working-day arithmetic on the official calendar (weekends off, public holidays
 * off, make-up working days 调休 on), loaded one year at a time as data.
 *
 * Days are civil dates counted as days since 1970-01-01 (day 0 is a Thursday), in the
 * broker's civil time zone given as a fixed UTC offset (China has no daylight saving time).
 * A year whose arrangement is not loaded, or was loaded empty because it is not announced yet,
 * is not "known": its weekends are off and its weekdays on, and any result that counted one
 * of its days is provisional.
 *
 * Time limits follow administrative practice: a limit of n working days counts from the day
 * after the start; the deadline is the end of the n-th working day after it.
 */
#ifndef PERMIT_CALENDAR_H
#define PERMIT_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

typedef int32_t cal_day_t;

typedef struct calendar calendar_t;

calendar_t *calendar_new(void);
void calendar_destroy(calendar_t **p);

/*
 * Load (or replace) one year, 1 to 9999. Every listed date must be a valid YYYY-MM-DD of that
 * year and listed once; otherwise -1 with a one-line reason naming the date (caller owns) and
 * the calendar unchanged. A year with neither days nor papers is recorded as not announced:
 * loaded, still not known (and loading it replaces an announced one).
 */
int calendar_load_year(calendar_t *cal, const pm_calendar_t *year, char **reason);

/* Whether the year's official arrangement is loaded (and announced). */
bool calendar_year_known(const calendar_t *cal, int year);

/* Whether a day is a working day: listed days as listed, other days by the weekday. */
bool calendar_is_workday(const calendar_t *cal, cal_day_t day);

/*
 * The n-th working day after `from` (n >= 1); with n == 0, `from` itself if it is a working
 * day, else the next working day. *provisional (if not NULL) is set to true when a day of a
 * year that is not known was counted (a day after `from` up to the result; with n == 0, from
 * `from` on), and left alone otherwise, so one flag can collect several counts. A negative n
 * counts backwards: add(from, -n) is sub(from, n). A result outside cal_day_t is clamped.
 * The cost grows with the loaded years crossed, not with n.
 */
cal_day_t calendar_add_workdays(const calendar_t *cal, cal_day_t from, int n, bool *provisional);

/*
 * The n-th working day before `from` (n >= 1); with n == 0, `from` itself if it is a working
 * day, else the previous working day. *provisional, negative n and clamping as above.
 */
cal_day_t calendar_sub_workdays(const calendar_t *cal, cal_day_t from, int n, bool *provisional);

/*
 * The number of working days d with a < d <= b (0 when b <= a; at most INT_MAX).
 * *provisional as above, for the days a < d <= b.
 */
int calendar_workdays_between(const calendar_t *cal, cal_day_t a, cal_day_t b, bool *provisional);

/*
 * Civil days and instants, at a fixed offset from UTC in seconds (+08:00 is 28800), on the
 * proleptic Gregorian calendar without mktime() or TZ. cal_day_of_ms saturates at the ends of
 * cal_day_t (times from peers can be anything); cal_day_from_ymd wants month 1-12 and mday
 * 1-31 (cal_parse_date checks a date from outside first).
 */
cal_day_t cal_day_of_ms(int64_t ms, int32_t utc_offset_s);
int64_t cal_day_start_ms(cal_day_t day, int32_t utc_offset_s); /* 00:00 of the day */
int64_t cal_day_end_ms(cal_day_t day, int32_t utc_offset_s);   /* 00:00 of the next day */
int cal_year_of(cal_day_t day);
cal_day_t cal_day_from_ymd(int year, int month, int mday);
/* "YYYY-MM-DD" to a day: 0 and *out, or -1 for anything else (including 2026-02-30). */
int cal_parse_date(const char *s, cal_day_t *out);
/* The day as "YYYY-MM-DD" (buf of at least 11 bytes). Returns buf. */
char *cal_format_date(cal_day_t day, char *buf, size_t len);
/* "+08:00", "-03:30" or "Z" to seconds east of UTC: 0 and *out, or -1. */
int cal_parse_offset(const char *s, int32_t *out);

#endif
