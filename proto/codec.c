/*
 * codec: see codec.h. The wire contract itself is proto/permit.proto.
 *
 * Each model struct has one pair of static helpers. X_to_pb() returns a protobuf-c struct
 * allocated from the encoder's arena whose strings borrow the model's (NULL in, NULL out);
 * X_from_pb() fills a zeroed model struct with copies. Decoding runs in three steps: unpack
 * under a memory budget, check every string and repeated count generically (validate()), then
 * convert, which can still refuse an unknown kind or state name.
 */
#include "codec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "permit.pb-c.h"
#include "util.h"
#include "zone.h"

/* protobuf-c may allocate this many times the frame size, plus a floor for tiny frames. */
#define BUDGET_FACTOR 64
#define BUDGET_FLOOR (64 * 1024)

static const char *const body_names[PM_MSG__COUNT] = {
    "event",  "import",    "reply", "entry",     "query",    "page", "status_req",
    "status", "heartbeat", "ping",  "clock_set", "list_req", "list",
};

/* Optional scalars are sent only when non-zero: an absent one decodes as 0 anyway. */
#define PB_SET(pb, field, value) ((pb)->field = (value), (pb)->has_##field = (pb)->field != 0)
/* Repeated strings borrow a strv's array. */
#define PB_STRV(pb, field, sv) ((pb)->n_##field = (sv).n, (pb)->field = (sv).v)

/*
 * The encoder's arena: every protobuf-c struct built for one encode, freed together once the
 * frame is packed. The strings inside are borrowed from the model and not freed.
 */
typedef struct enc {
    void **blocks;
    size_t n;
    size_t cap;
} enc_t;

/* What one decode needs: the reason buffer and the allocator budget for protobuf-c. */
typedef struct dec {
    const char *what; /* the body being converted, for reasons */
    char *why;
    size_t whylen;
    bool failed;
    ProtobufCAllocator alloc;
    size_t budget; /* bytes protobuf-c may still allocate */
    bool over_budget;
} dec_t;

static void *
enc_alloc(enc_t *e, size_t n, size_t size)
{
    void *p = xcalloc(n, size);

    if (e->n == e->cap) {
        e->cap = e->cap ? 2 * e->cap : 32;
        e->blocks = xrealloc(e->blocks, e->cap * sizeof(void *));
    }
    e->blocks[e->n++] = p;
    return p;
}

static void
enc_free(enc_t *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->blocks[i]);
    free(e->blocks);
    memset(e, 0, sizeof(*e));
}

/* Pack a finished message into a buffer the caller owns, then drop the arena. */
static void
enc_pack(enc_t *e, const ProtobufCMessage *pb, uint8_t **out, size_t *outlen)
{
    size_t n = protobuf_c_message_get_packed_size(pb);
    uint8_t *buf = xmalloc(n);

    protobuf_c_message_pack(pb, buf);
    enc_free(e);
    *out = buf;
    *outlen = n;
}

static void dec_fail(dec_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record the first reason a decode fails; later ones are consequences. */
static void
dec_fail(dec_t *d, const char *fmt, ...)
{
    va_list ap;

    if (d->failed)
        return;
    d->failed = true;
    if (d->why == NULL || d->whylen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(d->why, d->whylen, fmt, ap);
    va_end(ap);
}

/*
 * Refuse an unknown kind or state name. The name is the peer's, so only printable ASCII of it
 * is quoted: the reason travels back in a nack and must stay one valid UTF-8 line.
 */
static void
dec_unknown(dec_t *d, const char *what, const char *name)
{
    char q[41];
    size_t i;

    for (i = 0; name != NULL && name[i] != '\0' && i < sizeof(q) - 1; i++)
        q[i] = (unsigned char)name[i] >= 0x20 && (unsigned char)name[i] < 0x7f ? name[i] : '?';
    q[i] = '\0';
    dec_fail(d, "%s: unknown %s '%s'", d->what, what, q);
}

static void
dec_state(dec_t *d, const char *name, pm_state_t *out)
{
    if (pm_state_parse(name, out) < 0)
        dec_unknown(d, "state", name);
}

/* A colour travels as its name; absent means none. */
static char *
colour_to_pb(pm_colour_t c)
{
    return c == PM_COLOUR_NONE ? NULL : (char *)pm_colour_name(c);
}

static void
dec_colour(dec_t *d, const char *name, pm_colour_t *out)
{
    *out = PM_COLOUR_NONE;
    if (name != NULL && pm_colour_parse(name, out) < 0)
        dec_unknown(d, "colour", name);
}

/* The budget allocator: a tiny frame cannot make protobuf-c allocate without bound. */
static void *
budget_alloc(void *arg, size_t size)
{
    dec_t *d = arg;

    if (size > d->budget) {
        d->over_budget = true;
        return NULL;
    }
    d->budget -= size;
    return xmalloc(size);
}

static void
budget_free(void *arg, void *p)
{
    (void)arg;
    free(p);
}

/*
 * The limits by field name: identifiers and codes are short, free text is bounded, and
 * nothing else in a frame exceeds CODEC_MAX_STRING. By name, so a field added to
 * permit.proto under a known name inherits its limit. None is below CODEC_MAX_CODE (validate
 * looks up only longer strings).
 */
size_t
codec_field_limit(const char *name)
{
    static const struct {
        const char *name;
        size_t max;
    } limits[] = {
        {"event_id", CODEC_MAX_ID},
        {"id", CODEC_MAX_ID},
        {"actor", CODEC_MAX_ID},
        {"dept", CODEC_MAX_CODE},
        {"code", CODEC_MAX_CODE},
        {"procedure", CODEC_MAX_CODE},
        {"kind", CODEC_MAX_CODE},
        {"agent", CODEC_MAX_CODE},
        {"project", CODEC_MAX_ID},
        {"cert", CODEC_MAX_CERT},
        {"missing", CODEC_MAX_NOTE},
        {"note", CODEC_MAX_NOTE},
        {"recipient", PM_ACK_RECIPIENT_MAX},
        {"via", CODEC_MAX_CODE},
        {"relay", CODEC_MAX_ID},
        {"time_zone", ZONE_NAME_MAX},
    };

    for (size_t i = 0; i < ARRAY_LEN(limits); i++)
        if (strcmp(limits[i].name, name) == 0)
            return limits[i].max;
    return CODEC_MAX_STRING;
}

/*
 * Walk an unpacked message with its descriptor: every string must be valid UTF-8 (protobuf-c
 * does not check) and within its length limit (codec_field_limit), and no repeated field may hold
 * more than CODEC_MAX_REPEATED elements.
 * Generic, so a field added to permit.proto is checked without touching this function. The
 * schema is not recursive, so the depth of this walk is bounded by it.
 */
static int
validate(dec_t *d, const ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *desc = m->descriptor;
    const char *base = (const char *)m;

    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &desc->fields[i];
        const void *const *items = (const void *const *)(base + f->offset);
        size_t n = 1;

        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            n = *(const size_t *)(base + f->quantifier_offset);
            if (n > CODEC_MAX_REPEATED) {
                dec_fail(d, "%s.%s: %zu elements (limit %u)", desc->short_name, f->name, n,
                         CODEC_MAX_REPEATED);
                return -1;
            }
            items = *(const void *const *const *)items;
        } else if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
                   *(const uint32_t *)(base + f->quantifier_offset) != f->id) {
            continue; /* another member of the union is set */
        }
        if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        for (size_t k = 0; k < n; k++) {
            const char *s = items[k];
            if (s == NULL)
                continue;
            if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
                if (validate(d, items[k]) < 0)
                    return -1;
            } else {
                /* No field's limit is below CODEC_MAX_CODE: only a longer string is looked up. */
                size_t slen = strlen(s), max = CODEC_MAX_CODE;
                if (slen > max && slen > (max = codec_field_limit(f->name))) {
                    dec_fail(d, "%s.%s: %zu bytes (limit %zu)", desc->short_name, f->name, slen,
                             max);
                    return -1;
                }
                if (!util_utf8_valid(s, slen)) {
                    dec_fail(d, "%s.%s: not valid UTF-8", desc->short_name, f->name);
                    return -1;
                }
            }
        }
    }
    return 0;
}

