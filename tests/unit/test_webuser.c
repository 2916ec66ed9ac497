/*
 * Unit tests of webuser: roles parse and print back; what each role may do; passwords hashed
 * with yescrypt and verified only with the right password; the accounts file written 0600,
 * read back, refused when readable by others or malformed, with FILE:LINE.
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

#include "util.h"
#include "webuser.h"

static webuser_role_t
role_of(const char *text)
{
    webuser_role_t r;
    char *err = NULL;

    if (webuser_role_parse(text, &r, &err) < 0)
        fail_msg("%s: %s", text, err);
    return r;
}

static void
test_roles(void **state)
{
    webuser_role_t r;
    char *err = NULL, *text;
    const char *bad[] = {"",       "admin",      "department:", "department:a b", "department:A:B",
                         "Viewer", "department", NULL};

    (void)state;
    r = role_of("department:HCB");
    assert_int_equal(r.kind, WEBUSER_DEPARTMENT);
    assert_string_equal(r.dept, "HCB");
    text = webuser_role_format(&r);
    assert_string_equal(text, "department:HCB");
    free(text);
    assert_int_equal(role_of("viewer").kind, WEBUSER_VIEWER);
    assert_int_equal(role_of("operator").kind, WEBUSER_OPERATOR);
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        assert_int_equal(webuser_role_parse(bad[i], &r, &err), -1);
        assert_non_null(err);
        free(err);
        err = NULL;
    }
}

/* Everyone reads; a viewer does nothing else; a department acks for itself only; an operator
 * does everything. */
static void
test_may(void **state)
{
    webuser_role_t viewer = role_of("viewer"), hcb = role_of("department:HCB"),
                   op = role_of("operator");

    (void)state;
    assert_true(webuser_may(&viewer, WEBUSER_READ, NULL));
    assert_true(webuser_may(&hcb, WEBUSER_READ, "EEB"));
    assert_false(webuser_may(&viewer, WEBUSER_ACK, "HCB"));
    assert_false(webuser_may(&viewer, WEBUSER_CORRECT, "HCB"));
    assert_true(webuser_may(&hcb, WEBUSER_ACK, "HCB"));
    assert_false(webuser_may(&hcb, WEBUSER_ACK, "EEB"));
    assert_false(webuser_may(&hcb, WEBUSER_ACK, NULL));
    assert_false(webuser_may(&hcb, WEBUSER_ACK, "HCBX"));
    assert_false(webuser_may(&hcb, WEBUSER_CORRECT, "HCB"));
    assert_true(webuser_may(&op, WEBUSER_ACK, "EEB"));
    assert_true(webuser_may(&op, WEBUSER_CORRECT, NULL));
}

