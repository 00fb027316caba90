#!/usr/bin/env python3
"""test_scale.py -- tuning split over devices and shards, and attnroute-merge
(host backend, real processes and dbs; Python standard library only).

Each case is a function; the ctest entry scale.<case> runs one:
  test_scale.py --tune T --merge M --gen G --grid GRID --schema-v1 SQL --work DIR CASE
"""

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys

CASES = {}
FAST = ["--backend", "host", "--quiet", "--seed", "7", "--warmup", "0", "--min-reps", "1",
        "--max-reps", "1", "--min-ms", "0", "--no-flush"]


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


class Ctx:
    def __init__(self, a):
        self.a = a
        self.work = a.work
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)

    def path(self, name):
        return os.path.join(self.work, name)

    def run(self, cmd, expect_rc=0):
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if expect_rc is not None and p.returncode != expect_rc:
            fail("%s exited %d (expected %d)\nstdout:\n%s\nstderr:\n%s"
                 % (" ".join(cmd), p.returncode, expect_rc, p.stdout, p.stderr))
        return p

    def tune(self, db, *extra, expect_rc=0, grid=None):
        return self.run([self.a.tune, *FAST, "--grid", grid or self.a.grid, "--db", db, *extra],
                        expect_rc)

    def merge(self, *args, expect_rc=0):
        return self.run([self.a.merge, *args], expect_rc)


def rows(db, sql, params=()):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def write(db, *stmts):
    con = sqlite3.connect(db)
    try:
        for s in stmts:
            con.execute(s)
        con.commit()
    finally:
        con.close()


def pairs(db):
    """(shape key, candidate name) of every measurement, ids left out."""
    return sorted(rows(db, "SELECT s.head_dim, s.num_seqs, s.seqlen_q, s.seqlen_k, s.num_q_heads,"
                           " s.num_kv_heads, c.name FROM measurement m JOIN shape s ON s.id = m.shape_id"
                           " JOIN candidate c ON c.id = m.candidate_id"))


def shapes_of(db):
    return {r[:6] for r in pairs(db)}


def full_run(ctx):
    db = ctx.path("full.db")
    if not os.path.exists(db):
        ctx.tune(db)
    return db


def shards(ctx, n, prefix="shard"):
    out = []
    for k in range(1, n + 1):
        db = ctx.path("%s%d.db" % (prefix, k))
        ctx.tune(db, "--shard", "%d/%d" % (k, n))
        out.append(db)
    return out


@case
def shard_split(ctx):
    """--shard K/N: disjoint parts whose union is the plan, balanced, the
    plan's identity in the run row; a re-run of a part adds nothing."""
    full = full_run(ctx)
    parts = shards(ctx, 3)
    seen = set()
    for k, db in enumerate(parts, 1):
        s = shapes_of(db)
        check(s, "shard %d is empty" % k)
        check(not (s & seen), "shard %d overlaps an earlier one" % k)
        seen |= s
        (h, n_plan, ki, kn), = rows(db, "SELECT plan_hash, plan_shapes, shard_index, shard_count FROM run")
        check(len(h) == 64 and ki == k and kn == 3, "run row of shard %d: %r" % (k, (h, ki, kn)))
        check(n_plan == len(shapes_of(full)), "plan_shapes %d" % n_plan)
    check(seen == shapes_of(full), "the shards' union is not the plan")
    sizes = [len(shapes_of(db)) for db in parts]
    check(max(sizes) - min(sizes) <= 2, "unbalanced shards %r" % sizes)
    hashes = {rows(db, "SELECT plan_hash FROM run")[0][0] for db in parts + [full]}
    check(len(hashes) == 1, "plan hash differs between shards and the full run")
    before = rows(parts[0], "SELECT count(*) FROM measurement")[0][0]
    p = ctx.tune(parts[0], "--shard", "1/3")
    check(rows(parts[0], "SELECT count(*) FROM measurement")[0][0] == before, "resumed shard re-measured")
    # The same part on every call, deterministic.
    again = ctx.path("again1.db")
    ctx.tune(again, "--shard", "1/3")
    check(shapes_of(again) == shapes_of(parts[0]), "shard 1/3 is not deterministic")
    del p


