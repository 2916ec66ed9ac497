#!/usr/bin/env bash
# The systemd units a security review accepts (issue 22): every unit in deploy/ scores 2.0 or
# less ("OK") in `systemd-analyze security --offline=yes`, and the daemons' units are
# Type=notify with a watchdog, a dedicated user, LimitNOFILE, UMask=0077 and their secrets as
# credentials. Skipped (77) without systemd-analyze (scripts/deps.sh test installs systemd).
# shellcheck source-path=SCRIPTDIR disable=SC2119
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sqlite_only "the units do not depend on the backend"
if ! command -v systemd-analyze >/dev/null 2>&1; then
    step "SKIP: systemd-analyze is missing"
    exit 77
fi
TARGET=2.0

mapfile -t units < <(find "$PERMIT_SRC/deploy" -name '*.service' | sort)
((${#units[@]} >= 5)) || fail "expected at least 5 units under deploy/, found ${#units[@]}"
for unit in "${units[@]}"; do
    name=${unit#"$PERMIT_SRC"/}
    # The Exec= paths need not exist on this machine: only the unit's settings are judged.
    systemd-analyze security --offline=yes --no-pager "$unit" >"$T/out" 2>&1 || true
    score=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' "$T/out")
    [[ -n "$score" ]] || fail "$name: no score from systemd-analyze: $(tail -n 5 "$T/out")"
    awk -v s="$score" -v t="$TARGET" 'BEGIN { exit !(s <= t) }' ||
        fail "$name scores $score, above $TARGET: $(grep '✗' "$T/out" | head -n 15)"
    step "$name: $score"
    grep -q '^User=\|^DynamicUser=yes' "$unit" || fail "$name runs as root"
    grep -q '^UMask=0077' "$unit" || fail "$name has no UMask=0077"
done

for unit in "$PERMIT_SRC"/deploy/systemd/*.service "$PERMIT_SRC/deploy/ha/permitd.service"; do
    name=${unit#"$PERMIT_SRC"/}
    for want in '^Type=notify$' '^WatchdogSec=' '^LimitNOFILE=65536$' '^LoadCredential=' \
        '^StateDirectory=' '^LogsDirectory='; do
        grep -q "$want" "$unit" || fail "$name lacks $want"
    done
done
