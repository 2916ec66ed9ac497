/*
 * model: the domain as plain C structs, shared by every program.
 *
 * Owns the names of procedure states and log entry kinds, and the structs for departments,
 * templates, projects, log entries and the messages exchanged with the broker. The wire
 * encoding of these structs lives in proto/codec.h; nobody else sees generated code.
 *
 * Ownership: every char * and array inside a struct is owned by that struct and freed by its
 * destroy/clear function. Strings are UTF-8.
 */
#ifndef PERMIT_MODEL_H
#define PERMIT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* The protocol version every envelope carries; a peer with another version is refused. */
#define PM_PROTOCOL_VERSION 1

/*
 * The ranges of the numbers a peer or a file may give, so no absurd value (a time of INT64_MIN,
 * a limit of 4294967295 days) reaches the engine's arithmetic. Checked in one place each, with
 * these same bounds: the codec's decode of what is sent to the broker (proto/codec.c) and
 * `permitctl import` for files (ctl/ctl_import.c).
 */
/* Times in ms since 1970 (UTC): 0 is none; none after 9999-12-31T23:59:59.999Z. */
#define PM_TIME_MAX_MS 253402300799999LL
/* Sequence numbers, counts of entries: the log's key is a signed 64-bit integer. */
#define PM_SEQ_MAX INT64_MAX
/* A procedure's statutory limit in working days; its promised limit is 1 to this (0: none). */
#define PM_LIMIT_DAYS_MIN 1
#define PM_LIMIT_DAYS_MAX 3650
/* A project's planned start: half 1 or 2 (0: not planned), in a year of this range (0: none). */
#define PM_START_HALF_MAX 2
#define PM_PROJECT_YEAR_MIN 2000
#define PM_PROJECT_YEAR_MAX 2200
/* The years the working-day calendar can hold. */
#define PM_CAL_YEAR_MIN 1970
#define PM_CAL_YEAR_MAX 2200
/* Template versions, which the broker counts up from 1. */
#define PM_TEMPLATE_VERSION_MAX 1000000

/* Procedure states. */
typedef enum pm_state {
    PM_STATE_BLOCKED,      /* prerequisites not yet satisfied */
    PM_STATE_READY,        /* may be applied for */
    PM_STATE_ACCEPTED,     /* 受理: the clock runs */
    PM_STATE_DEFICIENT,    /* 容缺受理: accepted on a commitment to supply something */
    PM_STATE_SUPPLEMENT,   /* 补正: more material requested, the clock pauses */
    PM_STATE_APPROVED,     /* 办结 */
    PM_STATE_REJECTED,     /* 不予许可: the applicant may apply again */
    PM_STATE_NOT_REQUIRED, /* 无需办理: counts as done */
    PM_STATE_WITHDRAWN,    /* the applicant withdrew; may apply again */
    PM_STATE__COUNT
} pm_state_t;

/* Log entry kinds: department events, administrative entries and derived entries. */
typedef enum pm_kind {
    PM_KIND_ACCEPTED,
    PM_KIND_ACCEPTED_DEFICIENT,
    PM_KIND_SUPPLEMENT_REQUESTED,
    PM_KIND_SUPPLEMENT_RECEIVED,
    PM_KIND_COMMITMENT_FULFILLED,
    PM_KIND_APPROVED,
    PM_KIND_REJECTED,
    PM_KIND_NOT_REQUIRED,
    PM_KIND_WITHDRAWN,
    PM_KIND_REOPENED,   /* operator correction: a wrong approval, rejection or "not required" undone
                         */
    PM_KIND_EXTENDED,   /* operator correction: a lawful extension of a time limit (days) */
    PM_KIND_DEPARTMENT, /* administrative: a department registered or changed */
    PM_KIND_TEMPLATE,   /* administrative: a template version loaded */
    PM_KIND_PROJECT,    /* administrative: a project registered */
    PM_KIND_CALENDAR,   /* administrative: a year of the working-day calendar loaded */
    PM_KIND_ALERT_ACK,  /* administrative: someone acknowledged the alert logged at cause */
    PM_KIND_UNBLOCKED,  /* derived: a procedure's prerequisites became satisfied */
    PM_KIND_BLOCKED,    /* derived: a ready procedure lost a prerequisite again */
    PM_KIND_MILESTONE,  /* derived: a project reached a named milestone */
    PM_KIND_DEADLINE,   /* derived: a deadline recomputed (a calendar year arrived) */
    PM_KIND_COLOUR,     /* derived: a procedure turned green, yellow or red */
    PM_KIND_COMMITMENT_DUE,      /* derived: a commitment (容缺) is due soon: reminder */
    PM_KIND_COMMITMENT_BREACHED, /* derived: a commitment's due date passed unfulfilled */
    PM_KIND_PROJECT_COLOUR,      /* derived: a project's due date turned yellow or red */
    PM_KIND_AGENT_SILENT,        /* derived: a department agent stopped answering */
    PM_KIND_AGENT_BACK,          /* derived: a silent department agent is back */
    PM_KIND__COUNT
} pm_kind_t;