@case
def devices_host(ctx):
    """--devices 0,1 on the host: two workers, each measurement on its own
    device row, every shape wholly on one device, the plan complete; the
    same measurements as one device; resumption across the devices."""
    ncpu = os.cpu_count() or 1
    if ncpu < 2:
        print("SKIP: needs 2 CPUs")
        sys.exit(77)
    full = full_run(ctx)
    db = ctx.path("two.db")
    ctx.tune(db, "--devices", "0,1")
    devs = rows(db, "SELECT id, device_index, host, uuid FROM device ORDER BY device_index")
    check([d[1] for d in devs] == [0, 1], "device rows %r" % devs)
    check(devs[0][2] != "" and devs[0][2] == devs[1][2], "host name not recorded: %r" % devs)
    used = rows(db, "SELECT device_id, count(*) FROM measurement GROUP BY device_id")
    check(len(used) == 2, "both devices should measure: %r" % used)
    split = rows(db, "SELECT shape_id FROM measurement GROUP BY shape_id HAVING count(DISTINCT device_id) > 1")
    check(not split, "shapes measured on two devices: %r" % split)
    check(pairs(db) == pairs(full), "--devices 0,1 measured another set than one device")
    check(rows(db, "SELECT count(*) FROM run WHERE ended_at IS NOT NULL")[0][0] == 1, "run not ended")
    # Resume: measured on device 1 counts for device 0 (same class).
    before = rows(db, "SELECT count(*) FROM measurement")[0][0]
    ctx.tune(db, "--device", "0")
    check(rows(db, "SELECT count(*) FROM measurement")[0][0] == before, "device 0 re-measured device 1's work")
    # --devices all is every CPU slot; a partly measured shape goes back to its device.
    part = ctx.path("part.db")
    ctx.tune(part, "--device", "1", "--candidates", "dense_sink.*")
    ctx.tune(part, "--devices", "all")
    split = rows(part, "SELECT shape_id FROM measurement GROUP BY shape_id HAVING count(DISTINCT device_id) > 1")
    check(not split, "a resumed shape was finished on another device: %r" % split)
    check(pairs(part) == pairs(full), "--devices all did not complete the plan")


@case
def bad_flags(ctx):
    """Bad --shard / --devices values: exit 2, nothing written."""
    db = ctx.path("bad.db")
    for args, words in [(["--shard", "0/2"], "K/N"), (["--shard", "3/2"], "K/N"), (["--shard", "1"], "K/N"),
                        (["--shard", "a/b"], "K/N"), (["--devices", "0,0"], "twice"),
                        (["--devices", "0,"], "device list"), (["--devices", "x"], "device list"),
                        (["--device", "0", "--devices", "0,1"], "not both"),
                        (["--devices", "1023"], "no device 1023"), (["--device", "1023"], "no device 1023")]:
        p = ctx.tune(db, *args, expect_rc=2)
        check(words in p.stderr, "%r: stderr lacks %r: %s" % (args, words, p.stderr))
        check(not os.path.exists(db), "%r wrote %s" % (args, db))


