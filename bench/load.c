/*
 * load: see load.h.
 *
 * The loop: fill every agent's window with the next valid events, poll the agent sockets and
 * the SUB socket, take every answer that is there (replies come in request order, so each
 * agent keeps a ring of what it has in flight), and repeat until the time is up.
 */
#include "load.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "client.h"
#include "codec.h"
#include "csvin.h"
#include "log.h"
#include "util.h"

#define MAX_PROCS 64        /* procedures of one template: a byte indexes them */
#define REGISTER_CHUNK 2000 /* projects per import before the run */
#define REPLACE_BATCH 16    /* completed projects replaced by one import during the run */
#define DRAIN_MS 30000      /* how long the answers still due may take after the end */
#define UNBLOCK_GRACE_MS 500

/* What an agent plans for one procedure, decided when the project is made. */
enum {
    PLAN_NOT_REQUIRED = 1, /* the department finds it is not needed */
    PLAN_DEFICIENT = 2,    /* accepted on a commitment (容缺受理), fulfilled later */
    PLAN_SUPPLEMENT = 4,   /* one request for more material (补正) and its resumption */
};

typedef struct proc {
    uint8_t state; /* pm_state_t as the broker will have it once what was sent is applied */
    uint8_t deficient;
    uint8_t plan;
    uint8_t rejects; /* rejections still to come, each followed by a new application */
} proc_t;

typedef struct edge {
    uint8_t from;
    bool parallel;
} edge_t;

/* The template as a graph: what each procedure needs and who needs it. */
typedef struct tproc {
    char *code;
    char *dept;
    edge_t *needs;
    size_t nneeds;
    uint8_t *dependents;
    size_t ndependents;
} tproc_t;

/* One request in flight: what the answer will be matched against. */
typedef struct flight {
    int64_t sent_us;
    uint32_t project;
    int kind;       /* pm_kind_t, or -1 for an import */
    uint32_t count; /* import: projects in it */
    char id[48];
} flight_t;

typedef struct agent {
    void *sock;
    flight_t *ring; /* window slots */
    size_t head, n;
    uint32_t *active; /* projects in progress owned by this agent */
    size_t nactive;
    size_t done; /* completed since the last replacement import */
} agent_t;

struct load {
    load_cfg_t cfg;
    void *zctx;
    void *sub;
    agent_t *agents;
    tproc_t procs[MAX_PROCS];
    size_t nprocs;
    proc_t *state;       /* nprocs per project */
    int64_t *unblock_us; /* nprocs per project: when the event that unblocks it was sent */
    uint8_t *owner;      /* agent of each project */
    size_t nprojects, cap;
    char tag[16]; /* makes project and event ids unique to the run */
    uint64_t next_event;
    uint64_t rng;
    bool measuring;
    load_result_t *res;
};

static int64_t
now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* xorshift64*: a reproducible mix for a given seed, and cheap enough for the hot loop. */
static uint32_t
rnd(load_t *self, uint32_t n)
{
    uint64_t x = self->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    self->rng = x;
    return (uint32_t)((x * 2685821657736338717ULL) >> 33) % n;
}

static int
proc_index(const load_t *self, const char *code)
{
    for (size_t i = 0; i < self->nprocs; i++)
        if (strcmp(self->procs[i].code, code) == 0)
            return (int)i;
    return -1;
}

/*
 * Read the template CSV the broker was given: the procedures and their prerequisite edges
 * (":parallel" needs the other accepted, ":hard" or nothing needs it done). Milestones are the
 * broker's business and skipped.
 */
