#!/usr/bin/env python3
"""test_tools.py -- ctest cases for tools/attnroute_diff.py, gen/attnroute_gen/legacy.py
and tools/attnroute_report.py.

    test_tools.py --root SRC --work DIR CASE [--chromium PATH] [--legacy-c EXE]

Each CASE builds the fixture db (db/schema.sql + tests/gen/fixture.sql) in its
own work folder, varies a copy, and checks the tools' output and exit status.
Exit 0 pass, 1 fail, 77 skipped (report_dom without Chromium).
"""
import argparse
import itertools
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

CASES = {}
SKIP = 77


def case(fn):
    CASES[fn.__name__] = fn
    return fn


class Fail(Exception):
    pass


class Skip(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


class Ctx:
    def __init__(self, args):
        self.root = os.path.abspath(args.root)
        self.work = os.path.abspath(args.work)
        self.chromium = args.chromium
        self.legacy_c = args.legacy_c
        self.project_version = args.project_version
        self.tools = os.path.join(self.root, "tools")
        self.gen = os.path.join(self.root, "gen", "attnroute_gen.py")

    def path(self, name):
        return os.path.join(self.work, name)

    def fixture(self, name):
        path = self.path(name)
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        conn = sqlite3.connect(path)
        for script in (os.path.join(self.root, "db", "schema.sql"),
                       os.path.join(self.root, "tests", "gen", "fixture.sql")):
            with open(script, encoding="utf-8") as f:
                conn.executescript(f.read())
        conn.commit()
        conn.close()
        return path

    def variant(self, name, *statements):
        path = self.fixture(name)
        conn = sqlite3.connect(path)
        for s in statements:
            conn.execute(s)
        conn.commit()
        conn.close()
        return path

    def tool(self, script, *args):
        p = subprocess.run([sys.executable, os.path.join(self.tools, script)] + list(args),
                           cwd=self.work, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True)
        return p.returncode, p.stdout, p.stderr

    def diff(self, old, new, *extra):
        return self.tool("attnroute_diff.py", old, new, *extra)

    def diff_json(self, old, new, *extra):
        rc, out, err = self.diff(old, new, "--json", *extra)
        check(rc == 0, "diff --json failed (%d): %s" % (rc, err))
        return json.loads(out)

    def sparse_traffic_db(self):
        """tests/gen/ragged_fixture.py's --sparse db (a grid with trace calls
        whose cells gen ranks by them), fresh in the work folder; puts the
        generator package on sys.path."""
        sys.path.insert(0, os.path.join(self.root, "tests", "gen"))
        sys.path.insert(0, os.path.join(self.root, "gen"))
        import ragged_fixture
        db = self.path("sparse.db")
        if os.path.exists(db):
            os.remove(db)
        ragged_fixture.make(os.path.join(self.root, "db", "schema.sql"), db, sparse=True)
        return db

    def header(self, db, name):
        out = self.path(name)
        p = subprocess.run([sys.executable, self.gen, db, "-o", out], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True)
        check(p.returncode == 0, "generator failed: %s" % p.stderr)
        return out


def regions(d):
    return [(k["class"], r) for k in d["classes"] for r in k["regions"]]


@case
def diff_identical(ctx):
    """Identical inputs (db/db, db/header, header/header): "identical", exit 0."""
    a = ctx.fixture("a.db")
    b = ctx.fixture("b.db")
    h = ctx.header(a, "a.h")
    for old, new in ((a, b), (a, h), (h, a), (h, h)):
        rc, out, err = ctx.diff(old, new, "--fail-on-regression", "0")
        check(rc == 0 and "**identical**" in out and "Warning" not in out
              and out.count("\n") == 3, "identical %s %s: rc %d, output %r %s"
              % (old, new, rc, out, err))
        d = ctx.diff_json(old, new)
        check(d["identical"] and not d["classes"] and not d["provenance"],
              "--json of identical inputs not empty: %s" % d)


@case
def diff_changed_winner(ctx):
    """paged.bm64 made faster on the decode cells without cache of class A: one
    box num_seqs 1..8 x seqlen_q 1 x cached 0, winners named, speedups, a
    regression elsewhere caught by --fail-on-regression."""
    a = ctx.fixture("a.db")
    b = ctx.variant("b.db",
                    "UPDATE measurement SET median_us = 3.0 WHERE candidate_id = 2 "
                    "AND shape_id IN (1, 7)",
                    "UPDATE measurement SET median_us = median_us * 1.25 "
                    "WHERE candidate_id = 3 AND shape_id = 2")
    d = ctx.diff_json(a, b)
    rs = regions(d)
    check(len(rs) == 2, "expected 2 regions (splitkv->bm64, dense->bm64), got %s" % rs)
    by_old = {r["old_winner"]: r for _, r in rs}
    r = by_old["dense_sink.gather"]
    check(r["new_winner"] == "paged.bm64" and r["kind"] == "changed" and r["cells"] == 1
          and r["ranges"]["num_seqs"] == [8, 8] and abs(r["speedup"] - 2.0) < 1e-9,
          "dense->bm64 region wrong: %s" % r)
    r = by_old["paged.splitkv"]
    check(r["ranges"]["num_seqs"] == [1, 1] and r["ranges"]["seqlen_q"] == [1, 1]
          and r["ranges"]["cached"] == [0, 0], "splitkv->bm64 region wrong: %s" % r)
    s = d["summary"]
    check(s["winner_changed"] == 2 and s["compared"] == 18, "counts wrong: %s" % s)
    check(abs(s["worst"]["ratio"] - 1.25) < 1e-3 and s["worst"]["old_winner"] == "paged.splitkv",
          "worst regression wrong: %s" % s["worst"])
    rc, md, err = ctx.diff(a, b)
    check(rc == 0, "diff failed: %s" % err)
    for want in ("**2 of 18 cells changed winner beyond noise**, 0 within noise",
                 "changed | `dense_sink.gather` | `paged.bm64`",
                 "×2.00", "Worst regression beyond noise: **+25.0%**", "| provenance | old | new |",
                 "Slower beyond noise (1 cell):", "| +25.0% | ±4.0% |"):
        check(want in md, "markdown lacks %r:\n%s" % (want, md))
    rc, _, err = ctx.diff(a, b, "--fail-on-regression", "20")
    check(rc == 1 and "25.0%" in err, "--fail-on-regression 20: rc %d %s" % (rc, err))
    rc, _, _ = ctx.diff(a, b, "--fail-on-regression", "30")
    check(rc == 0, "--fail-on-regression 30 should pass")
    # Headers carry the same information.
    d2 = ctx.diff_json(ctx.header(a, "a.h"), ctx.header(b, "b.h"))
    check(regions(d2) == rs and d2["summary"] == s, "header diff differs from db diff")


@case
def diff_box_merge(ctx):
    """A change over a whole block of cells is one box, not many cells."""
    a = ctx.fixture("a.db")
    # paged.bm64 wins every prefill cell (seqlen_q 512, 2048) of class A.
    b = ctx.variant("b.db", "UPDATE measurement SET median_us = 1.0 WHERE candidate_id = 2 "
                            "AND shape_id IN (3, 4, 5, 9, 10, 11)")
    d = ctx.diff_json(a, b)
    rs = [r for _, r in regions(d) if r["old_winner"] == "dense_sink.gather"]
    got = sorted((r["cells"], r["ranges"]["num_seqs"], r["ranges"]["seqlen_q"],
                  r["ranges"]["cached"]) for r in rs)
    # dense won (1|8, 512, 0) and (1|8, 2048, 0), and kept (1|8, 512, 4096) as
    # the legacy incumbent (paged.bm64 2% faster, within the fixture's +-4%
    # spreads): two boxes, not six cells.
    check(got == [(2, [1, 8], [2048, 2048], [0, 0]), (4, [1, 8], [512, 512], [0, 4096])],
          "boxes: %s" % got)


@case
def diff_new_candidate(ctx):
    """A new candidate that wins class B's prefill cells: listed as added, and
    the cells it took changed winner."""
    a = ctx.fixture("a.db")
    b = ctx.variant(
        "b.db",
        "INSERT INTO candidate VALUES (5, 'dense.fa3', 'dense', 'bm=128', '%s', -1, "
        "'head_dim_mask=0x80,q_dtype_mask=0x1,kv_dtype_mask=0x1,block_size_mask=0x0,"
        "sinks=0,window=0,causal=2,max_seqlen_q=0,gqa_exact=0')" % ("f6" * 32),
        "INSERT INTO measurement (run_id, device_id, candidate_id, shape_id, status, "
        "median_us, reps, measured_at) SELECT 2, 1, 5, id, 'ok', 10.0, 10, "
        "'2026-05-01T12:00:00Z' FROM shape WHERE head_dim = 128 AND seqlen_q > 1")
    d = ctx.diff_json(a, b)
    check([c["name"] for c in d["candidates"]["added"]] == ["dense.fa3"],
          "added candidates: %s" % d["candidates"])
    rs = regions(d)
    check(len(rs) == 1 and rs[0][1]["new_winner"] == "dense.fa3" and rs[0][1]["cells"] == 4
          and "head_dim=128" in rs[0][0], "regions: %s" % rs)
    rc, md, _ = ctx.diff(a, b)
    check("added `dense.fa3`" in md, "markdown lacks the new candidate:\n" + md)


@case
def diff_removed_shape(ctx):
    """A shape no longer measured: its cell is reported lost, not changed."""
    a = ctx.fixture("a.db")
    b = ctx.variant("b.db", "DELETE FROM measurement WHERE shape_id = 9")
    d = ctx.diff_json(a, b)
    rs = regions(d)
    check(len(rs) == 1 and rs[0][1]["kind"] == "removed" and rs[0][1]["new_winner"] is None
          and rs[0][1]["ranges"]["seqlen_q"] == [512, 512], "regions: %s" % rs)
    check(d["summary"]["removed"] == 1 and d["summary"]["winner_changed"] == 0,
          "summary: %s" % d["summary"])
    rc, md, _ = ctx.diff(a, b)
    check("1 lost theirs" in md, "markdown:\n" + md)


@case
def diff_changed_device(ctx):
    """Driver update and a different device class show in provenance; code hash
    and timing-policy changes too."""
    a = ctx.fixture("a.db")
    b = ctx.variant("b.db", "UPDATE device SET driver_version = 'rocm 7.3.0'",
                    "UPDATE candidate SET code_hash = '%s' WHERE name = 'paged.bm64'" % ("99" * 32),
                    "UPDATE run SET timing_policy = 'warmup=5,min_reps=20,min_ms=100,flush_l2=1'")
    d = ctx.diff_json(a, b)
    fields = {p["field"]: p for p in d["provenance"]}
    check("device" in fields and "rocm 7.3.0" in fields["device"]["new"],
          "device change missing: %s" % d["provenance"])
    check("timing policy" in fields and "warmup=5" in fields["timing policy"]["new"],
          "timing policy change missing")
    check([c["name"] for c in d["candidates"]["code_changed"]] == ["paged.bm64"],
          "code hash change missing: %s" % d["candidates"])
    c = ctx.variant("c.db", "UPDATE device SET arch = 'gfx950'")
    d = ctx.diff_json(a, c)
    fields = {p["field"]: p for p in d["provenance"]}
    check(fields.get("device class", {}).get("new") == "gfx950:256",
          "device class change missing: %s" % d["provenance"])
    rc, md, _ = ctx.diff(a, c)
    check("| device class | gfx1250:256 | gfx950:256 |" in md, "markdown:\n" + md)


@case
def diff_noise(ctx):
    """A winner swap within the measured spread is listed apart from real
    changes; a best time 2% slower within +-3% spreads is neither slower nor
    listed; the gate judges beyond noise only."""
    slow_dense = ("UPDATE measurement SET median_us = 50, p10_us = 49, p90_us = 51 "
                  "WHERE shape_id = 1 AND candidate_id = 1")
    a = ctx.variant("a.db", slow_dense,
                    "UPDATE measurement SET median_us = 10, p10_us = 9.7, p90_us = 10.3 "
                    "WHERE shape_id = 1 AND candidate_id = 3",
                    "UPDATE measurement SET median_us = 20, p10_us = 19, p90_us = 21 "
                    "WHERE shape_id = 1 AND candidate_id = 2")
    b = ctx.variant("b.db", slow_dense,
                    "UPDATE measurement SET median_us = 30, p10_us = 29, p90_us = 31 "
                    "WHERE shape_id = 1 AND candidate_id = 3",
                    "UPDATE measurement SET median_us = 10.2, p10_us = 9.9, p90_us = 10.5 "
                    "WHERE shape_id = 1 AND candidate_id = 2")
    d = ctx.diff_json(a, b)
    rs = regions(d)
    check(len(rs) == 1 and rs[0][1]["kind"] == "changed within noise"
          and rs[0][1]["old_winner"] == "paged.splitkv" and rs[0][1]["new_winner"] == "paged.bm64",
          "regions: %s" % rs)
    s = d["summary"]
    check(s["winner_changed"] == 0 and s["winner_changed_noise"] == 1 and s["slower"] == 0
          and s["within_noise"] >= 1 and s["worst"] is None and d["slowed"] == [],
          "summary: %s" % s)
    rc, md, _ = ctx.diff(a, b, "--fail-on-regression", "0")
    check(rc == 0, "a change within noise failed the gate")
    check("**0 of 18 cells changed winner beyond noise**, 1 within noise" in md
          and "changed within noise | `paged.splitkv` | `paged.bm64`" in md, "markdown:\n" + md)


@case
def diff_not_comparable(ctx):
    """A sibling device (same arch and CU count, other product and memory) or
    another timing policy: a warning at the top, and the regression gate fails
    whatever the times, unless --allow-different-devices."""
    a = ctx.fixture("a.db")
    sib = ctx.variant("sib.db", "UPDATE device SET name = 'AMD Instinct MI455 (fixture)', "
                                "memory_bytes = 412316860416")
    pol = ctx.variant("pol.db", "UPDATE run SET timing_policy = 'warmup=3,min_reps=10,"
                                "min_ms=50,flush_l2=0'")
    for other, word in ((sib, "MI455"), (pol, "flush_l2=0")):
        d = ctx.diff_json(a, other)
        check(d["not_comparable"] and word in " ".join(d["not_comparable"]),
              "not flagged: %s" % d["not_comparable"])
        rc, md, err = ctx.diff(a, other, "--fail-on-regression", "1000")
        check(rc == 1 and "do not compare" in err, "gate passed: rc %d %s" % (rc, err))
        check(md.split("\n")[2].startswith("> **Warning: these tables do not compare**"),
              "no warning at the top:\n" + md)
        rc, _, err = ctx.diff(a, other, "--fail-on-regression", "1000", "--allow-different-devices")
        check(rc == 0, "--allow-different-devices: rc %d %s" % (rc, err))
    d = ctx.diff_json(a, ctx.variant("drv.db", "UPDATE device SET driver_version = 'rocm 7.3.0'"))
    check(d["not_comparable"] == [], "a driver update flagged: %s" % d["not_comparable"])


@case
def diff_escaping(ctx):
    """Strings copied from the inputs (candidate names, device names) cannot
    inject Markdown or HTML."""
    a = ctx.fixture("a.db")
    evil = "evil|<img src=x onerror=alert(1)>*x*`"
    b = ctx.variant("b.db",
                    "UPDATE candidate SET name = '%s' WHERE name = 'paged.bm64'" % evil,
                    "UPDATE device SET driver_version = '<script>alert(2)</script> | [x](javascript:y)'")
    rc, md, err = ctx.diff(a, b)
    check(rc == 0, "diff failed: %s" % err)
    for bad in ("<img", "<script", "](javascript", "|<", "*x*"):
        check(bad not in md, "unescaped %r in:\n%s" % (bad, md))
    check("evil\\|&lt;img src=x onerror=alert\\(1\\)&gt;\\*x\\*\\`" in md, "name not escaped:\n" + md)
    check("&lt;script&gt;" in md, "driver not escaped:\n" + md)


@case
def diff_traffic(ctx):
    """Cells ranked by trace calls (gen --traffic, --neighbours): the header's
    JSON says what ranked each cell; the diff counts them from it, compares
    their winners but not their times (means over calls, not the grid
    shape's), so they are never "slower" nor the worst regression; a db is
    diffed as the table gen makes from it (the same as its header)."""
    db = ctx.sparse_traffic_db()
    from attnroute_gen.emit_json import read_header_json
    heads = {}
    for tag, extra in (("off", ["--traffic", "off"]),
                       ("on", ["--traffic", "on", "--neighbours", "on"])):
        out = ctx.path(tag + ".h")
        p = subprocess.run([sys.executable, ctx.gen, db, "-o", out, "--ragged-key", "longest"]
                           + extra, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True)
        check(p.returncode == 0, "generator failed: %s" % p.stderr)
        heads[tag] = out
    obj = read_header_json(heads["on"])
    ranked = {}
    for k in obj["classes"]:
        for c, by in zip(k["cells"], k.get("ranked_by") or []):
            check(by[0] in ("grid", "traffic", "neighbours") and by[1] >= 0, "ranked_by %r" % by)
            if by[0] != "grid":
                ranked[tuple(c[:5])] = by
    check(any(b[0] == "traffic" for b in ranked.values()) and
          any(b[0] == "neighbours" for b in ranked.values()), "ranked_by: %r" % ranked)
    check(not any("ranked_by" in k for k in read_header_json(heads["off"])["classes"]),
          "--traffic off: a ranked_by list")
    d = ctx.diff_json(heads["off"], heads["on"])
    s = d["summary"]
    check(s["by_calls_old"] == 0 and s["by_calls_new"] == len(ranked),
          "counts %d / %d, want 0 / %d" % (s["by_calls_old"], s["by_calls_new"], len(ranked)))
    for e in d["slowed"] + ([s["worst"]] if s["worst"] else []):
        cell = tuple(e["cell"][a] for a in ("num_seqs", "seqlen_q", "cached", "num_q_heads", "gqa"))
        check(cell not in ranked, "call-ranked cell %r judged by its time: %r" % (cell, e))
    changed = [r for _, r in regions(d) if r["kind"] == "changed (ranked by calls)"]
    check(s["by_calls_changed"] >= 1 and sum(r["cells"] for r in changed) == s["by_calls_changed"],
          "by_calls_changed %d, regions %r" % (s["by_calls_changed"], changed))
    rc, out, err = ctx.diff(heads["off"], heads["on"])
    check(rc == 0 and "ranked by trace calls" in out and "%d new" % len(ranked) in out,
          "markdown: %s %s" % (out[:600], err))
    # A db is diffed as gen's default table of it.
    dflt = ctx.path("default.h")
    p = subprocess.run([sys.executable, ctx.gen, db, "-o", dflt], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    check(p.returncode == 0, "generator failed: %s" % p.stderr)
    check(any("ranked_by" in k for k in read_header_json(dflt)["classes"]),
          "the default table of the sparse fixture has no call-ranked cells")
    same = ctx.diff_json(db, dflt)
    check(same["same_tables"] and not same["classes"], "db vs its default header: %r"
          % same["summary"])


@case
def diff_bad_input(ctx):
    """Unreadable inputs exit 2 naming the file."""
    a = ctx.fixture("a.db")
    txt = ctx.path("x.txt")
    with open(txt, "w") as f:
        f.write("hello\n")
    for bad in (txt, ctx.path("missing.db")):
        rc, _, err = ctx.diff(a, bad)
        check(rc == 2 and os.path.basename(bad) in err, "%s: rc %d %s" % (bad, rc, err))


PROBLEM_FIELDS = ("num_seqs", "max_seqlen_q", "max_seqlen_k", "has_cached", "num_q_heads",
                  "num_kv_heads", "head_dim", "q_dtype", "kv_dtype", "has_sinks",
                  "sliding_window", "kv_block_size", "causal")


def legacy_space(legacy):
    """(problem, env) pairs over the whole space the gates read: every env
    switch (each boolean also as a non-1 "on" value somewhere), all 16 q/kv
    dtype mixes, windows, steps, page sizes, head dims, GQA ratios, MTP-sized
    decodes, prefixes and the non-gfx12 rule's thresholds; plus invalid ones."""
    envs = []
    for step, force, unified, asm, alibi, dropout, cu, flash in itertools.product(
            (0, 1, 2), (0, 1), (0, 1), (0, 1), (0, 1), (0, 1), (0, 1), (0, 1)):
        envs.append({"step": step, "force_triton": force, "use_unified_attn": unified,
                     "asm_arch": asm, "has_alibi": alibi, "has_dropout": dropout,
                     "has_cu_seqlens": cu, "flash_layout": flash, "cu_count": 256})
    envs.append(dict(legacy.DEFAULT_ENV, use_unified_attn=5, force_triton=-1, step=7))
    envs.append(dict(legacy.DEFAULT_ENV, asm_arch=0, use_unified_attn=1, cu_count=8))
    envs.append(dict(legacy.DEFAULT_ENV, asm_arch=0, flash_layout=3, cu_count=0))
    probs = []
    # Shapes that reach every gate: (ns, sq, sk, hq, hkv, hd).
    shapes = [(4, 2048, 6144, 64, 8, 64), (4, 2048, 2048, 64, 8, 64), (1, 1, 4096, 64, 8, 64),
              (64, 1, 300, 64, 8, 64), (8, 2, 4096, 64, 8, 64), (8, 3, 4096, 64, 8, 64),
              (2, 1, 1, 32, 8, 128), (16, 1, 8192, 32, 8, 128), (2, 512, 512, 32, 4, 128),
              (1, 1, 600, 16, 16, 256), (3, 100, 700, 8, 1, 512), (300, 1, 1000, 8, 1, 64),
              (2, 64, 64, 40, 8, 80), (1, 1, 513, 128, 4, 64)]
    for (ns, sq, sk, hq, hkv, hd), qdt, kvdt, sinks, window, block in itertools.product(
            shapes, (0, 1, 2, 3), (0, 1, 2, 3), (0, 1), (-1, 128), (16, 64, 128, 256)):
        if (qdt, kvdt) not in ((0, 0), (0, 2)) and (sinks, window, block) != (1, -1, 256):
            continue  # every dtype mix once per shape, the common ones everywhere
        probs.append({"num_seqs": ns, "max_seqlen_q": sq, "max_seqlen_k": sk,
                      "has_cached": 1 if sk > sq else 0, "num_q_heads": hq,
                      "num_kv_heads": hkv, "head_dim": hd, "q_dtype": qdt, "kv_dtype": kvdt,
                      "has_sinks": sinks, "sliding_window": window, "kv_block_size": block,
                      "causal": 1})
    odd = dict(probs[0])
    probs += [dict(odd, has_sinks=2), dict(odd, sliding_window=0), dict(odd, causal=0),
              dict(odd, has_cached=0), dict(odd, max_seqlen_k=2048, has_cached=1),
              dict(odd, num_seqs=0), dict(odd, num_kv_heads=7), dict(odd, q_dtype=4)]
    pairs = []
    for i, e in enumerate(envs):
        for j, p in enumerate(probs):
            # Full product for the main switches; the odd envs on every problem.
            if i < 384 and (i + j) % 4 and p["kv_block_size"] != 256:
                continue
            pairs.append((p, e))
    return pairs


@case
def legacy_vs_c(ctx):
    """gen/attnroute_gen/legacy.py agrees with the runtime's attnroute_legacy_route over
    the whole space (legacy_space), both policies; every route is reached."""
    if not ctx.legacy_c:
        raise Skip("no runtime-built legacy_dump program")
    sys.path.insert(0, os.path.dirname(ctx.gen))
    from attnroute_gen import legacy
    pairs = legacy_space(legacy)
    text = "".join(" ".join(str(p[k]) for k in PROBLEM_FIELDS) + " " +
                   " ".join(str(e[k]) for k in legacy.ENV_FIELDS) + "\n" for p, e in pairs)
    p = subprocess.run([ctx.legacy_c], input=text, stdout=subprocess.PIPE,
                       universal_newlines=True)
    check(p.returncode == 0, "legacy_dump failed")
    got = p.stdout.split("\n")
    bad = 0
    seen = set()
    for (prob, env), line in zip(pairs, got):
        routes = tuple(legacy.legacy_route(pol, prob, env) for pol in (0, 1))
        seen.update(routes)
        if line.strip() != "%d %d" % routes:
            bad += 1
            if bad < 5:
                print("mismatch %s %s: C %s, Python %s" % (prob, env, line.strip(), routes))
    check(len(got) >= len(pairs) and bad == 0, "%d of %d calls differ" % (bad, len(pairs)))
    check(seen == set(legacy.ROUTE_NAMES), "routes never reached: %s"
          % sorted(set(legacy.ROUTE_NAMES) - seen))
    p = subprocess.run([ctx.legacy_c], input="1 2 3\n", stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    check(p.returncode == 2 and "stdin:1" in p.stderr, "short line: rc %d %s"
          % (p.returncode, p.stderr))
    print("%d calls agree, all %d routes reached" % (len(pairs), len(seen)))


def expected_heatmaps(db):
    conn = sqlite3.connect(db)
    n = conn.execute("SELECT COUNT(*) FROM (SELECT DISTINCT head_dim, q_dtype, kv_dtype, "
                     "has_sinks, sliding_window, kv_block_size, causal, num_seqs, "
                     "num_q_heads, num_q_heads / num_kv_heads FROM shape WHERE id IN "
                     "(SELECT shape_id FROM measurement))").fetchone()[0]
    conn.close()
    return 3 * n


def chromium(ctx, *args):
    profile = tempfile.mkdtemp(prefix="ar-chromium-")
    try:
        p = subprocess.run([ctx.chromium, "--headless", "--no-sandbox", "--disable-gpu",
                            "--disable-background-networking", "--disable-component-update",
                            "--disable-sync", "--no-first-run", "--user-data-dir=" + profile]
                           + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return p


@case
def report_dom(ctx):
    """The report renders in headless Chromium with one heatmap <svg> per map
    (3 per slice), and a screenshot is taken (report.png in the work folder)."""
    if not ctx.chromium or not os.path.exists(ctx.chromium):
        raise Skip("chromium not found")
    db = ctx.fixture("fixture.db")
    out = ctx.path("report.html")
    rc, _, err = ctx.tool("attnroute_report.py", db, "-o", out)
    check(rc == 0, "report failed: %s" % err)
    with open(out, encoding="utf-8") as f:
        page = f.read()
    check("http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
          and "https://" not in page and "<script" not in page and "<link" not in page,
          "report is not self-contained")
    url = "file://" + out
    p = chromium(ctx, "--dump-dom", url)
    check(p.returncode == 0, "chromium --dump-dom failed: %s" % p.stderr[-2000:])
    dom = p.stdout
    n = len(re.findall(r'<svg[^>]*class="heatmap"', dom))
    want = expected_heatmaps(db)
    check(want == 12, "fixture should give 12 heatmaps, db says %d" % want)
    check(n == want, "rendered DOM has %d heatmap svgs, want %d" % (n, want))
    for text in ("speedup vs post-1345", "speedup vs pre-1345", "dense_sink.gather",
                 "cached (tokens)", "seqlen_q (new tokens per sequence)", "Provenance",
                 "no gain", "Lookups: leave-one-out estimate", "\u25c0 table"):
        check(text in dom, "rendered DOM lacks %r" % text)
    shot = ctx.path("report.png")
    p = chromium(ctx, "--window-size=1100,1500", "--screenshot=" + shot, url)
    check(p.returncode == 0 and os.path.getsize(shot) > 10000, "screenshot failed")
    print("heatmaps: %d; screenshot %s" % (n, shot))


@case
def report_traffic(ctx):
    """The report marks (*) every cell the table gen makes from the db ranks
    by trace calls, with the count and the table's first candidate in the
    tooltip, and no other cell."""
    db = ctx.sparse_traffic_db()
    import attnroute_gen as gen
    model = gen.load_model(db)
    gen.apply_lookup(model, gen.DEFAULT_LOOKUP, gen.TOPK)
    k = model["classes"][0]
    want = dict(k["traffic"] or {})
    want.update(k.get("neighbour_cells") or {})
    check(want, "the fixture's default table ranks no cell by calls")
    out = ctx.path("r.html")
    rc, _, err = ctx.tool("attnroute_report.py", db, "-o", out)
    check(rc == 0, "report failed: %s" % err)
    with open(out, encoding="utf-8") as f:
        page = f.read()
    marked = re.findall(r"<title>seqlen_q=(\d+) cached=(\d+): [^<]*\* the table ranks this "
                        r"cell by (\d+) (?:trace|neighbours&#x27;|neighbours') calls?, not "
                        r"this shape: first ([\w.]+)", page)
    got = sorted((int(sq), int(c), int(n), first) for sq, c, n, first in marked)
    exp = sorted((p[1], p[2], calls, k["cells"][p][0][0]) for p, calls in want.items())
    check(got == exp, "marked cells %r, want %r" % (got, exp))
    check("A <b>*</b> marks a cell" in page, "legend does not explain the mark")


@case
def report_options(ctx):
    """--eval adds the evaluation regret table; bad input exits 2."""
    db = ctx.fixture("fixture.db")
    ev = ctx.variant("eval.db",
                     "DELETE FROM measurement",
                     "INSERT INTO shape (id, head_dim, q_dtype, kv_dtype, has_sinks, "
                     "sliding_window, kv_block_size, causal, num_seqs, seqlen_q, seqlen_k, "
                     "num_q_heads, num_kv_heads) VALUES (99, 64, 'bf16', 'bf16', 1, -1, 16, 1, "
                     "2, 1, 1, 64, 8)",
                     "INSERT INTO measurement (run_id, device_id, candidate_id, shape_id, "
                     "status, median_us, reps, measured_at) VALUES "
                     "(1, 1, 3, 99, 'ok', 6.0, 10, '2026-05-03T00:00:00Z'), "
                     "(1, 1, 1, 99, 'ok', 5.0, 10, '2026-05-03T00:00:00Z')")
    out = ctx.path("r.html")
    rc, _, err = ctx.tool("attnroute_report.py", db, "-o", out, "--eval", ev)
    check(rc == 0, "report --eval failed: %s" % err)
    with open(out, encoding="utf-8") as f:
        page = f.read()
    # (2, 1, 0) snaps to num_seqs 1 (log-nearest of 1 and 8): the table runs
    # paged.splitkv (6 us) where dense_sink.gather (5 us) was best: 1.2x.
    row = re.search(r"<tr><td>head_dim=64[^<]*</td><td class=num>1</td>"
                    r"<td class=num>([0-9.]+)×</td>", page)
    check("Evaluation db" in page and row and row.group(1) == "1.200",
          "eval regret row missing or wrong")
    check("unified attention off" in page, "report does not say which gates it used")
    rc, _, err = ctx.tool("attnroute_report.py", db, "-o", out, "--unified-attn", "on")
    with open(out, encoding="utf-8") as f:
        page_on = f.read()
    check(rc == 0 and "unified attention on" in page_on, "--unified-attn on: %s" % err)
    rc, _, err = ctx.tool("attnroute_report.py", ctx.path("nope.db"), "-o", out)
    check(rc == 2 and "nope.db" in err, "missing db: rc %d %s" % (rc, err))


@case
def cli_conventions(ctx):
    """Every Python tool answers --version with the project's version, and an
    output path that cannot be written exits 2 naming it (no traceback, no
    .tmp left behind)."""
    tools = [ctx.gen] + [os.path.join(ctx.tools, t) for t in (
        "attnroute_diff.py", "attnroute_report.py", "attnroute_evalset.py",
        "attnroute_lookup_study.py")]
    for t in tools:
        p = subprocess.run([sys.executable, t, "--version"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True)
        check(p.returncode == 0 and p.stdout.strip() == "%s %s" % (os.path.basename(t),
                                                                   ctx.project_version),
              "%s --version: rc %d %r %r" % (t, p.returncode, p.stdout, p.stderr))
    db = ctx.fixture("fixture.db")
    os.makedirs(ctx.path("adir"), exist_ok=True)
    for out in (ctx.path("no/such/dir/out"), ctx.path("adir")):
        runs = [[ctx.gen, db, "-o", out], [ctx.gen, db, "--text", out],
                [os.path.join(ctx.tools, "attnroute_report.py"), db, "-o", out],
                [os.path.join(ctx.tools, "attnroute_evalset.py"),
                 os.path.join(ctx.root, "tests", "e2e", "tiny.grid"), "-o", out, "--count", "3"]]
        for argv in runs:
            p = subprocess.run([sys.executable] + argv, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, universal_newlines=True)
            what = "%s -> %s" % (os.path.basename(argv[0]), out)
            check(p.returncode == 2, "%s: rc %d, wanted 2: %s" % (what, p.returncode, p.stderr))
            check(out in p.stderr and ("cannot write" in p.stderr or "is a directory" in p.stderr)
                  and "Traceback" not in p.stderr,
                  "%s: unclear message: %s" % (what, p.stderr))
            check(not os.path.exists(out + ".tmp"), "%s: left %s.tmp" % (what, out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--project-version", default="")
    ap.add_argument("--root", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--chromium", default="")
    ap.add_argument("--legacy-c", default="")
    ap.add_argument("case", choices=sorted(CASES))
    args = ap.parse_args()
    ctx = Ctx(args)
    os.makedirs(ctx.work, exist_ok=True)
    try:
        CASES[args.case](ctx)
    except Skip as e:
        print("SKIP %s: %s" % (args.case, e))
        return SKIP
    except Fail as e:
        print("FAIL %s: %s" % (args.case, e))
        return 1
    print("PASS %s" % args.case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
