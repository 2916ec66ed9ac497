#!/bin/sh
# etcd-leader-to-witness.sh: keep etcd's leader on the witness. Run on the witness every
# minute (etcd-leader-to-witness.timer); install as /usr/local/sbin/etcd-leader-to-witness.
#
# Why: when etcd's leader changes, the new leader renews every lease for a full TTL. If the
# etcd leader sits on the database server that dies, Patroni's leader lock therefore lives
# another ttl seconds (plus the election) and the failover takes about twice as long. On the
# witness, which runs no database, etcd's leader never dies together with the primary.
# etcd 3.4 has no leader priority, so this moves it back after any election.
set -eu
WITNESS=${WITNESS:-http://127.0.0.1:2379}
ENDPOINTS=${ENDPOINTS:-http://10.20.0.11:2379,http://10.20.0.12:2379,http://10.20.0.13:2379}
export ETCDCTL_API=3

# "ENDPOINT, ID, VERSION, DB SIZE, IS LEADER, IS LEARNER, ...", the ID in hex.
status=$(etcdctl --endpoints="$WITNESS" endpoint status -w simple) || exit 0
me=$(printf '%s\n' "$status" | cut -d, -f2 | tr -d ' ')
is_leader=$(printf '%s\n' "$status" | cut -d, -f5 | tr -d ' ')
[ -n "$me" ] && [ "$is_leader" = false ] || exit 0
etcdctl --endpoints="$ENDPOINTS" move-leader "$me"
logger -t etcd-leader-to-witness "moved etcd's leader to the witness ($me)" 2>/dev/null || true
