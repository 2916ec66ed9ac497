#!/usr/bin/env python3
"""The fault suite's checker: the histories of the clients held against the broker's log.

Run after the load has quiesced and the broker has stopped. It checks, and counts:
  lost          an id a client saw acked (--acked: "ID SEQ" lines) that is not in the log, or
                is there under another sequence number (an ack is a promise about that entry)
  duplicates    an id logged twice, or one procedure accepted/approved twice in a project of
                the load (the same event applied twice under any id)
  order         a procedure approved before it was accepted
  not arrived   an id an agent took (--accepted: one id per line) missing from the log
  divergence    the derived tables differ from a rebuild of the same log (--permitd)
  integrity     PRAGMA integrity_check is not "ok"
  unblocks      a procedure unblocked twice in a row without a reopen between (one transition,
                one notification); with --deliveries (the webhook recorder's JSON lines), an
                unblocked entry whose notification never arrived (idempotency key "SEQ-...")

The log is a sqlite file (--db) or a PostgreSQL database (--pg URI, with --permitd): its tables
are first copied through psql (COPY, bodies in hex) into a temporary sqlite database of the
broker's own layout (which that permitd lays out), and everything above runs on the copy; the
rebuild then recomputes PostgreSQL's derived tables with the sqlite engine from the same log.
PRAGMA integrity_check is not run for PostgreSQL.

Exit 0 with one summary line when everything holds, 1 with the violations listed first.
"""
import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

KINDS_ONCE = ("accepted", "approved")


def read_acked(paths):
    """{id: seq} from every --acked file; an id acked twice with two seqs is a violation."""
    acked, clashes = {}, []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) != 2:
                    continue  # a line cut by a full disk of the load's own: not a claim
                ident, seq = parts[0], int(parts[1])
                if acked.setdefault(ident, seq) != seq:
                    clashes.append(f"{ident} acked as {acked[ident]} and as {seq}")
    return acked, clashes


def read_ids(paths):
    ids = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            ids.extend(line.strip() for line in f if line.strip())
    return ids


def dump_derived(db):
    """Every table but the log, rows in a stable order."""
    out = []
    tables = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " AND name != 'log' ORDER BY name")]
    for t in tables:
        rows = db.execute(f'SELECT * FROM "{t}"').fetchall()
        out.append((t, sorted(rows, key=repr)))
    return out


def rebuild_divergence(db, permitd):
    """Copy the database, rebuild the copy from its log, compare the derived tables."""
    tmp = tempfile.mkdtemp(prefix="permit-check.")
    try:
        copy = os.path.join(tmp, "rebuilt.db")
        dst = sqlite3.connect(copy)
        db.backup(dst)
        dst.close()
        run = subprocess.run([permitd, "--db", copy, "--rebuild"], capture_output=True,
                             text=True, check=False)
        if run.returncode != 0:
            return [f"permitd --rebuild exited {run.returncode}: {run.stderr.strip()[-300:]}"]
        rebuilt = sqlite3.connect(copy)
        a, b = dump_derived(db), dump_derived(rebuilt)
        rebuilt.close()
        diffs = []
        for (ta, ra), (tb, rb) in zip(a, b):
            if ta != tb or ra != rb:
                extra = set(map(repr, ra)) ^ set(map(repr, rb))
                diffs.append(f"table {ta}: {len(extra)} rows differ from a rebuild, e.g. "
                             f"{sorted(extra)[:2]}")
        if len(a) != len(b):
            diffs.append("the rebuild has other tables")
        return diffs
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def copy_unescape(field):
    """One field of COPY's text format: \\N is NULL, backslash escapes as COPY writes them."""
    if field == "\\N":
        return None
    if "\\" not in field:
        return field
    out, i = [], 0
    simple = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
    while i < len(field):
        c = field[i]
        if c != "\\" or i + 1 == len(field):
            out.append(c)
            i += 1
            continue
        nxt = field[i + 1]
        if nxt in simple:
            out.append(simple[nxt])
            i += 2
        elif nxt in "01234567":
            j = i + 1
            while j < len(field) and j < i + 4 and field[j] in "01234567":
                j += 1
            out.append(chr(int(field[i + 1:j], 8)))
            i = j
        else:
            out.append(nxt)
            i += 2
    return "".join(out)


