/*
 * watch: see watch.h. A handful of departments per city: a small array is the right table.
 */
#include "watch.h"

#include <stdlib.h>
#include <string.h>

typedef struct agent {
    char *dept;
    int64_t last_ms;
    bool silent;
    bool logged_silent; /* silent as of the last commit: what the log says */
} agent_t;

struct watch {
    agent_t *v;
    size_t n;
};

watch_t *
watch_new(void)
{
    return xcalloc(1, sizeof(watch_t));
}

void
watch_destroy(watch_t **p)
{
    watch_t *w = p ? *p : NULL;

    if (w == NULL)
        return;
    for (size_t i = 0; i < w->n; i++)
        free(w->v[i].dept);
    free(w->v);
    free(w);
    *p = NULL;
}

int
watch_heard(watch_t *w, engine_t *en, const char *dept, bool ping, int64_t now_ms,
            entry_list_t *out)
{
    agent_t *a = NULL;

    if (util_empty(dept))
        return 0;
    for (size_t i = 0; i < w->n && a == NULL; i++)
        if (strcmp(w->v[i].dept, dept) == 0)
            a = &w->v[i];
    if (a == NULL && !ping)
        return 0; /* an event alone: perhaps a one-shot send, no agent to expect again */
    if (a == NULL) {
        w->v = xgrow(w->v, w->n, sizeof(agent_t));
        a = &w->v[w->n++];
        a->dept = xstrdup(dept);
        a->silent = a->logged_silent = false;
    } else if (a->silent) {
        a->silent = false;
        if (engine_agent(en, dept, PM_KIND_AGENT_BACK, now_ms, a->last_ms, out) < 0)
            return -1;
    }
    a->last_ms = now_ms;
    return 0;
}

int
watch_check(watch_t *w, engine_t *en, int64_t now_ms, int64_t silent_ms, entry_list_t *out)
{
    for (size_t i = 0; i < w->n; i++) {
        agent_t *a = &w->v[i];
        if (a->silent || now_ms - a->last_ms <= silent_ms)
            continue;
        a->silent = true;
        if (engine_agent(en, a->dept, PM_KIND_AGENT_SILENT, now_ms, a->last_ms, out) < 0)
            return -1;
    }
    return 0;
}

void
watch_commit(watch_t *w)
{
    for (size_t i = 0; i < w->n; i++)
        w->v[i].logged_silent = w->v[i].silent;
}

void
watch_rollback(watch_t *w)
{
    for (size_t i = 0; i < w->n; i++)
        w->v[i].silent = w->v[i].logged_silent;
}

int64_t
watch_next(const watch_t *w, int64_t silent_ms)
{
    int64_t next = 0;

    for (size_t i = 0; i < w->n; i++) {
        int64_t t = w->v[i].last_ms + silent_ms + 1;
        if (!w->v[i].silent && (next == 0 || t < next))
            next = t;
    }
    return next;
}
