/*
 * log: the one logging module of every program.
 *
 * Lines go to a sink (stderr by default) in a grep-able format:
 *   2026-11-22T08:30:00.123+08:00 permitd[4711] warn: ingest: refused ...
 * log_warn() appends the errno text, log_warnx() does not; fatal() logs and exits 1.
 * The message goes through termsafe (termsafe.h): a newline, an escape sequence or a bidi
 * control in a peer's text shows escaped, so a line is one line and says what it seems to.
 * When stderr is systemd's journal ($JOURNAL_STREAM names it), each line starts with its syslog
 * priority (<3> error, <4> warn, <6> info, <7> debug), so `journalctl -p warning` filters.
 * The sink is swappable so tests can read what a module logged.
 */
#ifndef PERMIT_LOG_H
#define PERMIT_LOG_H

#include <stdarg.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* A sink receives one formatted line without the trailing newline. */
typedef void(log_sink_fn)(void *arg, enum log_level level, const char *line);

/* Set the program name shown on every line and the most verbose level printed. */
void log_init(const char *progname, enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parse "error", "warn", "info" or "debug"; 0 on success. */
int log_parse_level(const char *name, enum log_level *out);
/* Replace the sink (NULL restores stderr). */
void log_set_sink(log_sink_fn *fn, void *arg);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