def psql(uri, sql):
    run = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", uri,
                          "-c", sql], capture_output=True, text=True, check=False,
                         env=dict(os.environ, PGCLIENTENCODING="UTF8"))
    if run.returncode != 0:
        raise SystemExit(f"check.py: psql on {uri}: {run.stderr.strip()}")
    return run.stdout


def pg_to_sqlite(uri, permitd, path):
    """Copy the PostgreSQL database's tables into a new sqlite file of the broker's layout."""
    run = subprocess.run([permitd, "--db", path, "--rebuild"], capture_output=True, text=True,
                         check=False)
    if run.returncode != 0:
        raise SystemExit(f"check.py: {permitd} --db {path} --rebuild (to lay out the copy) "
                         f"exited {run.returncode}: {run.stderr.strip()[-300:]}")
    db = sqlite3.connect(path)
    tables = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " AND name != 'meta' ORDER BY name")]
    for t in tables:
        cols = [(r[1], r[2].upper()) for r in db.execute(f'PRAGMA table_info("{t}")')]
        pg_types = dict(line.split("|", 1) for line in psql(uri, (
            "SELECT attname || '|' || format_type(atttypid, NULL) FROM pg_attribute"
            f" WHERE attrelid = '\"{t}\"'::regclass AND attnum > 0 AND NOT attisdropped"
        )).splitlines() if "|" in line)
        missing = [c for c, _ in cols if c not in pg_types]
        if missing:
            raise SystemExit(f"check.py: PostgreSQL table {t} has no column {missing[0]}")
        select = ", ".join(f"encode(\"{c}\", 'hex')" if pg_types[c] == "bytea" else
                           f"(\"{c}\")::int" if pg_types[c] == "boolean" else f'"{c}"'
                           for c, _ in cols)
        text = psql(uri, f'COPY (SELECT {select} FROM "{t}") TO STDOUT')
        rows = []
        for line in text.split("\n"):
            if not line:
                continue
            vals = [copy_unescape(f) for f in line.split("\t")]
            rows.append([bytes.fromhex(v) if v is not None and typ == "BLOB" else v
                         for v, (_, typ) in zip(vals, cols)])
        marks = ", ".join("?" * len(cols))
        names = ", ".join(f'"{c}"' for c, _ in cols)
        db.executemany(f'INSERT INTO "{t}" ({names}) VALUES ({marks})', rows)
    db.commit()
    db.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--db", help="the broker's sqlite database")
    src.add_argument("--pg", metavar="URI",
                     help="the broker's PostgreSQL database (needs --permitd)")
    ap.add_argument("--acked", action="append", default=[])
    ap.add_argument("--accepted", action="append", default=[])
    ap.add_argument("--permitd", help="rebuild a copy with this permitd and compare")
    ap.add_argument("--deliveries", help="the webhook recorder's JSON lines")
    ap.add_argument("--label", default="check")
    ap.add_argument("--max-show", type=int, default=10)
    args = ap.parse_args()

    violations = []

    def violate(kind, items):
        for it in items[:args.max_show]:
            violations.append(f"{kind}: {it}")
        if len(items) > args.max_show:
            violations.append(f"{kind}: ... {len(items) - args.max_show} more")
        return len(items)

    pg_tmp = None
    if args.pg:
        if not args.permitd:
            ap.error("--pg needs --permitd (it lays out the sqlite copy)")
        pg_tmp = tempfile.mkdtemp(prefix="permit-check-pg.")
        args.db = os.path.join(pg_tmp, "from-pg.db")
        pg_to_sqlite(args.pg, args.permitd, args.db)
    try:
        return check(args, violations, violate)
    finally:
        if pg_tmp:
            shutil.rmtree(pg_tmp, ignore_errors=True)


