#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests: initdb in a folder, one server on a unix
# socket inside that folder only (no TCP at all), a superuser `permit` with trust auth and a
# database `permit`. Durability settings stay as shipped (fsync, synchronous_commit and
# full_page_writes on): the tests kill brokers and check that nothing acked is lost.
#
# Sourced (tests/integration/lib.sh does when PERMIT_TEST_BACKEND=postgresql):
#   pg_start DIR [PORT]
#                 create DIR, initdb DIR/data, start the server (its log: DIR/postgres.log),
#                 create the database; exports PG_URI
#                 (postgresql:///permit?host=DIR&port=PORT&user=permit) and leaves PG_DIR,
#                 PG_PORT and PG_PID (the postmaster) set. Returns non-zero, saying why on
#                 stderr, when any of it fails. PORT only names the socket; without it
#                 pg_port picks one. A caller that must know the URI before the server runs
#                 picks PORT itself and asks pg_uri DIR PORT.
#   pg_stop       immediate shutdown by PID (SIGQUIT to the postmaster, which takes its
#                 children along): the cluster is thrown away, nothing to flush. Waits until
#                 the server is gone; SIGKILL after PG_STOP_SECS (default 10).
#   pg_adopt DIR  set PG_DIR, PG_PORT, PG_PID and PG_URI from the server running in DIR (one
#                 started by the CLI, or by a subshell whose variables were lost); 1 if none
#
# With PG_GUARD_PID set (lib.sh sets its own PID), pg_start also leaves a guard outside the
# caller's process tree: when that PID is gone but the server still runs (the caller was
# killed with SIGKILL, say by a ctest timeout, and never stopped it), the guard stops it.
#   pg_psql ARGS  psql on PG_URI, no psqlrc, stop at the first error
#
# initdb refuses to run as root: as root the cluster belongs to PG_RUN_AS (default nobody,
# through setpriv), and every folder above DIR must let that user through (o+x; /tmp does,
# a mktemp -d folder needs chmod 711). Clients running as root reach the socket all the same.
# The server binaries: PG_BINDIR, else `pg_config --bindir`, else the newest
# /usr/lib/postgresql/*/bin.
#
# From the command line, to look at something by hand:
#   bash tests/pg/pgtmp.sh start DIR         # prints `export PG_URI=...`; the server stays up
#   bash tests/pg/pgtmp.sh psql DIR [ARGS]   # psql on that cluster
#   bash tests/pg/pgtmp.sh stop DIR
#
# shellcheck shell=bash disable=SC2034

PG_DIR=
PG_PORT=
PG_PID=
PG_URI=

# The folder holding initdb, pg_ctl and postgres.
pg_bindir() {
    local d
    if [[ -n "${PG_BINDIR:-}" ]]; then
        echo "$PG_BINDIR"
        return 0
    fi
    d=$(pg_config --bindir 2>/dev/null) || d=
    if [[ -n "$d" && -x "$d/initdb" ]]; then
        echo "$d"
        return 0
    fi
    for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r); do
        if [[ -x "$d/initdb" ]]; then
            echo "$d"
            return 0
        fi
    done
    echo "pgtmp: no PostgreSQL server binaries (initdb); install postgresql (scripts/deps.sh)" >&2
    return 1
}

# Run CMD as the cluster's owner: ourselves, or PG_RUN_AS when we are root.
pg_as_owner() {
    local user=${PG_RUN_AS:-nobody} group
    if ((EUID != 0)); then
        "$@"
        return
    fi
    group=$(id -gn "$user") || return 1
    setpriv --reuid="$user" --regid="$group" --clear-groups -- "$@"
}

