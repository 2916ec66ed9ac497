/*
 * Unit tests of acktoken: a token made with a key passes with that key until its expiry and
 * gives back its seq and recipient; another key, any changed character, a cut or an overlong
 * token, a token past its expiry never pass; the key file is refused when short or readable by
 * others.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acktoken.h"

#define NOW 1767225600000LL /* 2026-01-01T00:00:00Z */
#define HOUR 3600000LL

static acktoken_key_t
key_of(const char *text)
{
    acktoken_key_t k = {0};

    k.len = strlen(text);
    memcpy(k.bytes, text, k.len);
    return k;
}

static void
test_roundtrip(void **state)
{
    acktoken_key_t k = key_of("0123456789abcdef0123456789abcdef-key-one");
    char *t = acktoken_make(&k, 252, "其木格", NOW + 72 * HOUR), *who = NULL;
    uint64_t seq = 0;

    (void)state;
    assert_non_null(t);
    assert_true(strlen(t) <= ACKTOKEN_MAX);
    /* URL-safe as it is: no character a link would have to escape. */
    assert_int_equal(strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                     strlen(t));
    assert_int_equal(acktoken_check(&k, t, NOW, &seq, &who), ACKTOKEN_OK);
    assert_int_equal(seq, 252);
    assert_string_equal(who, "其木格");
    free(who);
    free(t);
}

static void
test_expiry(void **state)
{
    acktoken_key_t k = key_of("0123456789abcdef0123456789abcdef-key-one");
    char *t = acktoken_make(&k, 7, "dept:HCB", NOW + HOUR), *who = NULL;
    uint64_t seq = 0;

    (void)state;
    assert_int_equal(acktoken_check(&k, t, NOW + HOUR - 1, &seq, &who), ACKTOKEN_OK);
    free(who);
    who = NULL;
    seq = 0;
    assert_int_equal(acktoken_check(&k, t, NOW + HOUR, &seq, &who), ACKTOKEN_EXPIRED);
    assert_int_equal(acktoken_check(&k, t, NOW + 100 * HOUR, &seq, &who), ACKTOKEN_EXPIRED);
    assert_null(who);
    assert_int_equal(seq, 0);
    free(t);
}

static void
test_wrong_key(void **state)
{
    acktoken_key_t k1 = key_of("0123456789abcdef0123456789abcdef-key-one");
    acktoken_key_t k2 = key_of("0123456789abcdef0123456789abcdef-key-two");
    char *t = acktoken_make(&k1, 9, "张三", NOW + HOUR), *who = NULL;
    uint64_t seq = 0;

    (void)state;
    assert_int_equal(acktoken_check(&k2, t, NOW, &seq, &who), ACKTOKEN_FORGED);
    /* A forged token says forged even when its expiry passed: expired means genuine. */
    assert_int_equal(acktoken_check(&k2, t, NOW + 2 * HOUR, &seq, &who), ACKTOKEN_FORGED);
    assert_null(who);
    free(t);
}

/* Every character of a token replaced by every other character of the alphabet: never OK. */
static void
test_tamper_each_character(void **state)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    acktoken_key_t k = key_of("0123456789abcdef0123456789abcdef-key-one");
    char *t = acktoken_make(&k, 1234567, "dept:HCB", NOW + HOUR), *who = NULL;
    size_t len = strlen(t);
    uint64_t seq = 0;

    (void)state;
    for (size_t i = 0; i < len; i++) {
        char orig = t[i];
        for (const char *c = alphabet; *c; c++) {
            acktoken_rc_t rc;
            if (*c == orig)
                continue;
            t[i] = *c;
            rc = acktoken_check(&k, t, NOW, &seq, &who);
            if (rc != ACKTOKEN_FORGED && rc != ACKTOKEN_MALFORMED)
                fail_msg("character %zu changed to %c: %s", i, *c, acktoken_rc_name(rc));
        }
        t[i] = '.'; /* not of the alphabet */
        assert_int_equal(acktoken_check(&k, t, NOW, &seq, &who), ACKTOKEN_MALFORMED);
        t[i] = orig;
    }
    assert_null(who);
    assert_int_equal(acktoken_check(&k, t, NOW, &seq, &who), ACKTOKEN_OK);
    free(who);
    free(t);
}

