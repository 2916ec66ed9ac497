/*
 * ntmpl: message templates. A folder holds one file per route key, KEY.tmpl
 * ("unblocked.tmpl", "colour.red.tmpl"), plus "escalation.tmpl", "digest.tmpl" (the digest's
 * frame) and "digest_item.tmpl" (one line per item in it), and "default.tmpl" for any key
 * without its own. The first line of a file is the title (the e-mail subject, the robot's
 * title); the rest, after one optional blank line, the body (Markdown for the robots).
 *
 * Placeholders are {name}; a name the notifier does not know is refused at load time as
 * FILE:LINE, so a typo shows when the file is loaded, not when a steward reads "{projcet}".
 * "{{" and "}}" are a literal brace. A placeholder with no value in a notification renders
 * as "-".
 */
#ifndef PERMIT_NTMPL_H
#define PERMIT_NTMPL_H

#include <stddef.h>

typedef struct ntmpl ntmpl_t;

/* A placeholder's value, looked up by name; NULL when the notification has none. */
typedef const char *(ntmpl_lookup_fn)(void *arg, const char *name);

/* The placeholder names a template may use (NULL-terminated, static). */
extern const char *const ntmpl_names[];

/* Load every *.tmpl of a folder. NULL with "FILE:LINE: reason" in *err (caller owns). */
ntmpl_t *ntmpl_load(const char *dir, char **err);
void ntmpl_destroy(ntmpl_t **p);

/*
 * The title and body for a route key: KEY, else the key's kind ("colour" for "colour.red"),
 * else "default". Returns -1 when none of them exists. Borrowed.
 */
int ntmpl_get(const ntmpl_t *t, const char *key, const char **title, const char **body);

/* Check one template text; -1 with "line N: reason" in *err (caller owns). */
int ntmpl_check(const char *text, char **err);

/* Expand the placeholders of text. Caller owns. */
char *ntmpl_render(const char *text, ntmpl_lookup_fn *fn, void *arg);

#endif
