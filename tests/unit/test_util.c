/*
 * Unit tests of util: parsing and formatting times (in fixed time zones, so the expected
 * instants are constants), the UTF-8 check every imported field goes through, string lists,
 * array growth and identifiers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

/* 2026-11-22T00:00:00Z, the day most cases below fall on. */
#define DAY_UTC_MS INT64_C(1795305600000)
#define HOUR_MS INT64_C(3600000)
#define MINUTE_MS INT64_C(60000)

static void
set_tz(const char *tz)
{
    assert_int_equal(setenv("TZ", tz, 1), 0);
    tzset();
}

static int
setup_shanghai(void **state)
{
    (void)state;
    set_tz("Asia/Shanghai");
    return 0;
}

static int64_t
parse_ok(const char *s)
{
    int64_t ms = 0;

    if (util_parse_time(s, &ms) != 0)
        fail_msg("util_parse_time refused '%s'", s);
    return ms;
}

static void
test_parse_time_accepts(void **state)
{
    (void)state;

    /* A date alone is local midnight: 16:00 UTC the day before in Shanghai. */
    assert_int_equal(parse_ok("2026-11-22"), DAY_UTC_MS - 8 * HOUR_MS);
    assert_int_equal(parse_ok("2026-11-22 08:30"), DAY_UTC_MS + 30 * MINUTE_MS);
    assert_int_equal(parse_ok("2026-11-22T08:30"), DAY_UTC_MS + 30 * MINUTE_MS);
    assert_int_equal(parse_ok("2026-11-22 08:30:15"), DAY_UTC_MS + 30 * MINUTE_MS + 15000);
    assert_int_equal(parse_ok("2026-11-22T08:30:00.5"), DAY_UTC_MS + 30 * MINUTE_MS + 500);
    assert_int_equal(parse_ok("2026-11-22T08:30:00.5+08:00"), DAY_UTC_MS + 30 * MINUTE_MS + 500);
    assert_int_equal(parse_ok("2026-11-22T08:30:00.07+08:00"), DAY_UTC_MS + 30 * MINUTE_MS + 70);
    /* Digits past milliseconds are dropped, not rounded. */
    assert_int_equal(parse_ok("2026-11-22T08:30:00.123456Z"),
                     DAY_UTC_MS + 8 * HOUR_MS + 30 * MINUTE_MS + 123);
    assert_int_equal(parse_ok("2026-11-22T08:30:00.9999Z"),
                     DAY_UTC_MS + 8 * HOUR_MS + 30 * MINUTE_MS + 999);
    assert_int_equal(parse_ok("2026-11-22T08:30:00Z"), DAY_UTC_MS + 8 * HOUR_MS + 30 * MINUTE_MS);
    assert_int_equal(parse_ok("2026-11-22T08:30:00+00:00"),
                     DAY_UTC_MS + 8 * HOUR_MS + 30 * MINUTE_MS);
    assert_int_equal(parse_ok("2026-11-22T08:30:00-05:00"),
                     DAY_UTC_MS + 13 * HOUR_MS + 30 * MINUTE_MS);
    assert_int_equal(parse_ok("2026-11-22T08:30:00-03:30"), DAY_UTC_MS + 12 * HOUR_MS);
    assert_int_equal(parse_ok("2026-11-22T08:30:00+05:30"), DAY_UTC_MS + 3 * HOUR_MS);
    /* A long run of digits is milliseconds since the epoch. */
    assert_int_equal(parse_ok("1700000000123"), INT64_C(1700000000123));
    assert_int_equal(parse_ok("123456789"), 123456789);

    /* "Local" really is the TZ in force. */
    set_tz("UTC");
    assert_int_equal(parse_ok("2026-11-22"), DAY_UTC_MS);
    assert_int_equal(parse_ok("2026-11-22 08:30"), DAY_UTC_MS + 8 * HOUR_MS + 30 * MINUTE_MS);
    assert_int_equal(parse_ok("2026-11-22T08:30:00+08:00"), DAY_UTC_MS + 30 * MINUTE_MS);
    set_tz("Asia/Shanghai");
}

static void
test_utf8_trim(void **state)
{
    char s[32];
    (void)state;

    strcpy(s, "审批");
    util_utf8_trim(s);
    assert_string_equal(s, "审批"); /* complete: unchanged */
    strcpy(s, "审批");
    s[5] = '\0'; /* 批 cut after two of its three bytes */
    util_utf8_trim(s);
    assert_string_equal(s, "审");
    strcpy(s, "ab\xe5");
    util_utf8_trim(s);
    assert_string_equal(s, "ab");
    strcpy(s, "a😀");
    s[4] = '\0'; /* three of four bytes */
    util_utf8_trim(s);
    assert_string_equal(s, "a");
    strcpy(s, "");
    util_utf8_trim(s);
    assert_string_equal(s, "");
}

