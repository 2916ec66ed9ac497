#!/usr/bin/env bash
# Bad links and shifted clocks under the real department agent daemon (permit-agent run).
#
# The broker listens on a tcp loopback port. Four agents (NRB, EEB, WRB, CTB: each owns a
# procedure without prerequisites in the sample template, so the departments never wait on
# each other) reach it each through its own fault proxy (faultproxy.py). A feeder drops spool
# files into their spools along the way, written then renamed, CSV and JSON lines in turn;
# every file carries one to three steps of the chain accepted, supplement_requested,
# supplement_received, approved for a slice of the projects, and the files are named so that
# the spool takes a slice's steps in chain order: valid when applied in the order the agent
# promises to keep (a broken order would be refused as a forbidden transition).
#
# CTB's clock runs hours off (libfaketime, a fixed offset drawn from the seed); WRB's clock
# jumps by hours, forwards and backwards, while it runs, and once for certain steps back six
# hours in the middle of an outage. Only the wall clock is faked: a real monotonic clock never
# jumps, and the agent's timers run on it. The shifted agents' spool files carry their clock in
# their modification time, which their events claim.
#
# A nemesis driven by the seeded generator flips each proxy between pass and a fault for a
# random time: stalls without FIN (half of them longer than the agent's timeout, so it gives up
# on the half-open connection), resets (RST), connections that die silently for good (a NAT
# that forgot them: only a fresh connection gets through), refused connections, delays (some
# beyond the timeout) and slow links; it also kills agents with SIGKILL (or stops them with
# SIGTERM, which must end cleanly whatever the link is doing) and starts them again after a
# pause. At the end every open connection dies silently and the last files go in, so each agent
# must give its dead connection up by itself. Once every spool and every outbox is empty the
# agents stop (cleanly: ASan clean) and the checker holds the outboxes against the log: every
# event an agent took and every ack it recorded (with its sequence number) is in the log
# exactly once, each procedure went through the chain in order, nothing was refused; no agent
# logged a negative time span across a clock jump.
#
# FAULT_PROFILE=long: 10 minutes of link flapping. FAULT_SEED=N replays the nemesis's choices.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$PERMIT_SRC/tests/integration/agent_lib.sh"

if [[ "$FAULT_PROFILE" == long ]]; then
    NEMESIS_S=${FAULT_NEMESIS_S:-600} PROJECTS=${FAULT_PROJECTS:-1500} CHUNK=25
    FAULT_MS=(300 8000) HEALTHY_MS=(200 6000) KILL_MS=(3000 15000) JUMP_MS=(10000 40000)
    QUIESCE_S=300
else
    NEMESIS_S=${FAULT_NEMESIS_S:-40} PROJECTS=${FAULT_PROJECTS:-150} CHUNK=15
    FAULT_MS=(200 3000) HEALTHY_MS=(100 2000) KILL_MS=(1500 5000) JUMP_MS=(3000 8000)
    QUIESCE_S=90
