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
    void (*more)(FILE *out); /* after the command list in --help (options, exit statuses) */
} cli_prog_t;

/* PROG --help: the usage line, the commands from the table, then p->more. */
void cli_usage(const cli_prog_t *p, FILE *out);

/*
 * Run the command argv[0] (argc 0: none given) with ctx. `--help`, `-h` or `help` instead of a
 * command prints cli_usage; `--version` the version. `--help` (or `-h`) or `--version`
 * anywhere among a command's arguments, before a `--`, answers that instead of running it.
 * An unknown command or none: one line on stderr saying what to do, EX_USAGE.
 */
int cli_dispatch(const cli_prog_t *p, void *ctx, int argc, char **argv);

#endif
