/*
 * permit-bench: how fast the broker turns department events into durable, published log
 * entries, measured against what this machine's disk and sqlite allow in the same run.
 *
 * The run, in order: start permitd on a database in a fresh temporary folder with ipc
 * endpoints (or drive the broker given by --ingest/--publish), import the sample departments
 * and template with the real permitctl, register --projects generated projects, drive the
 * event mix (load.c) for --duration seconds, read the broker's CPU time and peak RSS from
 * /proc, stop it and time `permitd --rebuild` on the log it wrote, then measure the machine's
 * limits (limits.c) in the same folder. Prints a table, then one JSON line.
 *
 * Exit codes: 0 a valid run (no refusal, no error), 1 the run failed or was invalid, 64 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "cli.h"
#include "limits.h"
#include "load.h"
#include "log.h"
#include "util.h"

#ifndef BENCH_DEPLOY_DIR
#define BENCH_DEPLOY_DIR "deploy"
#endif

/* Targets of issue 24 (4x64, rebuild at 100,000 projects): the JSON line gives the ratios to
 * them. */
#define TARGET_EVENTS_S 64000.0
#define TARGET_REBUILD_S 500000.0

typedef struct opts {
    double duration;
    int agents;
    int window;
    long projects;
    long versus; /* projects of the reference run in the same invocation, 0: none */
    bool json_only;
    bool keep;
    bool no_rebuild;
    double limits_secs;
    unsigned long long seed;
    const char *permitd;
    const char *permitctl;
    const char *deploy;
    const char *ingest;
    const char *publish;
    const char *query;
    const char *extra[8]; /* --permitd-opt: more permitd options, e.g. --curve=no */
    int nextra;
} opts_t;

/* What the broker process cost, from /proc. */
typedef struct proc_usage {
    double cpu_s; /* utime + stime */
    long hwm_kb;  /* VmHWM */
} proc_usage_t;

typedef struct rebuild {
    bool done;
    double secs;
    unsigned long long entries;
    long maxrss_kb;
} rebuild_t;

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void
usage(FILE *f)
{
    fprintf(
        f,
        "usage: permit-bench [--duration S] [--agents N] [--window W] [--projects N]\n"
        "                    [--versus N] [--json-only] [--keep] [--no-rebuild]\n"
        "                    [--limits-secs S]\n"
        "                    [--seed N] [--permitd PATH] [--permitctl PATH] [--deploy DIR]\n"
        "                    [--permitd-opt OPT]...\n"
        "                    [--ingest EP --publish EP [--query EP]]\n"
        "  --duration S      seconds of measured load (10)\n"
        "  --agents N        agent connections, one DEALER socket each (4)\n"
        "  --window W        events in flight per agent (64)\n"
        "  --projects N      generated projects kept in progress (1000)\n"
        "  --versus N        first a reference run with N projects on a broker of its own\n"
        "                    (same duration and load), for the ratio of the two (e.g. 1000)\n"
        "  --json-only       print only the JSON line\n"
        "  --keep            keep the temporary folder (database, broker log)\n"
        "  --no-rebuild      skip timing permitd --rebuild\n"
        "  --limits-secs S   seconds for each machine-limit loop (2)\n"
        "  --permitd PATH    the broker binary (default: next to permit-bench)\n"
        "  --permitctl PATH  the operator CLI that imports the sample (default: likewise)\n"
        "  --deploy DIR      where departments.csv and template.csv are\n"
        "  --permitd-opt O   one more permitd option, e.g. --permitd-opt=--curve=no (8 at most)\n"
        "  --ingest EP       drive a running broker instead of starting one (it must\n"
        "                    already know the sample departments and template)\n");
}