static void
test_parse_time_refuses(void **state)
{
    static const char *const bad[] = {
        "",
        "yesterday",
        "2026/11/22",
        "2026-13-01",
        "2026-11-22x",
        "2026-11-22T",
        "2026-11-22T08",
        "2026-11-22T25:00",
        "2026-11-22 08:30junk",
        "2026-11-22T08:30:00.",
        "2026-11-22T08:30:00.x",
        "2026-11-22T08:30:00+08",
        "2026-11-22T08:30:00 +08:00",
        "2026-11-22T08:30:00ZZ",
        "2026-11-22T08:30:00Y",
        "12345678", /* eight digits: neither a date nor plausibly milliseconds */
        "1700000000123x",
        "-1700000000123",
        "2026-11-22T08:30:00+08:00junk",
        "2026-11-22T08:30:00+99:99",
        "2026-11-22T08:30:00+-5:00",
        "2026-11-22T08:30:00+ 8:00",
        "2026-02-31",
        "2026-04-31 08:00",
        "99999999999999999999", /* far past any plausible time in milliseconds */
    };
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        int64_t ms = 42;
        if (util_parse_time(bad[i], &ms) != -1)
            fail_msg("util_parse_time accepted '%s' as %lld", bad[i], (long long)ms);
        /* The result is set only on success. */
        assert_int_equal(ms, 42);
    }
    {
        int64_t ms = 42;
        assert_int_equal(util_parse_time(NULL, &ms), -1);
        assert_int_equal(ms, 42);
    }
}

/* Format ms in the current zone, check the offset text, and parse it back. */
static void
check_round_trip(int64_t ms, const char *offset)
{
    char buf[64], *ret;
    int64_t whole = ms - (((ms % 1000) + 1000) % 1000); /* floor to the second */
    size_t n;

    ret = util_format_time(ms, true, buf, sizeof(buf));
    assert_ptr_equal(ret, buf);
    n = strlen(buf);
    assert_int_equal(n, strlen("2026-11-22T08:30:00.123+08:00"));
    assert_string_equal(buf + n - 6, offset);
    assert_int_equal(buf[10], 'T');
    assert_int_equal(buf[19], '.');
    assert_int_equal(parse_ok(buf), ms);

    util_format_time(ms, false, buf, sizeof(buf));
    n = strlen(buf);
    assert_int_equal(n, strlen("2026-11-22 08:30:00+08:00"));
    assert_string_equal(buf + n - 6, offset);
    assert_int_equal(buf[10], ' ');
    assert_int_equal(parse_ok(buf), whole);
}

static void
test_format_time_round_trip(void **state)
{
    char buf[64];
    (void)state;

    util_format_time(DAY_UTC_MS + 8 * HOUR_MS + 30 * MINUTE_MS + 123, true, buf, sizeof(buf));
    assert_string_equal(buf, "2026-11-22T16:30:00.123+08:00");
    util_format_time(DAY_UTC_MS + 30 * MINUTE_MS + 5, false, buf, sizeof(buf));
    assert_string_equal(buf, "2026-11-22 08:30:00+08:00");
    util_format_time(0, true, buf, sizeof(buf));
    assert_string_equal(buf, "1970-01-01T08:00:00.000+08:00");
    /* Before the epoch the fraction still counts up from the earlier second. */
    util_format_time(-1, true, buf, sizeof(buf));
    assert_string_equal(buf, "1970-01-01T07:59:59.999+08:00");

    /* Across the epoch, where the fraction changes sign and mktime's -1 is a real time. */
    for (int64_t ms = -5000; ms <= 5000; ms += 7)
        check_round_trip(ms, "+08:00");
    {
        int64_t ms = 0;
        assert_int_equal(util_parse_time("1970-01-01 07:59:59", &ms), 0);
        assert_int_equal(ms, -1000);
    }
    for (int64_t ms = DAY_UTC_MS - 3 * HOUR_MS; ms < DAY_UTC_MS + 3 * HOUR_MS; ms += 97 * 1009)
        check_round_trip(ms, "+08:00");

    set_tz("Asia/Kolkata");
    check_round_trip(DAY_UTC_MS + 123, "+05:30");
    util_format_time(DAY_UTC_MS, false, buf, sizeof(buf));
    assert_string_equal(buf, "2026-11-22 05:30:00+05:30");
    set_tz("America/Sao_Paulo");
    check_round_trip(DAY_UTC_MS + 456, "-03:00");
    util_format_time(DAY_UTC_MS, true, buf, sizeof(buf));
    assert_string_equal(buf, "2026-11-21T21:00:00.000-03:00");
    set_tz("Asia/Shanghai");
}

