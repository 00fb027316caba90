#!/usr/bin/env python3
"""test_gen.py -- ctest cases for gen/attnroute_gen.py.

    test_gen.py --root SRC --work DIR CASE [--cc CC] [--cxx CXX]

Each CASE builds the fixture db (db/schema.sql + tests/gen/fixture.sql) in
its own work folder, varies it, runs the generator as a subprocess and checks
exit status, message and output.  Exit 0 pass, 1 fail.
"""
import argparse
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys

CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


class Ctx:
    def __init__(self, args):
        self.root = os.path.abspath(args.root)
        self.work = os.path.abspath(args.work)
        self.cc = args.cc
        self.cxx = args.cxx
        self.gen = os.path.join(self.root, "gen", "attnroute_gen.py")
        self.schema = os.path.join(self.root, "db", "schema.sql")
        self.fixture_sql = os.path.join(self.root, "tests", "gen", "fixture.sql")
        self.golden = os.path.join(self.root, "tests", "gen", "golden_fixture.h")
        self.include = os.path.join(self.root, "runtime", "include")

    def path(self, name):
        return os.path.join(self.work, name)

    def fixture(self, name="fixture.db"):
        path = self.path(name)
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        conn = sqlite3.connect(path)
        for script in (self.schema, self.fixture_sql):
            with open(script, encoding="utf-8") as f:
                conn.executescript(f.read())
        conn.commit()
        conn.close()
        return path

    def run(self, *args):
        p = subprocess.run([sys.executable, self.gen] + list(args), cwd=self.work,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True)
        return p.returncode, p.stderr

    def gen_ok(self, db, out, *extra):
        rc, err = self.run(db, "-o", out, *extra)
        check(rc == 0, "generator failed (%d): %s" % (rc, err))
        return read(out)

    def gen_fails(self, db, *extra, expect=()):
        out = self.path("refused.h")
        if os.path.exists(out):
            os.remove(out)
        rc, err = self.run(db, "-o", out, *extra)
        check(rc == 2, "expected exit 2, got %d: %s" % (rc, err))
        check(not os.path.exists(out), "refused run still wrote %s" % out)
        for word in expect:
            check(word in err, "message lacks %r: %s" % (word, err.strip()))
        return err


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def sql(db, *statements):
    conn = sqlite3.connect(db)
    for s in statements:
        conn.execute(s)
    conn.commit()
    conn.close()


@case
def determinism(ctx):
    """Same db twice, and the same rows inserted in another order (other ids):
    byte-identical headers."""
    db = ctx.fixture()
    a = ctx.gen_ok(db, ctx.path("a.h"))
    b = ctx.gen_ok(db, ctx.path("a.h"))
    check(a == b, "two runs on one db differ")
    # Copy every table's rows in reverse order with renumbered ids.
    src = sqlite3.connect(db)
    other = ctx.path("reordered.db")
    if os.path.exists(other):
        os.remove(other)
    dst = sqlite3.connect(other)
    with open(ctx.schema, encoding="utf-8") as f:
        dst.executescript(f.read())
    remap = {}
    for table, refs in (("device", {}), ("candidate", {}),
                        ("run", {"device_id": "device"}), ("shape", {}),
                        ("measurement", {"run_id": "run", "device_id": "device",
                                         "candidate_id": "candidate",
                                         "shape_id": "shape"})):
        cur = src.execute("SELECT * FROM %s ORDER BY id DESC" % table)
        cols = [d[0] for d in cur.description]
        rows = cur.fetchall()
        ids = {}
        for n, row in enumerate(rows):
            row = dict(zip(cols, row))
            ids[row["id"]] = 1000 + 7 * n
            row["id"] = ids[row["id"]]
            for col, ref in refs.items():
                row[col] = remap[ref][row[col]]
            dst.execute("INSERT INTO %s (%s) VALUES (%s)" % (
                table, ",".join(row), ",".join("?" * len(row))), list(row.values()))
        remap[table] = ids
    dst.commit()
    dst.close()
    src.close()
    c = ctx.gen_ok(other, ctx.path("a.h"))
    check(c.replace("reordered.db", "fixture.db") == a,
          "reordered db gives another header")
    # An unrelated option order must not matter either.
    lookup_py = os.path.join(os.path.dirname(ctx.gen), "attnroute_gen", "lookup.py")
    default = re.search(r'^DEFAULT_LOOKUP = "(\w+)"', read(lookup_py), re.M).group(1)
    d = ctx.gen_ok(db, ctx.path("a.h"), "--topk", "4", "--lookup", default)
    check(a == d, "explicit defaults change the header")
    # The directory of the db must not leak in.
    os.makedirs(ctx.path("sub"), exist_ok=True)
    shutil.copy(db, ctx.path(os.path.join("sub", "fixture.db")))
    e = ctx.gen_ok(ctx.path(os.path.join("sub", "fixture.db")), ctx.path("a.h"))
    check(a == e, "db folder leaks into the header")


@case
def wal(ctx):
    """A db in WAL mode with a writer still connected and rows not yet
    checkpointed: read read-only, the new rows seen, nothing written."""
    db = ctx.fixture()
    base = ctx.gen_ok(db, ctx.path("before.h"))
    writer = sqlite3.connect(db)
    check(writer.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal", "no WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("UPDATE measurement SET median_us = 2.5 WHERE candidate_id = 2 "
                   "AND shape_id = 1")
    writer.commit()
    size = os.path.getsize(db)
    try:
        h = ctx.gen_ok(db, ctx.path("after.h"))
    finally:
        writer.close()
    check('[1,1,0,64,8,[["paged.bm64",2.5]' in h, "WAL rows not seen")
    check(h != base, "header unchanged")
    check(os.path.getsize(db) >= size, "db shrank")


@case
def golden(ctx):
    """The fixture's header matches tests/gen/golden_fixture.h (regenerate with
    tests/gen/update_golden.sh after an intended change)."""
    db = ctx.fixture()
    out = ctx.path("golden_fixture.h")
    got = ctx.gen_ok(db, out, "--name", "attnroute_table_fixture")
    want = read(ctx.golden)
    if got != want:
        import difflib
        diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                            "golden_fixture.h", "generated"))
        raise Fail("header differs from golden:\n" + diff[:4000])


