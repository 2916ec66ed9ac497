/*
 * conftab: a program's options declared once in a table (name, type, where it lives in the
 * program's config struct, default, bounds, whether SIGHUP reloads it, help) and read from one
 * section of an INI file (libinih) and from the command line under the same names, '-' and '_'
 * alike (--timeout-ms sets timeout_ms). The table and the struct are the program's; this
 * module sets, defaults, frees, reloads and prints them.
 *
 * Text options are malloc'ed strings owned by the struct; conftab_clear frees them. A text
 * value's ${CREDENTIALS_DIRECTORY} becomes that variable's value (systemd's LoadCredential=),
 * and is an error when it is not set.
 */
#ifndef PERMIT_CONFTAB_H
#define PERMIT_CONFTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum conftab_type {
    CONFTAB_TEXT,   /* char * */
    CONFTAB_INT,    /* int, within min..max */
    CONFTAB_LEVEL,  /* enum log_level, by name */
    CONFTAB_CUSTOM, /* `size` bytes, read by the option's own `parse` */
} conftab_type_t;

/* A custom option's reader: 0, or -1 with a reason in *err (caller owns). */
typedef int(conftab_parse_fn)(const char *value, void *field, char **err);

typedef struct conftab_opt {
    const char *name;
    conftab_type_t type;
    size_t offset;   /* offsetof(the program's struct, field) */
    const char *def; /* NULL: no default (the program checks it is set); "": may be empty */
    long min, max;
    bool reloadable;
    const char *help;
    conftab_parse_fn *parse; /* CONFTAB_CUSTOM only */
    size_t size;             /* CONFTAB_CUSTOM only: the field's size, for reloads */
} conftab_opt_t;

typedef struct conftab {
    const char *section; /* the INI section; keys before any section are accepted too */
    const conftab_opt_t *opts;
    size_t n;
} conftab_t;

/* Whether name ('-' or '_' alike) is an option of the table. */
bool conftab_known(const conftab_t *t, const char *name);

/* Set one option by name from text. 0, or -1 with a reason in *err (caller owns). */
int conftab_set(const conftab_t *t, void *cfg, const char *name, const char *value, char **err);

/* Every text option without a default must be set: 0, or -1 naming the first one missing. */
int conftab_check_required(const conftab_t *t, const void *cfg, char **err);

/* Set every option that has a default; text options without one become NULL. */
void conftab_defaults(const conftab_t *t, void *cfg);

/* One option's default from the environment: the table's key and the variable's name. */
typedef struct conftab_env {
    const char *name;
    const char *var;
} conftab_env_t;

/*
 * Set each option whose variable is set and not empty (after conftab_defaults: the file and
 * the command line come later and win). 0, or -1 with the reason in *err, naming the variable.
 */
int conftab_from_env(const conftab_t *t, void *cfg, const conftab_env_t *env, size_t n, char **err);

/* Free the text options and clear them. */
void conftab_clear(const conftab_t *t, void *cfg);

/* Read an INI file; errors come back as "FILE:LINE: reason" in *err (caller owns). */
int conftab_load_file(const conftab_t *t, void *cfg, const char *path, char **err);

/* Copy the reloadable options from `from` into `to`; warn about the others that changed. */
void conftab_reload(const conftab_t *t, void *to, const void *from);

/* Print the options as --flags with their help and defaults; '*' marks the reloadable ones. */
void conftab_usage(const conftab_t *t, FILE *out);

/* The `option` records of --dump-options (cli.h), under SCOPE ("" or a command's name). */
void conftab_dump(const conftab_t *t, const char *scope, FILE *out);

#endif
