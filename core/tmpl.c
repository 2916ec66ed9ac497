/*
 * tmpl: see tmpl.h.
 */
#include "tmpl.h"

#include <stdlib.h>
#include <string.h>

#include "i18n.h"

static void
push_index(size_t **v, size_t *n, size_t x)
{
    *v = xgrow(*v, *n, sizeof(size_t));
    (*v)[(*n)++] = x;
}

static bool
has_index(const size_t *v, size_t n, size_t x)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

int
tmpl_index(const tmpl_t *t, const char *code)
{
    if (code == NULL)
        return -1;
    for (size_t i = 0; i < t->def->nprocs; i++)
        if (strcmp(t->def->procs[i].code, code) == 0)
            return (int)i;
    return -1;
}

void
tmpl_destroy(tmpl_t **p)
{
    tmpl_t *t = p ? *p : NULL;

    if (t == NULL)
        return;
    if (t->nodes != NULL) {
        for (size_t i = 0; i < t->def->nprocs; i++) {
            free(t->nodes[i].in);
            free(t->nodes[i].out);
            free(t->nodes[i].milestones);
        }
    }
    for (size_t g = 0; g < t->ngroups; g++) {
        free(t->groups[g].name);
        free(t->groups[g].members);
    }
    free(t->groups);
    free(t->nodes);
    free(t->edge_from);
    free(t->edge_to);
    pm_template_destroy(&t->def);
    free(t);
    *p = NULL;
}

/* A readable name for a node of the condensed graph: a procedure or a whole group. */
static void
describe_node(const tmpl_t *t, size_t node, strv_t *parts)
{
    size_t nprocs = t->def->nprocs;
    char *s;

    if (node < nprocs) {
        s = xasprintf("%s %s", t->def->procs[node].code, t->def->procs[node].name);
    } else {
        const tmpl_group_t *g = &t->groups[node - nprocs];
        strv_t members = {0};
        char *list;
        for (size_t k = 0; k < g->n; k++)
            strv_push(&members, t->def->procs[g->members[k]].code);
        list = strv_join(&members, ", ");
        s = xasprintf(_("joint-review group %s [%s]"), g->name, list);
        free(list);
        strv_clear(&members);
    }
    strv_push(parts, s);
    free(s);
}

/*
 * Find a cycle in the graph with groups condensed to one node. Iterative depth-first search so
 * a hostile template cannot exhaust the stack. Returns a description or NULL; with a cycle, its
 * edges in prerequisite order in *edges (caller frees).
 */
static char *
find_cycle(const tmpl_t *t, size_t **edges, size_t *nedges)
{
    size_t nprocs = t->def->nprocs, nn = nprocs + t->ngroups;
    size_t *node_of = xcalloc(nprocs, sizeof(size_t));
    size_t *adj_start = xcalloc(nn + 1, sizeof(size_t)), *adj = NULL, nadj = 0;
    size_t *adj_edge = NULL, nadj_edge = 0;
    size_t *stack = xcalloc(nn, sizeof(size_t)), *iter = xcalloc(nn, sizeof(size_t));
    size_t *parent = xcalloc(nn, sizeof(size_t)), *parent_edge = xcalloc(nn, sizeof(size_t));
    unsigned char *colour = xcalloc(nn, 1); /* 0 new, 1 on the path, 2 done */
    char *found = NULL;

    for (size_t i = 0; i < nprocs; i++)
        node_of[i] = t->nodes[i].group >= 0 ? nprocs + (size_t)t->nodes[i].group : i;
    /* Adjacency of the condensed graph, grouped by source node. */
    for (size_t u = 0; u < nn; u++) {
        adj_start[u] = nadj;
        for (size_t e = 0; e < t->def->nedges; e++) {
            size_t a = node_of[t->edge_from[e]], b = node_of[t->edge_to[e]];
            if (a == u && a != b) {
                push_index(&adj, &nadj, b);
                push_index(&adj_edge, &nadj_edge, e);
            }
        }
    }
    adj_start[nn] = nadj;

    for (size_t root = 0; root < nn && found == NULL; root++) {
        size_t depth = 0;
        if (colour[root] != 0)
            continue;
        stack[depth++] = root;
        colour[root] = 1;
        iter[root] = adj_start[root];
        while (depth > 0 && found == NULL) {
            size_t u = stack[depth - 1];
            if (iter[u] == adj_start[u + 1]) {
                colour[u] = 2;
                depth--;
                continue;
            }
            size_t e = adj_edge[iter[u]], v = adj[iter[u]++];
            if (colour[v] == 0) {
                parent[v] = u;
                parent_edge[v] = e;
                colour[v] = 1;
                iter[v] = adj_start[v];
                stack[depth++] = v;
            } else if (colour[v] == 1) {
                /* Back edge u -> v: the cycle is v -> ... -> u -> v. */
                strv_t parts = {0};
                size_t *path = NULL, npath = 0;
                for (size_t x = u;; x = parent[x]) {
                    push_index(&path, &npath, x);
                    if (x == v)
                        break;
                }
                for (size_t k = npath; k > 0; k--) {
                    describe_node(t, path[k - 1], &parts);
                    if (k > 1) /* the edge into path[k - 2] */
                        push_index(edges, nedges, parent_edge[path[k - 2]]);
                }
                push_index(edges, nedges, e);
                describe_node(t, v, &parts);
                found = strv_join(&parts, " → ");
                strv_clear(&parts);
                free(path);
            }
        }
    }
    free(node_of);
    free(adj_start);
    free(adj);
    free(adj_edge);
    free(stack);
    free(iter);
    free(parent);
    free(parent_edge);
    free(colour);
    return found;
}

