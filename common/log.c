/*
 * log: see log.h. One sink, one format; the level filter is checked before formatting so
 * debug lines cost nothing when they are off.
 */
#include "log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "termsafe.h"
#include "util.h"

static const char *log_progname = "permit";
static enum log_level log_level = LOG_LEVEL_INFO;
static log_sink_fn *log_sink;
static void *log_sink_arg;

static const char *const level_names[] = {"error", "warn", "info", "debug"};
/* syslog's priorities of the levels: err, warning, info, debug. */
static const char *const journal_prefixes[] = {"<3>", "<4>", "<6>", "<7>"};

/*
 * Whether stderr is systemd's journal stream: $JOURNAL_STREAM is "DEV:INODE" of it. A child
 * whose stderr went elsewhere inherits the variable, hence the comparison. Asked once.
 */
static bool
stderr_is_journal(void)
{
    static int known = -1;
    const char *env;
    unsigned long long dev, ino;
    struct stat st;

    if (known >= 0)
        return known;
    env = getenv("JOURNAL_STREAM");
    known = env != NULL && sscanf(env, "%llu:%llu", &dev, &ino) == 2 &&
            fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev == dev &&
            (unsigned long long)st.st_ino == ino;
    return known;
}

void
log_init(const char *progname, enum log_level level)
{
    log_progname = progname;
    log_level = level;
}

void
log_set_level(enum log_level level)
{
    log_level = level;
}

enum log_level
log_get_level(void)
{
    return log_level;
}

int
log_parse_level(const char *name, enum log_level *out)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

void
log_set_sink(log_sink_fn *fn, void *arg)
{
    log_sink = fn;
    log_sink_arg = arg;
}

static void
log_vemit(enum log_level level, int errnum, const char *fmt, va_list ap)
{
    char msg[2048], safe[4096], stamp[64], line[4400];

    if (level > log_level)
        return;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (errnum != 0) {
        size_t n = strlen(msg);
        snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(errnum));
    }
    /* Messages carry peers' text (names, notes, reasons): one line, nothing a terminal obeys. */
    termsafe_copy(safe, sizeof(safe), msg);
    util_format_time(util_now_ms(), true, stamp, sizeof(stamp));
    snprintf(line, sizeof(line), "%s %s[%ld] %s: %s", stamp, log_progname, (long)getpid(),
             level_names[level], safe);
    if (log_sink != NULL) {
        log_sink(log_sink_arg, level, line);
        return;
    }
    /* In the journal the level is the line's priority: journalctl -p warning shows warn too. */
    fprintf(stderr, "%s%s\n", stderr_is_journal() ? journal_prefixes[level] : "", line);
}

#define LOG_BODY(level, errnum)                                                                    \
    do {                                                                                           \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        log_vemit(level, errnum, fmt, ap);                                                         \
        va_end(ap);                                                                                \
    } while (0)

void
log_warn(const char *fmt, ...)
{
    int saved = errno;
    LOG_BODY(LOG_LEVEL_WARN, saved);
    errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
    LOG_BODY(LOG_LEVEL_WARN, 0);
}

void
log_info(const char *fmt, ...)
{
    LOG_BODY(LOG_LEVEL_INFO, 0);
}

void
log_debug(const char *fmt, ...)
{
    LOG_BODY(LOG_LEVEL_DEBUG, 0);
}

void
log_error(const char *fmt, ...)
{
    LOG_BODY(LOG_LEVEL_ERROR, 0);
}

void
fatal(const char *fmt, ...)
{
    int saved = errno;
    LOG_BODY(LOG_LEVEL_ERROR, saved);
    exit(1);
}

void
fatalx(const char *fmt, ...)
{
    LOG_BODY(LOG_LEVEL_ERROR, 0);
    exit(1);
}
