#!/usr/bin/env bash
# The Debian packages (issue 22): take those ctest's package_build made (or build them with
# cpack in a Release folder of their own, run alone), check them with lintian (no error, every
# program with its man page), install them on this machine with apt-get, run the installed
# programs on the installed paths as the packages' users, remove them (the data stays), purge
# them (the data goes) and check that nothing they started is left running.
#
# It changes the machine (/usr/bin, /etc/permit, /var/lib/permit, the permit users), so it runs
# as root only (CI), and skips (77) otherwise or without dpkg-dev/apt. Idempotent: packages left
# by an interrupted run are purged first. One run at a time (a lock in /run).
# shellcheck source=../integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

# shellcheck source=pkglib.sh
source "$(dirname "${BASH_SOURCE[0]}")/pkglib.sh"
STATE=/var/lib/permit

step "purge what an earlier run left"
pkill_left=$(permit_procs)
[[ -z "$pkill_left" ]] || fail "processes of the permit users run before the test: $pkill_left"
purge_all
rm -f /etc/permit/broker.secret /etc/permit/broker.key /etc/permit/keys/pkgtest.*
[[ ! -e $STATE ]] || fail "$STATE is left from before although no package is installed"

build_packages

step "what each package holds"
contents() { dpkg-deb -c "$1" | awk '{print $6}' | sed 's|^\.||'; }
has() {
    local deb=$1 path=$2
    contents "$deb" | grep -qx "$path" || fail "$(basename "$deb") does not hold $path"
}
has "${debs[0]}" /usr/bin/permitd
has "${debs[0]}" /lib/systemd/system/permitd.service
has "${debs[0]}" /etc/permit/permitd.conf
has "${debs[1]}" /usr/bin/permit-agent
has "${debs[1]}" /lib/systemd/system/permit-agent@.service
has "${debs[1]}" /etc/permit/agents/NRB.conf
has "${debs[2]}" /usr/bin/permit-notify
has "${debs[2]}" /lib/systemd/system/permit-notify.service
has "${debs[2]}" /usr/share/permit/templates/default.tmpl
has "${debs[3]}" /usr/bin/permitctl
has "${debs[3]}" /usr/share/permit/calendar/2026.json
# The man pages and bash completion (cmake/man.cmake), each in its program's package.
for i in 0 1 2; do
    prog=$(basename "${debs[$i]}" | sed 's/_.*//; s/permit-broker/permitd/')
    has "${debs[$i]}" "/usr/share/man/man8/$prog.8.gz"
    has "${debs[$i]}" "/usr/share/man/man5/$prog.conf.5.gz"
    has "${debs[$i]}" "/usr/share/bash-completion/completions/$prog"
done
has "${debs[3]}" /usr/share/man/man1/permitctl.1.gz
has "${debs[3]}" /usr/share/bash-completion/completions/permitctl
has "${debs[4]}" /usr/bin/permit-web
has "${debs[4]}" /lib/systemd/system/permit-web.service
has "${debs[4]}" /etc/permit/web.conf
! contents "${debs[1]}" | grep -q permitd || fail "the agent's package holds the broker"
dpkg-deb -f "${debs[0]}" Depends | grep -q "libzmq5" || fail "permit-broker does not depend on libzmq5"
dpkg-deb --ctrl-tarfile "${debs[0]}" | tar -xO ./conffiles | grep -qx /etc/permit/permitd.conf ||
    fail "/etc/permit/permitd.conf is not a conffile"

# lintian reads the packages while they are installed and run (it takes as long as the rest):
# its verdict is read before they are removed.
LINT_PID=
if command -v lintian >/dev/null 2>&1; then
    lintian "${debs[@]}" >"$T/lintian.out" 2>&1 &
    LINT_PID=$!
    CHILDREN+=("$LINT_PID")
fi

step "install with apt-get"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${debs[@]}" \
    >"$T/apt.out" 2>&1 || fail "apt-get install: $(tail -n 20 "$T/apt.out")"
for u in permit permit-agent permit-notify permit-web; do
    getent passwd "$u" >/dev/null || fail "the $u user was not created"
done
[[ "$(stat -c '%U %a' $STATE)" == "permit 700" ]] ||
    fail "$STATE is $(stat -c '%U %a' $STATE), not permit 700"
[[ -d /var/lib/permit-agent && -d /var/lib/permit-notify ]] || fail "the agent's or notifier's folder is missing"

step "the installed programs run"
for prog in permitd permit-agent permit-notify permitctl permit-web; do
    [[ "$(command -v $prog)" == /usr/bin/$prog ]] || fail "$prog is not /usr/bin/$prog"
    run as permit /usr/bin/$prog --version
    ((RC == 0)) && [[ -n "$OUT" ]] || fail "$prog --version exited $RC: $ERR"