static int
refuse(tmpl_fault_t *f, const char *code, tmpl_at_t at, size_t index, size_t first, char *why)
{
    f->code = code;
    f->reason = why;
    f->at = at;
    f->index = index;
    f->first = first;
    return -1;
}

/* Shape checks that need no graph: names present, codes unique, references known. */
static int
check_shape(const tmpl_t *t, tmpl_fault_t *f)
{
    const pm_template_t *d = t->def;

    if (util_empty(d->name))
        return refuse(f, PM_REFUSE_INVALID, TMPL_AT_TEMPLATE, 0, 0,
                      xstrdup(_("template has no name")));
    if (d->nprocs == 0)
        return refuse(f, PM_REFUSE_INVALID, TMPL_AT_TEMPLATE, 0, 0,
                      xstrdup(_("template lists no procedure")));
    for (size_t i = 0; i < d->nprocs; i++) {
        const pm_proctype_t *p = &d->procs[i];
        if (util_empty(p->code) || util_empty(p->name) || util_empty(p->dept))
            return refuse(
                f, PM_REFUSE_INVALID, TMPL_AT_PROC, i, i,
                xasprintf(_("procedure %zu needs a code, a name and a department"), i + 1));
        for (size_t k = 0; k < i; k++)
            if (strcmp(d->procs[k].code, p->code) == 0)
                return refuse(f, PM_REFUSE_INVALID, TMPL_AT_PROC, i, k,
                              xasprintf(_("procedure %s is listed twice"), p->code));
    }
    for (size_t e = 0; e < d->nedges; e++) {
        const pm_edge_t *ed = &d->edges[e];
        if (tmpl_index(t, ed->from) < 0 || tmpl_index(t, ed->to) < 0)
            return refuse(f, PM_REFUSE_UNKNOWN_PROCEDURE, TMPL_AT_EDGE, e, e,
                          xasprintf(_("prerequisite %s of %s: no such procedure in the template"),
                                    ed->from ? ed->from : "?", ed->to ? ed->to : "?"));
        if (strcmp(ed->from, ed->to) == 0)
            return refuse(f, PM_REFUSE_CYCLE, TMPL_AT_EDGE, e, e,
                          xasprintf(_("procedure %s is its own prerequisite"), ed->from));
        for (size_t k = 0; k < e; k++)
            if (strcmp(d->edges[k].from, ed->from) == 0 && strcmp(d->edges[k].to, ed->to) == 0)
                return refuse(
                    f, PM_REFUSE_INVALID, TMPL_AT_EDGE, e, k,
                    xasprintf(_("prerequisite %s of %s is listed twice"), ed->from, ed->to));
    }
    for (size_t m = 0; m < d->nmilestones; m++) {
        const pm_milestone_t *ms = &d->milestones[m];
        if (util_empty(ms->code) || util_empty(ms->name))
            return refuse(f, PM_REFUSE_INVALID, TMPL_AT_MILESTONE, m, m,
                          xasprintf(_("milestone %zu needs a code and a name"), m + 1));
        for (size_t k = 0; k < m; k++)
            if (strcmp(d->milestones[k].code, ms->code) == 0)
                return refuse(f, PM_REFUSE_INVALID, TMPL_AT_MILESTONE, m, k,
                              xasprintf(_("milestone %s is listed twice"), ms->code));
        for (size_t k = 0; k < ms->members.n; k++)
            if (tmpl_index(t, ms->members.v[k]) < 0)
                return refuse(f, PM_REFUSE_UNKNOWN_PROCEDURE, TMPL_AT_MILESTONE, m, m,
                              xasprintf(_("milestone %s: no procedure %s in the template"),
                                        ms->code, ms->members.v[k]));
    }
    return 0;
}

