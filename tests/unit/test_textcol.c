/*
 * Unit tests of textcol: display width by code point (Chinese two columns, combining marks
 * none), the same under any locale; a cut that ends with "…" on a character boundary and
 * never splits a UTF-8 sequence; a table that fits its width, narrowing the columns that
 * matter least first, whole at width 0, coloured only when asked.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "textcol.h"
#include "util.h"

static void
test_width(void **state)
{
    (void)state;
    assert_int_equal(textcol_width(""), 0);
    assert_int_equal(textcol_width("abc"), 3);
    assert_int_equal(textcol_width("已受理"), 6);
    assert_int_equal(textcol_width("EIA 环境影响评价"), 4 + 12);
    assert_int_equal(textcol_width("（DRC，可申报）"), 2 + 3 + 2 + 6 + 2);
    assert_int_equal(textcol_width("e\xcc\x81"), 1);    /* e + combining acute */
    assert_int_equal(textcol_width("\xe2\x80\xa6"), 1); /* … */
    assert_int_equal(textcol_width("\xff\xfe"), 2);     /* not UTF-8: a column a byte */
}

static void
test_width_ignores_locale(void **state)
{
    int c, zh;

    (void)state;
    setlocale(LC_ALL, "C");
    c = textcol_width("科尔沁区二〇二六");
    zh = setlocale(LC_ALL, "C.UTF-8") != NULL ? textcol_width("科尔沁区二〇二六") : c;
    assert_int_equal(c, 16);
    assert_int_equal(zh, 16);
    setlocale(LC_ALL, "C");
}

static void
assert_fit(const char *in, int max, const char *want)
{
    char *out = textcol_fit(in, max);

    assert_string_equal(out, want);
    assert_true(textcol_width(out) <= max);
    assert_true(util_utf8_valid(out, strlen(out)));
    free(out);
}

static void
test_fit(void **state)
{
    (void)state;
    assert_fit("abc", 3, "abc");
    assert_fit("abcd", 3, "ab…");
    assert_fit("已受理", 6, "已受理");
    /* 5 columns: two characters (4) and the ellipsis; never half of the third. */
    assert_fit("已受理中", 5, "已受…");
    /* 4 columns: one character (2) and "…"; the second would need 5. */
    assert_fit("已受理中", 4, "已…");
    assert_fit("已受理", 1, "…");
    assert_fit("a已", 2, "a…");
    assert_fit("", 1, "");
}

/* The table printed into a string. */
static char *
print_table(textcol_table_t *t, int width, bool colour)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    textcol_print(t, f, width, colour);
    fclose(f);
    return buf;
}

