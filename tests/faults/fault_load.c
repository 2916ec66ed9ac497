/*
 * fault-load: a load agent for the fault-injection suite that keeps a history.
 *
 * It registers --projects projects of the sample template ("PREFIX-000001", ...) and sends
 * each project's events in dependency order: for every procedure in the template file's
 * order (which must be a topological order), "accepted" and then "approved" by the owning
 * department. At most one event per project is in flight and up to --window projects at once,
 * so an event never overtakes its predecessor whatever the broker does.
 *
 * Every id is deterministic ("PREFIX-000001.3a": project, procedure index, a(ccepted) or
 * p(roved)), and so is every import's, so a resend is recognised by the broker, and a
 * fault-load killed with -9 and started again with the same arguments resumes: it reads its
 * --acked file and sends what is not in it, which the broker answers as a duplicate when it
 * had been applied already.
 *
 * What happened is appended, one write(2) per line so a kill never tears one, to
 *   --history  "sent ID", "resent ID", "ack ID SEQ", "dup ID SEQ", "retry ID CODE" (a
 *              temporary refusal: sent again later), "refused ID CODE", "timeout ID"
 *   --acked    "ID SEQ" for every acknowledged event or import (SEQ: its first entry)
 * The checker (check.py) holds these against the log.
 *
 * A request without an answer within --timeout-ms makes it reconnect (a fresh DEALER, so
 * no stale answer can arrive) and send everything in flight again, in the order first sent.
 * --rate caps new requests per second (resends are not held back), so a load can be spread
 * over the time a nemesis needs for its faults.
 * Exit 0 when every event is acked, 1 when the broker refused one for good (a bug: the load
 * is valid by construction), 2 on bad usage, 3 when --deadline passed first.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "cli.h"
#include "codec.h"
#include "csvin.h"
#include "log.h"
#include "model.h"
#include "util.h"

#define IMPORT_CHUNK 200   /* projects per registration */
#define RETRY_LATER_MS 100 /* after a temporary refusal */
#define MAX_WINDOW 1024

typedef struct opts {
    const char *ingest;
    const char *template_csv;
    const char *template_name;
    const char *prefix;
    const char *history;
    const char *acked;
    unsigned projects;
    int window;
    int timeout_ms;
    int deadline_s;
    int rate; /* new requests per second, 0: as fast as the window allows */
} opts_t;

typedef struct proc {
    char *code;
    char *dept;
} proc_t;

/* One request in flight. */
typedef struct flight {
    char id[64];
    unsigned project; /* index, or UINT_MAX for an import */
    unsigned chunk;   /* import: which chunk */
    int64_t sent_ms;  /* monotonic; 0: waiting to be sent (retry later) */
    int64_t due_ms;   /* retry later: not before */
    uint64_t order;   /* first sending order, kept across resends */
} flight_t;

typedef struct load {
    opts_t o;
    proc_t *procs;
    size_t nprocs;
    unsigned *step;   /* per project: the next step, 2 * nprocs when done */
    char *in_flight;  /* per project */
    char *chunk_done; /* per import chunk */
    unsigned nchunks;
    flight_t *fl;
    size_t nfl;
    uint64_t next_order;
    strv_t acked_ids; /* read at start; sorted for bsearch */
    int hist_fd, acked_fd;
    void *zctx, *sock;
    unsigned cursor; /* round robin over projects */
    int64_t started_ms;
    uint64_t first_sends; /* requests sent for the first time, for --rate */
    /* counters for the summary */
    uint64_t acks, dups, retries, refused, timeouts, resent, reconnects;
} load_t;

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static void
usage(FILE *f)
{
    fprintf(f, "usage: fault-load --ingest EP --template CSV --prefix P --projects N "
               "--history FILE --acked FILE\n"
               "                  [--template-name standard] [--window 16] [--timeout-ms 1000]"
               " [--deadline S]\n"
               "                  [--rate EVENTS_PER_S]\n");
}