@case
def mixed_devices(ctx):
    """Two device classes: refused with the classes listed; --device picks."""
    db = ctx.fixture()
    sql(db,
        "INSERT INTO device (id, vendor, arch, cu_count, name, memory_bytes, "
        "driver_version, runtime_version) VALUES (2, 'nvidia', 'sm_90', 132, 'NVIDIA H100 80GB HBM3', "
        "85520809984, '560.35', '12.6')",
        "INSERT INTO run (id, device_id, backend, tuner_version, git_revision, "
        "command_line, timing_policy, started_at, ended_at) VALUES (3, 2, 'cuda', '0.1.0', NULL, 'ar_tune', "
        "'warmup=3,min_reps=10,min_ms=50,flush_l2=1', '2026-05-02T10:00:00Z', NULL)",
        "INSERT INTO measurement (run_id, device_id, candidate_id, shape_id, status, "
        "median_us, reps, measured_at) VALUES (3, 2, 2, 1, 'ok', 3.5, 10, "
        "'2026-05-02T10:01:00Z')")
    ctx.gen_fails(db, expect=("gfx1250:256", "sm_90:132", "--device"))
    h = ctx.gen_ok(db, ctx.path("h100.h"), "--device", "sm_90:132")
    check("attnroute_table_sm_90_132 = {" in h, "default name for sm_90:132 missing")
    check('"sm_90", 132,' in h, "table not keyed sm_90:132")
    check("NVIDIA H100" in h and "MI450" not in h, "other device leaked in")
    g = ctx.gen_ok(db, ctx.path("mi450.h"), "--device", "gfx1250:256")
    check('"gfx1250", 256,' in g and "H100" not in g, "gfx1250 table wrong")
    ctx.gen_fails(db, "--device", "gfx950:256", expect=("gfx950:256", "gfx1250:256"))
    ctx.gen_fails(db, "--device", "gfx1250", expect=("ARCH:CU",))


@case
def siblings(ctx):
    """Device identity: the table keeps memory size and product; sibling
    devices (same arch and CU count, other memory or name) in one db are
    refused, a driver update of one device is not."""
    db = ctx.fixture()
    h = ctx.gen_ok(db, ctx.path("one.h"))
    check("  294912, \"AMD Instinct MI450 (fixture)\"\n};" in h,
          "memory_mib / product not at the table's end")
    ctx.run(db, "-o", ctx.path("one2.h"), "--text", ctx.path("one.txt"))
    t = read(ctx.path("one.txt"))
    check("\nmemory_mib 294912\nproduct AMD%20Instinct%20MI450%20(fixture)\n" in t,
          "text format lacks memory_mib / product")
    sql(db,
        "INSERT INTO device (id, vendor, arch, cu_count, name, memory_bytes, "
        "driver_version, runtime_version) VALUES (2, 'amd', 'gfx1250', 256, 'AMD  instinct MI450 (fixture)', "
        "309237645312 - 1048576 * 100, 'rocm 7.3.0', 'hip 7.3.0')",
        "INSERT INTO run (id, device_id, backend, tuner_version, git_revision, "
        "command_line, timing_policy, started_at, ended_at) VALUES (3, 2, 'hip', '0.1.0', NULL, 'ar_tune', "
        "'warmup=3,min_reps=10,min_ms=50,flush_l2=1', '2026-05-02T10:00:00Z', NULL)",
        "INSERT INTO measurement (run_id, device_id, candidate_id, shape_id, status, "
        "median_us, reps, measured_at) VALUES (3, 2, 2, 1, 'ok', 3.5, 10, "
        "'2026-05-02T10:01:00Z')")
    ctx.gen_ok(db, ctx.path("driver_update.h"))
    sql(db,
        "INSERT INTO device (id, vendor, arch, cu_count, name, memory_bytes, "
        "driver_version, runtime_version) VALUES (3, 'amd', 'gfx1250', 256, 'AMD Instinct MI455 (fixture)', "
        "412316860416, 'rocm 7.2.0', 'hip 7.2.0')",
        "INSERT INTO run (id, device_id, backend, tuner_version, git_revision, "
        "command_line, timing_policy, started_at, ended_at) VALUES (4, 3, 'hip', '0.1.0', NULL, 'ar_tune', "
        "'warmup=3,min_reps=10,min_ms=50,flush_l2=1', '2026-05-03T10:00:00Z', NULL)",
        "INSERT INTO measurement (run_id, device_id, candidate_id, shape_id, status, "
        "median_us, reps, measured_at) VALUES (4, 3, 2, 1, 'ok', 3.0, 10, "
        "'2026-05-03T10:01:00Z')")
    ctx.gen_fails(db, expect=("sibling", "MI450", "MI455", "393216 MiB", "own db"))
    sql(db, "UPDATE device SET name = 'AMD Instinct MI450 (fixture)' WHERE id = 3")
    ctx.gen_fails(db, expect=("sibling", "393216 MiB"))  # same name, 33% more memory


