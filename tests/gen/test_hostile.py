#!/usr/bin/env python3
"""test_hostile.py -- the db readers (gen, report, diff) on dbs whose values
the schema's types allow but no tuner writes, and on awkward outputs.

Each hostile db is refused by all three with exit 2, a message naming the
db and the bad value, no traceback and nothing written: an ok time of 0,
negative, infinite or text; text in a shape column; a status outside the
list; a cu_count past int32; a NUL byte or nothing in a candidate name;
every measurement of the only class unsupported (a head dim no kernel has).
A db with one such class among good ones gives a table without it.  A
WAL-mode db is read without leaving -wal/-shm files; outputs: a directory
is refused, /dev/null and symlinks are written through, C keywords are
refused as --name, a failed write leaves no temporary.

    test_hostile.py --root SRC --work DIR [--cc CC] CASE
"""
import argparse
import os
import shutil
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_gen import Ctx, Fail, check, read, sql  # noqa: E402

CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def tool(ctx, name):
    return os.path.join(ctx.root, "tools", name)


def refused_by_all(ctx, db, *needles):
    """gen, report and diff all exit 2 on db, naming it, writing nothing."""
    base = ctx.fixture("base.db")
    runs = [
        ("gen", [ctx.gen, db, "-o", ctx.path("out.h"), "--text", ctx.path("out.txt")],
         ["out.h", "out.txt"]),
        ("report", [tool(ctx, "attnroute_report.py"), db, "-o", ctx.path("out.html")],
         ["out.html"]),
        ("diff", [tool(ctx, "attnroute_diff.py"), base, db], []),  # writes stdout
    ]
    for who, argv, outputs in runs:
        for o in outputs:
            if os.path.exists(ctx.path(o)):
                os.remove(ctx.path(o))
        p = subprocess.run([sys.executable] + argv, cwd=ctx.work, capture_output=True, text=True)
        err = p.stderr
        check(p.returncode == 2, "%s: exit %d, wanted 2: %s" % (who, p.returncode, err.strip()))
        check(p.stdout == "", "%s: refused run printed %r" % (who, p.stdout[:200]))
        check("Traceback" not in err, "%s: traceback:\n%s" % (who, err))
        check(os.path.basename(db) in err, "%s: message does not name the db: %s" % (who, err))
        for n in needles:
            check(n in err, "%s: message lacks %r: %s" % (who, n, err.strip()))
        for o in outputs:
            check(not os.path.exists(ctx.path(o)), "%s: refused run wrote %s" % (who, o))
        for side in ("-wal", "-shm", "-journal"):
            check(not os.path.exists(db + side), "%s: left %s%s" % (who, db, side))


def hostile(ctx, name, *statements):
    db = ctx.fixture(name)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA ignore_check_constraints = ON")
    for s in statements:
        conn.execute(s)
    conn.commit()
    conn.close()
    return db


OK_ROW = "(SELECT min(id) FROM measurement WHERE status = 'ok')"


@case
def bad_times(ctx):
    for value, needle in (("0", "median_us 0"), ("-3.5", "median_us -3.5"),
                          ("'fast'", "median_us 'fast'"), ("9e999", "median_us inf")):
        db = hostile(ctx, "time.db", "UPDATE measurement SET median_us = %s WHERE id = %s"
                     % (value, OK_ROW))
        refused_by_all(ctx, db, needle, "finite number > 0")
    db = hostile(ctx, "p10.db", "UPDATE measurement SET p10_us = 'x' WHERE id = %s" % OK_ROW)
    refused_by_all(ctx, db, "p10_us 'x'")


@case
def bad_values(ctx):
    db = hostile(ctx, "shape.db", "UPDATE shape SET num_seqs = 'two' WHERE id = 1")
    refused_by_all(ctx, db, "num_seqs 'two' is not an integer")
    db = hostile(ctx, "status.db", "UPDATE measurement SET status = 'great' WHERE id = 1")
    refused_by_all(ctx, db, "status 'great'")
    db = hostile(ctx, "cu.db", "UPDATE device SET cu_count = 5000000000")
    refused_by_all(ctx, db, "cu_count 5000000000 is out of range")
    db = hostile(ctx, "nul.db", "UPDATE candidate SET name = 'paged' || char(0) || 'x' "
                 "WHERE name = 'paged.bm64'")
    refused_by_all(ctx, db, "NUL byte")
    db = hostile(ctx, "empty.db", "UPDATE candidate SET name = '' WHERE name = 'paged.bm64'")
    refused_by_all(ctx, db, "candidate name is empty")
    db = hostile(ctx, "reps.db", "UPDATE measurement SET reps = 'many' WHERE id = 1")
    refused_by_all(ctx, db, "reps 'many'")


