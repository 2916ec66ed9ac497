/*
 * Unit tests for core/calendar.c: civil-date conversions, and working-day arithmetic on the
 * official holiday files shipped in deploy/calendar (HOLIDAY_DIR), read with jansson the way
 * permitctl reads them.
 *
 * The expected dates were worked out by hand from the files: in 2026, 1-3 January are off and
 * Sunday 4 January is worked; 15-23 February are off (Spring Festival) and Saturdays 14 and
 * 28 February are worked; 25-27 September and 1-7 October are off and Sunday 20 September and
 * Saturday 10 October are worked. 2025 has nothing listed after 11 October. Besides the dates
 * written out, every count over 2024-12 .. 2027-02 is checked against a day-by-day walk.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "calendar.h"
#include "model.h"
#include "util.h"

#ifndef HOLIDAY_DIR
#error "HOLIDAY_DIR must name the folder of the holiday-cn files"
#endif

#define PLUS8 28800

/* ---- Helpers. ---- */

/* A date the test writes out; a typo in the test fails loudly. */
static cal_day_t
D(const char *s)
{
    cal_day_t d = 0;

    if (cal_parse_date(s, &d) != 0)
        fail_msg("test bug: bad date %s", s);
    return d;
}

static void
assert_day(cal_day_t want, cal_day_t got)
{
    char a[16], b[16];

    if (want != got)
        fail_msg("want %s, got %s", cal_format_date(want, a, sizeof(a)),
                 cal_format_date(got, b, sizeof(b)));
}

/* Read a holiday-cn file as it is into a pm_calendar_t (caller owns). */
static pm_calendar_t *
read_year(int year)
{
    char path[512];
    json_error_t err;
    json_t *root, *papers, *days, *v;
    pm_calendar_t *c;
    size_t i;

    snprintf(path, sizeof(path), "%s/%d.json", HOLIDAY_DIR, year);
    root = json_load_file(path, 0, &err);
    if (root == NULL)
        fail_msg("%s:%d: %s", path, err.line, err.text);
    c = pm_calendar_new();
    c->year = (uint32_t)json_integer_value(json_object_get(root, "year"));
    assert_int_equal(c->year, year);
    papers = json_object_get(root, "papers");
    days = json_object_get(root, "days");
    assert_true(json_is_array(papers) && json_is_array(days));
    json_array_foreach(papers, i, v)
    {
        strv_push(&c->papers, json_string_value(v));
    }
    json_array_foreach(days, i, v)
    {
        pm_calday_t *d = pm_calendar_add_day(c);
        d->date = xstrdup(json_string_value(json_object_get(v, "date")));
        d->name = xstrdup(json_string_value(json_object_get(v, "name")));
        d->off = json_is_true(json_object_get(v, "isOffDay"));
        assert_non_null(d->date);
    }
    json_decref(root);
    return c;
}

static void
load(calendar_t *cal, int year)
{
    pm_calendar_t *c = read_year(year);
    char *reason = NULL;

    if (calendar_load_year(cal, c, &reason) != 0)
        fail_msg("loading %d: %s", year, reason);
    assert_null(reason);
    pm_calendar_destroy(&c);
}

/* The calendar of the tests: 2025 and 2026 as announced, 2027 not yet. */
static calendar_t *
official(void)
{
    calendar_t *cal = calendar_new();

    load(cal, 2025);
    load(cal, 2026);
    load(cal, 2027);
    return cal;
}

/* A hand-made year: (date, off) pairs, NULL-terminated. */
static pm_calendar_t *
make_year(uint32_t year, ...)
{
    pm_calendar_t *c = pm_calendar_new();
    const char *date;
    va_list ap;

    c->year = year;
    va_start(ap, year);
    while ((date = va_arg(ap, const char *)) != NULL) {
        pm_calday_t *d = pm_calendar_add_day(c);
        d->date = xstrdup(date);
        d->name = xstrdup("测试");
        d->off = va_arg(ap, int);
    }
    va_end(ap);
    return c;
}

/* Load must refuse with a reason naming `what`, and leave the calendar as it was. */
static void
assert_load_refused(calendar_t *cal, pm_calendar_t **c, const char *what)
{
    char *reason = NULL;

    assert_int_equal(calendar_load_year(cal, *c, &reason), -1);
    assert_non_null(reason);
    if (strstr(reason, what) == NULL)
        fail_msg("reason \"%s\" does not say \"%s\"", reason, what);
    free(reason);
    pm_calendar_destroy(c);
}