/* The allowed values of a number field: min to max, and 0 when zero_ok (an absent field). */
typedef struct num_range {
    const char *field, *msg; /* the field first: most fields differ from it at once */
    int64_t min, max;
    bool zero_ok;
} num_range_t;

/*
 * The range of a number field of what peers send to the broker (model.h has the bounds), by
 * name like field_limit: every time (a name ending in _ms) and every 64-bit unsigned number
 * (sequence numbers) has one, so a field added under such a name is checked too. False for a
 * number without one (a bool, the engine-checked days of an extension).
 */
static bool
field_range(const char *msg, const ProtobufCFieldDescriptor *f, num_range_t *out)
{
    static const num_range_t ranges[] = {
        {"limit_days", "ProcType", PM_LIMIT_DAYS_MIN, PM_LIMIT_DAYS_MAX, false},
        {"promised_days", "ProcType", PM_LIMIT_DAYS_MIN, PM_LIMIT_DAYS_MAX, true},
        {"limit_days", "Entry", PM_LIMIT_DAYS_MIN, PM_LIMIT_DAYS_MAX, true},
        {"start_half", "Project", 1, PM_START_HALF_MAX, true},
        {"year", "Project", PM_PROJECT_YEAR_MIN, PM_PROJECT_YEAR_MAX, true},
        {"template_version", "Project", 1, PM_TEMPLATE_VERSION_MAX, true},
        {"version", "Template", 1, PM_TEMPLATE_VERSION_MAX, true},
        {"year", "Calendar", PM_CAL_YEAR_MIN, PM_CAL_YEAR_MAX, false},
    };
    size_t flen = strlen(f->name);

    for (size_t i = 0; i < ARRAY_LEN(ranges); i++)
        if (strcmp(ranges[i].field, f->name) == 0 && strcmp(ranges[i].msg, msg) == 0) {
            *out = ranges[i];
            return true;
        }
    if (flen > 3 && strcmp(f->name + flen - 3, "_ms") == 0) {
        *out = (num_range_t){NULL, NULL, 1, PM_TIME_MAX_MS, true};
        return true;
    }
    if (f->type == PROTOBUF_C_TYPE_UINT64) {
        *out = (num_range_t){NULL, NULL, 0, PM_SEQ_MAX, true};
        return true;
    }
    return false;
}

/* One number field against its range; -1 with the field, the value and the range. */
static int
check_number(dec_t *d, const char *msg, const ProtobufCFieldDescriptor *f, const void *p)
{
    num_range_t r;
    bool neg = false, out;
    uint64_t mag;
    char value[24];

    if (!field_range(msg, f, &r))
        return 0;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT64: {
        int64_t v = *(const int64_t *)p;
        neg = v < 0;
        mag = neg ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v; /* INT64_MIN has no positive */
        break;
    }
    case PROTOBUF_C_TYPE_INT32: {
        int32_t v = *(const int32_t *)p;
        neg = v < 0;
        mag = neg ? (uint64_t)(-(int64_t)v) : (uint64_t)v;
        break;
    }
    case PROTOBUF_C_TYPE_UINT64:
        mag = *(const uint64_t *)p;
        break;
    case PROTOBUF_C_TYPE_UINT32:
        mag = *(const uint32_t *)p;
        break;
    default:
        return 0;
    }
    if (mag == 0)
        out = !r.zero_ok && r.min > 0;
    else if (neg)
        out = r.min >= 0 || mag > (uint64_t)(-(r.min + 1)) + 1;
    else
        out = mag > (uint64_t)r.max || (r.min > 0 && mag < (uint64_t)r.min);
    if (!out)
        return 0;
    snprintf(value, sizeof(value), "%s%llu", neg ? "-" : "", (unsigned long long)mag);
    dec_fail(d, "%s.%s: %s is out of range (%s%lld to %lld%s)", msg, f->name, value,
             r.zero_ok && r.min > 0 ? "0 for none, or " : "", (long long)r.min, (long long)r.max,
             r.max == PM_TIME_MAX_MS ? ", ms since 1970" : "");
    return -1;
}

/*
 * Walk what a peer sends to the broker (an event, an import, a query, a clock setting) and
 * check every number against its range (field_range): the one place wire numbers are bounded.
 * What the broker sends (pages, status, the log's own entries) is not checked: it was checked
 * on its way in, and an entry logged before a bound existed must stay readable.
 */
static int
validate_numbers(dec_t *d, const ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *desc = m->descriptor;
    const char *base = (const char *)m;

    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &desc->fields[i];
        const void *p = base + f->offset;
        size_t n = 1;

        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            if (f->type != PROTOBUF_C_TYPE_MESSAGE)
                continue; /* no repeated numbers in the schema */
            n = *(const size_t *)(base + f->quantifier_offset);
            p = *(const void *const *)p;
        } else if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
                   *(const uint32_t *)(base + f->quantifier_offset) != f->id) {
            continue; /* another member of the union is set */
        }
        if (f->type != PROTOBUF_C_TYPE_MESSAGE) {
            if (check_number(d, desc->short_name, f, p) < 0)
                return -1;
            continue;
        }
        for (size_t k = 0; k < n; k++) {
            const ProtobufCMessage *sub = ((const ProtobufCMessage *const *)p)[k];
            if (sub != NULL && validate_numbers(d, sub) < 0)
                return -1;
        }
    }
    return 0;
}

