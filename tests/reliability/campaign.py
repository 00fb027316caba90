"""campaign.py -- what the reliability campaigns share: flags, running the
tuner fast on the host backend, reading a db without changing it, and the
invariants every campaign checks (no duplicate, no lost measurement)."""

import argparse
import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import urllib.parse

# Few, short repetitions: each tuner run of quick.grid takes well under a
# second, so the campaigns can start (and kill) it hundreds of times.
FAST = ["--backend", "host", "--quiet", "--warmup", "0", "--min-reps", "1", "--max-reps", "3",
        "--min-ms", "0", "--max-ms", "1", "--no-flush", "--candidates", "paged.*"]


def parse_args(doc, default_n):
    ap = argparse.ArgumentParser(description=doc)
    ap.add_argument("--tune", required=True, help="attnroute-tune binary")
    ap.add_argument("--grid", required=True, help="grid to tune (tests/e2e/quick.grid)")
    ap.add_argument("-n", type=int, default=default_n, help="trials (default %d)" % default_n)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", help="scratch directory (default: a new one under /tmp)")
    a = ap.parse_args()
    a.work = a.work or tempfile.mkdtemp(prefix="attnroute-campaign-")
    os.makedirs(a.work, exist_ok=True)
    return a


def remove_db(db):
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)


def tuner(args, db, *extra):
    """Popen of a fast tuner run on db, in its own process group (so a kill
    reaches its worker too)."""
    return subprocess.Popen([args.tune, *FAST, "--grid", args.grid, "--db", db, *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace",
                            start_new_session=True)


def run_tuner(args, db, *extra, timeout=600):
    p = tuner(args, db, *extra)
    err = p.communicate(timeout=timeout)[1]
    return p.returncode, err


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def snapshot(db):
    """{(device, candidate, shape): (id, status, median_us)} of db, read
    through a copy (db, -wal) so the campaign never writes the file under
    test; None when SQLite cannot read it."""
    tmp = tempfile.mkdtemp(prefix="snap-")
    try:
        copy = os.path.join(tmp, "s.db")
        shutil.copy(db, copy)
        if os.path.exists(db + "-wal"):
            shutil.copy(db + "-wal", copy + "-wal")
        con = sqlite3.connect(copy)
        try:
            got = con.execute("select device_id, candidate_id, shape_id, id, status, median_us "
                              "from measurement").fetchall()
        finally:
            con.close()
    except (sqlite3.Error, UnicodeDecodeError):
        return None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out = {}
    for d, c, s, i, st, t in got:
        if (d, c, s) in out:
            raise AssertionError("duplicate measurement for %r" % ((d, c, s),))
        out[(d, c, s)] = (i, st, t)
    return out


def integrity(path):
    """PRAGMA integrity_check of a copy of path: 'ok', the first problem, or
    the SQLite error opening it."""
    tmp = tempfile.mkdtemp(prefix="ic-")
    try:
        copy = os.path.join(tmp, "c.db")
        shutil.copy(path, copy)
        con = sqlite3.connect("file:%s?immutable=1" % urllib.parse.quote(copy), uri=True)
        try:
            return con.execute("pragma integrity_check(1)").fetchone()[0]
        finally:
            con.close()
    except (sqlite3.Error, UnicodeDecodeError) as e:
        return "error: %s" % e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class Tally:
    """Counts by outcome, printed as one line: 'name: k=v k=v ...'."""

    def __init__(self, name):
        self.name, self.counts, self.failures, self.start = name, {}, [], time.time()

    def add(self, key, n=1):
        self.counts[key] = self.counts.get(key, 0) + n

    def fail(self, msg):
        self.failures.append(msg)
        print("FAILURE:", msg, flush=True)

    def finish(self):
        items = " ".join("%s=%d" % kv for kv in sorted(self.counts.items()))
        print("%s: %s failures=%d wall=%.0fs" % (self.name, items, len(self.failures),
                                                 time.time() - self.start), flush=True)
        return 1 if self.failures else 0
