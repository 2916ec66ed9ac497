/*
 * agent_clerk: see agent_clerk.h.
 */
#include "agent_clerk.h"

#include <jansson.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agentd.h"
#include "eplist.h"
#include "i18n.h"
#include "outbox.h"

#define EXIT_NOT_REJECTED 65
/* How long status waits for a daemon that just took its lock to record its link. */
#define START_WAIT_MS 3000

/* What status shows, gathered before printing. */
typedef struct view {
    const char *state;
    const char *dept;
    int running; /* 1, 0, or -1 unknown */
    long pid;
    bool starting;  /* running, but its link is not recorded yet (the facts are older) */
    char *broker;   /* the endpoint in use */
    char *brokers;  /* the configured list (common/eplist.h) */
    char *link;     /* up, down, refused, stopped, or NULL before the first run */
    char *key_name; /* our key's NAME, recorded when the broker refused it */
    int64_t link_since_ms;
    uint64_t head;
    int64_t last_ack_ms;
    uint64_t last_ack_seq;
    outbox_stats_t st;
    int64_t now_ms;
    bool full;             /* STATE/outbox.full: a write failed for want of space */
    int64_t full_since_ms; /* since then */
    uint64_t disk_free;    /* bytes free on the disk holding state */
    bool disk_free_known;
} view_t;

static int64_t
fact_int(outbox_t *ob, const char *key)
{
    char *v = outbox_fact(ob, key);
    int64_t n = v != NULL ? strtoll(v, NULL, 10) : 0;

    free(v);
    return n;
}

/*
 * The outbox as the clerk's commands read it. A daemon that has just taken the lock may not
 * have recorded its department yet (the database exists, empty): while one is running, wait a
 * moment for it, as facts_current does for its link.
 */
static int
open_outbox(const char *state, outbox_t **ob)
{
    char why[768];
    long pid;

    for (int waited = 0; outbox_open(state, NULL, false, ob, why, sizeof(why)) != 0; waited += 20) {
        if (waited >= START_WAIT_MS || agentd_running(state, &pid) != 1) {
            fprintf(stderr, _("permit-agent: %s\n"), why);
            return -1;
        }
        poll(NULL, 0, 20);
    }
    return 0;
}