/*
 * Unpack and check a frame; on success the caller frees the result with dec_free(). Re-packing
 * must give the frame's own length: protobuf-c cuts a string at an embedded NUL byte without a
 * word, and a frame that a canonical encoder did not write has no business here either.
 */
static ProtobufCMessage *
dec_unpack(dec_t *d, const ProtobufCMessageDescriptor *desc, const void *buf, size_t len)
{
    ProtobufCMessage *pb;

    if (len > CODEC_MAX_FRAME) {
        dec_fail(d, "frame: %zu bytes (limit %u)", len, CODEC_MAX_FRAME);
        return NULL;
    }
    d->alloc = (ProtobufCAllocator){budget_alloc, budget_free, d};
    d->budget = BUDGET_FACTOR * len + BUDGET_FLOOR;
    pb = protobuf_c_message_unpack(desc, &d->alloc, len, buf);
    if (pb == NULL) {
        if (d->over_budget)
            dec_fail(d, "frame: %zu bytes would need more than %zu bytes of memory", len,
                     BUDGET_FACTOR * len + BUDGET_FLOOR);
        else
            dec_fail(d, "frame: malformed or truncated");
        return NULL;
    }
    if (protobuf_c_message_get_packed_size(pb) != len)
        dec_fail(d, "frame: NUL byte in a string or non-canonical encoding");
    else
        validate(d, pb);
    if (d->failed) {
        protobuf_c_message_free_unpacked(pb, &d->alloc);
        return NULL;
    }
    return pb;
}

static void
dec_free(dec_t *d, ProtobufCMessage *pb)
{
    protobuf_c_message_free_unpacked(pb, &d->alloc);
}

static Permit__Department *
dept_to_pb(enc_t *e, const pm_department_t *dept)
{
    Permit__Department *pb;

    if (dept == NULL)
        return NULL;
    pb = enc_alloc(e, 1, sizeof(*pb));
    permit__department__init(pb);
    pb->code = (char *)dept->code;
    pb->name = (char *)dept->name;
    pb->contact = (char *)dept->contact;
    return pb;
}

static void
dept_from_pb(const Permit__Department *pb, pm_department_t *dept)
{
    dept->code = xstrdup(pb->code);
    dept->name = xstrdup(pb->name);
    dept->contact = xstrdup(pb->contact);
}

static Permit__Template *
template_to_pb(enc_t *e, const pm_template_t *t)
{
    Permit__Template *pb;

    if (t == NULL)
        return NULL;
    pb = enc_alloc(e, 1, sizeof(*pb));
    permit__template__init(pb);
    pb->name = (char *)t->name;
    PB_SET(pb, version, t->version);
    pb->n_procs = t->nprocs;
    pb->procs = enc_alloc(e, t->nprocs, sizeof(*pb->procs));
    for (size_t i = 0; i < t->nprocs; i++) {
        const pm_proctype_t *p = &t->procs[i];
        Permit__ProcType *pp = pb->procs[i] = enc_alloc(e, 1, sizeof(*pp));
        permit__proc_type__init(pp);
        pp->code = (char *)p->code;
        pp->name = (char *)p->name;
        pp->dept = (char *)p->dept;
        PB_SET(pp, limit_days, p->limit_days);
        PB_SET(pp, promised_days, p->promised_days);
        pp->group = (char *)p->group;
    }
    pb->n_edges = t->nedges;
    pb->edges = enc_alloc(e, t->nedges, sizeof(*pb->edges));
    for (size_t i = 0; i < t->nedges; i++) {
        Permit__Edge *pe = pb->edges[i] = enc_alloc(e, 1, sizeof(*pe));
        permit__edge__init(pe);
        pe->from = (char *)t->edges[i].from;
        pe->to = (char *)t->edges[i].to;
        PB_SET(pe, parallel, t->edges[i].parallel);
    }
    pb->n_milestones = t->nmilestones;
    pb->milestones = enc_alloc(e, t->nmilestones, sizeof(*pb->milestones));
    for (size_t i = 0; i < t->nmilestones; i++) {
        Permit__Milestone *pm = pb->milestones[i] = enc_alloc(e, 1, sizeof(*pm));
        permit__milestone__init(pm);
        pm->code = (char *)t->milestones[i].code;
        pm->name = (char *)t->milestones[i].name;
        PB_STRV(pm, members, t->milestones[i].members);
    }
    return pb;
}

static void
template_from_pb(const Permit__Template *pb, pm_template_t *t)
{
    t->name = xstrdup(pb->name);
    t->version = pb->version;
    for (size_t i = 0; i < pb->n_procs; i++) {
        const Permit__ProcType *pp = pb->procs[i];
        pm_proctype_t *p = pm_template_add_proc(t);
        p->code = xstrdup(pp->code);
        p->name = xstrdup(pp->name);
        p->dept = xstrdup(pp->dept);
        p->limit_days = pp->limit_days;
        p->promised_days = pp->promised_days;
        p->group = xstrdup(pp->group);
    }
    for (size_t i = 0; i < pb->n_edges; i++)
        pm_template_add_edge(t, pb->edges[i]->from, pb->edges[i]->to, pb->edges[i]->parallel);
    for (size_t i = 0; i < pb->n_milestones; i++) {
        const Permit__Milestone *pm = pb->milestones[i];
        pm_milestone_t *m = pm_template_add_milestone(t);
        m->code = xstrdup(pm->code);
        m->name = xstrdup(pm->name);
        for (size_t k = 0; k < pm->n_members; k++)
            strv_push(&m->members, pm->members[k]);
    }
}

static Permit__Project *
project_to_pb(enc_t *e, const pm_project_t *p)
{
    Permit__Project *pb;

    if (p == NULL)
        return NULL;
    pb = enc_alloc(e, 1, sizeof(*pb));
    permit__project__init(pb);
    pb->id = (char *)p->id;
    pb->name = (char *)p->name;
    pb->region = (char *)p->region;
    pb->industry = (char *)p->industry;
    pb->company = (char *)p->company;
    pb->steward = (char *)p->steward;
    pb->leader = (char *)p->leader;
    pb->template_name = (char *)p->template_name;
    PB_SET(pb, template_version, p->template_version);
    PB_STRV(pb, not_required, p->not_required);
    PB_SET(pb, start_half, p->start_half);
    PB_SET(pb, year, p->year);
    return pb;
}

