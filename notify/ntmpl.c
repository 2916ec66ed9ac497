/*
 * ntmpl: see ntmpl.h.
 */
#include "ntmpl.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "htmlesc.h"
#include "i18n.h"
#include "util.h"

/* The largest template file; a template is a few lines, anything bigger is a mistake. */
#define TMPL_MAX (64 * 1024)

const char *const ntmpl_names[] = {
    "seq",
    "kind",
    "time",
    "project",
    "project_name",
    "procedure",
    "procedure_name",
    "dept",
    "dept_name",
    "region",
    "steward",
    "leader",
    "limit",
    "days",
    "deadline",
    "colour",
    "milestone",
    "milestone_name",
    "cert",
    "note",
    "missing",
    "due",
    "recipient",
    "step",
    "count",
    "items",
    "period",
    "cause",
    NULL,
};

typedef struct tmpl {
    char *key;
    char *title;
    char *body;
} tmpl_t;

struct ntmpl {
    tmpl_t *v;
    size_t n;
};

static bool
known_name(const char *name, size_t len)
{
    for (size_t i = 0; ntmpl_names[i] != NULL; i++)
        if (strlen(ntmpl_names[i]) == len && strncmp(ntmpl_names[i], name, len) == 0)
            return true;
    return false;
}

int
ntmpl_check(const char *text, char **err)
{
    int line = 1;

    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '\n')
            line++;
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            p++;
            continue;
        }
        if (*p == '{') {
            const char *end = strchr(p, '}');
            if (end == NULL || memchr(p, '\n', (size_t)(end - p)) != NULL) {
                *err = xasprintf(_("line %d: '{' without '}' (write {{ for a brace)"), line);
                return -1;
            }
            if (!known_name(p + 1, (size_t)(end - p - 1))) {
                *err = xasprintf(_("line %d: unknown placeholder {%.*s}"), line, (int)(end - p - 1),
                                 p + 1);
                return -1;
            }
            p = end;
        }
    }
    return 0;
}

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf_t;

static void
sbuf_add(sbuf_t *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* The full-width form of an ASCII character markdown gives a meaning to, or NULL. */
static const char *
markdown_safe(char c, bool at)
{
    switch (c) {
    case '*':
        return "＊";
    case '_':
        return "＿";
    case '[':
        return "［";
    case ']':
        return "］";
    case '<':
        return "＜";
    case '>':
        return "＞";
    case '#':
        return "＃";
    case '`':
        return "｀";
    case '~':
        return "～";
    case '|':
        return "｜";
    case '&':
        return "＆";
    case '\\':
        return "＼";
    case '@':
        return at ? "＠" : NULL;
    default:
        return NULL;
    }
}

static void
escape_into(sbuf_t *b, const char *v, ntmpl_esc_t esc)
{
    for (const char *p = v; *p != '\0'; p++) {
        const char *rep = NULL;
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f)
            rep = " "; /* no line, tab or terminal control of a value's own */
        else if (strncmp(p, "://", 3) == 0)
            rep = "：";
        else if (strncasecmp(p, "www.", 4) == 0 && (p == v || p[-1] == ' ' || p[-1] == '/')) {
            sbuf_add(b, p, 3);
            p += 3;
            rep = "．";
        } else if (esc == NTMPL_ESC_MARKDOWN || esc == NTMPL_ESC_MARKDOWN_AT)
            rep = markdown_safe(*p, esc == NTMPL_ESC_MARKDOWN_AT);
        else if (esc == NTMPL_ESC_HTML)
            rep = htmlesc_char(*p);
        if (rep != NULL)
            sbuf_add(b, rep, strlen(rep));
        else
            sbuf_add(b, p, 1);
    }
}

char *
ntmpl_escape(const char *value, ntmpl_esc_t esc)
{
    sbuf_t b = {0};

    sbuf_add(&b, "", 0);
    escape_into(&b, value, esc);
    return b.p;
}

