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
 *
 * Values come from departments and admins, not from the template's author, so each is escaped
 * for the channel it goes to (ntmpl_esc_t) and can add no markup, mention, link or line of
 * its own: control characters (CR, LF, tab, ...) become a space, "://" becomes "：//" and
 * "www." "www．" (nothing to auto-link), and per channel:
 *   NTMPL_ESC_MARKDOWN  the robots' and the webhook's markdown: * _ [ ] < > # ` ~ | & \ and
 *                       (for DingTalk, where "@mobile" pings) @ become their full-width forms
 *                       (＊ ＿ ［ ］ ＜ ＞ ＃ ｀ ～ ｜ ＆ ＼ ＠), which every markdown dialect
 *                       shows as text — the robots document no backslash escapes;
 *   NTMPL_ESC_HTML      & < > " ' as entities;
 *   NTMPL_ESC_TEXT      nothing more (plain text).
 * {items} (a digest's list of titles, already rendered for the channel) is inserted as is.
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

typedef enum ntmpl_esc {
    NTMPL_ESC_TEXT,
    NTMPL_ESC_MARKDOWN,
    NTMPL_ESC_MARKDOWN_AT, /* markdown, and @ too (DingTalk) */
    NTMPL_ESC_HTML,
} ntmpl_esc_t;

/* Expand the placeholders of text, each value escaped by esc. Caller owns. */
char *ntmpl_render(const char *text, ntmpl_lookup_fn *fn, void *arg, ntmpl_esc_t esc);

/* One value escaped by esc (what ntmpl_render inserts). Caller owns. */
char *ntmpl_escape(const char *value, ntmpl_esc_t esc);

#endif
