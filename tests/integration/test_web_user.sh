#!/usr/bin/env bash
# permitctl web-user keeps the web console's accounts: add writes NAME:ROLE:HASH with a
# yescrypt hash into a file of mode 0600 (password from stdin here; the terminal otherwise),
# list shows names and roles but never the hashes, add again changes the role and password,
# del removes; a bad role, a bad name, a short password or a file readable by others is
# refused and changes nothing. No broker is involved.
# shellcheck source-path=SCRIPTDIR
# backends: sqlite
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

F=$T/web-users
wu() { run "$PERMITCTL" web-user --file "$F" "$@"; }

step "add two accounts; the file is 0600 and holds yescrypt hashes"
wu add zhang.san --role department:HCB --password-stdin <<<"s3cret-pass"
((RC == 0)) || fail "add exited $RC: $ERR"
wu add 其木格 --role viewer --password-stdin <<<"其木格的密码123"
((RC == 0)) || fail "add exited $RC: $ERR"
[[ $(stat -c %a "$F") == 600 ]] || fail "mode $(stat -c %a "$F"), want 600"
grep -q '^zhang\.san:department:HCB:\$y\$' "$F" || fail "no yescrypt line for zhang.san: $(cat "$F")"
grep -q 's3cret-pass' "$F" && fail "the password is in the file"

step "list: names and roles, no hashes"
wu list
((RC == 0)) || fail "list exited $RC: $ERR"
[[ $OUT == *"zhang.san	department:HCB"* && $OUT == *"其木格	viewer"* ]] || fail "list: $OUT"
[[ $OUT != *'$y$'* ]] || fail "list shows hashes: $OUT"

step "add again changes the role and the hash"
old=$(grep '^zhang' "$F")
wu add zhang.san --role operator --password-stdin <<<"another-pass"
((RC == 0)) || fail "re-add exited $RC: $ERR"
new=$(grep '^zhang' "$F")
[[ $new == zhang.san:operator:* && $new != "$old" ]] || fail "not changed: $new"

step "refusals change nothing"
before=$(cat "$F")
wu add li.si --role admin --password-stdin <<<"s3cret-pass"
((RC == 64)) || fail "bad role exited $RC, want 64"
wu add 'li:si' --role viewer --password-stdin <<<"s3cret-pass"
((RC == 64)) || fail "bad name exited $RC, want 64"
wu add li.si --role viewer --password-stdin <<<"short"
((RC == 65)) || fail "short password exited $RC, want 65: $ERR"
wu del nobody
((RC == 65)) || fail "del of nobody exited $RC, want 65"
[[ $(cat "$F") == "$before" ]] || fail "a refusal changed the file"
chmod 644 "$F"
wu list
((RC == 65)) && [[ $ERR == *"chmod 600"* ]] || fail "a readable file: exit $RC: $ERR"
chmod 600 "$F"

step "on a terminal: asked twice with echo off; two different answers change nothing"
tty_add() {
    "$PY" - "$PERMITCTL" "$F" "$@" <<'PY'
import os, pty, signal, sys
prog, f, name, first, second = sys.argv[1:6]
signal.alarm(20)  # a question that never reads its answer fails here, not at ctest's timeout
pid, fd = pty.fork()
if pid == 0:
    os.execv(prog, [prog, "web-user", "--file", f, "add", name, "--role", "operator"])
seen = b""
def until(word):
    global seen
    while word not in seen:
        chunk = os.read(fd, 1024)
        if not chunk:
            sys.exit("no prompt %r in %r" % (word, seen))
        seen += chunk
until(b"password: ")
os.write(fd, first.encode() + b"\n")
until(b"again: ")
os.write(fd, second.encode() + b"\n")
try:
    while True:
        chunk = os.read(fd, 1024)
        if not chunk:
            break
        seen += chunk
except OSError:
    pass
_, status = os.waitpid(pid, 0)
if first.encode() in seen:
    sys.exit("the password was echoed: %r" % seen)
print(seen.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
PY
}
PY=/usr/bin/python3
run tty_add wang.wu "tty-password-1" "tty-password-1"
((RC == 0)) || fail "tty add exited $RC: $OUT $ERR"
grep -q '^wang\.wu:operator:\$y\$' "$F" || fail "wang.wu not added: $(cat "$F")"
before=$(cat "$F")
run tty_add wang.wu "tty-password-2" "tty-password-3"
((RC == 65)) && [[ "$OUT" == *"differ"* ]] || fail "different answers: exit $RC: $OUT"
[[ $(cat "$F") == "$before" ]] || fail "two different answers changed the file"

step "del removes"
wu del 其木格
((RC == 0)) || fail "del exited $RC: $ERR"
wu list
[[ $OUT != *其木格* ]] || fail "still listed: $OUT"
step "ok"
