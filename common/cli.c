/*
 * cli: see cli.h.
 */
#include "cli.h"

#include <signal.h>
#include <stdarg.h>
#include <string.h>

#include "i18n.h"
#include "permit_version.h"
#include "textcol.h"
#include "util.h"

void
cli_catch_signals(void (*fn)(int), bool hup)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (hup)
        sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Closing marks, which never begin a line: kept with what comes before them. */
static bool
closing_mark(unsigned cp)
{
    static const unsigned marks[] = {0x3001, 0x3002, 0xff0c, 0xff1a, 0xff1b, 0xff09, 0xff01,
                                     0xff1f, 0x300d, 0x300f, 0x300b, 0x3011, 0x2026, 0x201d};

    for (size_t i = 0; i < ARRAY_LEN(marks); i++)
        if (cp == marks[i])
            return true;
    return false;
}

/* Opening marks, which never end a line: kept with what comes after them. */
static bool
opening_mark(unsigned cp)
{
    return cp == 0xff08 || cp == 0x300c || cp == 0x300e || cp == 0x300a || cp == 0x3010 ||
           cp == 0x201c;
}

/*
 * What cannot be broken at p (not a blank): a word of narrow characters, or one wide
 * (Chinese) character, which a line may end before or after without a blank, each with the
 * marks that stay with it. Whole UTF-8 sequences; its display width in *width.
 */
static size_t
unbreakable(const char *p, int *width)
{
    size_t n = 0;

    *width = 0;
    for (;;) {
        unsigned cp, next;
        int cw, nw;

        n += textcol_char(p + n, &cp, &cw);
        *width += cw;
        if (p[n] == '\0' || p[n] == ' ')
            return n;
        textcol_char(p + n, &next, &nw);
        if (nw == 0 || opening_mark(cp) || closing_mark(next))
            continue;
        if (cw == 2 || nw == 2)
            return n;
    }
}

void
cli_print_wrapped(FILE *f, const char *text, int col, int indent, int width)
{
    const char *p = text;
    bool first = true;

    while (*p != '\0') {
        bool blank = false;
        size_t n;
        int w;

        while (*p == ' ') {
            p++;
            blank = true;
        }
        if (*p == '\0')
            break;
        n = unbreakable(p, &w);
        if (!first && col + (blank ? 1 : 0) + w > width) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
        } else if (!first && blank) {
            fputc(' ', f);
            col++;
        }
        fwrite(p, 1, n, f);
        col += w;
        first = false;
        p += n;
    }
    fputc('\n', f);
}

const char *
cli_version_string(void)
{
    return PERMIT_VERSION;
}

void
cli_print_version(const char *prog)
{
    printf("%.*s %s\n", (int)strcspn(prog, " "), prog, PERMIT_VERSION);
}

void
cli_print_exits(FILE *out, const cli_exit_t *exits, size_t n)
{
    strv_t parts = {0};
    char *text;

    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++) {
        char *one = xasprintf("%d %s%s", exits[i].code, _(exits[i].meaning), i + 1 < n ? "," : "");
        strv_push(&parts, one);
        free(one);
    }
    text = strv_join(&parts, " ");
    cli_print_wrapped(out, text, fprintf(out, "%s", _("exit status: ")) - 1, 4, 96);
    free(text);
    strv_clear(&parts);
}

static void
dump_field(FILE *out, const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        if (*s == '\t')
            fputs("\\t", out);
        else if (*s == '\n')
            fputs("\\n", out);
        else if (*s == '\\')
            fputs("\\\\", out);
        else
            fputc(*s, out);
    }
}

void
cli_dump_record(FILE *out, const char *kind, ...)
{
    va_list ap;
    const char *field;

    fputs(kind, out);
    va_start(ap, kind);
    while ((field = va_arg(ap, const char *)) != NULL) {
        fputc('\t', out);
        dump_field(out, field);
    }
    va_end(ap);
    fputc('\n', out);
}

void
cli_dump_program(FILE *out, const char *name, const char *synopsis, const char *about)
{
    cli_dump_record(out, "program", name, PERMIT_VERSION, synopsis, about, (char *)NULL);
}

