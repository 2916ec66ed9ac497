#!/usr/bin/env bash
# docs/install.md's walk-through, "One server in fifteen minutes", followed to the letter
# (issue 22): its `sh` blocks are taken from the page in order and run as one root shell in the
# folder holding the packages the build makes, from installing them to an event delivered by
# an office machine's agent. Then everything is stopped and purged, as test_packages.sh does.
#
# On a machine whose init is not systemd (a container), `systemctl` is this test's stand-in:
# it starts a unit the way its installed file says (User=, WorkingDirectory=, StateDirectory=,
# LoadCredential= and %d, ExecStart=) and waits for the program's own READY=1 on
# NOTIFY_SOCKET, as Type=notify does; reload is ExecReload's SIGHUP. Root only, like
# test_packages.sh, and one package test at a time.
# shellcheck source=../integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
# shellcheck source=pkglib.sh
source "$(dirname "${BASH_SOURCE[0]}")/pkglib.sh"

DOC=$PERMIT_SRC/docs/install.md
SECTION="## One server in fifteen minutes"
RUN=$T/units
KEYS=(/etc/permit/broker.secret /etc/permit/broker.key /etc/permit/notifier.secret
    /etc/permit/notifier.key /etc/permit/keys/ops.key /etc/permit/keys/NRB.key
    /etc/permit/keys/notifier.key /etc/permit/web.secret /etc/permit/web.key
    /etc/permit/keys/web.key)
BACKUPS=() # the walk-through's backup files, named in its output

if ss -ltn | grep -Eq '127\.0\.0\.1:740[123] |\*:740[123] |0\.0\.0\.0:740[123] '; then
    step "SKIP: a port from 7401 to 7403, which the page's broker takes, is in use"
    exit 77
fi

