/*
 * Unit tests of the spool: the three formats (CSV, a JSON object or array, JSON lines) with
 * the line each event starts on; every reason a file is refused, each naming the file and the
 * line; ids derived from the department, name and content (the same file gives the same ids,
 * which is what makes taking a file twice harmless); and the folder: write-then-rename names
 * ignored, name order, done/ and failed/ with the reason beside the file, and a file left in
 * place when its events could not be taken.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "codec.h"
#include "evspec.h"
#include "fixture.h"
#include "log.h"
#include "spool.h"
#include "util.h"

typedef struct fix {
    char dir[64];
    char *spool;
    char why[1024];
    strv_t taken; /* "NAME:N" per file handed to take */
    int take_rc;
} fix_t;

static int
setup(void **state)
{
    fix_t *f = xcalloc(1, sizeof(*f));

    assert_int_equal(fixture_tmpdir(f->dir, sizeof(f->dir), "spool"), 0);
    f->spool = xasprintf("%s/spool", f->dir);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fix_t *f = *state;

    assert_int_equal(fixture_rmtree(f->dir), 0);
    strv_clear(&f->taken);
    free(f->spool);
    free(f);
    return 0;
}

/* Write a file (in the fixture's folder, or a path under it); returns its path. Caller owns. */
static char *
put(fix_t *f, const char *name, const char *text)
{
    char *path = xasprintf("%s/%s", f->dir, name);
    FILE *out = fopen(path, "wb");

    assert_non_null(out);
    assert_int_equal(fwrite(text, 1, strlen(text), out), strlen(text));
    assert_int_equal(fclose(out), 0);
    return path;
}

static spool_file_t *
parse_ok(fix_t *f, const char *name, const char *text)
{
    char *path = put(f, name, text);
    spool_file_t *file = NULL;

    if (spool_parse(path, "NRB", &file, f->why, sizeof(f->why)) != 0)
        fail_msg("spool_parse(%s): %s", name, f->why);
    free(path);
    return file;
}

/* A file that must be refused with a reason starting "want". */
static void
parse_fails(fix_t *f, const char *name, const char *text, const char *want)
{
    char *path = put(f, name, text);
    spool_file_t *file = NULL;

    assert_int_equal(spool_parse(path, "NRB", &file, f->why, sizeof(f->why)), -1);
    assert_null(file);
    if (strncmp(f->why, want, strlen(want)) != 0)
        fail_msg("%s: expected a reason starting '%s', got '%s'", name, want, f->why);
    free(path);
}

static void
test_csv(void **state)
{
    fix_t *f = *state;
    spool_file_t *file = parse_ok(f, "batch.csv",
                                  "\xef\xbb\xbfProject,procedure,EVENT,id,cert,note,time\n"
                                  "TL-1,LAND_PREREVIEW,accepted,,,\"受理, 材料齐全\",2026-03-02\n"
                                  "\n"
                                  "TL-1,LAND_PREREVIEW,approved,nrb-7,证-7,,\n");

    assert_string_equal(file->name, "batch.csv");
    assert_int_equal(file->n, 2);
    assert_int_equal(file->lines[0], 2);
    assert_int_equal(file->lines[1], 4);
    assert_int_equal(file->events[0]->kind, PM_KIND_ACCEPTED);
    assert_string_equal(file->events[0]->dept, "NRB");
    assert_string_equal(file->events[0]->project, "TL-1");
    assert_string_equal(file->events[0]->note, "受理, 材料齐全");
    assert_null(file->events[0]->cert);
    assert_int_equal(strlen(file->events[0]->event_id), 36);
    assert_string_equal(file->events[1]->event_id, "nrb-7");
    assert_string_equal(file->events[1]->cert, "证-7");
    spool_file_destroy(&file);
    assert_null(file);
    spool_file_destroy(NULL);
}

