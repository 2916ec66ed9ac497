/*
 * Unit tests of session: ids and CSRF tokens are 256 random bits in hex and differ; a session
 * is found by its id until logout, its idle timeout or its lifetime; a wrong CSRF token is
 * refused; the cookie carries HttpOnly, Secure (unless turned off), SameSite=Strict and
 * Path=/; the id is read back from a Cookie header; a full table drops the least recently
 * used session.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

#define T0 5000000
#define MIN 60000LL

static webuser_role_t
hcb(void)
{
    webuser_role_t r = {.kind = WEBUSER_DEPARTMENT};

    snprintf(r.dept, sizeof(r.dept), "HCB");
    return r;
}

static void
test_create_get_drop(void **state)
{
    sessions_t *ss = sessions_new(8, 12 * 60 * MIN, 30 * MIN);
    webuser_role_t r = hcb();
    const session_t *s = sessions_create(ss, "zhang.san", &r, T0);
    char id[SESSION_ID_LEN + 1], other[SESSION_ID_LEN + 1];

    (void)state;
    assert_non_null(s);
    assert_int_equal(strlen(s->id), SESSION_ID_LEN);
    assert_int_equal(strspn(s->id, "0123456789abcdef"), SESSION_ID_LEN);
    assert_int_equal(strlen(s->csrf), SESSION_ID_LEN);
    assert_string_not_equal(s->id, s->csrf);
    snprintf(id, sizeof(id), "%s", s->id);
    s = sessions_create(ss, "zhang.san", &r, T0);
    snprintf(other, sizeof(other), "%s", s->id);
    assert_string_not_equal(id, other);

    s = sessions_get(ss, id, T0 + MIN);
    assert_non_null(s);
    assert_string_equal(s->user, "zhang.san");
    assert_string_equal(s->role.dept, "HCB");
    /* One character off, a prefix, nothing: no session. */
    id[10] = id[10] == 'a' ? 'b' : 'a';
    assert_null(sessions_get(ss, id, T0 + MIN));
    id[10] = '\0';
    assert_null(sessions_get(ss, id, T0 + MIN));
    assert_null(sessions_get(ss, NULL, T0 + MIN));
    assert_null(sessions_get(ss, "", T0 + MIN));

    sessions_drop(ss, other);
    assert_null(sessions_get(ss, other, T0 + MIN));
    assert_int_equal(sessions_count(ss), 1);
    assert_int_equal(sessions_drop_user(ss, "zhang.san"), 1);
    assert_int_equal(sessions_count(ss), 0);
    sessions_destroy(&ss);
    assert_null(ss);
}

static void
test_idle_and_lifetime(void **state)
{
    sessions_t *ss = sessions_new(8, 120 * MIN, 30 * MIN);
    webuser_role_t r = hcb();
    char id[SESSION_ID_LEN + 1];
    int64_t now = T0;

    (void)state;
    snprintf(id, sizeof(id), "%s", sessions_create(ss, "a", &r, now)->id);
    /* Used every 29 minutes it stays, until its lifetime ends. */
    for (int i = 0; i < 4; i++) {
        now += 29 * MIN;
        assert_non_null(sessions_get(ss, id, now));
    }
    now += 5 * MIN; /* 121 minutes after the login */
    assert_null(sessions_get(ss, id, now));
    snprintf(id, sizeof(id), "%s", sessions_create(ss, "a", &r, now)->id);
    assert_null(sessions_get(ss, id, now + 30 * MIN));
    assert_int_equal(sessions_count(ss), 0);
    sessions_destroy(&ss);
}

static void
test_csrf(void **state)
{
    sessions_t *ss = sessions_new(2, 120 * MIN, 30 * MIN);
    webuser_role_t r = hcb();
    const session_t *s = sessions_create(ss, "a", &r, T0);
    char token[SESSION_ID_LEN + 1];

    (void)state;
    snprintf(token, sizeof(token), "%s", s->csrf);
    assert_true(session_csrf_ok(s, token));
    assert_false(session_csrf_ok(s, s->id));
    assert_false(session_csrf_ok(s, NULL));
    assert_false(session_csrf_ok(s, ""));
    token[SESSION_ID_LEN - 1] = token[SESSION_ID_LEN - 1] == '0' ? '1' : '0';
    assert_false(session_csrf_ok(s, token));
    token[SESSION_ID_LEN - 1] = '\0';
    assert_false(session_csrf_ok(s, token));
    sessions_destroy(&ss);
}

static void
test_cookie(void **state)
{
    const char *id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char *c = session_cookie(id, true), *hdr, *got;

    (void)state;
    assert_string_equal(c,
                        "permit_session=0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
                        "abcdef; HttpOnly; Secure; SameSite=Strict; Path=/");
    free(c);
    c = session_cookie(id, false);
    assert_null(strstr(c, "Secure"));
    assert_non_null(strstr(c, "HttpOnly; SameSite=Strict; Path=/"));
    free(c);
    c = session_cookie_clear(true);
    assert_non_null(strstr(c, "permit_session=;"));
    assert_non_null(strstr(c, "Max-Age=0"));
    free(c);

    hdr = malloc(200);
    snprintf(hdr, 200, "lang=en; permit_session=%s; theme=dark", id);
    got = session_cookie_id(hdr);
    assert_string_equal(got, id);
    free(got);
    snprintf(hdr, 200, "permit_session=%s", id);
    got = session_cookie_id(hdr);
    assert_string_equal(got, id);
    free(got);
    snprintf(hdr, 200, "xpermit_session=%s", id);
    assert_null(session_cookie_id(hdr));
    assert_null(session_cookie_id("permit_session=short"));
    assert_null(session_cookie_id("permit_session"));
    assert_null(session_cookie_id(""));
    assert_null(session_cookie_id(NULL));
    free(hdr);
}

static void
test_full_table_drops_lru(void **state)
{
    sessions_t *ss = sessions_new(2, 120 * MIN, 30 * MIN);
    webuser_role_t r = hcb();
    char a[SESSION_ID_LEN + 1], b[SESSION_ID_LEN + 1];

    (void)state;
    snprintf(a, sizeof(a), "%s", sessions_create(ss, "a", &r, T0)->id);
    snprintf(b, sizeof(b), "%s", sessions_create(ss, "b", &r, T0 + 1)->id);
    assert_non_null(sessions_get(ss, a, T0 + 2)); /* a used last: b goes */
    sessions_create(ss, "c", &r, T0 + 3);
    assert_int_equal(sessions_count(ss), 2);
    assert_null(sessions_get(ss, b, T0 + 4));
    assert_non_null(sessions_get(ss, a, T0 + 4));
    sessions_destroy(&ss);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_get_drop),
        cmocka_unit_test(test_idle_and_lifetime),
        cmocka_unit_test(test_csrf),
        cmocka_unit_test(test_cookie),
        cmocka_unit_test(test_full_table_drops_lru),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