fi
P=LK
CHAIN=(accepted supplement_requested supplement_received approved)
AGENTS=(nrb eeb wrb ctb)
declare -A DEPT=([nrb]=NRB [eeb]=EEB [wrb]=WRB [ctb]=CTB)
declare -A PROC=([nrb]=LAND_PREREVIEW [eeb]=EIA [wrb]=SOIL_WATER [ctb]=RELICS)
TOTAL=$((${#AGENTS[@]} * PROJECTS * ${#CHAIN[@]}))

FAKETIME_LIB=$(compgen -G "/usr/lib/*/faketime/libfaketimeMT.so.1" | head -n 1 || true)
[[ -n "$FAKETIME_LIB" ]] || fail "libfaketime is not installed (run scripts/deps.sh)"
# A sanitizer build wants its runtime first among the preloaded libraries.
ASAN_LIB=$(ldd "$PERMIT_AGENT" | awk '/libasan/ { print $3 }')

fault_seed
START_S=$SECONDS

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# rnd_in LO HI: RND in [LO, HI].
rnd_in() {
    rnd $(($2 - $1 + 1))
    RND=$((RND + $1))
}

# --- the broker on tcp -----------------------------------------------------------------------

BROKER_PORT=$(free_port)
INGEST=tcp://127.0.0.1:$BROKER_PORT
export PERMIT_BROKER=$INGEST
start_broker
fault_import
register_projects "$P" "$PROJECTS"

# --- one fault proxy per agent -----------------------------------------------------------------

declare -A PROXY_PORT=() CTL_PORT=() MODE=() SPELL_END=()
declare -A FAULTS=([stall]=0 [reset]=0 [hang]=0 [refuse]=0 [delay]=0 [slow]=0)

proxy_ready() {
    pid_alive "$1" || fail "faultproxy $2 died while starting: $(tail -n 3 "$T/proxy-$2.err")"
    [[ -s "$T/proxy-$2.port" && -s "$T/proxy-$2.ctl" ]]
}

start_proxy() {
    local name=$1
    spawn "proxy-$name" "$PY" "$PERMIT_SRC/tests/faults/faultproxy.py" --name "$name" \
        --target "127.0.0.1:$BROKER_PORT" --port-file "$T/proxy-$name.port" \
        --control-file "$T/proxy-$name.ctl"
    wait_for 10 "faultproxy $name to listen" proxy_ready "$SPAWNED" "$name"
    PROXY_PORT[$name]=$(<"$T/proxy-$name.port")
    CTL_PORT[$name]=$(<"$T/proxy-$name.ctl")
    MODE[$name]=pass
    SPELL_END[$name]=0
}

# proxy NAME COMMAND: one command on the proxy's control port; its answer is left in PROXY_ANS.
proxy() {
    local fd
    PROXY_ANS=
    exec {fd}<>"/dev/tcp/127.0.0.1/${CTL_PORT[$1]}" || fail "faultproxy $1: no control port"
    printf '%s\n' "$2" >&"$fd"
    read -r -t 10 PROXY_ANS <&"$fd" || true
    exec {fd}>&-
    [[ "$PROXY_ANS" == ok* ]] || fail "faultproxy $1: '$2' answered '$PROXY_ANS'"
}

for a in "${AGENTS[@]}"; do
    start_proxy "$a"
done

# --- the agents --------------------------------------------------------------------------------

# The clocks: CTB hours off for the whole run, WRB's read from a file the nemesis rewrites.
rnd_in 2 11
CTB_SHIFT=$((RANDOM % 2 ? RND : -RND))
WRB_CLOCK=$T/wrb.clock
WRB_SHIFT=-5
JUMPS=0
printf '%+dh\n' "$WRB_SHIFT" >"$WRB_CLOCK"
declare -A CLOCK_ENV=(
    [ctb]="FAKETIME=$(printf '%+dh' "$CTB_SHIFT")"
    [wrb]="FAKETIME_TIMESTAMP_FILE=$WRB_CLOCK FAKETIME_CACHE_DURATION=1"
)
step "CTB's clock is ${CTB_SHIFT}h off; WRB's starts ${WRB_SHIFT}h off and jumps"

# start_link_agent NAME: start_agent's bookkeeping (agent_lib.sh), under faketime if the
# agent's clock is shifted.
start_link_agent() {
    local name=$1 n envs=()
    n=$((${AGENT_STARTS[$name]:-0} + 1))
    AGENT_STARTS[$name]=$n
    if [[ -n "${CLOCK_ENV[$name]:-}" ]]; then
        read -r -a envs <<<"${CLOCK_ENV[$name]}"
        envs+=(FAKETIME_DONT_FAKE_MONOTONIC=1 "LD_PRELOAD=${ASAN_LIB:+$ASAN_LIB }$FAKETIME_LIB")
    fi
    spawn "agent-$name.$n" env "${envs[@]}" "$PERMIT_AGENT" run --config "$T/$name.conf"
    AGENT_PID[$name]=$SPAWNED
    AGENT_LOG=$T/agent-$name.$n.err
    wait_for 20 "permit-agent $name to log ready:" agent_is_ready "$name"
}

declare -A DOWN_UNTIL=()
for a in "${AGENTS[@]}"; do
    # A small window keeps events in flight, and so exposed to the link, for longer.
    agent_conf "$a" "${DEPT[$a]}" "broker=tcp://127.0.0.1:${PROXY_PORT[$a]}" window=8 \
        log_level=debug
    mkdir -p "$T/$a/spool"
    start_link_agent "$a"
    DOWN_UNTIL[$a]=0
done
# The agent notes its link with its own clock: CTB's shift must show there.
shifted() {
    local ms d
    ms=$(sqlite3 "$T/ctb/outbox.db" "SELECT value FROM meta WHERE key = 'link_since_ms'")
    [[ -n "$ms" ]] || return 1
    d=$((ms - $(now_ms)))
    (((d + (d > 0 ? 1800000 : -1800000)) / 3600000 == CTB_SHIFT))
}
wait_for 20 "CTB to note its link with a clock ${CTB_SHIFT}h off" shifted

# --- the spool files ---------------------------------------------------------------------------

# The projects fall in slices of CHUNK; each file carries the next one to three steps of the
# chain for one slice (drawn from the seeded generator), either step by step or project by
# project (a project's steps in a row), so a backlog holds successive events of the same
# procedure side by side. Names sort in the order the files were made, and a slice's steps go
# into files in chain order: the order the agent must keep. Odd files in JSON lines with ids
# derived by the agent, even ones in CSV with ids of ours (LK-1, LK-2, ...).
declare -A FILES=() NEXT_FILE=() NEXT_DROP=()
EVENT_ID=0
NCHUNKS=$(((PROJECTS + CHUNK - 1) / CHUNK))
write_file() {
    local f=$1 a=$2 c=$3 from=$4 to=$5 bystep=$6 s i x csv=0 first n
    [[ "$f" != *.csv ]] || csv=1
    first=$((c * CHUNK + 1))
    n=$((PROJECTS - c * CHUNK < CHUNK ? PROJECTS - c * CHUNK : CHUNK))
    {
        if ((csv)); then
            echo "id,project,procedure,event"
        fi
        for ((x = 0; x < (to - from) * n; x++)); do
            if ((bystep)); then
                s=$((from + x / n)) i=$((first + x % n))
            else
                s=$((from + x % (to - from))) i=$((first + x / (to - from)))
            fi
            if ((csv)); then
                EVENT_ID=$((EVENT_ID + 1))
                printf '%s-%d,%s-%03d,%s,%s\n' "$P" "$EVENT_ID" "$P" "$i" "${PROC[$a]}" \
                    "${CHAIN[$s]}"
            else
                printf '{"project": "%s-%03d", "procedure": "%s", "event": "%s"}\n' \
                    "$P" "$i" "${PROC[$a]}" "${CHAIN[$s]}"
            fi
        done
    } >"$f"
}
for a in "${AGENTS[@]}"; do
    mkdir -p "$T/in/$a"
    step_of=()
    open=()
    for ((c = 0; c < NCHUNKS; c++)); do
        step_of[c]=0
        open+=("$c")
    done
    k=0
    while ((${#open[@]} > 0)); do
        rnd ${#open[@]}
        j=$RND
        c=${open[$j]}
        rnd_in 1 3
        to=$((step_of[c] + RND))
        ((to <= ${#CHAIN[@]})) || to=${#CHAIN[@]}
        k=$((k + 1))
        ext=csv
        if ((k % 2)); then
            ext=jsonl
        fi
        write_file "$T/in/$a/$(printf 'f%05d.%s' "$k" "$ext")" "$a" "$c" "${step_of[c]}" "$to" \
            $((RANDOM % 2))
        step_of[c]=$to
        if ((to == ${#CHAIN[@]})); then
            open=("${open[@]:0:j}" "${open[@]:j+1}")
        fi
    done
    FILES[$a]=$k
    NEXT_FILE[$a]=1
    NEXT_DROP[$a]=0
done
NFILES=0
for a in "${AGENTS[@]}"; do
    NFILES=$((NFILES + FILES[$a]))
done
# The feeder spreads the files over the first 80% of the nemesis's time, but for the last
# tenth of each agent's files (HELD), which go in after the final fault.
declare -A PACE_MS=() HELD=()
for a in "${AGENTS[@]}"; do
    HELD[$a]=$((FILES[$a] / 10 + 1))
    PACE_MS[$a]=$((NEMESIS_S * 800 / (FILES[$a] > HELD[$a] ? FILES[$a] - HELD[$a] : 1)))
done

# drop_next NAME: the agent's next file into its spool, as drop_file (agent_lib.sh) does it:
# copied under a dot-name, then renamed. The department's system runs on the agent's machine,
# so a shifted agent's files carry its clock in their modification time, which their events
# claim (they have no time of their own).
drop_next() {
    local a=$1 f base hours=0
    f=$(compgen -G "$T/in/$a/$(printf 'f%05d' "${NEXT_FILE[$a]}").*")
    base=$(basename "$f")
    case $a in
    ctb) hours=$CTB_SHIFT ;;
    wrb) hours=$WRB_SHIFT ;;
    esac
    cp "$f" "$T/$a/spool/.$base"
    touch -d "@$(($(date +%s) + hours * 3600))" "$T/$a/spool/.$base"
    mv "$T/$a/spool/.$base" "$T/$a/spool/$base"
    NEXT_FILE[$a]=$((NEXT_FILE[$a] + 1))
}

# --- the nemesis -------------------------------------------------------------------------------

step "$TOTAL events in $NFILES files; ${NEMESIS_S}s of link faults and agent kills"

# A proxy's next spell: after a healthy one a fault; after a fault mostly a healthy spell, but
# three times in ten another fault at once, so a reset or a dead connection can strike while a
# delay or a slow link still holds frames on the way (lost between others that got through).
next_spell() {
    local a=$1 now=$2 cmd kind
    if [[ "${MODE[$a]}" != pass ]] && ((RANDOM % 10 >= 3)); then
        cmd=pass
        rnd_in "${HEALTHY_MS[@]}"
    else
        rnd 100
        if ((RND < 30)); then
            cmd=stall
        elif ((RND < 45)); then
            cmd=reset
        elif ((RND < 55)); then
            cmd=hang
        elif ((RND < 65)); then
            cmd=refuse
        elif ((RND < 82)); then
            # Mostly a round trip within the agent's timeout; one in five beyond it.
            if ((RANDOM % 5)); then
                rnd_in 20 700
            else
                rnd_in 800 2500
            fi
            cmd="delay $RND"
        else
            rnd_in 300 20000
            cmd="slow $RND"
        fi
        kind=${cmd%% *}
        FAULTS[$kind]=$((FAULTS[$kind] + 1))
        rnd_in "${FAULT_MS[@]}"
        # Stalls: half of them outlast the agent's timeout (1.5 s), so it gives up on the
        # half-open connection and starts a fresh one while the old one hangs.
        if [[ "$cmd" == stall ]] && ((RANDOM % 2)); then
            RND=$((RND + 1600))
        fi
    fi
    proxy "$a" "$cmd"
    MODE[$a]=${cmd%% *}
    SPELL_END[$a]=$((now + RND))
}

KILLS=0 STOPS=0
rnd_in "${KILL_MS[@]}"
NEXT_KILL=$(($(now_ms) + RND))
rnd_in "${JUMP_MS[@]}"
NEXT_JUMP=$(($(now_ms) + RND))
END_MS=$(($(now_ms) + NEMESIS_S * 1000))
while (($(now_ms) < END_MS)); do
    now=$(now_ms)
    for a in "${AGENTS[@]}"; do
        if ((now >= SPELL_END[$a])); then
            next_spell "$a" "$now"
        fi
        if ((DOWN_UNTIL[$a] > 0 && now >= DOWN_UNTIL[$a])); then
            DOWN_UNTIL[$a]=0
            start_link_agent "$a"
        fi
        if ((NEXT_FILE[$a] <= FILES[$a] - HELD[$a] && now >= NEXT_DROP[$a])); then
            drop_next "$a"
            NEXT_DROP[$a]=$((now + PACE_MS[$a]))
        fi
    done
    if ((now >= NEXT_KILL)); then
        rnd ${#AGENTS[@]}
        a=${AGENTS[$RND]}
        if ((DOWN_UNTIL[$a] == 0)); then
            # Mostly SIGKILL; one in four a SIGTERM, which must end in a clean exit (0, ASan
            # clean) within the drain time whatever state the link is in.
            if ((RANDOM % 4)); then
                kill9_agent "$a"
                KILLS=$((KILLS + 1))
            else
                stop_agent "$a"
                STOPS=$((STOPS + 1))
            fi
            rnd_in 0 1500
            DOWN_UNTIL[$a]=$((now + RND))
        fi
        rnd_in "${KILL_MS[@]}"
        NEXT_KILL=$((now + RND))
    fi
    if ((now >= NEXT_JUMP)); then
        rnd_in 1 30
        WRB_SHIFT=$((WRB_SHIFT > 0 ? -RND : RND))
        printf '%+dh\n' "$WRB_SHIFT" >"$WRB_CLOCK.tmp"
        mv "$WRB_CLOCK.tmp" "$WRB_CLOCK"
        JUMPS=$((JUMPS + 1))
        rnd_in "${JUMP_MS[@]}"
        NEXT_JUMP=$((now + RND))
    fi
    sleep 0.05
done

# --- quiescence --------------------------------------------------------------------------------

# A clock that steps back during an outage, for certain: WRB's link is made healthy, then
# refused until the agent logs the broker gone; its clock is set back six hours, and the link
# comes back. The agent must measure the outage on its monotonic clock ("broker back ... after
# N s", N >= 0). What the agent logged last about its link, from its current log:
wrb_link() {
    grep -hE "broker (back|reachable|lost)|does not answer" \
        "$T/agent-wrb.${AGENT_STARTS[wrb]}.err" | tail -n 1
}
link_is() {
    case $(wrb_link) in
    *"broker back"* | *"broker reachable"*) [[ $1 == up ]] ;;
    "") return 1 ;;
    *) [[ $1 == down ]] ;;
    esac
}
if ((DOWN_UNTIL[wrb] > 0)); then
    DOWN_UNTIL[wrb]=0
    start_link_agent wrb
fi
proxy wrb pass
# After the nemesis the agent may be inside a reconnection attempt on a connection the proxy
# stalled: the attempt's window doubles up to backoff_max_ms (15 s), and ZeroMQ's own retry
# interval inside it grows as far, so the healed link may first be tried 15 s later, and then
# answered on a machine loaded with the other tests (20 s was missed twice in the CI).
wait_for 45 "WRB to reach the broker" link_is up
proxy wrb refuse
wait_for 20 "WRB to log the broker gone" link_is down
WRB_SHIFT=$((WRB_SHIFT - 6))
printf '%+dh\n' "$WRB_SHIFT" >"$WRB_CLOCK.tmp"
mv "$WRB_CLOCK.tmp" "$WRB_CLOCK"
JUMPS=$((JUMPS + 1))
sleep 1.5 # libfaketime reads the clock file at most once a second (FAKETIME_CACHE_DURATION)
proxy wrb pass
wait_for 20 "WRB to find the broker again" link_is up
back=$(wrb_link)
[[ "$back" == *"broker back"* && "$back" != *"after -"* ]] ||
    fail "WRB, after its clock stepped back during an outage: '$back'"

# Last, every connection dies silently, and then the held files go in: no agent may count on
# a kill to get it out of a half-open connection, it must give the connection up by itself.
step "the links heal, with every open connection dead; the rest of the files go in"
for a in "${AGENTS[@]}"; do
    proxy "$a" hang
    FAULTS[hang]=$((FAULTS[hang] + 1))
    if ((DOWN_UNTIL[$a] > 0)); then
        DOWN_UNTIL[$a]=0
        start_link_agent "$a"
    fi
    while ((NEXT_FILE[$a] <= FILES[$a])); do
        drop_next "$a"
    done
done
FAULT_COUNT=$((FAULTS[stall] + FAULTS[reset] + FAULTS[hang] + FAULTS[refuse] + FAULTS[delay] +
    FAULTS[slow]))
NEMESIS_END_S=$SECONDS

# An agent is done when its spool holds no file, its outbox nothing queued, and nothing was
# refused (a refusal would mean an event overtook its predecessor: fail at once).
agent_done() {
    local a=$1 queued rejected
    [[ -z "$(find "$T/$a/spool" -maxdepth 1 -type f ! -name '.*')" ]] || return 1
    [[ -z "$(ls -A "$T/$a/spool/failed" 2>/dev/null)" ]] ||
        fail "a spool file of $a failed: $(cat "$T/$a/spool/failed"/*.reason)"
    agent_json "$a"
    read -r queued rejected < <(jq -r '"\(.queued) \(.rejected | length)"' <<<"$OUT")
    ((rejected == 0)) || fail "agent $a had events refused: $(jq -c '.rejected[:3]' <<<"$OUT")"
    ((queued == 0))
}
all_done() {
    local a
    for a in "${AGENTS[@]}"; do
        agent_done "$a" || return 1
    done
}
deadline=$((SECONDS + QUIESCE_S))
until all_done; do
    if ((SECONDS >= deadline)); then
        for a in "${AGENTS[@]}"; do
            agent_json "$a"
            echo "--- agent $a: $(jq -c '{queued, link: .broker}' <<<"$OUT"); its last lines:" >&2
            grep -v "debug: acked" "$T/agent-$a.${AGENT_STARTS[$a]}.err" | tail -n 4 >&2
            # Whether the agent tries at all, and what its link does with the tries.
            (proxy "$a" status && echo "    its proxy: $PROXY_ANS" >&2) || true
            echo "    its agent: pid ${AGENT_PID[$a]:-?} is $(ps -o stat= -p "${AGENT_PID[$a]:-0}" 2>/dev/null ||
                echo gone); the proxy's last lines:" >&2
            tail -n 3 "$T/proxy-$a.err" >&2
        done
        fail "after ${QUIESCE_S}s of healthy links some agent still has events queued" \
            "(seed $FAULT_SEED)"
    fi
    sleep 0.2
done
step "quiet $((SECONDS - NEMESIS_END_S))s after the nemesis stopped"

for a in "${AGENTS[@]}"; do
    stop_agent "$a"
done

# --- the check ---------------------------------------------------------------------------------

# What the agents took (every event in their outboxes) and what they saw acked, with the
# sequence number the broker gave. check.py holds the taken ids against the log, and the acked
# ids of ours (check.py reads a load's projects from ids of the form PREFIX-N; a derived id
# would count as a prefix of its own) with their sequence numbers; the sequence numbers of the
# derived ones are compared here.
for a in "${AGENTS[@]}"; do
    ob=$T/$a/outbox.db
    read -r n distinct notsent < <(sqlite3 -separator ' ' "$ob" "SELECT COUNT(*),
        COUNT(DISTINCT project || ' ' || procedure || ' ' || kind),
        SUM(state != 'sent' OR seq IS NULL) FROM outbox")
    ((n == PROJECTS * ${#CHAIN[@]} && distinct == n)) ||
        fail "agent $a took $n events ($distinct distinct), expected $((PROJECTS * ${#CHAIN[@]}))"
    ((notsent == 0)) || fail "agent $a has $notsent events not marked sent"
    sqlite3 "$ob" "SELECT id FROM outbox" >"$T/$a.accepted"
    sqlite3 -separator ' ' "$ob" "SELECT id, seq FROM outbox WHERE id LIKE '$P-%'" >"$T/$a.acked"
    moved=$(sqlite3 "$DB" "ATTACH '$ob' AS ob; SELECT o.id || ' acked as ' || o.seq
        || ', logged as ' || COALESCE(l.seq, 'nothing') FROM ob.outbox o
        LEFT JOIN log l ON l.event_id = o.id
        WHERE l.seq IS NOT o.seq LIMIT 3")
    [[ -z "$moved" ]] || fail "agent $a: acks that do not match the log: $moved"
done
# A clock jump must not show in what the agents measure on their own: durations in the logs.
negative=$(grep -h "after -[0-9]" "$T"/agent-*.err | head -n 3 || true)
[[ -z "$negative" ]] || fail "an agent measured a negative time span across a clock jump: $negative"
# The jumps reached WRB: the times it took events at span hours, in a run of a minute or so.
spread=$(sqlite3 "$T/wrb/outbox.db" "SELECT (MAX(added_ms) - MIN(added_ms)) / 60000 FROM outbox")
((JUMPS == 0 || spread >= 60)) ||
    fail "WRB took its events within $spread minutes by its own clock: the jumps did not reach it"
accepted=()
for a in "${AGENTS[@]}"; do
    accepted+=(--accepted "$T/$a.accepted")
done
check_all "${accepted[@]}"
check_once "$P-%" "$TOTAL"
check_chains "$P-%" "${CHAIN[*]}"

read -r lost dups < <(sed -nE 's/.*: ([0-9]+) lost of .*; ([0-9]+) duplicates;.*/\1 \2/p' \
    <<<"$CHECK_SUMMARY")
lostlinks=$(cat "$T"/agent-*.err | grep -c "broker lost" || true)
resent=$(cat "$T"/agent-*.err | grep -c "sending it again" || true)
dupacks=$(cat "$T"/agent-*.err | grep -c "logged before" || true)
((FAULTS[stall] + FAULTS[reset] + FAULTS[hang] + FAULTS[refuse] > 0)) ||
    fail "the nemesis cut no link"
((KILLS > 0)) || fail "the nemesis killed no agent"
((lostlinks > 0)) || fail "no agent ever gave a link up: the stalls did not bite"

step "proxies: ${FAULTS[stall]} stalls, ${FAULTS[reset]} resets, ${FAULTS[hang]} dead" \
    "connections, ${FAULTS[refuse]} refusals," \
    "${FAULTS[delay]} delays, ${FAULTS[slow]} slow links; agents: $lostlinks links given up," \
    "$resent resends on a live link, $dupacks acks of events logged before; $JUMPS clock jumps" \
    "(WRB's clock spanned $spread minutes)"
echo "links: $TOTAL events through $FAULT_COUNT flaps/stalls/resets and $KILLS agent kills" \
    "(and $STOPS stops):" \
    "${lost:-?} lost, ${dups:-?} duplicates (seed $FAULT_SEED, $((SECONDS - START_S))s)"