static int
read_template(load_t *self, const char *path, char *why, size_t whylen)
{
    csvin_t *c = NULL;
    int ctype, ccode, cdept, cpre;

    if (csvin_read(path, &c, why, whylen) < 0)
        return -1;
    if (csvin_require(c, "type", &ctype, why, whylen) < 0 ||
        csvin_require(c, "code", &ccode, why, whylen) < 0 ||
        csvin_require(c, "dept", &cdept, why, whylen) < 0 ||
        csvin_require(c, "prerequisites", &cpre, why, whylen) < 0)
        goto fail;
    for (size_t r = 0; r < csvin_rows(c); r++) {
        if (strcmp(csvin_get(c, r, ctype), "procedure") != 0)
            continue;
        if (self->nprocs == MAX_PROCS) {
            csvin_error(c, r, why, whylen, "more than %d procedures", MAX_PROCS);
            goto fail;
        }
        self->procs[self->nprocs].code = xstrdup(csvin_get(c, r, ccode));
        self->procs[self->nprocs].dept = xstrdup(csvin_get(c, r, cdept));
        self->nprocs++;
    }
    for (size_t r = 0, to = 0; r < csvin_rows(c); r++) {
        strv_t pre = {0};
        if (strcmp(csvin_get(c, r, ctype), "procedure") != 0)
            continue;
        strv_split(&pre, csvin_get(c, r, cpre), ";");
        for (size_t k = 0; k < pre.n; k++) {
            char *colon = strchr(pre.v[k], ':');
            bool parallel = colon != NULL && strcmp(colon + 1, "parallel") == 0;
            int from;
            tproc_t *t = &self->procs[to], *f;
            if (colon != NULL)
                *colon = '\0';
            from = proc_index(self, pre.v[k]);
            if (from < 0) {
                strv_clear(&pre);
                csvin_error(c, r, why, whylen, "unknown prerequisite '%s'", pre.v[k]);
                goto fail;
            }
            t->needs = xgrow(t->needs, t->nneeds, sizeof(edge_t));
            t->needs[t->nneeds++] = (edge_t){(uint8_t)from, parallel};
            f = &self->procs[from];
            f->dependents = xgrow(f->dependents, f->ndependents, 1);
            f->dependents[f->ndependents++] = (uint8_t)to;
        }
        strv_clear(&pre);
        to++;
    }
    csvin_destroy(&c);
    if (self->nprocs == 0) {
        snprintf(why, whylen, "%s: no procedure", path);
        return -1;
    }
    return 0;
fail:
    csvin_destroy(&c);
    return -1;
}

/* The broker's tmpl_satisfied, on the model: hard edges need done, parallel ones started. */
static bool
satisfied(const load_t *self, const proc_t *ps, size_t i)
{
    const tproc_t *t = &self->procs[i];

    for (size_t k = 0; k < t->nneeds; k++) {
        pm_state_t s = ps[t->needs[k].from].state;
        if (t->needs[k].parallel ? !pm_state_started(s) : !pm_state_done(s))
            return false;
    }
    return true;
}

/*
 * Make project n (its plans and initial states, as registration sets them) and fill the
 * registration record. A tenth of the projects list one procedure as not required up front,
 * as TL-2026-003 does in the sample.
 */
static void
make_project(load_t *self, uint32_t n, uint8_t owner, pm_project_t *p)
{
    static const char *const regions[] = {"科尔沁区", "霍林郭勒市", "开鲁县",  "库伦旗",
                                          "奈曼旗",   "扎鲁特旗",   "科左中旗"};
    static const char *const industries[] = {"新能源", "制造业", "物流", "农牧业", "基础设施"};
    proc_t *ps;
    int nr = -1;

    if (self->nprojects == self->cap) {
        self->cap = self->cap == 0 ? 1024 : self->cap * 2;
        self->state = xrealloc(self->state, self->cap * self->nprocs * sizeof(proc_t));
        self->unblock_us = xrealloc(self->unblock_us, self->cap * self->nprocs * sizeof(int64_t));
        self->owner = xrealloc(self->owner, self->cap);
    }
    /* Projects are made in order: their number is their index in the arrays. */
    assert(n == self->nprojects);
    self->nprojects++;
    self->owner[n] = owner;
    ps = &self->state[(size_t)n * self->nprocs];
    memset(&self->unblock_us[(size_t)n * self->nprocs], 0, self->nprocs * sizeof(int64_t));
    if (rnd(self, 10) == 0)
        nr = (int)rnd(self, (uint32_t)self->nprocs);
    for (size_t i = 0; i < self->nprocs; i++) {
        proc_t *q = &ps[i];
        uint32_t r = rnd(self, 100);
        memset(q, 0, sizeof(*q));
        q->state = (int)i == nr ? PM_STATE_NOT_REQUIRED : PM_STATE_BLOCKED;
        q->plan = r < 5 ? PLAN_NOT_REQUIRED : r < 15 ? PLAN_DEFICIENT : 0;
        if (rnd(self, 100) < 20)
            q->plan |= PLAN_SUPPLEMENT;
        q->rejects = rnd(self, 100) < 10 ? 1 : 0;
    }
    for (size_t i = 0; i < self->nprocs; i++)
        if (ps[i].state == PM_STATE_BLOCKED && satisfied(self, ps, i))
            ps[i].state = PM_STATE_READY;

    p->id = xasprintf("BP%s-%u", self->tag, n);
    p->name = xasprintf("基准项目%u号", n);
    p->region = xstrdup(regions[n % ARRAY_LEN(regions)]);
    p->industry = xstrdup(industries[n % ARRAY_LEN(industries)]);
    p->company = xasprintf("通辽基准%u有限公司", n % 997);
    p->steward = xstrdup("张伟");
    p->leader = xstrdup("李建国");
    p->template_name = xstrdup(self->cfg.template_name);
    if (nr >= 0)
        strv_push(&p->not_required, self->procs[nr].code);
}