/* Monday 0 ... Sunday 6, independently of the module: day 0 was a Thursday. */
static int
dow(cal_day_t d)
{
    return (int)(((int64_t)d % 7 + 7 + 3) % 7);
}

/* ---- Civil dates. ---- */

static void
test_day_zero_and_known_days(void **state)
{
    char buf[16];
    cal_day_t d = -42;

    assert_int_equal(cal_day_from_ymd(1970, 1, 1), 0);
    assert_int_equal(cal_day_from_ymd(1969, 12, 31), -1);
    assert_int_equal(cal_day_from_ymd(2000, 3, 1), 11017);
    assert_int_equal(cal_day_from_ymd(2026, 2, 14), 20498);
    assert_int_equal(cal_day_from_ymd(2026, 11, 22), 20779);
    assert_int_equal(cal_day_from_ymd(1, 1, 1), -719162);
    assert_int_equal(cal_day_from_ymd(9999, 12, 31), 2932896);
    assert_int_equal(cal_parse_date("1970-01-01", &d), 0);
    assert_int_equal(d, 0);
    assert_string_equal(cal_format_date(0, buf, sizeof(buf)), "1970-01-01");
    assert_string_equal(cal_format_date(-1, buf, sizeof(buf)), "1969-12-31");
    assert_string_equal(cal_format_date(2932896, buf, sizeof(buf)), "9999-12-31");
    assert_string_equal(cal_format_date(20498, buf, sizeof(buf)), "2026-02-14");
    assert_int_equal(cal_year_of(0), 1970);
    assert_int_equal(cal_year_of(-1), 1969);
    assert_int_equal(cal_year_of(D("2026-12-31")), 2026);
    assert_int_equal(cal_year_of(D("2027-01-01")), 2027);
    assert_int_equal(cal_year_of(2932896), 9999);
    /* Far beyond the loadable years the arithmetic still holds. */
    assert_int_equal(cal_year_of(cal_day_from_ymd(100000, 3, 1)), 100000);
    assert_int_equal(cal_day_from_ymd(100000, 3, 1) - cal_day_from_ymd(100000, 2, 28), 2);
    assert_int_equal(cal_year_of(cal_day_from_ymd(-4000, 12, 31)), -4000);
    (void)state;
}

/* Every day from 0001-01-01 to 9999-12-31 formats, parses back, and follows its predecessor. */
static void
test_every_day_round_trips(void **state)
{
    cal_day_t first = cal_day_from_ymd(1, 1, 1), last = cal_day_from_ymd(9999, 12, 31);
    int py = 0, pm = 12, pd = 31;

    for (cal_day_t d = first; d <= last; d++) {
        char buf[16];
        cal_day_t back = 0;
        int y, m, md;

        cal_format_date(d, buf, sizeof(buf));
        if (cal_parse_date(buf, &back) != 0 || back != d)
            fail_msg("day %d: %s does not parse back", d, buf);
        assert_int_equal(sscanf(buf, "%d-%d-%d", &y, &m, &md), 3);
        /* The next day of the previous one: same month, next month, or next year. */
        if (!(y == py && m == pm && md == pd + 1) && !(y == py && m == pm + 1 && md == 1) &&
            !(y == py + 1 && m == 1 && md == 1 && pm == 12 && pd == 31))
            fail_msg("%s does not follow %04d-%02d-%02d", buf, py, pm, pd);
        if (md == 1 && m == 1)
            assert_int_equal(cal_year_of(d), y);
        py = y;
        pm = m;
        pd = md;
    }
    assert_int_equal(py, 9999);
    (void)state;
}

static void
test_parse_date_refusals(void **state)
{
    static const char *const bad[] = {
        "2026-02-30", "2026-02-29",     "2025-02-29",       "2100-02-29",  "1900-02-29",
        "2026-13-01", "2026-00-10",     "2026-04-31",       "2026-01-00",  "2026-1-01",
        "2026/02/14", "20260214",       "2026-02-14T00:00", " 2026-02-14", "2026-02-1a",
        "",           "２０２６-02-14",
    };
    cal_day_t d = 7;

    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        if (cal_parse_date(bad[i], &d) != -1)
            fail_msg("'%s' accepted", bad[i]);
        assert_int_equal(d, 7); /* untouched on failure */
    }
    assert_int_equal(cal_parse_date(NULL, &d), -1);
    assert_int_equal(cal_parse_date("2024-02-29", &d), 0);
    assert_int_equal(cal_parse_date("2000-02-29", &d), 0);
    assert_int_equal(cal_parse_date("2026-12-31", &d), 0);
    assert_int_equal(d, D("2027-01-01") - 1);
    (void)state;
}