static void
project_from_pb(const Permit__Project *pb, pm_project_t *p)
{
    p->id = xstrdup(pb->id);
    p->name = xstrdup(pb->name);
    p->region = xstrdup(pb->region);
    p->industry = xstrdup(pb->industry);
    p->company = xstrdup(pb->company);
    p->steward = xstrdup(pb->steward);
    p->leader = xstrdup(pb->leader);
    p->template_name = xstrdup(pb->template_name);
    p->template_version = pb->template_version;
    for (size_t i = 0; i < pb->n_not_required; i++)
        strv_push(&p->not_required, pb->not_required[i]);
    p->start_half = pb->start_half;
    p->year = pb->year;
}

static Permit__Calendar *
calendar_to_pb(enc_t *e, const pm_calendar_t *c)
{
    Permit__Calendar *pb;

    if (c == NULL)
        return NULL;
    pb = enc_alloc(e, 1, sizeof(*pb));
    permit__calendar__init(pb);
    PB_SET(pb, year, c->year);
    PB_STRV(pb, papers, c->papers);
    pb->n_days = c->ndays;
    pb->days = enc_alloc(e, c->ndays, sizeof(*pb->days));
    for (size_t i = 0; i < c->ndays; i++) {
        Permit__CalendarDay *pd = pb->days[i] = enc_alloc(e, 1, sizeof(*pd));
        permit__calendar_day__init(pd);
        pd->date = c->days[i].date;
        pd->name = c->days[i].name;
        PB_SET(pd, off, c->days[i].off);
    }
    return pb;
}

static pm_calendar_t *
calendar_from_pb(const Permit__Calendar *pb)
{
    pm_calendar_t *c;

    if (pb == NULL)
        return NULL;
    c = pm_calendar_new();
    c->year = pb->year;
    for (size_t i = 0; i < pb->n_papers; i++)
        strv_push(&c->papers, pb->papers[i]);
    for (size_t i = 0; i < pb->n_days; i++) {
        pm_calday_t *day = pm_calendar_add_day(c);
        day->date = xstrdup(pb->days[i]->date);
        day->name = xstrdup(pb->days[i]->name);
        day->off = pb->days[i]->off;
    }
    return c;
}

static Permit__Entry *
entry_to_pb(enc_t *e, const pm_entry_t *en)
{
    Permit__Entry *pb = enc_alloc(e, 1, sizeof(*pb));

    permit__entry__init(pb);
    PB_SET(pb, seq, en->seq);
    pb->kind = (char *)pm_kind_name(en->kind);
    pb->event_id = (char *)en->event_id;
    pb->actor = (char *)en->actor;
    pb->dept = (char *)en->dept;
    pb->project = (char *)en->project;
    pb->procedure = (char *)en->procedure;
    PB_SET(pb, recv_ms, en->recv_ms);
    PB_SET(pb, event_ms, en->event_ms);
    PB_SET(pb, cause, en->cause);
    pb->cert = (char *)en->cert;
    pb->note = (char *)en->note;
    pb->missing = (char *)en->missing;
    PB_SET(pb, due_ms, en->due_ms);
    pb->project_name = (char *)en->project_name;
    pb->procedure_name = (char *)en->procedure_name;
    pb->steward = (char *)en->steward;
    PB_SET(pb, limit_days, en->limit_days);
    pb->milestone = (char *)en->milestone;
    pb->milestone_name = (char *)en->milestone_name;
    pb->department = dept_to_pb(e, en->department);
    pb->template_ = template_to_pb(e, en->template);
    pb->project_info = project_to_pb(e, en->project_info);
    pb->colour = colour_to_pb(en->colour);
    PB_SET(pb, deadline_ms, en->deadline_ms);
    PB_SET(pb, statutory_ms, en->statutory_ms);
    PB_SET(pb, days, en->days);
    PB_SET(pb, provisional, en->provisional);
    PB_SET(pb, at_ms, en->at_ms);
    PB_SET(pb, late, en->late);
    pb->recipient = (char *)en->recipient;
    pb->via = (char *)en->via;
    pb->relay = (char *)en->relay;
    pb->calendar = calendar_to_pb(e, en->calendar);
    return pb;
}

static void
entry_from_pb(dec_t *d, const Permit__Entry *pb, pm_entry_t *en)
{
    if (pm_kind_parse(pb->kind, &en->kind) < 0) {
        dec_unknown(d, "kind", pb->kind);
        return;
    }
    en->seq = pb->seq;
    en->event_id = xstrdup(pb->event_id);
    en->actor = xstrdup(pb->actor);
    en->dept = xstrdup(pb->dept);
    en->project = xstrdup(pb->project);
    en->procedure = xstrdup(pb->procedure);
    en->recv_ms = pb->recv_ms;
    en->event_ms = pb->event_ms;
    en->cause = pb->cause;
    en->cert = xstrdup(pb->cert);
    en->note = xstrdup(pb->note);
    en->missing = xstrdup(pb->missing);
    en->due_ms = pb->due_ms;
    en->project_name = xstrdup(pb->project_name);
    en->procedure_name = xstrdup(pb->procedure_name);
    en->steward = xstrdup(pb->steward);
    en->limit_days = pb->limit_days;
    en->milestone = xstrdup(pb->milestone);
    en->milestone_name = xstrdup(pb->milestone_name);
    if (pb->department != NULL) {
        en->department = xcalloc(1, sizeof(*en->department));
        dept_from_pb(pb->department, en->department);
    }
    if (pb->template_ != NULL) {
        en->template = pm_template_new();
        template_from_pb(pb->template_, en->template);
    }
    if (pb->project_info != NULL) {
        en->project_info = pm_project_new();
        project_from_pb(pb->project_info, en->project_info);
    }
    dec_colour(d, pb->colour, &en->colour);
    en->deadline_ms = pb->deadline_ms;
    en->statutory_ms = pb->statutory_ms;
    en->days = pb->days;
    en->provisional = pb->provisional;
    en->at_ms = pb->at_ms;
    en->late = pb->late;
    en->recipient = xstrdup(pb->recipient);
    en->via = xstrdup(pb->via);
    en->relay = xstrdup(pb->relay);
    en->calendar = calendar_from_pb(pb->calendar);
}