#define PM_KIND_LAST_EVENT PM_KIND_EXTENDED

/* Colours of the warning system (红黄绿预警); none for a procedure whose clock is not running. */
typedef enum pm_colour {
    PM_COLOUR_NONE,
    PM_COLOUR_GREEN,
    PM_COLOUR_YELLOW,
    PM_COLOUR_RED,
    PM_COLOUR__COUNT
} pm_colour_t;

const char *pm_colour_name(pm_colour_t c);
int pm_colour_parse(const char *name, pm_colour_t *out);

const char *pm_state_name(pm_state_t s);
int pm_state_parse(const char *name, pm_state_t *out);
/* Done means approved or not required: what hard prerequisites and completion rates count. */
bool pm_state_done(pm_state_t s);
/* Started means the department took the application in (what parallel prerequisites need). */
bool pm_state_started(pm_state_t s);

const char *pm_kind_name(pm_kind_t k);
int pm_kind_parse(const char *name, pm_kind_t *out);
bool pm_kind_is_event(pm_kind_t k);
/* Corrections only an operator may log, with a reason (reopened, extended). */
bool pm_kind_is_correction(pm_kind_t k);
/* The events an operator may log: the corrections, and not_required. The others come from the
 * department that owns the procedure. */
bool pm_kind_is_operators(pm_kind_t k);
bool pm_kind_is_derived(pm_kind_t k);

/* The longest code or id, in bytes. */
#define PM_CODE_MAX 128
/*
 * Whether a code or id (department, procedure, milestone, template, project) is well-formed:
 * 1 to PM_CODE_MAX bytes, none of them a blank, a control character, '/', ';', ',' or ':'.
 * Codes name things in topics and in ';'-separated CSV lists. The broker refuses an import
 * that breaks this rule and `permitctl import` checks files with it, so both say the same.
 */
bool pm_code_valid(const char *s);

/* Machine-readable refusal codes sent in a nack. */
#define PM_REFUSE_MALFORMED "malformed"
#define PM_REFUSE_VERSION "version"
#define PM_REFUSE_INVALID "invalid"
#define PM_REFUSE_UNKNOWN_PROJECT "unknown_project"
#define PM_REFUSE_UNKNOWN_PROCEDURE "unknown_procedure"
#define PM_REFUSE_UNKNOWN_DEPARTMENT "unknown_department"
#define PM_REFUSE_UNKNOWN_TEMPLATE "unknown_template"
#define PM_REFUSE_NOT_OWNER "not_owner"
#define PM_REFUSE_TRANSITION "forbidden_transition"
#define PM_REFUSE_PREREQUISITES "prerequisites"
#define PM_REFUSE_CYCLE "template_cycle"
#define PM_REFUSE_EXISTS "exists"
#define PM_REFUSE_UNSUPPORTED "unsupported"
#define PM_REFUSE_STORAGE "storage" /* temporary: resend later */
/* Temporary: over the sender's quota; resend after the reply's retry_after_ms. */
#define PM_REFUSE_BUSY "busy"
#define PM_REFUSE_UNAUTHORIZED "unauthorized" /* no trusted key (CURVE): revoked or unknown */
#define PM_REFUSE_FORBIDDEN "forbidden"       /* the key's role or identity may not do this */
/* The sender already used this id for an event with other content (permanent): a new event
 * needs a new id. The same content again is a duplicate, acked with the original seq. */
#define PM_REFUSE_CONFLICT "conflict"

/*
 * The words people read for states, kinds, colours and refusal codes, in one table each, used
 * alike by permitctl, the report and bulletin, the notifier and the web console. Machine
 * outputs (--json, CSV keys, topics, exit statuses) keep the names above.
 */