void
cli_dump_exits(FILE *out, const cli_exit_t *exits, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char code[16];
        snprintf(code, sizeof(code), "%d", exits[i].code);
        cli_dump_record(out, "exit", code, exits[i].meaning, (char *)NULL);
    }
}

void
cli_dump(const cli_prog_t *p, FILE *out)
{
    cli_dump_program(out, p->name, p->synopsis, p->about);
    for (size_t i = 0; i < p->n; i++)
        cli_dump_record(out, "command", p->cmds[i].name, p->cmds[i].args, p->cmds[i].summary,
                        (char *)NULL);
    if (p->globals != NULL)
        conftab_dump(p->globals, "", out);
    if (p->config_cmd != NULL) {
        cli_dump_record(out, "config", p->config_cmd, p->config_tab->section, (char *)NULL);
        conftab_dump(p->config_tab, p->config_cmd, out);
    }
    cli_dump_exits(out, p->exits, p->n_exits);
}

static void
command_usage(const cli_prog_t *p, const cli_cmd_t *c, FILE *f)
{
    /* The column the arguments start at, in display columns: "用法：" is narrower than its bytes.
     */
    char *head = xasprintf(_("usage: %s %s "), p->name, c->name);
    int col = textcol_width(head);

    fputs(head, f);
    free(head);
    cli_print_wrapped(f, c->args, col, 8, 96);
    fputs("\n  ", f);
    /* The tables hold English msgids; the words are translated as they are printed. */
    cli_print_wrapped(f, _(c->summary), 2, 2, 96);
    if (c->more != NULL) {
        fputc('\n', f);
        c->more(f);
    }
    cli_print_exits(f, p->exits, p->n_exits);
    fprintf(f, _("\n(%s --help lists every command)\n"), p->name);
}

void
cli_usage(const cli_prog_t *p, FILE *out)
{
    fprintf(out, _("usage: %s %s\n       %s COMMAND --help\n       %s --version\n\ncommands:\n"),
            p->name, p->synopsis, p->name, p->name);
    for (size_t i = 0; i < p->n; i++) {
        int col = fprintf(out, "  %s ", p->cmds[i].name);
        cli_print_wrapped(out, p->cmds[i].args, col, 8, 96);
        fputs("      ", out);
        cli_print_wrapped(out, _(p->cmds[i].summary), 6, 6, 96);
    }
    if (p->more != NULL) {
        fputc('\n', out);
        p->more(out);
    }
    cli_print_exits(out, p->exits, p->n_exits);
}

static bool
is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int
cli_dispatch(const cli_prog_t *p, void *ctx, int argc, char **argv)
{
    const cli_cmd_t *c = NULL;

    if (argc < 1) {
        fprintf(stderr, _("%s: no command (try %s --help)\n"), p->name, p->name);
        return EX_USAGE;
    }
    if (is_help(argv[0]) || strcmp(argv[0], "help") == 0) {
        cli_usage(p, stdout);
        return EX_OK;
    }
    if (strcmp(argv[0], "--version") == 0) {
        cli_print_version(p->name);
        return EX_OK;
    }
    if (strcmp(argv[0], CLI_DUMP_OPTION) == 0) {
        cli_dump(p, stdout);
        return EX_OK;
    }
    for (size_t i = 0; i < p->n && c == NULL; i++)
        if (strcmp(argv[0], p->cmds[i].name) == 0)
            c = &p->cmds[i];
    if (c == NULL) {
        fprintf(stderr,
                argv[0][0] == '-' ? _("%s: unknown option '%s' (try %s --help)\n")
                                  : _("%s: unknown command '%s' (try %s --help)\n"),
                p->name, argv[0], p->name);
        return EX_USAGE;
    }
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (is_help(argv[i])) {
            command_usage(p, c, stdout);
            return EX_OK;
        }
        if (strcmp(argv[i], "--version") == 0) {
            cli_print_version(p->name);
            return EX_OK;
        }
    }
    return c->fn(ctx, argc, argv);
}