static Permit__Import *
import_to_pb(enc_t *e, const pm_import_t *im)
{
    Permit__Import *pb = enc_alloc(e, 1, sizeof(*pb));

    permit__import__init(pb);
    pb->id = (char *)im->id;
    pb->actor = (char *)im->actor;
    pb->n_depts = im->ndepts;
    pb->depts = enc_alloc(e, im->ndepts, sizeof(*pb->depts));
    for (size_t i = 0; i < im->ndepts; i++)
        pb->depts[i] = dept_to_pb(e, &im->depts[i]);
    pb->template_ = template_to_pb(e, im->template);
    pb->n_projects = im->nprojects;
    pb->projects = enc_alloc(e, im->nprojects, sizeof(*pb->projects));
    for (size_t i = 0; i < im->nprojects; i++)
        pb->projects[i] = project_to_pb(e, &im->projects[i]);
    pb->calendar = calendar_to_pb(e, im->calendar);
    return pb;
}

static void
import_from_pb(const Permit__Import *pb, pm_import_t *im)
{
    im->id = xstrdup(pb->id);
    im->actor = xstrdup(pb->actor);
    for (size_t i = 0; i < pb->n_depts; i++)
        dept_from_pb(pb->depts[i], pm_import_add_dept(im));
    if (pb->template_ != NULL) {
        im->template = pm_template_new();
        template_from_pb(pb->template_, im->template);
    }
    for (size_t i = 0; i < pb->n_projects; i++)
        project_from_pb(pb->projects[i], pm_import_add_project(im));
    im->calendar = calendar_from_pb(pb->calendar);
}

static Permit__Reply *
reply_to_pb(enc_t *e, const pm_reply_t *r)
{
    Permit__Reply *pb = enc_alloc(e, 1, sizeof(*pb));

    permit__reply__init(pb);
    pb->id = (char *)r->id;
    PB_SET(pb, ok, r->ok);
    PB_SET(pb, seq, r->seq);
    PB_SET(pb, count, r->count);
    PB_SET(pb, duplicate, r->duplicate);
    pb->code = (char *)r->code;
    pb->reason = (char *)r->reason;
    PB_SET(pb, retry_after_ms, r->retry_after_ms);
    return pb;
}

static void
reply_from_pb(const Permit__Reply *pb, pm_reply_t *r)
{
    r->id = xstrdup(pb->id);
    r->ok = pb->ok;
    r->seq = pb->seq;
    r->count = pb->count;
    r->duplicate = pb->duplicate;
    r->code = xstrdup(pb->code);
    r->reason = xstrdup(pb->reason);
    r->retry_after_ms = pb->retry_after_ms;
}

static Permit__Query *
query_to_pb(enc_t *e, const pm_query_t *q)
{
    Permit__Query *pb = enc_alloc(e, 1, sizeof(*pb));

    permit__query__init(pb);
    PB_SET(pb, after, q->after);
    PB_SET(pb, limit, q->limit);
    PB_SET(pb, since_ms, q->since_ms);
    pb->project = (char *)q->project;
    pb->dept = (char *)q->dept;
    pb->kind = (char *)q->kind;
    return pb;
}

static void
query_from_pb(const Permit__Query *pb, pm_query_t *q)
{
    q->after = pb->after;
    q->limit = pb->limit;
    q->since_ms = pb->since_ms;
    q->project = xstrdup(pb->project);
    q->dept = xstrdup(pb->dept);
    q->kind = xstrdup(pb->kind);
}

static Permit__Page *
page_to_pb(enc_t *e, const pm_page_t *pg)
{
    Permit__Page *pb = enc_alloc(e, 1, sizeof(*pb));

    permit__page__init(pb);
    pb->n_entries = pg->n;
    pb->entries = enc_alloc(e, pg->n, sizeof(*pb->entries));
    for (size_t i = 0; i < pg->n; i++)
        pb->entries[i] = entry_to_pb(e, pg->entries[i]);
    PB_SET(pb, head, pg->head);
    PB_SET(pb, more, pg->more);
    return pb;
}

static void
page_from_pb(dec_t *d, const Permit__Page *pb, pm_page_t *pg)
{
    for (size_t i = 0; i < pb->n_entries && !d->failed; i++) {
        pm_entry_t *en = pm_entry_new(PM_KIND_ACCEPTED);
        pm_page_add(pg, &en);
        entry_from_pb(d, pb->entries[i], pg->entries[pg->n - 1]);
    }
    pg->head = pb->head;
    pg->more = pb->more;
}

static Permit__ProcStatus *
procstatus_to_pb(enc_t *e, const pm_procstatus_t *ps)
{
    Permit__ProcStatus *pb = enc_alloc(e, 1, sizeof(*pb));

    permit__proc_status__init(pb);
    pb->code = (char *)ps->code;
    pb->name = (char *)ps->name;
    pb->dept = (char *)ps->dept;
    pb->group = (char *)ps->group;
    pb->state = (char *)pm_state_name(ps->state);
    PB_SET(pb, limit_days, ps->limit_days);
    PB_SET(pb, deficient, ps->deficient);
    pb->cert = (char *)ps->cert;
    PB_SET(pb, updated_seq, ps->updated_seq);
    PB_SET(pb, updated_ms, ps->updated_ms);
    pb->n_blockers = ps->nblockers;
    pb->blockers = enc_alloc(e, ps->nblockers, sizeof(*pb->blockers));
    for (size_t i = 0; i < ps->nblockers; i++) {
        const pm_blocker_t *b = &ps->blockers[i];
        Permit__Blocker *pbb = pb->blockers[i] = enc_alloc(e, 1, sizeof(*pbb));
        permit__blocker__init(pbb);
        pbb->code = (char *)b->code;
        pbb->name = (char *)b->name;
        pbb->dept = (char *)b->dept;
        pbb->state = (char *)pm_state_name(b->state);
        PB_SET(pbb, parallel, b->parallel);
    }
    PB_SET(pb, promised_days, ps->promised_days);
    pb->colour = colour_to_pb(ps->colour);
    PB_SET(pb, deadline_ms, ps->deadline_ms);
    PB_SET(pb, statutory_ms, ps->statutory_ms);
    PB_SET(pb, days, ps->days);
    PB_SET(pb, provisional, ps->provisional);
    PB_SET(pb, paused, ps->paused);
    PB_SET(pb, commitment_ms, ps->commitment_ms);
    pb->missing = (char *)ps->missing;
    PB_SET(pb, finish_days, ps->finish_days);
    PB_SET(pb, critical, ps->critical);
    return pb;
}