/* One line, one write(2): a kill never leaves half a line. */
static void record(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
record(int fd, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(line) - 1)
        fatalx("history line too long");
    line[n++] = '\n';
    if (write(fd, line, (size_t)n) != n)
        fatal("history write");
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
was_acked(const load_t *self, const char *id)
{
    return self->acked_ids.n > 0 &&
           bsearch(&id, self->acked_ids.v, self->acked_ids.n, sizeof(char *), cmp_str) != NULL;
}

/* The ids acked by an earlier run of this load (the file may not exist yet). */
static void
read_acked(load_t *self)
{
    FILE *f = fopen(self->o.acked, "r");
    char line[256];

    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *sp = strchr(line, ' ');
        if (sp != NULL) {
            *sp = '\0';
            strv_push(&self->acked_ids, line);
        }
    }
    fclose(f);
    if (self->acked_ids.n > 1)
        qsort(self->acked_ids.v, self->acked_ids.n, sizeof(char *), cmp_str);
}

/* The procedures in file order, which must already be a dependency order. */
static int
read_template(load_t *self, char *why, size_t whylen)
{
    csvin_t *c = NULL;
    int ctype, ccode, cdept, cpre, rc = -1;

    if (csvin_read(self->o.template_csv, &c, why, whylen) < 0)
        return -1;
    if (csvin_require(c, "type", &ctype, why, whylen) < 0 ||
        csvin_require(c, "code", &ccode, why, whylen) < 0 ||
        csvin_require(c, "dept", &cdept, why, whylen) < 0 ||
        csvin_require(c, "prerequisites", &cpre, why, whylen) < 0)
        goto done;
    for (size_t r = 0; r < csvin_rows(c); r++) {
        strv_t pre = {0};
        bool known = true;
        if (strcmp(csvin_get(c, r, ctype), "procedure") != 0)
            continue;
        strv_split(&pre, csvin_get(c, r, cpre), ";");
        for (size_t k = 0; k < pre.n && known; k++) {
            char *colon = strchr(pre.v[k], ':');
            if (colon != NULL)
                *colon = '\0';
            known = false;
            for (size_t i = 0; i < self->nprocs; i++)
                known = known || strcmp(self->procs[i].code, pre.v[k]) == 0;
        }
        strv_clear(&pre);
        if (!known) {
            csvin_error(c, r, why, whylen, "a prerequisite comes later in the file");
            goto done;
        }
        self->procs = xgrow(self->procs, self->nprocs, sizeof(proc_t));
        self->procs[self->nprocs].code = xstrdup(csvin_get(c, r, ccode));
        self->procs[self->nprocs].dept = xstrdup(csvin_get(c, r, cdept));
        self->nprocs++;
    }
    rc = 0;
    if (self->nprocs == 0) {
        snprintf(why, whylen, "%s: no procedure", self->o.template_csv);
        rc = -1;
    }
done:
    csvin_destroy(&c);
    return rc;
}

static void
event_id(const load_t *self, unsigned p, unsigned step, char *buf, size_t size)
{
    snprintf(buf, size, "%s-%06u.%u%c", self->o.prefix, p + 1, step / 2, step % 2 ? 'p' : 'a');
}

static void
connect_socket(load_t *self)
{
    int linger = 0;

    if (self->sock != NULL)
        zmq_close(self->sock);
    self->sock = zmq_socket(self->zctx, ZMQ_DEALER);
    if (self->sock == NULL)
        fatalx("zmq_socket: %s", zmq_strerror(zmq_errno()));
    zmq_setsockopt(self->sock, ZMQ_LINGER, &linger, sizeof(linger));
    if (zmq_connect(self->sock, self->o.ingest) < 0)
        fatalx("connect %s: %s", self->o.ingest, zmq_strerror(zmq_errno()));
}

/* The request of flight f, encoded. Caller frees *buf. */
static void
encode(load_t *self, const flight_t *f, uint8_t **buf, size_t *len)
{
    pm_msg_t *m;

    if (f->project == (unsigned)-1) {
        m = pm_msg_new(PM_MSG_IMPORT);
        m->import = xcalloc(1, sizeof(pm_import_t));
        m->import->id = xstrdup(f->id);
        m->import->actor = xstrdup("operator:fault-load");
        for (unsigned k = 0; k < IMPORT_CHUNK; k++) {
            unsigned n = f->chunk * IMPORT_CHUNK + k;
            pm_project_t *p;
            if (n >= self->o.projects)
                break;
            p = pm_import_add_project(m->import);
            p->id = xasprintf("%s-%06u", self->o.prefix, n + 1);
            p->name = xasprintf("故障演练项目%u号", n + 1);
            p->region = xstrdup("科尔沁区");
            p->industry = xstrdup("新能源");
            p->company = xasprintf("通辽演练%u有限公司", n % 97);
            p->steward = xstrdup("张伟");
            p->template_name = xstrdup(self->o.template_name);
        }
    } else {
        unsigned step = self->step[f->project];
        const proc_t *pr = &self->procs[step / 2];
        m = pm_msg_new(PM_MSG_EVENT);
        m->entry = pm_entry_new(step % 2 ? PM_KIND_APPROVED : PM_KIND_ACCEPTED);
        m->entry->event_id = xstrdup(f->id);
        m->entry->dept = xstrdup(pr->dept);
        m->entry->project = xasprintf("%s-%06u", self->o.prefix, f->project + 1);
        m->entry->procedure = xstrdup(pr->code);
        m->entry->event_ms = util_now_ms();
        if (step % 2)
            m->entry->cert = xasprintf("演练〔2026〕%u号", f->project + 1);
    }
    if (codec_encode(m, buf, len) < 0)
        fatalx("cannot encode %s", f->id);
    pm_msg_destroy(&m);
}