done
run as permit-web /usr/bin/permit-web --config /etc/permit/web.conf -n
((RC == 0)) && [[ "$OUT" == "configuration OK" ]] ||
    fail "permit-web -n on the shipped /etc/permit/web.conf: $RC $OUT $ERR"

if command -v man >/dev/null 2>&1; then
    step "man finds the installed pages"
    for page in permitd permitctl permit-agent permit-notify permitd.conf; do
        run man -w "$page"
        [[ $RC == 0 && $OUT == /usr/share/man/man*/"$page".*.gz ]] || fail "man -w $page: $OUT $ERR"
    done
fi

step "permitd -n on /etc/permit/permitd.conf with a key pair from permitctl keygen"
run /usr/bin/permitctl keygen broker --dir /etc/permit
((RC == 0)) || fail "permitctl keygen broker: $ERR"
# As permitd.service runs it: the secret stays root's, the service reads its credential copy
# (LoadCredential=broker.secret: a folder of the service user's, the file 0400).
chmod 711 "$T" # permit must get through to its credential folder, thrown away with $T
CREDS=$T/creds
mkdir "$CREDS"
install -o permit -g permit -m 0400 /etc/permit/broker.secret "$CREDS/broker.secret"
chown permit:permit "$CREDS"
run as permit /usr/bin/permitd --config /etc/permit/permitd.conf -n
((RC == 78)) || fail "permitd -n read root's /etc/permit/broker.secret as permit (exit $RC)"
run as permit /usr/bin/permitd --config /etc/permit/permitd.conf \
    --secret-key-file "$CREDS/broker.secret" -n
((RC == 0)) && [[ "$OUT$ERR" == *"configuration OK"* ]] || fail "permitd -n exited $RC: $OUT $ERR"

step "permitd serves from $STATE as permit, CURVE on; permitctl imports the shipped calendar"
run /usr/bin/permitctl keygen pkgtest --dir /etc/permit/keys --role admin
((RC == 0)) || fail "permitctl keygen pkgtest: $ERR"
EP="ipc://$STATE/test"
BROKER_LOG=$T/installed-permitd.log
(cd $STATE && exec setpriv --reuid=permit --regid=permit --init-groups -- /usr/bin/permitd \
    --config /etc/permit/permitd.conf --secret-key-file "$CREDS/broker.secret" \
    --ingest "$EP-ingest" --publish "$EP-publish" --query "$EP-query") >"$BROKER_LOG" 2>&1 &
BROKER_PID=$!
wait_for 20 "the installed permitd to log ready:" broker_is_ready
[[ -f $STATE/permit.db ]] || fail "the database is not $STATE/permit.db"
[[ "$(stat -c %U $STATE/permit.db)" == permit ]] || fail "permit.db is not the permit user's"
run /usr/bin/permitctl --broker "$EP-ingest" --query "$EP-query" \
    --curve-secret /etc/permit/keys/pkgtest.secret --broker-key /etc/permit/broker.key \
    import calendar /usr/share/permit/calendar/2026.json
((RC == 0)) || fail "permitctl import calendar through the installed broker exited $RC: $ERR"
stop_broker
BROKER_PID=

if [[ -n $LINT_PID ]]; then
    step "lintian: no error"
    wait "$LINT_PID" || true
    if grep -q "^E: " "$T/lintian.out"; then
        fail "lintian errors: $(grep "^E: " "$T/lintian.out")"
    fi
    if grep -Eq "no-manual-page|binary-without-manpage|manpage-has-errors|groff-message" \
        "$T/lintian.out"; then
        fail "lintian on the man pages: $(grep -E "manual-page|manpage|groff" "$T/lintian.out")"
    fi
else
    step "lintian is not installed: not checked (scripts/deps.sh test installs it)"
fi

step "remove: programs gone, data and configuration kept"
DEBIAN_FRONTEND=noninteractive dpkg --remove "${PACKAGES[@]}" >"$T/remove.out" 2>&1 ||
    fail "dpkg --remove: $(cat "$T/remove.out")"
[[ ! -e /usr/bin/permitd ]] || fail "/usr/bin/permitd is left after remove"
[[ -f $STATE/permit.db ]] || fail "remove deleted $STATE/permit.db"
[[ -f /etc/permit/permitd.conf ]] || fail "remove deleted the conffile /etc/permit/permitd.conf"

step "purge: data and configuration gone, nothing running"
rm -f /etc/permit/broker.secret /etc/permit/broker.key /etc/permit/keys/pkgtest.*
purge_all
for gone in $STATE /var/lib/permit-agent /var/lib/permit-notify /var/lib/permit-web /etc/permit; do
    [[ ! -e $gone ]] || fail "$gone is left after purge: $(ls -la "$gone" 2>&1)"
done
left=$(permit_procs)
[[ -z "$left" ]] || fail "processes left after purge: $left"