typedef enum pm_lang { PM_LANG_EN, PM_LANG_ZH, PM_LANG__COUNT } pm_lang_t;

const char *pm_state_label(pm_state_t s, pm_lang_t lang);
const char *pm_kind_label(pm_kind_t k, pm_lang_t lang);
const char *pm_colour_label(pm_colour_t c, pm_lang_t lang);
/* The label of a PM_REFUSE_* code; an unknown code is returned as it is. */
const char *pm_refuse_label(const char *code, pm_lang_t lang);

typedef struct pm_department {
    char *code;
    char *name;
    char *contact;
} pm_department_t;

typedef struct pm_proctype {
    char *code;
    char *name;
    char *dept;             /* owning department code */
    uint32_t limit_days;    /* statutory limit in working days */
    uint32_t promised_days; /* the department's promised limit; 0 means the statutory one */
    char *group;            /* joint-review group, NULL or "" for none */
} pm_proctype_t;

/* An edge: procedure `to` needs procedure `from`. */
typedef struct pm_edge {
    char *from;
    char *to;
    bool parallel; /* needs `from` accepted (串联改并联) rather than approved */
} pm_edge_t;

typedef struct pm_milestone {
    char *code;
    char *name;
    strv_t members; /* procedure codes; empty means every procedure of the project */
} pm_milestone_t;

typedef struct pm_template {
    char *name;
    uint32_t version; /* assigned by the broker when loaded */
    pm_proctype_t *procs;
    size_t nprocs;
    pm_edge_t *edges;
    size_t nedges;
    pm_milestone_t *milestones;
    size_t nmilestones;
} pm_template_t;

typedef struct pm_project {
    char *id;
    char *name;
    char *region;
    char *industry;
    char *company;
    char *steward; /* 项目管家 */
    char *leader;  /* 包联领导 */
    char *template_name;
    uint32_t template_version; /* bound by the broker at registration */
    strv_t not_required;       /* procedure codes marked not required at registration */
    uint32_t start_half;       /* planned start: 1 first half, 2 second half, 0 not planned */
    uint32_t year;             /* the year of the planned start; 0: the registration's year */
} pm_project_t;

/* One listed day of a working-day calendar: a holiday, or a weekend day worked (调休). */
typedef struct pm_calday {
    char *date; /* YYYY-MM-DD */
    char *name;
    bool off;
} pm_calday_t;

/* A year of the calendar, as the official arrangement lists it. */
typedef struct pm_calendar {
    uint32_t year;
    strv_t papers; /* the State Council documents it comes from */
    pm_calday_t *days;
    size_t ndays;
} pm_calendar_t;

/*
 * One log entry. A department event travels as an entry with seq 0; the broker fills seq,
 * actor and recv_ms. Which optional parts are set depends on kind.
 */
typedef struct pm_entry {
    uint64_t seq;
    pm_kind_t kind;
    char *event_id;   /* the sender's id; NULL for derived entries */
    char *actor;      /* who: a department code, "operator:NAME" or "broker" */
    char *dept;       /* the department concerned (the procedure's owner) */
    char *project;    /* project id */
    char *procedure;  /* procedure code */
    int64_t recv_ms;  /* the broker's receive time */
    int64_t event_ms; /* the department's own claimed time, 0 if none */
    uint64_t cause;   /* derived entries: seq of the entry that caused it */
    /* Department events. */
    char *cert;     /* certificate number (approved) */
    char *note;     /* free text */
    char *missing;  /* accepted_deficient: the missing item */
    int64_t due_ms; /* accepted_deficient: commitment due date */
    /* Derived entries, self-contained for subscribers. */
    char *project_name;
    char *procedure_name;
    char *steward;
    uint32_t limit_days;
    char *milestone; /* milestone code */
    char *milestone_name;
    /* The clock. */
    pm_colour_t colour;   /* colour entries: the new colour */
    int64_t deadline_ms;  /* end of the promised limit's last working day */
    int64_t statutory_ms; /* end of the statutory limit's last working day */
    int32_t days;         /* red: working days over; otherwise working days left */
    bool provisional;     /* the deadline counts days of a year whose calendar is not loaded */
    int64_t at_ms;        /* when a clock transition took effect (it may be logged later) */
    bool late;            /* the event's claimed time is much older than its arrival */
    /* Administrative entries: exactly one is set, by kind. */
    pm_department_t *department;
    pm_template_t *template;
    pm_project_t *project_info;
    pm_calendar_t *calendar;
    /* alert_ack: the alert acknowledged is the entry at cause. */
    char *recipient; /* who acknowledged it: the recipient the alert went to */
    char *via;       /* PM_ACK_VIA_WEB, _CLI or _WEBHOOK */
    char *relay;     /* the key that sent it, "ROLE:NAME" (the broker fills it in) */
} pm_entry_t;