@case
def noise(ctx):
    """The winner rule: the incumbent (legacy stand-in, or --previous's pick)
    keeps first place unless beaten beyond max(min gain, larger half-spread);
    equal times rank by name."""
    sys.path.insert(0, os.path.dirname(ctx.gen))
    import attnroute_gen as gen
    cell = (1, 512, 0, 64, 8)     # shape 3: prefill, d64, sinks -> dense_sink.gather stands in
    decode = (1, 1, 0, 64, 8)     # shape 1: decode -> paged.splitkv stands in

    def first(db, point=cell, **kw):
        m = gen.load_model(db, **kw)
        k = [k for k in m["classes"] if k["static"]["head_dim"] == 64][0]
        return [n for n, _ in k["cells"][point]], k.get("held", {})

    def times(db, dense, bm64):
        sql(db, "UPDATE measurement SET median_us = %g, p10_us = %s, p90_us = %s "
                "WHERE shape_id = 3 AND candidate_id = 1" % dense,
            "UPDATE measurement SET median_us = %g, p10_us = %s, p90_us = %s "
            "WHERE shape_id = 3 AND candidate_id = 2" % bm64)

    db = ctx.fixture("noise.db")
    times(db, (100, 97, 103), (97.5, 96.5, 98.5))   # 2.5% faster, half-spreads 3% and 1%
    names, held = first(db)
    check(names[0] == "dense_sink.gather" and cell in held,
          "within noise the incumbent lost: %s" % names)
    check(held[cell][:2] == ("dense_sink.gather", "paged.bm64"), "held: %s" % (held[cell],))
    times(db, (100, 97, 103), (96.5, 90, 103))      # 3.5% faster, half-spreads 3% and 6.7%
    check(first(db)[0][0] == "dense_sink.gather", "a gain within the challenger's spread won")
    times(db, (100, 97, 103), (96, 95, 97))         # 4% faster: beyond both
    names, held = first(db)
    check(names[0] == "paged.bm64" and cell not in held, "a real gain kept the incumbent: %s" % names)
    times(db, (100, "NULL", "NULL"), (99.5, "NULL", "NULL"))  # no spreads: 1% floor
    check(first(db)[0][0] == "dense_sink.gather", "0.5% gain displaced the incumbent")
    check(first(db, min_gain=0.0)[0][0] == "paged.bm64", "--min-gain 0 kept a slower incumbent")
    times(db, (100, "NULL", "NULL"), (98.5, "NULL", "NULL"))
    check(first(db)[0][0] == "paged.bm64", "1.5% gain did not displace at a 1% floor")

    # The previous table's pick is the incumbent where it was measured.
    prev = ctx.fixture("prev.db")
    times(prev, (100, 98, 102), (50, 49, 51))
    times(db, (100, 99, 101), (100.5, 99.5, 101.5))  # bm64 now 0.5% slower
    pm = gen.load_model(prev)
    names, held = first(db, previous=pm)
    check(names[:2] == ["paged.bm64", "dense_sink.gather"],
          "previous pick not kept within noise: %s" % names)
    check(first(db)[0][0] == "dense_sink.gather", "without --previous the stand-in leads")
    times(db, (100, 99, 101), (110, 109, 111))        # 10% slower: the previous pick goes
    check(first(db, previous=pm)[0][0] == "dense_sink.gather", "a 10% slower pick was kept")

    # Equal times: name order, whatever the row order.
    sql(db, "UPDATE measurement SET median_us = 2.0, p10_us = 1.99, p90_us = 2.01 "
            "WHERE shape_id = 1 AND candidate_id IN (1, 2)")
    check(first(db, decode)[0][:2] == ["dense_sink.gather", "paged.bm64"], "tie not by name")

    # Through the CLI: the flags, the header's note, the same bytes twice.
    times(db, (100, 97, 103), (97.5, 96.5, 98.5))
    h1 = ctx.gen_ok(db, ctx.path("n1.h"), "--previous", prev)
    h2 = ctx.gen_ok(db, ctx.path("n1.h"), "--previous", prev)
    check(h1 == h2, "same inputs, different bytes")
    check("winner rule: incumbent previous table (db content sha256:" in h1, "rule not named")
    check("incumbent kept within noise:" in h1, "held cells not counted")
    h0 = ctx.gen_ok(db, ctx.path("n0.h"), "--min-gain", "0")
    check("max(0, the larger half-spread" in h0, "--min-gain not in the rule")
    ctx.gen_fails(db, "--min-gain", "100", expect=("--min-gain",))
    ctx.gen_fails(db, "--previous", ctx.path("missing.db"), expect=("missing.db",))


@case
def stale(ctx):
    """One candidate under two code hashes: refused naming both; --allow-stale
    keeps the hash of the latest run."""
    db = ctx.fixture()
    new_hash = "e5" * 32
    sql(db,
        "INSERT INTO candidate SELECT 9, name, family, params, '%s', legacy_route, caps "
        "FROM candidate WHERE name = 'paged.bm64'" % new_hash,
        "INSERT INTO run (id, device_id, backend, tuner_version, git_revision, "
        "command_line, timing_policy, started_at, ended_at) VALUES (9, 1, 'host', '0.1.1', NULL, 'ar_tune', "
        "'warmup=3,min_reps=10,min_ms=50,flush_l2=1', '2026-06-01T10:00:00Z', NULL)",
        "INSERT INTO measurement (run_id, device_id, candidate_id, shape_id, status, "
        "median_us, reps, measured_at) VALUES (9, 1, 9, 1, 'ok', 1.5, 10, "
        "'2026-06-01T10:00:01Z')")
    ctx.gen_fails(db, expect=("paged.bm64", "b2" * 32, new_hash, "--allow-stale"))
    h = ctx.gen_ok(db, ctx.path("stale.h"), "--allow-stale")
    check(new_hash in h and "b2" * 32 not in h, "--allow-stale kept the old hash")
    check('[1,1,0,64,8,[["paged.bm64",1.5]' in h.replace("\\/", "/"),
          "new hash's measurement not used")
    check('[1,512,0,64,8,[["dense_sink.gather"' in h and
          '["paged.bm64",19.476]' not in h, "old hash's measurements still used")


@case
def not_attnroute(ctx):
    """Files that are not attnroute dbs are refused, naming the file."""
    plain = ctx.path("plain.db")
    if os.path.exists(plain):
        os.remove(plain)
    sql(plain, "CREATE TABLE t (x)")
    ctx.gen_fails(plain, expect=("plain.db", "not an attnroute db"))
    text = ctx.path("notes.txt")
    with open(text, "w") as f:
        f.write("just text\n")
    ctx.gen_fails(text, expect=("notes.txt", "not an attnroute db"))
    ctx.gen_fails(ctx.path("missing.db"), expect=("missing.db", "no such file"))
    empty = ctx.path("empty.db")
    open(empty, "w").close()
    ctx.gen_fails(empty, expect=("empty.db", "not an attnroute db"))


@case
def newer_schema(ctx):
    """A db written by a newer schema is refused."""
    db = ctx.fixture()
    sql(db, "PRAGMA user_version = 4")
    ctx.gen_fails(db, expect=("fixture.db", "schema version 4"))


