/*
 * evspec: one department event as named text fields, the way a clerk types it
 * (`permit-agent send --project ...`) or a department's system writes it (the columns of a
 * spool CSV file, the keys of a spool JSON object), checked and turned into a pm_entry_t.
 *
 * One set of rules for every way in, so an event that `send` takes is taken from a file too,
 * and the other way round. The names are the same everywhere: the option is --NAME, the CSV
 * column and the JSON key are NAME.
 */
#ifndef PERMIT_EVSPEC_H
#define PERMIT_EVSPEC_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* The fields as given; NULL means absent. Every pointer is borrowed. */
typedef struct evspec {
    const char *dept;
    const char *project;
    const char *procedure;
    const char *event; /* a department event kind: accepted, approved, ... */
    const char *id;
    const char *cert;
    const char *note;
    const char *missing;
    const char *due;  /* a time (util_parse_time) */
    const char *time; /* a time: the department's own claimed time of the event */
} evspec_t;

/* The field names, NULL-terminated, in the order of the struct. */
extern const char *const evspec_names[];

/* How reasons name a field: "--due" for the command line, "'due'" for a file's column or key. */
typedef enum evspec_style {
    EVSPEC_OPTIONS,
    EVSPEC_FIELDS,
} evspec_style_t;

/* Point the field called name at value (borrowed). 0, or -1 when no field has that name. */
int evspec_set(evspec_t *s, const char *name, const char *value);

/*
 * Check the fields and build the event. project, procedure and event are required; event must
 * be a department event kind; due needs missing; an id, when given, must not be empty; times
 * must parse; every field must be valid UTF-8. The claimed time is `time` when given, else
 * default_ms. Which kinds need a missing item is the broker's rule, not checked here.
 *
 * Every text field must fit the wire's limit for it (codec_field_limit, the one the broker
 * decodes with): a longer one gives EVSPEC_TOO_LONG with "--note is 5000 bytes, longer than
 * the 4096 the broker takes" in why, since the broker would refuse the event whatever is done.
 *
 * On success *out is the event (caller owns; event_id is NULL when no id was given, dept NULL
 * when none was) and 0 is returned; on failure -1 (or EVSPEC_TOO_LONG) with a one-line reason
 * in why.
 */
#define EVSPEC_TOO_LONG (-2)
int evspec_build(const evspec_t *s, evspec_style_t style, int64_t default_ms, pm_entry_t **out,
                 char *why, size_t whylen);

/* The department event kinds, "accepted, accepted_deficient, ...", for messages. Caller owns. */
char *evspec_kinds(void);

#endif
