/*
 * conftab: see conftab.h.
 */
#include "conftab.h"

#include "i18n.h"

#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"
#include "log.h"
#include "util.h"

static const conftab_opt_t *
lookup(const conftab_t *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++) {
        const char *a = t->opts[i].name, *b = name;
        while (*a != '\0' && (*a == *b || (*a == '_' && *b == '-'))) {
            a++;
            b++;
        }
        if (*a == '\0' && *b == '\0')
            return &t->opts[i];
    }
    return NULL;
}

bool
conftab_known(const conftab_t *t, const char *name)
{
    return lookup(t, name) != NULL;
}

/*
 * A text value with ${CREDENTIALS_DIRECTORY} in it names a file of systemd's LoadCredential=
 * (the units in deploy/systemd): the secret stays root's, and only this service reads its copy.
 * Expanded here, once for every program; outside such a service it is a configuration error.
 */
static int
set_text(const conftab_opt_t *o, char **field, const char *value, char **err)
{
    static const char var[] = "${CREDENTIALS_DIRECTORY}";
    const char *at = strstr(value, var), *dir;

    if (at == NULL) {
        xstrset(field, value);
        return 0;
    }
    dir = getenv("CREDENTIALS_DIRECTORY");
    if (util_empty(dir)) {
        *err = xasprintf(_("%s: '%s' names a systemd credential, but CREDENTIALS_DIRECTORY is not "
                           "set (start the service through its unit, with LoadCredential=)"),
                         o->name, value);
        return -1;
    }
    free(*field);
    *field = xasprintf("%.*s%s%s", (int)(at - value), value, dir, at + strlen(var));
    return 0;
}

int
conftab_set(const conftab_t *t, void *cfg, const char *name, const char *value, char **err)
{
    const conftab_opt_t *o = lookup(t, name);
    char *field, *end;
    long v;

    if (o == NULL) {
        *err = xasprintf(_("unknown option '%s'"), name);
        return -1;
    }
    field = (char *)cfg + o->offset;
    switch (o->type) {
    case CONFTAB_TEXT:
        if (util_empty(value) && (o->def == NULL || *o->def != '\0')) {
            *err = xasprintf(_("%s: empty value"), o->name);
            return -1;
        }
        if (!util_utf8_valid(value, strlen(value))) {
            *err = xasprintf(_("%s: not valid UTF-8"), o->name);
            return -1;
        }
        return set_text(o, (char **)field, value, err);
    case CONFTAB_INT:
        errno = 0;
        v = strtol(value, &end, 10);
        if (errno != 0 || end == value || *end != '\0' || v < o->min || v > o->max) {
            *err = xasprintf(_("%s: '%s' is not a whole number from %ld to %ld"), o->name, value,
                             o->min, o->max);
            return -1;
        }
        *(int *)field = (int)v;
        return 0;
    case CONFTAB_LEVEL:
        if (log_parse_level(value, (enum log_level *)field) < 0) {
            *err = xasprintf(_("%s: '%s' is not one of error, warn, info, debug"), o->name, value);
            return -1;
        }
        return 0;
    case CONFTAB_CUSTOM: {
        char *why = NULL;
        if (o->parse(value, field, &why) == 0)
            return 0;
        *err = xasprintf("%s: %s", o->name, why != NULL ? why : "bad value");
        free(why);
        return -1;
    }
    }
    return -1;
}

int
conftab_check_required(const conftab_t *t, const void *cfg, char **err)
{
    for (size_t i = 0; i < t->n; i++) {
        const conftab_opt_t *o = &t->opts[i];
        char *const *p = (char *const *)((const char *)cfg + o->offset);
        if (o->type == CONFTAB_TEXT && o->def == NULL && util_empty(*p)) {
            *err = xasprintf(_("%s is required (--%s, or %s = ... in the [%s] section)"), o->name,
                             o->name, o->name, t->section);
            return -1;
        }
    }
    return 0;
}

int
conftab_from_env(const conftab_t *t, void *cfg, const conftab_env_t *env, size_t n, char **err)
{
    for (size_t i = 0; i < n; i++) {
        const char *v = getenv(env[i].var);
        char *why = NULL;
        if (util_empty(v) || conftab_set(t, cfg, env[i].name, v, &why) == 0)
            continue;
        *err = xasprintf("$%s: %s", env[i].var, why);
        free(why);
        return -1;
    }
    return 0;
}

