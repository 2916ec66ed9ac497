/*
 * Unit tests of eplist: the endpoint lists every client accepts ("tcp://a:7401,tcp://b:7401"),
 * their order, trimming, and the refusals of what is not a list of endpoints.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "eplist.h"

static void
test_one(void **state)
{
    strv_t eps = {0};
    char why[256] = "";

    (void)state;
    assert_int_equal(eplist_parse("tcp://127.0.0.1:7401", &eps, why, sizeof(why)), 0);
    assert_int_equal(eps.n, 1);
    assert_string_equal(eps.v[0], "tcp://127.0.0.1:7401");
    strv_clear(&eps);
}

static void
test_several_in_order(void **state)
{
    strv_t eps = {0};
    char why[256] = "";

    (void)state;
    assert_int_equal(eplist_parse(" tcp://b:7401 ,ipc:///run/permit/a.sock,\ttcp://[::1]:7401 ",
                                  &eps, why, sizeof(why)),
                     0);
    assert_int_equal(eps.n, 3);
    assert_string_equal(eps.v[0], "tcp://b:7401");
    assert_string_equal(eps.v[1], "ipc:///run/permit/a.sock");
    assert_string_equal(eps.v[2], "tcp://[::1]:7401");
    strv_clear(&eps);
}

/* Appends to what the caller has; a refusal leaves it as it was. */
static void
test_appends_or_leaves_alone(void **state)
{
    strv_t eps = {0};
    char why[256] = "";

    (void)state;
    strv_push(&eps, "tcp://x:1");
    assert_int_equal(eplist_parse("tcp://y:2", &eps, why, sizeof(why)), 0);
    assert_int_equal(eps.n, 2);
    assert_int_equal(eplist_parse("tcp://z:3,nonsense", &eps, why, sizeof(why)), -1);
    assert_int_equal(eps.n, 2);
    assert_string_equal(eps.v[1], "tcp://y:2");
    strv_clear(&eps);
}

static void
refused(const char *s, const char *reason)
{
    strv_t eps = {0};
    char why[256] = "";

    assert_int_equal(eplist_parse(s, &eps, why, sizeof(why)), -1);
    assert_int_equal(eps.n, 0);
    if (strstr(why, reason) == NULL)
        fail_msg("'%s': reason '%s' lacks '%s'", s ? s : "(null)", why, reason);
}

static void
test_refusals(void **state)
{
    (void)state;
    refused(NULL, "no endpoint");
    refused("", "no endpoint");
    refused("tcp://a:1,,tcp://b:2", "endpoint 2 of the list is empty");
    refused("tcp://a:1,", "endpoint 2 of the list is empty");
    refused(" , tcp://a:1", "endpoint 1 of the list is empty");
    refused("127.0.0.1:7401", "'127.0.0.1:7401' is not an endpoint");
    refused("tcp://", "'tcp://' is not an endpoint");
    refused("://a", "not an endpoint");
    refused("tcp://a:1 tcp://b:2", "a blank inside an endpoint");
}

static void
test_limit(void **state)
{
    strv_t eps = {0};
    char why[256] = "", *s = NULL;

    (void)state;
    for (int i = 0; i <= EPLIST_MAX; i++) {
        char *t = xasprintf("%s%stcp://h%d:1", s ? s : "", s ? "," : "", i);
        free(s);
        s = t;
    }
    assert_int_equal(eplist_parse(s, &eps, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "more than"));
    free(s);
}

static void
test_check(void **state)
{
    char *err = NULL;

    (void)state;
    assert_int_equal(eplist_check("broker", "tcp://a:1,tcp://b:1", &err), 0);
    assert_null(err);
    assert_int_equal(eplist_check("broker", "tcp://a:1,b:1", &err), -1);
    assert_non_null(err);
    assert_non_null(strstr(err, "broker: "));
    free(err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one),
        cmocka_unit_test(test_several_in_order),
        cmocka_unit_test(test_appends_or_leaves_alone),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