char *
ntmpl_render(const char *text, ntmpl_lookup_fn *fn, void *arg, ntmpl_esc_t esc)
{
    sbuf_t b = {0};

    sbuf_add(&b, "", 0);
    for (const char *p = text; *p != '\0'; p++) {
        const char *end;
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            sbuf_add(&b, p, 1);
            p++;
        } else if (*p == '{' && (end = strchr(p, '}')) != NULL) {
            char *name = xstrndup(p + 1, (size_t)(end - p - 1));
            const char *val = fn(arg, name);
            if (util_empty(val))
                sbuf_add(&b, "-", 1);
            else if (strcmp(name, "items") == 0)
                sbuf_add(&b, val, strlen(val)); /* titles already escaped for this channel */
            else
                escape_into(&b, val, esc);
            free(name);
            p = end;
        } else {
            sbuf_add(&b, p, 1);
        }
    }
    return b.p;
}

static char *
read_file(const char *path, char **err)
{
    FILE *f = fopen(path, "r");
    char *buf;
    size_t n;

    if (f == NULL) {
        *err = xasprintf("%s: %s", path, strerror(errno));
        return NULL;
    }
    buf = xmalloc(TMPL_MAX + 1);
    n = fread(buf, 1, TMPL_MAX + 1, f);
    fclose(f);
    if (n > TMPL_MAX || !util_utf8_valid(buf, n)) {
        *err = xasprintf("%s: %s", path, n > TMPL_MAX ? "too large" : "not valid UTF-8");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* Split a file into its title (first line) and body (the rest, one blank line skipped). */
static void
split(char *text, tmpl_t *t)
{
    char *nl = strchr(text, '\n'), *body = nl != NULL ? nl + 1 : text + strlen(text);
    size_t blen;

    t->title = xstrndup(text, (size_t)(nl != NULL ? nl - text : (long)strlen(text)));
    if (*body == '\n')
        body++;
    blen = strlen(body);
    while (blen > 0 && (body[blen - 1] == '\n' || body[blen - 1] == ' '))
        blen--;
    t->body = xstrndup(body, blen);
}

ntmpl_t *
ntmpl_load(const char *dir, char **err)
{
    ntmpl_t *t = xcalloc(1, sizeof(*t));
    DIR *d = opendir(dir);
    struct dirent *de;

    if (d == NULL) {
        *err = xasprintf("%s: %s", dir, strerror(errno));
        goto fail;
    }
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        char *path, *text, *why = NULL;
        tmpl_t tm = {0};
        if (len <= 5 || de->d_name[0] == '.' || strcmp(de->d_name + len - 5, ".tmpl") != 0)
            continue;
        path = xasprintf("%s/%s", dir, de->d_name);
        text = read_file(path, err);
        if (text == NULL) {
            free(path);
            goto fail;
        }
        if (ntmpl_check(text, &why) < 0) {
            *err = xasprintf("%s:%s", path, why + 5); /* "line N: ..." becomes "FILE:N: ..." */
            free(why);
            free(text);
            free(path);
            goto fail;
        }
        tm.key = xstrndup(de->d_name, len - 5);
        split(text, &tm);
        t->v = xgrow(t->v, t->n, sizeof(*t->v));
        t->v[t->n++] = tm;
        free(text);
        free(path);
    }
    closedir(d);
    return t;
fail:
    if (d != NULL)
        closedir(d);
    ntmpl_destroy(&t);
    return NULL;
}

void
ntmpl_destroy(ntmpl_t **p)
{
    ntmpl_t *t = p != NULL ? *p : NULL;

    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].key);
        free(t->v[i].title);
        free(t->v[i].body);
    }
    free(t->v);
    free(t);
    *p = NULL;
}

static const tmpl_t *
find(const ntmpl_t *t, const char *key, size_t len)
{
    for (size_t i = 0; i < t->n; i++)
        if (strlen(t->v[i].key) == len && strncmp(t->v[i].key, key, len) == 0)
            return &t->v[i];
    return NULL;
}

int
ntmpl_get(const ntmpl_t *t, const char *key, const char **title, const char **body)
{
    const char *dot = strchr(key, '.');
    const tmpl_t *tm = find(t, key, strlen(key));

    if (tm == NULL && dot != NULL)
        tm = find(t, key, (size_t)(dot - key));
    if (tm == NULL)
        tm = find(t, "default", 7);
    if (tm == NULL)
        return -1;
    *title = tm->title;
    *body = tm->body;
    return 0;
}
