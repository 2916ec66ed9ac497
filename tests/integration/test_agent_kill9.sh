#!/usr/bin/env bash
# kill -9 of the department agent at random moments while it takes spool files and sends:
# ten cycles of start, a random pause of a few tens of milliseconds (every other cycle once
# sending is under way), SIGKILL, with four files
# waiting in the spool from the start and two more dropped along the way. Then one clean run
# to the end. Nothing is lost and nothing applied twice (the log holds each id once), every procedure
# went through its events in order, and nothing was refused (a reordered pair would have been
# refused as a forbidden transition).
# shellcheck source-path=SCRIPTDIR disable=SC2119
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/agent_lib.sh"

P=KA
NPROJ=300
FILES=6
CYCLES=10
PER_FILE=$((NPROJ / FILES))
CHAIN="accepted supplement_requested supplement_received approved"
TOTAL=$((NPROJ * 4))

start_with_projects "$P" "$NPROJ"

step "$FILES files of $PER_FILE projects x 4 events; ids derived from the files"
mkdir -p "$T/in"
for ((f = 0; f < FILES; f++)); do
    {
        echo "project,procedure,event"
        for kind in $CHAIN; do
            for ((i = f * PER_FILE + 1; i <= (f + 1) * PER_FILE; i++)); do
                printf '%s-%03d,LAND_PREREVIEW,%s\n' "$P" "$i" "$kind"
            done
        done
    } >"$T/in/batch-$f.csv"
done

# A small window keeps many events in flight and unacked for longer: more to lose to a kill.
agent_conf nrb NRB window=8
logged() { dbq "SELECT COUNT(*) FROM ($(events_sql "$P-%")) AS e"; }
# More logged than $1, or everything logged already (nothing left to wait for).
logged_more_than() {
    local n
    n=$(logged)
    ((n > $1 || n >= TOTAL))
}
for ((f = 0; f < 4; f++)); do
    cp "$T/in/batch-$f.csv" "$T/nrb-$f.csv"
done
mkdir -p "$T/nrb/spool"
for ((f = 0; f < 4; f++)); do
    mv "$T/nrb-$f.csv" "$T/nrb/spool/batch-$f.csv"
done
midway=0
for ((c = 0; c < CYCLES; c++)); do
    start_agent nrb
    if ((c == 2 || c == 5)); then
        drop_file nrb "$T/in/batch-$((c == 2 ? 4 : 5)).csv"
    fi
    # Every other cycle waits for sending to be under way, so some kills land mid-send however
    # slowly this machine starts the agent; the others may land while a file is being taken.
    if ((c % 2 == 1)); then
        wait_for 20 "the agent to be sending" logged_more_than "$(logged)"
    fi
    # 5 to 65 ms more.
    sleep "0.0$(printf '%02d' $((RANDOM % 60 + 5)))"
    before=$(logged)
    kill9_agent nrb
    step "cycle $((c + 1)): killed with $before of $TOTAL events logged"
    if ((before > 0 && before < TOTAL)); then
        midway=$((midway + 1))
    fi
done
((midway >= 3)) || fail "only $midway kills landed while events were still being sent"

step "a last run delivers the rest"
start_agent nrb
wait_for 60 "every file to be taken" bash -c "[[ -z \$(find '$T/nrb/spool' -maxdepth 1 -type f) ]]"
wait_sent nrb "$TOTAL" 60
stop_agent nrb

step "each event applied once, every procedure in order, nothing refused"
check_once "$P-%" "$TOTAL"
check_chains "$P-%" "$CHAIN"
agent_json nrb
[[ "$(jq '.rejected | length' <<<"$OUT")" == 0 ]] || fail "events were refused: $OUT"
[[ -z "$(ls -A "$T/nrb/spool/failed")" ]] || fail "a file failed: $(cat "$T"/nrb/spool/failed/*)"
stop_broker
dups=$(grep -oE '\(([0-9]+) duplicates\)' "$BROKER_LOG" | grep -oE '[0-9]+' || echo 0)
step "the broker answered $dups resent events as logged before"
