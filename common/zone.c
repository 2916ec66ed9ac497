/*
 * zone: see zone.h. The zone is glibc's (TZ and tzset) because it already reads tzdata,
 * including the POSIX rule at the end of a TZif file that gives daylight saving for years past
 * the last listed transition; a parser of our own would have to redo that.
 */
#include "zone.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "i18n.h"
#include "log.h"
#include "util.h"

static char current[ZONE_NAME_MAX + 1] = "";

/* An IANA name: letters, digits, '/', '_', '-', '+', no "..", not absolute. */
static int
valid_name(const char *name)
{
    if (util_empty(name) || strlen(name) >= sizeof(current) || name[0] == '/' ||
        strstr(name, "..") != NULL)
        return 0;
    for (const char *p = name; *p != '\0'; p++)
        if (!isalnum((unsigned char)*p) && strchr("/_-+", *p) == NULL)
            return 0;
    return 1;
}

/* Whether the system has tzdata for name (glibc silently uses UTC for an unknown one). */
static int
known(const char *name)
{
    const char *dir = getenv("TZDIR");
    char path[512];

    snprintf(path, sizeof(path), "%s/%s", util_empty(dir) ? "/usr/share/zoneinfo" : dir, name);
    return access(path, R_OK) == 0;
}

int
zone_check(const char *name, char **err)
{
    if (util_empty(name) || valid_name(name))
        return 0;
    *err = xasprintf(_("time_zone: '%s' is not a time zone's name (an IANA name such as %s)"), name,
                     ZONE_DEFAULT);
    return -1;
}

int
zone_use(const char *name, int32_t fallback_offset_s, char **err)
{
    char posix[32];
    int32_t a = fallback_offset_s < 0 ? -fallback_offset_s : fallback_offset_s;

    if (!valid_name(name)) {
        *err = xasprintf(_("'%s' is not a time zone name like Asia/Shanghai"), name ? name : "");
        return -1;
    }
    if (known(name)) {
        setenv("TZ", name, 1);
        tzset();
        snprintf(current, sizeof(current), "%s", name);
        return 0;
    }
    /* POSIX TZ counts west of UTC: UTC+08:00 is "<+0800>-08:00". */
    snprintf(posix, sizeof(posix), "<%c%02d%02d>%c%02d:%02d", fallback_offset_s < 0 ? '-' : '+',
             a / 3600, a / 60 % 60, fallback_offset_s < 0 ? '+' : '-', a / 3600, a / 60 % 60);
    setenv("TZ", posix, 1);
    tzset();
    snprintf(current, sizeof(current), "UTC%c%02d:%02d", fallback_offset_s < 0 ? '-' : '+',
             a / 3600, a / 60 % 60);
    *err = xasprintf(_("time zone %s is not known on this system (no tzdata): using utc_offset %s"),
                     name, current + 3);
    return 1;
}

const char *
zone_name(void)
{
    return current[0] != '\0' ? current : "local";
}

int32_t
zone_offset_at(int64_t ms)
{
    time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;

    if (localtime_r(&secs, &tm) == NULL)
        return 0;
    return (int32_t)tm.tm_gmtoff;
}

char *
zone_format_minute(int64_t ms, char *buf, size_t len)
{
    char full[48];

    /* "2026-12-07 09:00:00+08:00" without the seconds. */
    util_format_time(ms, false, full, sizeof(full));
    if (strlen(full) > 19)
        snprintf(buf, len, "%.16s%s", full, full + 19);
    else
        snprintf(buf, len, "%s", full);
    return buf;
}

/* A client's zone: its configuration's name, else $PERMIT_TIME_ZONE, else the default. */
static const char *
client_zone(const char *name)
{
    if (util_empty(name))
        name = getenv("PERMIT_TIME_ZONE");
    return util_empty(name) ? ZONE_DEFAULT : name;
}

void
zone_use_or_warn(const char *name)
{
    char *err = NULL;
    int rc;

    name = client_zone(name);
    rc = zone_use(name, ZONE_DEFAULT_OFFSET_S, &err);
    if (rc != 0)
        log_warnx("%s", err);
    free(err);
    err = NULL;
    if (rc < 0 && zone_use(ZONE_DEFAULT, ZONE_DEFAULT_OFFSET_S, &err) != 0) {
        log_warnx("%s", err);
        free(err);
    }
}

void
zone_note_broker(const char *prog, const char *own, const char *broker, bool *warned)
{
    own = client_zone(own);
    if (*warned || util_empty(broker) || !valid_name(broker) || strcmp(own, broker) == 0)
        return;
    *warned = true;
    log_warnx(_("time zone: the broker's is %s, %s's time_zone is %s and stays so: set "
                "time_zone = %s to agree"),
              broker, prog, own, broker);
}
