/*
 * cli: what every program's main() shares: signal set-up that lets a signal cut a blocking
 * zmq_poll short, help text wrapped to the terminal's usual width, --version, and the one
 * command table and dispatcher of the programs with commands (permitctl, permit-agent,
 * permit-notify), which also makes their --help and every `PROG COMMAND --help`.
 *
 * Exit statuses are <sysexits.h>'s names everywhere (EX_USAGE 64, EX_DATAERR 65,
 * EX_UNAVAILABLE 69, EX_TEMPFAIL 75, EX_CONFIG 78...), EXIT_FAILURE (1) for any other
 * failure; the docs list which each program uses.
 */
#ifndef PERMIT_CLI_H
#define PERMIT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

#include "conftab.h"

/*
 * Route SIGINT and SIGTERM (and SIGHUP when `hup`) to fn, without SA_RESTART so blocking
 * calls return EINTR; ignore SIGPIPE (a reader that goes away is a write error we handle).
 */
void cli_catch_signals(void (*fn)(int), bool hup);

/*
 * Print text from column `col` on, in display columns (a Chinese character is two), breaking
 * before `width` at a blank or between two Chinese characters (never before a closing mark
 * such as "，" or after an opening one), continuing at indent. A word longer than the line
 * stays whole.
 */
void cli_print_wrapped(FILE *f, const char *text, int col, int indent, int width);

/* The build's version: `git describe --tags --always --dirty`, or the project's VERSION. */
const char *cli_version_string(void);

/* --version: "PROG VERSION" on stdout; of "permit-notify run" only the program's name. */
void cli_print_version(const char *prog);

/* One exit status of a program and what it means; --help and the man pages list them. */
typedef struct cli_exit {
    int code;
    const char *meaning;
} cli_exit_t;

/* "exit status: 0 ok, 64 usage, ..." wrapped, on one paragraph. */
void cli_print_exits(FILE *out, const cli_exit_t *exits, size_t n);

/*
 * The hidden option --dump-options: every program prints what --help says as records, one a
 * line, fields separated by a tab (a tab, newline or backslash in a field as \t, \n, \\), for
 * the build to make the man pages and the shell completion from (man/mangen.c):
 *   program NAME VERSION SYNOPSIS ABOUT
 *   command NAME ARGS SUMMARY
 *   flag NAME HELP                          an option without a value
 *   config SCOPE SECTION                    SCOPE's options are the keys of a config file
 *   option SCOPE NAME TYPE DEFAULT MIN MAX RELOADABLE REQUIRED HELP
 *                                           TYPE text, integer (MIN..MAX), level or value;
 *                                           RELOADABLE (by SIGHUP) and REQUIRED yes or no
 *   exit CODE MEANING
 * SCOPE is "" for the program's own options, else the command whose options they are.
 */
#define CLI_DUMP_OPTION "--dump-options"

/* One record: the fields, NULL-terminated, escaped and tab-separated, then a newline. */
void cli_dump_record(FILE *out, const char *kind, ...) __attribute__((sentinel));

/* The `program` record. */
void cli_dump_program(FILE *out, const char *name, const char *synopsis, const char *about);

/* The `exit` records. */
void cli_dump_exits(FILE *out, const cli_exit_t *exits, size_t n);

/* One command of a program. */
typedef struct cli_cmd {
    const char *name;
    /* argv[0] is the command's name; returns the exit status. ctx is the dispatcher's. */
    int (*fn)(void *ctx, int argc, char **argv);
    const char *args;        /* what follows the name in its usage line */
    const char *summary;     /* one paragraph */
    void (*more)(FILE *out); /* more of `COMMAND --help` (run: its option table), or NULL */
} cli_cmd_t;

/* A program with commands. */
typedef struct cli_prog {
    const char *name;     /* "permit-agent" */
    const char *synopsis; /* what follows the name in the usage line: "COMMAND [OPTIONS]" */
    const cli_cmd_t *cmds;
    size_t n;
    void (*more)(FILE *out); /* after the command list in --help (options, notes) */
    const char *about;       /* what the program is, one sentence: "the ...: ..." */
    const cli_exit_t *exits; /* its exit statuses, after p->more in --help */
    size_t n_exits;
    const conftab_t *globals;    /* the options before the command (permitctl's), or NULL */
    const char *config_cmd;      /* the command that reads a config file (run), or NULL */
    const conftab_t *config_tab; /* its options: the file's keys, also --key VALUE */
} cli_prog_t;

/* PROG --dump-options of a program with commands (CLI_DUMP_OPTION). */
void cli_dump(const cli_prog_t *p, FILE *out);

/* PROG --help: the usage line, the commands from the table, p->more, the exit statuses. */
void cli_usage(const cli_prog_t *p, FILE *out);

/*
 * Run the command argv[0] (argc 0: none given) with ctx. `--help`, `-h` or `help` instead of a
 * command prints cli_usage; `--version` the version; --dump-options cli_dump. `--help` (or `-h`) or
 * `--version` anywhere among a command's arguments, before a `--`, answers that instead of running
 * it. An unknown command or none: one line on stderr saying what to do, EX_USAGE.
 */
int cli_dispatch(const cli_prog_t *p, void *ctx, int argc, char **argv);

#endif
