/*
 * Unit tests of the option table reader: defaults, '-' and '_' alike, bounds and levels
 * refused with the option's name, an INI file's errors as FILE:LINE, keys before any section,
 * another section refused, and a reload that takes only what may change at run time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conftab.h"
#include "log.h"
#include "util.h"

typedef struct cfg {
    char *name;
    char *path;
    int count;
    enum log_level level;
} cfg_t;

static const conftab_opt_t opts[] = {
    {"name", CONFTAB_TEXT, offsetof(cfg_t, name), NULL, 0, 0, false, "who", NULL, 0},
    {"path", CONFTAB_TEXT, offsetof(cfg_t, path), "", 0, 0, true, "where", NULL, 0},
    {"max_count", CONFTAB_INT, offsetof(cfg_t, count), "5", 1, 10, true, "how many", NULL, 0},
    {"log_level", CONFTAB_LEVEL, offsetof(cfg_t, level), "info", 0, 0, false, "how loud", NULL, 0},
};
static const conftab_t table = {"test", opts, ARRAY_LEN(opts)};

/* Write text to a temporary file; returns its path (caller owns, unlinks). */
static char *
ini(const char *text)
{
    char *path = xstrdup("/tmp/permit-conftab-XXXXXX");
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

/* Load text and return the error (caller owns), or NULL when it loaded. */
static char *
load(cfg_t *c, const char *text)
{
    char *path = ini(text), *err = NULL, *msg = NULL;

    if (conftab_load_file(&table, c, path, &err) != 0) {
        /* Drop the random path: the tests compare what follows it. */
        msg = xstrdup(err + strlen(path));
        free(err);
    }
    unlink(path);
    free(path);
    return msg;
}

static void
test_defaults_and_names(void **state)
{
    cfg_t c;
    char *err = NULL;

    (void)state;
    conftab_defaults(&table, &c);
    assert_null(c.name);
    assert_string_equal(c.path, "");
    assert_int_equal(c.count, 5);
    assert_int_equal(c.level, LOG_LEVEL_INFO);
    assert_int_equal(conftab_set(&table, &c, "max-count", "7", &err), 0);
    assert_int_equal(c.count, 7);
    assert_int_equal(conftab_set(&table, &c, "max_count", "11", &err), -1);
    assert_string_equal(err, "max_count: '11' is not a whole number from 1 to 10");
    free(err);
    assert_int_equal(conftab_set(&table, &c, "max_count", "3x", &err), -1);
    free(err);
    assert_int_equal(conftab_set(&table, &c, "log-level", "loud", &err), -1);
    assert_string_equal(err, "log_level: 'loud' is not one of error, warn, info, debug");
    free(err);
    assert_int_equal(conftab_set(&table, &c, "name", "", &err), -1);
    assert_string_equal(err, "name: empty value");
    free(err);
    assert_int_equal(conftab_set(&table, &c, "path", "", &err), 0);
    assert_int_equal(conftab_set(&table, &c, "nme", "x", &err), -1);
    assert_string_equal(err, "unknown option 'nme'");
    free(err);
    assert_int_equal(conftab_set(&table, &c, "name", "自然资源局", &err), 0);
    assert_string_equal(c.name, "自然资源局");
    conftab_clear(&table, &c);
    assert_null(c.name);
    assert_null(c.path);
}

static void
test_file(void **state)
{
    cfg_t c;
    char *err;

    (void)state;
    conftab_defaults(&table, &c);
    assert_null(load(&c, "; comment\nname = before any section\n[test]\nmax_count = 9\n"));
    assert_string_equal(c.name, "before any section");
    assert_int_equal(c.count, 9);
    err = load(&c, "[test]\n\nmax_count = 0\n");
    assert_string_equal(err, ":3: max_count: '0' is not a whole number from 1 to 10");
    free(err);
    err = load(&c, "[other]\nname = x\n");
    assert_string_equal(err, ":2: unknown section [other] (expected [test])");
    free(err);
    err = load(&c, "[test]\nthis is no key\n");
    assert_string_equal(err, ":2: syntax error");
    free(err);
    assert_int_equal(conftab_load_file(&table, &c, "/nonexistent/x.conf", &err), -1);
    assert_string_equal(err, "/nonexistent/x.conf: No such file or directory");
    free(err);
    conftab_clear(&table, &c);
}

static void
test_reload_takes_the_reloadable(void **state)
{
    cfg_t run, fresh;
    char *err = NULL;

    (void)state;
    conftab_defaults(&table, &run);
    conftab_defaults(&table, &fresh);
    assert_int_equal(conftab_set(&table, &run, "name", "old", &err), 0);
    assert_int_equal(conftab_set(&table, &fresh, "name", "new", &err), 0);
    assert_int_equal(conftab_set(&table, &fresh, "path", "/var/log/x", &err), 0);
    assert_int_equal(conftab_set(&table, &fresh, "max_count", "2", &err), 0);
    assert_int_equal(conftab_set(&table, &fresh, "log_level", "debug", &err), 0);
    log_set_level(LOG_LEVEL_ERROR); /* the warning about name is expected */
    conftab_reload(&table, &run, &fresh);
    log_set_level(LOG_LEVEL_INFO);
    assert_string_equal(run.name, "old");
    assert_string_equal(run.path, "/var/log/x");
    assert_int_equal(run.count, 2);
    assert_int_equal(run.level, LOG_LEVEL_INFO);
    conftab_clear(&table, &run);
    conftab_clear(&table, &fresh);
}

static void
test_usage(void **state)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);

    (void)state;
    conftab_usage(&table, out);
    fclose(out);
    assert_non_null(strstr(buf, "  --max-count            * how many (default 5)\n"));
    assert_non_null(strstr(buf, "  --name                   who\n"));
    free(buf);
}