/* A spool file saved by Excel on Chinese Windows: GB18030, CRLF, Chinese headers. */
static void
test_csv_gb18030(void **state)
{
    fix_t *f = *state;
    /* "项目编号,手续编码,事件,备注\r\nTL-1,EIA,accepted,材料齐全\r\n" in GB18030 */
    spool_file_t *file = parse_ok(f, "gbk.csv",
                                  "\xcf\xee\xc4\xbf\xb1\xe0\xba\xc5,\xca\xd6\xd0\xf8\xb1\xe0"
                                  "\xc2\xeb,\xca\xc2\xbc\xfe,\xb1\xb8\xd7\xa2\r\nTL-1,EIA,"
                                  "accepted,\xb2\xc4\xc1\xcf\xc6\xeb\xc8\xab\r\n");

    assert_int_equal(file->n, 1);
    assert_int_equal(file->lines[0], 2);
    assert_int_equal(file->events[0]->kind, PM_KIND_ACCEPTED);
    assert_string_equal(file->events[0]->project, "TL-1");
    assert_string_equal(file->events[0]->procedure, "EIA");
    assert_string_equal(file->events[0]->note, "材料齐全");
    spool_file_destroy(&file);
}

static void
test_json_forms(void **state)
{
    fix_t *f = *state;
    spool_file_t *one = parse_ok(f, "one.json",
                                 "{\"project\": \"TL-1\", \"procedure\": \"EIA\", \"event\": "
                                 "\"accepted_deficient\",\n \"missing\": \"图纸\", \"due\": "
                                 "1800000000000, \"time\": \"2026-03-02T09:30:00+08:00\", "
                                 "\"note\": null}\n");
    spool_file_t *arr = parse_ok(f, "arr.JSON",
                                 "[\n"
                                 "  {\"project\": \"A\", \"procedure\": \"EIA\", \"event\": "
                                 "\"accepted\"},\n"
                                 "\n"
                                 "  {\"project\": \"B\",\n"
                                 "   \"procedure\": \"EIA\", \"event\": \"approved\", \"dept\": "
                                 "\"NRB\"}\n"
                                 "]\n");
    spool_file_t *lines = parse_ok(f, "lines.jsonl",
                                   "{\"project\": \"A\", \"procedure\": \"EIA\", \"event\": "
                                   "\"accepted\"}\n"
                                   "{\"project\": \"B\", \"procedure\": \"EIA\", \"event\": "
                                   "\"accepted\"}\n");
    spool_file_t *empty = parse_ok(f, "empty.json", " [ ] ");

    assert_int_equal(one->n, 1);
    assert_int_equal(one->events[0]->kind, PM_KIND_ACCEPTED_DEFICIENT);
    assert_string_equal(one->events[0]->missing, "图纸");
    assert_int_equal(one->events[0]->due_ms, 1800000000000);
    assert_int_equal(one->events[0]->event_ms, 1772415000000);
    assert_null(one->events[0]->note);
    assert_int_equal(arr->n, 2);
    assert_int_equal(arr->lines[0], 2);
    assert_int_equal(arr->lines[1], 4);
    assert_string_equal(arr->events[1]->project, "B");
    assert_int_equal(lines->n, 2);
    assert_int_equal(lines->lines[1], 2);
    assert_int_equal(empty->n, 0);
    spool_file_destroy(&one);
    spool_file_destroy(&arr);
    spool_file_destroy(&lines);
    spool_file_destroy(&empty);
}

/* Without a time, events claim the file's modification time. */
static void
test_default_time_is_the_files(void **state)
{
    fix_t *f = *state;
    char *path = put(f, "t.csv", "project,procedure,event\nA,EIA,accepted\n");
    struct timeval times[2] = {{1700000000, 250000}, {1700000000, 250000}};
    spool_file_t *file = NULL;

    assert_int_equal(utimes(path, times), 0);
    assert_int_equal(spool_parse(path, "NRB", &file, f->why, sizeof(f->why)), 0);
    assert_int_equal(file->events[0]->event_ms, 1700000000250);
    spool_file_destroy(&file);
    free(path);
}