/* 2026-11-21T16:00:00Z is midnight starting 22 November in +08:00. */
static void
test_day_of_ms_at_plus8(void **state)
{
    const int64_t midnight = INT64_C(1795276800000); /* 2026-11-21T16:00:00Z */
    cal_day_t d22 = D("2026-11-22");

    assert_int_equal(cal_day_of_ms(midnight, PLUS8), d22);
    assert_int_equal(cal_day_of_ms(midnight - 1, PLUS8), d22 - 1);
    assert_int_equal(cal_day_of_ms(midnight + 86400000 - 1, PLUS8), d22);
    assert_int_equal(cal_day_of_ms(midnight + 86400000, PLUS8), d22 + 1);
    /* In UTC the same instant is still the 21st, until 8 hours later. */
    assert_int_equal(cal_day_of_ms(midnight, 0), d22 - 1);
    assert_int_equal(cal_day_of_ms(midnight + 8 * 3600000, 0), d22);
    assert_int_equal(cal_day_start_ms(d22, PLUS8), midnight);
    assert_int_equal(cal_day_end_ms(d22 - 1, PLUS8), midnight);
    assert_int_equal(cal_day_end_ms(d22, PLUS8), midnight + 86400000);
    /* Before the epoch, and west of Greenwich. */
    assert_int_equal(cal_day_of_ms(0, 0), 0);
    assert_int_equal(cal_day_of_ms(-1, 0), -1);
    assert_int_equal(cal_day_of_ms(-86400000, 0), -1);
    assert_int_equal(cal_day_of_ms(-86400001, 0), -2);
    assert_int_equal(cal_day_of_ms(2 * 3600000, -12600), -1); /* 02:00Z is 22:30 the day before */
    assert_int_equal(cal_day_start_ms(0, -12600), 12600000);
    assert_int_equal(cal_day_of_ms(cal_day_start_ms(-1, -12600), -12600), -1);
    /* Untrusted times saturate instead of overflowing. */
    assert_int_equal(cal_day_of_ms(INT64_MAX, PLUS8), INT32_MAX);
    assert_int_equal(cal_day_of_ms(INT64_MIN, -PLUS8), INT32_MIN);
    (void)state;
}

static void
test_parse_offset(void **state)
{
    static const char *const bad[] = {"08:00",   "+8:00",  "+08",    "+0800",  "+08:60",
                                      "+19:00",  "",       "z",      "UTC",    "+08:0",
                                      "+08:000", "-18:30", "+ 8:00", "++8:00", "Z "};
    int32_t off = 99;

    assert_int_equal(cal_parse_offset("+08:00", &off), 0);
    assert_int_equal(off, 28800);
    assert_int_equal(cal_parse_offset("-03:30", &off), 0);
    assert_int_equal(off, -12600);
    assert_int_equal(cal_parse_offset("+05:45", &off), 0);
    assert_int_equal(off, 20700);
    assert_int_equal(cal_parse_offset("Z", &off), 0);
    assert_int_equal(off, 0);
    assert_int_equal(cal_parse_offset("-00:00", &off), 0);
    assert_int_equal(off, 0);
    off = 99;
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        if (cal_parse_offset(bad[i], &off) != -1)
            fail_msg("offset '%s' accepted", bad[i]);
        assert_int_equal(off, 99);
    }
    assert_int_equal(cal_parse_offset(NULL, &off), -1);
    (void)state;
}

/* ---- Which days work. ---- */

