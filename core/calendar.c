/*
 * calendar: see calendar.h.
 *
 * Each loaded year keeps its working days as a prefix count: cum[i] is the number of working
 * days among the year's first i days, so "is day i a working day" is cum[i + 1] > cum[i],
 * "how many working days in [i, j)" is cum[j] - cum[i], and "where is the k-th one" is a binary
 * search. Days outside the announced years follow the ordinary week, where seven consecutive
 * days always hold five working days, so they are counted in closed form.
 *
 * The arithmetic therefore walks segments, not days: an announced year, or a stretch between
 * two announced years (possibly many unknown years long). A count costs O(S * (Y + log 366))
 * for S segments crossed and Y loaded years (a handful), whatever the number of days, which
 * matters because the clock asks for remaining working days on every status and list.
 *
 * Internally days are int64_t so no intermediate overflows; results that do not fit a
 * cal_day_t are clamped to its range (they are provisional anyway: no year there is known).
 */
#include "calendar.h"

#include <assert.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "util.h"

#define MS_PER_DAY INT64_C(86400000)
/* Loadable years: the ones a "YYYY-MM-DD" date can name, without year 0. */
#define YEAR_MIN 1
#define YEAR_MAX 9999
/* Segment bounds beyond every announced year: far outside cal_day_t, far from overflow. */
#define FAR_PAST (INT64_MIN / 4)
#define FAR_FUTURE (INT64_MAX / 4)

typedef struct cal_year {
    int year;
    bool announced; /* it had listed days or papers */
    int64_t first;  /* its 1 January */
    int ndays;      /* 365 or 366 */
    uint16_t cum[367];
} cal_year_t;

struct calendar {
    cal_year_t *years; /* sorted by year; unannounced ones too, so year_known can say "no" */
    size_t n;
};

/* ---- Civil dates (proleptic Gregorian; H. Hinnant's days_from_civil/civil_from_days). ---- */

static int64_t
days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static bool
leap_year(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int64_t y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    return m == 2 && leap_year(y) ? 29 : dim[m - 1];
}

/* Monday 0 ... Sunday 6; day 0 (1970-01-01) was a Thursday. */
static int
weekday(int64_t day)
{
    int64_t r = (day + 3) % 7;

    return (int)(r < 0 ? r + 7 : r);
}

static bool
weekday_works(int64_t day)
{
    return weekday(day) < 5;
}

static cal_day_t
clamp_day(int64_t d)
{
    return d < INT32_MIN ? INT32_MIN : d > INT32_MAX ? INT32_MAX : (cal_day_t)d;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

cal_day_t
cal_day_from_ymd(int year, int month, int mday)
{
    assert(month >= 1 && month <= 12 && mday >= 1 && mday <= 31);
    return clamp_day(days_from_civil(year, month, mday));
}

int
cal_year_of(cal_day_t day)
{
    int64_t y;
    int m, d;

    civil_from_days(day, &y, &m, &d);
    return (int)y;
}

/* Strict "YYYY-MM-DD": the holiday files and the wire carry exactly this shape. */
int
cal_parse_date(const char *s, cal_day_t *out)
{
    int y, m, d;

    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    m = (s[5] - '0') * 10 + (s[6] - '0');
    d = (s[8] - '0') * 10 + (s[9] - '0');
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return -1;
    *out = cal_day_from_ymd(y, m, d);
    return 0;
}

char *
cal_format_date(cal_day_t day, char *buf, size_t len)
{
    int64_t y;
    int m, d;

    civil_from_days(day, &y, &m, &d);
    snprintf(buf, len, "%04lld-%02d-%02d", (long long)y, m, d);
    return buf;
}

/* Two digits at s; -1 if either is not a digit. */
static int
two_digits(const char *s)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return -1;
    return (s[0] - '0') * 10 + (s[1] - '0');
}

