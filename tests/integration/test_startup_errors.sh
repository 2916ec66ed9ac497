#!/usr/bin/env bash
# A start that cannot serve says what to check next (issue 22): an endpoint in use (a TCP port,
# or an ipc path that another permitd serves: libzmq would silently take it over), a database
# another broker holds, and CURVE's keys_dir or secret key missing. Each is one line at error
# level on stderr and an exit status of its own (docs/operate.md); the first broker, whose
# endpoints and database the others reached for, still serves.
# backends: sqlite
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sqlite_only "the database's lock file is sqlite's"

read -r PP < <(python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PUBLISH=tcp://127.0.0.1:$PP
export PERMIT_PUBLISH=$PUBLISH
start_broker
import_samples

# refuse STATUS WORDS ARGS...: permitd ARGS must exit STATUS with stderr one line at error
# level holding WORDS (what to do next). At most 20 s: a permitd that serves instead is a fail.
refuse() {
    local want=$1 words=$2
    shift 2
    run timeout 20 "$PERMITD" --log-level error "$@"
    ((RC == want)) || fail "permitd $* exited $RC, not $want: $ERR"
    [[ $(wc -l <<<"$ERR") == 1 ]] || fail "permitd $* printed more than one line: $ERR"
    [[ $ERR == *" error: "*"$words"* ]] || fail "permitd $*: '$ERR' is not an error saying '$words'"
}
others=(--ingest "ipc://$T/2i.sock" --query "ipc://$T/2q.sock" --publish "ipc://$T/2p.sock")

step "a second permitd on the first one's ipc path: refused, 69"
refuse 69 "ingest = $INGEST: another process serves it (another permitd?): stop it, or set ingest" \
    --db "$T/second.db" --curve no "${others[@]}" --ingest "$INGEST"
refuse 69 "query = $QUERY: another process serves it" \
    --db "$T/second.db" --curve no "${others[@]}" --query "$QUERY"

step "a port in use: refused, 69, naming how to find who holds it"
refuse 69 "publish = $PUBLISH: the port is in use by another program (\`ss -ltnp 'sport = :$PP'\`" \
    --db "$T/second.db" --curve no "${others[@]}" --publish "$PUBLISH"

step "the database of another broker: refused, 75"
refuse 75 "another permitd is using $DB ($DB.lock is locked): stop it first" \
    --db "$DB" --curve no "${others[@]}"

step "CURVE without its keys: refused, 66, saying how to make them"
mkdir -p "$T/keys"
ctl keygen broker --dir "$T"
refuse 66 "keys_dir $T/nokeys: No such file or directory: create it" \
    --db "$T/second.db" "${others[@]}" --secret-key-file "$T/broker.secret" --keys-dir "$T/nokeys"
refuse 66 "secret_key_file $T/none.secret: No such file or directory: make the broker's key pair" \
    --db "$T/second.db" "${others[@]}" --secret-key-file "$T/none.secret" --keys-dir "$T/keys"

step "the first broker still serves on every endpoint"
ctl import departments "$PERMIT_SRC/deploy/departments.csv"
ctl tail --from 0
[[ -n $OUT ]] || fail "the first broker's query socket answers nothing"
spawn follower "$PERMITCTL" tail -f --from 0
wait_for 10 "the publish socket to deliver" grep -q . "$T/follower.out"
! grep -q " error: " "$BROKER_LOG" || fail "the first broker logged an error: $(grep " error: " "$BROKER_LOG")"
stop_broker