static void
test_spring_festival_2026(void **state)
{
    calendar_t *cal = official();

    assert_true(calendar_year_known(cal, 2025));
    assert_true(calendar_year_known(cal, 2026));
    assert_false(calendar_year_known(cal, 2027)); /* loaded, not announced */
    assert_false(calendar_year_known(cal, 2024));
    assert_int_equal(dow(D("2026-02-14")), 5);
    assert_int_equal(dow(D("2026-02-28")), 5);
    assert_true(calendar_is_workday(cal, D("2026-02-14"))); /* Saturday, make-up */
    assert_true(calendar_is_workday(cal, D("2026-02-28"))); /* Saturday, make-up */
    for (cal_day_t d = D("2026-02-15"); d <= D("2026-02-23"); d++)
        assert_false(calendar_is_workday(cal, d));
    assert_true(calendar_is_workday(cal, D("2026-02-13")));
    assert_true(calendar_is_workday(cal, D("2026-02-24")));
    assert_false(calendar_is_workday(cal, D("2026-03-07"))); /* an ordinary weekend */
    assert_false(calendar_is_workday(cal, D("2026-03-08")));
    assert_true(calendar_is_workday(cal, D("2026-03-09")));
    assert_true(calendar_is_workday(cal, D("2026-01-04"))); /* Sunday, make-up */
    assert_false(calendar_is_workday(cal, D("2026-01-02")));
    assert_false(calendar_is_workday(cal, D("2025-10-08"))); /* Wednesday, National Day 2025 */
    assert_true(calendar_is_workday(cal, D("2025-10-11")));  /* Saturday, make-up */
    /* 2027 follows the week: its New Year's Day (a Friday) counts until it is announced. */
    assert_true(calendar_is_workday(cal, D("2027-01-01")));
    assert_false(calendar_is_workday(cal, D("2027-01-02")));
    calendar_destroy(&cal);
    assert_null(cal);
    calendar_destroy(&cal);
    calendar_destroy(NULL);
    (void)state;
}

/* Every day of 2025 and 2026 as the files list it, otherwise by the weekday. */
static void
test_every_listed_day(void **state)
{
    calendar_t *cal = official();
    int listed = 0;

    for (int year = 2025; year <= 2026; year++) {
        pm_calendar_t *c = read_year(year);
        for (cal_day_t d = cal_day_from_ymd(year, 1, 1); d <= cal_day_from_ymd(year, 12, 31); d++) {
            char buf[16];
            bool want = dow(d) < 5;
            cal_format_date(d, buf, sizeof(buf));
            for (size_t i = 0; i < c->ndays; i++) {
                if (strcmp(c->days[i].date, buf) == 0) {
                    want = !c->days[i].off;
                    listed++;
                }
            }
            if (calendar_is_workday(cal, d) != want)
                fail_msg("%s: want %s", buf, want ? "working day" : "day off");
        }
        pm_calendar_destroy(&c);
    }
    assert_int_equal(listed, 33 + 39);
    calendar_destroy(&cal);
    (void)state;
}

/* ---- Counting. ---- */

static void
test_add_across_spring_festival(void **state)
{
    calendar_t *cal = official();
    bool prov = false;

    assert_day(D("2026-02-14"), calendar_add_workdays(cal, D("2026-02-13"), 1, &prov));
    assert_day(D("2026-02-24"), calendar_add_workdays(cal, D("2026-02-13"), 2, &prov));
    assert_day(D("2026-02-27"), calendar_add_workdays(cal, D("2026-02-13"), 5, &prov));
    assert_day(D("2026-02-28"), calendar_add_workdays(cal, D("2026-02-13"), 6, &prov));
    assert_day(D("2026-03-02"), calendar_add_workdays(cal, D("2026-02-13"), 7, &prov));
    assert_day(D("2026-02-26"), calendar_add_workdays(cal, D("2026-02-12"), 5, &prov));
    /* From a holiday: the first working day after it. */
    assert_day(D("2026-02-24"), calendar_add_workdays(cal, D("2026-02-15"), 1, &prov));
    assert_day(D("2026-02-24"), calendar_add_workdays(cal, D("2026-02-14"), 1, &prov));
    assert_false(prov);

    assert_day(D("2026-02-14"), calendar_sub_workdays(cal, D("2026-02-24"), 1, &prov));
    assert_day(D("2026-02-13"), calendar_sub_workdays(cal, D("2026-02-24"), 2, &prov));
    assert_day(D("2026-02-13"), calendar_sub_workdays(cal, D("2026-03-02"), 7, &prov));
    assert_day(D("2026-02-12"), calendar_sub_workdays(cal, D("2026-02-26"), 5, &prov));
    assert_day(D("2026-02-14"), calendar_sub_workdays(cal, D("2026-02-23"), 1, &prov));
    assert_false(prov);

    assert_int_equal(calendar_workdays_between(cal, D("2026-02-13"), D("2026-03-02"), &prov), 7);
    assert_int_equal(calendar_workdays_between(cal, D("2026-02-14"), D("2026-02-23"), &prov), 0);
    assert_int_equal(calendar_workdays_between(cal, D("2026-02-13"), D("2026-02-14"), &prov), 1);
    assert_false(prov);
    calendar_destroy(&cal);
    (void)state;
}