static int
group_index(tmpl_t *t, const char *name)
{
    for (size_t g = 0; g < t->ngroups; g++)
        if (strcmp(t->groups[g].name, name) == 0)
            return (int)g;
    t->groups = xrealloc(t->groups, (t->ngroups + 1) * sizeof(tmpl_group_t));
    memset(&t->groups[t->ngroups], 0, sizeof(tmpl_group_t));
    t->groups[t->ngroups].name = xstrdup(name);
    return (int)t->ngroups++;
}

int
tmpl_check(pm_template_t **defp, tmpl_t **out, tmpl_fault_t *f)
{
    tmpl_t *t = xcalloc(1, sizeof(*t));
    pm_template_t *d;
    char *cycle;

    memset(f, 0, sizeof(*f));
    t->def = d = *defp;
    *defp = NULL;
    if (check_shape(t, f) < 0)
        goto fail;
    t->nodes = xcalloc(d->nprocs, sizeof(tmpl_node_t));
    t->edge_from = xcalloc(d->nedges, sizeof(size_t));
    t->edge_to = xcalloc(d->nedges, sizeof(size_t));
    for (size_t i = 0; i < d->nprocs; i++) {
        t->nodes[i].group = -1;
        if (!util_empty(d->procs[i].group)) {
            int g = group_index(t, d->procs[i].group);
            t->nodes[i].group = g;
            push_index(&t->groups[g].members, &t->groups[g].n, i);
        }
    }
    for (size_t e = 0; e < d->nedges; e++) {
        size_t from = (size_t)tmpl_index(t, d->edges[e].from);
        size_t to = (size_t)tmpl_index(t, d->edges[e].to);
        t->edge_from[e] = from;
        t->edge_to[e] = to;
        push_index(&t->nodes[from].out, &t->nodes[from].nout, e);
        push_index(&t->nodes[to].in, &t->nodes[to].nin, e);
    }
    for (size_t m = 0; m < d->nmilestones; m++) {
        const pm_milestone_t *ms = &d->milestones[m];
        for (size_t i = 0; i < d->nprocs; i++)
            if (ms->members.n == 0 || strv_contains(&ms->members, d->procs[i].code))
                push_index(&t->nodes[i].milestones, &t->nodes[i].nmilestones, m);
    }
    cycle = find_cycle(t, &f->cycle, &f->ncycle);
    if (cycle != NULL) {
        refuse(
            f, PM_REFUSE_CYCLE, TMPL_AT_EDGE, f->cycle[0], f->cycle[0],
            xasprintf(_("mutual prerequisites (互为前置): %s; break the cycle: keep one direction "
                        "only (as a parallel prerequisite, CODE:parallel, where the later "
                        "procedure needs only the other's application accepted) or put the "
                        "procedures in one joint-review group (group column) so they are "
                        "reviewed together and become ready together"),
                      cycle));
        free(cycle);
        goto fail;
    }
    *out = t;
    return 0;
fail:
    tmpl_destroy(&t);
    return -1;
}

void
tmpl_fault_clear(tmpl_fault_t *f)
{
    free(f->reason);
    free(f->cycle);
    memset(f, 0, sizeof(*f));
}

