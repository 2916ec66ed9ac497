/*
 * mangen: the build's writer of the man pages and the bash completion, from what a program
 * prints for the hidden option --dump-options (common/cli.h describes the records). The
 * programs' tables stay the one definition: `--help`, the pages and the completion all read
 * them, so none can drift from the others.
 *
 *   mangen page SECTION DUMP OUT [SEE-ALSO...]   PROG(SECTION): synopsis, commands, options
 *   mangen conf FILE DUMP OUT [SEE-ALSO...]      PROG.conf(5): every key of the config FILE
 *   mangen bash DUMP OUT                         the completion of PROG's commands and options
 *
 * SEE-ALSO entries are "name(section)". Exit status 0, or 1 with one line on stderr.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MAX_FIELDS 12

typedef struct record {
    char *f[MAX_FIELDS]; /* f[0] is the kind */
    size_t n;
} record_t;

typedef struct dump {
    record_t *r;
    size_t n;
    const record_t *program;
    const char *config_scope; /* the scope whose options are the config file's keys, or NULL */
    const char *section;
} dump_t;

static void
die(const char *fmt, ...)
{
    va_list ap;

    fputs("mangen: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* Undo cli.h's escapes in place. */
static void
unescape(char *s)
{
    char *w = s;

    for (; *s != '\0'; s++) {
        if (*s == '\\' && s[1] != '\0') {
            s++;
            *w++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
        } else {
            *w++ = *s;
        }
    }
    *w = '\0';
}

static void
dump_read(dump_t *d, const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;

    if (f == NULL)
        die("%s: cannot open", path);
    memset(d, 0, sizeof(*d));
    while ((len = getline(&line, &cap, f)) > 0) {
        record_t r = {{0}, 0};
        char *p = line, *tab;
        if (line[len - 1] == '\n')
            line[len - 1] = '\0';
        do {
            if (r.n == MAX_FIELDS)
                die("%s: a record of more than %d fields", path, MAX_FIELDS);
            tab = strchr(p, '\t');
            if (tab != NULL)
                *tab = '\0';
            r.f[r.n] = xstrdup(p);
            unescape(r.f[r.n++]);
            p = tab + 1;
        } while (tab != NULL);
        d->r = xrealloc(d->r, (d->n + 1) * sizeof(*d->r));
        d->r[d->n++] = r;
    }
    free(line);
    fclose(f);
    for (size_t i = 0; i < d->n; i++) {
        const record_t *r = &d->r[i];
        if (strcmp(r->f[0], "program") == 0 && r->n == 5)
            d->program = r;
        else if (strcmp(r->f[0], "config") == 0 && r->n == 3) {
            d->config_scope = r->f[1];
            d->section = r->f[2];
        }
    }
    if (d->program == NULL)
        die("%s: no program record (is it the output of PROG --dump-options?)", path);
}

/* The records of one kind, with (for options) one scope, in order. */
static bool
is(const record_t *r, const char *kind, size_t n)
{
    return strcmp(r->f[0], kind) == 0 && r->n == n;
}

/* ---- roff ----------------------------------------------------------------------------- */

/*
 * Text as roff: a backslash, a hyphen-minus (options must stay typeable when copied) and
 * anything beyond ASCII escaped, a line that would start with a control character (. or ')
 * protected by \&.
 */
static void
roff(FILE *out, const char *s)
{
    bool start = true;

    while (*s != '\0') {
        unsigned char c = (unsigned char)*s;
        if (start && (c == '.' || c == '\''))
            fputs("\\&", out);
        start = false;
        if (c >= 0x80) {
            uint32_t cp;
            size_t n = util_utf8_decode(s, strlen(s), &cp);
            if (n == 0)
                die("text that is not UTF-8: %s", s);
            fprintf(out, "\\[u%04X]", (unsigned)cp);
            s += n;
            continue;
        }
        if (c == '\\')
            fputs("\\e", out);
        else if (c == '-')
            fputs("\\-", out);
        else if (c == '\n') {
            fputc('\n', out);
            start = true;
        } else
            fputc(c, out);
        s++;
    }
}

/* A sentence: the first letter capitalised, a full stop at the end. */
static void
roff_sentence(FILE *out, const char *s)
{
    size_t len = strlen(s);

    if (*s >= 'a' && *s <= 'z') {
        char first[2] = {(char)(*s - 'a' + 'A'), '\0'};
        fputs(first, out);
        s++;
        len--;
    }
    roff(out, s);
    fputs(len > 0 && s[len - 1] == '.' ? "\n" : ".\n", out);
}

static void
upper(char *dst, size_t cap, const char *s)
{
    size_t i = 0;

    for (; s[i] != '\0' && i + 1 < cap; i++)
        dst[i] = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 'a' + 'A') : s[i];
    dst[i] = '\0';
}

static void
roff_header(FILE *out, const dump_t *d, const char *title, const char *section)
{
    char t[128];

    upper(t, sizeof(t), title);
    fprintf(out, ".\\\" Made by man/mangen from `%s --dump-options`: edit the program's tables.\n",
            d->program->f[1]);
    fprintf(out, ".TH \"%s\" \"%s\" \"\" \"permit %s\" \"permit manual\"\n", t, section,
            d->program->f[2]);
}

static void
roff_see_also(FILE *out, int argc, char **argv)
{
    if (argc == 0)
        return;
    fputs(".SH SEE ALSO\n", out);
    for (int i = 0; i < argc; i++) {
        const char *paren = strchr(argv[i], '(');
        if (paren == NULL)
            die("see also: '%s' is not name(section)", argv[i]);
        fputs(".BR ", out);
        fwrite(argv[i], 1, (size_t)(paren - argv[i]), out);
        fprintf(out, " %s%s\n", paren, i + 1 < argc ? "," : "");
    }
}

/* The --name of a key: '_' as '-', as the command line spells it. */
static char *
flag_name(const char *key)
{
    char *f = xasprintf("--%s", key);

    for (char *p = f; *p; p++)
        if (*p == '_')
            *p = '-';
    return f;
}

static const char *
placeholder(const char *type)
{
    return strcmp(type, "integer") == 0 ? "N" : strcmp(type, "level") == 0 ? "LEVEL" : "VALUE";
}

/* After an option's help: its type and default, range, whether SIGHUP reloads it. */
static void
roff_option_facts(FILE *out, const record_t *o)
{
    const char *type = o->f[3], *def = o->f[4], *min = o->f[5], *max = o->f[6];

    if (strcmp(type, "integer") == 0)
        fprintf(out, "A whole number from %s to %s", min, max);
    else if (strcmp(type, "level") == 0)
        fputs("One of error, warn, info, debug", out);
    else if (strcmp(type, "text") == 0)
        fputs("Text", out);
    else
        fputs("A value", out);
    if (strcmp(o->f[8], "yes") == 0) {
        fputs("; required.", out);
    } else if (*def != '\0') {
        fputs("; default ", out);
        fputs("\\fB", out);
        roff(out, def);
        fputs("\\fR.", out);
    } else {
        fputs("; none by default.", out);
    }
    fputs(strcmp(o->f[7], "yes") == 0 ? " SIGHUP reloads it.\n" : "\n", out);
}

static void
roff_options(FILE *out, const dump_t *d, const char *scope, bool as_keys)
{
    for (size_t i = 0; i < d->n; i++) {
        const record_t *o = &d->r[i];
        if (!is(o, "option", 10) || strcmp(o->f[1], scope) != 0)
            continue;
        fputs(".TP\n", out);
        if (as_keys) {
            fputs("\\fB", out);
            roff(out, o->f[2]);
            fputs("\\fR = \\fI", out);
        } else {
            char *flag = flag_name(o->f[2]);
            fputs("\\fB", out);
            roff(out, flag);
            fputs("\\fR \\fI", out);
            free(flag);
        }
        fprintf(out, "%s\\fR\n", placeholder(o->f[3]));
        roff_sentence(out, o->f[9]);
        roff_option_facts(out, o);
    }
}

static void
roff_tag(FILE *out, const char *bold, const char *rest)
{
    fputs(".TP\n\\fB", out);
    roff(out, bold);
    fputs("\\fR", out);
    if (rest != NULL && *rest != '\0') {
        fputc(' ', out);
        roff(out, rest);
    }
    fputc('\n', out);
}

static void
write_page(FILE *out, const dump_t *d, const char *section, int argc, char **argv)
{
    const char *prog = d->program->f[1], *about = d->program->f[4];
    const char *colon = strchr(about, ':');
    bool commands = false;

    roff_header(out, d, prog, section);
    fputs(".SH NAME\n", out);
    roff(out, prog);
    fputs(" \\- ", out);
    if (colon != NULL) {
        char *head = xstrndup(about, (size_t)(colon - about));
        roff(out, head);
        free(head);
    } else {
        roff(out, about);
    }
    fputs("\n.SH SYNOPSIS\n.B ", out);
    roff(out, prog);
    fputc('\n', out);
    roff(out, d->program->f[3]);
    fputs("\n.br\n.B ", out);
    roff(out, prog);
    fputs("\n\\-\\-help | \\-\\-version\n.SH DESCRIPTION\n", out);
    roff_sentence(out, about);
    if (d->config_scope != NULL) {
        fputs(".PP\nThe options of \\fB", out);
        roff(out, prog);
        if (*d->config_scope != '\0') {
            fputc(' ', out);
            roff(out, d->config_scope);
        }
        fputs("\\fR are also the keys of the [", out);
        roff(out, d->section);
        fputs("] section of its configuration file, \\fB", out);
        roff(out, prog);
        fputs(".conf\\fR(5); one given on the command line wins over the file.\n", out);
    }
    for (size_t i = 0; i < d->n; i++) {
        const record_t *c = &d->r[i];
        if (!is(c, "command", 4))
            continue;
        if (!commands)
            fputs(".SH COMMANDS\n", out);
        commands = true;
        roff_tag(out, c->f[1], c->f[2]);
        roff_sentence(out, c->f[3]);
    }
    fputs(".SH OPTIONS\n", out);
    if (d->config_scope != NULL) {
        const char *scope = d->config_scope;
        fputs(".TP\n\\fB\\-\\-config\\fR \\fIFILE\\fR\n", out);
        fputs("Read the options from FILE", out);
        if (*scope != '\0') {
            fputs(", for \\fB", out);
            roff(out, scope);
            fputs("\\fR", out);
        }
        fputs(".\n.TP\n\\fB\\-n\\fR\nCheck the configuration, print \"configuration OK\" and exit "
              "(78 when it is not).\n",
              out);
    }
    for (size_t i = 0; i < d->n; i++)
        if (is(&d->r[i], "flag", 3)) {
            char *flag = flag_name(d->r[i].f[1]);
            roff_tag(out, flag, NULL);
            roff_sentence(out, d->r[i].f[2]);
            free(flag);
        }
    fputs(".TP\n\\fB\\-\\-help\\fR\nPrint the usage and exit.\n", out);
    fputs(".TP\n\\fB\\-\\-version\\fR\nPrint the version and exit.\n", out);
    if (commands) {
        bool any = false;
        for (size_t i = 0; i < d->n && !any; i++)
            any = is(&d->r[i], "option", 10) && *d->r[i].f[1] == '\0';
        if (any)
            fputs(".SS \"Global options (before the command)\"\n", out);
    }
    fputs(".PP\nEvery option below is \\fB\\-\\-name\\fR \\fIVALUE\\fR or "
          "\\fB\\-\\-name\\fR=\\fIVALUE\\fR, with \\- and _ alike.\n",
          out);
    roff_options(out, d, "", false);
    if (d->config_scope != NULL && *d->config_scope != '\0') {
        fputs(".SS \"Options of ", out);
        roff(out, d->config_scope);
        fputs("\"\n", out);
        roff_options(out, d, d->config_scope, false);
    }
    fputs(".SH EXIT STATUS\n", out);
    for (size_t i = 0; i < d->n; i++)
        if (is(&d->r[i], "exit", 3)) {
            roff_tag(out, d->r[i].f[1], NULL);
            roff_sentence(out, d->r[i].f[2]);
        }
    roff_see_also(out, argc, argv);
}

static void
write_conf(FILE *out, const dump_t *d, const char *file, int argc, char **argv)
{
    const char *prog = d->program->f[1], *scope = d->config_scope;
    char *name = xasprintf("%s.conf", prog);
    char *cmd = *scope != '\0' ? xasprintf("%s %s", prog, scope) : xstrdup(prog);

    roff_header(out, d, name, "5");
    fputs(".SH NAME\n", out);
    roff(out, name);
    fputs(" \\- the configuration file of ", out);
    roff(out, cmd);
    fputs("\n.SH SYNOPSIS\n", out);
    roff(out, file);
    fputs("\n.SH DESCRIPTION\nAn INI file read by \\fB", out);
    roff(out, cmd);
    fputs(" \\-\\-config\\fR \\fIFILE\\fR: lines \\fIkey\\fR = \\fIvalue\\fR in the [", out);
    roff(out, d->section);
    fputs("] section (keys before any section count too); lines starting with # or ; are "
          "comments. An unknown key, or a value out of its range, is an error naming the file "
          "and line.\n.PP\nEvery key is also an option of the command line, \\fB\\-\\-key\\fR "
          "\\fIVALUE\\fR (\\- and _ alike), which wins over the file. The keys that SIGHUP "
          "reloads take effect at once; the others at the next start. \\fB",
          out);
    roff(out, cmd);
    fputs(" \\-\\-config\\fR \\fIFILE\\fR \\fB\\-n\\fR checks a file and prints "
          "\"configuration OK\".\n.PP\nA text value holding ${CREDENTIALS_DIRECTORY} names a "
          "file of systemd's LoadCredential=; outside such a unit it is an error.\n",
          out);
    fputs(".SH KEYS\n", out);
    roff_options(out, d, scope, true);
    roff_see_also(out, argc, argv);
    free(cmd);
    free(name);
}

/* ---- bash ----------------------------------------------------------------------------- */

/* The options a usage text names: "--word" and "-x" after a blank, '[', '(' or '|'. */
static void
options_in(strv_t *out, const char *text)
{
    for (const char *p = text; *p != '\0'; p++) {
        size_t len;
        if (*p != '-' || (p > text && strchr(" [(|", p[-1]) == NULL))
            continue;
        len = strspn(p, "-abcdefghijklmnopqrstuvwxyz0123456789");
        /* "-x" alone, or "--word" */
        if ((len == 2 && p[1] != '-') || (len > 2 && p[1] == '-' && p[2] != '-')) {
            char *o = xstrndup(p, len);
            if (!strv_contains(out, o))
                strv_push(out, o);
            free(o);
        }
        p += len - 1;
    }
}

static void
push_unique(strv_t *v, const char *s)
{
    if (!strv_contains(v, s))
        strv_push(v, s);
}

/* The table's options of scope as --flags. */
static void
table_options(strv_t *out, const dump_t *d, const char *scope)
{
    for (size_t i = 0; i < d->n; i++)
        if (is(&d->r[i], "option", 10) && strcmp(d->r[i].f[1], scope) == 0) {
            char *flag = flag_name(d->r[i].f[2]);
            push_unique(out, flag);
            free(flag);
        }
}

static void
put_words(FILE *out, const strv_t *v)
{
    char *all = strv_join(v, " ");

    fputs(all != NULL ? all : "", out);
    free(all);
}

static void
write_bash(FILE *out, const dump_t *d)
{
    const char *prog = d->program->f[1];
    char *fn = xasprintf("_%s", prog);
    strv_t cmds = {0}, opts = {0};

    for (char *p = fn; *p; p++)
        if (*p == '-')
            *p = '_';
    fprintf(out, "# bash completion for %s: made by man/mangen from `%s --dump-options`.\n", prog,
            prog);
    fprintf(out, "%s()\n{\n    local cur=${COMP_WORDS[COMP_CWORD]} cmd= i words\n", fn);
    for (size_t i = 0; i < d->n; i++)
        if (is(&d->r[i], "command", 4)) {
            char *name = xstrndup(d->r[i].f[1], strcspn(d->r[i].f[1], " "));
            push_unique(&cmds, name);
            free(name);
        }
    table_options(&opts, d, "");
    for (size_t i = 0; i < d->n; i++)
        if (is(&d->r[i], "flag", 3)) {
            char *flag = flag_name(d->r[i].f[1]);
            push_unique(&opts, flag);
            free(flag);
        }
    if (d->config_scope != NULL && *d->config_scope == '\0') {
        push_unique(&opts, "--config");
        push_unique(&opts, "-n");
    }
    push_unique(&opts, "--help");
    push_unique(&opts, "--version");
    fputs("    local commands='", out);
    put_words(out, &cmds);
    fputs("'\n    local options='", out);
    put_words(out, &opts);
    fputs("'\n", out);
    /* The command is the first word that names one; a value of an option may come before. */
    fputs("    for ((i = 1; i < COMP_CWORD; i++)); do\n"
          "        case \" $commands \" in *\" ${COMP_WORDS[i]} \"*)\n"
          "            cmd=${COMP_WORDS[i]}\n"
          "            break ;;\n"
          "        esac\n"
          "    done\n"
          "    case $cmd in\n",
          out);
    for (size_t c = 0; c < cmds.n; c++) {
        strv_t copts = {0};
        for (size_t i = 0; i < d->n; i++) {
            const record_t *r = &d->r[i];
            size_t len = strlen(cmds.v[c]);
            if (!is(r, "command", 4) || strncmp(r->f[1], cmds.v[c], len) != 0 ||
                (r->f[1][len] != '\0' && r->f[1][len] != ' '))
                continue;
            options_in(&copts, r->f[1] + len); /* "send --queue" */
            options_in(&copts, r->f[2]);
        }
        if (d->config_scope != NULL && strcmp(d->config_scope, cmds.v[c]) == 0)
            table_options(&copts, d, cmds.v[c]);
        push_unique(&copts, "--help");
        fprintf(out, "    %s) words='", cmds.v[c]);
        put_words(out, &copts);
        fputs("' ;;\n", out);
        strv_clear(&copts);
    }
    fputs("    '') words=$options ;;\n    esac\n", out);
    /* Words that are not options: the commands, else file names (complete -o default). */
    fputs("    if [[ $cur == -* ]]; then\n"
          "        mapfile -t COMPREPLY < <(compgen -W \"$words\" -- \"$cur\")\n"
          "    elif [[ -z $cmd && -n $commands && ${COMP_WORDS[COMP_CWORD-1]} != -* ]]; then\n"
          "        mapfile -t COMPREPLY < <(compgen -W \"$commands\" -- \"$cur\")\n"
          "    else\n"
          "        COMPREPLY=()\n"
          "    fi\n"
          "}\n",
          out);
    fprintf(out, "complete -o default -F %s %s\n", fn, prog);
    strv_clear(&cmds);
    strv_clear(&opts);
    free(fn);
}

int
main(int argc, char **argv)
{
    dump_t d;
    FILE *out;
    const char *what = argc > 1 ? argv[1] : "";
    int fixed = strcmp(what, "bash") == 0 ? 4 : 5;

    if (argc < fixed ||
        (strcmp(what, "page") != 0 && strcmp(what, "conf") != 0 && strcmp(what, "bash") != 0))
        die("usage: mangen page SECTION DUMP OUT [SEE-ALSO...] | conf FILE DUMP OUT "
            "[SEE-ALSO...] | bash DUMP OUT");
    dump_read(&d, argv[fixed - 2]);
    if (strcmp(what, "conf") == 0 && d.config_scope == NULL)
        die("%s: %s reads no config file", argv[fixed - 2], d.program->f[1]);
    out = fopen(argv[fixed - 1], "w");
    if (out == NULL)
        die("%s: cannot write", argv[fixed - 1]);
    if (strcmp(what, "page") == 0)
        write_page(out, &d, argv[2], argc - fixed, argv + fixed);
    else if (strcmp(what, "conf") == 0)
        write_conf(out, &d, argv[2], argc - fixed, argv + fixed);
    else
        write_bash(out, &d);
    if (fclose(out) != 0)
        die("%s: write failed", argv[fixed - 1]);
    for (size_t i = 0; i < d.n; i++)
        for (size_t j = 0; j < d.r[i].n; j++)
            free(d.r[i].f[j]);
    free(d.r);
    return 0;
}