/* --dump-options (cli.h): one record a line, every field whatever it holds. */
static void
test_dump(void **state)
{
    static const conftab_opt_t odd[] = {
        {"note", CONFTAB_TEXT, 0, "a\\b", 0, 0, false, "tab\there\nnext line", NULL, 0},
    };
    static const conftab_t odd_table = {"odd", odd, ARRAY_LEN(odd)};
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);

    (void)state;
    conftab_dump(&table, "", out);
    conftab_dump(&odd_table, "run", out);
    fclose(out);
    assert_non_null(strstr(buf, "option\t\tmax_count\tinteger\t5\t1\t10\tyes\tno\thow many\n"));
    assert_non_null(strstr(buf, "option\t\tname\ttext\t\t\t\tno\tyes\twho\n"));
    assert_non_null(strstr(buf, "option\t\tlog_level\tlevel\tinfo\t\t\tno\tno\thow loud\n"));
    assert_non_null(
        strstr(buf, "option\trun\tnote\ttext\ta\\\\b\t\t\tno\tno\ttab\\there\\nnext line\n"));
    free(buf);
}

/* Defaults from the environment: a variable set wins over the table's default, an empty one
 * is no value, and a bad one is refused naming the variable. */
static void
test_from_env(void **state)
{
    static const conftab_env_t env[] = {{"path", "CONFTAB_TEST_PATH"},
                                        {"max_count", "CONFTAB_TEST_COUNT"}};
    cfg_t c;
    char *err = NULL;

    (void)state;
    conftab_defaults(&table, &c);
    assert_int_equal(setenv("CONFTAB_TEST_PATH", "/srv/permit", 1), 0);
    assert_int_equal(setenv("CONFTAB_TEST_COUNT", "", 1), 0);
    assert_int_equal(conftab_from_env(&table, &c, env, ARRAY_LEN(env), &err), 0);
    assert_string_equal(c.path, "/srv/permit");
    assert_int_equal(c.count, 5);
    assert_int_equal(setenv("CONFTAB_TEST_COUNT", "99", 1), 0);
    assert_int_equal(conftab_from_env(&table, &c, env, ARRAY_LEN(env), &err), -1);
    assert_non_null(strstr(err, "$CONFTAB_TEST_COUNT"));
    free(err);
    unsetenv("CONFTAB_TEST_PATH");
    unsetenv("CONFTAB_TEST_COUNT");
    conftab_clear(&table, &c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_names),
        cmocka_unit_test(test_file),
        cmocka_unit_test(test_reload_takes_the_reloadable),
        cmocka_unit_test(test_usage),
        cmocka_unit_test(test_dump),
        cmocka_unit_test(test_from_env),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