static void
test_refusals_name_file_and_line(void **state)
{
    fix_t *f = *state;
    const char *ok = "{\"project\": \"A\", \"procedure\": \"EIA\", \"event\": \"accepted\"}";
    char *two = xasprintf("[%s,\n%s,\n{\"project\": \"A\", \"event\": \"accepted\"}]", ok, ok);

    parse_fails(f, "a.csv", "project,procedure,event,colour\nA,EIA,accepted,red\n",
                "a.csv:1: unknown column 'colour'");
    parse_fails(f, "b.csv", "project,event\nA,accepted\n", "b.csv:1: missing column 'procedure'");
    parse_fails(f, "c.csv", "project,procedure,event\nA,EIA,accepted\nA,EIA,approve\n",
                "c.csv:3: unknown event kind 'approve' (one of: accepted, ");
    parse_fails(f, "d.csv", "project,procedure,event,due\nA,EIA,accepted,2026-05-01\n",
                "d.csv:2: 'due' is the due date of 'missing' ITEM");
    parse_fails(f, "e.csv", "project,procedure,event,time\nA,EIA,accepted,2026-02-30\n",
                "e.csv:2: bad 'time' '2026-02-30'");
    parse_fails(f, "f.csv", "project,procedure,event,dept\nA,EIA,accepted,EEB\n",
                "f.csv:2: 'dept' is EEB, but this agent speaks for NRB");
    parse_fails(f, "g.csv", "project,procedure,event\n,EIA,accepted\n",
                "g.csv:2: 'project' is required");
    parse_fails(f, "h.csv", "project,procedure,event,id\nA,EIA,accepted,x\nB,EIA,accepted,x\n",
                "h.csv:3: id 'x' is used twice in the file (line 2 too)");
    parse_fails(f, "i.csv", "project,procedure,event\nA,\"EIA,accepted\n",
                "i.csv:2: a quoted field never ends");
    parse_fails(f, "j.json", two, "j.json:3: 'procedure' is required");
    parse_fails(f, "k.json", "[\n{\"project\": \"A\",\n \"procedure\": EIA}]",
                "k.json:3: invalid token");
    parse_fails(f, "l.json",
                "{\"project\": \"A\", \"procedure\": \"EIA\", \"event\": "
                "\"accepted\", \"colour\": \"red\"}",
                "l.json:1: unknown field 'colour' (known: dept, project, ");
    parse_fails(f, "m.json", "{\"project\": 7, \"procedure\": \"EIA\", \"event\": \"accepted\"}",
                "m.json:1: 'project' must be a string");
    parse_fails(f, "n.json", "[\n\"A\"]", "n.json:2: expected an event object ('{')");
    parse_fails(f, "o.json",
                "[\n{\"project\": \"A\", \"procedure\": \"EIA\", \"event\": "
                "\"accepted\"}\n",
                "o.json:3: the array is not closed");
    parse_fails(f, "p.json", "[]\n[]", "p.json:2: unexpected text after the array");
    parse_fails(f, "q.json", "", "q.json: empty file");
    parse_fails(f, "r.json", "{\"project\": \"A\", \"project\": \"B\"}",
                "r.json:1: duplicate object key");
    parse_fails(f, "s.xml", "<event/>", "s.xml: not a spool file");
    parse_fails(f, "t.json", "{\"project\": \"\\u0000\"}", "t.json:1: \\u0000 is not allowed");
    free(two);
}

/*
 * Every text field is held to the wire's limit for it, the codec's own table: at the limit a
 * field is taken, one byte over it the event is refused with the field, its length and the
 * limit, so nothing taken is refused later by the broker for its size. The same check refuses
 * `permit-agent send` (EVSPEC_TOO_LONG) and a spool file (its line).
 */