static void
procstatus_from_pb(dec_t *d, const Permit__ProcStatus *pb, pm_procstatus_t *ps)
{
    ps->code = xstrdup(pb->code);
    ps->name = xstrdup(pb->name);
    ps->dept = xstrdup(pb->dept);
    ps->group = xstrdup(pb->group);
    dec_state(d, pb->state, &ps->state);
    ps->limit_days = pb->limit_days;
    ps->deficient = pb->deficient;
    ps->cert = xstrdup(pb->cert);
    ps->updated_seq = pb->updated_seq;
    ps->updated_ms = pb->updated_ms;
    for (size_t i = 0; i < pb->n_blockers; i++) {
        const Permit__Blocker *pbb = pb->blockers[i];
        pm_blocker_t *b = pm_procstatus_add_blocker(ps);
        b->code = xstrdup(pbb->code);
        b->name = xstrdup(pbb->name);
        b->dept = xstrdup(pbb->dept);
        dec_state(d, pbb->state, &b->state);
        b->parallel = pbb->parallel;
    }
    ps->promised_days = pb->promised_days;
    dec_colour(d, pb->colour, &ps->colour);
    ps->deadline_ms = pb->deadline_ms;
    ps->statutory_ms = pb->statutory_ms;
    ps->days = pb->days;
    ps->provisional = pb->provisional;
    ps->paused = pb->paused;
    ps->commitment_ms = pb->commitment_ms;
    ps->missing = xstrdup(pb->missing);
    ps->finish_days = pb->finish_days;
    ps->critical = pb->critical;
}

static Permit__Status *
status_to_pb(enc_t *e, const pm_status_t *st)
{
    Permit__Status *pb = enc_alloc(e, 1, sizeof(*pb));

    permit__status__init(pb);
    pb->project = project_to_pb(e, st->project);
    pb->n_procs = st->nprocs;
    pb->procs = enc_alloc(e, st->nprocs, sizeof(*pb->procs));
    for (size_t i = 0; i < st->nprocs; i++)
        pb->procs[i] = procstatus_to_pb(e, &st->procs[i]);
    PB_STRV(pb, milestones, st->milestones);
    pb->colour = colour_to_pb(st->colour);
    PB_SET(pb, due_ms, st->due_ms);
    PB_SET(pb, days, st->days);
    PB_SET(pb, critical_days, st->critical_days);
    return pb;
}

static void
status_from_pb(dec_t *d, const Permit__Status *pb, pm_status_t *st)
{
    if (pb->project != NULL) {
        st->project = pm_project_new();
        project_from_pb(pb->project, st->project);
    }
    for (size_t i = 0; i < pb->n_procs && !d->failed; i++)
        procstatus_from_pb(d, pb->procs[i], pm_status_add_proc(st));
    for (size_t i = 0; i < pb->n_milestones; i++)
        strv_push(&st->milestones, pb->milestones[i]);
    dec_colour(d, pb->colour, &st->colour);
    st->due_ms = pb->due_ms;
    st->days = pb->days;
    st->critical_days = pb->critical_days;
}

static Permit__ListRequest *
listreq_to_pb(enc_t *e, const pm_listreq_t *q)
{
    Permit__ListRequest *pb = enc_alloc(e, 1, sizeof(*pb));

    permit__list_request__init(pb);
    pb->colour = q->colour;
    pb->dept = q->dept;
    pb->region = q->region;
    pb->project = q->project;
    PB_SET(pb, blocked, q->blocked);
    return pb;
}

static void
listreq_from_pb(const Permit__ListRequest *pb, pm_listreq_t *q)
{
    q->colour = xstrdup(pb->colour);
    q->dept = xstrdup(pb->dept);
    q->region = xstrdup(pb->region);
    q->project = xstrdup(pb->project);
    q->blocked = pb->blocked;
}

static Permit__List *
list_to_pb(enc_t *e, const pm_list_t *l)
{
    Permit__List *pb = enc_alloc(e, 1, sizeof(*pb));

    permit__list__init(pb);
    pb->n_rows = l->n;
    pb->rows = enc_alloc(e, l->n, sizeof(*pb->rows));
    for (size_t i = 0; i < l->n; i++) {
        const pm_listrow_t *r = &l->rows[i];
        Permit__ListRow *pr = pb->rows[i] = enc_alloc(e, 1, sizeof(*pr));
        permit__list_row__init(pr);
        pr->project = r->project;
        pr->project_name = r->project_name;
        pr->region = r->region;
        pr->steward = r->steward;
        pr->procedure = procstatus_to_pb(e, &r->ps);
    }
    PB_SET(pb, now_ms, l->now_ms);
    return pb;
}

static void
list_from_pb(dec_t *d, const Permit__List *pb, pm_list_t *l)
{
    for (size_t i = 0; i < pb->n_rows && !d->failed; i++) {
        const Permit__ListRow *pr = pb->rows[i];
        pm_listrow_t *r = pm_list_add_row(l);
        r->project = xstrdup(pr->project);
        r->project_name = xstrdup(pr->project_name);
        r->region = xstrdup(pr->region);
        r->steward = xstrdup(pr->steward);
        if (pr->procedure == NULL)
            dec_fail(d, "list: a row without its procedure");
        else
            procstatus_from_pb(d, pr->procedure, &r->ps);
    }
    l->now_ms = pb->now_ms;
}

/* The body msg->type uses, or NULL when it is missing. A heartbeat is only a number. */
static const void *
msg_body(const pm_msg_t *msg)
{
    switch (msg->type) {
    case PM_MSG_EVENT:
    case PM_MSG_ENTRY:
        return msg->entry;
    case PM_MSG_IMPORT:
        return msg->import;
    case PM_MSG_REPLY:
        return msg->reply;
    case PM_MSG_QUERY:
        return msg->query;
    case PM_MSG_PAGE:
        return msg->page;
    case PM_MSG_STATUS_REQ:
        return msg->status_project;
    case PM_MSG_STATUS:
        return msg->status;
    case PM_MSG_HEARTBEAT:
        return &msg->head;
    case PM_MSG_PING:
        return msg->agent;
    case PM_MSG_CLOCK_SET:
        return &msg->clock_ms;
    case PM_MSG_LIST_REQ:
        return msg->listreq;
    case PM_MSG_LIST:
        return msg->list;
    default:
        return NULL;
    }
}