@case
def merge_shards(ctx):
    """Shards merged: exactly the plan's measurements, provenance kept,
    a table generated; the same table as the unsharded run's cells."""
    full = full_run(ctx)
    parts = shards(ctx, 3)
    out = ctx.path("merged.db")
    p = ctx.merge(out, *parts)
    check("shards 1..3 of 3" in p.stdout, "report: %s" % p.stdout)
    check(pairs(out) == pairs(full), "merged measurements differ from the plan's")
    check(rows(out, "SELECT count(*) FROM run")[0][0] == 3, "runs not kept")
    check(sorted(r[0] for r in rows(out, "SELECT shard_index FROM run")) == [1, 2, 3], "shard provenance lost")
    check(rows(out, "PRAGMA user_version")[0][0] == 3, "merged db schema")
    header = ctx.path("merged.h")
    ctx.run([sys.executable, ctx.a.gen, out, "-o", header])
    check("attnroute_table" in open(header).read(), "no table generated")
    # Inputs left as they were, order of inputs irrelevant to the content.
    out2 = ctx.path("merged2.db")
    ctx.merge("--quiet", out2, *reversed(parts))
    check(pairs(out2) == pairs(out), "merge depends on input order")
    for db in parts:
        check(not os.path.exists(db + "-wal") and not os.path.exists(db + "-shm"), "merge left files by " + db)


@case
def merge_refusals(ctx):
    """Missing, overlapping, foreign shards; another device class; OUT
    existing: exit 2 and OUT untouched (or absent)."""
    parts = shards(ctx, 3)
    out = ctx.path("out.db")

    def refused(args, words):
        p = ctx.merge(*args, expect_rc=2)
        check(words in p.stderr, "%r: stderr lacks %r: %s" % (args, words, p.stderr))
        check(not os.path.exists(out), "%r created OUT" % (args,))
        check(not [f for f in os.listdir(ctx.work) if ".merge-" in f], "temporary file left")

    refused([out, parts[0], parts[2]], "missing shards")
    refused([out, parts[0]], "2/3, 3/3")
    dup = ctx.path("shard1-copy.db")
    shutil.copy(parts[0], dup)
    refused([out, parts[0], dup, parts[1], parts[2]], "overlapping shards: shard 1/3")
    other_n = ctx.path("half1.db")
    ctx.tune(other_n, "--shard", "1/2")
    refused([out, parts[0], parts[1], parts[2], other_n], "overlapping shards")
    other_grid = ctx.path("other-grid.grid")
    with open(ctx.a.grid) as f:
        text = f.read()
    with open(other_grid, "w") as f:
        f.write(text.replace("num_seqs 1 2", "num_seqs 1 3"))
    foreign = ctx.path("foreign1.db")
    ctx.tune(foreign, "--shard", "1/3", grid=other_grid)
    refused([out, foreign, parts[1], parts[2]], "shard of another grid")
    # Complete shard sets of two plans merge.
    foreign_parts = [foreign] + [ctx.path("foreign%d.db" % k) for k in (2, 3)]
    for k, db in ((2, foreign_parts[1]), (3, foreign_parts[2])):
        ctx.tune(db, "--shard", "%d/3" % k, grid=other_grid)
    ctx.merge("--quiet", out, *parts, *foreign_parts)
    check(len({r[0] for r in rows(out, "SELECT plan_hash FROM run")}) == 2, "two plans not merged")
    os.remove(out)
    full = full_run(ctx)
    refused([out, full] + parts, "unsharded run")
    moved = ctx.path("moved.db")
    shutil.copy(full, moved)
    write(moved, "UPDATE device SET arch = 'sm_90', cu_count = 132, vendor = 'nvidia'")
    refused([out, full, moved], "2 device classes")
    ctx.merge("--allow-mixed-devices", "--quiet", out, full, moved)
    check(len(rows(out, "SELECT DISTINCT arch FROM device")) == 2, "mixed merge lost a class")
    before = open(out, "rb").read()
    p = ctx.merge(out, full, expect_rc=2)
    check("exists" in p.stderr and open(out, "rb").read() == before, "existing OUT touched")
    p = ctx.merge(out, out, expect_rc=2)
    check("both the output and an input" in p.stderr, p.stderr)
    ctx.merge("--force", "--quiet", out, full)
    check(pairs(out) == pairs(full), "--force did not replace OUT")
    os.remove(out)
    bad = ctx.path("not-a-db.db")
    with open(bad, "w") as f:
        f.write("hello")
    refused([out, bad], "not-a-db.db")
    refused([out, ctx.path("missing.db")], "missing.db")
    unknown = ctx.path("unknown-table.db")
    shutil.copy(full, unknown)
    write(unknown, "CREATE TABLE future (x)")
    refused([out, unknown], "table 'future'")
    newer = ctx.path("newer.db")
    shutil.copy(full, newer)
    write(newer, "PRAGMA user_version = 4")
    refused([out, newer], "schema version 4")
    changed = ctx.path("changed-cand.db")
    shutil.copy(full, changed)
    write(changed, "UPDATE candidate SET params = 'other' WHERE id = 1")
    p = ctx.merge(out, full, changed, expect_rc=2)
    check("described differently" in p.stderr, p.stderr)
    check(not os.path.exists(out), "refused merge created OUT")