static void
test_add_across_national_day_2026(void **state)
{
    calendar_t *cal = official();
    bool prov = false;

    assert_day(D("2026-10-08"), calendar_add_workdays(cal, D("2026-09-30"), 1, &prov));
    assert_day(D("2026-10-09"), calendar_add_workdays(cal, D("2026-09-30"), 2, &prov));
    assert_day(D("2026-10-10"), calendar_add_workdays(cal, D("2026-09-30"), 3, &prov));
    assert_day(D("2026-10-12"), calendar_add_workdays(cal, D("2026-09-30"), 4, &prov));
    assert_day(D("2026-09-28"), calendar_add_workdays(cal, D("2026-09-24"), 1, &prov));
    assert_day(D("2026-09-20"), calendar_add_workdays(cal, D("2026-09-18"), 1, &prov));
    assert_day(D("2026-09-24"), calendar_add_workdays(cal, D("2026-09-18"), 5, &prov));
    assert_day(D("2026-09-28"), calendar_add_workdays(cal, D("2026-09-18"), 6, &prov));
    /* 10 working days from 18 Sept: 20-24, 28-30 Sept, 8-9 Oct. */
    assert_day(D("2026-10-09"), calendar_add_workdays(cal, D("2026-09-18"), 10, &prov));
    assert_day(D("2026-09-30"), calendar_sub_workdays(cal, D("2026-10-08"), 1, &prov));
    assert_day(D("2026-09-18"), calendar_sub_workdays(cal, D("2026-09-20"), 1, &prov));
    assert_day(D("2026-09-18"), calendar_sub_workdays(cal, D("2026-10-09"), 10, &prov));
    assert_day(D("2026-09-24"), calendar_sub_workdays(cal, D("2026-09-28"), 1, &prov));
    assert_int_equal(calendar_workdays_between(cal, D("2026-09-30"), D("2026-10-12"), &prov), 4);
    assert_int_equal(calendar_workdays_between(cal, D("2026-09-18"), D("2026-10-09"), &prov), 10);
    assert_false(prov);
    calendar_destroy(&cal);
    (void)state;
}

static void
test_add_across_year_end(void **state)
{
    calendar_t *cal = official();
    bool prov = false;

    assert_day(D("2026-01-04"), calendar_add_workdays(cal, D("2025-12-31"), 1, &prov));
    assert_day(D("2026-01-05"), calendar_add_workdays(cal, D("2025-12-31"), 2, &prov));
    assert_day(D("2025-12-31"), calendar_add_workdays(cal, D("2025-12-30"), 1, &prov));
    assert_day(D("2026-01-04"), calendar_add_workdays(cal, D("2025-12-30"), 2, &prov));
    assert_day(D("2026-01-04"), calendar_sub_workdays(cal, D("2026-01-05"), 1, &prov));
    assert_day(D("2025-12-31"), calendar_sub_workdays(cal, D("2026-01-05"), 2, &prov));
    assert_day(D("2025-12-31"), calendar_sub_workdays(cal, D("2026-01-03"), 1, &prov));
    assert_int_equal(calendar_workdays_between(cal, D("2025-12-26"), D("2026-01-09"), &prov), 9);
    /* Both years in full: 261 weekdays each, less 18 (2025) / 19 (2026) weekday holidays,
     * plus 5 / 6 make-up days. */
    assert_int_equal(calendar_workdays_between(cal, D("2024-12-31"), D("2025-12-31"), NULL), 248);
    assert_int_equal(calendar_workdays_between(cal, D("2025-12-31"), D("2026-12-31"), &prov), 248);
    assert_false(prov);
    /* 248 working days from the last of 2025 end on the last working day of 2026. */
    assert_day(D("2026-12-31"), calendar_add_workdays(cal, D("2025-12-31"), 248, &prov));
    assert_day(D("2025-12-31"), calendar_sub_workdays(cal, D("2026-12-31"), 248, &prov));
    assert_false(prov);
    calendar_destroy(&cal);
    (void)state;
}

