#!/usr/bin/env bash
# permit-web behind nginx with the shipped locations (deploy/nginx/permit-web-locations.conf)
# on loopback: pages and the API pass, an event reaches a live stream through the proxy at
# once (no buffering), and a stream resumes exactly from its Last-Event-ID through the proxy.
# Skipped (77) without nginx (scripts/deps.sh test installs nginx-light).
# shellcheck source-path=SCRIPTDIR disable=SC2119
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/web_lib.sh"

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [[ ! -x "$NGINX" ]]; then
    step "SKIP: nginx is not installed"
    exit 77
fi

start_broker
import_samples
web_conf
start_web
NPORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$T/nginx/logs"
cat >"$T/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/logs/error.log;
events { worker_connections 256; }
http {
    access_log $T/nginx/logs/access.log;
    client_body_temp_path $T/nginx/body;
    proxy_temp_path $T/nginx/proxy;
    fastcgi_temp_path $T/nginx/fastcgi;
    uwsgi_temp_path $T/nginx/uwsgi;
    scgi_temp_path $T/nginx/scgi;
    upstream permit_web { server 127.0.0.1:$WEB_PORT; keepalive 16; }
    server {
        listen 127.0.0.1:$NPORT;
        include $PERMIT_SRC/deploy/nginx/permit-web-locations.conf;
    }
}
CONF
"$NGINX" -t -p "$T/nginx" -c "$T/nginx/nginx.conf" >"$T/nginx-t.out" 2>&1 ||
    fail "nginx -t: $(cat "$T/nginx-t.out")"
spawn nginx "$NGINX" -p "$T/nginx" -c "$T/nginx/nginx.conf" -g 'daemon off;'
P=http://127.0.0.1:$NPORT
wait_for 10 "nginx to answer" curl -fsS -o /dev/null "$P/api/board"

step "pages and the API through the proxy, with permit-web's headers"
headers=$(curl -fsS -D - -o /dev/null "$P/p/TL-2026-001")
[[ "$headers" == *"Content-Security-Policy:"* ]] || fail "the proxy lost the CSP: $headers"
code=$(curl -s -o /dev/null -w '%{http_code}' "$P/nope")
[[ "$code" == 404 ]] || fail "GET /nope through the proxy answered $code"

step "a live event goes through the proxy at once"
curl -sN --max-time 20 "$P/events" >"$T/live.txt" 2>/dev/null &
CURL=$!
CHILDREN+=("$CURL")
wait_for 5 "the stream to open" grep -q '^retry:' "$T/live.txt"
send --dept NRB --project TL-2026-001 --procedure LAND_PREREVIEW --event accepted
wait_for 2 "seq $SEQ through the proxy" grep -qx "id: $SEQ" "$T/live.txt"
kill "$CURL" 2>/dev/null || true

step "Last-Event-ID resumes exactly through the proxy"
head=$(db_head)
from=$((head - 4))
curl -sN --max-time 1 -H "Last-Event-ID: $from" "$P/events" >"$T/resume.txt" 2>/dev/null || true
ids=$(sed -n 's/^id: //p' "$T/resume.txt" | tr '\n' ' ')
want=$(seq $((from + 1)) "$head" | tr '\n' ' ')
[[ "$ids" == "$want" ]] || fail "through the proxy, Last-Event-ID $from gave '$ids' (expected '$want')"
stop_web