static int
parse_opts(int argc, char **argv, opts_t *o)
{
    static const struct option longopts[] = {{"duration", required_argument, NULL, 'd'},
                                             {"agents", required_argument, NULL, 'a'},
                                             {"window", required_argument, NULL, 'w'},
                                             {"projects", required_argument, NULL, 'p'},
                                             {"versus", required_argument, NULL, 'v'},
                                             {"json-only", no_argument, NULL, 'j'},
                                             {"keep", no_argument, NULL, 'k'},
                                             {"no-rebuild", no_argument, NULL, 'R'},
                                             {"limits-secs", required_argument, NULL, 'L'},
                                             {"seed", required_argument, NULL, 's'},
                                             {"permitd", required_argument, NULL, 'B'},
                                             {"permitctl", required_argument, NULL, 'C'},
                                             {"deploy", required_argument, NULL, 'D'},
                                             {"ingest", required_argument, NULL, 'i'},
                                             {"publish", required_argument, NULL, 'P'},
                                             {"query", required_argument, NULL, 'q'},
                                             {"permitd-opt", required_argument, NULL, 'O'},
                                             {"help", no_argument, NULL, 'h'},
                                             {"version", no_argument, NULL, 'V'},
                                             {NULL, 0, NULL, 0}};
    int c;
    char *end;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        errno = 0;
        switch (c) {
        case 'd':
            o->duration = strtod(optarg, &end);
            if (*end != '\0' || o->duration <= 0 || o->duration > 86400)
                goto bad;
            break;
        case 'a':
            o->agents = (int)strtol(optarg, &end, 10);
            if (*end != '\0' || o->agents < 1 || o->agents > 255)
                goto bad;
            break;
        case 'w':
            o->window = (int)strtol(optarg, &end, 10);
            if (*end != '\0' || o->window < 1 || o->window > 1000)
                goto bad;
            break;
        case 'p':
            o->projects = strtol(optarg, &end, 10);
            if (*end != '\0' || o->projects < 1 || o->projects > 10000000)
                goto bad;
            break;
        case 'v':
            o->versus = strtol(optarg, &end, 10);
            if (*end != '\0' || o->versus < 1 || o->versus > 10000000)
                goto bad;
            break;
        case 'L':
            o->limits_secs = strtod(optarg, &end);
            if (*end != '\0' || o->limits_secs < 0 || o->limits_secs > 600)
                goto bad;
            break;
        case 's':
            o->seed = strtoull(optarg, &end, 10);
            if (*end != '\0')
                goto bad;
            break;
        case 'j':
            o->json_only = true;
            break;
        case 'k':
            o->keep = true;
            break;
        case 'R':
            o->no_rebuild = true;
            break;
        case 'B':
            o->permitd = optarg;
            break;
        case 'C':
            o->permitctl = optarg;
            break;
        case 'D':
            o->deploy = optarg;
            break;
        case 'i':
            o->ingest = optarg;
            break;
        case 'P':
            o->publish = optarg;
            break;
        case 'q':
            o->query = optarg;
            break;
        case 'O':
            if (o->nextra == (int)ARRAY_LEN(o->extra))
                goto bad;
            o->extra[o->nextra++] = optarg;
            break;
        case 'h':
            usage(stdout);
            exit(EX_OK);
        case 'V':
            cli_print_version("permit-bench");
            exit(EX_OK);
        default:
            fprintf(stderr,
                    "permit-bench: unknown option or missing value '%s' (try permit-bench "
                    "--help)\n",
                    argv[optind - 1]);
            return -1;
        }
    }
    if (optind != argc || (o->ingest != NULL) != (o->publish != NULL) ||
        (o->ingest != NULL && o->versus > 0)) {
        usage(stderr);
        return -1;
    }
    return 0;
bad:
    fprintf(stderr, "permit-bench: bad value '%s'; see permit-bench --help\n", optarg);
    return -1;
}

/* A program next to this one (permitd, permitctl), for a build folder run as it is. Caller owns. */
static char *
sibling(const char *name)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

    if (n <= 0)
        return xstrdup(name);
    self[n] = '\0';
    return xasprintf("%s/%s", dirname(self), name);
}

