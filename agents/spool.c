/*
 * spool: see spool.h.
 *
 * JSON files are read value by value with jansson (JSON_DISABLE_EOF_CHECK stops after one
 * object and says how many bytes it used), so every event knows the line it starts on and a
 * reason can name it, which jansson's whole-document parse cannot do.
 */
#define _GNU_SOURCE
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "csvin.h"
#include "evspec.h"
#include "i18n.h"
#include "log.h"
#include "util.h"

/* Larger than any batch a department's system writes at once: refuse before reading it all. */
#define SPOOL_MAX_BYTES (64u * 1024 * 1024)

/* The name space of derived event ids (UUID version 5); never change it. */
#define SPOOL_ID_NAMESPACE "9b2f6c1e-4d7a-5e83-a0c4-3f1e8d6b2a57"

struct spool {
    char *dir;
    char *done;
    char *failed;
    char *dept;
};

/* What parsing one file builds. */
typedef struct parse {
    const char *name;
    const char *dept;
    int64_t default_ms;
    spool_file_t *file;
    char *why;
    size_t whylen;
} parse_t;

static int parse_error(parse_t *p, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Format "NAME:LINE: reason" (or "NAME: reason" for line 0). Returns -1. */
static int
parse_error(parse_t *p, unsigned line, const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (line > 0)
        snprintf(p->why, p->whylen, "%s:%u: %s", p->name, line, msg);
    else
        snprintf(p->why, p->whylen, "%s: %s", p->name, msg);
    util_utf8_trim(p->why);
    return -1;
}

/* Check one event's fields and append it. */
static int
add_event(parse_t *p, const evspec_t *s, unsigned line)
{
    spool_file_t *f = p->file;
    pm_entry_t *e = NULL;
    char why[512];

    if (evspec_build(s, EVSPEC_FIELDS, p->default_ms, &e, why, sizeof(why)) != 0)
        return parse_error(p, line, "%s", why);
    if (e->dept != NULL && strcmp(e->dept, p->dept) != 0) {
        parse_error(p, line, _("'dept' is %s, but this agent speaks for %s"), e->dept, p->dept);
        pm_entry_destroy(&e);
        return -1;
    }
    xstrset(&e->dept, p->dept);
    f->events = xgrow(f->events, f->n, sizeof(*f->events));
    f->lines = xgrow(f->lines, f->n, sizeof(*f->lines));
    f->events[f->n] = e;
    f->lines[f->n] = line;
    f->n++;
    return 0;
}

/* csvin's reasons name the path; the clerk knows the file by its name. Returns -1. */
static int
name_not_path(parse_t *p, const char *path)
{
    size_t plen = strlen(path);

    if (strncmp(p->why, path, plen) == 0) {
        char *rest = xstrdup(p->why + plen);
        snprintf(p->why, p->whylen, "%s%s", p->name, rest);
        free(rest);
    }
    return -1;
}

static int
parse_csv(parse_t *p, const char *path, const char *buf, size_t len)
{
    static const char *const required[] = {"project", "procedure", "event"};
    csvin_t *c = NULL;
    int cols[sizeof(evspec_t) / sizeof(const char *)]; /* one per field */
    size_t nnames;
    int rc = -1;

    /* The text slurp() read through its checked descriptor, not the path opened again. */
    if (csvin_parse(path, buf, len, &c, p->why, p->whylen) != 0)
        return name_not_path(p, path);
    if (csvin_check_columns(c, CSVIN_EVENTS, evspec_names, p->why, p->whylen) != 0) {
        name_not_path(p, path);
        goto done;
    }
    for (size_t i = 0; i < ARRAY_LEN(required); i++) {
        int col;
        if (csvin_require(c, required[i], &col, p->why, p->whylen) != 0) {
            name_not_path(p, path);
            goto done;
        }
    }
    for (nnames = 0; evspec_names[nnames] != NULL; nnames++)
        cols[nnames] = csvin_column(c, evspec_names[nnames]);
    for (size_t row = 0; row < csvin_rows(c); row++) {
        evspec_t s = {0};
        for (size_t i = 0; i < nnames; i++) {
            const char *v = csvin_get(c, row, cols[i]);
            evspec_set(&s, evspec_names[i], *v != '\0' ? v : NULL);
        }
        if (add_event(p, &s, csvin_line(c, row)) != 0)
            goto done;
    }
    rc = 0;

done:
    csvin_destroy(&c);
    return rc;
}

/* One JSON object's keys as fields; numbers for the times become text kept in `texts`. */
static int
json_event(parse_t *p, json_t *obj, unsigned line)
{
    evspec_t s = {0};
    strv_t texts = {0};
    const char *key;
    json_t *v;
    int rc = -1;

    json_object_foreach(obj, key, v)
    {
        const char *text = NULL;
        bool is_time = strcmp(key, "time") == 0 || strcmp(key, "due") == 0;
        if (json_is_string(v)) {
            text = json_string_value(v);
        } else if (json_is_integer(v) && is_time) {
            char num[32];
            snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
            strv_push(&texts, num);
            text = texts.v[texts.n - 1];
        } else if (!json_is_null(v)) {
            parse_error(p, line, _("'%s' must be a string%s"), key,
                        is_time ? _(" or milliseconds since the epoch") : "");
            goto done;
        }
        if (evspec_set(&s, key, text) != 0) {
            strv_t names = {0};
            char *known;
            for (size_t i = 0; evspec_names[i] != NULL; i++)
                strv_push(&names, evspec_names[i]);
            known = strv_join(&names, ", ");
            parse_error(p, line, _("unknown field '%s' (known: %s)"), key, known);
            free(known);
            strv_clear(&names);
            goto done;
        }
    }
    rc = add_event(p, &s, line);

done:
    strv_clear(&texts);
    return rc;
}

/* Skip blanks, counting line breaks. */
static size_t
skip_blanks(const char *buf, size_t len, size_t pos, unsigned *line)
{
    while (pos < len &&
           (buf[pos] == ' ' || buf[pos] == '\t' || buf[pos] == '\r' || buf[pos] == '\n')) {
        if (buf[pos] == '\n')
            (*line)++;
        pos++;
    }
    return pos;
}

/* Read one object at pos; on success pos moves past it and line counts its line breaks. */
static int
json_one(parse_t *p, const char *buf, size_t len, size_t *pos, unsigned *line)
{
    json_error_t err;
    json_t *obj;
    int rc;

    if (buf[*pos] != '{')
        return parse_error(p, *line, _("expected an event object ('{'), found '%c'"), buf[*pos]);
    obj = json_loadb(buf + *pos, len - *pos, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &err);
    if (obj == NULL)
        return parse_error(p, *line + (unsigned)(err.line > 0 ? err.line - 1 : 0), "%s", err.text);
    rc = json_event(p, obj, *line);
    json_decref(obj);
    for (size_t i = *pos; i < *pos + (size_t)err.position; i++)
        *line += buf[i] == '\n';
    *pos += (size_t)err.position;
    return rc;
}

static int
parse_json(parse_t *p, const char *buf, size_t len)
{
    unsigned line = 1;
    size_t pos = 0;

    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
        pos = 3;
    pos = skip_blanks(buf, len, pos, &line);
    if (pos == len)
        return parse_error(p, 0, _("no JSON in the file"));
    if (buf[pos] != '[') {
        /* One object, or objects one after another (JSON lines). */
        while (pos < len) {
            if (json_one(p, buf, len, &pos, &line) != 0)
                return -1;
            pos = skip_blanks(buf, len, pos, &line);
        }
        return 0;
    }
    pos = skip_blanks(buf, len, pos + 1, &line);
    if (pos < len && buf[pos] == ']') {
        pos++;
    } else {
        for (;;) {
            if (pos == len)
                return parse_error(p, line, _("the array is not closed (']' missing)"));
            if (json_one(p, buf, len, &pos, &line) != 0)
                return -1;
            pos = skip_blanks(buf, len, pos, &line);
            if (pos == len)
                return parse_error(p, line, _("the array is not closed (']' missing)"));
            if (buf[pos] == ']') {
                pos++;
                break;
            }
            if (buf[pos] != ',')
                return parse_error(p, line, _("expected ',' or ']' after an event"));
            pos = skip_blanks(buf, len, pos + 1, &line);
        }
    }
    pos = skip_blanks(buf, len, pos, &line);
    if (pos < len)
        return parse_error(p, line, _("unexpected text after the array"));
    return 0;
}

static bool
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/*
 * Read the whole file; *mtime_ms is its modification time. Anyone who can write to the spool
 * can put something else there than a file: a symbolic link would have us read (and quote in
 * a reason) a file the sender cannot read, a FIFO would block open() and the agent with it.
 * So: no link followed, no blocking open, and only a regular file is read.
 */
static int
slurp(parse_t *p, const char *path, char **out, size_t *outlen, int64_t *mtime_ms)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    char *buf = NULL;
    size_t got = 0;

    if (fd < 0 && errno == ELOOP)
        return parse_error(p, 0, _("a symbolic link; only regular files are taken"));
    if (fd < 0)
        return parse_error(p, 0, "%s", strerror(errno));
    if (fstat(fd, &st) != 0) {
        parse_error(p, 0, "%s", strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        parse_error(p, 0, _("not a regular file; only regular files are taken"));
        goto fail;
    }
    if ((uint64_t)st.st_size > SPOOL_MAX_BYTES) {
        parse_error(p, 0, _("larger than %u bytes; split it"), SPOOL_MAX_BYTES);
        goto fail;
    }
    buf = xmalloc((size_t)st.st_size + 1);
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            parse_error(p, 0, "%s", strerror(errno));
            goto fail;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    *out = buf;
    *outlen = got;
    *mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
    return 0;

fail:
    free(buf);
    close(fd);
    return -1;
}

static int
by_id(const void *a, const void *b, void *arg)
{
    pm_entry_t *const *ev = arg;
    size_t i = *(const size_t *)a, k = *(const size_t *)b;
    int c = strcmp(ev[i]->event_id, ev[k]->event_id);

    return c != 0 ? c : (i > k) - (i < k);
}

/* Refuse an id used twice in one file: the outbox would silently keep only the first. */
static int
check_unique(parse_t *p)
{
    spool_file_t *f = p->file;
    size_t *order = xmalloc((f->n + 1) * sizeof(size_t));
    int rc = 0;

    for (size_t i = 0; i < f->n; i++)
        order[i] = i;
    qsort_r(order, f->n, sizeof(size_t), by_id, f->events);
    for (size_t i = 1; i < f->n && rc == 0; i++) {
        size_t a = order[i - 1], b = order[i];
        if (strcmp(f->events[a]->event_id, f->events[b]->event_id) == 0)
            rc = parse_error(p, f->lines[b], _("id '%s' is used twice in the file (line %u too)"),
                             f->events[b]->event_id, f->lines[a]);
    }
    free(order);
    return rc;
}

/*
 * Give every event without an id one derived from the department, the file's name and
 * content, and its position; refuse an id used twice in the file.
 */
static int
assign_ids(parse_t *p, const char *content, size_t len)
{
    spool_file_t *f = p->file;
    uuid_t ns, by_content, file_ns, u;
    char *key = xasprintf("%s\n%s", p->dept, f->name);

    uuid_parse(SPOOL_ID_NAMESPACE, ns);
    uuid_generate_sha1(by_content, ns, content, len);
    uuid_generate_sha1(file_ns, by_content, key, strlen(key));
    free(key);
    for (size_t i = 0; i < f->n; i++) {
        char pos[32], text[37];
        if (f->events[i]->event_id != NULL)
            continue;
        snprintf(pos, sizeof(pos), "%zu", i);
        uuid_generate_sha1(u, file_ns, pos, strlen(pos));
        uuid_unparse_lower(u, text);
        f->events[i]->event_id = xstrdup(text);
    }
    return check_unique(p);
}

int
spool_parse(const char *path, const char *dept, spool_file_t **out, char *why, size_t whylen)
{
    const char *slash = strrchr(path, '/');
    spool_file_t *f = xcalloc(1, sizeof(*f));
    parse_t p = {.dept = dept, .file = f, .why = why, .whylen = whylen};
    char *buf = NULL;
    size_t len = 0;
    int rc;

    f->name = xstrdup(slash != NULL ? slash + 1 : path);
    p.name = f->name;
    if (slurp(&p, path, &buf, &len, &p.default_ms) != 0)
        goto fail;
    if (len == 0) {
        parse_error(&p, 0, _("empty file"));
        goto fail;
    }
    if (ends_with(f->name, ".csv"))
        rc = parse_csv(&p, path, buf, len);
    else if (ends_with(f->name, ".json") || ends_with(f->name, ".jsonl") ||
             ends_with(f->name, ".ndjson"))
        rc = parse_json(&p, buf, len);
    else
        rc = parse_error(&p, 0, _("not a spool file: names end in .csv, .json or .jsonl"));
    if (rc != 0 || assign_ids(&p, buf, len) != 0)
        goto fail;
    free(buf);
    *out = f;
    return 0;

fail:
    free(buf);
    spool_file_destroy(&f);
    return -1;
}

void
spool_file_destroy(spool_file_t **pp)
{
    spool_file_t *f = pp ? *pp : NULL;

    if (f == NULL)
        return;
    for (size_t i = 0; i < f->n; i++)
        pm_entry_destroy(&f->events[i]);
    free(f->events);
    free(f->lines);
    free(f->name);
    free(f);
    *pp = NULL;
}

static int
make_dir(const char *path, char *why, size_t whylen)
{
    if (mkdir(path, 0750) == 0 || errno == EEXIST)
        return 0;
    snprintf(why, whylen, _("cannot create %s: %s"), path, strerror(errno));
    return -1;
}

spool_t *
spool_new(const char *dir, const char *dept, char *why, size_t whylen)
{
    spool_t *self = xcalloc(1, sizeof(*self));

    self->dir = xstrdup(dir);
    self->done = xasprintf("%s/done", dir);
    self->failed = xasprintf("%s/failed", dir);
    self->dept = xstrdup(dept);
    if (make_dir(self->dir, why, whylen) != 0 || make_dir(self->done, why, whylen) != 0 ||
        make_dir(self->failed, why, whylen) != 0)
        spool_destroy(&self);
    return self;
}

void
spool_destroy(spool_t **p)
{
    spool_t *self = p ? *p : NULL;

    if (self == NULL)
        return;
    free(self->dir);
    free(self->done);
    free(self->failed);
    free(self->dept);
    free(self);
    *p = NULL;
}

const char *
spool_dir(const spool_t *self)
{
    return self->dir;
}

/* Names being written (".NAME", "NAME.tmp") and the subfolders are not candidates. */
static int
candidate(const struct dirent *d)
{
    return d->d_name[0] != '.' && !ends_with(d->d_name, ".tmp") && strcmp(d->d_name, "done") != 0 &&
           strcmp(d->d_name, "failed") != 0;
}

/* Byte order, not the locale's: what a sender naming files by time expects. */
static int
by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/*
 * The first free name in folder for name: NAME, else NAME.1, NAME.2, ..., so a file dropped
 * twice under one name keeps both copies. Caller owns.
 */
static char *
free_name(const char *folder, const char *name)
{
    char *path = xasprintf("%s/%s", folder, name);

    for (unsigned i = 1; access(path, F_OK) == 0 && i < 100000; i++) {
        free(path);
        path = xasprintf("%s/%s.%u", folder, name, i);
    }
    return path;
}

static int
move_to(const char *from, const char *to)
{
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno == EINVAL || errno == ENOSYS) /* a file system without RENAME_NOREPLACE */
        return rename(from, to);
    return -1;
}

