/*
 * load: the simulated department agents of permit-bench and what they measure.
 *
 * Owns a model of the sample template (read from deploy/template.csv), the generated projects
 * and each procedure's state as the broker will see it, N DEALER sockets on the ingest
 * endpoint (one per agent, all driven by one poll loop) and one SUB socket on the publish
 * endpoint subscribed to "unblocked/".
 *
 * Every event is valid by construction: an agent owns a share of the projects and sends only
 * what the state machine and the prerequisites allow. The broker applies one socket's
 * requests in the order they were sent, so the model is advanced when an event is sent and
 * several events of one project may be in flight at once. A refusal means the model and the
 * broker disagree: it is counted (the run is then invalid), and that project is dropped.
 *
 * When a project is complete the agent registers a fresh one in its place (an import of a
 * few projects at a time on the same socket), so the number of projects in progress stays
 * at --projects however long the run is; the registrations are counted apart from events.
 */
#ifndef PERMIT_BENCH_LOAD_H
#define PERMIT_BENCH_LOAD_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "stats.h"

typedef struct load_cfg {
    const char *ingest;       /* the broker's ingest endpoint */
    const char *publish;      /* its publish endpoint */
    const char *template_csv; /* the template the broker was given (deploy/template.csv) */
    const char *template_name;
    int agents;      /* DEALER sockets */
    int window;      /* events in flight per agent */
    size_t projects; /* projects registered before the run and kept in progress */
    double duration; /* seconds of measured load */
    uint64_t seed;   /* of the event mix; the same seed gives the same mix */
} load_cfg_t;

typedef struct load_result {
    double secs;                              /* measured time */
    uint64_t events;                          /* department events acked within the measured time */
    uint64_t events_total;                    /* acked in all, including the drain after the end */
    uint64_t by_kind[PM_KIND_LAST_EVENT + 1]; /* events sent, by kind */
    uint64_t registrations;  /* projects registered during the run (replacements) */
    uint64_t refusals;       /* must be 0 */
    uint64_t duplicates;     /* must be 0: event ids are unique per run */
    uint64_t errors;         /* undecodable or mismatched replies */
    char first_refusal[256]; /* the first refusal's code and reason */
    stats_t ack;             /* ack latency, microseconds */
    stats_t unblock;         /* event sent -> unblocked entry seen, microseconds */
    uint64_t unblocks_expected;
    uint64_t unblocks_missed; /* expected but never seen on the SUB socket */
    uint64_t head;            /* highest sequence number acked */
} load_result_t;

typedef struct load load_t;

/*
 * Read the template, connect the sockets (the SUB socket first, so it has joined by the time
 * the load starts) on the caller's zmq context (borrowed). NULL with a reason in why.
 */
load_t *load_new(const load_cfg_t *cfg, void *zctx, char *why, size_t whylen);
void load_destroy(load_t **p);

/*
 * Register cfg->projects generated projects through common/client (imports of up to 2,000
 * at a time). 0, or -1 with a reason in why.
 */
int load_register(load_t *self, char *why, size_t whylen);

/*
 * Drive the event mix for cfg->duration seconds, then stop sending, collect every answer
 * still due (up to 30 s) and wait briefly for the last unblocked entries. Results in *out
 * (zeroed first; load_result_clear frees the samples). -1 on a local failure (a socket),
 * with a reason in why; refusals are results, not failures. Stops early when *stop is set.
 */
int load_run(load_t *self, volatile sig_atomic_t *stop, load_result_t *out, char *why,
             size_t whylen);
void load_result_clear(load_result_t *r);

#endif