@case
def merge_rules(ctx):
    """Duplicates kept once; a conflict resolved to the newer measurement;
    a shape split over two devices keeps one device; a v1 db merges."""
    full = full_run(ctx)
    n = rows(full, "SELECT count(*) FROM measurement")[0][0]
    copy = ctx.path("copy.db")
    shutil.copy(full, copy)
    out = ctx.path("dup.db")
    p = ctx.merge(out, full, copy)
    check("%d duplicate(s) kept once" % n in p.stdout, p.stdout)
    check(rows(out, "SELECT count(*) FROM measurement")[0][0] == n, "duplicates not kept once")
    check(rows(out, "SELECT count(*) FROM run")[0][0] == 1, "an identical run was copied twice")
    # Conflict: the copy's measurement is newer and different.
    newer = ctx.path("newer.db")
    shutil.copy(full, newer)
    write(newer, "UPDATE measurement SET median_us = 12345, measured_at = '2999-01-01T00:00:00.000Z'"
                 " WHERE id = 1")
    for order in ((full, newer), (newer, full)):
        out = ctx.path("conflict.db")
        if os.path.exists(out):
            os.remove(out)
        p = ctx.merge(out, *order)
        check("1 conflict(s)" in p.stdout and "conflict:" in p.stdout, p.stdout)
        check(rows(out, "SELECT count(*) FROM measurement WHERE median_us = 12345")[0][0] == 1,
              "the newer measurement was not kept (%s first)" % os.path.basename(order[0]))
    # Split: shape measured on device 0 (all candidates) and device 1 (one).
    split = ctx.path("split.db")
    shutil.copy(full, split)
    write(split,
          "INSERT INTO device (vendor, arch, cu_count, name, memory_bytes, driver_version,"
          " runtime_version, host, device_index, uuid) SELECT vendor, arch, cu_count, name,"
          " memory_bytes, driver_version, runtime_version, host, 1, uuid FROM device WHERE id = 1",
          "UPDATE measurement SET device_id = (SELECT max(id) FROM device) WHERE id = 1")
    sid = rows(split, "SELECT shape_id FROM measurement WHERE id = 1")[0][0]
    out = ctx.path("split-out.db")
    p = ctx.merge(out, split)
    check("1 shape(s) were measured on several devices" in p.stdout, p.stdout)
    check(rows(out, "SELECT count(DISTINCT device_id) FROM measurement WHERE shape_id = ?", (sid,))[0][0] == 1,
          "split shape still on two devices")
    check(rows(out, "SELECT count(*) FROM measurement")[0][0] == n - 1, "split rule dropped the wrong rows")
    # A schema 1 db (no device identity or plan columns) merges with defaults.
    v1 = ctx.path("v1.db")
    con = sqlite3.connect(v1)
    con.executescript(open(ctx.a.schema_v1).read())
    con.executescript(
        "INSERT INTO device VALUES (1, 'host', 'x86_64', 1, 'cpu', 1, 'k', 'gcc');"
        "INSERT INTO candidate VALUES (1, 'c1', 'f', 'p', 'h', -1, 'caps');"
        "INSERT INTO run (id, device_id, backend, tuner_version, command_line, timing_policy, started_at)"
        " VALUES (1, 1, 'host', 'v', 'cmd', 'pol', '2026-01-01T00:00:00Z');"
        "INSERT INTO shape VALUES (1, 64, 'bf16', 'bf16', 1, -1, 16, 1, 1, 1, 1, 8, 1);"
        "INSERT INTO measurement (run_id, device_id, candidate_id, shape_id, status, median_us, p10_us,"
        " p90_us, measured_at) VALUES (1, 1, 1, 1, 'ok', 2.0, 1.9, 2.1, '2026-01-01T00:00:01Z');")
    con.commit()
    con.close()
    out = ctx.path("v1-out.db")
    ctx.merge("--quiet", out, v1)
    check(rows(out, "SELECT host, device_index, uuid FROM device") == [("", 0, "")], "v1 device defaults")
    check(rows(out, "SELECT plan_hash, shard_count FROM run") == [("", 0)], "v1 run defaults")
    check(rows(out, "SELECT median_us FROM measurement") == [(2.0,)], "v1 measurement")
    check(not os.path.exists(v1 + "-wal"), "v1 input written")