static void
test_hash_and_verify(void **state)
{
    char *err = NULL, *h = webuser_hash("correct horse 正确", &err), *h2;

    (void)state;
    assert_non_null(h);
    assert_true(strncmp(h, "$y$", 3) == 0);
    assert_true(webuser_verify(h, "correct horse 正确"));
    assert_false(webuser_verify(h, "correct horse 正确 "));
    assert_false(webuser_verify(h, "correct horse"));
    assert_false(webuser_verify(h, ""));
    assert_false(webuser_verify("", "correct horse 正确"));
    assert_false(webuser_verify("*0", "correct horse 正确"));
    assert_false(webuser_verify(NULL, "x"));
    /* Salted: the same password twice gives two hashes. */
    h2 = webuser_hash("correct horse 正确", &err);
    assert_string_not_equal(h, h2);
    free(h2);
    free(h);
    assert_null(webuser_hash("short", &err));
    assert_non_null(err);
    free(err);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

static void
test_file(void **state)
{
    char dir[] = "/tmp/test_webuser.XXXXXX", *path, *err = NULL;
    webusers_t *u = webusers_new(), *back;
    webuser_role_t hcb = role_of("department:HCB"), viewer = role_of("viewer");
    const webuser_t *w;
    struct stat st;

    (void)state;
    assert_non_null(mkdtemp(dir));
    path = xasprintf("%s/web-users", dir);
    /* A missing file is an empty set for permitctl web-user add, an error for permit-web. */
    back = webusers_load(path, true, true, &err);
    assert_non_null(back);
    assert_int_equal(back->n, 0);
    webusers_destroy(&back);
    assert_null(webusers_load(path, true, false, &err));
    free(err);
    err = NULL;

    assert_int_equal(webusers_set(u, "zhang.san", &hcb, "password-1", &err), 0);
    assert_int_equal(webusers_set(u, "其木格", &viewer, "password-2", &err), 0);
    assert_int_equal(webusers_set(u, "bad:name", &viewer, "password-3", &err), -1);
    free(err);
    err = NULL;
    assert_int_equal(webusers_save(u, path, &err), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    back = webusers_load(path, true, false, &err);
    assert_non_null(back);
    assert_int_equal(back->n, 2);
    w = webusers_login(back, "zhang.san", "password-1");
    assert_non_null(w);
    assert_int_equal(w->role.kind, WEBUSER_DEPARTMENT);
    assert_string_equal(w->role.dept, "HCB");
    assert_null(webusers_login(back, "zhang.san", "password-2"));
    assert_null(webusers_login(back, "nobody", "password-1"));
    assert_non_null(webusers_login(back, "其木格", "password-2"));

    /* Replace a password, delete an account. */
    assert_int_equal(webusers_set(back, "zhang.san", &viewer, "password-9", &err), 0);
    assert_int_equal(back->n, 2);
    assert_int_equal(webusers_del(back, "其木格"), 1);
    assert_int_equal(webusers_del(back, "其木格"), 0);
    assert_int_equal(webusers_save(back, path, &err), 0);
    webusers_destroy(&back);
    back = webusers_load(path, true, false, &err);
    assert_int_equal(back->n, 1);
    assert_null(webusers_login(back, "zhang.san", "password-1"));
    w = webusers_login(back, "zhang.san", "password-9");
    assert_non_null(w);
    assert_int_equal(w->role.kind, WEBUSER_VIEWER);
    webusers_destroy(&back);

    /* Rewritten by root, the file keeps its owner: the package makes it permit-web's. */
    if (geteuid() == 0) {
        assert_int_equal(chown(path, 65534, 65534), 0);
        back = webusers_load(path, true, false, &err);
        assert_non_null(back);
        assert_int_equal(webusers_save(back, path, &err), 0);
        webusers_destroy(&back);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_uid, 65534);
        assert_int_equal(st.st_gid, 65534);
        assert_int_equal(st.st_mode & 0777, 0600);
    }

    /* Readable by others: refused when strict. */
    chmod(path, 0644);
    assert_null(webusers_load(path, true, false, &err));
    assert_non_null(strstr(err, "chmod 600"));
    free(err);
    err = NULL;

    write_file(path, "# comment\n\nok:viewer:$y$j9T$a$b\nbroken line\n", 0600);
    assert_null(webusers_load(path, true, false, &err));
    assert_non_null(strstr(err, ":4: "));
    free(err);
    err = NULL;
    write_file(path, "a:viewer:$y$j9T$a$b\na:operator:$y$j9T$a$b\n", 0600);
    assert_null(webusers_load(path, true, false, &err));
    assert_non_null(strstr(err, "twice"));
    free(err);
    err = NULL;
    write_file(path, "a:viewer:$1$md5$notyescrypt\n", 0600);
    assert_null(webusers_load(path, true, false, &err));
    assert_non_null(strstr(err, "yescrypt"));
    free(err);
    err = NULL;
    write_file(path, "a:root:$y$j9T$a$b\n", 0600);
    assert_null(webusers_load(path, true, false, &err));
    assert_non_null(strstr(err, ":1: role"));
    free(err);

    webusers_destroy(&u);
    unlink(path);
    free(path);
    rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_may),
        cmocka_unit_test(test_hash_and_verify),
        cmocka_unit_test(test_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