static void
test_zero_days(void **state)
{
    calendar_t *cal = official();
    bool prov = false;

    /* A working day is its own answer; a day off moves to the next / previous working day. */
    assert_day(D("2026-02-14"), calendar_add_workdays(cal, D("2026-02-14"), 0, &prov));
    assert_day(D("2026-02-14"), calendar_sub_workdays(cal, D("2026-02-14"), 0, &prov));
    assert_day(D("2026-02-24"), calendar_add_workdays(cal, D("2026-02-15"), 0, &prov));
    assert_day(D("2026-02-14"), calendar_sub_workdays(cal, D("2026-02-15"), 0, &prov));
    assert_day(D("2026-03-02"), calendar_add_workdays(cal, D("2026-03-01"), 0, &prov));
    assert_day(D("2026-02-28"), calendar_sub_workdays(cal, D("2026-03-01"), 0, &prov));
    assert_day(D("2026-01-04"), calendar_add_workdays(cal, D("2026-01-01"), 0, &prov));
    assert_day(D("2025-12-31"), calendar_sub_workdays(cal, D("2026-01-03"), 0, &prov));
    assert_int_equal(calendar_workdays_between(cal, D("2026-02-14"), D("2026-02-14"), &prov), 0);
    assert_int_equal(calendar_workdays_between(cal, D("2026-03-02"), D("2026-02-13"), &prov), 0);
    assert_false(prov);
    /* n == 0 on a working day of an unknown year is provisional: the day may be a holiday. */
    assert_day(D("2027-01-01"), calendar_add_workdays(cal, D("2027-01-01"), 0, &prov));
    assert_true(prov);
    calendar_destroy(&cal);
    (void)state;
}

/* A negative count goes the other way, so the clock can take back paused days. */
static void
test_negative_counts(void **state)
{
    calendar_t *cal = official();

    assert_day(D("2026-02-13"), calendar_add_workdays(cal, D("2026-02-24"), -2, NULL));
    assert_day(D("2026-02-24"), calendar_sub_workdays(cal, D("2026-02-13"), -2, NULL));
    calendar_destroy(&cal);
    (void)state;
}

static void
test_provisional(void **state)
{
    calendar_t *cal = official();
    bool prov = false;

    /* Inside 2026, even up to its last day: not provisional. */
    assert_day(D("2026-12-31"), calendar_add_workdays(cal, D("2026-12-25"), 4, &prov));
    assert_false(prov);
    assert_int_equal(calendar_workdays_between(cal, D("2026-12-25"), D("2026-12-31"), &prov), 4);
    assert_false(prov);
    /* Into 2027 (loaded, not announced): provisional, counted by the week. */
    assert_day(D("2027-01-01"), calendar_add_workdays(cal, D("2026-12-25"), 5, &prov));
    assert_true(prov);
    prov = false;
    assert_int_equal(calendar_workdays_between(cal, D("2026-12-25"), D("2027-01-04"), &prov), 6);
    assert_true(prov);
    /* Back from 2027: only the days counted matter, not the day counted from. */
    prov = false;
    assert_day(D("2026-12-31"), calendar_sub_workdays(cal, D("2027-01-01"), 1, &prov));
    assert_false(prov);
    assert_day(D("2027-01-01"), calendar_sub_workdays(cal, D("2027-01-05"), 2, &prov));
    assert_true(prov);
    /* Back into 2024 (not loaded): 2025-01-01 is off, then the last two days of 2024. */
    prov = false;
    assert_day(D("2024-12-30"), calendar_sub_workdays(cal, D("2025-01-02"), 2, &prov));
    assert_true(prov);
    prov = false;
    assert_day(D("2025-01-02"), calendar_add_workdays(cal, D("2024-12-31"), 1, &prov));
    assert_false(prov); /* 2025-01-01 and -02 are the days counted */
    /* Left alone when nothing unknown is counted: a caller can accumulate. */
    prov = true;
    calendar_add_workdays(cal, D("2026-02-13"), 7, &prov);
    assert_true(prov);
    calendar_destroy(&cal);
    (void)state;
}