int
codec_encode(const pm_msg_t *msg, uint8_t **out, size_t *outlen)
{
    Permit__Envelope pb = PERMIT__ENVELOPE__INIT;
    Permit__StatusRequest *sr;
    Permit__Heartbeat *hb;
    Permit__Ping *ping;
    Permit__ClockSet *cs;
    enc_t e = {0};

    if (msg_body(msg) == NULL) {
        log_warnx("codec: %s message without its body not encoded",
                  (unsigned)msg->type < PM_MSG__COUNT ? body_names[msg->type] : "unknown");
        return -1;
    }
    pb.has_version = true;
    pb.version = msg->version != 0 ? msg->version : PM_PROTOCOL_VERSION;
    pb.time_zone = msg->time_zone;
    switch (msg->type) {
    case PM_MSG_EVENT:
        pb.body_case = PERMIT__ENVELOPE__BODY_EVENT;
        pb.event = entry_to_pb(&e, msg->entry);
        break;
    case PM_MSG_IMPORT:
        pb.body_case = PERMIT__ENVELOPE__BODY_IMPORT;
        pb.import = import_to_pb(&e, msg->import);
        break;
    case PM_MSG_REPLY:
        pb.body_case = PERMIT__ENVELOPE__BODY_REPLY;
        pb.reply = reply_to_pb(&e, msg->reply);
        break;
    case PM_MSG_ENTRY:
        pb.body_case = PERMIT__ENVELOPE__BODY_ENTRY;
        pb.entry = entry_to_pb(&e, msg->entry);
        break;
    case PM_MSG_QUERY:
        pb.body_case = PERMIT__ENVELOPE__BODY_QUERY;
        pb.query = query_to_pb(&e, msg->query);
        break;
    case PM_MSG_PAGE:
        pb.body_case = PERMIT__ENVELOPE__BODY_PAGE;
        pb.page = page_to_pb(&e, msg->page);
        break;
    case PM_MSG_STATUS_REQ:
        pb.body_case = PERMIT__ENVELOPE__BODY_STATUS_REQ;
        pb.status_req = sr = enc_alloc(&e, 1, sizeof(*sr));
        permit__status_request__init(sr);
        sr->project = msg->status_project;
        break;
    case PM_MSG_STATUS:
        pb.body_case = PERMIT__ENVELOPE__BODY_STATUS;
        pb.status = status_to_pb(&e, msg->status);
        break;
    case PM_MSG_HEARTBEAT:
        pb.body_case = PERMIT__ENVELOPE__BODY_HEARTBEAT;
        pb.heartbeat = hb = enc_alloc(&e, 1, sizeof(*hb));
        permit__heartbeat__init(hb);
        PB_SET(hb, head, msg->head);
        break;
    case PM_MSG_PING:
        pb.body_case = PERMIT__ENVELOPE__BODY_PING;
        pb.ping = ping = enc_alloc(&e, 1, sizeof(*ping));
        permit__ping__init(ping);
        ping->agent = msg->agent;
        break;
    case PM_MSG_CLOCK_SET:
        pb.body_case = PERMIT__ENVELOPE__BODY_CLOCK_SET;
        pb.clock_set = cs = enc_alloc(&e, 1, sizeof(*cs));
        permit__clock_set__init(cs);
        PB_SET(cs, clock_ms, msg->clock_ms);
        break;
    case PM_MSG_LIST_REQ:
        pb.body_case = PERMIT__ENVELOPE__BODY_LIST_REQ;
        pb.list_req = listreq_to_pb(&e, msg->listreq);
        break;
    case PM_MSG_LIST:
        pb.body_case = PERMIT__ENVELOPE__BODY_LIST;
        pb.list = list_to_pb(&e, msg->list);
        break;
    default:
        break; /* msg_body() refused it */
    }
    enc_pack(&e, &pb.base, out, outlen);
    return 0;
}

int
codec_decode(const void *buf, size_t len, pm_msg_t **out, char *why, size_t whylen)
{
    dec_t d = {.why = why, .whylen = whylen};
    Permit__Envelope *pb;
    pm_msg_t *msg;

    pb = (Permit__Envelope *)dec_unpack(&d, &permit__envelope__descriptor, buf, len);
    if (pb == NULL)
        return -1;
    if ((pb->body_case == PERMIT__ENVELOPE__BODY_EVENT ||
         pb->body_case == PERMIT__ENVELOPE__BODY_IMPORT ||
         pb->body_case == PERMIT__ENVELOPE__BODY_QUERY ||
         pb->body_case == PERMIT__ENVELOPE__BODY_CLOCK_SET) &&
        validate_numbers(&d, &pb->base) < 0) {
        dec_free(&d, &pb->base);
        return -1;
    }
    msg = pm_msg_new(PM_MSG_HEARTBEAT);
    msg->version = pb->version;
    msg->time_zone = xstrdup(pb->time_zone);
    switch (pb->body_case) {
    case PERMIT__ENVELOPE__BODY_EVENT:
    case PERMIT__ENVELOPE__BODY_ENTRY:
        msg->type = pb->body_case == PERMIT__ENVELOPE__BODY_EVENT ? PM_MSG_EVENT : PM_MSG_ENTRY;
        d.what = body_names[msg->type];
        msg->entry = pm_entry_new(PM_KIND_ACCEPTED);
        entry_from_pb(&d, pb->body_case == PERMIT__ENVELOPE__BODY_EVENT ? pb->event : pb->entry,
                      msg->entry);
        break;
    case PERMIT__ENVELOPE__BODY_IMPORT:
        msg->type = PM_MSG_IMPORT;
        msg->import = xcalloc(1, sizeof(*msg->import));
        import_from_pb(pb->import, msg->import);
        break;
    case PERMIT__ENVELOPE__BODY_REPLY:
        msg->type = PM_MSG_REPLY;
        msg->reply = xcalloc(1, sizeof(*msg->reply));
        reply_from_pb(pb->reply, msg->reply);
        break;
    case PERMIT__ENVELOPE__BODY_QUERY:
        msg->type = PM_MSG_QUERY;
        msg->query = xcalloc(1, sizeof(*msg->query));
        query_from_pb(pb->query, msg->query);
        break;
    case PERMIT__ENVELOPE__BODY_PAGE:
        msg->type = PM_MSG_PAGE;
        d.what = "page";
        msg->page = xcalloc(1, sizeof(*msg->page));
        page_from_pb(&d, pb->page, msg->page);
        break;
    case PERMIT__ENVELOPE__BODY_STATUS_REQ:
        msg->type = PM_MSG_STATUS_REQ;
        msg->status_project = xstrdup(pb->status_req->project);
        if (msg->status_project == NULL)
            dec_fail(&d, "status_req: no project");
        break;
    case PERMIT__ENVELOPE__BODY_STATUS:
        msg->type = PM_MSG_STATUS;
        d.what = "status";
        msg->status = pm_status_new();
        status_from_pb(&d, pb->status, msg->status);
        break;
    case PERMIT__ENVELOPE__BODY_HEARTBEAT:
        msg->type = PM_MSG_HEARTBEAT;
        msg->head = pb->heartbeat->head;
        break;
    case PERMIT__ENVELOPE__BODY_PING:
        msg->type = PM_MSG_PING;
        msg->agent = xstrdup(pb->ping->agent);
        if (msg->agent == NULL)
            dec_fail(&d, "ping: no agent");
        break;
    case PERMIT__ENVELOPE__BODY_CLOCK_SET:
        msg->type = PM_MSG_CLOCK_SET;
        msg->clock_ms = pb->clock_set->clock_ms;
        break;
    case PERMIT__ENVELOPE__BODY_LIST_REQ:
        msg->type = PM_MSG_LIST_REQ;
        msg->listreq = xcalloc(1, sizeof(*msg->listreq));
        listreq_from_pb(pb->list_req, msg->listreq);
        break;
    case PERMIT__ENVELOPE__BODY_LIST:
        msg->type = PM_MSG_LIST;
        d.what = "list";
        msg->list = xcalloc(1, sizeof(*msg->list));
        list_from_pb(&d, pb->list, msg->list);
        break;
    default:
        dec_fail(&d, "envelope: no body");
        break;
    }
    dec_free(&d, &pb->base);
    if (d.failed) {
        pm_msg_destroy(&msg);
        return -1;
    }
    *out = msg;
    return 0;
}