static int
widest_line(const char *text)
{
    int widest = 0;
    char *copy = xstrdup(text), *save = NULL;

    for (char *line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
        if (textcol_width(line) > widest)
            widest = textcol_width(line);
    free(copy);
    return widest;
}

static textcol_table_t *
sample_table(void)
{
    static const char *const heading[] = {"编码", "手续", "状态", "备注"};
    textcol_table_t *t = textcol_table_new(4, 2);
    char **row;

    textcol_heading(t, heading);
    row = textcol_row(t, TEXTCOL_RED);
    row[0] = xstrdup("CONSTRUCTION_PERMIT");
    row[1] = xstrdup("建筑工程施工许可证");
    row[2] = xstrdup("未满足前置");
    row[3] =
        xstrdup("等待前置：ENG_PLAN_PERMIT（NRB，未满足前置，串联），EIA（EEB，已受理，串联）");
    row = textcol_row(t, TEXTCOL_PLAIN);
    row[0] = xstrdup("EIA");
    row[1] = xstrdup("环境影响评价");
    row[2] = xstrdup("已受理");
    return t;
}

static void
test_table_fits(void **state)
{
    textcol_table_t *t = sample_table();
    char *narrow, *wide;

    (void)state;
    textcol_ranks(t, (const int[]){2, 1, 3, 0});
    narrow = print_table(t, 60, false);
    assert_true(widest_line(narrow) <= 60);
    /* The notes (rank 0) gave way; the state (rank 3) is whole. */
    assert_non_null(strstr(narrow, "未满足前置  "));
    assert_non_null(strstr(narrow, "…"));
    assert_true(util_utf8_valid(narrow, strlen(narrow)));
    wide = print_table(t, 0, false);
    assert_non_null(strstr(wide, "EIA（EEB，已受理，串联）"));
    assert_null(strstr(wide, "…"));
    assert_true(widest_line(wide) > 60);
    /* The columns line up by display width: "环境影响评价" (12) padded like the wider name. */
    assert_non_null(strstr(wide, "EIA                  环境影响评价        已受理\n"));
    free(narrow);
    free(wide);
    textcol_table_destroy(&t);
    assert_null(t);
}

/* Optional columns are left out, whole, before any column is cut; the rest keep their order. */
static void
test_table_optional(void **state)
{
    static const char *const heading[] = {"编码", "手续", "更新", "状态"};
    textcol_table_t *t = textcol_table_new(4, 3);
    char **row, *out;

    (void)state;
    textcol_heading(t, heading);
    textcol_ranks(t, (const int[]){9, 0, 9, 9});
    textcol_optional(t, (const int[]){0, 0, 1, 0});
    row = textcol_row(t, TEXTCOL_YELLOW);
    row[0] = xstrdup("FOREST_USE");
    row[1] = xstrdup("使用林地草原审核");
    row[2] = xstrdup("03-03 08:30");
    row[3] = xstrdup("容缺受理");
    /* 10 + 16 + 11 + 8 and three gaps: 51. At 40 the time goes, and the name fits whole. */
    out = print_table(t, 40, false);
    assert_string_equal(out, "编码        手续              状态\n"
                             "FOREST_USE  使用林地草原审核  容缺受理\n");
    free(out);
    /* At 34 the time goes and the name, the lowest rank, gives way (to 12 columns: 11 and a
     * blank, half a character being no character); the code and state do not. */
    out = print_table(t, 34, true);
    assert_string_equal(out, "编码        手续          状态\n"
                             "FOREST_USE  使用林地草…   \033[33m容缺受理\033[0m\n");
    free(out);
    /* Wide enough: nothing is left out. */
    out = print_table(t, 51, false);
    assert_non_null(strstr(out, "03-03 08:30"));
    free(out);
    out = print_table(t, 0, false);
    assert_non_null(strstr(out, "03-03 08:30"));
    free(out);
    textcol_table_destroy(&t);
}

static void
test_table_narrowest(void **state)
{
    textcol_table_t *t = sample_table();
    char *out;

    (void)state;
    /* Far too narrow for the headings: every column gives way, down to one column. */
    out = print_table(t, 16, false);
    assert_true(widest_line(out) <= 16);
    free(out);
    textcol_table_destroy(&t);
}

static void
test_table_colour(void **state)
{
    textcol_table_t *t = sample_table();
    char *plain, *colour;

    (void)state;
    plain = print_table(t, 0, false);
    colour = print_table(t, 0, true);
    assert_null(strstr(plain, "\033["));
    /* Only the state cell of the red row. */
    assert_non_null(strstr(colour, "\033[31m未满足前置\033[0m"));
    assert_null(strstr(colour, "\033[31mCONSTRUCTION"));
    free(plain);
    free(colour);
    textcol_table_destroy(&t);
}

static void
test_table_escapes(void **state)
{
    textcol_table_t *t = textcol_table_new(2, -1);
    char **row;
    char *out;

    (void)state;
    row = textcol_row(t, TEXTCOL_PLAIN);
    row[0] = xstrdup("a\033[2Jb");
    row[1] = xstrdup("x");
    out = print_table(t, 0, true);
    assert_null(strstr(out, "\033"));
    assert_non_null(strstr(out, "a\\x1b[2Jb  x"));
    free(out);
    textcol_table_destroy(&t);
}

static void
test_columns(void **state)
{
    (void)state;
    setenv("COLUMNS", "132", 1);
    assert_int_equal(textcol_columns(stdout), 132);
    setenv("COLUMNS", "wide", 1);
    unsetenv("COLUMNS");
    /* Not a terminal under ctest: 80. */
    if (!isatty(fileno(stdout)))
        assert_int_equal(textcol_columns(stdout), 80);
}

static void
test_colour_wanted(void **state)
{
    FILE *pipe_end = tmpfile(), *tty;
    int master, slave = -1;
    char *name = NULL;

    (void)state;
    assert_non_null(pipe_end);
    unsetenv("NO_COLOR");
    unsetenv("CLICOLOR_FORCE");
    assert_false(textcol_colour(pipe_end));
    /* CLICOLOR_FORCE colours into a file or pipe; NO_COLOR still wins. */
    setenv("CLICOLOR_FORCE", "1", 1);
    assert_true(textcol_colour(pipe_end));
    setenv("NO_COLOR", "1", 1);
    assert_false(textcol_colour(pipe_end));
    setenv("NO_COLOR", "", 1); /* empty: as unset (no-color.org) */
    assert_true(textcol_colour(pipe_end));
    unsetenv("NO_COLOR");
    setenv("CLICOLOR_FORCE", "0", 1);
    assert_false(textcol_colour(pipe_end));
    setenv("CLICOLOR_FORCE", "", 1);
    assert_false(textcol_colour(pipe_end));
    unsetenv("CLICOLOR_FORCE");
    fclose(pipe_end);

    master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0 ||
        (name = ptsname(master)) == NULL || (slave = open(name, O_RDWR | O_NOCTTY)) < 0) {
        if (master >= 0)
            close(master);
        skip(); /* no pseudo-terminals here */
        return;
    }
    tty = fdopen(slave, "w");
    assert_non_null(tty);
    assert_true(textcol_colour(tty));
    setenv("NO_COLOR", "", 1);
    assert_true(textcol_colour(tty));
    setenv("NO_COLOR", "1", 1);
    assert_false(textcol_colour(tty));
    unsetenv("NO_COLOR");
    fclose(tty);
    close(master);
}