/* An import of `count` fresh projects owned by agent a, as an envelope. Caller owns. */
static pm_msg_t *
make_import(load_t *self, size_t count, uint8_t a)
{
    pm_msg_t *m = pm_msg_new(PM_MSG_IMPORT);

    m->import = xcalloc(1, sizeof(pm_import_t));
    m->import->id = xasprintf("%s-i%llu", self->tag, (unsigned long long)self->next_event++);
    m->import->actor = xstrdup("operator:permit-bench");
    for (size_t k = 0; k < count; k++) {
        uint32_t n = (uint32_t)self->nprojects;
        make_project(self, n, a, pm_import_add_project(m->import));
        self->agents[a].active =
            xgrow(self->agents[a].active, self->agents[a].nactive, sizeof(uint32_t));
        self->agents[a].active[self->agents[a].nactive++] = n;
    }
    return m;
}

static void
load_free(load_t *self)
{
    if (self->agents != NULL) {
        for (int a = 0; a < self->cfg.agents; a++) {
            if (self->agents[a].sock != NULL)
                zmq_close(self->agents[a].sock);
            free(self->agents[a].ring);
            free(self->agents[a].active);
        }
        free(self->agents);
    }
    if (self->sub != NULL)
        zmq_close(self->sub);
    for (size_t i = 0; i < self->nprocs; i++) {
        free(self->procs[i].code);
        free(self->procs[i].dept);
        free(self->procs[i].needs);
        free(self->procs[i].dependents);
    }
    free(self->state);
    free(self->unblock_us);
    free(self->owner);
    free(self);
}

load_t *
load_new(const load_cfg_t *cfg, void *zctx, char *why, size_t whylen)
{
    load_t *self = xcalloc(1, sizeof(*self));
    int linger = 0, hwm = 1000000;
    char *uuid;

    self->cfg = *cfg;
    self->zctx = zctx;
    self->rng = cfg->seed != 0 ? cfg->seed : 0x9e3779b97f4a7c15ULL;
    uuid = util_new_id();
    snprintf(self->tag, sizeof(self->tag), "%.8s", uuid);
    free(uuid);
    if (read_template(self, cfg->template_csv, why, whylen) < 0)
        goto fail;

    /* Unblocked entries only: the subscriber the latency is measured for. */
    self->sub = zmq_socket(zctx, ZMQ_SUB);
    if (self->sub == NULL || zmq_setsockopt(self->sub, ZMQ_LINGER, &linger, sizeof(linger)) ||
        zmq_setsockopt(self->sub, ZMQ_RCVHWM, &hwm, sizeof(hwm)) ||
        zmq_setsockopt(self->sub, ZMQ_SUBSCRIBE, "unblocked/", 10) ||
        zmq_connect(self->sub, cfg->publish) != 0) {
        snprintf(why, whylen, "SUB %s: %s", cfg->publish, zmq_strerror(zmq_errno()));
        goto fail;
    }
    self->agents = xcalloc((size_t)cfg->agents, sizeof(agent_t));
    for (int a = 0; a < cfg->agents; a++) {
        agent_t *ag = &self->agents[a];
        ag->ring = xcalloc((size_t)cfg->window, sizeof(flight_t));
        ag->sock = zmq_socket(zctx, ZMQ_DEALER);
        if (ag->sock == NULL || zmq_setsockopt(ag->sock, ZMQ_LINGER, &linger, sizeof(linger)) ||
            zmq_connect(ag->sock, cfg->ingest) != 0) {
            snprintf(why, whylen, "DEALER %s: %s", cfg->ingest, zmq_strerror(zmq_errno()));
            goto fail;
        }
    }
    return self;
fail:
    load_free(self);
    return NULL;
}