int
codec_encode_entry(const pm_entry_t *entry, uint8_t **out, size_t *outlen)
{
    enc_t e = {0};
    Permit__Entry *pb;

    if (entry == NULL) {
        log_warnx("codec: no entry to encode");
        return -1;
    }
    pb = entry_to_pb(&e, entry);
    enc_pack(&e, &pb->base, out, outlen);
    return 0;
}

int
codec_decode_entry(const void *buf, size_t len, pm_entry_t **out, char *why, size_t whylen)
{
    dec_t d = {.what = "entry", .why = why, .whylen = whylen};
    Permit__Entry *pb;
    pm_entry_t *en;

    pb = (Permit__Entry *)dec_unpack(&d, &permit__entry__descriptor, buf, len);
    if (pb == NULL)
        return -1;
    en = pm_entry_new(PM_KIND_ACCEPTED);
    entry_from_pb(&d, pb, en);
    dec_free(&d, &pb->base);
    if (d.failed) {
        pm_entry_destroy(&en);
        return -1;
    }
    *out = en;
    return 0;
}

/* Read a base-128 varint; the number of bytes used, or 0 if truncated or too long. */
static size_t
read_varint(const uint8_t *p, size_t len, uint64_t *out)
{
    uint64_t v = 0;

    for (size_t i = 0; i < len && i < 10; i++) {
        v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if ((p[i] & 0x80) == 0) {
            *out = v;
            return i + 1;
        }
    }
    return 0;
}

/*
 * Find top-level field `field` of the message in p, walking only as far as its first
 * occurrence (what follows may be garbage): a varint's value in *v, a length-delimited
 * field's bytes in *at and *n. 0 when found, -1 when absent or the walk breaks before it.
 * With cut, a length-delimited field cut short by the end of p is found with the bytes there
 * are (a truncated frame's body may still hold a whole id).
 */
static int
peek_field(const uint8_t *p, size_t len, uint64_t field, bool cut, uint64_t *v, const uint8_t **at,
           size_t *n)
{
    size_t pos = 0;

    /* Skip the other fields by wire type. */
    while (pos < len) {
        uint64_t key, val;
        size_t k = read_varint(p + pos, len - pos, &key);
        if (k == 0)
            return -1;
        pos += k;
        switch (key & 7) {
        case 0: /* varint */
            k = read_varint(p + pos, len - pos, &val);
            if (k == 0)
                return -1;
            pos += k;
            if (key == (field << 3 | 0)) {
                *v = val;
                return 0;
            }
            break;
        case 1: /* 64-bit */
            if (len - pos < 8)
                return -1;
            pos += 8;
            break;
        case 2: /* length-delimited */
            k = read_varint(p + pos, len - pos, &val);
            if (k == 0)
                return -1;
            if (cut && key == (field << 3 | 2) && val > len - pos - k)
                val = len - pos - k;
            if (val > len - pos - k)
                return -1;
            if (key == (field << 3 | 2)) {
                *at = p + pos + k;
                *n = (size_t)val;
                return 0;
            }
            pos += k + val;
            break;
        case 5: /* 32-bit */
            if (len - pos < 4)
                return -1;
            pos += 4;
            break;
        default:
            return -1;
        }
    }
    return -1;
}

/*
 * A frame announcing another version must be an envelope before it is answered "version":
 * about 0.6% of random frames happen to begin with a varint field 1, and those are garbage
 * ("malformed"), not a newer peer. So such a frame must unpack and pass validate() whole;
 * only the body may be one this codec cannot convert (a newer peer's new message type). A
 * frame that announces our own version is not unpacked twice: its decode follows.
 */
int
codec_peek_version(const void *buf, size_t len, uint32_t *version)
{
    dec_t d = {0};
    ProtobufCMessage *pb;
    uint64_t v = 0;
    const uint8_t *at;
    size_t n;

    if (peek_field(buf, len, 1, false, &v, &at, &n) != 0)
        return -1;
    if (v != PM_PROTOCOL_VERSION) {
        pb = dec_unpack(&d, &permit__envelope__descriptor, buf, len);
        if (pb == NULL)
            return -1;
        dec_free(&d, pb);
    }
    *version = (uint32_t)v;
    return 0;
}

int
codec_peek_id(const void *buf, size_t len, char *id, size_t idlen)
{
    /* Envelope.event (2) holds Entry.event_id (3); Envelope.import (3) holds Import.id (1). */
    static const uint64_t paths[][2] = {{2, 3}, {3, 1}};
    const uint8_t *body, *s = NULL;
    size_t bodylen, slen = 0;
    uint64_t v;

    for (size_t i = 0; i < ARRAY_LEN(paths) && s == NULL; i++)
        if (peek_field(buf, len, paths[i][0], true, &v, &body, &bodylen) == 0 &&
            peek_field(body, bodylen, paths[i][1], false, &v, &s, &slen) != 0)
            s = NULL;
    if (s == NULL || slen == 0 || slen > CODEC_MAX_ID || slen >= idlen ||
        memchr(s, '\0', slen) != NULL || !util_utf8_valid((const char *)s, slen))
        return -1;
    memcpy(id, s, slen);
    id[slen] = '\0';
    return 0;
}