/*
 * An alert's acknowledgement is logged once per alert: under the sender PM_ACK_ACTOR with the
 * id "ack:SEQ" (PM_ACK_ID), so the log's one-id-per-sender rule keeps a second ack of the same
 * alert out, whoever sends it; the broker answers it as a duplicate of the first.
 */
#define PM_ACK_ACTOR "ack"
#define PM_ACK_ID "ack:%llu"
#define PM_ACK_VIA_WEB "web"
#define PM_ACK_VIA_CLI "cli"
#define PM_ACK_VIA_WEBHOOK "webhook" /* a webhook's reply to the notifier ({"ack": true}) */
/* The longest recipient of an ack, in bytes (a contact's name or "dept:CODE"). */
#define PM_ACK_RECIPIENT_MAX 128

/* An administrative import: departments, or one template, or projects. */
typedef struct pm_import {
    char *id;
    char *actor;
    pm_department_t *depts;
    size_t ndepts;
    pm_template_t *template;
    pm_project_t *projects;
    size_t nprojects;
    pm_calendar_t *calendar;
} pm_import_t;

/* The broker's answer to an event or import: an ack (ok) or a nack (code, reason). */
typedef struct pm_reply {
    char *id;
    bool ok;
    uint64_t seq;            /* ack: the (first) entry's sequence number */
    uint32_t count;          /* ack: entries appended */
    bool duplicate;          /* ack: the id was seen before; seq is the original */
    char *code;              /* nack: PM_REFUSE_* */
    char *reason;            /* nack: one line for a person */
    uint32_t retry_after_ms; /* nack busy: resend no sooner than this */
} pm_reply_t;

/* "Entries after sequence N", optionally filtered. */
typedef struct pm_query {
    uint64_t after;
    uint32_t limit;
    int64_t since_ms; /* only entries received at or after this time, 0 for all */
    char *project;
    char *dept;
    char *kind;
} pm_query_t;

typedef struct pm_page {
    pm_entry_t **entries;
    size_t n;
    uint64_t head; /* the highest committed sequence number */
    bool more;     /* entries past the last one returned match too */
} pm_page_t;

typedef struct pm_blocker {
    char *code;
    char *name;
    char *dept;
    pm_state_t state;
    bool parallel;
} pm_blocker_t;

typedef struct pm_procstatus {
    char *code;
    char *name;
    char *dept;
    char *group;
    pm_state_t state;
    uint32_t limit_days;
    bool deficient;
    char *cert;
    uint64_t updated_seq;
    int64_t updated_ms;
    pm_blocker_t *blockers; /* unsatisfied prerequisites */
    size_t nblockers;
    /* The clock. */
    uint32_t promised_days;
    pm_colour_t colour;
    int64_t deadline_ms;
    int64_t statutory_ms;
    int32_t days; /* red: working days over; otherwise working days left */
    bool provisional;
    bool paused;           /* supplement requested: the clock stands still */
    int64_t commitment_ms; /* an open commitment's due date (end of day), 0 if none */
    char *missing;         /* what the commitment promises to supply */
    /* The critical path: the longest remaining chain of working days. */
    int32_t finish_days; /* working days from now until it can be done, on its longest chain */
    bool critical;       /* on the project's critical path */
} pm_procstatus_t;

typedef struct pm_status {
    pm_project_t *project;
    pm_procstatus_t *procs;
    size_t nprocs;
    strv_t milestones;  /* codes of milestones reached */
    pm_colour_t colour; /* the project's due date (all approvals by ...) */
    int64_t due_ms;
    int32_t days;
    int32_t critical_days; /* working days the longest remaining chain still needs */
} pm_status_t;

/* "Which open procedures are red or yellow", for permitctl overdue. */
typedef struct pm_listreq {
    bool blocked; /* blocked procedures and what holds them, instead of colours */
    char *colour; /* "red", "yellow"; NULL or "" for both */
    char *dept;
    char *region;
    char *project;
} pm_listreq_t;

