/*
 * args: see args.h.
 */
#include "args.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"

static int
refuse(const args_spec_t *s, const char *what, const char *arg)
{
    fprintf(stderr, _("%s: %s '%s' (try %s --help)\n"), s->prog, what, arg, s->prog);
    return EX_USAGE;
}

/* name ('-' and '_' alike) among the spec's flags: its name there, else NULL. */
static const char *
find_flag(const args_spec_t *s, const char *name)
{
    for (const args_flag_t *f = s->flags; f != NULL && f->name != NULL; f++) {
        const char *a = f->name, *b = name;
        while (*a != '\0' && (*a == *b || (*a == '-' && *b == '_') || (*a == '_' && *b == '-'))) {
            a++;
            b++;
        }
        if (*a == '\0' && *b == '\0')
            return f->name;
    }
    return NULL;
}

static void
dump(const args_spec_t *s, FILE *out)
{
    if (s->dump != NULL) {
        s->dump(out);
        return;
    }
    cli_dump_program(out, s->prog, s->synopsis, s->about);
    for (const args_flag_t *f = s->flags; f != NULL && f->name != NULL; f++)
        cli_dump_record(out, "flag", f->name, f->help, (char *)NULL);
    if (s->tab != NULL) {
        if (s->config)
            cli_dump_record(out, "config", "", s->tab->section, (char *)NULL);
        conftab_dump(s->tab, "", out);
    }
    cli_dump_exits(out, s->exits, s->n_exits);
}

/* One --name[=value]; *i moves past a value taken from the next argument. */
static int
read_long(const args_spec_t *s, int argc, char **argv, int *i, args_t *a)
{
    const char *arg = argv[*i], *eq = strchr(arg, '='), *value, *flag;
    char *name = eq != NULL ? xstrndup(arg + 2, (size_t)(eq - arg - 2)) : xstrdup(arg + 2);
    int rc = ARGS_GO;

    for (char *p = name; *p; p++)
        if (*p == '-')
            *p = '_';
    if (strcmp(name, "help") == 0 && eq == NULL) {
        if (s->usage != NULL)
            s->usage(stdout);
        rc = EX_OK;
        goto done;
    }
    if (strcmp(name, "version") == 0 && eq == NULL) {
        cli_print_version(s->prog);
        rc = EX_OK;
        goto done;
    }
    if (strcmp(arg, CLI_DUMP_OPTION) == 0) {
        dump(s, stdout);
        rc = EX_OK;
        goto done;
    }
    if ((flag = find_flag(s, name)) != NULL) {
        if (eq != NULL)
            rc = refuse(s, _("this option takes no value:"), arg);
        else
            strv_push(&a->flags, flag);
        goto done;
    }
    if (!(s->config && strcmp(name, "config") == 0) &&
        (s->tab == NULL || !conftab_known(s->tab, name))) {
        rc = refuse(s, _("unknown option"), arg);
        goto done;
    }
    if (eq != NULL) {
        value = eq + 1;
    } else if (*i + 1 < argc) {
        value = argv[++*i];
    } else {
        rc = refuse(s, _("this option needs a value:"), arg);
        goto done;
    }
    if (strcmp(name, "config") == 0 && s->config) {
        a->config = value;
    } else {
        strv_push(&a->sets, name);
        strv_push(&a->sets, value);
    }
done:
    free(name);
    return rc;
}

int
args_read(const args_spec_t *s, int argc, char **argv, args_t *a)
{
    bool options = true;
    int i, rc;

    memset(a, 0, sizeof(*a));
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (options && strcmp(arg, "--") == 0) {
            options = false;
        } else if (options && strncmp(arg, "--", 2) == 0) {
            if ((rc = read_long(s, argc, argv, &i, a)) != ARGS_GO)
                return rc;
        } else if (options && strcmp(arg, "-h") == 0) {
            if (s->usage != NULL)
                s->usage(stdout);
            return EX_OK;
        } else if (options && strcmp(arg, "-n") == 0 && s->config) {
            a->check = true;
        } else if (options && arg[0] == '-' && arg[1] != '\0') {
            return refuse(s, _("unknown option"), arg);
        } else if (s->stop_at_word) {
            break;
        } else if (s->words) {
            strv_push(&a->words, arg);
        } else {
            return refuse(s, _("unexpected argument"), arg);
        }
    }
    a->next = i;
    return ARGS_GO;
}

int
args_apply(const conftab_t *t, void *cfg, const args_t *a, char **err)
{
    for (size_t i = 0; i + 1 < a->sets.n; i += 2)
        if (conftab_set(t, cfg, a->sets.v[i], a->sets.v[i + 1], err) < 0)
            return -1;
    return 0;
}

bool
args_flag(const args_t *a, const char *name)
{
    return strv_contains(&a->flags, name);
}

void
args_clear(args_t *a)
{
    strv_clear(&a->sets);
    strv_clear(&a->flags);
    strv_clear(&a->words);
}