@case
def bad_rows(ctx):
    """Malformed caps, two stand-ins for one legacy route, bad options."""
    db = ctx.fixture()
    sql(db, "UPDATE candidate SET caps = 'head_dim_mask=0x8,sinks=2' "
            "WHERE name = 'paged.bm64'")
    ctx.gen_fails(db, expect=("paged.bm64", "q_dtype_mask"))
    db = ctx.fixture()
    sql(db, "UPDATE candidate SET legacy_route = 1 WHERE name = 'paged.splitkv'")
    ctx.gen_fails(db, expect=("paged.bm64", "paged.splitkv", "triton_paged"))
    db = ctx.fixture()
    ctx.gen_fails(db, "--topk", "5", expect=("--topk",))
    ctx.gen_fails(db, "--name", "9bad-name", expect=("--name",))
    sql(db, "DELETE FROM measurement")
    ctx.gen_fails(db, expect=("no measurements",))


@case
def options(ctx):
    """--topk trims every cell; --name names the table and guard; hex caps."""
    db = ctx.fixture()
    h = ctx.gen_ok(db, ctx.path("top1.h"), "--topk", "1", "--name", "my_table")
    check("static const attnroute_table my_table = {" in h, "--name not used")
    check("ATTNROUTE_GEN_MY_TABLE_H" in h, "include guard not from --name")
    check("  3,255,255,255, /* num_seqs=1 seqlen_q=1 cached=0 */" in h,
          "--topk 1 did not trim cells")
    check("--topk 1" in h and "/work" not in h and ctx.work not in h,
          "command line not canonical")


@case
def compile_c_cxx(ctx):
    """Generated headers (nearest_log, tree, auto) compile cleanly as C99 and
    C++ with -Wall -Wextra -Wpedantic -Werror."""
    db = ctx.fixture()
    headers = []
    for lookup in ("nearest_log", "tree", "auto"):
        out = ctx.path("t_%s.h" % lookup)
        ctx.gen_ok(db, out, "--lookup", lookup, "--name", "t_" + lookup)
        headers.append(("t_%s" % lookup, out))
    src = ctx.path("use.c")
    with open(src, "w") as f:
        f.write("/* uses every generated table */\n")
        for name, out in headers:
            f.write('#include "%s"\n' % os.path.basename(out))
        f.write("int main(void) {\n  int n = 0;\n")
        for name, _ in headers:
            f.write("  n += %s.num_classes;\n" % name)
        f.write("  return n == %d ? 0 : 1;\n}\n" % (2 * len(headers)))
    flags = ["-Wall", "-Wextra", "-Wpedantic", "-Werror", "-I" + ctx.include,
             "-I" + ctx.work, "-fsyntax-only"]
    compilers = [(ctx.cc, ["-x", "c", "-std=c99"])]
    if ctx.cxx:
        compilers.append((ctx.cxx, ["-x", "c++", "-std=c++11"]))
    else:
        print("no C++ compiler configured: C only")
    for cc, lang in compilers:
        p = subprocess.run([cc] + lang + flags + [src], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True)
        check(p.returncode == 0 and not p.stdout.strip(),
              "%s %s: %s" % (cc, " ".join(lang), p.stdout))
        print("compiled clean: %s %s" % (cc, " ".join(lang)))
    h = read(ctx.path("t_tree.h"))
    check("attnroute_tree_node t_tree__c0_nodes" in h, "tree lookup emitted no nodes")


@case
def ranking(ctx):
    """What a cell keeps (the best of each family, then the best of any, in
    time order) and the prefix snap of the lookups, on hand-made cells."""
    sys.path.insert(0, os.path.dirname(ctx.gen))
    import attnroute_gen as gen
    family = {"d1": "decode", "d2": "decode", "d3": "decode", "d4": "decode",
              "p1": "paged", "g1": "dense"}
    ranked = [("d1", 1.0), ("d2", 1.1), ("d3", 1.2), ("d4", 1.3), ("p1", 2.0), ("g1", 3.0)]
    got = [n for n, _ in gen.kept(ranked, 4, family)]
    check(got == ["d1", "d2", "p1", "g1"], "kept %s, expected d1 d2 p1 g1" % got)
    got = [n for n, _ in gen.kept(ranked, 2, family)]
    check(got == ["d1", "p1"], "kept(2) %s, expected d1 p1" % got)
    got = [n for n, _ in gen.kept(ranked[:3], 4, family)]
    check(got == ["d1", "d2", "d3"], "kept of 3 %s" % got)
    check(gen.kept([], 4, family) == [], "kept of an empty cell")

    axis = [0, 16, 128]
    for v, want in ((0, 0), (1, 16), (15, 16), (16, 16), (17, 17), (500, 500)):
        got = gen.snap_prefix(axis, v)
        check(got == want, "snap_prefix(%s, %d) = %d, expected %d" % (axis, v, got, want))
    check(gen.snap_prefix([16, 128], 3) == 3, "snap on an axis without 0")
    # A cached prefix of 3 is looked up in the cached=16 cell by every
    # method, though it is nearer 0 in log2(1 + v) and floors to 0.
    klass = {"axes": [[1], [1], axis, [8], [8]], "family": family,
             "cells": {(1, 1, 0, 8, 8): [("g1", 1.0)], (1, 1, 16, 8, 8): [("p1", 1.0)],
                       (1, 1, 128, 8, 8): [("d1", 1.0)]}}
    nodes = gen.build_tree(klass, 4, ["d1", "g1", "p1"])
    for method in ("nearest_log", "floor", "tree"):
        got = gen.predict_grid(klass, (1, 1, 3, 8, 8), method, 4, nodes=nodes)
        check(got == ["p1"], "%s: cached=3 looked up %s, expected the cached=16 cell"
              % (method, got))
        got = gen.predict_grid(klass, (1, 1, 0, 8, 8), method, 4, nodes=nodes)
        check(got == ["g1"], "%s: cached=0 looked up %s" % (method, got))