static void
send_flight(load_t *self, flight_t *f, bool again)
{
    uint8_t *buf;
    size_t len;

    encode(self, f, &buf, &len);
    if (zmq_send(self->sock, buf, len, 0) < 0)
        fatalx("send: %s", zmq_strerror(zmq_errno()));
    free(buf);
    f->sent_ms = util_mono_ms();
    record(self->hist_fd, "%s %s", again ? "resent" : "sent", f->id);
    self->resent += again;
    self->first_sends += !again;
}

static flight_t *
add_flight(load_t *self, const char *id, unsigned project, unsigned chunk)
{
    flight_t *f;

    self->fl = xgrow(self->fl, self->nfl, sizeof(flight_t));
    f = &self->fl[self->nfl++];
    memset(f, 0, sizeof(*f));
    snprintf(f->id, sizeof(f->id), "%s", id);
    f->project = project;
    f->chunk = chunk;
    f->order = self->next_order++;
    return f;
}

static void
drop_flight(load_t *self, size_t k)
{
    /* Keep the first-sent order for resends: shift, the window is small. */
    memmove(&self->fl[k], &self->fl[k + 1], (self->nfl - k - 1) * sizeof(flight_t));
    self->nfl--;
}

/* Fill the window: imports first (all of them, in order), then events. */
static void
fill(load_t *self)
{
    char id[64];

    for (unsigned c = 0; c < self->nchunks; c++) {
        if (self->chunk_done[c])
            continue;
        for (size_t k = 0; k < self->nfl; k++)
            if (self->fl[k].project == (unsigned)-1)
                return; /* one import at a time */
        snprintf(id, sizeof(id), "%s-import-%u", self->o.prefix, c + 1);
        send_flight(self, add_flight(self, id, (unsigned)-1, c), false);
        return;
    }
    for (unsigned tries = 0; tries < self->o.projects && (int)self->nfl < self->o.window; tries++) {
        if (self->o.rate > 0 &&
            self->first_sends >=
                (uint64_t)((util_mono_ms() - self->started_ms) * self->o.rate / 1000))
            return; /* ahead of --rate */
        unsigned p = self->cursor;
        self->cursor = (self->cursor + 1) % self->o.projects;
        if (self->in_flight[p] || self->step[p] >= 2 * self->nprocs)
            continue;
        event_id(self, p, self->step[p], id, sizeof(id));
        self->in_flight[p] = 1;
        send_flight(self, add_flight(self, id, p, 0), false);
    }
}