void
conftab_defaults(const conftab_t *t, void *cfg)
{
    for (size_t i = 0; i < t->n; i++) {
        const conftab_opt_t *o = &t->opts[i];
        char *err = NULL;
        if (o->type == CONFTAB_TEXT)
            *(char **)((char *)cfg + o->offset) = NULL;
        if (o->def != NULL && conftab_set(t, cfg, o->name, o->def, &err) < 0)
            fatalx(_("config: bad default: %s"), err); /* our bug */
    }
}

void
conftab_clear(const conftab_t *t, void *cfg)
{
    for (size_t i = 0; i < t->n; i++) {
        if (t->opts[i].type == CONFTAB_TEXT) {
            char **p = (char **)((char *)cfg + t->opts[i].offset);
            free(*p);
            *p = NULL;
        }
    }
}

typedef struct ini_ctx {
    const conftab_t *t;
    void *cfg;
    char *err;
} ini_ctx_t;

static int
on_ini_line(void *arg, const char *section, const char *name, const char *value)
{
    ini_ctx_t *ctx = arg;

    if (ctx->err != NULL)
        return 0;
    if (*section != '\0' && strcmp(section, ctx->t->section) != 0) {
        ctx->err = xasprintf(_("unknown section [%s] (expected [%s])"), section, ctx->t->section);
        return 0;
    }
    return conftab_set(ctx->t, ctx->cfg, name, value, &ctx->err) == 0;
}

int
conftab_load_file(const conftab_t *t, void *cfg, const char *path, char **err)
{
    ini_ctx_t ctx = {t, cfg, NULL};
    int line = ini_parse(path, on_ini_line, &ctx);

    if (line == 0)
        return 0;
    if (line == -1)
        *err = xasprintf("%s: %s", path, strerror(errno ? errno : ENOENT));
    else if (ctx.err != NULL)
        *err = xasprintf("%s:%d: %s", path, line, ctx.err);
    else
        *err = xasprintf(_("%s:%d: syntax error"), path, line);
    free(ctx.err);
    return -1;
}

void
conftab_reload(const conftab_t *t, void *to, const void *from)
{
    for (size_t i = 0; i < t->n; i++) {
        const conftab_opt_t *o = &t->opts[i];
        char *dst = (char *)to + o->offset;
        const char *src = (const char *)from + o->offset;
        if (o->type != CONFTAB_TEXT) {
            size_t size = o->type == CONFTAB_INT     ? sizeof(int)
                          : o->type == CONFTAB_LEVEL ? sizeof(enum log_level)
                                                     : o->size;
            if (o->reloadable)
                memcpy(dst, src, size);
            else if (memcmp(dst, src, size) != 0)
                log_warnx(_("config: %s changed; it takes effect at the next start"), o->name);
        } else if (util_strcmp0(*(char *const *)dst, *(char *const *)src) != 0) {
            if (o->reloadable)
                xstrset((char **)dst, *(char *const *)src);
            else
                log_warnx(_("config: %s changed; it takes effect at the next start"), o->name);
        }
    }
}

void
conftab_usage(const conftab_t *t, FILE *out)
{
    for (size_t i = 0; i < t->n; i++) {
        const conftab_opt_t *o = &t->opts[i];
        char flag[64], *text;
        int col;
        snprintf(flag, sizeof(flag), "--%s", o->name);
        for (char *p = flag + 2; *p; p++)
            if (*p == '_')
                *p = '-';
        col = fprintf(out, "  %-22s %c ", flag, o->reloadable ? '*' : ' ');
        /* The table holds English msgids; the help is translated as it is printed. */
        if (o->def != NULL && *o->def != '\0')
            text = xasprintf(_("%s (default %s)"), _(o->help), o->def);
        else
            text = xstrdup(_(o->help));
        cli_print_wrapped(out, text, col, col, 96);
        free(text);
    }
}

void
conftab_dump(const conftab_t *t, const char *scope, FILE *out)
{
    static const char *const types[] = {
        [CONFTAB_TEXT] = "text",
        [CONFTAB_INT] = "integer",
        [CONFTAB_LEVEL] = "level",
        [CONFTAB_CUSTOM] = "value",
    };

    for (size_t i = 0; i < t->n; i++) {
        const conftab_opt_t *o = &t->opts[i];
        char min[24] = "", max[24] = "";
        if (o->type == CONFTAB_INT) {
            snprintf(min, sizeof(min), "%ld", o->min);
            snprintf(max, sizeof(max), "%ld", o->max);
        }
        cli_dump_record(out, "option", scope, o->name, types[o->type], o->def != NULL ? o->def : "",
                        min, max, o->reloadable ? "yes" : "no",
                        o->type == CONFTAB_TEXT && o->def == NULL ? "yes" : "no", o->help,
                        (char *)NULL);
    }
}