/* "3m20s", "2h05m", "4d07h": an age a person reads at a glance. */
static const char *
age(int64_t ms, char *buf, size_t len)
{
    int64_t s = ms > 0 ? ms / 1000 : 0;

    if (s < 60)
        snprintf(buf, len, "%llds", (long long)s);
    else if (s < 3600)
        snprintf(buf, len, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
    else if (s < 86400)
        snprintf(buf, len, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else
        snprintf(buf, len, "%lldd%02lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
    return buf;
}

/*
 * Whether the broker is reachable, as far as a running daemon knows: 1, 0, -1 unknown (no
 * daemon, or one that has not heard from a broker yet: "connecting").
 */
static int
reachable(const view_t *v)
{
    if (v->running != 1 || v->starting || v->link == NULL || strcmp(v->link, "stopped") == 0 ||
        strcmp(v->link, "connecting") == 0)
        return -1;
    return strcmp(v->link, "up") == 0;
}

/*
 * Whether the daemon holding the lock recorded its link (agentd.c note_link, with its pid).
 * Right after its start the facts may still be the last run's: wait for it a moment, reading
 * the lock again, since its pid is written just after the lock is taken.
 */
static bool
facts_current(outbox_t *ob, const char *state, view_t *v)
{
    for (int waited = 0;; waited += 20) {
        if (v->running != 1 || fact_int(ob, "daemon_pid") == v->pid)
            return true;
        if (waited >= START_WAIT_MS)
            return false;
        poll(NULL, 0, 20);
        v->running = agentd_running(state, &v->pid);
    }
}

static void
print_text(const view_t *v, FILE *out)
{
    char t[64], a[32];
    int r = reachable(v);

    fprintf(out, _("department  %s\nstate       %s\n"), v->dept, v->state);
    if (v->running == 1)
        fprintf(out, _("daemon      %s (pid %ld)\n"), v->starting ? _("starting") : _("running"),
                v->pid);
    else
        fprintf(out, _("daemon      %s\n"), v->running == 0 ? _("not running") : _("unknown"));
    fprintf(out, _("broker      %s: "), v->broker != NULL ? v->broker : "-");
    if (v->running == 1 && v->starting)
        fprintf(out, _("unknown (the daemon is starting)\n"));
    else if (v->running == 1 && v->link != NULL && strcmp(v->link, "refused") == 0)
        fprintf(out,
                _("REFUSED this key since %s: ask the broker's admin to add %s.key to "
                  "keys_dir (the daemon's log says more)\n"),
                util_format_time(v->link_since_ms, false, t, sizeof(t)),
                !util_empty(v->key_name) ? v->key_name : "NAME");
    else if (v->running == 1 && r < 0)
        fprintf(out, _("connecting since %s (no answer yet)\n"),
                util_format_time(v->link_since_ms, false, t, sizeof(t)));
    else if (r == 1)
        fprintf(out, _("reachable since %s\n"),
                util_format_time(v->link_since_ms, false, t, sizeof(t)));
    else if (r == 0)
        fprintf(out, _("UNREACHABLE since %s\n"),
                util_format_time(v->link_since_ms, false, t, sizeof(t)));
    else
        fprintf(out, _("unknown (no daemon running)\n"));
    if (v->brokers != NULL && strchr(v->brokers, ',') != NULL)
        fprintf(out, _("brokers     %s (in order of preference)\n"), v->brokers);
    fprintf(out, _("queued      %llu"), (unsigned long long)v->st.queued);
    if (v->st.queued > 0)
        fprintf(out, _(", the oldest waiting %s (since %s)"),
                age(v->now_ms - v->st.oldest_queued_ms, a, sizeof(a)),
                util_format_time(v->st.oldest_queued_ms, false, t, sizeof(t)));
    fprintf(out, _("\nlast ack    "));
    if (v->last_ack_ms > 0)
        fprintf(out, _("%s, seq %llu (%s ago)\n"),
                util_format_time(v->last_ack_ms, false, t, sizeof(t)),
                (unsigned long long)v->last_ack_seq, age(v->now_ms - v->last_ack_ms, a, sizeof(a)));
    else
        fprintf(out, _("none yet\n"));
    if (v->full) {
        fprintf(out, _("outbox      FULL since %s: no space left on the disk holding %s"),
                util_format_time(v->full_since_ms, false, t, sizeof(t)), v->state);
        if (v->disk_free_known)
            fprintf(out, _(" (%llu KiB free now)"), (unsigned long long)(v->disk_free / 1024));
        fprintf(out, _("; new events wait in the spool, send --queue exits 73; nothing is "
                       "dropped\n"));
    }
    fprintf(out, _("sent        %llu\n"), (unsigned long long)v->st.sent);
    if (v->st.dropped > 0)
        fprintf(out, _("dropped     %llu\n"), (unsigned long long)v->st.dropped);
    fprintf(out, _("rejected    %llu\n"), (unsigned long long)v->st.rejected);
    for (size_t i = 0; i < v->st.nrejects; i++) {
        const outbox_row_t *row = &v->st.rejects[i];
        fprintf(out, _("  %s  %s %s %s  (from %s, refused %s)\n    %s: %s\n"), row->id,
                row->project, row->procedure, row->kind, row->source,
                util_format_time(row->done_ms, false, t, sizeof(t)), row->code, row->reason);
    }
    if (v->st.nrejects > 0)
        fprintf(out, _("fix the cause, then: permit-agent retry ID (or --all); or give up on one: "
                       "permit-agent drop ID\n"));
}

/* The configured brokers as a JSON array, [] before the daemon first ran. */
static json_t *
endpoints_json(const char *list)
{
    json_t *a = json_array();
    strv_t eps = {0};
    char why[256];

    if (list != NULL && eplist_parse(list, &eps, why, sizeof(why)) == 0)
        for (size_t i = 0; i < eps.n; i++)
            json_array_append_new(a, json_string(eps.v[i]));
    strv_clear(&eps);
    return a;
}

static void
print_json(const view_t *v, FILE *out)
{
    json_t *o = json_object(), *broker = json_object(), *rejected = json_array();
    int r = reachable(v);

    json_object_set_new(o, "dept", json_string(v->dept));
    json_object_set_new(o, "state", json_string(v->state));
    json_object_set_new(o, "daemon",
                        v->running == 1 ? json_pack("{s:b,s:I,s:b}", "running", 1, "pid",
                                                    (json_int_t)v->pid, "starting", v->starting)
                                        : json_pack("{s:b}", "running", 0));
    json_object_set_new(broker, "endpoint", v->broker ? json_string(v->broker) : json_null());
    json_object_set_new(broker, "endpoints", endpoints_json(v->brokers));
    json_object_set_new(broker, "reachable", r < 0 ? json_null() : json_boolean(r));
    json_object_set_new(broker, "link", v->link ? json_string(v->link) : json_null());
    json_object_set_new(broker, "refused",
                        json_boolean(v->link != NULL && strcmp(v->link, "refused") == 0));
    json_object_set_new(broker, "since_ms", json_integer(v->link_since_ms));
    json_object_set_new(broker, "head", json_integer((json_int_t)v->head));
    json_object_set_new(o, "broker", broker);
    json_object_set_new(o, "queued", json_integer((json_int_t)v->st.queued));
    json_object_set_new(o, "oldest_queued_ms",
                        v->st.queued ? json_integer(v->st.oldest_queued_ms) : json_null());
    json_object_set_new(o, "oldest_age_ms",
                        v->st.queued ? json_integer(v->now_ms - v->st.oldest_queued_ms)
                                     : json_null());
    json_object_set_new(o, "last_ack",
                        v->last_ack_ms > 0
                            ? json_pack("{s:I,s:I}", "seq", (json_int_t)v->last_ack_seq, "ms",
                                        (json_int_t)v->last_ack_ms)
                            : json_null());
    json_object_set_new(
        o, "outbox",
        json_pack("{s:b,s:o,s:o}", "full", v->full, "full_since_ms",
                  v->full ? json_integer(v->full_since_ms) : json_null(), "disk_free_bytes",
                  v->disk_free_known ? json_integer((json_int_t)v->disk_free) : json_null()));
    json_object_set_new(o, "sent", json_integer((json_int_t)v->st.sent));
    json_object_set_new(o, "dropped", json_integer((json_int_t)v->st.dropped));
    for (size_t i = 0; i < v->st.nrejects; i++) {
        const outbox_row_t *row = &v->st.rejects[i];
        json_array_append_new(
            rejected,
            json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s?,s:s,s:I,s:I}", "id", row->id, "event", row->kind,
                      "project", row->project, "procedure", row->procedure, "code", row->code,
                      "reason", row->reason, "source", row->source, "added_ms",
                      (json_int_t)row->added_ms, "rejected_ms", (json_int_t)row->done_ms));
    }
    json_object_set_new(o, "rejected", rejected);
    json_dumpf(o, out, JSON_COMPACT);
    fputc('\n', out);
    json_decref(o);
}

int
clerk_status(const char *state, bool json, FILE *out)
{
    view_t v = {.state = state, .now_ms = util_now_ms()};
    outbox_t *ob = NULL;
    int rc = 1;

    if (open_outbox(state, &ob) != 0)
        return 1;
    v.dept = outbox_dept(ob);
    v.running = agentd_running(state, &v.pid);
    v.starting = !facts_current(ob, state, &v);
    v.broker = outbox_fact(ob, "broker");
    v.brokers = outbox_fact(ob, "brokers");
    v.link = outbox_fact(ob, "link");
    v.key_name = outbox_fact(ob, "key_name");
    v.link_since_ms = fact_int(ob, "link_since_ms");
    v.head = (uint64_t)fact_int(ob, "broker_head");
    v.last_ack_ms = fact_int(ob, "last_ack_ms");
    v.last_ack_seq = (uint64_t)fact_int(ob, "last_ack_seq");
    v.full = outbox_full_marked(state, &v.full_since_ms) == 1;
    v.disk_free_known = outbox_disk_free(state, &v.disk_free) == 0;
    if (outbox_stats(ob, &v.st) != 0) {
        fprintf(stderr, _("permit-agent: cannot read the outbox in %s\n"), state);
        goto done;
    }
    if (json)
        print_json(&v, out);
    else
        print_text(&v, out);
    rc = 0;

done:
    outbox_stats_clear(&v.st);
    free(v.broker);
    free(v.brokers);
    free(v.link);
    free(v.key_name);
    outbox_close(&ob);
    return rc;
}

/* Apply retry or drop to each id; say what became of each. */
static int
each_id(const char *state, const strv_t *ids, bool drop)
{
    outbox_t *ob = NULL;
    int rc = 0;

    if (open_outbox(state, &ob) != 0)
        return 1;
    for (size_t i = 0; i < ids->n; i++) {
        int done = drop ? outbox_drop(ob, ids->v[i], util_now_ms()) : outbox_retry(ob, ids->v[i]);
        if (done < 0) {
            fprintf(stderr, _("permit-agent: cannot change %s in the outbox\n"), ids->v[i]);
            rc = 1;
            break;
        }
        if (done == 0) {
            fprintf(stderr, _("permit-agent: %s is not a %s event (see permit-agent status)\n"),
                    ids->v[i], drop ? _("queued or rejected") : _("rejected"));
            rc = EXIT_NOT_REJECTED;
            continue;
        }
        printf("%s %s\n", drop ? "dropped" : "queued again", ids->v[i]);
    }
    outbox_close(&ob);
    return rc;
}

int
clerk_retry(const char *state, const strv_t *ids, bool all)
{
    outbox_t *ob = NULL;
    size_t count = 0;
    int rc = 0;

    if (!all)
        return each_id(state, ids, false);
    if (open_outbox(state, &ob) != 0)
        return 1;
    if (outbox_retry_all(ob, &count) != 0) {
        fprintf(stderr, _("permit-agent: cannot change the outbox in %s\n"), state);
        rc = 1;
    } else {
        printf(_("queued again: %zu rejected events\n"), count);
    }
    outbox_close(&ob);
    return rc;
}

int
clerk_drop(const char *state, const strv_t *ids)
{
    return each_id(state, ids, true);
}
