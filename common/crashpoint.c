/*
 * crashpoint: see crashpoint.h. Compiled into test builds only (PERMIT_TEST_HOOKS).
 *
 * One target at most: the name and pass number of PERMIT_CRASH. Every pass compares its
 * name with the target and counts only that one, so the cost of an unused point is a strcmp.
 */
#include "crashpoint.h"

#ifndef PERMIT_TEST_HOOKS
#error "crashpoint.c belongs in builds with PERMIT_TEST_HOOKS only (add_compile_definitions)"
#endif

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *const known_points[] = {
    "after_receive", "after_append", "after_commit", "after_ack",
    "checkpoint",    "vfs_write",    "vfs_sync",     NULL,
};

static struct {
    char target[32];  /* empty: no crash asked for */
    unsigned long at; /* die at this pass of target */
    unsigned long passes;
    bool powerloss;
    uint64_t seed;
    const char *lasting; /* the open CRASHPOINT_BEGIN, or NULL */
    void (*on_crash)(bool powerloss, uint64_t seed);
} cp;

static bool
known(const char *name)
{
    for (int i = 0; known_points[i] != NULL; i++)
        if (strcmp(known_points[i], name) == 0)
            return true;
    return false;
}

static int
parse_ulong(const char *s, unsigned long *out)
{
    char *end;

    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    *out = strtoul(s, &end, 10);
    return errno != 0 || *end != '\0' ? -1 : 0;
}

static int
bad(const char *var, const char *value, const char *why)
{
    fprintf(stderr, "permit test hooks: %s='%s' is malformed: %s\n", var, value, why);
    return -1;
}

int
crashpoint_init(void)
{
    const char *spec = getenv("PERMIT_CRASH"), *mode = getenv("PERMIT_CRASH_MODE");
    const char *seed = getenv("PERMIT_CRASH_SEED"), *colon;
    unsigned long long s;
    char *end;

    memset(&cp, 0, sizeof(cp));
    if (mode != NULL && *mode != '\0') {
        if (strcmp(mode, "powerloss") == 0)
            cp.powerloss = true;
        else if (strcmp(mode, "kill") != 0)
            return bad("PERMIT_CRASH_MODE", mode, "expected kill or powerloss");
    }
    if (seed != NULL && *seed != '\0') {
        errno = 0;
        s = strtoull(seed, &end, 10);
        if (errno != 0 || *end != '\0' || *seed < '0' || *seed > '9')
            return bad("PERMIT_CRASH_SEED", seed, "expected a decimal number");
        cp.seed = (uint64_t)s;
    } else {
        cp.seed = (uint64_t)time(NULL) * 1000003u ^ (uint64_t)getpid();
    }
    if (spec == NULL || *spec == '\0')
        return 0;
    colon = strrchr(spec, ':');
    if (colon == NULL || colon == spec || (size_t)(colon - spec) >= sizeof(cp.target))
        return bad("PERMIT_CRASH", spec, "expected NAME:N");
    memcpy(cp.target, spec, (size_t)(colon - spec));
    cp.target[colon - spec] = '\0';
    if (!known(cp.target))
        return bad("PERMIT_CRASH", spec,
                   "unknown point (after_receive, after_append, after_commit, after_ack, "
                   "checkpoint, vfs_write, vfs_sync)");
    if (parse_ulong(colon + 1, &cp.at) < 0 || cp.at == 0)
        return bad("PERMIT_CRASH", spec, "N must be a whole number >= 1");
    log_warnx("TEST BUILD: the process dies at pass %lu of crash point %s (%s, seed %" PRIu64 ")",
              cp.at, cp.target, cp.powerloss ? "power loss" : "kill", cp.seed);
    return 0;
}

static void
die(const char *name)
{
    char line[200];
    int n;

    if (cp.on_crash != NULL)
        cp.on_crash(cp.powerloss, cp.seed);
    n = snprintf(line, sizeof(line),
                 "permit test hooks: crash point %s:%lu reached (%s, seed %" PRIu64
                 "); dying now\n",
                 name, cp.at, cp.powerloss ? "powerloss" : "kill", cp.seed);
    if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0)
        n = 0; /* nothing to be done: we die anyway */
    kill(getpid(), SIGKILL);
    _exit(137); /* not reached */
}

void
crashpoint_pass(const char *name)
{
    if (cp.target[0] == '\0' || strcmp(name, cp.target) != 0)
        return;
    if (++cp.passes == cp.at)
        die(name);
}

int
crashpoint_begin(const char *name)
{
    cp.lasting = name;
    crashpoint_pass(name);
    return 0;
}

void
crashpoint_end(void)
{
    const char *name = cp.lasting;

    cp.lasting = NULL;
    if (name != NULL)
        crashpoint_pass(name);
}

void
crashpoint_scope_end(int *scope)
{
    (void)scope;
    crashpoint_end();
}

void
crashpoint_io(void)
{
    if (cp.lasting != NULL)
        crashpoint_pass(cp.lasting);
}

bool
crashpoint_powerloss(void)
{
    return cp.powerloss;
}

uint64_t
crashpoint_seed(void)
{
    return cp.seed;
}

const char *
crashpoint_target(void)
{
    return cp.target[0] != '\0' ? cp.target : NULL;
}

void
crashpoint_on_crash(void (*fn)(bool powerloss, uint64_t seed))
{
    cp.on_crash = fn;
}
