/*
 * webuser: the accounts of the web console (permit-web) and what each may do.
 *
 * Owns the accounts file (/etc/permit/web-users by default, mode 0600, one account a line):
 *
 *   NAME:ROLE:HASH
 *
 * ROLE is viewer, department:CODE or operator; HASH is libcrypt's yescrypt ("$y$..."), made by
 * crypt_gensalt_rn + crypt_rn, never by a KDF of our own. Blank lines and lines starting with
 * '#' are comments. `permitctl web-user add|del|list` writes it (ctl/ctl_webuser.c); permit-web
 * reads it at start and on SIGHUP.
 *
 * What a role may do (webuser_may): everyone reads everything (the console is the task
 * force's shared picture); a viewer does nothing else; a department account acts (acks an
 * alert) only for its own department; an operator does everything.
 */
#ifndef PERMIT_WEBUSER_H
#define PERMIT_WEBUSER_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

#define WEBUSER_DEFAULT_FILE "/etc/permit/web-users"
/* The longest account name, in bytes. */
#define WEBUSER_NAME_MAX 64
/* The longest password accepted, in bytes (a cap on the work one login can ask for). */
#define WEBUSER_PASSWORD_MAX 1024
#define WEBUSER_PASSWORD_MIN 8

typedef enum webuser_kind {
    WEBUSER_VIEWER,     /* reads */
    WEBUSER_DEPARTMENT, /* reads; acts for its department */
    WEBUSER_OPERATOR,   /* reads; acts for everyone */
} webuser_kind_t;

typedef struct webuser_role {
    webuser_kind_t kind;
    char dept[PM_CODE_MAX + 1]; /* department: its code; otherwise "" */
} webuser_role_t;

/* What the console does on someone's behalf. */
typedef enum webuser_action {
    WEBUSER_READ,    /* see a page, the API, the live updates */
    WEBUSER_ACK,     /* acknowledge an alert about a department's procedure */
    WEBUSER_CORRECT, /* an operator's correction (reopen, extend, not required), silences */
} webuser_action_t;

/*
 * "viewer", "operator" or "department:CODE" (CODE per pm_code_valid). 0, or -1 with a reason
 * in *err (caller owns).
 */
int webuser_role_parse(const char *text, webuser_role_t *out, char **err);
/* The text of a role, as the file has it. Caller owns. */
char *webuser_role_format(const webuser_role_t *role);

/*
 * Whether role may do action about dept (the department the object belongs to: the alert's
 * or procedure's owner; NULL when it has none, which a department account may not act on).
 */
bool webuser_may(const webuser_role_t *role, webuser_action_t action, const char *dept);

/* Whether a name can be an account's: 1 to WEBUSER_NAME_MAX bytes of UTF-8, no ':', no blank
 * or control character. */
bool webuser_name_valid(const char *name);

/* A yescrypt hash of password (libcrypt). Caller owns; NULL with *err (caller owns). */
char *webuser_hash(const char *password, char **err);
/* Whether password matches hash; crypt's output is compared in constant time. */
bool webuser_verify(const char *hash, const char *password);

typedef struct webuser {
    char *name;
    webuser_role_t role;
    char *hash;
} webuser_t;

typedef struct webusers {
    webuser_t *v;
    size_t n;
} webusers_t;

/* An empty set. Caller owns. */
webusers_t *webusers_new(void);
void webusers_destroy(webusers_t **p);

/*
 * Read an accounts file. It must be private to its owner (common/curvecfg.h curvecfg_private:
 * strict refuses, otherwise a warning). A missing file is an empty set when missing_ok. NULL
 * with "PATH:LINE: reason" in *err (caller owns).
 */
webusers_t *webusers_load(const char *path, bool strict, bool missing_ok, char **err);
/* Write the set to path atomically (a new file of mode 0600, synced, renamed over it). 0, or
 * -1 with *err (caller owns). */
int webusers_save(const webusers_t *u, const char *path, char **err);

/* The account of name, or NULL. Borrowed. */
const webuser_t *webusers_find(const webusers_t *u, const char *name);
/* Add an account, or replace the role and password of an existing one. 0, or -1 with *err. */
int webusers_set(webusers_t *u, const char *name, const webuser_role_t *role, const char *password,
                 char **err);
/* Remove an account: 1 done, 0 no such account. */
int webusers_del(webusers_t *u, const char *name);

/*
 * A login: the account when name exists and password matches it, else NULL. An unknown name
 * costs the same hash as a known one, so the time taken does not tell which names exist.
 */
const webuser_t *webusers_login(const webusers_t *u, const char *name, const char *password);

#endif