/* An answer: match it by id, advance or retry. Unknown ids are stale answers, skipped. */
static void
take_reply(load_t *self, const void *buf, size_t len)
{
    pm_msg_t *m = NULL;
    char why[256];
    size_t k;

    if (codec_decode(buf, len, &m, why, sizeof(why)) < 0 || m->type != PM_MSG_REPLY) {
        log_warnx("undecodable answer: %s", why);
        pm_msg_destroy(&m);
        return;
    }
    for (k = 0; k < self->nfl; k++)
        if (self->fl[k].sent_ms != 0 && util_strcmp0(m->reply->id, self->fl[k].id) == 0)
            break;
    if (k == self->nfl) {
        pm_msg_destroy(&m);
        return;
    }
    flight_t *f = &self->fl[k];
    if (m->reply->ok) {
        record(self->hist_fd, "%s %s %llu", m->reply->duplicate ? "dup" : "ack", f->id,
               (unsigned long long)m->reply->seq);
        record(self->acked_fd, "%s %llu", f->id, (unsigned long long)m->reply->seq);
        self->acks++;
        self->dups += m->reply->duplicate;
        if (f->project == (unsigned)-1) {
            self->chunk_done[f->chunk] = 1;
        } else {
            self->step[f->project]++;
            self->in_flight[f->project] = 0;
        }
        drop_flight(self, k);
    } else if (util_strcmp0(m->reply->code, PM_REFUSE_STORAGE) == 0 ||
               util_strcmp0(m->reply->code, PM_REFUSE_BUSY) == 0) {
        record(self->hist_fd, "retry %s %s", f->id, m->reply->code);
        self->retries++;
        f->sent_ms = 0;
        f->due_ms = util_mono_ms() + (m->reply->retry_after_ms > RETRY_LATER_MS
                                          ? (int64_t)m->reply->retry_after_ms
                                          : RETRY_LATER_MS);
    } else {
        record(self->hist_fd, "refused %s %s", f->id,
               util_empty(m->reply->code) ? "?" : m->reply->code);
        log_warnx("%s refused (%s): %s", f->id, m->reply->code, m->reply->reason);
        self->refused++;
        if (f->project == (unsigned)-1)
            self->chunk_done[f->chunk] = 1; /* its projects stay unregistered: their events fail */
        else
            self->step[f->project] = 2 * (unsigned)self->nprocs; /* give that project up */
        if (f->project != (unsigned)-1)
            self->in_flight[f->project] = 0;
        drop_flight(self, k);
    }
    pm_msg_destroy(&m);
}

/* Nothing came back in time: a fresh socket, and everything in flight again, in order. */
static void
reconnect(load_t *self)
{
    self->reconnects++;
    connect_socket(self);
    for (size_t k = 0; k < self->nfl; k++) {
        if (self->fl[k].sent_ms == 0)
            continue;
        record(self->hist_fd, "timeout %s", self->fl[k].id);
        self->timeouts++;
        send_flight(self, &self->fl[k], true);
    }
}

static bool
done(const load_t *self)
{
    if (self->nfl > 0)
        return false;
    for (unsigned c = 0; c < self->nchunks; c++)
        if (!self->chunk_done[c])
            return false;
    for (unsigned p = 0; p < self->o.projects; p++)
        if (self->step[p] < 2 * self->nprocs)
            return false;
    return true;
}

/* Where an earlier run got to: each project's acked prefix of steps, acked imports. */
static void
resume(load_t *self)
{
    char id[64];

    for (unsigned c = 0; c < self->nchunks; c++) {
        snprintf(id, sizeof(id), "%s-import-%u", self->o.prefix, c + 1);
        self->chunk_done[c] = was_acked(self, id);
    }
    for (unsigned p = 0; p < self->o.projects; p++) {
        unsigned s = 0;
        while (s < 2 * self->nprocs) {
            event_id(self, p, s, id, sizeof(id));
            if (!was_acked(self, id))
                break;
            s++;
        }
        self->step[p] = s;
    }
}

static int
run(load_t *self)
{
    int64_t start = util_mono_ms();

    self->started_ms = start;
    while (!stopping && !done(self)) {
        zmq_pollitem_t item = {self->sock, 0, ZMQ_POLLIN, 0};
        int64_t now = util_mono_ms(), oldest = 0;

        if (self->o.deadline_s > 0 && now - start > self->o.deadline_s * 1000LL)
            return 3;
        for (size_t k = 0; k < self->nfl; k++) {
            flight_t *f = &self->fl[k];
            if (f->sent_ms == 0 && f->due_ms <= now)
                send_flight(self, f, true);
            if (f->sent_ms != 0 && (oldest == 0 || f->sent_ms < oldest))
                oldest = f->sent_ms;
        }
        if (oldest != 0 && now - oldest > self->o.timeout_ms) {
            reconnect(self);
            continue;
        }
        fill(self);
        if (zmq_poll(&item, 1, 50) < 0) {
            if (zmq_errno() == EINTR)
                continue;
            fatalx("poll: %s", zmq_strerror(zmq_errno()));
        }
        while (item.revents & ZMQ_POLLIN) {
            zmq_msg_t msg;
            zmq_msg_init(&msg);
            if (zmq_msg_recv(&msg, self->sock, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&msg);
                break;
            }
            take_reply(self, zmq_msg_data(&msg), zmq_msg_size(&msg));
            zmq_msg_close(&msg);
        }
    }
    if (stopping)
        return 130;
    return self->refused > 0 ? 1 : 0;
}