static void
assert_utf8(const char *s, size_t len, bool valid)
{
    if (util_utf8_valid(s, len) != valid) {
        char hex[128] = "";
        for (size_t i = 0; i < len && strlen(hex) + 4 < sizeof(hex); i++)
            snprintf(hex + strlen(hex), sizeof(hex) - strlen(hex), "%02x ", (unsigned char)s[i]);
        fail_msg("util_utf8_valid(%s) should be %s", hex, valid ? "true" : "false");
    }
}

#define VALID(lit) assert_utf8(lit, sizeof(lit) - 1, true)
#define INVALID(lit) assert_utf8(lit, sizeof(lit) - 1, false)

static void
test_utf8_valid(void **state)
{
    (void)state;

    VALID("");
    VALID("plain ASCII, with punctuation ~!");
    VALID("建设工程规划许可证");
    VALID("caf\xc3\xa9");
    VALID("\xf0\x9f\x98\x80 emoji");
    VALID("\xc2\x80");         /* U+0080, the smallest two-byte form */
    VALID("\xe0\xa0\x80");     /* U+0800 */
    VALID("\xef\xbf\xbf");     /* U+FFFF */
    VALID("\xed\x9f\xbf");     /* U+D7FF, just below the surrogates */
    VALID("\xee\x80\x80");     /* U+E000, just above them */
    VALID("\xf4\x8f\xbf\xbf"); /* U+10FFFF, the last code point */

    INVALID("\xc0\xaf");         /* overlong '/' */
    INVALID("\xc1\xbf");         /* overlong U+007F */
    INVALID("\xe0\x80\xaf");     /* overlong '/' in three bytes */
    INVALID("\xe0\x9f\xbf");     /* overlong U+07FF */
    INVALID("\xf0\x80\x80\xaf"); /* overlong '/' in four bytes */
    INVALID("\xf0\x8f\xbf\xbf"); /* overlong U+FFFF */
    INVALID("\xed\xa0\x80");     /* U+D800 */
    INVALID("\xed\xbf\xbf");     /* U+DFFF */
    INVALID("\xf4\x90\x80\x80"); /* U+110000 */
    INVALID("\xf7\xbf\xbf\xbf"); /* U+1FFFFF */
    INVALID("\xf8\x88\x80\x80\x80");
    INVALID("\xff");
    INVALID("\xfe");
    INVALID("\x80");             /* a lone continuation byte */
    INVALID("abc\xbf");          /* one at the end */
    INVALID("\xe4\xb8\xad\x80"); /* one after a complete character */
    INVALID("abc\xc3");          /* truncated at the end */
    INVALID("\xe4\xb8");
    INVALID("\xf0\x9f\x98");
    INVALID("\xe4\x41\x41"); /* a lead byte followed by ASCII */
    INVALID("a\0b");         /* an embedded NUL */
    INVALID("\0");

    /* The length is honoured: "中" cut after two bytes is truncated, ASCII before a NUL is fine. */
    assert_utf8("\xe4\xb8\xad", 2, false);
    assert_utf8("ab\0cd", 2, true);
}

/* util_hash is FNV-1a, 64 bits: the published test vectors. */
static void
test_hash(void **state)
{
    (void)state;
    assert_true(util_hash("") == UINT64_C(0xcbf29ce484222325));
    assert_true(util_hash("a") == UINT64_C(0xaf63dc4c8601ec8c));
    assert_true(util_hash("foobar") == UINT64_C(0x85944171f73967e8));
}