static void
test_no_calendar(void **state)
{
    calendar_t *cal = calendar_new();
    bool prov = false;

    assert_false(calendar_year_known(cal, 2026));
    assert_false(calendar_is_workday(cal, D("2026-02-14"))); /* Saturday */
    assert_true(calendar_is_workday(cal, D("2026-02-16")));  /* Monday, a holiday really */
    assert_false(calendar_is_workday(cal, 2));               /* Saturday 3 January 1970 */
    assert_true(calendar_is_workday(cal, 0));
    assert_day(D("2026-02-16"), calendar_add_workdays(cal, D("2026-02-13"), 1, &prov));
    assert_true(prov);
    prov = false;
    assert_day(D("2026-01-01"), calendar_add_workdays(cal, D("2025-12-31"), 1, &prov));
    assert_true(prov);
    prov = false;
    assert_day(D("2026-02-13"), calendar_sub_workdays(cal, D("2026-02-16"), 1, &prov));
    assert_true(prov);
    prov = false;
    assert_int_equal(calendar_workdays_between(cal, D("2026-02-13"), D("2026-02-20"), &prov), 5);
    assert_true(prov);
    /* Whole weeks: 5000 working days from a Thursday is 1000 weeks later. */
    assert_int_equal(calendar_add_workdays(cal, 0, 5000, NULL), 7000);
    assert_int_equal(calendar_sub_workdays(cal, 7000, 5000, NULL), 0);
    assert_int_equal(calendar_workdays_between(cal, 0, 7000, NULL), 5000);
    /* Counts past the end of cal_day_t clamp instead of overflowing. */
    assert_int_equal(calendar_add_workdays(cal, 0, INT_MAX, NULL), INT32_MAX);
    assert_int_equal(calendar_sub_workdays(cal, 0, INT_MAX, NULL), INT32_MIN);
    assert_int_equal(calendar_add_workdays(cal, INT32_MAX, 1, NULL), INT32_MAX);
    assert_int_equal(calendar_workdays_between(cal, INT32_MIN, INT32_MAX, NULL), INT_MAX);
    calendar_destroy(&cal);
    (void)state;
}

/* A year with neither days nor papers is loaded but not known; loading again replaces. */
static void
test_reload_and_unannounced(void **state)
{
    calendar_t *cal = calendar_new();
    pm_calendar_t *c;
    char *reason = NULL;
    bool prov = false;

    load(cal, 2027);
    assert_false(calendar_year_known(cal, 2027));
    load(cal, 2026);
    assert_true(calendar_year_known(cal, 2026));
    assert_true(calendar_is_workday(cal, D("2026-02-14")));

    /* A corrected 2026: only 2 March off. The old listing is gone. */
    c = make_year(2026, "2026-03-02", true, NULL);
    assert_int_equal(calendar_load_year(cal, c, &reason), 0);
    pm_calendar_destroy(&c);
    assert_true(calendar_year_known(cal, 2026));
    assert_false(calendar_is_workday(cal, D("2026-02-14")));
    assert_true(calendar_is_workday(cal, D("2026-02-16")));
    assert_false(calendar_is_workday(cal, D("2026-03-02")));
    assert_day(D("2026-03-03"), calendar_add_workdays(cal, D("2026-02-27"), 1, &prov));
    assert_false(prov);

    /* Papers without days: announced, nothing special (a year with no holidays at all). */
    c = make_year(2027, NULL);
    strv_push(&c->papers, "https://www.gov.cn/example");
    assert_int_equal(calendar_load_year(cal, c, &reason), 0);
    pm_calendar_destroy(&c);
    assert_true(calendar_year_known(cal, 2027));
    assert_day(D("2027-01-01"), calendar_add_workdays(cal, D("2026-12-31"), 1, &prov));
    assert_false(prov);

    /* Replaced by an empty file: not known again. */
    load(cal, 2027);
    assert_false(calendar_year_known(cal, 2027));
    calendar_add_workdays(cal, D("2026-12-31"), 1, &prov);
    assert_true(prov);

    /* Years loaded out of order stay found. */
    load(cal, 2025);
    assert_true(calendar_year_known(cal, 2025));
    assert_false(calendar_is_workday(cal, D("2025-10-08")));
    assert_null(reason);
    calendar_destroy(&cal);
    (void)state;
}