@case
def default_lookup(ctx):
    """One default lookup, attnroute_gen.DEFAULT_LOOKUP, used everywhere: the
    generator without --lookup, attnroute_report.py's regret, the main job
    (CMakeLists.txt's tune-table) and bench/gpu_tune.sh pass no --lookup of
    their own, and the shipped tables were generated with it."""
    sys.path.insert(0, os.path.join(ctx.root, "gen"))
    import attnroute_gen as gen
    want = gen.DEFAULT_LOOKUP
    check(want in gen.LOOKUPS, "DEFAULT_LOOKUP %r is not a lookup" % want)
    header = ctx.gen_ok(ctx.fixture(), ctx.path("d.h"))
    used = re.findall(r"^\*\* class \d+: .*, lookup (\w+)$", header, re.M)
    check(used and set(used) == {want}, "generator default: %r, wanted %s" % (used, want))
    sys.path.insert(0, os.path.join(ctx.root, "tools"))
    import attnroute_report as report
    src = read(os.path.join(ctx.root, "tools", "attnroute_report.py"))
    check("default=gen.DEFAULT_LOOKUP" in src and report.gen.DEFAULT_LOOKUP == want,
          "attnroute_report.py's --lookup default is not attnroute_gen.DEFAULT_LOOKUP")
    for rel in ("CMakeLists.txt", os.path.join("bench", "gpu_tune.sh")):
        text = read(os.path.join(ctx.root, rel))
        check("attnroute_gen.py" in text and "--lookup" not in text,
              "%s runs the generator with a --lookup of its own" % rel)
    shipped = os.path.join(ctx.root, "shipped")
    for dirpath, _, files in os.walk(shipped):
        for f in files:
            if not f.endswith(".h"):
                continue
            text = read(os.path.join(dirpath, f))
            command = re.search(r"^\*\* command: (.*)$", text, re.M).group(1)
            check("--lookup" not in command, "%s: generated with %s" % (f, command))
            used = set(re.findall(r"^\*\* class \d+: .*, lookup (\w+)$", text, re.M))
            check(used == {want}, "%s: lookups %r, wanted %s" % (f, used, want))


