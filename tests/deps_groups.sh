#!/usr/bin/env bash
# `make run` installs only what building and the demo need (issue 22; python3 for the demo's
# webhook receiver, issue 20): scripts/deps.sh run holds no PostgreSQL server, no test
# toolchain, no fuzzing compiler, no packaging tools; `deps.sh test` holds all of run and
# those; the Makefile's run and test ask for their group.
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fail() {
    echo "deps_groups: FAIL: $*" >&2
    exit 1
}

run=$(bash "$SRC/scripts/deps.sh" run --list) || fail "deps.sh run --list failed"
test=$(bash "$SRC/scripts/deps.sh" test --list) || fail "deps.sh test --list failed"
for pkg in postgresql clang libclang-rt-14-dev libcmocka-dev python3-aiosmtpd faketime lintian \
    dpkg-dev clang-format chromium chromium-driver python3-selenium prometheus nginx-light; do
    ! grep -qx "$pkg" <<<"$run" || fail "deps.sh run installs $pkg, which only the tests need"
    grep -qx "$pkg" <<<"$test" || fail "deps.sh test lacks $pkg"
done
for pkg in build-essential cmake libzmq3-dev libpq-dev libmicrohttpd-dev jq sqlite3 python3; do
    grep -qx "$pkg" <<<"$run" || fail "deps.sh run lacks $pkg"
done
while read -r pkg; do
    grep -qx "$pkg" <<<"$test" || fail "deps.sh test lacks $pkg of the run group"
done <<<"$run"
# make -n: what `make run` and `make test` would do, nothing done (read whole: grep -q would
# stop reading early and pipefail would see make's SIGPIPE).
mrun=$(make -C "$SRC" -n run)
mtest=$(make -C "$SRC" -n test)
grep -q 'deps.sh run$' <<<"$mrun" || fail "make run does not call deps.sh run"
# The demo's build must not need the tests' packages (cmocka): it leaves the tests out.
grep -q -- '-DPERMIT_TESTS=OFF' <<<"$mrun" || fail "make run configures the tests, which need cmocka"
! grep -q 'deps.sh test\|deps.sh all\|deps.sh$' <<<"$mrun" ||
    fail "make run installs more than the run group"
grep -q 'deps.sh test$' <<<"$mtest" || fail "make test does not call deps.sh test"
echo "deps_groups: PASS"