int
tmpl_compile(pm_template_t **def, tmpl_t **out, const char **code, char **reason)
{
    tmpl_fault_t f;

    if (tmpl_check(def, out, &f) == 0)
        return 0;
    *code = f.code;
    *reason = f.reason;
    f.reason = NULL;
    tmpl_fault_clear(&f);
    return -1;
}

bool
tmpl_edge_satisfied(const pm_edge_t *e, pm_state_t from_state)
{
    return e->parallel ? pm_state_started(from_state) : pm_state_done(from_state);
}

/* Check procedure i's own in-edges, skipping those from members of group `skip_group`. */
static bool
node_satisfied(const tmpl_t *t, size_t i, int skip_group, const pm_state_t *states,
               size_t **blockers, size_t *nblockers)
{
    const tmpl_node_t *n = &t->nodes[i];
    bool ok = true;

    for (size_t k = 0; k < n->nin; k++) {
        size_t e = n->in[k], from = t->edge_from[e];
        if (skip_group >= 0 && t->nodes[from].group == skip_group)
            continue;
        if (!tmpl_edge_satisfied(&t->def->edges[e], states[from])) {
            ok = false;
            if (blockers == NULL)
                break;
            if (!has_index(*blockers, *nblockers, e))
                push_index(blockers, nblockers, e);
        }
    }
    return ok;
}

bool
tmpl_satisfied(const tmpl_t *t, size_t i, const pm_state_t *states, size_t **blockers,
               size_t *nblockers)
{
    int g = t->nodes[i].group;
    bool ok = true;

    if (g < 0)
        return node_satisfied(t, i, -1, states, blockers, nblockers);
    for (size_t k = 0; k < t->groups[g].n; k++) {
        if (!node_satisfied(t, t->groups[g].members[k], g, states, blockers, nblockers)) {
            ok = false;
            if (blockers == NULL)
                break;
        }
    }
    return ok;
}

void
tmpl_dependents(const tmpl_t *t, size_t i, size_t **out, size_t *n)
{
    const tmpl_node_t *node = &t->nodes[i];

    *out = NULL;
    *n = 0;
    for (size_t k = 0; k < node->nout; k++) {
        size_t to = t->edge_to[node->out[k]];
        int g = t->nodes[to].group;
        if (g >= 0 && g == node->group)
            continue; /* inside a joint-review group: not a prerequisite */
        if (g < 0) {
            if (!has_index(*out, *n, to))
                push_index(out, n, to);
            continue;
        }
        for (size_t m = 0; m < t->groups[g].n; m++)
            if (!has_index(*out, *n, t->groups[g].members[m]))
                push_index(out, n, t->groups[g].members[m]);
    }
}

bool
tmpl_milestone_reached(const tmpl_t *t, size_t m, const pm_state_t *states)
{
    for (size_t i = 0; i < t->def->nprocs; i++) {
        if (!has_index(t->nodes[i].milestones, t->nodes[i].nmilestones, m))
            continue;
        if (!pm_state_done(states[i]))
            return false;
    }
    return true;
}

bool
tmpl_same(const pm_template_t *a, const pm_template_t *b)
{
    if (a->nprocs != b->nprocs || a->nedges != b->nedges || a->nmilestones != b->nmilestones)
        return false;
    for (size_t i = 0; i < a->nprocs; i++) {
        const pm_proctype_t *p = &a->procs[i], *q = &b->procs[i];
        if (util_strcmp0(p->code, q->code) || util_strcmp0(p->name, q->name) ||
            util_strcmp0(p->dept, q->dept) || util_strcmp0(p->group, q->group) ||
            p->limit_days != q->limit_days)
            return false;
    }
    for (size_t e = 0; e < a->nedges; e++)
        if (util_strcmp0(a->edges[e].from, b->edges[e].from) ||
            util_strcmp0(a->edges[e].to, b->edges[e].to) ||
            a->edges[e].parallel != b->edges[e].parallel)
            return false;
    for (size_t m = 0; m < a->nmilestones; m++) {
        const pm_milestone_t *x = &a->milestones[m], *y = &b->milestones[m];
        if (util_strcmp0(x->code, y->code) || util_strcmp0(x->name, y->name) ||
            x->members.n != y->members.n)
            return false;
        for (size_t k = 0; k < x->members.n; k++)
            if (strcmp(x->members.v[k], y->members.v[k]) != 0)
                return false;
    }
    return true;
}