static void
test_field_limits(void **state)
{
    static const char *const fields[] = {"note",    "missing",   "cert", "id",
                                         "project", "procedure", "dept"};
    static const char *const wire[] = {"note",    "missing",   "cert", "event_id",
                                       "project", "procedure", "dept"};
    fix_t *f = *state;
    char want[160];

    for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
        size_t max = codec_field_limit(wire[i]);
        char *v = xcalloc(max + 2, 1);
        evspec_t s = {.project = "A", .procedure = "EIA", .event = "supplement_requested"};
        pm_entry_t *e = NULL;

        memset(v, 'x', max);
        assert_int_equal(evspec_set(&s, fields[i], v), 0);
        if (evspec_build(&s, EVSPEC_OPTIONS, 0, &e, f->why, sizeof(f->why)) != 0)
            fail_msg("--%s at its limit of %zu bytes refused: %s", fields[i], max, f->why);
        pm_entry_destroy(&e);
        v[max] = 'x';
        assert_int_equal(evspec_build(&s, EVSPEC_OPTIONS, 0, &e, f->why, sizeof(f->why)),
                         EVSPEC_TOO_LONG);
        assert_null(e);
        snprintf(want, sizeof(want), "--%s is %zu bytes, longer than the %zu the broker takes",
                 fields[i], max + 1, max);
        assert_string_equal(f->why, want);
        free(v);
    }

    {
        char *note = xcalloc(5001, 1), *text;
        memset(note, 'n', 5000);
        text = xasprintf("project,procedure,event,note\nA,EIA,accepted,short\nA,EIA,accepted,%s\n",
                         note);
        parse_fails(f, "long.csv", text,
                    "long.csv:3: 'note' is 5000 bytes, longer than the 4096 the broker takes");
        free(text);
        free(note);
    }
}

/* The ids of a file's events, joined. Caller owns. */
static char *
ids_of(fix_t *f, const char *name, const char *dept, const char *text)
{
    char *path = put(f, name, text);
    spool_file_t *file = NULL;
    strv_t ids = {0};
    char *s;

    assert_int_equal(spool_parse(path, dept, &file, f->why, sizeof(f->why)), 0);
    for (size_t i = 0; i < file->n; i++)
        strv_push(&ids, file->events[i]->event_id);
    s = strv_join(&ids, " ");
    strv_clear(&ids);
    spool_file_destroy(&file);
    free(path);
    return s;
}

static void
test_derived_ids(void **state)
{
    fix_t *f = *state;
    const char *text = "project,procedure,event\nA,EIA,accepted\nA,EIA,approved\n";
    char *first = ids_of(f, "x.csv", "NRB", text);
    char *again = ids_of(f, "x.csv", "NRB", text);
    char *renamed = ids_of(f, "y.csv", "NRB", text);
    char *other_dept = ids_of(f, "x.csv", "EEB", text);
    char *changed = ids_of(f, "x.csv", "NRB", "project,procedure,event\nA,EIA,accepted\n");

    /* The same file taken twice (a crash before the move) gives the same ids. */
    assert_string_equal(first, again);
    assert_int_equal(strlen(first), 36 * 2 + 1);
    assert_true(strncmp(first, first + 37, 36) != 0);
    /* A file dropped under another name, or another department's, is other events. */
    assert_string_not_equal(first, renamed);
    assert_string_not_equal(first, other_dept);
    assert_true(strncmp(first, changed, 36) != 0);
    free(first);
    free(again);
    free(renamed);
    free(other_dept);
    free(changed);
}

static int
take(void *arg, const spool_file_t *file, char *why, size_t whylen)
{
    fix_t *f = arg;
    char *s = xasprintf("%s:%zu", file->name, file->n);

    strv_push(&f->taken, s);
    free(s);
    if (f->take_rc != 0)
        snprintf(why, whylen, "the outbox is busy");
    return f->take_rc;
}

static char *
slurp(const char *path)
{
    FILE *in = fopen(path, "rb");
    char *buf = xcalloc(1, 4096);

    assert_non_null(in);
    assert_true(fread(buf, 1, 4095, in) > 0);
    fclose(in);
    return buf;
}

