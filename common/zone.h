/*
 * zone: the jurisdiction's time zone, one per process. Every program shows times, reads times
 * given without an offset, and counts days (working days, digest midnights, quiet days) in
 * the zone its configuration names (time_zone, an IANA name such as Asia/Shanghai), never in
 * whatever TZ the process happened to inherit.
 *
 * zone_use sets TZ for the process and calls tzset(), so localtime_r, mktime and strftime —
 * util_format_time, util_parse_time and everything built on them — follow the zone, with the
 * system's tzdata doing the daylight-saving arithmetic. It must run at start-up, before any
 * thread (setenv is not thread-safe).
 */
#ifndef PERMIT_ZONE_H
#define PERMIT_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZONE_DEFAULT "Asia/Shanghai"
#define ZONE_DEFAULT_OFFSET_S (8 * 3600)
/* The longest zone name, in bytes (IANA's longest is about 30): also the wire's limit (codec). */
#define ZONE_NAME_MAX 64u

/*
 * Make name the process's zone. A name the system has no tzdata for falls back to the fixed
 * fallback_offset_s east of UTC (returns 1, *err says so, for a warning); a name that is not a
 * zone name at all is refused (-1, *err, caller frees). 0 when the zone is loaded.
 */
int zone_use(const char *name, int32_t fallback_offset_s, char **err);
/*
 * Whether name may be a zone's name (what zone_use would not refuse): 0, or -1 with a reason in
 * *err (caller frees). For a configuration check (-n), before anything is set.
 */
int zone_check(const char *name, char **err);
/*
 * zone_use for a client program: name, else $PERMIT_TIME_ZONE, else ZONE_DEFAULT, falling back
 * to UTC+08:00 without tzdata. A fallback or a bad name is logged (a bad name: the default).
 */
void zone_use_or_warn(const char *name);
/*
 * A daemon with a zone of its own (permit-notify, permit-web) keeps it: own, its configuration's
 * (NULL or "": $PERMIT_TIME_ZONE, else the default, as zone_use_or_warn), in which its threads
 * and timers run from start-up. When
 * the broker names another zone (broker: an answer's or heartbeat's time_zone, NULL or "" for
 * none, a name that is no zone's ignored), log one warning naming both and what to set, as prog;
 * *warned keeps it to once.
 */
void zone_note_broker(const char *prog, const char *own, const char *broker, bool *warned);
/* The zone in use: its IANA name, or "UTC+08:00" when on a fixed fallback. */
const char *zone_name(void);
/* Seconds east of UTC at the instant ms, in the zone in use. */
int32_t zone_offset_at(int64_t ms);
/* "2026-12-07 09:00+08:00": a time to the minute in the zone, with its offset. Returns buf. */
char *zone_format_minute(int64_t ms, char *buf, size_t len);

#endif