@case
def merge_device_counts(ctx):
    """A v2 db (shipped/h200/llama.db) and a v3 db merge into a v3 db that
    keeps each device's wgp_count and cu_source (the v2 one's defaults); a
    v2 row of the device a v3 input describes takes the v3 input's counts
    whichever comes first."""
    shipped = os.path.join(os.path.dirname(os.path.abspath(ctx.a.schema_v1)), "..", "..",
                           "shipped", "h200", "llama.db")
    v2 = ctx.path("v2.db")
    shutil.copy(shipped, v2)
    check(rows(v2, "PRAGMA user_version")[0][0] == 2, "shipped llama.db is not v2")
    check(not rows(v2, "SELECT 1 FROM pragma_table_info('device') WHERE name = 'wgp_count'"),
          "v2 db has wgp_count")
    # The same db as a v3 file whose device is another node's, in WGP mode.
    v3 = ctx.path("v3.db")
    shutil.copy(shipped, v3)
    write(v3, "ALTER TABLE device ADD COLUMN wgp_count INTEGER NOT NULL DEFAULT 0",
          "ALTER TABLE device ADD COLUMN cu_source TEXT NOT NULL DEFAULT ''",
          "UPDATE device SET host = 'node-b', wgp_count = 128, cu_source = 'rocminfo'",
          "PRAGMA user_version = 3")
    out = ctx.path("counts.db")
    ctx.merge("--quiet", out, v2, v3)
    check(rows(out, "PRAGMA user_version")[0][0] == 3, "merged db schema")
    got = rows(out, "SELECT host, wgp_count, cu_source FROM device ORDER BY host")
    check(got == [("node-b", 128, "rocminfo"), ("vm", 0, "")], "device counts after merge: %r" % (got,))
    # Same identity as the v2 device: one row, with the v3 input's counts.
    same = ctx.path("same.db")
    shutil.copy(v3, same)
    write(same, "UPDATE device SET host = 'vm'")
    for order in ((v2, same), (same, v2)):
        out = ctx.path("same-out.db")
        if os.path.exists(out):
            os.remove(out)
        ctx.merge("--quiet", out, *order)
        got = rows(out, "SELECT host, wgp_count, cu_source FROM device")
        check(got == [("vm", 128, "rocminfo")], "one device, v3 counts (%s first): %r"
              % (os.path.basename(order[0]), got))
    check(rows(v2, "PRAGMA user_version")[0][0] == 2, "v2 input written")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tune", required=True)
    ap.add_argument("--merge", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--grid", required=True)
    ap.add_argument("--schema-v1", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("case", choices=sorted(CASES))
    a = ap.parse_args()
    CASES[a.case](Ctx(a))
    print("ok", a.case)


if __name__ == "__main__":
    main()