void
load_destroy(load_t **p)
{
    if (p == NULL || *p == NULL)
        return;
    load_free(*p);
    *p = NULL;
}

int
load_register(load_t *self, char *why, size_t whylen)
{
    client_t *c = client_new(self->zctx, self->cfg.ingest, why, whylen);
    size_t left = self->cfg.projects;
    int rc = -1;

    if (c == NULL)
        return -1;
    while (left > 0) {
        /* Projects go to the agents in turn, so each owns an equal share. */
        size_t chunk = left < REGISTER_CHUNK ? left : REGISTER_CHUNK;
        pm_msg_t *m = pm_msg_new(PM_MSG_IMPORT), *reply = NULL;
        client_status_t st;
        m->import = xcalloc(1, sizeof(pm_import_t));
        m->import->id = xasprintf("%s-r%zu", self->tag, left);
        m->import->actor = xstrdup("operator:permit-bench");
        for (size_t k = 0; k < chunk; k++) {
            uint32_t n = (uint32_t)self->nprojects;
            agent_t *ag = &self->agents[n % (uint32_t)self->cfg.agents];
            make_project(self, n, (uint8_t)(n % (uint32_t)self->cfg.agents),
                         pm_import_add_project(m->import));
            ag->active = xgrow(ag->active, ag->nactive, sizeof(uint32_t));
            ag->active[ag->nactive++] = n;
        }
        st = client_request(c, m, 300000, 1, &reply, why, whylen);
        pm_msg_destroy(&m);
        if (st != CLIENT_OK)
            goto done;
        if (reply->type != PM_MSG_REPLY || !reply->reply->ok) {
            snprintf(why, whylen, "project import refused: %s: %s",
                     reply->type == PM_MSG_REPLY ? reply->reply->code : "?",
                     reply->type == PM_MSG_REPLY ? reply->reply->reason : "not a reply");
            pm_msg_destroy(&reply);
            goto done;
        }
        pm_msg_destroy(&reply);
        left -= chunk;
    }
    rc = 0;
done:
    client_destroy(&c);
    return rc;
}

/* The next event for procedure i of a project, or -1 when it has to wait or is done. */
static int
next_kind(const load_t *self, const proc_t *ps, size_t i)
{
    const proc_t *q = &ps[i];

    switch ((pm_state_t)q->state) {
    case PM_STATE_READY:
        if (q->plan & PLAN_NOT_REQUIRED)
            return PM_KIND_NOT_REQUIRED;
        return (q->plan & PLAN_DEFICIENT) ? PM_KIND_ACCEPTED_DEFICIENT : PM_KIND_ACCEPTED;
    case PM_STATE_ACCEPTED:
        if (q->plan & PLAN_SUPPLEMENT)
            return PM_KIND_SUPPLEMENT_REQUESTED;
        return q->rejects > 0 ? PM_KIND_REJECTED : PM_KIND_APPROVED;
    case PM_STATE_DEFICIENT:
        if (q->plan & PLAN_SUPPLEMENT)
            return PM_KIND_SUPPLEMENT_REQUESTED;
        return PM_KIND_COMMITMENT_FULFILLED;
    case PM_STATE_SUPPLEMENT:
        return PM_KIND_SUPPLEMENT_RECEIVED;
    case PM_STATE_REJECTED:
        /* Applying again is checked against the prerequisites like the first time. */
        return satisfied(self, ps, i) ? PM_KIND_ACCEPTED : -1;
    default:
        return -1;
    }
}

/*
 * Advance the model by one event, as the broker's fsm and derive() will: the procedure moves,
 * then each blocked or ready dependent is checked again. A dependent that becomes ready is
 * the unblocked entry we wait for on the SUB socket, timed from this send.
 */