static void
test_load_refusals(void **state)
{
    calendar_t *cal = official();
    pm_calendar_t *c;

    c = make_year(2026, "2026-10-01", true, "2025-12-31", true, NULL);
    assert_load_refused(cal, &c, "2025-12-31 is not in 2026");
    c = make_year(2026, "2027-01-01", true, NULL);
    assert_load_refused(cal, &c, "2027-01-01 is not in 2026");
    c = make_year(2026, "2026-02-30", true, NULL);
    assert_load_refused(cal, &c, "'2026-02-30' is not a valid date");
    c = make_year(2026, "2026/02/14", false, NULL);
    assert_load_refused(cal, &c, "'2026/02/14' is not a valid date");
    c = make_year(2026, "next friday", false, NULL);
    assert_load_refused(cal, &c, "'next friday' is not a valid date");
    c = make_year(2026, "2026-10-01", true, "2026-10-02", true, "2026-10-01", false, NULL);
    assert_load_refused(cal, &c, "2026-10-01 is listed twice");
    c = make_year(2026, "2026-10-01", true, NULL);
    free(c->days[0].date);
    c->days[0].date = NULL;
    assert_load_refused(cal, &c, "listed day 1 has no date");
    c = make_year(0, NULL);
    assert_load_refused(cal, &c, "year 0 is not between");
    c = make_year(10000, NULL);
    assert_load_refused(cal, &c, "year 10000 is not between");

    /* Nothing changed: 2026 is still the official one. */
    assert_true(calendar_year_known(cal, 2026));
    assert_true(calendar_is_workday(cal, D("2026-02-14")));
    assert_false(calendar_is_workday(cal, D("2026-10-01")));
    assert_false(calendar_year_known(cal, 0));
    calendar_destroy(&cal);
    (void)state;
}

/* ---- Against a day-by-day walk. ---- */

/* Whether any day in [a, b] lies in a year that is not known. */
static bool
naive_unknown(const calendar_t *cal, cal_day_t a, cal_day_t b)
{
    for (cal_day_t d = a; d <= b; d++)
        if (!calendar_year_known(cal, cal_year_of(d)))
            return true;
    return false;
}

static cal_day_t
naive_add(const calendar_t *cal, cal_day_t from, int n, int step)
{
    cal_day_t d = from;

    if (n == 0) {
        while (!calendar_is_workday(cal, d))
            d += step;
        return d;
    }
    while (n > 0) {
        d += step;
        n -= calendar_is_workday(cal, d);
    }
    return d;
}

static void
test_against_walk(void **state)
{
    static const int ns[] = {0, 1, 2, 3, 4, 5, 6, 7, 10, 15, 20, 30, 60};
    calendar_t *cal = official();

    for (cal_day_t from = D("2024-12-01"); from <= D("2027-02-01"); from++) {
        for (size_t i = 0; i < ARRAY_LEN(ns); i++) {
            bool prov = false;
            cal_day_t want = naive_add(cal, from, ns[i], 1);
            cal_day_t got = calendar_add_workdays(cal, from, ns[i], &prov);
            cal_day_t lo = ns[i] == 0 ? from : from + 1;
            assert_day(want, got);
            assert_int_equal(prov, naive_unknown(cal, lo, got));

            prov = false;
            want = naive_add(cal, from, ns[i], -1);
            got = calendar_sub_workdays(cal, from, ns[i], &prov);
            assert_day(want, got);
            assert_int_equal(prov, naive_unknown(cal, got, ns[i] == 0 ? from : from - 1));
        }
    }
    /* Counts between pairs, stepping the end by 3 days to keep it quick. */
    for (cal_day_t a = D("2024-12-20"); a <= D("2027-01-10"); a += 5) {
        int want = 0;
        for (cal_day_t b = a; b <= a + 400; b++) {
            bool prov = false;
            if (b > a)
                want += calendar_is_workday(cal, b);
            if ((b - a) % 3 != 0)
                continue;
            assert_int_equal(calendar_workdays_between(cal, a, b, &prov), want);
            assert_int_equal(prov, b > a && naive_unknown(cal, a + 1, b));
        }
    }
    calendar_destroy(&cal);
    (void)state;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_day_zero_and_known_days),
        cmocka_unit_test(test_every_day_round_trips),
        cmocka_unit_test(test_parse_date_refusals),
        cmocka_unit_test(test_day_of_ms_at_plus8),
        cmocka_unit_test(test_parse_offset),
        cmocka_unit_test(test_spring_festival_2026),
        cmocka_unit_test(test_every_listed_day),
        cmocka_unit_test(test_add_across_spring_festival),
        cmocka_unit_test(test_add_across_national_day_2026),
        cmocka_unit_test(test_add_across_year_end),
        cmocka_unit_test(test_zero_days),
        cmocka_unit_test(test_negative_counts),
        cmocka_unit_test(test_provisional),
        cmocka_unit_test(test_no_calendar),
        cmocka_unit_test(test_reload_and_unannounced),
        cmocka_unit_test(test_load_refusals),
        cmocka_unit_test(test_against_walk),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
