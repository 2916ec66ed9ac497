/*
 * Unit tests of the CSV reader behind `permitctl import`: header mapping, the byte order mark,
 * RFC 4180 quoting and the line each row starts on, skipped blank lines, the promised error
 * messages ("PATH:LINE: reason") and UTF-8 checks. Every input is a real file in a fresh
 * temporary folder, because csvin reads paths, not buffers.
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

#include "csvin.h"
#include "util.h"

typedef struct fix {
    char dir[64];
    strv_t files; /* paths written, removed in teardown */
    char why[512];
} fix_t;

static int
setup(void **state)
{
    fix_t *f = xcalloc(1, sizeof(*f));

    snprintf(f->dir, sizeof(f->dir), "/tmp/permit-csvin-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fix_t *f = *state;

    for (size_t i = 0; i < f->files.n; i++)
        assert_int_equal(unlink(f->files.v[i]), 0);
    /* rmdir fails on a folder that still holds something: nothing may be left behind. */
    assert_int_equal(rmdir(f->dir), 0);
    strv_clear(&f->files);
    free(f);
    return 0;
}

/* Write len bytes to a new file in the fixture's folder; returns its path (the fixture owns). */
static const char *
put_bytes(fix_t *f, const char *name, const char *text, size_t len)
{
    char *path = xasprintf("%s/%s", f->dir, name);
    FILE *out = fopen(path, "wb");

    assert_non_null(out);
    assert_int_equal(fwrite(text, 1, len, out), len);
    assert_int_equal(fclose(out), 0);
    strv_push(&f->files, path);
    free(path);
    return f->files.v[f->files.n - 1];
}

static const char *
put_text(fix_t *f, const char *name, const char *text)
{
    return put_bytes(f, name, text, strlen(text));
}

/* Read a file that must parse; the reason is shown when it does not. */
static csvin_t *
read_ok(fix_t *f, const char *path)
{
    csvin_t *c = NULL;

    f->why[0] = '\0';
    if (csvin_read(path, &c, f->why, sizeof(f->why)) != 0)
        fail_msg("csvin_read(%s): %s", path, f->why);
    assert_non_null(c);
    return c;
}

/* Read a file that must be refused; returns the reason (in the fixture). */
static const char *
read_fails(fix_t *f, const char *path)
{
    csvin_t *c = NULL;

    f->why[0] = '\0';
    assert_int_equal(csvin_read(path, &c, f->why, sizeof(f->why)), -1);
    assert_null(c);
    assert_true(f->why[0] != '\0');
    return f->why;
}

/* Assert that why is exactly "PATH" followed by rest. */
static void
assert_why(const char *why, const char *path, const char *rest)
{
    char *want = xasprintf("%s%s", path, rest);

    assert_string_equal(why, want);
    free(want);
}

/* Assert that why starts with "PATH:LINE: " and mentions needle. */
static void
assert_why_at(const char *why, const char *path, unsigned line, const char *needle)
{
    char *prefix = xasprintf("%s:%u: ", path, line);

    if (strncmp(why, prefix, strlen(prefix)) != 0)
        fail_msg("expected a reason starting with '%s', got '%s'", prefix, why);
    if (strstr(why, needle) == NULL)
        fail_msg("expected '%s' in '%s'", needle, why);
    free(prefix);
}

static void
test_header_by_name_any_order(void **state)
{
    fix_t *f = *state;
    const char *a = put_text(f, "a.csv", "Code,NAME,dept\nEIA,环评,EEB\n");
    const char *b = put_text(f, "b.csv", "DEPT,code,Name\nEEB,EIA,环评\n");
    const char *paths[] = {a, b};

    for (size_t i = 0; i < ARRAY_LEN(paths); i++) {
        csvin_t *c = read_ok(f, paths[i]);
        int code = csvin_column(c, "code"), name = csvin_column(c, "Name"),
            dept = csvin_column(c, "DEPT");

        assert_string_equal(csvin_path(c), paths[i]);
        assert_int_equal(csvin_rows(c), 1);
        assert_int_equal(csvin_line(c, 0), 2);
        assert_true(code >= 0 && name >= 0 && dept >= 0);
        assert_true(code != name && name != dept && code != dept);
        assert_string_equal(csvin_get(c, 0, code), "EIA");
        assert_string_equal(csvin_get(c, 0, name), "环评");
        assert_string_equal(csvin_get(c, 0, dept), "EEB");
        assert_int_equal(csvin_column(c, "region"), -1);
        assert_int_equal(csvin_column(c, "cod"), -1);
        /* An absent column and a row past the end read as "", never NULL. */
        assert_string_equal(csvin_get(c, 0, -1), "");
        assert_string_equal(csvin_get(c, 1, code), "");
        csvin_destroy(&c);
        assert_null(c);
    }
    csvin_destroy(NULL);
}

static void
test_byte_order_mark_skipped(void **state)
{
    fix_t *f = *state;
    const char *path = put_text(f, "bom.csv",
                                "\xef\xbb\xbf"
                                "code,name\nEIA,环评\n");
    csvin_t *c = read_ok(f, path);

    /* With the mark kept, the first column would be "\xef\xbb\xbfcode" and not found. */
    assert_int_equal(csvin_column(c, "code"), 0);
    assert_int_equal(csvin_column(c, "name"), 1);
    assert_int_equal(csvin_rows(c), 1);
    assert_int_equal(csvin_line(c, 0), 2);
    assert_string_equal(csvin_get(c, 0, 0), "EIA");
    csvin_destroy(&c);
}

static void
test_quoted_fields_and_lines(void **state)
{
    fix_t *f = *state;
    const char *path = put_text(f, "quoted.csv",
                                "code,note\n"
                                "A,\"one, two\"\n"
                                "B,\"say \"\"hi\"\"\"\n"
                                "C,\"first\nsecond\n\nfourth\"\n"
                                "D,after\n"
                                "\"E\",\"  kept  \"\n"
                                "  F  ,\t trimmed \t\n");
    csvin_t *c = read_ok(f, path);

    assert_int_equal(csvin_rows(c), 6);
    assert_string_equal(csvin_get(c, 0, 1), "one, two");
    assert_string_equal(csvin_get(c, 1, 1), "say \"hi\"");
    assert_string_equal(csvin_get(c, 2, 1), "first\nsecond\n\nfourth");
    assert_string_equal(csvin_get(c, 3, 1), "after");
    assert_string_equal(csvin_get(c, 4, 0), "E");
    assert_string_equal(csvin_get(c, 4, 1), "  kept  ");
    assert_string_equal(csvin_get(c, 5, 0), "F");
    assert_string_equal(csvin_get(c, 5, 1), "trimmed");
    /* Each row reports the line it starts on, counting the breaks inside C's note. */
    assert_int_equal(csvin_line(c, 0), 2);
    assert_int_equal(csvin_line(c, 1), 3);
    assert_int_equal(csvin_line(c, 2), 4);
    assert_int_equal(csvin_line(c, 3), 8);
    assert_int_equal(csvin_line(c, 4), 9);
    assert_int_equal(csvin_line(c, 5), 10);

    assert_int_equal(csvin_error(c, 3, f->why, sizeof(f->why), "unknown procedure '%s'", "D"), -1);
    assert_why(f->why, path, ":8: unknown procedure 'D'");
    csvin_destroy(&c);
}

static void
test_crlf_lines(void **state)
{
    fix_t *f = *state;
    const char *path = put_text(f, "crlf.csv",
                                "code,note\r\n"
                                "A,\"x\r\ny\"\r\n"
                                "\r\n"
                                "B,z\r\n");
    csvin_t *c = read_ok(f, path);

    assert_int_equal(csvin_rows(c), 2);
    assert_string_equal(csvin_get(c, 0, 1), "x\r\ny");
    assert_string_equal(csvin_get(c, 1, 1), "z");
    assert_int_equal(csvin_line(c, 0), 2);
    assert_int_equal(csvin_line(c, 1), 5);
    csvin_destroy(&c);
}

static void
test_blank_lines_skipped(void **state)
{
    fix_t *f = *state;
    const char *path = put_text(f, "blank.csv",
                                "\n"
                                "code,name\n"
                                "\n"
                                "A,1\n"
                                "   \n"
                                ",\n"
                                " , \"\"\n"
                                "B,2\n"
                                "\n");
    csvin_t *c = read_ok(f, path);
    int col = 99;

    assert_int_equal(csvin_rows(c), 2);
    assert_string_equal(csvin_get(c, 0, 0), "A");
    assert_string_equal(csvin_get(c, 1, 0), "B");
    assert_int_equal(csvin_line(c, 0), 4);
    assert_int_equal(csvin_line(c, 1), 8);
    /* The header sits on line 2 here, and a missing column names that line. */
    assert_int_equal(csvin_require(c, "dept", &col, f->why, sizeof(f->why)), -1);
    assert_why(f->why, path, ":2: missing column 'dept'");
    assert_int_equal(col, 99);
    csvin_destroy(&c);
}

static void
test_missing_column(void **state)
{
    fix_t *f = *state;
    const char *path = put_text(f, "missing.csv", "code,name\nEIA,环评\n");
    csvin_t *c = read_ok(f, path);
    int col = 99;

    assert_int_equal(csvin_require(c, "NAME", &col, f->why, sizeof(f->why)), 0);
    assert_int_equal(col, 1);
    col = 99;
    assert_int_equal(csvin_require(c, "dept", &col, f->why, sizeof(f->why)), -1);
    assert_why(f->why, path, ":1: missing column 'dept'");
    /* Results are set only on success. */
    assert_int_equal(col, 99);
    csvin_destroy(&c);
}

static void
test_unknown_column(void **state)
{
    fix_t *f = *state;
    const char *const known[] = {"code", "name", "dept", NULL};
    const char *good = put_text(f, "good.csv", "CODE,Name\nEIA,环评\n");
    const char *bad = put_text(f, "bad.csv", "code,Colour,name\nEIA,red,环评\n");
    csvin_t *c = read_ok(f, good);

    assert_int_equal(csvin_check_columns(c, CSVIN_TEMPLATE, known, f->why, sizeof(f->why)), 0);
    csvin_destroy(&c);

    c = read_ok(f, bad);
    assert_int_equal(csvin_check_columns(c, CSVIN_TEMPLATE, known, f->why, sizeof(f->why)), -1);
    assert_why(f->why, bad,
               ":1: unknown column 'Colour'; the columns are: code (手续编码, 事项编码, 编码, "
               "代码), name (手续名称, 事项名称, 名称), dept (办理部门, 部门, 部门编码)");
    csvin_destroy(&c);
}

static void
test_header_problems(void **state)
{
    fix_t *f = *state;
    const char *twice = put_text(f, "twice.csv", "code,name,CODE\nA,b,c\n");
    const char *unnamed = put_text(f, "unnamed.csv", "code,,name\nA,b,c\n");

    assert_why_at(read_fails(f, twice), twice, 1, "'CODE' appears twice");
    assert_why_at(read_fails(f, unnamed), unnamed, 1, "column 2 has no name");
}

static void
test_short_and_long_rows(void **state)
{
    fix_t *f = *state;
    const char *ok = put_text(f, "short.csv", "code,name,dept\nA\nB,b,EEB,,\n");
    const char *bad = put_text(f, "long.csv", "code,name\nA,a\nB,b,extra\n");
    csvin_t *c = read_ok(f, ok);

    /* A short row reads as empty fields; empty extra fields are tolerated. */
    assert_int_equal(csvin_rows(c), 2);
    assert_string_equal(csvin_get(c, 0, 0), "A");
    assert_string_equal(csvin_get(c, 0, 1), "");
    assert_string_equal(csvin_get(c, 0, 2), "");
    assert_string_equal(csvin_get(c, 1, 2), "EEB");
    csvin_destroy(&c);

    assert_why_at(read_fails(f, bad), bad, 3, "3 fields, but the header has 2 columns");
}

static void
test_bad_quoting(void **state)
{
    fix_t *f = *state;
    const char *stray = put_text(f, "stray.csv", "code,note\nA,fine\nB,say \"hi\"\n");
    const char *after = put_text(f, "after.csv", "code,note\nA,\"x\"y\n");
    const char *open = put_text(f, "open.csv", "code,note\nA,a\nB,\"never\nends\n\nC,c\n");

    assert_why_at(read_fails(f, stray), stray, 3, "bad quoting");
    assert_why_at(read_fails(f, after), after, 2, "bad quoting");
    /* The unterminated field is reported on the line its row starts on, not at the end. */
    assert_why_at(read_fails(f, open), open, 3, "never ends");
}

static void
test_invalid_utf8(void **state)
{
    fix_t *f = *state;
    const char *plain = put_text(f, "latin1.csv", "code,name\nA,ok\nB,caf\xe9\nC,ok\n");
    const char *late = put_text(f, "late.csv", "code,note\nA,\"two\nlines\"\nB,\"\xc0\xff\"\n");
    const char *header = put_text(f, "header.csv", "code,n\xff\nA,b\n");
    const char *nul = put_bytes(f, "nul.csv", "code,name\nA,x\0y\n", 16);

    assert_why_at(read_fails(f, plain), plain, 3, "not valid UTF-8");
    /* Neither UTF-8 nor GB18030 (0xff is no GB18030 byte): B's line 4 is named. */
    assert_why_at(read_fails(f, late), late, 4, "not valid UTF-8");
    assert_why_at(read_fails(f, header), header, 1, "not valid UTF-8, nor GB18030 (byte 0xff)");
    assert_why_at(read_fails(f, nul), nul, 2, "not valid UTF-8");
}

/* What Excel on Chinese Windows saves: GB18030, CRLF, no byte order mark, Chinese headers. */
static void
test_gb18030_decoded(void **state)
{
    fix_t *f = *state;
    const char *const known[] = {"id", "name", "region", NULL};
    /* "项目编号,项目名称,地区\r\nTL-1,光伏项目,科尔沁区\r\n" in GB18030 */
    static const char gb[] = "\xcf\xee\xc4\xbf\xb1\xe0\xba\xc5,\xcf\xee\xc4\xbf\xc3\xfb"
                             "\xb3\xc6,\xb5\xd8\xc7\xf8\r\nTL-1,\xb9\xe2\xb7\xfc\xcf\xee"
                             "\xc4\xbf,\xbf\xc6\xb6\xfb\xc7\xdf\xc7\xf8\r\n";
    const char *path = put_text(f, "gbk.csv", gb);
    csvin_t *c = read_ok(f, path);

    assert_string_equal(csvin_get(c, 0, 1), "光伏项目");
    assert_string_equal(csvin_get(c, 0, 2), "科尔沁区");
    assert_int_equal(csvin_column(c, "id"), -1);
    assert_int_equal(csvin_check_columns(c, CSVIN_PROJECTS, known, f->why, sizeof(f->why)), 0);
    assert_int_equal(csvin_column(c, "id"), 0);
    assert_int_equal(csvin_column(c, "name"), 1);
    assert_int_equal(csvin_column(c, "region"), 2);
    assert_int_equal(csvin_line(c, 0), 2);
    csvin_destroy(&c);
}

/* A header and its alias name one column twice; an unknown one lists the valid ones. */
static void
test_aliases(void **state)
{
    fix_t *f = *state;
    const char *const known[] = {"code", "name", "contact", NULL};
    const char *twice = put_text(f, "twice.csv", "code,部门编码,名称\nNRB,NRB,自然资源局\n");
    const char *other = put_text(f, "other.csv", "部门编码,项目名称\nNRB,x\n");
    csvin_t *c = read_ok(f, twice);

    assert_int_equal(csvin_check_columns(c, CSVIN_DEPARTMENTS, known, f->why, sizeof(f->why)), -1);
    assert_why(f->why, twice, ":1: column 'code' appears twice");
    csvin_destroy(&c);

    /* 项目名称 is a projects column, not a departments one. */
    c = read_ok(f, other);
    assert_int_equal(csvin_check_columns(c, CSVIN_DEPARTMENTS, known, f->why, sizeof(f->why)), -1);
    assert_why(f->why, other,
               ":1: unknown column '项目名称'; the columns are: code (部门编码, 部门代码, 编码, "
               "代码), name (部门名称, 部门, 名称), contact (联系方式, 联系电话, 电话)");
    csvin_destroy(&c);
}

static void
test_chinese_preserved(void **state)
{
    fix_t *f = *state;
    static const char name[] = "建设工程规划许可证（含“多测合一”）";
    static const char note[] = "材料齐全，已受理；\n请于三日内补正";
    char *text = xasprintf("代码,名称,备注\nENG_PLAN_PERMIT,%s,\"%s\"\n", name, note);
    const char *path = put_text(f, "zh.csv", text);
    csvin_t *c = read_ok(f, path);
    int col = -1;

    assert_int_equal(csvin_require(c, "名称", &col, f->why, sizeof(f->why)), 0);
    assert_int_equal(col, 1);
    assert_int_equal(strlen(csvin_get(c, 0, 1)), strlen(name));
    assert_memory_equal(csvin_get(c, 0, 1), name, sizeof(name));
    assert_memory_equal(csvin_get(c, 0, 2), note, sizeof(note));
    assert_int_equal(csvin_column(c, "备注"), 2);
    csvin_destroy(&c);
    free(text);
}

static void
test_empty_file(void **state)
{
    fix_t *f = *state;
    const char *empty = put_text(f, "empty.csv", "");
    const char *bom = put_text(f, "bom-only.csv", "\xef\xbb\xbf");
    const char *blank = put_text(f, "blank-only.csv", "\n\r\n  \n,,\n");
    const char *paths[] = {empty, bom, blank};

    for (size_t i = 0; i < ARRAY_LEN(paths); i++) {
        const char *why = read_fails(f, paths[i]);
        char *prefix = xasprintf("%s: ", paths[i]);

        assert_int_equal(strncmp(why, prefix, strlen(prefix)), 0);
        assert_non_null(strstr(why, "empty file"));
        free(prefix);
    }
}

static void
test_missing_file(void **state)
{
    fix_t *f = *state;
    char *path = xasprintf("%s/no-such.csv", f->dir);
    const char *why = read_fails(f, path);

    assert_why(why, path, ": No such file or directory");
    free(path);
}

/* csvin_find: each value's first row, in a column or a missing one, and repeats found. */
static void
test_find(void **state)
{
    fix_t *f = *state;
    csvin_t *c = read_ok(f, put_text(f, "find.csv", "code,name\nA,1\nB,2\nA,3\n,4\n"));

    assert_int_equal(csvin_find(c, 0, "A"), 0);
    assert_int_equal(csvin_find(c, 0, "B"), 1);
    assert_int_equal(csvin_find(c, 0, ""), 3);
    assert_int_equal(csvin_find(c, 0, "C"), -1);
    assert_int_equal(csvin_find(c, 1, "3"), 2);
    assert_int_equal(csvin_find(c, 2, "A"), -1);
    assert_int_equal(csvin_find(c, -1, "A"), -1);
    csvin_destroy(&c);
}

/*
 * 300,000 codes checked for repeats, each row against its value's first row, as the imports
 * do: linear, so well within the test's timeout (comparing every row with the rows before it
 * ran past 600 s at 320,000 rows). The one repeat, in the last row, is found.
 */
static void
test_find_many(void **state)
{
    fix_t *f = *state;
    enum { N = 300000 };
    size_t cap = 32 + (size_t)N * 16, len = 0;
    char *text = xmalloc(cap);
    const char *path;
    csvin_t *c;
    size_t repeats = 0;

    len += (size_t)snprintf(text + len, cap - len, "code\n");
    for (int i = 0; i < N; i++)
        len += (size_t)snprintf(text + len, cap - len, "P-%07d\n", i);
    len += (size_t)snprintf(text + len, cap - len, "P-0123456\n");
    path = put_bytes(f, "many.csv", text, len);
    free(text);
    c = read_ok(f, path);
    assert_int_equal(csvin_rows(c), N + 1);
    for (size_t r = 0; r < csvin_rows(c); r++) {
        long first = csvin_find(c, 0, csvin_get(c, r, 0));
        assert_true(first >= 0 && (size_t)first <= r);
        if ((size_t)first < r) {
            repeats++;
            assert_int_equal(r, N);
            assert_int_equal(first, 123456);
        }
    }
    assert_int_equal(repeats, 1);
    csvin_destroy(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_header_by_name_any_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_byte_order_mark_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quoted_fields_and_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crlf_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blank_lines_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_column, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_column, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_problems, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_and_long_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_quoting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_utf8, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gb18030_decoded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aliases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chinese_preserved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_many, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