static void
apply(load_t *self, uint32_t n, size_t i, pm_kind_t kind, int64_t sent_us)
{
    proc_t *ps = &self->state[(size_t)n * self->nprocs], *q = &ps[i];
    int64_t *ub = &self->unblock_us[(size_t)n * self->nprocs];

    switch (kind) {
    case PM_KIND_NOT_REQUIRED:
        q->state = PM_STATE_NOT_REQUIRED;
        q->deficient = 0;
        break;
    case PM_KIND_ACCEPTED:
        q->state = PM_STATE_ACCEPTED;
        break;
    case PM_KIND_ACCEPTED_DEFICIENT:
        q->state = PM_STATE_DEFICIENT;
        q->deficient = 1;
        q->plan &= (uint8_t)~PLAN_DEFICIENT;
        break;
    case PM_KIND_SUPPLEMENT_REQUESTED:
        q->state = PM_STATE_SUPPLEMENT;
        q->plan &= (uint8_t)~PLAN_SUPPLEMENT;
        break;
    case PM_KIND_SUPPLEMENT_RECEIVED:
        q->state = q->deficient ? PM_STATE_DEFICIENT : PM_STATE_ACCEPTED;
        break;
    case PM_KIND_COMMITMENT_FULFILLED:
        q->state = PM_STATE_ACCEPTED;
        q->deficient = 0;
        break;
    case PM_KIND_REJECTED:
        q->state = PM_STATE_REJECTED;
        q->deficient = 0;
        q->rejects--;
        break;
    case PM_KIND_APPROVED:
        q->state = PM_STATE_APPROVED;
        break;
    default:
        abort(); /* next_kind never yields another kind */
    }
    for (size_t k = 0; k < self->procs[i].ndependents; k++) {
        size_t d = self->procs[i].dependents[k];
        bool sat;
        if (ps[d].state != PM_STATE_BLOCKED && ps[d].state != PM_STATE_READY)
            continue;
        sat = satisfied(self, ps, d);
        if (sat && ps[d].state == PM_STATE_BLOCKED) {
            ps[d].state = PM_STATE_READY;
            ub[d] = sent_us;
            if (self->measuring)
                self->res->unblocks_expected++;
        } else if (!sat && ps[d].state == PM_STATE_READY) {
            ps[d].state = PM_STATE_BLOCKED;
            ub[d] = 0;
        }
    }
}

static bool
project_done(const load_t *self, uint32_t n)
{
    const proc_t *ps = &self->state[(size_t)n * self->nprocs];

    for (size_t i = 0; i < self->nprocs; i++)
        if (!pm_state_done((pm_state_t)ps[i].state))
            return false;
    return true;
}

/* Take project slot k out of the agent's set (order does not matter: it is picked at random). */
static void
retire(agent_t *ag, size_t k)
{
    ag->active[k] = ag->active[--ag->nactive];
}