# True while PID is a live process (a zombie nobody reaped yet counts as gone).
pg_pid_alive() {
    local stat
    [[ -n "$1" ]] || return 1
    { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
    stat=${stat##*) }
    [[ "${stat%% *}" != Z ]]
}

# A port number for the socket's name. Any will do, the socket being alone in its folder; a
# varied one tells the clusters apart in ps and in the logs.
pg_port() {
    echo $((20000 + RANDOM % 30000))
}

# The URI of the database `permit` on the cluster whose socket is in DIR, named for PORT.
pg_uri() {
    echo "postgresql:///permit?host=$1&port=$2&user=permit"
}

pg_fail() {
    echo "pgtmp: $*" >&2
    if [[ -n "$PG_DIR" && -s "$PG_DIR/postgres.log" ]]; then
        echo "--- last lines of $PG_DIR/postgres.log ---" >&2
        tail -n 15 "$PG_DIR/postgres.log" >&2
    fi
    return 1
}

pg_start() {
    local dir=${1:-} port=${2:-} bindir user i
    [[ -n "$dir" ]] || {
        echo "pgtmp: pg_start DIR [PORT]" >&2
        return 64
    }
    bindir=$(pg_bindir) || return 1
    mkdir -p "$dir" || return 1
    dir=$(cd "$dir" && pwd) || return 1
    # The folder goes into a URI unquoted and into a socket path of at most 107 bytes.
    [[ "$dir" =~ ^[A-Za-z0-9/._-]+$ ]] || pg_fail "folder '$dir': only [A-Za-z0-9/._-] please" || return
    ((${#dir} <= 80)) || pg_fail "folder '$dir' is too long for a unix socket path" || return
    PG_DIR=$dir
    if ((EUID == 0)); then
        user=${PG_RUN_AS:-nobody}
        chown "$user:$(id -gn "$user")" "$dir" || return 1
        pg_as_owner test -w "$dir" ||
            pg_fail "$user cannot reach $dir (a folder above it lacks o+x)" || return
    fi
    chmod 755 "$dir"

    [[ -n "$port" ]] || port=$(pg_port)
    [[ ! -e "$dir/.s.PGSQL.$port" ]] || pg_fail "a server already listens in $dir" || return
    PG_PORT=$port

    # --no-sync: the fresh cluster's files need not reach the disk before we start; the
    # server itself runs with fsync on.
    pg_as_owner "$bindir/initdb" -D "$dir/data" -U permit --auth=trust -E UTF8 --locale=C \
        --no-sync --no-instructions >"$dir/initdb.log" 2>&1 ||
        pg_fail "initdb failed: $(tail -n 5 "$dir/initdb.log")" || return
    cat >>"$dir/data/postgresql.conf" <<EOF

# pgtmp.sh: a throw-away test cluster, reachable only through its unix socket.
listen_addresses = ''
unix_socket_directories = '$dir'
port = $port
fsync = on
synchronous_commit = on
full_page_writes = on
max_connections = 30
shared_buffers = 16MB
EOF
    pg_as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 -s start ||
        pg_fail "pg_ctl start failed" || return
    { read -r PG_PID <"$dir/data/postmaster.pid"; } 2>/dev/null || PG_PID=
    pg_pid_alive "$PG_PID" || pg_fail "no postmaster after pg_ctl start" || return
    [[ -z "${PG_GUARD_PID:-}" ]] || pg_guard "$dir" "$PG_GUARD_PID"
    PG_URI=$(pg_uri "$dir" "$port")
    export PG_URI
    for ((i = 0; i < 50; i++)); do
        if "$bindir/createdb" -h "$dir" -p "$port" -U permit permit 2>"$dir/createdb.err"; then
            return 0
        fi
        sleep 0.1
    done
    pg_fail "createdb permit failed: $(cat "$dir/createdb.err")"
}

# The guard: every second, is the owner still there? Detached twice (a subshell that exits
# at once, then setsid) so that killing the owner's process tree does not take it along.
pg_guard() {
    local dir=$1 owner=$2
    # shellcheck disable=SC2016
    (setsid bash -c '
        pidfile=$1/data/postmaster.pid
        while kill -0 "$2" 2>/dev/null && [[ -e $pidfile ]]; do sleep 1; done
        { read -r pid <"$pidfile"; } 2>/dev/null && kill -s QUIT "$pid" 2>/dev/null
        exit 0' pgtmp-guard "$dir" "$owner" </dev/null >/dev/null 2>&1 &)
}

pg_adopt() {
    local dir pid port
    dir=$(cd "$1" 2>/dev/null && pwd) || return 1
    {
        read -r pid
        read -r _
        read -r _
        read -r port
    } 2>/dev/null <"$dir/data/postmaster.pid" || return 1
    pg_pid_alive "$pid" || return 1
    PG_DIR=$dir PG_PID=$pid PG_PORT=$port
    PG_URI=$(pg_uri "$dir" "$port")
    export PG_URI
}

pg_stop() {
    local pid=$PG_PID i
    [[ -n "$pid" ]] || return 0
    PG_PID=
    kill -s QUIT "$pid" 2>/dev/null || return 0
    for ((i = 0; i < ${PG_STOP_SECS:-10} * 20; i++)); do
        pg_pid_alive "$pid" || return 0
        sleep 0.05
    done
    kill -s KILL "$pid" 2>/dev/null || true
    pg_fail "the postmaster (pid $pid) ignored SIGQUIT for ${PG_STOP_SECS:-10}s: killed"
}

pg_psql() {
    local bindir
    bindir=$(pg_bindir) || return 1
    "$bindir/psql" -X -v ON_ERROR_STOP=1 -d "$PG_URI" "$@"
}

# The command line: start, stop or psql on the cluster in DIR.
pg_main() {
    local cmd=${1:-} dir=${2:-}
    if [[ -z "$cmd" || -z "$dir" ]]; then
        echo "usage: pgtmp.sh start|stop|psql DIR [PSQL ARGS]" >&2
        return 64
    fi
    shift 2
    case $cmd in
    start)
        pg_start "$dir" || return
        echo "export PG_URI='$PG_URI'  # postmaster pid $PG_PID, log $PG_DIR/postgres.log"
        ;;
    stop | psql)
        pg_adopt "$dir" || {
            echo "pgtmp: no running cluster in $dir" >&2
            return 1
        }
        if [[ $cmd == stop ]]; then
            pg_stop
        else
            pg_psql "$@"
        fi
        ;;
    *)
        echo "usage: pgtmp.sh start|stop|psql DIR [PSQL ARGS]" >&2
        return 64
        ;;
    esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    pg_main "$@"
fi