@case
def winner_view(ctx):
    """The db's best_ok view and the generator (--allow-stale) name the same
    fastest ok candidate for every grid shape, on a db where some candidates
    were measured again under new code in a later run (old rows kept, some
    faster): both count a candidate only under the code hash of its latest
    run, so the old hash's faster times win nowhere."""
    sys.path.insert(0, os.path.dirname(ctx.gen))
    import attnroute_gen as gen
    db = ctx.fixture()
    rng = random.Random(13)
    conn = sqlite3.connect(db)
    cands = conn.execute("SELECT id, name, family, params, legacy_route, caps FROM candidate "
                         "ORDER BY id").fetchall()
    shapes = [r[0] for r in conn.execute("SELECT id FROM shape ORDER BY id")]
    conn.execute("INSERT INTO run (id, device_id, backend, tuner_version, git_revision, "
                 "command_line, timing_policy, started_at, ended_at) VALUES (9, 1, 'host', "
                 "'0.1.1', NULL, 'ar_tune', 'p', '2026-06-01T10:00:00Z', NULL)")
    # Every other candidate re-measured under new code on a random subset of
    # the shapes (so for the rest it is not measured at all under it).
    for k, (cid, name, family, params, route, caps) in enumerate(cands):
        if k % 2:
            continue
        conn.execute("INSERT INTO candidate VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (100 + cid, name, family, params, "%02x" % (k + 1) * 32, route, caps))
        for sid in shapes:
            if rng.random() < 0.7:
                st = rng.choice(["ok"] * 5 + ["wrong"])
                us = rng.uniform(0.5, 80.0) if st == "ok" else None
                conn.execute("INSERT INTO measurement (run_id, device_id, candidate_id, shape_id, "
                             "status, median_us, reps, measured_at) VALUES (9, 1, ?, ?, ?, ?, 10, "
                             "'2026-06-01T10:00:01Z')", (100 + cid, sid, st, us))
    conn.commit()
    # The view: its winner per shape; and how many shapes an old hash's time
    # would win if staleness were ignored (the test means nothing without).
    view = {sid: name for sid, name in conn.execute(
        "SELECT shape_id, candidate FROM best_ok WHERE arch = 'gfx1250' AND cu_count = 256")}
    ignoring = {}
    for sid, us, cid, name in conn.execute(
            "SELECT m.shape_id, m.median_us, m.candidate_id, c.name FROM measurement m "
            "JOIN candidate c ON c.id = m.candidate_id WHERE m.status = 'ok'"):
        if sid not in ignoring or (us, cid) < ignoring[sid][:2]:
            ignoring[sid] = (us, cid, name)
    rows = conn.execute("SELECT id, head_dim, q_dtype, kv_dtype, has_sinks, sliding_window, "
                        "kv_block_size, causal, num_seqs, seqlen_q, seqlen_k, num_q_heads, "
                        "num_kv_heads FROM shape").fetchall()
    conn.close()
    check(sum(1 for sid in view if ignoring[sid][2] != view[sid]) > 0,
          "no shape where the stale rows would have won: the case tests nothing")
    model = gen.load_model(db, allow_stale=True)
    fastest = {}
    for k in model["classes"]:
        for axes, meas in k["shapes"].items():
            ok = sorted((t, n) for n, (st, t) in meas.items() if st == "ok" and t is not None)
            if ok:
                fastest[(k["static_key"], axes)] = ok[0][1]
    compared = 0
    for sid, hd, qd, kvd, sinks, win, blk, causal, ns, sq, sk, hq, hkv in rows:
        key = ((hd, qd, kvd, 1 if sinks else 0, win if win > 0 else -1, blk, 1 if causal else 0),
               (ns, sq, sk - sq, hq, hq // hkv))
        check(view.get(sid) == fastest.get(key), "shape %d %r: best_ok %r, generator %r"
              % (sid, key, view.get(sid), fastest.get(key)))
        compared += 1
    check(compared == len(shapes) and len(view) > 5, "compared %d of %d shapes (%d winners)"
          % (compared, len(shapes), len(view)))


def select_all(ctx, header, name, calls, tag):
    """Compiles a program with `header` and the runtime's sources that
    selects every decode call (contexts; sq 1 each, totals given) and
    returns [(reason, candidate name)] in call order."""
    src = ctx.path("sel_%s.c" % tag)
    with open(src, "w") as f:
        f.write('#include <stdio.h>\n#include "attnroute.h"\n#include "%s"\n'
                % os.path.basename(header))
        f.write("static const int calls[][3] = {\n")
        for ctxs in calls:
            f.write("  {%d, %d, %d},\n" % (len(ctxs), max(ctxs), sum(ctxs)))
        f.write("};\nint main(void) {\n  attnroute_router r;\n  size_t i;\n")
        f.write('  if (attnroute_router_init(&r, &%s, "x86_64", 4) != ATTNROUTE_OK) return 2;\n'
                % name)
        f.write("  for (i = 0; i < sizeof calls / sizeof calls[0]; i++) {\n"
                "    attnroute_problem p;\n    attnroute_choice c;\n    int reason;\n"
                "    attnroute_problem_init(&p);\n"
                "    p.num_seqs = calls[i][0]; p.max_seqlen_q = 1; p.max_seqlen_k = calls[i][1];\n"
                "    p.total_seqlen_q = calls[i][0]; p.total_seqlen_k = calls[i][2];\n"
                "    p.has_cached = 1; p.num_q_heads = 64; p.num_kv_heads = 8; p.head_dim = 64;\n"
                "    p.has_sinks = 1;\n"
                "    reason = attnroute_select(&r, &p, &c);\n"
                "    printf(\"%d %s\\n\", reason, c.name);\n  }\n"
                "  return 0;\n}\n")
    exe = ctx.path("sel_%s" % tag)
    rt = os.path.join(ctx.root, "runtime", "src")
    srcs = sorted(os.path.join(rt, n) for n in os.listdir(rt) if n.endswith(".c"))
    p = subprocess.run([ctx.cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-I" + ctx.include,
                        "-I" + ctx.work, "-I" + rt, "-o", exe, src] + srcs + ["-lm"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    check(p.returncode == 0, "compiling %s: %s" % (src, p.stdout))
    p = subprocess.run([exe], stdout=subprocess.PIPE, universal_newlines=True)
    check(p.returncode == 0, "%s exited %d" % (exe, p.returncode))
    return [(int(l.split()[0]), l.split()[1]) for l in p.stdout.splitlines()]


def check_python_lookup(gen, model, probe, c_picks, what):
    """The generator's Python lookup (table_ranking, caps) picks what the
    runtime picked (c_picks, select_all's) for each decode batch of probe
    (lists of contexts) in the ragged fixture's class of model."""
    klass = model["classes"][0]
    caps = {c["name"]: c["caps"] for c in model["candidates"]}
    for ctxs, (reason, name) in zip(probe, c_picks):
        p = dict(zip(("head_dim", "q_dtype", "kv_dtype", "has_sinks", "sliding_window",
                      "kv_block_size", "causal"), (64, 0, 0, 1, -1, 16, 1)),
                 num_seqs=len(ctxs), max_seqlen_q=1, max_seqlen_k=max(ctxs), has_cached=1,
                 num_q_heads=64, num_kv_heads=8, total_seqlen_q=len(ctxs),
                 total_seqlen_k=sum(ctxs))
        ranking = gen.table_ranking(klass, p, 4)
        want = next((n for n in ranking or () if gen.caps_allow(caps[n], p)), None)
        check((reason == 0) == (want is not None) and (want is None or name == want),
              "%s, %d seqs, longest %d, total %d: C %r, Python %r" % (
                  what, len(ctxs), max(ctxs), sum(ctxs), (reason, name), want))


@case
def ragged(ctx):
    """A schema v2 db (tests/gen/ragged_fixture.py) of ragged decode calls
    where the longest key looks them up in a cell whose winner loses on the
    real batch: the generator keys the class by the packed ("equiv") key it
    measures best, the runtime then selects every in-domain call's fastest
    candidate (the db's best) where --ragged-key longest does not; the
    output is the same for the same db."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import ragged_fixture as rf
    db = ctx.path("ragged.db")
    rf.make(ctx.schema, db)
    h = ctx.gen_ok(db, ctx.path("ragged.h"), "--name", "t_ragged")
    check(h == ctx.gen_ok(db, ctx.path("ragged.h"), "--name", "t_ragged"), "not deterministic")
    check("ragged key: equiv" in h and "2, 0x0000003fu}" in h, "ragged key / edges not chosen:\n%s"
          % "\n".join(l for l in h.splitlines() if "ragged" in l or "edge" in l))
    ctx.gen_ok(db, ctx.path("longest.h"), "--name", "t_longest", "--ragged-key", "longest",
               "--neighbours", "off")
    calls = rf.TRACE_CALLS
    got = select_all(ctx, ctx.path("ragged.h"), "t_ragged", calls, "ragged")
    longest = select_all(ctx, ctx.path("longest.h"), "t_longest", calls, "longest")
    wrong_longest = 0
    for i, ctxs in enumerate(calls):
        t = rf.times(ctxs)
        best = min(t, key=t.get)
        check(got[i] == (0, best), "call %d (%d seqs, longest %d, total %d): selected %r, the "
              "db's best is %s" % (i, len(ctxs), max(ctxs), sum(ctxs), got[i], best))
        wrong_longest += longest[i][1] != best
    check(wrong_longest >= 10, "the longest key picked wrong on only %d calls" % wrong_longest)
    # The generator's Python lookup (table_ranking, which chose the key) and
    # the runtime agree on random ragged batches, inside and past the edges,
    # under every key.
    sys.path.insert(0, os.path.dirname(ctx.gen))
    import attnroute_gen as gen
    rng = random.Random(5)
    probe = []
    for _ in range(300):
        n = rng.randint(1, 120)
        probe.append([rng.randint(1, 200000)] + [rng.randint(1, 70000) for _ in range(n - 1)])
    misses = 0
    for key, edge in (("longest", "auto"), ("mean", "auto"), ("equiv", "auto"),
                      ("equiv", "legacy"), ("mean", "legacy")):
        model = gen.load_model(db)
        gen.apply_lookup(model, gen.DEFAULT_LOOKUP, 4, key, edge)
        tag = "%s_%s" % (key, edge)
        ctx.gen_ok(db, ctx.path("k_%s.h" % tag), "--name", "t_" + tag, "--ragged-key", key,
                   "--edge", edge)
        c_picks = select_all(ctx, ctx.path("k_%s.h" % tag), "t_" + tag, probe, "k_" + tag)
        misses += sum(1 for r, _ in c_picks if r == 7)
        check_python_lookup(gen, model, probe, c_picks, "%s key" % key)
    check(misses > 50, "only %d probes past the edges" % misses)
    # The hand-computed call: 65536 + 15 x 1024 keys in 16 sequences.
    one = [65537] + [1025] * 15
    check(select_all(ctx, ctx.path("ragged.h"), "t_ragged", [one], "one") == [(0, "split")]
          and select_all(ctx, ctx.path("longest.h"), "t_longest", [one], "one1") == [(0, "paged")],
          "16 sequences, one long: equiv should pick split, longest paged")
    # Its cell is next to cells the calls reach: ranked by their calls
    # (--neighbours, on by default here), the longest key answers split too.
    ctx.gen_ok(db, ctx.path("longest_nb.h"), "--name", "t_longest_nb", "--ragged-key", "longest")
    check(select_all(ctx, ctx.path("longest_nb.h"), "t_longest_nb", [one], "one2") == [(0, "split")],
          "16 sequences, one long: the longest key with neighbour cells should pick split")


@case
def traffic(ctx):
    """Cells ranked by traffic: with the grid's 16 x 65536 cell left empty
    (--sparse, a max_context_tokens bound), the all-long batches the longest
    key looks up there are misses under --traffic off; by default the
    generator finds (two-fold, out of sample) that ranking the cells the
    calls reach by those calls is faster, fills the cell, and the runtime
    answers every such call with the fastest candidate on them (paged);
    the runtime and the generator's Python lookup agree on random batches;
    the output is the same for the same db.  On the plain fixture the grid's
    cells stay (test ragged)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import ragged_fixture as rf
    db = ctx.path("sparse.db")
    rf.make(ctx.schema, db, sparse=True)
    args = ("--name", "t_traffic", "--ragged-key", "longest")
    h = ctx.gen_ok(db, ctx.path("traffic.h"), *args)
    check(h == ctx.gen_ok(db, ctx.path("traffic.h"), *args), "not deterministic")
    check(re.search(r"longest +traffic .*<- used", h) and "cells ranked by traffic" in h,
          "traffic not chosen:\n%s" % "\n".join(l for l in h.splitlines() if "traffic" in l
                                                 or "grid " in l))
    off = ctx.gen_ok(db, ctx.path("off.h"), *args[:2] + ("--traffic", "off") + args[2:])
    check("cells ranked by traffic" not in off and "--traffic off" in off, "--traffic off")
    calls = rf.SPARSE_CALLS
    for c in calls:
        t = rf.times(c)
        check(min(t, key=t.get) == "paged", "fixture: %d seqs, longest %d: best %r"
              % (len(c), max(c), t))
    got = select_all(ctx, ctx.path("traffic.h"), "t_traffic", calls, "traffic")
    check(all(g == (0, "paged") for g in got), "traffic cells: %r" % got)
    missed = select_all(ctx, ctx.path("off.h"), "t_traffic", calls, "off")
    check(all(r == 8 for r, _ in missed), "--traffic off: %r (empty cell, reason 8)" % missed)
    sys.path.insert(0, os.path.dirname(ctx.gen))
    import attnroute_gen as gen
    model = gen.load_model(db)
    gen.apply_lookup(model, gen.DEFAULT_LOOKUP, 4, "longest", "auto")
    klass = model["classes"][0]
    check(klass["traffic"] and (16, 1, 65536, 64, 8) in klass["traffic"],
          "traffic cells %r" % klass["traffic"])
    rng = random.Random(7)
    probe = [[rng.randint(1, 150000) for _ in range(rng.randint(1, 90))] for _ in range(200)]
    check_python_lookup(gen, model, probe,
                        select_all(ctx, ctx.path("traffic.h"), "t_traffic", probe, "probe"),
                        "traffic")
    # A db of trace calls alone (attnroute-tune --trace) makes no table: the
    # message says what to do with it (it used to say "no candidate measured
    # ok", though every call ran).
    calls_only = ctx.path("calls_only.db")
    shutil.copy(db, calls_only)
    conn = sqlite3.connect(calls_only)
    conn.execute("DELETE FROM measurement WHERE shape_id NOT IN (SELECT shape_id FROM trace_call)")
    conn.commit()
    conn.close()
    ctx.gen_fails(calls_only, expect=("no grid shapes, only trace calls", "attnroute-merge",
                                      "attnroute-eval"))


@case
def neighbours(ctx):
    """Cells next to reached ones (--neighbours): a real batch in a cell the
    calibration calls missed runs more like the batches next to it than like
    the cell's uniform grid shape.  On the sparse fixture with traffic on,
    --neighbours on ranks each unreached cell one step (num_seqs or cached)
    from a reached one by its neighbours' calls and its own grid shape: the
    ranking is recomputed here from the fixture's cost formulas; the runtime
    answers a held-out batch in such a cell with that ranking's first where
    --neighbours off answers with the grid's; runtime and Python lookup agree;
    auto follows the out-of-sample evidence the header prints."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import ragged_fixture as rf
    sys.path.insert(0, os.path.dirname(ctx.gen))
    import attnroute_gen as gen
    from attnroute_gen.lookup import cell_point, edge_point, problem_point
    db = ctx.path("neighbours.db")
    rf.make(ctx.schema, db, sparse=True)
    base = ("--ragged-key", "longest", "--traffic", "on")
    on = ctx.gen_ok(db, ctx.path("nb_on.h"), "--name", "t_nb_on", *base, "--neighbours", "on")
    check(on == ctx.gen_ok(db, ctx.path("nb_on.h"), "--name", "t_nb_on", *base,
                           "--neighbours", "on"), "not deterministic")
    off = ctx.gen_ok(db, ctx.path("nb_off.h"), "--name", "t_nb_off", *base, "--neighbours", "off")
    check(re.search(r"ranked by their neighbours' calls: \d+ cells", on)
          and "--neighbours on" in on, "--neighbours on: no neighbour cells")
    check("neighbours' calls: " not in off and "--neighbours off" in off, "--neighbours off")
    models = {}
    for mode in ("on", "off"):
        m = gen.load_model(db)
        gen.apply_lookup(m, gen.DEFAULT_LOOKUP, 4, "longest", "auto", "on", mode)
        models[mode] = m
    k_on, k_off = models["on"]["classes"][0], models["off"]["classes"][0]
    lent, reached = k_on["neighbour_cells"], k_on["traffic"]
    check(lent and reached and not set(lent) & set(reached), "cells %r / %r" % (lent, reached))
    axes = k_on["axes"]

    def step(a, b):
        i = [axes[n].index(a[n]) - axes[n].index(b[n]) for n in range(len(a))]
        return max(abs(i[0]), abs(i[2])) == 1 and i[1] == i[3] == i[4] == 0

    cell_of = []
    for e in k_on["calib"]:
        point, out, _ = edge_point(axes, problem_point(e["problem"], "longest"),
                                   k_on["edge_clamp"])
        cell_of.append((None if out else cell_point(axes, point, k_on["lookup"]), e))
    changed = 0
    for cell in lent:
        check(any(step(cell, r) for r in reached), "cell %r is next to no reached cell" % (cell,))
        # The ranking from the fixture's formulas: each neighbour call's
        # times (weighted by its calls) and the cell's own uniform shape once.
        ns, _, cached, _, _ = cell
        sums, weight = {}, 0
        def call_times(e):
            ns_, sq_, cached_ = e["point"][:3]
            seqs = e["seqs"] or [(sq_, sq_ + cached_)] * ns_
            return rf.times([k for _, k in seqs], [q for q, _ in seqs])

        group = [(sum(e["steps"].values()), call_times(e))
                 for c, e in cell_of if c is not None and c in reached and step(cell, c)]
        if cell in k_on["shapes"]:
            group.append((1, rf.times([cached + 1] * ns)))
        for w, t in group:  # a candidate that cannot run a call costs 4 x its best
            weight += w
            for n in ("paged", "split", "dense"):
                sums[n] = sums.get(n, 0.0) + w * t.get(n, 4.0 * min(t.values()))
        want = min(sorted(sums), key=lambda n: sums[n])
        got = k_on["cells"][cell][0][0]
        check(got == want, "cell %r: first %s, the neighbours' calls make it %s (%r)"
              % (cell, got, want, sums))
        grid_first = (k_off["cells"].get(cell) or [(None,)])[0][0]
        if grid_first is not None and grid_first != got:
            changed += 1
            probe = [[cached + 1] + [1 + (cached // 64)] * (ns - 1)]
            a = select_all(ctx, ctx.path("nb_on.h"), "t_nb_on", probe, "nbp%d" % changed)
            b = select_all(ctx, ctx.path("nb_off.h"), "t_nb_off", probe, "nbq%d" % changed)
            check(a == [(0, got)] and b == [(0, grid_first)],
                  "held-out batch in cell %r: on %r, off %r (want %s / %s)"
                  % (cell, a, b, got, grid_first))
    check(changed >= 1, "no neighbour cell changed its first candidate")
    rng = random.Random(9)
    probe = [[rng.randint(1, 150000) for _ in range(rng.randint(1, 90))] for _ in range(200)]
    check_python_lookup(gen, models["on"], probe,
                        select_all(ctx, ctx.path("nb_on.h"), "t_nb_on", probe, "nbr"),
                        "neighbours")
    auto = ctx.gen_ok(db, ctx.path("nb_auto.h"), "--name", "t_nb_auto", *base)
    ev = re.search(r"neighbours' calls: (\d+ cells|not used) \(cell by cell out of sample over "
                   r"(\d+) calls: grid ranking ([0-9.e+]+) us, neighbours' calls ([0-9.e+]+) us", auto)
    check(ev, "auto: no evidence line")
    used = ev.group(1) != "not used"
    check(used == (int(ev.group(2)) > 0 and float(ev.group(4)) < float(ev.group(3))),
          "auto decision %r against its evidence %r" % (used, ev.groups()))


@case
def edge_rules(ctx):
    """Edge rules by measurement: past the cached axis's last value the edge
    cell's pick (split) is measured against the legacy gate; the clamp is on
    and those calls are answered from the table.  When split is measured
    wrong there (--cliff) the legacy gate does no better: on gfx12 it splits
    every pure decode (aiter unified_attention, gen/attnroute_gen/legacy.py), so its
    stand-in is the same split candidate, and the clamp stays on: the table
    answers from the edge cell's next pick, paged (the old
    vLLM-style gate, paged past 16 sequences, used to turn it off here);
    without calibration shapes the default (dynamic axes clamped, heads
    not); --edge forces."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import ragged_fixture as rf
    past = [c for c in rf.TRACE_CALLS if max(c) > 65537]
    check(len(past) >= 10, "fixture has %d calls past the edge" % len(past))
    db = ctx.path("edge.db")
    rf.make(ctx.schema, db)
    h = ctx.gen_ok(db, ctx.path("edge.h"), "--name", "t_edge")
    seen = re.search(r"past the upper edge of cached: (\d+) calls", h)
    check(seen and int(seen.group(1)) >= len(past), "no edge evidence")
    got = select_all(ctx, ctx.path("edge.h"), "t_edge", past, "edge")
    check(all(g == (0, "split") for g in got), "past the edge: %r" % got)
    rf.make(ctx.schema, db, cliff=True)
    h = ctx.gen_ok(db, ctx.path("cliff.h"), "--name", "t_cliff")
    clamp = int(re.search(r"\n   \d, 0x([0-9a-f]{8})u\}", h).group(1), 16)
    check(clamp & 0x20 and clamp & 0x03 == 0x03, "cliff: edge rules 0x%x (the cached upper "
          "clamp should stay on: the legacy gate splits too; num_seqs' on)" % clamp)
    got = select_all(ctx, ctx.path("cliff.h"), "t_cliff", past, "cliff")
    check(all(g == (0, "paged") for g in got), "past the edge with the cliff: %r" % got)  # the cell's next pick
    h = ctx.gen_ok(db, ctx.path("forced.h"), "--name", "t_forced", "--edge", "clamp")
    check(", 0x000003ffu}" in h, "--edge clamp")
    h = ctx.gen_ok(db, ctx.path("forced.h"), "--name", "t_forced", "--edge", "legacy")
    check(", 0x00000000u}" in h, "--edge legacy")
    h = ctx.gen_ok(ctx.fixture(), ctx.path("plain.h"))
    check(h.count("0, 0x0000003fu}") == 2 and "edge rules by default" in h,
          "v1 fixture: default rules")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--cc", default="cc")
    ap.add_argument("--cxx", default="")
    ap.add_argument("case", choices=sorted(CASES))
    args = ap.parse_args()
    ctx = Ctx(args)
    os.makedirs(ctx.work, exist_ok=True)
    try:
        CASES[args.case](ctx)
    except Fail as e:
        print("FAIL %s: %s" % (args.case, e))
        return 1
    print("PASS %s" % args.case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