static void
exists(fix_t *f, const char *rel, bool want)
{
    char *path = xasprintf("%s/%s", f->spool, rel);

    if ((access(path, F_OK) == 0) != want)
        fail_msg("%s should %sexist", path, want ? "" : "not ");
    free(path);
}

static void
test_scan_moves_files(void **state)
{
    fix_t *f = *state;
    spool_t *sp = spool_new(f->spool, "NRB", f->why, sizeof(f->why));
    const char *csv = "project,procedure,event\nA,EIA,accepted\n";
    char *reason, *joined;
    bool more = true;

    assert_non_null(sp);
    assert_string_equal(spool_dir(sp), f->spool);
    free(put(f, "spool/b.csv", csv));
    free(put(f, "spool/a.json",
             "{\"project\": \"A\", \"procedure\": \"EIA\", \"event\": "
             "\"approved\"}"));
    free(put(f, "spool/.c.csv", csv));
    free(put(f, "spool/d.csv.tmp", csv));
    free(put(f, "spool/e.csv", "project,procedure,event\nA,EIA,accepted\nA,EIA,nope\n"));
    assert_int_equal(spool_scan(sp, 10, take, f, &more), 3);
    assert_false(more);
    joined = strv_join(&f->taken, " ");
    assert_string_equal(joined, "a.json:1 b.csv:1");
    free(joined);
    exists(f, "done/a.json", true);
    exists(f, "done/b.csv", true);
    exists(f, "b.csv", false);
    /* Names being written are left alone. */
    exists(f, ".c.csv", true);
    exists(f, "d.csv.tmp", true);
    /* The bad file is in failed/, its reason beside it, and nothing of it was taken. */
    exists(f, "e.csv", false);
    exists(f, "failed/e.csv", true);
    {
        char *rpath = xasprintf("%s/failed/e.csv.reason", f->spool);
        reason = slurp(rpath);
        free(rpath);
    }
    assert_non_null(strstr(reason, "e.csv:3: unknown event kind 'nope'"));
    assert_non_null(strstr(reason, "Nothing of e.csv was taken"));
    free(reason);
    /* Renamed into place, it is taken; a second b.csv keeps the first in done/. */
    {
        char *from = xasprintf("%s/spool/d.csv.tmp", f->dir);
        char *to = xasprintf("%s/spool/b.csv", f->dir);
        assert_int_equal(rename(from, to), 0);
        free(from);
        free(to);
    }
    assert_int_equal(spool_scan(sp, 10, take, f, &more), 1);
    exists(f, "done/b.csv", true);
    exists(f, "done/b.csv.1", true);
    spool_destroy(&sp);
    assert_null(sp);
    spool_destroy(NULL);
}

static void
test_scan_leaves_what_it_cannot_take(void **state)
{
    fix_t *f = *state;
    spool_t *sp = spool_new(f->spool, "NRB", f->why, sizeof(f->why));
    const char *csv = "project,procedure,event\nA,EIA,accepted\n";
    bool more = false;

    assert_non_null(sp);
    free(put(f, "spool/1.csv", csv));
    free(put(f, "spool/2.csv", csv));
    free(put(f, "spool/3.csv", csv));
    f->take_rc = -1;
    assert_int_equal(spool_scan(sp, 10, take, f, &more), -1);
    exists(f, "1.csv", true);
    exists(f, "2.csv", true);
    assert_int_equal(f->taken.n, 1);
    /* At most max files a round; more says there are others. */
    f->take_rc = 0;
    assert_int_equal(spool_scan(sp, 2, take, f, &more), 2);
    assert_true(more);
    exists(f, "3.csv", true);
    assert_int_equal(spool_scan(sp, 2, take, f, &more), 1);
    assert_false(more);
    exists(f, "done/3.csv", true);
    spool_destroy(&sp);
}