/*
 * A reason file as private as the spool: the mode of the spool folder without execute bits,
 * set explicitly so the umask does not widen (or narrow) it. NULL with errno on failure.
 */
static FILE *
open_reason(const spool_t *self, const char *tmp)
{
    struct stat dir;
    mode_t mode = 0600;
    FILE *f;
    int fd;

    if (stat(self->dir, &dir) == 0)
        mode = (dir.st_mode & 0666) | S_IRUSR | S_IWUSR;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return NULL;
    if (fchmod(fd, mode) != 0 || (f = fdopen(fd, "w")) == NULL) {
        int saved = errno;
        close(fd);
        errno = saved;
        return NULL;
    }
    return f;
}

/* Write the reason beside the file's place in failed/, then move the file there. */
static void
fail_file(spool_t *self, const char *path, const char *name, const char *reason)
{
    char *to = free_name(self->failed, name);
    char *rpath = xasprintf("%s.reason", to);
    char *tmp = xasprintf("%s.tmp", rpath);
    FILE *f = open_reason(self, tmp);

    if (f != NULL) {
        fprintf(f,
                _("%s\nNothing of %s was taken. Fix it and put it into the spool folder again "
                  "(write it as .NAME or NAME.tmp, then rename it).\n"),
                reason, name);
        if (fclose(f) != 0 || rename(tmp, rpath) != 0)
            log_warn(_("spool: cannot write %s"), rpath);
    } else {
        log_warn(_("spool: cannot write %s"), tmp);
    }
    if (move_to(path, to) != 0)
        log_warn(_("spool: cannot move %s to %s"), path, to);
    else
        log_warnx(_("spool: refused %s: %s; moved to %s"), name, reason, to);
    unlink(tmp);
    free(tmp);
    free(rpath);
    free(to);
}