int
cal_parse_offset(const char *s, int32_t *out)
{
    int h, m;

    if (s == NULL)
        return -1;
    if (strcmp(s, "Z") == 0) {
        *out = 0;
        return 0;
    }
    if ((s[0] != '+' && s[0] != '-') || strlen(s) != 6 || s[3] != ':')
        return -1;
    h = two_digits(s + 1);
    m = two_digits(s + 4);
    /* Real zones span -12:00 to +14:00; ISO 8601 readers commonly allow up to 18 hours. */
    if (h < 0 || m < 0 || h > 18 || m > 59 || (h == 18 && m != 0))
        return -1;
    *out = (s[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
    return 0;
}

/* Times from peers can be anything; saturate instead of overflowing. */
cal_day_t
cal_day_of_ms(int64_t ms, int32_t utc_offset_s)
{
    int64_t local;

    if (__builtin_add_overflow(ms, (int64_t)utc_offset_s * 1000, &local))
        local = ms < 0 ? INT64_MIN : INT64_MAX;
    return clamp_day(floor_div(local, MS_PER_DAY));
}

int64_t
cal_day_start_ms(cal_day_t day, int32_t utc_offset_s)
{
    return (int64_t)day * MS_PER_DAY - (int64_t)utc_offset_s * 1000;
}

int64_t
cal_day_end_ms(cal_day_t day, int32_t utc_offset_s)
{
    return ((int64_t)day + 1) * MS_PER_DAY - (int64_t)utc_offset_s * 1000;
}

/* ---- The calendar. ---- */

calendar_t *
calendar_new(void)
{
    return xcalloc(1, sizeof(calendar_t));
}

void
calendar_destroy(calendar_t **p)
{
    calendar_t *cal = p ? *p : NULL;

    if (cal == NULL)
        return;
    free(cal->years);
    free(cal);
    *p = NULL;
}

static cal_year_t *
year_find(const calendar_t *cal, int year)
{
    size_t lo = 0, hi = cal->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cal->years[mid].year == year)
            return &cal->years[mid];
        if (cal->years[mid].year < year)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/*
 * Check a year's listing and build its table into *y; -1 with a reason (caller owns). The
 * table is built aside so a refused year leaves the loaded one untouched.
 */
static int
year_build(const pm_calendar_t *src, cal_year_t *y, char **reason)
{
    enum { WEEK, OFF, ON };
    uint8_t type[366] = {0};

    if (src->year < YEAR_MIN || src->year > YEAR_MAX) {
        *reason = xasprintf(_("calendar: year %u is not between %d and %d"), src->year, YEAR_MIN,
                            YEAR_MAX);
        return -1;
    }
    memset(y, 0, sizeof(*y));
    y->year = (int)src->year;
    y->announced = src->ndays > 0 || src->papers.n > 0;
    y->first = days_from_civil(y->year, 1, 1);
    y->ndays = leap_year(y->year) ? 366 : 365;
    for (size_t i = 0; i < src->ndays; i++) {
        const char *date = src->days[i].date;
        cal_day_t day;
        int64_t at;

        if (util_empty(date)) {
            *reason = xasprintf(_("calendar %d: listed day %zu has no date"), y->year, i + 1);
            return -1;
        }
        if (cal_parse_date(date, &day) != 0) {
            *reason = xasprintf(_("calendar %d: '%.40s' is not a valid date (YYYY-MM-DD)"), y->year,
                                date);
            return -1;
        }
        at = day - y->first;
        if (at < 0 || at >= y->ndays) {
            *reason = xasprintf(_("calendar %d: %s is not in %d"), y->year, date, y->year);
            return -1;
        }
        if (type[at] != WEEK) {
            *reason = xasprintf(_("calendar %d: %s is listed twice"), y->year, date);
            return -1;
        }
        type[at] = src->days[i].off ? OFF : ON;
    }
    for (int i = 0; i < y->ndays; i++) {
        bool works = type[i] == ON || (type[i] == WEEK && weekday_works(y->first + i));
        y->cum[i + 1] = (uint16_t)(y->cum[i] + works);
    }
    return 0;
}

int
calendar_load_year(calendar_t *cal, const pm_calendar_t *year, char **reason)
{
    cal_year_t built, *slot;
    size_t at = 0;

    assert(cal != NULL && year != NULL && reason != NULL);
    if (year_build(year, &built, reason) != 0)
        return -1;
    slot = year_find(cal, built.year);
    if (slot == NULL) {
        while (at < cal->n && cal->years[at].year < built.year)
            at++;
        cal->years = xrealloc(cal->years, (cal->n + 1) * sizeof(cal_year_t));
        memmove(&cal->years[at + 1], &cal->years[at], (cal->n - at) * sizeof(cal_year_t));
        cal->n++;
        slot = &cal->years[at];
    }
    *slot = built;
    return 0;
}

bool
calendar_year_known(const calendar_t *cal, int year)
{
    const cal_year_t *y = year_find(cal, year);

    return y != NULL && y->announced;
}

/*
 * The segment holding day d: an announced year (returned, [lo, hi) is that year) or a stretch
 * no announced year covers (NULL, [lo, hi) between the neighbouring announced years, or
 * FAR_PAST / FAR_FUTURE). Linear in the loaded years, which are a handful.
 */
static const cal_year_t *
segment_of(const calendar_t *cal, int64_t d, int64_t *lo, int64_t *hi)
{
    *lo = FAR_PAST;
    *hi = FAR_FUTURE;
    for (size_t i = 0; i < cal->n; i++) {
        const cal_year_t *y = &cal->years[i];
        if (!y->announced)
            continue;
        if (d < y->first) {
            *hi = y->first;
            return NULL;
        }
        if (d < y->first + y->ndays) {
            *lo = y->first;
            *hi = y->first + y->ndays;
            return y;
        }
        *lo = y->first + y->ndays;
    }
    return NULL;
}

/* Working days of the ordinary week in [a, b). */
static int64_t
week_count(int64_t a, int64_t b)
{
    int64_t n = b > a ? b - a : 0, count = n / 7 * 5;

    for (int64_t d = a + n / 7 * 7; d < b; d++)
        count += weekday_works(d);
    return count;
}

/* The k-th (k >= 1) working day of the ordinary week at or after `from`. */
static int64_t
week_nth_after(int64_t from, int64_t k)
{
    int64_t weeks = (k - 1) / 5, d = from + weeks * 7;

    k -= weeks * 5;
    for (;; d++)
        if (weekday_works(d) && --k == 0)
            return d;
}

/* The k-th (k >= 1) working day of the ordinary week at or before `from`. */
static int64_t
week_nth_before(int64_t from, int64_t k)
{
    int64_t weeks = (k - 1) / 5, d = from - weeks * 7;

    k -= weeks * 5;
    for (;; d--)
        if (weekday_works(d) && --k == 0)
            return d;
}

/* The smallest index j of year y with cum[j + 1] >= t, for 1 <= t <= cum[ndays]. */
static int64_t
year_nth(const cal_year_t *y, int64_t t)
{
    int lo = 0, hi = y->ndays - 1;

    assert(t >= 1 && t <= y->cum[y->ndays]);
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (y->cum[mid + 1] >= t)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static void
mark(bool *provisional)
{
    if (provisional != NULL)
        *provisional = true;
}

/* Working days in [a, b). */
static int64_t
count_range(const calendar_t *cal, int64_t a, int64_t b, bool *provisional)
{
    int64_t total = 0;

    while (a < b) {
        int64_t lo, hi, end;
        const cal_year_t *y = segment_of(cal, a, &lo, &hi);

        end = hi < b ? hi : b;
        if (y != NULL) {
            total += y->cum[end - y->first] - y->cum[a - y->first];
        } else {
            total += week_count(a, end);
            mark(provisional);
        }
        a = end;
    }
    return total;
}

/* The k-th (k >= 1) working day at or after d. */
static int64_t
nth_forward(const calendar_t *cal, int64_t d, int64_t k, bool *provisional)
{
    for (;;) {
        int64_t lo, hi, at;
        const cal_year_t *y = segment_of(cal, d, &lo, &hi);

        if (y != NULL) {
            int64_t before = y->cum[d - y->first], avail = y->cum[y->ndays] - before;
            if (avail >= k)
                return y->first + year_nth(y, before + k);
            k -= avail;
        } else {
            mark(provisional);
            at = week_nth_after(d, k);
            if (at < hi)
                return at;
            k -= week_count(d, hi);
        }
        d = hi;
    }
}

/* The k-th (k >= 1) working day at or before d. */
static int64_t
nth_backward(const calendar_t *cal, int64_t d, int64_t k, bool *provisional)
{
    for (;;) {
        int64_t lo, hi, at;
        const cal_year_t *y = segment_of(cal, d, &lo, &hi);

        if (y != NULL) {
            int64_t avail = y->cum[d - y->first + 1];
            if (avail >= k)
                return y->first + year_nth(y, avail - k + 1);
            k -= avail;
        } else {
            mark(provisional);
            at = week_nth_before(d, k);
            if (at >= lo)
                return at;
            k -= week_count(lo, d + 1);
        }
        d = lo - 1;
    }
}

bool
calendar_is_workday(const calendar_t *cal, cal_day_t day)
{
    int64_t lo, hi;
    const cal_year_t *y = segment_of(cal, day, &lo, &hi);

    if (y == NULL)
        return weekday_works(day);
    return y->cum[day - y->first + 1] > y->cum[day - y->first];
}

/*
 * A negative n counts the other way, so a caller taking back paused days needs no sign test;
 * int64_t keeps -INT_MIN defined.
 */
cal_day_t
calendar_add_workdays(const calendar_t *cal, cal_day_t from, int n, bool *provisional)
{
    if (n < 0)
        return clamp_day(nth_backward(cal, (int64_t)from - 1, -(int64_t)n, provisional));
    if (n == 0)
        return clamp_day(nth_forward(cal, from, 1, provisional));
    return clamp_day(nth_forward(cal, (int64_t)from + 1, n, provisional));
}

cal_day_t
calendar_sub_workdays(const calendar_t *cal, cal_day_t from, int n, bool *provisional)
{
    if (n < 0)
        return clamp_day(nth_forward(cal, (int64_t)from + 1, -(int64_t)n, provisional));
    if (n == 0)
        return clamp_day(nth_backward(cal, from, 1, provisional));
    return clamp_day(nth_backward(cal, (int64_t)from - 1, n, provisional));
}

int
calendar_workdays_between(const calendar_t *cal, cal_day_t a, cal_day_t b, bool *provisional)
{
    int64_t n;

    if (b <= a)
        return 0;
    n = count_range(cal, (int64_t)a + 1, (int64_t)b + 1, provisional);
    return n > INT_MAX ? INT_MAX : (int)n;
}