/* The log as one string, so a test can look for what must not be there. */
static void
log_into(void *arg, enum log_level level, const char *line)
{
    (void)level;
    strv_push(arg, line);
}

static void
on_alarm(int sig)
{
    (void)sig;
    fail_msg("the spool blocked (on a FIFO?)");
}

/*
 * What a writer to the spool cannot do: have the agent read a file it may not read through a
 * symbolic link (and find its first line in a reason file or the log), or block the agent on
 * a FIFO. Both are refused unopened, the reason readable as the spool is and no more, and the
 * next file is taken as usual.
 */
static void
test_scan_refuses_links_and_fifos(void **state)
{
    fix_t *f = *state;
    spool_t *sp = spool_new(f->spool, "NRB", f->why, sizeof(f->why));
    char *secret = put(f, "secret.txt", "TOPSECRET-42,x\n1,2\n");
    char *link = xasprintf("%s/s.csv", f->spool), *jlink = xasprintf("%s/t.json", f->spool);
    char *fifo = xasprintf("%s/p.csv", f->spool), *all, *reason, *rpath;
    strv_t lines = {0};
    spool_file_t *file = NULL;
    struct stat st;
    bool more = false;

    assert_non_null(sp);
    umask(022);
    assert_int_equal(chmod(f->spool, 0750), 0);
    assert_int_equal(symlink(secret, link), 0);
    assert_int_equal(symlink(secret, jlink), 0);
    assert_int_equal(mkfifo(fifo, 0666), 0);
    free(put(f, "spool/z.csv", "project,procedure,event\nA,EIA,accepted\n"));
    signal(SIGALRM, on_alarm);
    alarm(10);
    /* A FIFO swapped in under a checked name: spool_parse does not block on it. */
    assert_int_equal(spool_parse(fifo, "NRB", &file, f->why, sizeof(f->why)), -1);
    assert_non_null(strstr(f->why, "not a regular file"));
    assert_int_equal(spool_parse(link, "NRB", &file, f->why, sizeof(f->why)), -1);
    assert_null(strstr(f->why, "TOPSECRET"));
    log_set_sink(log_into, &lines);
    assert_int_equal(spool_scan(sp, 10, take, f, &more), 4);
    log_set_sink(NULL, NULL);
    alarm(0);
    all = strv_join(&f->taken, " ");
    assert_string_equal(all, "z.csv:1");
    free(all);
    exists(f, "done/z.csv", true);
    exists(f, "failed/p.csv", true);
    exists(f, "failed/s.csv", true);
    exists(f, "failed/t.json", true);
    all = strv_join(&lines, "\n");
    assert_null(strstr(all, "TOPSECRET"));
    assert_non_null(strstr(all, "s.csv"));
    free(all);
    for (int i = 0; i < 3; i++) {
        static const char *const names[] = {"s.csv", "t.json", "p.csv"};
        rpath = xasprintf("%s/failed/%s.reason", f->spool, names[i]);
        reason = slurp(rpath);
        assert_null(strstr(reason, "TOPSECRET"));
        assert_non_null(strstr(reason, "only regular files are taken"));
        assert_int_equal(stat(rpath, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0640);
        free(reason);
        free(rpath);
    }
    strv_clear(&lines);
    free(secret);
    free(link);
    free(jlink);
    free(fifo);
    spool_destroy(&sp);
}

static void
test_spool_new_refuses_a_bad_folder(void **state)
{
    fix_t *f = *state;
    char *deep = xasprintf("%s/no/such/folder", f->dir);

    assert_null(spool_new(deep, "NRB", f->why, sizeof(f->why)));
    assert_non_null(strstr(f->why, "cannot create"));
    free(deep);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_csv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_gb18030, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_time_is_the_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals_name_file_and_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_field_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_derived_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_moves_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_leaves_what_it_cannot_take, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_refuses_links_and_fifos, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spool_new_refuses_a_bad_folder, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