# The services the walk-through started, stopped; the packages purged; the keys it made gone.
doc_cleanup() {
    local f
    for f in "$RUN"/*.pid; do
        [[ -e $f ]] && kill_wait "$(cat "$f")" TERM 10
    done
    purge_all
    rm -f "${KEYS[@]}" "${BACKUPS[@]}"
    rm -rf /etc/permit-agent
    rmdir /etc/permit/keys /etc/permit 2>/dev/null || true
}
# then lib.sh's cleanup, which reads the exit status from $?
on_exit() {
    local rc=$?
    doc_cleanup
    set +e # (exit) only hands the status on
    (exit "$rc")
    cleanup
}
trap on_exit EXIT

step "purge what an earlier run left"
left=$(permit_procs)
[[ -z "$left" ]] || fail "processes of the permit users run before the test: $left"
doc_cleanup
[[ ! -e /var/lib/permit ]] || fail "/var/lib/permit is left from before although no package is installed"

build_packages

step "the page's sh blocks, in order"
awk -v section="$SECTION" '
    $0 == section { inside = 1; next }
    inside && /^## / { exit }
    inside && /^```sh$/ { block = 1; print "echo \"--- block " ++n " ---\""; next }
    block && /^```$/ { block = 0; next }
    block { print }
' "$DOC" >"$T/walkthrough.sh"
blocks=$(grep -c '^echo "--- block' "$T/walkthrough.sh" || true)
((blocks >= 5)) || fail "found $blocks sh blocks under '$SECTION' in $DOC"
for want in "apt-get install" "permitctl keygen broker" "systemctl enable --now permitd" \
    "permitctl import calendar" "permit-agent@NRB" "permit-notify" "permitctl backup" \
    "permitctl verify" "systemctl enable --now permit-web"; do
    grep -qF -- "$want" "$T/walkthrough.sh" || fail "the walk-through no longer does '$want'"
done

mkdir -p "$T/bin" "$RUN" "$T/home"
chmod 711 "$T" "$RUN" # the services' users reach their credentials and notify sockets
if [[ ! -d /run/systemd/system ]]; then
    cat >"$T/bin/systemctl" <<'EOF'
#!/usr/bin/env bash
# This test's systemctl (see test_install_doc.sh): start, stop, reload, is-active of a unit.
set -euo pipefail
RUN=${PERMIT_DOC_RUN:?}
cmd=$1
shift
if [[ $cmd == enable ]]; then
    [[ ${1:-} == --now ]] || exit 0
    shift
    cmd=start
fi
name=${1%.service} inst=
file=/lib/systemd/system/$name.service
if [[ $name == *@* ]]; then
    inst=${name#*@}
    file=/lib/systemd/system/${name%%@*}@.service
fi
[[ -f $file ]] || { echo "systemctl: no unit $file" >&2; exit 5; }
key() { sed -n "s/^$1=//p" "$file" | sed "s/%i/$inst/g"; }
pid() { cat "$RUN/$name.pid" 2>/dev/null; }
case $cmd in
start)
    user=$(key User) wd=$(key WorkingDirectory) creds=$RUN/$name.creds sock=$RUN/$name.notify
    for d in $(key StateDirectory); do install -d -o "$user" -g "$user" -m 0700 "/var/lib/$d"; done
    install -d -o "$user" -g "$user" -m 0700 "$creds"
    while IFS=: read -r cname cpath; do
        install -o "$user" -g "$user" -m 0400 "$cpath" "$creds/$cname"
    done < <(key LoadCredential)
    # ExecStart=, its continuation lines joined, %i and %d put in.
    exec_start=$(awk '/^ExecStart=/ { s = substr($0, 11); while (s ~ /\\$/) { sub(/\\$/, "", s);
        getline l; s = s l } print s }' "$file" | sed "s/%i/$inst/g; s|%d|$creds|g")
    rm -f "$sock"
    # READY=1 within 30 s; then, as systemd, go on taking STATUS, WATCHDOG and STOPPING until
    # the service is gone (a socket nobody reads makes the program warn).
    python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666); s.settimeout(30)
try:
    while b"READY=1" not in s.recv(4096):
        pass
except socket.timeout:
    sys.exit(1)
if os.fork() == 0:
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.setsid()
    s.settimeout(1)
    pid = int(open(sys.argv[2]).read())
    while True:
        try:
            s.recv(4096)
        except socket.timeout:
            pass
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(0)' "$sock" "$RUN/$name.pid" &
    waiter=$!
    for _ in $(seq 100); do [[ -S $sock ]] && break; sleep 0.05; done
    # shellcheck disable=SC2086 # ExecStart's words
    (cd "$wd" && NOTIFY_SOCKET=$sock exec setpriv --reuid="$user" --regid="$user" \
        --init-groups -- $exec_start) >"$RUN/$name.log" 2>&1 &
    echo $! >"$RUN/$name.pid"
    if ! wait "$waiter"; then
        echo "systemctl: $name did not say READY=1: $(tail -n 5 "$RUN/$name.log")" >&2
        exit 1
    fi
    ;;
reload) kill -HUP "$(pid)" ;;
stop) kill -TERM "$(pid)" ;;
is-active)
    if [[ -n $(pid) ]] && kill -0 "$(pid)" 2>/dev/null; then echo active; else
        echo inactive
        exit 3
    fi
    ;;
*) echo "systemctl: '$cmd' is not this test's" >&2; exit 1 ;;
esac
EOF
    chmod 755 "$T/bin/systemctl"
fi

(cd "$PKG_BUILD" && exec env -u PERMIT_BROKER -u PERMIT_QUERY -u PERMIT_PUBLISH HOME="$T/home" \
    PATH="$T/bin:$PATH" PERMIT_DOC_RUN="$RUN" timeout 300 bash -euxo pipefail "$T/walkthrough.sh") \
    >"$T/walkthrough.out" 2>&1 || {
    mapfile -t BACKUPS < <(sed -n 's|^\(/var/backups/permit-[0-9-]*\.db\): head [0-9]*$|\1|p' "$T/walkthrough.out")
    for log in "$RUN"/*.log; do
        [[ -e $log ]] && echo "--- $log ---" && tail -n 15 "$log"
    done >&2
    fail "docs/install.md's walk-through failed: $(tail -n 25 "$T/walkthrough.out")"
}
mapfile -t BACKUPS < <(sed -n 's|^\(/var/backups/permit-[0-9-]*\.db\): head [0-9]*$|\1|p' "$T/walkthrough.out")
((${#BACKUPS[@]} == 1)) || fail "the walk-through's backup printed no 'FILE: head N': $(tail -n 10 "$T/walkthrough.out")"
grep -q "LAND_PREREVIEW" "$T/walkthrough.out" ||
    fail "the walk-through's status shows no procedure: $(tail -n 10 "$T/walkthrough.out")"

step "stop and purge: nothing left running"
doc_cleanup
left=$(permit_procs)
[[ -z "$left" ]] || fail "processes left after purge: $left"