static int
send_frame(agent_t *ag, const pm_msg_t *m, char *why, size_t whylen)
{
    uint8_t *buf;
    size_t len;
    int rc;

    if (codec_encode(m, &buf, &len) < 0) {
        snprintf(why, whylen, "cannot encode a request");
        return -1;
    }
    rc = zmq_send(ag->sock, buf, len, 0);
    free(buf);
    if (rc < 0) {
        snprintf(why, whylen, "send: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

/*
 * Send agent a's next request: a replacement import once enough of its projects are done,
 * otherwise one event of a random project in progress. 0 sent, 1 nothing to send, -1 failed.
 */
static int
send_next(load_t *self, int a, char *why, size_t whylen)
{
    agent_t *ag = &self->agents[a];
    flight_t *f = &ag->ring[(ag->head + ag->n) % (size_t)self->cfg.window];
    pm_msg_t m = {0};
    pm_entry_t e = {0};
    char project[48];
    uint32_t n = 0;
    size_t k, cand[MAX_PROCS], ncand = 0, i;
    int kind;

    f->sent_us = now_us();
    if (ag->done >= REPLACE_BATCH || (ag->nactive == 0 && ag->done > 0)) {
        pm_msg_t *im = make_import(self, ag->done, (uint8_t)a);
        f->kind = -1;
        f->count = (uint32_t)ag->done;
        snprintf(f->id, sizeof(f->id), "%s", im->import->id);
        ag->done = 0;
        if (send_frame(ag, im, why, whylen) < 0) {
            pm_msg_destroy(&im);
            return -1;
        }
        pm_msg_destroy(&im);
        ag->n++;
        return 0;
    }
    while (ag->nactive > 0) {
        k = rnd(self, (uint32_t)ag->nactive);
        n = ag->active[k];
        if (project_done(self, n)) {
            retire(ag, k);
            ag->done++;
            continue;
        }
        break;
    }
    if (ag->nactive == 0)
        return 1;
    {
        const proc_t *ps = &self->state[(size_t)n * self->nprocs];
        for (i = 0; i < self->nprocs; i++)
            if (next_kind(self, ps, i) >= 0)
                cand[ncand++] = i;
    }
    if (ncand == 0) {
        /* Cannot happen on a valid template: something is always under way. */
        snprintf(why, whylen, "project %u has nothing to do but is not done", n);
        return -1;
    }
    i = cand[rnd(self, (uint32_t)ncand)];
    kind = next_kind(self, &self->state[(size_t)n * self->nprocs], i);
    snprintf(project, sizeof(project), "BP%s-%u", self->tag, n);
    snprintf(f->id, sizeof(f->id), "%s-e%llu", self->tag, (unsigned long long)self->next_event++);
    f->kind = kind;
    f->project = n;
    e.kind = (pm_kind_t)kind;
    e.event_id = f->id;
    e.dept = self->procs[i].dept;
    e.project = project;
    e.procedure = self->procs[i].code;
    if (kind == PM_KIND_ACCEPTED_DEFICIENT)
        e.missing = (char *)"土地权属证明";
    if (kind == PM_KIND_APPROVED)
        e.cert = (char *)"通审批〔2026〕001号";
    if (kind == PM_KIND_REJECTED)
        e.note = (char *)"材料不符合要求，退回重新申报";
    m.version = PM_PROTOCOL_VERSION;
    m.type = PM_MSG_EVENT;
    m.entry = &e;
    if (send_frame(ag, &m, why, whylen) < 0)
        return -1;
    apply(self, n, i, (pm_kind_t)kind, f->sent_us);
    if (self->measuring)
        self->res->by_kind[kind]++;
    ag->n++;
    return 0;
}

/* One answer for agent a: it belongs to the oldest request in flight. */
static void
take_reply(load_t *self, int a, const void *buf, size_t len, int64_t t_us, int64_t end_us)
{
    agent_t *ag = &self->agents[a];
    load_result_t *res = self->res;
    flight_t *f;
    pm_msg_t *m = NULL;
    char why[256];

    if (ag->n == 0) {
        res->errors++;
        return;
    }
    f = &ag->ring[ag->head];
    ag->head = (ag->head + 1) % (size_t)self->cfg.window;
    ag->n--;
    if (codec_decode(buf, len, &m, why, sizeof(why)) < 0 || m->type != PM_MSG_REPLY ||
        util_strcmp0(m->reply->id, f->id) != 0) {
        res->errors++;
        if (res->errors == 1)
            log_warnx("agent %d: unexpected answer to %s: %s", a, f->id,
                      m == NULL ? why : "another request's reply");
        pm_msg_destroy(&m);
        return;
    }
    if (!m->reply->ok) {
        res->refusals++;
        if (res->refusals == 1)
            snprintf(res->first_refusal, sizeof(res->first_refusal), "%s (%s): %s", f->id,
                     m->reply->code, m->reply->reason);
        /* The model is now wrong for that project; leave it alone from here on. */
        if (f->kind >= 0)
            for (size_t k = 0; k < ag->nactive; k++)
                if (ag->active[k] == f->project) {
                    retire(ag, k);
                    break;
                }
        pm_msg_destroy(&m);
        return;
    }
    if (m->reply->duplicate)
        res->duplicates++;
    if (m->reply->seq + (m->reply->count > 0 ? m->reply->count - 1 : 0) > res->head)
        res->head = m->reply->seq + (m->reply->count > 0 ? m->reply->count - 1 : 0);
    if (f->kind < 0) {
        res->registrations += f->count;
    } else {
        res->events_total++;
        if (t_us <= end_us) {
            res->events++;
            stats_add(&res->ack, t_us - f->sent_us);
        }
    }
    pm_msg_destroy(&m);
}

/* One published entry: an unblocked entry we are waiting for gives a latency sample. */
static void
take_entry(load_t *self, const void *buf, size_t len, int64_t t_us)
{
    pm_msg_t *m = NULL;
    char why[256], prefix[24];
    size_t plen;
    int i;

    if (codec_decode(buf, len, &m, why, sizeof(why)) < 0 || m->type != PM_MSG_ENTRY ||
        m->entry->kind != PM_KIND_UNBLOCKED || m->entry->project == NULL ||
        m->entry->procedure == NULL)
        goto done;
    plen = (size_t)snprintf(prefix, sizeof(prefix), "BP%s-", self->tag);
    if (strncmp(m->entry->project, prefix, plen) != 0)
        goto done; /* another client's project on a shared broker */
    i = proc_index(self, m->entry->procedure);
    if (i >= 0) {
        unsigned long n = strtoul(m->entry->project + plen, NULL, 10);
        int64_t *ub = &self->unblock_us[n * self->nprocs + (size_t)i];
        if (n < self->nprojects && *ub != 0) {
            stats_add(&self->res->unblock, t_us - *ub);
            *ub = 0;
        }
    }
done:
    pm_msg_destroy(&m);
}

/* Take every frame waiting on the SUB socket: topic, then the entry. */
static void
drain_sub(load_t *self)
{
    for (;;) {
        zmq_msg_t topic, body;
        int more = 0;
        size_t ml = sizeof(more);
        zmq_msg_init(&topic);
        if (zmq_msg_recv(&topic, self->sub, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&topic);
            return;
        }
        zmq_getsockopt(self->sub, ZMQ_RCVMORE, &more, &ml);
        zmq_msg_close(&topic);
        if (!more)
            continue;
        zmq_msg_init(&body);
        if (zmq_msg_recv(&body, self->sub, 0) >= 0)
            take_entry(self, zmq_msg_data(&body), zmq_msg_size(&body), now_us());
        zmq_msg_close(&body);
    }
}

static void
drain_agent(load_t *self, int a, int64_t end_us)
{
    for (;;) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, self->agents[a].sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            return;
        }
        take_reply(self, a, zmq_msg_data(&msg), zmq_msg_size(&msg), now_us(), end_us);
        zmq_msg_close(&msg);
    }
}

int
load_run(load_t *self, volatile sig_atomic_t *stop, load_result_t *out, char *why, size_t whylen)
{
    int na = self->cfg.agents;
    zmq_pollitem_t *items = xcalloc((size_t)na + 1, sizeof(zmq_pollitem_t));
    int64_t start_us, end_us, drain_end_us, t;
    size_t inflight;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    self->res = out;
    for (int a = 0; a < na; a++)
        items[a] = (zmq_pollitem_t){self->agents[a].sock, 0, ZMQ_POLLIN, 0};
    items[na] = (zmq_pollitem_t){self->sub, 0, ZMQ_POLLIN, 0};

    self->measuring = true;
    start_us = now_us();
    end_us = start_us + (int64_t)(self->cfg.duration * 1e6);
    drain_end_us = end_us + (int64_t)DRAIN_MS * 1000;
    for (;;) {
        t = now_us();
        if (*stop)
            break;
        inflight = 0;
        for (int a = 0; a < na; a++) {
            agent_t *ag = &self->agents[a];
            while (t < end_us && ag->n < (size_t)self->cfg.window) {
                int s = send_next(self, a, why, whylen);
                if (s < 0)
                    goto done;
                if (s > 0)
                    break;
            }
            inflight += ag->n;
        }
        if (t >= end_us) {
            self->measuring = false;
            if (inflight == 0 || t >= drain_end_us)
                break;
        }
        if (zmq_poll(items, na + 1, t < end_us ? (end_us - t) / 1000 + 1 : 100) < 0) {
            if (zmq_errno() == EINTR)
                continue;
            snprintf(why, whylen, "poll: %s", zmq_strerror(zmq_errno()));
            goto done;
        }
        for (int a = 0; a < na; a++)
            if (items[a].revents & ZMQ_POLLIN)
                drain_agent(self, a, end_us);
        if (items[na].revents & ZMQ_POLLIN)
            drain_sub(self);
    }
    out->secs = (double)(end_us - start_us) / 1e6;
    if (*stop)
        out->secs = (double)(now_us() - start_us) / 1e6;
    /* The last unblocked entries are published after the last commit: give them a moment. */
    t = now_us() + UNBLOCK_GRACE_MS * 1000;
    while (now_us() < t) {
        if (zmq_poll(&items[na], 1, 50) > 0)
            drain_sub(self);
    }
    for (size_t n = 0; n < self->nprojects * self->nprocs; n++)
        if (self->unblock_us[n] != 0 && self->unblock_us[n] <= end_us)
            out->unblocks_missed++;
    rc = 0;
done:
    self->measuring = false;
    free(items);
    return rc;
}

void
load_result_clear(load_result_t *r)
{
    stats_clear(&r->ack);
    stats_clear(&r->unblock);
}