static void
test_truncated_and_overlong(void **state)
{
    acktoken_key_t k = key_of("0123456789abcdef0123456789abcdef-key-one");
    char *t = acktoken_make(&k, 42, "李四", NOW + HOUR), *who = NULL;
    size_t len = strlen(t);
    char *longer = malloc(len + 5), *huge = malloc(100001);
    uint64_t seq = 0;

    (void)state;
    for (size_t cut = 0; cut < len; cut++) {
        acktoken_rc_t rc;
        t[cut] = '\0';
        rc = acktoken_check(&k, t, NOW, &seq, &who);
        if (rc != ACKTOKEN_FORGED && rc != ACKTOKEN_MALFORMED)
            fail_msg("cut at %zu: %s", cut, acktoken_rc_name(rc));
        free(t);
        t = acktoken_make(&k, 42, "李四", NOW + HOUR);
    }
    snprintf(longer, len + 5, "%sAAAA", t);
    assert_int_equal(acktoken_check(&k, longer, NOW, &seq, &who), ACKTOKEN_MALFORMED);
    memset(huge, 'A', 100000);
    huge[100000] = '\0';
    assert_int_equal(acktoken_check(&k, huge, NOW, &seq, &who), ACKTOKEN_MALFORMED);
    assert_int_equal(acktoken_check(&k, "", NOW, &seq, &who), ACKTOKEN_MALFORMED);
    assert_int_equal(acktoken_check(&k, NULL, NOW, &seq, &who), ACKTOKEN_MALFORMED);
    assert_null(who);
    free(huge);
    free(longer);
    free(t);
}

static void
test_make_refuses(void **state)
{
    acktoken_key_t k = key_of("0123456789abcdef0123456789abcdef-key-one");
    char name[ACKTOKEN_RECIPIENT_MAX + 2];
    char *t;

    (void)state;
    assert_null(acktoken_make(&k, 0, "a", NOW));
    assert_null(acktoken_make(&k, 1, "", NOW));
    assert_null(acktoken_make(&k, 1, NULL, NOW));
    memset(name, 'x', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    assert_null(acktoken_make(&k, 1, name, NOW));
    name[ACKTOKEN_RECIPIENT_MAX] = '\0';
    t = acktoken_make(&k, 1, name, NOW);
    assert_non_null(t);
    assert_true(strlen(t) <= ACKTOKEN_MAX);
    free(t);
}

static void
test_key_file(void **state)
{
    char dir[] = "/tmp/test_acktoken.XXXXXX", path[64];
    acktoken_key_t k;
    char *err = NULL;
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/ack.key", dir);
    f = fopen(path, "w");
    fputs("too short\n", f);
    fclose(f);
    chmod(path, 0600);
    assert_int_equal(acktoken_key_load(path, true, &k, &err), -1);
    assert_non_null(strstr(err, "at least"));
    free(err);
    err = NULL;
    f = fopen(path, "w");
    fputs("0123456789abcdef0123456789abcdef-key-one\n", f);
    fclose(f);
    assert_int_equal(acktoken_key_load(path, true, &k, &err), 0);
    assert_int_equal(k.len, strlen("0123456789abcdef0123456789abcdef-key-one"));
    chmod(path, 0644);
    assert_int_equal(acktoken_key_load(path, true, &k, &err), -1);
    assert_non_null(strstr(err, "chmod 600"));
    free(err);
    unlink(path);
    err = NULL;
    assert_int_equal(acktoken_key_load(path, true, &k, &err), -1);
    free(err);
    rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_tamper_each_character),
        cmocka_unit_test(test_truncated_and_overlong),
        cmocka_unit_test(test_make_refuses),
        cmocka_unit_test(test_key_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