@case
def unsupported_class(ctx):
    """A head dim no kernel has: every measurement unsupported."""
    db = hostile(ctx, "hd8.db",
                 "UPDATE shape SET head_dim = 8",
                 "UPDATE measurement SET status = 'unsupported', median_us = NULL, "
                 "p10_us = NULL, p90_us = NULL")
    refused_by_all(ctx, db, "no candidate measured ok")
    # Only one class unsupported: the table leaves it out and says so.
    db = hostile(ctx, "mixed.db",
                 "UPDATE shape SET head_dim = 8 WHERE head_dim = 128",
                 "UPDATE measurement SET status = 'unsupported', median_us = NULL, "
                 "p10_us = NULL, p90_us = NULL WHERE shape_id IN "
                 "(SELECT id FROM shape WHERE head_dim = 8)")
    rc, err = ctx.run(db, "-o", ctx.path("mixed.h"))
    check(rc == 0, "a db with one unsupported class was refused: %s" % err)
    check("leaving out class" in err and "'head_dim': 8" in err, "no note: %s" % err)
    check(".head_dim = 8" not in read(ctx.path("mixed.h")), "class 8 in the table")
    for t, extra in (("attnroute_report.py", ["-o", ctx.path("mixed.html")]),
                     ("attnroute_diff.py", [ctx.fixture("base.db")])):
        p = subprocess.run([sys.executable, tool(ctx, t), db] + extra, cwd=ctx.work,
                           capture_output=True, text=True)
        check(p.returncode in (0, 1) and "Traceback" not in p.stderr,
              "%s on the mixed db: exit %d: %s" % (t, p.returncode, p.stderr))


@case
def wal_no_sidefiles(ctx):
    """A tuner-made (WAL-mode) db, closed cleanly: read, nothing left beside it."""
    db = ctx.fixture("walmode.db")
    sql(db, "PRAGMA journal_mode = WAL")
    for side in ("-wal", "-shm"):
        check(not os.path.exists(db + side), "fixture left %s" % side)
    with open(db, "rb") as f:
        check(f.read(20)[18] == 2, "not WAL mode")
    ctx.gen_ok(db, ctx.path("wal.h"))
    bad = hostile(ctx, "walbad.db", "PRAGMA journal_mode = WAL",
                  "UPDATE shape SET num_seqs = 'x' WHERE id = 1")
    ctx.gen_fails(bad, expect=("walbad.db",))
    for d in (db, bad):
        for side in ("-wal", "-shm"):
            check(not os.path.exists(d + side), "a reader left %s%s" % (d, side))


@case
def readonly_storage(ctx):
    """The WAL-mode db on a read-only mount (needs unshare -m; skipped
    without it)."""
    src = ctx.path("ro-src")
    mnt = ctx.path("ro-mnt")
    for d in (src, mnt):
        os.makedirs(d, exist_ok=True)
    db = ctx.fixture("walro.db")
    sql(db, "PRAGMA journal_mode = WAL")
    shutil.copy(db, os.path.join(src, "walro.db"))
    script = ("mount --bind -o ro %s %s && %s %s %s/walro.db -o %s" %
              (src, mnt, sys.executable, ctx.gen, mnt, ctx.path("ro.h")))
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount --bind -o ro %s %s" % (src, mnt)],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        print("skipped: cannot make a read-only mount here (%s)" % probe.stderr.strip())
        sys.exit(77)
    p = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True)
    check(p.returncode == 0, "read-only WAL db refused: %s" % p.stderr)
    check(os.path.exists(ctx.path("ro.h")), "no header")


@case
def outputs(ctx):
    db = ctx.fixture()
    for bad in ("int", "struct", "class", "_Bool", "__x", "_Table", "a b"):
        ctx.gen_fails(db, "--name", bad, expect=("--name",))
    os.makedirs(ctx.path("adir"), exist_ok=True)
    ctx.gen_fails(db, "-o", ctx.path("adir"), expect=("is a directory",))
    check(os.listdir(ctx.path("adir")) == [], "wrote into the directory")
    check(not [f for f in os.listdir(ctx.work) if f.endswith(".tmp")], "left a .tmp")
    rc, err = ctx.run(db, "-o", os.devnull)
    check(rc == 0 and os.path.exists(os.devnull) and not os.path.isfile(os.devnull),
          "/dev/null replaced or refused: %s" % err)
    target = ctx.path("real.h")
    link = ctx.path("link.h")
    for p in (target, link):
        if os.path.lexists(p):
            os.remove(p)
    os.symlink("real.h", link)
    rc, err = ctx.run(db, "-o", link)
    check(rc == 0 and os.path.islink(link) and os.path.isfile(target),
          "symlink not written through: %s" % err)
    check("attnroute_table" in read(target), "target empty")
    check(not [f for f in os.listdir(ctx.work) if f.endswith(".tmp")], "left a .tmp")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--cc", default="cc")
    ap.add_argument("case", choices=sorted(CASES))
    args = ap.parse_args()
    args.cxx = ""
    os.makedirs(args.work, exist_ok=True)
    try:
        CASES[args.case](Ctx(args))
    except Fail as e:
        print("FAIL: %s" % e)
        return 1
    print("ok: %s" % args.case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