/* cli_print_wrapped's output into a string. */
static char *
wrapped(const char *text, int col, int indent, int width)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    cli_print_wrapped(f, text, col, indent, width);
    fclose(f);
    return buf;
}

static void
test_wrap(void **state)
{
    static const char zh[] = "显示项目的各项手续：状态、期限、预警颜色和等待的前置手续。"
                             "加 --wide 显示全部内容，--json 输出机器可读的结果。";
    char *out;

    (void)state;
    /* English breaks at blanks, as before. */
    out = wrapped("show the procedures of a project", 2, 2, 16);
    assert_string_equal(out, "show the\n  procedures of\n  a project\n");
    free(out);
    /* Chinese breaks between characters at the display width (two columns each), never
     * inside a UTF-8 sequence, never before "，" or "。" nor after "（". */
    out = wrapped(zh, 2, 2, 30);
    assert_true(widest_line(out) <= 30);
    assert_true(util_utf8_valid(out, strlen(out)));
    assert_string_equal(out, "显示项目的各项手续：状态、期\n"
                             "  限、预警颜色和等待的前置手\n"
                             "  续。加 --wide 显示全部内容，\n"
                             "  --json 输出机器可读的结果。\n");
    free(out);
    out = wrapped("期限（工作日）已过", 0, 0, 6);
    assert_string_equal(out, "期限\n（工作\n日）已\n过\n");
    free(out);
    /* A word longer than the line stays whole. */
    out = wrapped("ab CONSTRUCTION_PERMIT cd", 0, 0, 10);
    assert_string_equal(out, "ab\nCONSTRUCTION_PERMIT\ncd\n");
    free(out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_width),
        cmocka_unit_test(test_width_ignores_locale),
        cmocka_unit_test(test_fit),
        cmocka_unit_test(test_table_fits),
        cmocka_unit_test(test_table_optional),
        cmocka_unit_test(test_table_narrowest),
        cmocka_unit_test(test_table_colour),
        cmocka_unit_test(test_table_escapes),
        cmocka_unit_test(test_columns),
        cmocka_unit_test(test_wrap),
        cmocka_unit_test(test_colour_wanted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
