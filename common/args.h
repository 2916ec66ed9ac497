/*
 * args: the one reader of a command line over a program's option table (conftab.h), used by
 * permitd, `permit-agent run`, `permit-notify run` and permitctl's global options. Every key
 * of the table is --key VALUE or --key=VALUE, '-' and '_' alike; the table stays the one list
 * of options, and what is truly the program's (flags without a value, positional words) is
 * declared beside it. Also: --config FILE and -n (check the configuration and exit) where the
 * program reads a file, --help, --version, the hidden --dump-options (cli.h), and `--` ending
 * the options.
 *
 * The values are not set here but kept in order, so the program applies them after its
 * config file (the command line wins) and again on every reload.
 */
#ifndef PERMIT_ARGS_H
#define PERMIT_ARGS_H

#include <stdbool.h>
#include <stdio.h>

#include "conftab.h"
#include "util.h"

#include "cli.h"

/* An option without a value. */
typedef struct args_flag {
    const char *name; /* "rebuild"; NULL ends a list */
    const char *help;
} args_flag_t;

typedef struct args_spec {
    const char *prog;         /* "permitd", "permit-notify run": starts every message */
    const conftab_t *tab;     /* the options that take a value; NULL: none */
    const args_flag_t *flags; /* options without a value, ended by a NULL name; or NULL */
    bool config;              /* --config FILE and -n */
    bool words;               /* positional words allowed (else one is a usage error) */
    bool stop_at_word;        /* stop at the first word: a command and its own options follow */
    void (*usage)(FILE *out); /* --help */
    /* --dump-options (cli.h): dump(), else the spec itself as a program's with no commands. */
    void (*dump)(FILE *out);
    const char *synopsis;    /* for the dump: the usage line after the name */
    const char *about;       /* for the dump: what the program is (cli_prog_t's about) */
    const cli_exit_t *exits; /* for the dump */
    size_t n_exits;
} args_spec_t;

typedef struct args {
    const char *config; /* --config FILE, or NULL */
    bool check;         /* -n */
    strv_t sets;        /* the table's options given: name, value, name, value... in order */
    strv_t flags;       /* the flags given, by their names in the spec */
    strv_t words;       /* the positional words (none after stop_at_word stopped) */
    int next;           /* the index in argv of the first argument not read */
} args_t;

/* args_read's "go on": anything else is the exit status to return at once. */
#define ARGS_GO (-1)

/*
 * Read argv[1..] into *a (zeroed here; args_clear frees it). ARGS_GO, or EX_OK after --help,
 * --version or --dump-options was printed, or EX_USAGE after one line on stderr naming the problem
 * and what to do ("PROG: unknown option '--x' (try PROG --help)").
 */
int args_read(const args_spec_t *s, int argc, char **argv, args_t *a);

/* Set the options given on cfg through the table: 0, or -1 with the reason in *err. */
int args_apply(const conftab_t *t, void *cfg, const args_t *a, char **err);

/* Whether the flag `name` was given. */
bool args_flag(const args_t *a, const char *name);

void args_clear(args_t *a);

#endif