static bool
same_file(const struct stat *a, const struct stat *b)
{
    return a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
           a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_ino == b->st_ino;
}

/* Handle one candidate: 1 handled, 0 left for later, -1 take failed. */
static int
scan_one(spool_t *self, const char *name, spool_take_fn *take, void *arg)
{
    char *path = xasprintf("%s/%s", self->dir, name);
    spool_file_t *file = NULL;
    struct stat before, after;
    char why[1024];
    int rc = 0;

    /* lstat: a link, a FIFO or a device is refused without being opened; folders are left. */
    if (lstat(path, &before) != 0 || S_ISDIR(before.st_mode))
        goto done;
    if (!S_ISREG(before.st_mode)) {
        fail_file(self, path, name,
                  S_ISLNK(before.st_mode)
                      ? _("a symbolic link; only regular files are taken")
                      : _("not a regular file (a FIFO, socket or device); only regular "
                          "files are taken"));
        rc = 1;
        goto done;
    }
    if (spool_parse(path, self->dept, &file, why, sizeof(why)) != 0) {
        /* A writer still at work would show a changed size or time: look again later. */
        if (lstat(path, &after) == 0 && same_file(&before, &after)) {
            fail_file(self, path, name, why);
            rc = 1;
        }
        goto done;
    }
    if (lstat(path, &after) != 0 || !same_file(&before, &after))
        goto done;
    rc = take(arg, file, why, sizeof(why));
    if (rc != 0) {
        if (rc != SPOOL_TAKE_LATER)
            log_warnx(_("spool: %s stays in the spool for now: %s"), name, why);
        rc = -1;
        goto done;
    }
    {
        char *to = free_name(self->done, name);
        /* Not fatal: taking the file again adds nothing, its ids are already there. */
        if (move_to(path, to) != 0)
            log_warn(_("spool: cannot move %s to %s"), path, to);
        free(to);
    }
    rc = 1;

done:
    spool_file_destroy(&file);
    free(path);
    return rc;
}

int
spool_scan(spool_t *self, size_t max, spool_take_fn *take, void *arg, bool *more)
{
    struct dirent **list = NULL;
    int n = scandir(self->dir, &list, candidate, by_name);
    int handled = 0, i;

    *more = false;
    if (n < 0) {
        log_warn(_("spool: cannot read %s"), self->dir);
        return 0;
    }
    for (i = 0; i < n; i++) {
        int rc;
        if ((size_t)handled >= max) {
            *more = true;
            break;
        }
        rc = scan_one(self, list[i]->d_name, take, arg);
        if (rc < 0) {
            handled = -1;
            break;
        }
        handled += rc;
    }
    for (int k = 0; k < n; k++)
        free(list[k]);
    free(list);
    return handled;
}