static int
parse_opts(int argc, char **argv, opts_t *o)
{
    static const struct option longopts[] = {{"ingest", required_argument, NULL, 'i'},
                                             {"template", required_argument, NULL, 't'},
                                             {"template-name", required_argument, NULL, 'n'},
                                             {"prefix", required_argument, NULL, 'p'},
                                             {"projects", required_argument, NULL, 'P'},
                                             {"window", required_argument, NULL, 'w'},
                                             {"history", required_argument, NULL, 'H'},
                                             {"acked", required_argument, NULL, 'a'},
                                             {"timeout-ms", required_argument, NULL, 'T'},
                                             {"deadline", required_argument, NULL, 'd'},
                                             {"rate", required_argument, NULL, 'r'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;

    *o = (opts_t){.template_name = "standard", .window = 16, .timeout_ms = 1000};
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'i':
            o->ingest = optarg;
            break;
        case 't':
            o->template_csv = optarg;
            break;
        case 'n':
            o->template_name = optarg;
            break;
        case 'p':
            o->prefix = optarg;
            break;
        case 'P':
            o->projects = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'w':
            o->window = atoi(optarg);
            break;
        case 'H':
            o->history = optarg;
            break;
        case 'a':
            o->acked = optarg;
            break;
        case 'T':
            o->timeout_ms = atoi(optarg);
            break;
        case 'd':
            o->deadline_s = atoi(optarg);
            break;
        case 'r':
            o->rate = atoi(optarg);
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            return -1;
        }
    }
    if (o->ingest == NULL || o->template_csv == NULL || o->prefix == NULL || o->history == NULL ||
        o->acked == NULL || o->projects == 0 || o->window < 1 || o->window > MAX_WINDOW ||
        o->timeout_ms < 10 || o->rate < 0 || optind != argc)
        return -1;
    return 0;
}

int
main(int argc, char **argv)
{
    load_t self = {0};
    char why[512];
    int rc;

    log_init("fault-load", LOG_LEVEL_INFO);
    if (parse_opts(argc, argv, &self.o) < 0) {
        usage(stderr);
        return 2;
    }
    if (read_template(&self, why, sizeof(why)) < 0) {
        fprintf(stderr, "fault-load: %s\n", why);
        return 2;
    }
    self.hist_fd = open(self.o.history, O_WRONLY | O_APPEND | O_CREAT, 0644);
    self.acked_fd = open(self.o.acked, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (self.hist_fd < 0 || self.acked_fd < 0) {
        fprintf(stderr, "fault-load: %s: %s\n", self.hist_fd < 0 ? self.o.history : self.o.acked,
                strerror(errno));
        return 2;
    }
    self.step = xcalloc(self.o.projects, sizeof(unsigned));
    self.in_flight = xcalloc(self.o.projects, 1);
    self.nchunks = (self.o.projects + IMPORT_CHUNK - 1) / IMPORT_CHUNK;
    self.chunk_done = xcalloc(self.nchunks, 1);
    read_acked(&self);
    resume(&self);
    cli_catch_signals(on_signal, false);
    self.zctx = zmq_ctx_new();
    connect_socket(&self);
    rc = run(&self);
    printf("fault-load %s: %llu acked (%llu duplicates), %llu retried later, %llu refused, "
           "%llu timeouts, %llu resent, %llu reconnects%s\n",
           self.o.prefix, (unsigned long long)self.acks, (unsigned long long)self.dups,
           (unsigned long long)self.retries, (unsigned long long)self.refused,
           (unsigned long long)self.timeouts, (unsigned long long)self.resent,
           (unsigned long long)self.reconnects, rc == 3 ? " (deadline passed)" : "");
    zmq_close(self.sock);
    zmq_ctx_term(self.zctx);
    close(self.hist_fd);
    close(self.acked_fd);
    for (size_t i = 0; i < self.nprocs; i++) {
        free(self.procs[i].code);
        free(self.procs[i].dept);
    }
    free(self.procs);
    free(self.fl);
    free(self.step);
    free(self.in_flight);
    free(self.chunk_done);
    strv_clear(&self.acked_ids);
    return rc;
}