/* fork + exec argv with stdout and stderr to logpath; the child's pid, or -1. */
static pid_t
spawn(char *const argv[], const char *logpath)
{
    pid_t pid = fork();

    if (pid < 0) {
        log_warn("fork");
        return -1;
    }
    if (pid == 0) {
        int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(argv[0], argv);
        fprintf(stderr, "permit-bench: exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    return pid;
}

/* Run argv to its end; 0 when it exited 0. The resource usage of the child in *ru. */
static int
run_wait(char *const argv[], const char *logpath, struct rusage *ru)
{
    pid_t pid = spawn(argv, logpath);
    int status;
    struct rusage dummy;

    if (pid < 0)
        return -1;
    while (wait4(pid, &status, 0, ru != NULL ? ru : &dummy) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static bool
file_contains(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    bool found = false;

    if (f == NULL)
        return false;
    while (!found && fgets(line, sizeof(line), f) != NULL)
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

/* Start permitd and wait until it logged "ready:" (at most 30 s). */
static pid_t
start_broker(const opts_t *o, const char *db, const char *ingest, const char *publish,
             const char *query, const char *logpath)
{
    /* 12 fixed arguments, the --permitd-opt ones, then the terminating NULL. The quota per
     * department is off: the benchmark measures what the broker can take, far above it. */
    char *argv[13 + ARRAY_LEN(o->extra)] = {(char *)o->permitd, "--db",         (char *)db,
                                            "--ingest",         (char *)ingest, "--publish",
                                            (char *)publish,    "--query",      (char *)query,
                                            "--log-level",      "info",         "--quota-rate=0"};
    pid_t pid;
    int64_t deadline = util_mono_ms() + 30000;

    for (int i = 0; i < o->nextra; i++)
        argv[12 + i] = (char *)o->extra[i];
    pid = spawn(argv, logpath);

    if (pid < 0)
        return -1;
    while (util_mono_ms() < deadline && !stop_flag) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            log_warnx("permitd exited while starting; see %s", logpath);
            return -1;
        }
        if (file_contains(logpath, "ready:"))
            return pid;
        usleep(20000);
    }
    log_warnx("permitd did not get ready within 30 s; see %s", logpath);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

/* SIGTERM and wait (30 s, then SIGKILL). 0 when it exited 0. */
static int
stop_broker(pid_t pid)
{
    int64_t deadline = util_mono_ms() + 30000;
    int status;

    kill(pid, SIGTERM);
    while (util_mono_ms() < deadline) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
        if (r < 0 && errno != EINTR)
            return -1;
        usleep(20000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    log_warnx("permitd did not stop within 30 s of SIGTERM");
    return -1;
}

/* utime + stime (fields 14 and 15 of /proc/PID/stat) and VmHWM of /proc/PID/status. */
static int
read_usage(pid_t pid, proc_usage_t *u)
{
    char path[64], buf[4096], *p;
    unsigned long long ut, st;
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name may hold blanks and parentheses: count fields after the last ')'. */
    if ((p = strrchr(buf, ')')) == NULL ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    u->cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    u->hwm_kb = -1;
    while (fgets(buf, sizeof(buf), f) != NULL)
        if (strncmp(buf, "VmHWM:", 6) == 0)
            u->hwm_kb = strtol(buf + 6, NULL, 10);
    fclose(f);
    return 0;
}

/* Time `permitd --db DB --rebuild`; the entry count comes from its own log line. */
static int
time_rebuild(const opts_t *o, const char *db, const char *logpath, rebuild_t *rb)
{
    char *argv[] = {(char *)o->permitd, "--db", (char *)db, "--rebuild",
                    "--log-level",      "info", NULL};
    struct rusage ru;
    int64_t t0 = util_mono_ms();
    FILE *f;
    char line[4096];

    if (run_wait(argv, logpath, &ru) < 0) {
        log_warnx("permitd --rebuild failed; see %s", logpath);
        return -1;
    }
    rb->secs = (double)(util_mono_ms() - t0) / 1000.0;
    rb->maxrss_kb = ru.ru_maxrss;
    if ((f = fopen(logpath, "r")) != NULL) {
        while (fgets(line, sizeof(line), f) != NULL) {
            char *p = strstr(line, " from ");
            if (strstr(line, "rebuilt the state") != NULL && p != NULL)
                rb->entries = strtoull(p + 6, NULL, 10);
        }
        fclose(f);
    }
    rb->done = true;
    return 0;
}

static int
import_sample(const opts_t *o, const char *ingest, const char *query, const char *logpath)
{
    static const char *const what[] = {"departments", "template"};

    for (size_t i = 0; i < ARRAY_LEN(what); i++) {
        char *file = xasprintf("%s/%s.csv", o->deploy, what[i]);
        /* permitctl reads the log through the query socket to leave unchanged rows alone. */
        char *argv[] = {(char *)o->permitctl,
                        "--broker",
                        (char *)ingest,
                        "--query",
                        (char *)query,
                        "--timeout",
                        "60000",
                        "import",
                        (char *)what[i],
                        file,
                        NULL};
        int rc = run_wait(argv, logpath, NULL);
        free(file);
        if (rc < 0) {
            log_warnx("permitctl import %s failed; see %s", what[i], logpath);
            return -1;
        }
    }
    return 0;
}

static void
remove_tree(const char *dir)
{
    char *argv[] = {"/bin/rm", "-rf", (char *)dir, NULL};
    run_wait(argv, "/dev/null", NULL);
}

/* A number for the JSON line: null when not measured (negative). */
static void
jnum(FILE *f, const char *key, double v, int decimals, bool last)
{
    if (v < 0)
        fprintf(f, "\"%s\":null%s", key, last ? "" : ",");
    else
        fprintf(f, "\"%s\":%.*f%s", key, decimals, v, last ? "" : ",");
}

static double
ratio(double a, double b)
{
    return a >= 0 && b > 0 ? a / b : -1;
}

static void
row(const char *name, double v, const char *unit, const char *target)
{
    if (v < 0)
        printf("  %-34s %14s %-10s %s\n", name, "-", unit, target);
    else
        printf("  %-34s %14.2f %-10s %s\n", name, v, unit, target);
}

/* What one run measured. */
typedef struct run {
    load_result_t res;
    proc_usage_t u1; /* the broker's, at the end of the load */
    rebuild_t rb;
    double reg_secs; /* registering the projects before the load */
    double eps;      /* durable events acked per second */
    double cpu_s, cpu_per_100k;
    bool ran; /* the load ran to its end */
} run_t;

/*
 * One run with `projects` projects: in folder dir (made here), start a broker of its own (or
 * drive the one given), import the sample, register, drive the load, read the broker's usage,
 * stop it and time the rebuild (when asked). 0 when the load ran, -1 otherwise (said why).
 */
static int
bench_once(const opts_t *o, long projects, const char *dir, bool rebuild, run_t *r)
{
    char *db = xasprintf("%s/permit.db", dir), *blog = xasprintf("%s/permitd.log", dir);
    char *clog = xasprintf("%s/permitctl.log", dir), *rlog = xasprintf("%s/rebuild.log", dir);
    char *ingest = NULL, *publish = NULL, *query = NULL, *template_csv = NULL, why[512];
    proc_usage_t u0 = {0, -1};
    load_t *load = NULL;
    void *zctx = NULL;
    pid_t broker = -1;
    int64_t t0;
    int rc = -1;

    r->u1 = (proc_usage_t){-1, -1};
    r->cpu_s = r->cpu_per_100k = -1;
    template_csv = xasprintf("%s/template.csv", o->deploy);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        log_warn("mkdir %s", dir);
        goto done;
    }
    if (o->ingest != NULL) {
        ingest = xstrdup(o->ingest);
        publish = xstrdup(o->publish);
    } else {
        ingest = xasprintf("ipc://%s/ingest.sock", dir);
        publish = xasprintf("ipc://%s/publish.sock", dir);
        query = xasprintf("ipc://%s/query.sock", dir);
        if ((broker = start_broker(o, db, ingest, publish, query, blog)) < 0)
            goto done;
        if (import_sample(o, ingest, query, clog) < 0)
            goto done;
    }
    zctx = zmq_ctx_new();
    {
        load_cfg_t lc = {ingest,    publish,          template_csv, "standard", o->agents,
                         o->window, (size_t)projects, o->duration,  o->seed};
        if ((load = load_new(&lc, zctx, why, sizeof(why))) == NULL) {
            log_warnx("%s", why);
            goto done;
        }
    }
    t0 = util_mono_ms();
    if (load_register(load, why, sizeof(why)) < 0) {
        log_warnx("registering %ld projects: %s", projects, why);
        goto done;
    }
    r->reg_secs = (double)(util_mono_ms() - t0) / 1000.0;
    if (broker > 0)
        read_usage(broker, &u0);
    if (load_run(load, &stop_flag, &r->res, why, sizeof(why)) < 0) {
        log_warnx("%s", why);
        goto done;
    }
    r->ran = true;
    r->eps = r->res.secs > 0 ? (double)r->res.events / r->res.secs : 0;
    if (broker > 0 && read_usage(broker, &r->u1) == 0) {
        r->cpu_s = r->u1.cpu_s - u0.cpu_s;
        if (r->res.events_total > 0)
            r->cpu_per_100k = r->cpu_s * 100000.0 / (double)r->res.events_total;
    }
    load_destroy(&load);
    zmq_ctx_term(zctx);
    zctx = NULL;
    if (broker > 0) {
        int stopped = stop_broker(broker);
        broker = -1;
        if (stopped < 0)
            log_warnx("permitd did not exit cleanly; see %s", blog);
        if (rebuild && !stop_flag)
            time_rebuild(o, db, rlog, &r->rb);
    }
    rc = 0;
done:
    load_destroy(&load);
    if (zctx != NULL)
        zmq_ctx_term(zctx);
    if (broker > 0)
        stop_broker(broker);
    free(db);
    free(blog);
    free(clog);
    free(rlog);
    free(ingest);
    free(publish);
    free(query);
    free(template_csv);
    return rc;
}

static double
rebuild_rate(const rebuild_t *rb)
{
    return rb->done && rb->secs > 0 ? (double)rb->entries / rb->secs : -1;
}

int
main(int argc, char **argv)
{
    opts_t o = {.duration = 10, .agents = 4, .window = 64, .projects = 1000, .limits_secs = 2};
    char tmpl[] = "/tmp/permit-bench.XXXXXX";
    char *dir = NULL, *main_dir = NULL, *versus_dir = NULL, *own_permitd = NULL,
         *own_permitctl = NULL;
    limits_t lim = {-1, -1, -1};
    run_t run, ref;
    load_result_t *res = &run.res;
    rebuild_t *rb = &run.rb;
    double eps, ref_eps;
    int status = 1;

    memset(&run, 0, sizeof(run));
    memset(&ref, 0, sizeof(ref));
    log_init("permit-bench", LOG_LEVEL_WARN);
    if (parse_opts(argc, argv, &o) < 0)
        return EX_USAGE;
    cli_catch_signals(on_signal, false);
    if (o.permitd == NULL)
        o.permitd = own_permitd = sibling("permitd");
    if (o.permitctl == NULL)
        o.permitctl = own_permitctl = sibling("permitctl");
    if (o.deploy == NULL)
        o.deploy = BENCH_DEPLOY_DIR;

    {
        const char *tmpdir = getenv("TMPDIR");
        if (tmpdir != NULL && *tmpdir != '\0')
            dir = xasprintf("%s/permit-bench.XXXXXX", tmpdir);
        else
            dir = xstrdup(tmpl);
        if (mkdtemp(dir) == NULL) {
            log_warn("mkdtemp %s", dir);
            goto done;
        }
    }
    main_dir = xasprintf("%s/run", dir);
    versus_dir = xasprintf("%s/versus", dir);
    /* The reference first, on a broker and database of its own: the two runs share the
     * machine's moment as closely as a run after a run can. */
    if (o.versus > 0 && bench_once(&o, o.versus, versus_dir, !o.no_rebuild, &ref) < 0)
        goto done;
    if (bench_once(&o, o.projects, main_dir, !o.no_rebuild, &run) < 0)
        goto done;
    if (o.limits_secs > 0 && !stop_flag && limits_measure(dir, o.limits_secs, &lim) < 0)
        log_warnx("the machine's limits could not be measured");

    eps = run.eps;
    ref_eps = o.versus > 0 ? ref.eps : -1;
    if (!o.json_only) {
        char target[64];
        printf("permit-bench: %d agents x window %d, %ld projects, %.1f s (registration %.2f s, "
               "%.0f projects/s)\n",
               o.agents, o.window, o.projects, res->secs, run.reg_secs,
               run.reg_secs > 0 ? (double)o.projects / run.reg_secs : 0);
        if (o.versus > 0)
            printf("  reference run first: %ld projects, %.1f s (registration %.2f s)\n", o.versus,
                   ref.res.secs, ref.reg_secs);
        printf("  %-34s %14s %-10s %s\n", "figure", "value", "unit", "target");
        row("durable events acked", eps, "events/s",
            o.window > 1 ? ">= 64000 (4x64)" : ">= fdatasync/s (4x1)");
        row("ack latency p50", stats_pct(&res->ack, 50), "ms", "");
        row("ack latency p99", stats_pct(&res->ack, 99), "ms", "< 10");
        row("ack latency p99.9", stats_pct(&res->ack, 99.9), "ms", "");
        row("unblocked latency p50", stats_pct(&res->unblock, 50), "ms", "");
        row("unblocked latency p99", stats_pct(&res->unblock, 99), "ms", "< 1 (4x1)");
        row("broker CPU per 100,000 events", run.cpu_per_100k, "s", "");
        row("broker peak RSS", run.u1.hwm_kb >= 0 ? (double)run.u1.hwm_kb / 1024.0 : -1, "MiB",
            "<= 64 (100k), <= 512 (1M)");
        row("rebuild", rebuild_rate(rb), "entries/s", ">= 500000 (100k)");
        snprintf(target, sizeof(target), "%llu entries", rb->entries);
        row("rebuild time", rb->done ? rb->secs : -1, "s", rb->done ? target : "");
        row("rebuild peak RSS", rb->done ? (double)rb->maxrss_kb / 1024.0 : -1, "MiB", "");
        if (o.versus > 0) {
            char name[64];
            snprintf(name, sizeof(name), "reference (%ld projects) acked", o.versus);
            row(name, ref_eps, "events/s", "");
            row("reference ack latency p99", stats_pct(&ref.res.ack, 99), "ms", "");
            row("reference rebuild", rebuild_rate(&ref.rb), "entries/s", "");
            row("reference broker peak RSS",
                ref.u1.hwm_kb >= 0 ? (double)ref.u1.hwm_kb / 1024.0 : -1, "MiB", "");
        }
        row("limit: sqlite 1 row/txn", lim.sqlite_row1_per_s, "rows/s", "");
        row("limit: sqlite 1000 rows/txn", lim.sqlite_row1000_per_s, "rows/s", "");
        row("limit: fdatasync", lim.fsync_per_s, "/s", "");
        row("ratio: events/s / reference", ratio(eps, ref_eps), "x", ">= 0.9 (100k), >= 0.8 (1M)");
        row("ratio: events/s / 1-row txn", ratio(eps, lim.sqlite_row1_per_s), "x", "");
        row("ratio: events/s / 1000-row txn", ratio(eps, lim.sqlite_row1000_per_s), "x", "");
        row("ratio: events/s / fdatasync", ratio(eps, lim.fsync_per_s), "x", ">= 1 (4x1)");
        row("ratio: rebuild / 1000-row txn", ratio(rebuild_rate(rb), lim.sqlite_row1000_per_s), "x",
            "");
        printf("  events sent: accepted %llu, accepted_deficient %llu, supplement_requested %llu,"
               " supplement_received %llu, commitment_fulfilled %llu, approved %llu, rejected "
               "%llu, not_required %llu; projects registered during the run %llu\n",
               (unsigned long long)res->by_kind[PM_KIND_ACCEPTED],
               (unsigned long long)res->by_kind[PM_KIND_ACCEPTED_DEFICIENT],
               (unsigned long long)res->by_kind[PM_KIND_SUPPLEMENT_REQUESTED],
               (unsigned long long)res->by_kind[PM_KIND_SUPPLEMENT_RECEIVED],
               (unsigned long long)res->by_kind[PM_KIND_COMMITMENT_FULFILLED],
               (unsigned long long)res->by_kind[PM_KIND_APPROVED],
               (unsigned long long)res->by_kind[PM_KIND_REJECTED],
               (unsigned long long)res->by_kind[PM_KIND_NOT_REQUIRED],
               (unsigned long long)res->registrations);
        printf("  refusals %llu, duplicates %llu, errors %llu, unblocked expected %llu, missed "
               "%llu, log head %llu\n",
               (unsigned long long)res->refusals, (unsigned long long)res->duplicates,
               (unsigned long long)res->errors, (unsigned long long)res->unblocks_expected,
               (unsigned long long)res->unblocks_missed, (unsigned long long)res->head);
        if (res->refusals > 0)
            printf("  first refusal: %s\n", res->first_refusal);
        if (o.keep)
            printf("  kept %s\n", dir);
    }
    printf("{\"bench\":\"permit-bench/2\",\"agents\":%d,\"window\":%d,\"projects\":%ld,", o.agents,
           o.window, o.projects);
    jnum(stdout, "duration_s", res->secs, 3, false);
    jnum(stdout, "register_s", run.reg_secs, 3, false);
    jnum(stdout, "register_projects_per_s",
         run.reg_secs > 0 ? (double)o.projects / run.reg_secs : -1, 1, false);
    printf("\"events\":%llu,\"events_total\":%llu,\"registrations\":%llu,\"refusals\":%llu,"
           "\"duplicates\":%llu,\"errors\":%llu,\"head\":%llu,",
           (unsigned long long)res->events, (unsigned long long)res->events_total,
           (unsigned long long)res->registrations, (unsigned long long)res->refusals,
           (unsigned long long)res->duplicates, (unsigned long long)res->errors,
           (unsigned long long)res->head);
    jnum(stdout, "events_per_s", eps, 1, false);
    jnum(stdout, "ack_p50_ms", stats_pct(&res->ack, 50), 3, false);
    jnum(stdout, "ack_p99_ms", stats_pct(&res->ack, 99), 3, false);
    jnum(stdout, "ack_p999_ms", stats_pct(&res->ack, 99.9), 3, false);
    printf("\"unblocked_samples\":%zu,\"unblocked_expected\":%llu,\"unblocked_missed\":%llu,",
           res->unblock.n, (unsigned long long)res->unblocks_expected,
           (unsigned long long)res->unblocks_missed);
    jnum(stdout, "unblocked_p50_ms", stats_pct(&res->unblock, 50), 3, false);
    jnum(stdout, "unblocked_p99_ms", stats_pct(&res->unblock, 99), 3, false);
    jnum(stdout, "broker_cpu_s", run.cpu_s, 3, false);
    jnum(stdout, "broker_cpu_s_per_100k", run.cpu_per_100k, 3, false);
    jnum(stdout, "broker_peak_rss_mib", run.u1.hwm_kb >= 0 ? (double)run.u1.hwm_kb / 1024.0 : -1, 1,
         false);
    printf("\"rebuild_entries\":%llu,", rb->entries);
    jnum(stdout, "rebuild_s", rb->done ? rb->secs : -1, 3, false);
    jnum(stdout, "rebuild_entries_per_s", rebuild_rate(rb), 1, false);
    jnum(stdout, "rebuild_peak_rss_mib", rb->done ? (double)rb->maxrss_kb / 1024.0 : -1, 1, false);
    printf("\"versus_projects\":%ld,", o.versus);
    jnum(stdout, "versus_events_per_s", ref_eps, 1, false);
    jnum(stdout, "versus_ack_p99_ms", o.versus > 0 ? stats_pct(&ref.res.ack, 99) : -1, 3, false);
    jnum(stdout, "versus_rebuild_entries_per_s", o.versus > 0 ? rebuild_rate(&ref.rb) : -1, 1,
         false);
    jnum(stdout, "versus_broker_peak_rss_mib",
         o.versus > 0 && ref.u1.hwm_kb >= 0 ? (double)ref.u1.hwm_kb / 1024.0 : -1, 1, false);
    jnum(stdout, "limit_sqlite_1_per_txn_rows_s", lim.sqlite_row1_per_s, 1, false);
    jnum(stdout, "limit_sqlite_1000_per_txn_rows_s", lim.sqlite_row1000_per_s, 1, false);
    jnum(stdout, "limit_fdatasync_per_s", lim.fsync_per_s, 1, false);
    jnum(stdout, "ratio_to_versus", ratio(eps, ref_eps), 3, false);
    jnum(stdout, "ratio_to_sqlite_1_per_txn", ratio(eps, lim.sqlite_row1_per_s), 3, false);
    jnum(stdout, "ratio_to_sqlite_1000_per_txn", ratio(eps, lim.sqlite_row1000_per_s), 3, false);
    jnum(stdout, "ratio_to_fdatasync", ratio(eps, lim.fsync_per_s), 3, false);
    jnum(stdout, "ratio_rebuild_to_sqlite_1000_per_txn",
         ratio(rebuild_rate(rb), lim.sqlite_row1000_per_s), 3, false);
    jnum(stdout, "ratio_to_target_events", ratio(eps, TARGET_EVENTS_S), 3, false);
    jnum(stdout, "ratio_to_target_rebuild", ratio(rebuild_rate(rb), TARGET_REBUILD_S), 3, true);
    printf("}\n");
    fflush(stdout);
    status = run.ran && (o.versus == 0 || ref.ran) &&
                     res->refusals + ref.res.refusals + res->errors + ref.res.errors +
                             res->duplicates + ref.res.duplicates ==
                         0
                 ? 0
                 : 1;

done:
    if (dir != NULL && !o.keep && access(dir, F_OK) == 0) {
        if (status == 0)
            remove_tree(dir);
        else
            fprintf(stderr, "permit-bench: kept %s for a look (broker log run/permitd.log)\n", dir);
    }
    load_result_clear(&run.res);
    load_result_clear(&ref.res);
    free(dir);
    free(main_dir);
    free(versus_dir);
    free(own_permitd);
    free(own_permitctl);
    return status;
}
