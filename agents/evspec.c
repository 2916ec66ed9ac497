/*
 * evspec: see evspec.h.
 */
#include "evspec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "i18n.h"
#include "util.h"

const char *const evspec_names[] = {
    "dept", "project", "procedure", "event", "id", "cert", "note", "missing", "due", "time", NULL,
};

/* The struct's fields in the order of evspec_names. */
static const char **
field_at(evspec_t *s, size_t i)
{
    const char **fields[] = {&s->dept, &s->project, &s->procedure, &s->event, &s->id,
                             &s->cert, &s->note,    &s->missing,   &s->due,   &s->time};

    return i < ARRAY_LEN(fields) ? fields[i] : NULL;
}

int
evspec_set(evspec_t *s, const char *name, const char *value)
{
    for (size_t i = 0; evspec_names[i] != NULL; i++) {
        if (strcmp(evspec_names[i], name) == 0) {
            *field_at(s, i) = value;
            return 0;
        }
    }
    return -1;
}

char *
evspec_kinds(void)
{
    strv_t names = {0};
    char *s;

    for (int k = 0; k <= PM_KIND_LAST_EVENT; k++)
        strv_push(&names, pm_kind_name((pm_kind_t)k));
    s = strv_join(&names, ", ");
    strv_clear(&names);
    return s;
}

/*
 * The wire field each text field travels in, for its length limit: the codec's own table
 * (codec_field_limit), so an event taken here is never refused by the broker for its size.
 * due and time travel as numbers.
 */
static const char *
wire_name(const char *name)
{
    if (strcmp(name, "id") == 0)
        return "event_id";
    if (strcmp(name, "event") == 0)
        return "kind";
    if (strcmp(name, "due") == 0 || strcmp(name, "time") == 0)
        return NULL;
    return name;
}

/* A field's name as the reader of the reason knows it. */
static const char *
label(evspec_style_t style, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, style == EVSPEC_OPTIONS ? "--%s" : "'%s'", name);
    return buf;
}

int
evspec_build(const evspec_t *s, evspec_style_t style, int64_t default_ms, pm_entry_t **out,
             char *why, size_t whylen)
{
    const struct {
        const char *name, *value;
    } required[] = {{"project", s->project}, {"procedure", s->procedure}, {"event", s->event}};
    evspec_t copy = *s; /* field_at wants a writable struct */
    char a[32], b[32];
    pm_kind_t kind;
    int64_t event_ms = default_ms, due_ms = 0;
    pm_entry_t *e;

    for (size_t i = 0; evspec_names[i] != NULL; i++) {
        const char *v = *field_at(&copy, i);
        if (v != NULL && !util_utf8_valid(v, strlen(v))) {
            snprintf(why, whylen, _("%s is not valid UTF-8"), label(style, evspec_names[i], a, 32));
            return -1;
        }
    }
    for (size_t i = 0; evspec_names[i] != NULL; i++) {
        const char *v = *field_at(&copy, i), *wire = wire_name(evspec_names[i]);
        size_t max = wire != NULL ? codec_field_limit(wire) : 0;
        if (v != NULL && wire != NULL && strlen(v) > max) {
            snprintf(why, whylen, _("%s is %zu bytes, longer than the %zu the broker takes"),
                     label(style, evspec_names[i], a, 32), strlen(v), max);
            return EVSPEC_TOO_LONG;
        }
    }
    for (size_t i = 0; i < ARRAY_LEN(required); i++) {
        if (util_empty(required[i].value)) {
            snprintf(why, whylen, _("%s is required"), label(style, required[i].name, a, 32));
            return -1;
        }
    }
    if (pm_kind_parse(s->event, &kind) != 0 || !pm_kind_is_event(kind)) {
        char *kinds = evspec_kinds();
        snprintf(why, whylen, _("unknown event kind '%s' (one of: %s)"), s->event, kinds);
        free(kinds);
        return -1;
    }
    if (s->due != NULL && util_empty(s->missing)) {
        snprintf(why, whylen, _("%s is the due date of %s ITEM"), label(style, "due", a, 32),
                 label(style, "missing", b, 32));
        return -1;
    }
    if (s->id != NULL && util_empty(s->id)) {
        snprintf(why, whylen, _("%s must not be empty"), label(style, "id", a, 32));
        return -1;
    }
    if (s->time != NULL && util_parse_time(s->time, &event_ms) != 0) {
        snprintf(why, whylen, _("bad %s '%s' (a date, a local or ISO 8601 time, or milliseconds)"),
                 label(style, "time", a, 32), s->time);
        return -1;
    }
    if (s->due != NULL && util_parse_time(s->due, &due_ms) != 0) {
        snprintf(why, whylen, _("bad %s '%s' (a date, a local or ISO 8601 time, or milliseconds)"),
                 label(style, "due", a, 32), s->due);
        return -1;
    }

    /* The actor is left unset: the broker says who sent it. */
    e = pm_entry_new(kind);
    e->event_id = xstrdup(s->id);
    e->dept = xstrdup(s->dept);
    e->project = xstrdup(s->project);
    e->procedure = xstrdup(s->procedure);
    e->event_ms = event_ms;
    e->cert = xstrdup(s->cert);
    e->note = xstrdup(s->note);
    e->missing = xstrdup(s->missing);
    e->due_ms = due_ms;
    *out = e;
    return 0;
}