typedef struct pm_listrow {
    char *project;
    char *project_name;
    char *region;
    char *steward;
    pm_procstatus_t ps;
} pm_listrow_t;

typedef struct pm_list {
    pm_listrow_t *rows;
    size_t n;
    int64_t now_ms; /* the broker's clock when the list was made */
} pm_list_t;

typedef enum pm_msg_type {
    PM_MSG_EVENT,      /* agent -> ingest: entry */
    PM_MSG_IMPORT,     /* permitctl -> ingest: import */
    PM_MSG_REPLY,      /* ingest or query -> client: reply */
    PM_MSG_ENTRY,      /* publish: entry */
    PM_MSG_QUERY,      /* client -> query: query */
    PM_MSG_PAGE,       /* query -> client: page */
    PM_MSG_STATUS_REQ, /* client -> query: status_project */
    PM_MSG_STATUS,     /* query -> client: status */
    PM_MSG_HEARTBEAT,  /* publish: head */
    PM_MSG_PING,       /* agent -> ingest: agent (department code); answered by a reply */
    PM_MSG_CLOCK_SET,  /* test clock only, -> ingest: clock_ms; answered by a reply */
    PM_MSG_LIST_REQ,   /* client -> query: listreq */
    PM_MSG_LIST,       /* query -> client: list */
    PM_MSG__COUNT
} pm_msg_type_t;

/* An envelope: version, type and the one body that type uses. */
typedef struct pm_msg {
    uint32_t version;
    pm_msg_type_t type;
    pm_entry_t *entry;
    pm_import_t *import;
    pm_reply_t *reply;
    pm_query_t *query;
    pm_page_t *page;
    char *status_project;
    pm_status_t *status;
    uint64_t head;
    char *agent;
    int64_t clock_ms;
    pm_listreq_t *listreq;
    pm_list_t *list;
    char *time_zone; /* the sender's zone (the broker's time_zone), an IANA name; NULL: unsaid */
} pm_msg_t;

/* Constructors return zeroed objects the caller owns; destroy accepts NULL, clears *p. */
pm_entry_t *pm_entry_new(pm_kind_t kind);
void pm_entry_destroy(pm_entry_t **p);
pm_template_t *pm_template_new(void);
void pm_template_destroy(pm_template_t **p);
pm_project_t *pm_project_new(void);
void pm_project_destroy(pm_project_t **p);
pm_status_t *pm_status_new(void);
void pm_status_destroy(pm_status_t **p);
pm_msg_t *pm_msg_new(pm_msg_type_t type);
void pm_msg_destroy(pm_msg_t **p);

/* Free what an embedded struct owns and zero it (for arrays of structs). */
void pm_department_clear(pm_department_t *d);
void pm_project_clear(pm_project_t *p);
void pm_proctype_clear(pm_proctype_t *t);
void pm_procstatus_clear(pm_procstatus_t *ps);

/* Deep copies. Caller owns. */
void pm_department_copy(pm_department_t *dst, const pm_department_t *src);
void pm_project_copy(pm_project_t *dst, const pm_project_t *src);
pm_template_t *pm_template_dup(const pm_template_t *t);

/* Append a zeroed element to a growable array; returns it. */
pm_proctype_t *pm_template_add_proc(pm_template_t *t);
pm_edge_t *pm_template_add_edge(pm_template_t *t, const char *from, const char *to, bool parallel);
pm_milestone_t *pm_template_add_milestone(pm_template_t *t);
pm_department_t *pm_import_add_dept(pm_import_t *im);
pm_project_t *pm_import_add_project(pm_import_t *im);
pm_procstatus_t *pm_status_add_proc(pm_status_t *st);
pm_blocker_t *pm_procstatus_add_blocker(pm_procstatus_t *ps);
void pm_page_add(pm_page_t *pg, pm_entry_t **entry); /* takes ownership */
pm_calendar_t *pm_calendar_new(void);
void pm_calendar_destroy(pm_calendar_t **p);
pm_calday_t *pm_calendar_add_day(pm_calendar_t *c);
pm_calendar_t *pm_calendar_dup(const pm_calendar_t *c);
pm_listrow_t *pm_list_add_row(pm_list_t *l);
void pm_list_destroy(pm_list_t **p);
void pm_procstatus_copy(pm_procstatus_t *dst, const pm_procstatus_t *src);

#endif