static void
assert_strv(const strv_t *sv, const char *const *want, size_t n)
{
    assert_int_equal(sv->n, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(sv->v[i], want[i]);
    if (n > 0)
        assert_null(sv->v[n]);
}

static void
test_strv_split(void **state)
{
    strv_t sv = {0};
    static const char *const want[] = {"EIA", "SOIL WATER", "RELICS", "环评"};
    (void)state;

    strv_split(&sv, "  EIA ; SOIL WATER,,RELICS;\t;  环评 ,", ";,");
    assert_strv(&sv, want, ARRAY_LEN(want));
    strv_clear(&sv);
    assert_null(sv.v);
    assert_int_equal(sv.n, 0);

    strv_split(&sv, " ; ,, \t ;", ";,");
    assert_int_equal(sv.n, 0);
    strv_split(&sv, "", ";");
    assert_int_equal(sv.n, 0);
    strv_split(&sv, NULL, ";");
    assert_int_equal(sv.n, 0);

    /* No separator: one trimmed part. Splitting again appends. */
    strv_split(&sv, "  one  ", ";");
    strv_split(&sv, "two;three", ";");
    {
        static const char *const three[] = {"one", "two", "three"};
        assert_strv(&sv, three, ARRAY_LEN(three));
    }
    strv_clear(&sv);
}

static void
test_strv_join_contains(void **state)
{
    strv_t sv = {0};
    char *s;
    (void)state;

    s = strv_join(&sv, ";");
    assert_string_equal(s, "");
    free(s);
    assert_false(strv_contains(&sv, ""));

    strv_push(&sv, "EIA");
    s = strv_join(&sv, ";");
    assert_string_equal(s, "EIA");
    free(s);

    strv_push(&sv, "环评");
    strv_push(&sv, "");
    strv_push(&sv, "RELICS");
    s = strv_join(&sv, ", ");
    assert_string_equal(s, "EIA, 环评, , RELICS");
    free(s);
    s = strv_join(&sv, "");
    assert_string_equal(s, "EIA环评RELICS");
    free(s);

    assert_true(strv_contains(&sv, "EIA"));
    assert_true(strv_contains(&sv, "环评"));
    assert_true(strv_contains(&sv, ""));
    assert_true(strv_contains(&sv, "RELICS"));
    assert_false(strv_contains(&sv, "EI"));
    assert_false(strv_contains(&sv, "eia"));
    assert_false(strv_contains(&sv, "RELICS "));
    strv_clear(&sv);
}

typedef struct elem {
    uint32_t index;
    uint16_t check;
    char tag;
} elem_t;

static void
test_xgrow_keeps_elements(void **state)
{
    const size_t total = 100000;
    elem_t *a = NULL;
    size_t count = 0;
    (void)state;

    /* The way every growable array in the code base appends: grow, then write element count. */
    for (count = 0; count < total; count++) {
        a = xgrow(a, count, sizeof(*a));
        a[count].index = (uint32_t)count;
        a[count].check = (uint16_t)(count * 40503u);
        a[count].tag = (char)('a' + count % 26);
    }
    for (size_t i = 0; i < total; i++) {
        if (a[i].index != i || a[i].check != (uint16_t)(i * 40503u) ||
            a[i].tag != (char)('a' + i % 26))
            fail_msg("element %zu lost after growing to %zu", i, count);
    }
    free(a);
}

static void
test_new_id(void **state)
{
    char *a = util_new_id(), *b = util_new_id();
    (void)state;

    assert_int_equal(strlen(a), 36);
    assert_int_equal(strlen(b), 36);
    assert_string_not_equal(a, b);
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal(a[i], '-');
        else
            assert_true(isxdigit((unsigned char)a[i]));
    }
    assert_int_equal(a[14], '4'); /* version 4: random */
    free(a);
    free(b);
}

static void
test_strings(void **state)
{
    char *s = NULL;
    (void)state;

    assert_null(xstrdup(NULL));
    s = xstrndup("环评批复", 6);
    assert_string_equal(s, "环评");
    xstrset(&s, "EIA");
    assert_string_equal(s, "EIA");
    xstrset(&s, NULL);
    assert_null(s);
    s = xasprintf("%s:%u: %s", "a.csv", 7u, "x");
    assert_string_equal(s, "a.csv:7: x");
    free(s);

    assert_true(util_empty(NULL));
    assert_true(util_empty(""));
    assert_false(util_empty(" "));
    assert_int_equal(util_strcmp0(NULL, ""), 0);
    assert_true(util_strcmp0(NULL, "a") < 0);
    assert_true(util_strcmp0("b", "a") > 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_time_accepts),
        cmocka_unit_test(test_parse_time_refuses),
        cmocka_unit_test(test_utf8_trim),
        cmocka_unit_test(test_format_time_round_trip),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_strv_split),
        cmocka_unit_test(test_strv_join_contains),
        cmocka_unit_test(test_xgrow_keeps_elements),
        cmocka_unit_test(test_new_id),
        cmocka_unit_test(test_strings),
    };
    return cmocka_run_group_tests(tests, setup_shanghai, NULL);
}
