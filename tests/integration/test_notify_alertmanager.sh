#!/usr/bin/env bash
# A contact with webhook_format = alertmanager gets the generic webhook as Alertmanager's
# webhook v4 document, so a bridge people already run (prometheus-webhook-dingtalk and the
# like) can take it: a Python check of its required keys and types, one alert per notice with
# the kind as alertname, project, procedure, dept and severity (red for a red item) as labels,
# title and text as annotations, RFC 3339 times. A contact without it still gets
# permit-notify/1, and a format the notifier does not know is refused at load as FILE:LINE.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/notify_lib.sh"

start_broker --test-clock 2026-03-02T09:00:00+08:00
import_samples
ctl import calendar "$PERMIT_SRC/deploy/calendar/2026.json"
start_http web
H=http://127.0.0.1:$PORT
cat >"$T/routes.conf" <<CONF
[route]
colour.red = am, plain
[contact am]
webhook = $H/hook/am
webhook_format = alertmanager
[contact plain]
webhook = $H/hook/plain
CONF
notify_conf
start_notify
W=$T/web.jsonl

step "EIA of TL-2026-001 goes red: the Alertmanager contact gets a v4 document"
send --dept EEB --project TL-2026-001 --procedure EIA --event accepted
ctl clock set 2026-03-17T09:00:00+08:00
wait_count 10 1 "$W" '.path == "/hook/am"'
wait_count 10 1 "$W" '.path == "/hook/plain"'
jq -c 'select(.path == "/hook/am") | .body' "$W" >"$T/am.json"
"$PY" - "$T/am.json" <<'PY' || fail "not an Alertmanager v4 document: $(cat "$T/am.json")"
import json, re, sys
rfc3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
for line in open(sys.argv[1]):
    d = json.loads(line)
    assert isinstance(d, dict), d
    for k, t in {"version": str, "groupKey": str, "status": str, "receiver": str,
                 "groupLabels": dict, "commonLabels": dict, "commonAnnotations": dict,
                 "externalURL": str, "alerts": list}.items():
        assert isinstance(d.get(k), t), (k, d.get(k))
    assert d["version"] == "4" and d["status"] in ("firing", "resolved"), d
    assert d["receiver"] == "am" and len(d["alerts"]) == 1, d
    for a in d["alerts"]:
        for k, t in {"status": str, "labels": dict, "annotations": dict, "startsAt": str,
                     "endsAt": str, "generatorURL": str, "fingerprint": str}.items():
            assert isinstance(a.get(k), t), (k, a.get(k))
        assert a["status"] == "firing", a
        assert all(isinstance(v, str) for v in a["labels"].values()), a
        assert all(isinstance(v, str) for v in a["annotations"].values()), a
        assert rfc3339.match(a["startsAt"]) and rfc3339.match(a["endsAt"]), a
        assert re.fullmatch(r"[0-9a-f]{16}", a["fingerprint"]), a
        l, n = a["labels"], a["annotations"]
        assert l["alertname"] == "colour" and l["severity"] == "red", l
        assert l["project"] == "TL-2026-001" and l["procedure"] == "EIA", l
        assert l["dept"] == "EEB", l
        assert "红色预警" in n["summary"] and n["description"], n
PY
step "a contact without the option still gets the permit-notify/1 document"
(($(count "$W" '.path == "/hook/plain" and .body.schema == "permit-notify/1"') >= 1)) ||
    fail "plain: $(cat "$W")"
stop_notify

step "an unknown format is refused at load with its line"
cat >>"$T/routes.conf" <<CONF
[contact other]
webhook = $H/hook/other
webhook_format = prometheus
CONF
if "$PERMIT_NOTIFY" run --config "$T/notify.conf" -n >"$T/n.out" 2>&1; then
    fail "an unknown webhook_format was accepted"
fi
grep -q "routes.conf:[0-9]*:.*webhook_format" "$T/n.out" || fail "$(cat "$T/n.out")"