def check(args, violations, violate):
    db = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    if args.pg:
        integrity = "not checked (postgresql)"
    else:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        violate("integrity", [] if integrity == "ok" else [integrity])

    acked, clashes = read_acked(args.acked)
    violate("acked twice", clashes)
    logged = dict(db.execute("SELECT event_id, seq FROM log WHERE event_id IS NOT NULL"))
    lost = [f"{i} (acked as {s}) is not in the log" for i, s in acked.items() if i not in logged]
    moved = [f"{i} acked as {s}, logged as {logged[i]}" for i, s in acked.items()
             if i in logged and logged[i] != s]
    n_lost = violate("lost", lost) + violate("moved", moved)

    # Ids are the sender's (the log's actor): one id may be logged once per sender.
    dup_ids = db.execute("SELECT actor || ':' || event_id, COUNT(*) FROM log"
                         " WHERE event_id IS NOT NULL GROUP BY actor, event_id"
                         " HAVING COUNT(*) > 1").fetchall()
    # The load's projects: every procedure is accepted once and approved once, in that order.
    # Their ids are PREFIX-NUMBER[.STEP] or PREFIX-import-N (fault-load's, test_links.sh's);
    # ids of other shapes (UUIDs the agent derives) name no load.
    shape = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)-(?:import-)?\d+(?:\.\d+[ap])?$")
    prefixes = sorted({m.group(1) for m in map(shape.match, acked) if m})
    twice, order = [], []
    for prefix in prefixes:
        rows = db.execute(
            "SELECT project, procedure, kind, MIN(seq), MAX(seq), COUNT(*) FROM log"
            " WHERE project LIKE ? AND kind IN ('accepted', 'approved')"
            " GROUP BY project, procedure, kind", (prefix + "-%",)).fetchall()
        first = {}
        for project, proc, kind, lo, hi, n in rows:
            if n > 1:
                twice.append(f"{project} {proc} {kind} logged {n} times (seq {lo}..{hi})")
            first[(project, proc, kind)] = lo
        for (project, proc, kind), seq in first.items():
            acc = first.get((project, proc, "accepted"))
            if kind == "approved" and (acc is None or acc > seq):
                order.append(f"{project} {proc} approved at {seq} before it was accepted")
    n_dup = violate("duplicate id", [f"{i} x{n}" for i, n in dup_ids]) + violate("applied twice", twice)
    n_order = violate("order", order)

    accepted = read_ids(args.accepted)
    missing = [i for i in accepted if i not in logged]
    n_missing = violate("not arrived", missing)

    n_div = 0
    if args.permitd:
        n_div = violate("divergence", rebuild_divergence(db, args.permitd))

    # One transition, one unblocked entry: never twice for a procedure without a reopen between.
    again, last = [], {}
    unblocked_seqs = []
    for seq, kind, project, proc in db.execute(
            "SELECT seq, kind, project, procedure FROM log WHERE kind IN ('unblocked', 'reopened')"
            " ORDER BY seq"):
        key = (project, proc)
        if kind == "reopened":
            last.pop(key, None)
            continue
        if key in last:
            again.append(f"{project} {proc} unblocked at {last[key]} and again at {seq}")
        last[key] = seq
        unblocked_seqs.append(seq)
    n_again = violate("unblocked twice", again)

    deliv_note = ""
    if args.deliveries is not None:
        keys, requests = set(), 0
        if os.path.exists(args.deliveries):
            with open(args.deliveries, encoding="utf-8") as f:
                for line in f:
                    rec = json.loads(line)
                    if rec.get("key"):
                        keys.add(rec["key"])
                        requests += 1
        delivered = {int(k.split("-", 1)[0]) for k in keys}
        undelivered = [f"unblocked entry {s} was never delivered" for s in unblocked_seqs
                       if s not in delivered]
        violate("undelivered", undelivered)
        deliv_note = (f"; {len(unblocked_seqs) - len(undelivered)}/{len(unblocked_seqs)} "
                      f"unblocks delivered ({requests - len(keys)} redeliveries absorbed by "
                      f"the idempotency key)")
    db.close()

    summary = (f"{args.label}: {n_lost} lost of {len(acked)} acked; {n_dup} duplicates; "
               f"{n_order} out of order; {n_missing} of {len(accepted)} agent-taken not arrived; "
               f"{n_div} state divergences{'' if args.permitd else ' (not checked)'}; "
               f"integrity {integrity}; {n_again} double unblocks{deliv_note}")
    for v in violations:
        print(f"{args.label}: VIOLATION {v}", file=sys.stderr)
    print(summary)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
