/*
 * Unit tests of the notifier's routing file: defaults, the most specific override winning
 * (region and dept over dept over region over the defaults), the colour key falling back to
 * its kind, recipient tokens resolved against a project, contacts and their channels, the
 * escalation ladder, and refusals reported as FILE:LINE.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "routes.h"
#include "util.h"

static char dir[64];

static routes_t *
load_text(const char *text, char **err)
{
    char *path = xasprintf("%s/routes.conf", dir);
    FILE *f = fopen(path, "w");
    routes_t *r;

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    *err = NULL;
    r = routes_load(path, err);
    free(path);
    return r;
}

static const char sample[] = "[route]\n"
                             "unblocked = dept, steward\n"
                             "colour = steward\n"
                             "colour.red = steward, leader\n"
                             "[route region=科尔沁区]\n"
                             "unblocked = dept, steward, 专班\n"
                             "[route dept=HCB]\n"
                             "unblocked = steward\n"
                             "[route region=科尔沁区 dept=HCB]\n"
                             "unblocked = leader\n"
                             "[escalation]\n"
                             "ladder = steward, section, leader\n"
                             "[contact 张伟]\n"
                             "wecom = https://example/wecom\n"
                             "email = zw@example.gov.cn\n";

static char *
joined(const strv_t *sv)
{
    return sv != NULL ? strv_join(sv, ",") : xstrdup("(none)");
}

static void
check(const routes_t *r, const char *key, const char *region, const char *dept, const char *want)
{
    char *got = joined(routes_lookup(r, key, region, dept));

    assert_string_equal(got, want);
    free(got);
}

static void
test_overrides(void **state)
{
    char *err;
    routes_t *r = load_text(sample, &err);

    (void)state;
    assert_non_null(r);
    check(r, "unblocked", "开鲁县", "DRC", "dept,steward");
    check(r, "unblocked", "科尔沁区", "DRC", "dept,steward,专班");
    check(r, "unblocked", "开鲁县", "HCB", "steward");
    check(r, "unblocked", "科尔沁区", "HCB", "leader");
    check(r, "colour.red", NULL, "DRC", "steward,leader");
    check(r, "colour.yellow", NULL, "DRC", "steward"); /* falls back to "colour" */
    check(r, "milestone", NULL, NULL, "(none)");
    routes_destroy(&r);
    assert_null(r);
}

static void
test_tokens_and_contacts(void **state)
{
    route_ctx_t ctx = {"张伟", "李建国", "HCB"};
    route_ctx_t none = {NULL, NULL, NULL};
    route_addr_t a[CHAN__COUNT];
    char *err, *s;
    routes_t *r = load_text(sample, &err);

    (void)state;
    assert_non_null(r);
    s = routes_resolve("steward", &ctx);
    assert_string_equal(s, "张伟");
    free(s);
    s = routes_resolve("dept", &ctx);
    assert_string_equal(s, "dept:HCB");
    free(s);
    s = routes_resolve("section", &ctx);
    assert_string_equal(s, "section:HCB");
    free(s);
    s = routes_resolve("专班", &ctx);
    assert_string_equal(s, "专班");
    free(s);
    assert_null(routes_resolve("leader", &none));
    assert_int_equal(routes_contact(r, "张伟", a, CHAN__COUNT), 2);
    assert_int_equal(a[0].chan, CHAN_WECOM);
    assert_string_equal(a[1].addr, "zw@example.gov.cn");
    assert_int_equal(routes_contact(r, "nobody", a, CHAN__COUNT), 0);
    assert_int_equal(routes_ladder(r)->n, 3);
    assert_string_equal(routes_ladder(r)->v[1], "section");
    routes_destroy(&r);
}

static void
test_refusals(void **state)
{
    char *err;

    (void)state;
    assert_null(load_text("[route]\nunblocked = steward\n[contact x]\nfax = 123\n", &err));
    assert_non_null(strstr(err, "routes.conf:4: [contact x]: unknown channel or setting 'fax'"));
    free(err);
    assert_null(load_text("[route color=red]\nunblocked = steward\n", &err));
    assert_non_null(strstr(err, ":2: [route color=red]: qualifiers"));
    free(err);
    assert_null(load_text("[routing]\na = b\n", &err));
    assert_non_null(strstr(err, "unknown section [routing]"));
    free(err);
    /* Contacts are input too: nothing that ends an SMTP command, a header or a URL. */
    assert_null(
        load_text("[contact x]\nwebhook = http://a/b\nemail = a@b.cn\rRCPT TO:<c@d>\n", &err));
    assert_non_null(strstr(err, "routes.conf:3: [contact x]: email: not an e-mail address"));
    free(err);
    assert_null(load_text("[contact x]\nemail = a@b.cn, c@d.cn\n", &err));
    assert_non_null(strstr(err, ":2: [contact x]: email: not an e-mail"));
    free(err);
    assert_null(load_text("[contact x]\nwecom = file:///etc/passwd\n", &err));
    assert_non_null(strstr(err, ":2: [contact x]: wecom: not a URL"));
    free(err);
    assert_null(load_text("[contact x]\ndingtalk = https://a/b?x=1 y\n", &err));
    assert_non_null(strstr(err, ":2: [contact x]: dingtalk: not a URL"));
    free(err);
    assert_null(load_text("[contact x]\ncommand = cat\r\x1b[2J\n", &err));
    assert_non_null(strstr(err, ":2: [contact x]: command: "));
    free(err);
    assert_null(load_text("[contact x]\ndingtalk_secret = SEC 1\n", &err));
    assert_non_null(strstr(err, ":2: [contact x]: dingtalk_secret: "));
    free(err);
}

static void
test_shipped(void **state)
{
    char *err = NULL;
    routes_t *r = routes_load(DEPLOY_ROUTES, &err);

    (void)state;
    if (r == NULL)
        fail_msg("%s", err);
    check(r, "colour.red", "开鲁县", "HCB", "steward,section,leader");
    check(r, "unblocked", "科尔沁区", "DRC", "dept,steward,科尔沁区专班");
    routes_destroy(&r);
}

static void
test_key(void **state)
{
    char buf[64];

    (void)state;
    assert_string_equal(routes_key("colour", "red", buf, sizeof(buf)), "colour.red");
    assert_string_equal(routes_key("unblocked", NULL, buf, sizeof(buf)), "unblocked");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overrides), cmocka_unit_test(test_tokens_and_contacts),
        cmocka_unit_test(test_refusals),  cmocka_unit_test(test_shipped),
        cmocka_unit_test(test_key),
    };
    int rc;

    if (fixture_tmpdir(dir, sizeof(dir), "routes") != 0)
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    fixture_rmtree(dir);
    return rc;
}
