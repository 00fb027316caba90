#!/usr/bin/env python3
"""test_eval.py -- ctest cases for the regret tools (label host).

    test_eval.py --root SRC --work DIR --eval ATTNROUTE_EVAL [--tune ATTNROUTE_TUNE] CASE

Each CASE builds the fixture of tests/eval/make_fixture.py in its own work
folder (a grid db, off-grid eval shapes and their eval db) and checks
tools/attnroute_evalset.py, attnroute_gen.py --text, attnroute-eval (its
numbers against tests/eval/regret_ref.py, a Python re-computation) and
tools/attnroute_lookup_study.py.  Exit 0 pass, 1 fail.
"""
import argparse
import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_fixture  # noqa: E402
import regret_ref  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "gen"))
import ragged_fixture  # noqa: E402

CASES = {}
LOOKUPS = ("nearest_log", "floor", "tree")


def case(fn):
    CASES[fn.__name__] = fn
    return fn


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def close(a, b, rel=1e-9):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= rel * max(abs(a), abs(b))


class Ctx:
    def __init__(self, args):
        self.root = os.path.abspath(args.root)
        self.work = os.path.abspath(args.work)
        self.eval = args.eval
        self.tune = args.tune
        self.gen = os.path.join(self.root, "gen", "attnroute_gen.py")
        self.evalset = os.path.join(self.root, "tools", "attnroute_evalset.py")
        self.study = os.path.join(self.root, "tools", "attnroute_lookup_study.py")
        if os.path.isdir(self.work):
            shutil.rmtree(self.work)
        os.makedirs(self.work)
        self.fx = None

    def path(self, name):
        return os.path.join(self.work, name)

    def fixture(self):
        if self.fx is None:
            make_fixture.make(self.root, self.path("fx"), 240, 7)
            self.fx = self.path("fx")
        return self.fx

    def run(self, argv, expect=0):
        p = subprocess.run(argv, cwd=self.work, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True)
        if expect is not None:
            check(p.returncode == expect, "%s: exit %d (expected %d)\nstdout: %s\nstderr: %s" % (
                " ".join(os.path.basename(a) for a in argv[:2]), p.returncode, expect,
                p.stdout[-2000:], p.stderr[-2000:]))
        return p

    def py(self, script, *args, expect=0):
        return self.run([sys.executable, script] + list(args), expect)

    def table_text(self, lookup, name=None):
        fx = self.fixture()
        out = self.path(name or "table_%s.txt" % lookup)
        self.py(self.gen, os.path.join(fx, "grid.db"), "--text", out, "--lookup", lookup)
        return out

    def eval_json(self, table, db=None, *extra, expect=0):
        db = db or os.path.join(self.fixture(), "eval.db")
        p = self.run([self.eval, "--db", db, "--table", table, "--json", "--worst", "1000000"]
                     + list(extra), expect)
        return json.loads(p.stdout) if expect == 0 else p


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def parse_shapes(text):
    out = []
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        out.append({k: (v if k in ("dtype", "kv_dtype") else int(v))
                    for k, v in (item.split("=", 1) for item in line.split())})
    return out


# --------------------------------------------------------------------------
# tools/attnroute_evalset.py

@case
def evalset_determinism(ctx):
    """Same grid and seed: the same bytes; another seed: other shapes; the
    count asked for; builtin:NAME reads grids/NAME.grid."""
    fx = ctx.fixture()
    grid = os.path.join(fx, "fixture.grid")
    a, b, c = ctx.path("a.shapes"), ctx.path("b.shapes"), ctx.path("c.shapes")
    ctx.py(ctx.evalset, grid, "-o", a, "--count", "60", "--seed", "11")
    ctx.py(ctx.evalset, grid, "-o", b, "--count", "60", "--seed", "11")
    ctx.py(ctx.evalset, grid, "-o", c, "--count", "60", "--seed", "12")
    check(read(a) == read(b), "same seed, different shape lists")
    check(read(a) != read(c), "another seed gave the same shapes")
    check(len(parse_shapes(read(a))) == 60, "not 60 shapes")
    p = ctx.py(ctx.evalset, "builtin:host-small", "-o", "-", "--count", "25", "--seed", "3")
    shapes = parse_shapes(p.stdout)
    check(len(shapes) == 25 and all(s["head_dim"] == 64 and s["q_heads"] == 8 for s in shapes),
          "builtin:host-small shapes wrong: %r" % shapes[:3])
    ctx.py(ctx.evalset, "builtin:no-such-grid", "-o", ctx.path("x"), expect=2)


@case
def evalset_range(ctx):
    """Every shape inside its class's range, heads from the grid, max_tokens
    kept, no grid point, no repeat, both classes, some cached=0 and some
    decode shapes; attnroute-tune reads the list (--dry-run)."""
    fx = ctx.fixture()
    sys.path.insert(0, os.path.join(ctx.root, "tools"))
    import attnroute_evalset
    classes = attnroute_evalset.load_grid(os.path.join(fx, "fixture.grid"), ctx.root)
    out = ctx.path("r.shapes")
    ctx.py(ctx.evalset, os.path.join(fx, "fixture.grid"), "-o", out, "--count", "400",
           "--seed", "5")
    shapes = parse_shapes(read(out))
    check(len(shapes) == 400, "%d shapes, expected 400" % len(shapes))
    seen = set()
    per_class = [0] * len(classes)
    zero_cached = decode = 0
    for s in shapes:
        key = tuple(sorted(s.items()))
        check(key not in seen, "repeated shape %r" % (s,))
        seen.add(key)
        matches = [i for i, c in enumerate(classes)
                   if (c["head_dim"], c["sinks"], c["window"], c["block"], c["dtype"],
                       c["kv_dtype"], c["causal"]) ==
                   (s["head_dim"], s["sinks"], s["window"], s["block"], s["dtype"],
                    s["kv_dtype"], s["causal"])]
        check(len(matches) == 1, "shape of no grid class: %r" % (s,))
        c = classes[matches[0]]
        per_class[matches[0]] += 1
        check((s["q_heads"], s["kv_heads"]) in c["heads"], "heads not from the grid: %r" % (s,))
        for axis in ("num_seqs", "seqlen_q", "cached"):
            check(min(c[axis]) <= s[axis] <= max(c[axis]), "%s out of range: %r" % (axis, s))
        if c["max_tokens"]:
            check(s["num_seqs"] * s["seqlen_q"] <= c["max_tokens"], "max_tokens broken: %r" % s)
        check(not (s["num_seqs"] in c["num_seqs"] and s["seqlen_q"] in c["seqlen_q"]
                   and s["cached"] in c["cached"]), "a grid point: %r" % (s,))
        zero_cached += s["cached"] == 0
        decode += s["seqlen_q"] == 1
    check(per_class == [200, 200], "shapes per class %r" % per_class)
    check(zero_cached > 0 and decode > 0, "no cached=0 (%d) or decode (%d) shapes"
          % (zero_cached, decode))
    if ctx.tune:
        p = ctx.run([ctx.tune, "--backend", "host", "--shapes", out, "--db", ctx.path("dry.db"),
                     "--dry-run"])
        check("400 shapes" in p.stdout, "attnroute-tune did not read 400 shapes: %s"
              % p.stdout[-800:])


@case
def evalset_bad_grid(ctx):
    """A bad grid is refused (exit 2) naming file:line; nothing written."""
    bad = ctx.path("bad.grid")
    with open(bad, "w") as f:
        f.write("class head_dim=64\nheads 64/8\nnum_seqs 1 4\nseqlen_q 1 x16\ncached 0\n")
    out = ctx.path("never.shapes")
    p = ctx.py(ctx.evalset, bad, "-o", out, expect=2)
    check("bad.grid:4" in p.stderr and "x16" in p.stderr, "message: %s" % p.stderr)
    check(not os.path.exists(out), "a refused grid still wrote shapes")
    with open(bad, "w") as f:
        f.write("class head_dim=64 blok=16\n")
    p = ctx.py(ctx.evalset, bad, "-o", out, expect=2)
    check("bad.grid:1" in p.stderr and "blok" in p.stderr, "message: %s" % p.stderr)
    ctx.py(ctx.evalset, ctx.path("missing.grid"), "-o", out, expect=2)
    ctx.py(ctx.evalset, os.path.join(ctx.fixture(), "fixture.grid"), "-o", out, "--count", "0",
           expect=2)


# --------------------------------------------------------------------------
# attnroute_gen.py --text

@case
def gen_text(ctx):
    """--text alone writes the table text (versioned first line, one
    candidate line each, 'end' last); the header is the same bytes with or
    without --text; neither -o nor --text is a usage error."""
    fx = ctx.fixture()
    db = os.path.join(fx, "grid.db")
    ctx.py(ctx.gen, db, "-o", ctx.path("a.h"), "--lookup", "tree")
    ctx.py(ctx.gen, db, "-o", ctx.path("b.h"), "--lookup", "tree", "--text", ctx.path("b.txt"))
    ctx.py(ctx.gen, db, "--text", ctx.path("c.txt"), "--lookup", "tree")
    check(read(ctx.path("a.h")).replace("a.h", "b.h") == read(ctx.path("b.h")),
          "--text changed the header")
    check(read(ctx.path("b.txt")) == read(ctx.path("c.txt")).replace("c.txt", "b.txt"),
          "--text differs with and without -o")
    lines = read(ctx.path("c.txt")).splitlines()
    check(lines[0] == "attnroute-table-text 2", "first line %r" % lines[0])
    check(lines[-1] == "end", "last line %r" % lines[-1])
    check(sum(1 for l in lines if l.startswith("candidate ")) == 5, "candidate lines")
    check(sum(1 for l in lines if l.startswith("node ")) > 0, "no tree nodes in a tree table")
    check(any("held-out slowdown" in l for l in lines), "no held-out comment")
    h = read(ctx.path("a.h"))
    for method in LOOKUPS:
        check(("**     %-11s geomean" % method) in h, "header lacks held-out line of %s" % method)
    ctx.py(ctx.gen, db, "--lookup", "tree", expect=2)


# --------------------------------------------------------------------------
# attnroute-eval against the Python re-computation

def compare_eval(ctx, lookup, fallback="post-1345", eval_db=None, include_grid=False,
                 unified=False):
    fx = ctx.fixture()
    table = ctx.table_text(lookup)
    eval_db = eval_db or os.path.join(fx, "eval.db")
    got = ctx.eval_json(table, eval_db, "--fallback", fallback,
                        *(["--include-grid"] if include_grid else []),
                        *(["--unified-attn", "on"] if unified else []))
    want = regret_ref.reference(ctx.root, os.path.join(fx, "grid.db"), eval_db, lookup, fallback,
                                include_grid, unified)
    check(got["unified_attn"] == (1 if unified else 0), "unified_attn %r" % got["unified_attn"])
    db = got["db"]
    for key in ("evaluated", "incomplete", "no_ok", "on_grid"):
        check(db[key] == want[key], "%s: %s %r, python %r" % (lookup, key, db[key], want[key]))
    check(db["foreign_candidates"] == (0 if "grid" in os.path.basename(eval_db) else 1),
          "foreign candidates %r" % db["foreign_candidates"])
    check(got["fallbacks"]["by_reason"] == want["fallbacks"],
          "%s: fallbacks %r, python %r" % (lookup, got["fallbacks"]["by_reason"], want["fallbacks"]))
    check(len(got["worst"]) == want["evaluated"], "worst list is not every shape")
    for rec in got["worst"]:
        w = want["shapes"].get(rec["shape_id"])
        check(w is not None, "shape %d not evaluated in python" % rec["shape_id"])
        check(rec["oracle"]["candidate"] == w["oracle"] and rec["oracle"]["us"] == w["oracle_us"],
              "shape %d oracle %r, python %r" % (rec["shape_id"], rec["oracle"], w["oracle"]))
        check((rec["select"]["from_table"], rec["select"]["rank"], rec["select"]["reason"]) ==
              (w["from_table"], w["rank"], w["reason"] or "ok"),
              "shape %d select %r, python %r" % (rec["shape_id"], rec["select"], w))
        for pol in regret_ref.POLICIES:
            g, e = rec[pol], w[pol]
            check(g["candidate"] == e["candidate"] and g["status"] == e["status"],
                  "shape %d %s pick %r, python %r" % (rec["shape_id"], pol, g, e))
            if math.isinf(e["regret"]):
                check(g["regret"] is None and g["failed"], "shape %d %s not failed" % (
                    rec["shape_id"], pol))
            else:
                check(close(g["regret"], e["regret"], 1e-12) and not g["failed"],
                      "shape %d %s regret %r, python %r" % (rec["shape_id"], pol, g["regret"],
                                                            e["regret"]))
    for pol in regret_ref.POLICIES:
        g, e = got["policies"][pol], want["policies"][pol]
        for key in ("shapes", "optimal", "failed"):
            check(g[key] == e[key], "%s %s %s: %r, python %r" % (lookup, pol, key, g[key], e[key]))
        for key in ("geomean", "p50", "p95", "max"):
            check(close(g[key], e[key]), "%s %s %s: %r, python %r" % (lookup, pol, key, g[key],
                                                                       e[key]))
    # worst first: failed picks, then descending regret
    regrets = [math.inf if r["table"]["regret"] is None else r["table"]["regret"]
               for r in got["worst"]]
    check(regrets == sorted(regrets, reverse=True), "worst list not sorted")
    return got, want


@case
def regret_vs_python(ctx):
    """For every lookup (and the pre-1345 fallback): every shape's oracle,
    select answer, picks and regrets, and every summary, equal the Python
    re-computation; the fixture's edge shapes are all seen."""
    reasons = set()
    for lookup in LOOKUPS:
        got, want = compare_eval(ctx, lookup)
        reasons |= set(got["fallbacks"]["by_reason"])
        check(got["db"]["incomplete"] == 1 and got["db"]["no_ok"] == 1,
              "fixture's incomplete / no-ok shapes not counted: %r" % got["db"])
        check(got["fallbacks"]["below_top"] > 0 or lookup == "tree",
              "%s: no answer below rank 0 (splitkv beyond seqlen_q 16)" % lookup)
    check({"no_class", "out_of_domain", "empty_cell"} <= reasons,
          "fallback reasons seen: %r" % sorted(reasons))
    compare_eval(ctx, "nearest_log", "pre-1345")
    compare_eval(ctx, "nearest_log", "pre-1345", unified=True)
    compare_eval(ctx, "floor", unified=True)


@case
def on_grid(ctx):
    """The table's own grid db as eval db: every shape is a grid point and
    left out by default (a warning, exit 0); with --include-grid the
    nearest_log and floor tables pick the fastest candidate on every grid
    point (regret 1 everywhere), as the Python re-computation says."""
    fx = ctx.fixture()
    grid = os.path.join(fx, "grid.db")
    table = ctx.table_text("nearest_log")
    p = ctx.run([ctx.eval, "--db", grid, "--table", table])
    check("no shape" in p.stderr and "on the table's grid left out" in p.stdout,
          "no on-grid note: %s %s" % (p.stdout[:600], p.stderr))
    got = ctx.eval_json(table, grid)
    check(got["db"]["evaluated"] == 0 and got["db"]["on_grid"] > 100, "on_grid %r" % got["db"])
    for lookup in ("nearest_log", "floor", "tree"):
        got, want = compare_eval(ctx, lookup, eval_db=grid, include_grid=True)
        t = got["policies"]["table"]
        if lookup != "tree":
            check(t["optimal"] == t["shapes"] == got["db"]["evaluated"] > 100 and t["max"] == 1,
                  "%s on its own grid: %r" % (lookup, t))
    # an eval shape is never a grid point
    got = ctx.eval_json(table)
    check(got["db"]["on_grid"] == 0, "evalset shapes on the grid: %r" % got["db"])


@case
def legacy_picks(ctx):
    """The legacy policies' picks on chosen shapes.  Unified attention on:
    prefill with a cached prefix is dense after #1345 and paged (with the
    prefix gather: no stand-in in the fixture) before; every pure decode is
    split-KV (gfx12); head_dim 128 without sinks is paged for both.
    Unified attention off (ATOM's default): both policies send prefill to
    aiter's varlen ASM kernel (D 64 with sinks, D 128 without), decode to
    the gluon paged decode (D 64) or to an engine error (D 128: pa_fwd_asm
    has no gfx1250 object); neither has a stand-in in the fixture."""
    table = ctx.table_text("nearest_log")
    got = ctx.eval_json(table, None, "--unified-attn", "on")
    seen = set()
    for r in got["worst"]:
        pre, post = r["pre-1345"]["candidate"], r["post-1345"]["candidate"]
        routes = (r["pre-1345"]["route"], r["post-1345"]["route"])
        if r["head_dim"] == 64 and r["has_sinks"] and r["seqlen_q"] > 1 and r["cached"] > 0:
            check((pre, post) == (None, "dense_sink.gather") and
                  routes == ("triton_paged_gather", "dense_sink_asm"),
                  "prefill with prefix: %r %r %r" % (r, pre, post))
            check(r["pre-1345"]["failed"], "pre-1345 gather pick not failed: %r" % r)
            seen.add("cached prefill")
        elif r["head_dim"] == 64 and r["has_sinks"] and r["seqlen_q"] > 1:
            check(pre == post == "dense_sink.gather", "prefill without prefix: %r" % r)
            seen.add("prefill")
        elif r["seqlen_q"] == 1:
            check(pre == post == "paged.splitkv", "decode: %r" % r)
            seen.add("decode")
        elif r["head_dim"] == 128:
            check(post == "paged.bm64" and pre == ("paged.bm64" if r["cached"] == 0 else None),
                  "head_dim 128 prefill: %r" % r)
            seen.add("d128")
        check(None not in routes, "legacy pick without a route")
    check(seen == {"cached prefill", "prefill", "decode", "d128"}, "cases seen: %r" % seen)
    pol = got["policies"]
    check(pol["pre-1345"]["failed"] == seen_count(got, "triton_paged_gather")
          and pol["post-1345"]["failed"] == 0, "legacy stand-ins failed on the fixture")

    got = ctx.eval_json(table)
    seen = set()
    for r in got["worst"]:
        pre, post = r["pre-1345"], r["post-1345"]
        check((pre["candidate"], pre["route"]) == (post["candidate"], post["route"]),
              "unified off: pre and post differ: %r" % r)
        if r["seqlen_q"] > 1:
            asm = (r["head_dim"], r["has_sinks"]) in ((64, 1), (128, 0))
            want = ("dense_sink.gather", "dense_sink_asm") if asm else (None, "dense_varlen")
            check((post["candidate"], post["route"]) == want, "unified off prefill: %r" % r)
            seen.add("prefill d%d%s" % (r["head_dim"], "" if asm else " ck"))
        else:
            want = "gluon_paged_decode" if r["head_dim"] == 64 else "engine_error"
            check(post["candidate"] is None and post["route"] == want and post["failed"],
                  "unified off decode: %r" % r)
            seen.add("decode d%d" % r["head_dim"])
    check(seen == {"prefill d64", "prefill d64 ck", "prefill d128", "decode d64", "decode d128"},
          "unified off cases seen: %r" % seen)


def seen_count(got, route):
    return sum(1 for r in got["worst"] if r["pre-1345"]["route"] == route)


@case
def failed_picks(ctx):
    """The table picks fast.experimental where the eval db has it wrong:
    those are failed picks (regret null, failed true), counted apart from
    the regret statistics, listed first; the text report says inf.  (Unified
    attention on, so that every fallback of the table has a stand-in in the
    fixture and the failed picks are the table's own.)"""
    table = ctx.table_text("nearest_log")
    got = ctx.eval_json(table, None, "--unified-attn", "on")
    t = got["policies"]["table"]
    failed = [r for r in got["worst"] if r["table"]["failed"]]
    check(t["failed"] == len(failed) > 0, "failed %r vs listed %d" % (t["failed"], len(failed)))
    check(all(r["table"]["status"] == "wrong" and r["table"]["candidate"] == "fast.experimental"
              and r["table"]["regret"] is None for r in failed), "failed picks: %r" % failed[:2])
    check(got["worst"][:len(failed)] == failed, "failed picks not listed first")
    finite = [r["table"]["regret"] for r in got["worst"] if not r["table"]["failed"]]
    check(close(t["max"], max(finite)), "max %r includes a failed pick" % t["max"])
    p = ctx.run([ctx.eval, "--db", os.path.join(ctx.fixture(), "eval.db"), "--table", table,
                 "--worst", "3", "--unified-attn", "on"])
    lines = p.stdout.splitlines()
    head = [l for l in lines if l.strip().startswith("table ")]
    check(head and head[0].split()[3] == str(t["failed"]), "text summary: %r" % head)
    worst = lines[lines.index(next(l for l in lines if l.startswith("worst 3 "))) + 2:]
    check(len(worst) == 3 and all(l.split()[0] == "inf" and "[wrong]" in l for l in worst),
          "text worst rows: %r" % worst)


# --------------------------------------------------------------------------
# refusals

@case
def bad_inputs(ctx):
    """Exit 2 with a clear message for: a text file as db, an SQLite file of
    another application, a newer schema, a missing file, an empty db (zero
    bytes, or SQLite with nothing in it), a corrupt one (a status outside the
    schema's list; the db layer's checks), no measurements of the table's
    device class (and --device picking another), stale code hashes (and
    --allow-stale), garbage tables, another table text version, bad flags."""
    fx = ctx.fixture()
    table = ctx.table_text("nearest_log")
    edb = os.path.join(fx, "eval.db")

    def refused(argv, *words):
        p = ctx.run([ctx.eval] + argv, expect=2)
        for w in words:
            check(w in p.stderr, "%r: message lacks %r: %s" % (argv, w, p.stderr.strip()))
        check(p.stdout == "", "refusal printed a report")

    def edited(name, *sql, copy=True):
        """A db NAME in the work folder: a copy of the fixture's eval db (or
        a new file) with sql run on it."""
        path = ctx.path(name)
        if copy:
            shutil.copy(edb, path)
        conn = sqlite3.connect(path)
        conn.executescript(";\n".join(sql))  # each statement committed as it runs
        conn.close()
        return path

    refused(["--db", table, "--table", table], "not an attnroute db", "not an SQLite")
    other = edited("other.db", "CREATE TABLE t (x)", copy=False)
    refused(["--db", other, "--table", table], "application_id 0")
    newer = edited("newer.db", "PRAGMA user_version = 4")
    refused(["--db", newer, "--table", table], "schema version 4")
    refused(["--db", ctx.path("missing.db"), "--table", table], "missing.db: no such file")
    zero = ctx.path("zero.db")
    open(zero, "wb").close()
    refused(["--db", zero, "--table", table], "zero.db: an empty db")
    empty = edited("empty.db", "CREATE TABLE t (x)", "DROP TABLE t", copy=False)
    check(os.path.getsize(empty) > 0, "empty.db has no SQLite header")
    refused(["--db", empty, "--table", table], "empty.db: an empty db")
    flipped = edited("flipped.db", "PRAGMA ignore_check_constraints = ON",
                     "UPDATE measurement SET status = 'ol' WHERE id = (SELECT min(id) FROM measurement)")
    refused(["--db", flipped, "--table", table], "flipped.db: database is corrupt", "status")
    moved = edited("moved.db", "UPDATE device SET arch = 'sm_100', cu_count = 148")
    refused(["--db", moved, "--table", table], "sm_90:132", "sm_100:148", "--device")
    got = ctx.eval_json(table, moved, "--device", "sm_100:148")
    check(got["db"]["device"] == "sm_100:148" and got["db"]["evaluated"] > 0, "--device ignored")
    refused(["--db", moved, "--table", table, "--device", "gfx1250:256"], "gfx1250:256")
    stale = edited("stale.db", "UPDATE candidate SET code_hash = 'ffff' WHERE name = 'paged.bm64'")
    refused(["--db", stale, "--table", table], "paged.bm64", "--allow-stale")
    got = ctx.eval_json(table, stale, "--allow-stale")
    check(got["db"]["stale"] == "paged.bm64", "stale names %r" % got["db"]["stale"])

    text = read(table)
    cases = [
        ("garbage.txt", "hello\n", "first line"),
        ("empty.txt", "", "end of file"),
        ("v1.txt", text.replace("attnroute-table-text 2", "attnroute-table-text 1", 1), "version 1"),
        ("v3.txt", text.replace("attnroute-table-text 2", "attnroute-table-text 3", 1), "version 3"),
        ("abi.txt", text.replace("\nabi 2\n", "\nabi 7\n", 1), "ABI 7"),
        ("abi1.txt", text.replace("\nabi 2\n", "\nabi 1\n", 1), "ABI 1"),
        ("nomem.txt", text.replace("\nmemory_mib ", "\nmemory ", 1), "memory_mib"),
        ("trunc.txt", text[:len(text) // 2], ""),
        ("nonl.txt", text[:-1], "newline"),
        ("tail.txt", text + "cell 1 2 3\n", "after 'end'"),
        ("slot.txt", text.replace(" 255\n", " 254\n", 1), "does not exist"),
        ("crlf.txt", text.replace("\n", "\r\n"), "printable"),
    ]
    for name, body, word in cases:
        path = ctx.path(name)
        with open(path, "w", newline="") as f:
            f.write(body)
        refused(["--db", edb, "--table", path], name, word)
    refused(["--db", edb], "--table")
    refused(["--table", table], "--db")
    refused(["--db", edb, "--table", table, "--worst", "-1"], "--worst")
    refused(["--db", edb, "--table", table, "--fallback", "pre-1346"], "--fallback")
    refused(["--db", edb, "--table", table, "--device", "sm_90"], "ARCH:CU")
    refused(["--db", edb, "--table", table, "--frobnicate"], "unknown argument")
    refused(["--db", edb, "--table", table, "--json=1"], "--json takes no value")
    ctx.run([ctx.eval, "--help"])
    p = ctx.run([ctx.eval, "--version"])
    check(p.stdout.startswith("attnroute-eval 0.") and "table ABI" in p.stdout, "--version: %r" % p.stdout)
    got = json.loads(ctx.run([ctx.eval, "--db=" + edb, "--table=" + table, "--json", "--worst=3"]).stdout)
    check(got["db"]["evaluated"] > 0, "--flag=value not understood")


# --------------------------------------------------------------------------
# tools/attnroute_lookup_study.py

@case
def lookup_study(ctx):
    """The study runs every lookup, its numbers are attnroute-eval's, and it
    keeps the one with the least held-out regret (fewest failed picks, then
    geomean, then max); on the fixture the lookups differ."""
    fx = ctx.fixture()
    p = ctx.py(ctx.study, os.path.join(fx, "grid.db"), os.path.join(fx, "eval.db"),
               "--eval", ctx.eval, "--json", "--keep", ctx.path("study"))
    r = json.loads(p.stdout)
    keys = {}
    for lookup in LOOKUPS + ("auto",):
        got = ctx.eval_json(ctx.table_text(lookup))["policies"]["table"]
        mine = r["lookups"][lookup]["table"]
        for k in ("shapes", "failed", "optimal", "geomean", "p95", "max"):
            check(close(got[k], mine[k]) if isinstance(got[k], float) else got[k] == mine[k],
                  "%s %s: study %r, eval %r" % (lookup, k, mine[k], got[k]))
        keys[lookup] = (got["failed"], got["geomean"], got["max"])
    order = LOOKUPS + ("auto",)
    want = min(order, key=lambda m: (keys[m], order.index(m)))
    check(r["best"] == want, "study kept %s, least regret is %s (%r)" % (r["best"], want, keys))
    check(len({keys[m] for m in LOOKUPS}) > 1, "all lookups scored alike: %r" % keys)
    check(os.path.exists(ctx.path(os.path.join("study", "table_tree.txt"))), "--keep kept nothing")
    p = ctx.py(ctx.study, os.path.join(fx, "grid.db"), os.path.join(fx, "eval.db"),
               "--eval", ctx.eval)
    check("least held-out regret: %s" % want in p.stdout, "text: %s" % p.stdout[-600:])
    ctx.py(ctx.study, os.path.join(fx, "eval.shapes"), os.path.join(fx, "eval.db"),
           "--eval", ctx.eval, expect=2)


# --------------------------------------------------------------------------
# Trace calls (a schema v2 db with trace_call rows)

def compare_trace(ctx, grid, edb, *extra, unified=True):
    """attnroute-eval --json on the trace calls of edb with the table of
    grid, against tests/eval/regret_ref.py's trace_reference: every count,
    every call's picks and regrets, every policy's totals and summaries.
    Unified attention on by default: the fixture's stand-ins are those of
    that configuration."""
    table = ctx.path("trace_table.txt")
    ctx.py(ctx.gen, grid, "--text", table)
    got = ctx.eval_json(table, edb, *extra, *(["--unified-attn", "on"] if unified else []))
    want = regret_ref.trace_reference(ctx.root, grid, edb, "floor", unified=unified)
    check(got["format"] == "attnroute-eval-trace", "not a trace report: %r" % got.get("format"))
    check(got["calls"] == want["calls"], "calls %r, python %r" % (got["calls"], want["calls"]))
    check(got["answered"] == want["answered"], "answered %r, python %r" % (
        got["answered"], want["answered"]))
    check(len(got["worst"]) == len(want["per_call"]), "worst list is not every evaluated call")
    for rec in got["worst"]:
        w = want["per_call"][(rec["trace"], rec["call_index"])]
        check(rec["step"] == w["step"] and rec["select"]["from_table"] == w["from_table"]
              and rec["select"]["reason"] == (w["reason"] or "ok"),
              "call %d select %r, python %r" % (rec["call_index"], rec["select"], w))
        check((rec["total_seqlen_q"], rec["total_seqlen_k"]) ==
              (w["problem"]["total_seqlen_q"], w["problem"]["total_seqlen_k"]),
              "call %d totals" % rec["call_index"])
        for pol in regret_ref.TRACE_POLICIES:
            g, e = rec[pol], w[pol]
            check(g["candidate"] == e["candidate"] and g["status"] == e["status"],
                  "call %d %s pick %r, python %r" % (rec["call_index"], pol, g, e))
            check((g["regret"] is None) == math.isinf(e["regret"]) and
                  (g["regret"] is None or close(g["regret"], e["regret"], 1e-12)),
                  "call %d %s regret %r, python %r" % (rec["call_index"], pol, g["regret"],
                                                       e["regret"]))
    for pol in regret_ref.TRACE_POLICIES:
        g, e = got["policies"][pol], want["policies"][pol]
        check(set(g) == {"calls", "optimal", "failed", "total_us", "geomean", "p50", "p95", "max"},
              "%s: the common block's keys changed: %r" % (pol, sorted(g)))
        for key in ("calls", "optimal", "failed"):
            check(g[key] == e[key], "%s %s: %r, python %r" % (pol, key, g[key], e[key]))
        for key in ("total_us", "geomean", "p50", "p95", "max"):
            check(close(g[key], e[key]), "%s %s: %r, python %r" % (pol, key, g[key], e[key]))
        # each policy over its own ok calls, and why the others were not timed
        g, e = got["policies_all_ok"][pol], want["policies_all_ok"][pol]
        for key in ("calls", "optimal"):
            check(g[key] == e[key], "all ok %s %s: %r, python %r" % (pol, key, g[key], e[key]))
        for key in ("total_us", "best_total_us", "x_best", "geomean", "p50", "p95", "max"):
            check(close(g[key], e[key]), "all ok %s %s: %r, python %r" % (pol, key, g[key], e[key]))
        g, e = got["not_timed"][pol], want["not_timed"][pol]
        check(g == e, "not timed %s: %r, python %r" % (pol, g, e))
        check(g["no_standin"] + g["failed"] == got["policies"][pol]["failed"],
              "%s: no stand-in + failed != the common block's failed" % pol)
        gs = [grp["policies_all_ok"][pol] for grp in got["groups"]]
        check(sum(x["calls"] for x in gs) == got["policies_all_ok"][pol]["calls"] and
              close(sum(x["total_us"] for x in gs), got["policies_all_ok"][pol]["total_us"]),
              "%s: the groups' own totals do not add up" % pol)
    return got, want, table


@case
def trace_eval(ctx):
    """A trace db (tests/gen/ragged_fixture.py: ragged decode calls, calls
    past the grid's edge, prefill calls) scored end to end against the
    Python re-computation; the table, keyed by the ragged key the db's calls
    chose, is within 1% of the best per call and ahead of both legacy
    policies; a 1-token prefill goes to the prefill gate (the call's step
    reaches the legacy policies); a failed legacy pick leaves its call out
    of every total; --trace, --by-shape, refusals."""
    db = ctx.path("trace.db")
    ragged_fixture.make(os.path.join(ctx.root, "db", "schema.sql"), db)
    got, want, table = compare_trace(ctx, db, db)
    n = len(ragged_fixture.TRACE_CALLS) + len(ragged_fixture.PREFILL_CALLS)
    # pre-1345 pays the prefix gather on the cached prefill calls: no
    # stand-in in the fixture, so those calls are failed (left out of totals)
    gathered = sum(1 for r in got["worst"] if r["pre-1345"]["route"] == "triton_paged_gather")
    check(got["calls"]["total"] == n and got["calls"]["failed"] == gathered > 0 and
          got["calls"]["scored"] == n - gathered and got["calls"]["ragged"] > 40,
          "calls %r (%d gathered)" % (got["calls"], gathered))
    pol = got["policies"]
    check(pol["table"]["total_us"] <= 1.01 * pol["best"]["total_us"] and
          pol["table"]["total_us"] < pol["pre-1345"]["total_us"] and
          pol["table"]["total_us"] < pol["post-1345"]["total_us"], "totals %r" % pol)
    check(got["answered"]["calls"] == n, "answered %r" % got["answered"])
    one_token = next(r for r in got["worst"] if r["call_index"] == len(ragged_fixture.TRACE_CALLS))
    check(one_token["step"] == "prefill" and one_token["max_seqlen_q"] == 1 and
          one_token["post-1345"]["candidate"] == "dense" and
          one_token["post-1345"]["route"] == "dense_sink_asm",
          "1-token prefill not gated as prefill: %r" % one_token)
    check(len(got["groups"]) == 2 and {g["step"] for g in got["groups"]} == {"prefill", "decode"},
          "groups %r" % got["groups"])
    text = ctx.run([ctx.eval, "--db", db, "--table", table]).stdout
    for line in ("traces: fx (%d calls" % n, "the table answered %d of %d calls (100.00%%)" % (n, n),
                 "by class, heads and step", "worst 10 call(s) for the table:"):
        check(line in text, "text report lacks %r:\n%s" % (line, text[:1500]))
    # --trace names one; an unknown one is refused; --by-shape scores the shapes.
    check(ctx.eval_json(table, db, "--trace", "fx", "--unified-attn", "on")["calls"] == got["calls"],
          "--trace fx")
    # Unified attention off (ATOM's default): the same totals, recomputed in
    # Python; the decode calls' gluon route has no stand-in in the fixture.
    off, _, _ = compare_trace(ctx, db, db, unified=False)
    check(off["calls"]["failed"] > 0 and off["calls"]["total"] == n, "unified off: %r" % off["calls"])
    p = ctx.run([ctx.eval, "--db", db, "--table", table, "--trace", "nope"], expect=2)
    check("no trace 'nope'" in p.stderr and "fx" in p.stderr, p.stderr)
    shapes = ctx.eval_json(table, db, "--by-shape")
    check(shapes["format"] == "attnroute-eval" and shapes["db"]["evaluated"] > 40,
          "--by-shape %r" % shapes.get("db"))
    ctx.run([ctx.eval, "--db", db, "--table", table, "--trace", "fx", "--by-shape"], expect=2)

    # A legacy stand-in measured wrong on a prefill call: that call is failed
    # for post-1345 (and pre-1345), out of every total.
    bad = ctx.path("trace_bad.db")
    make_bad_trace_db(ctx, db, bad)
    got, want, _ = compare_trace(ctx, db, bad)
    check(got["calls"]["failed"] == gathered + 1 and got["calls"]["scored"] == n - gathered - 1 and
          got["policies"]["post-1345"]["failed"] == 1 and got["policies"]["table"]["failed"] == 0,
          "failed legacy pick: %r %r" % (got["calls"], got["policies"]["post-1345"]))


def make_bad_trace_db(ctx, db, bad):
    """A copy of the trace db db with the dense candidate (the stand-in of
    dense_sink_asm) measured wrong on the 512-token prefill call (no cached
    prefix: both legacy policies run dense there)."""
    shutil.copy(db, bad)
    conn = sqlite3.connect(bad)
    conn.execute("UPDATE measurement SET status = 'wrong', median_us = NULL WHERE candidate_id = 3 "
                 "AND shape_id = (SELECT shape_id FROM trace_call WHERE call_index = ?)",
                 (len(ragged_fixture.TRACE_CALLS) + 4,))
    conn.commit()
    conn.close()


@case
def trace_not_timed(ctx):
    """Why a legacy pick was not timed, and each policy over all its own ok
    calls.  The ragged trace db with unified attention on: pre-1345 gathers
    the prefix on the cached prefill calls (triton_paged_gather: no stand-in
    in the fixture), and the dense stand-in is measured wrong on one
    uncached prefill call (failed for both legacy policies).  The counts,
    the route names and every policy's all-calls totals are recomputed here
    from the db with SQL (stand-ins from the fixture's candidate list); the
    common block keeps its calls and totals (the calls every pick ran on)."""
    db, bad = ctx.path("trace.db"), ctx.path("trace_bad.db")
    ragged_fixture.make(os.path.join(ctx.root, "db", "schema.sql"), db)
    make_bad_trace_db(ctx, db, bad)
    got, _, table = compare_trace(ctx, db, bad)
    cached = sum(1 for seqs in ragged_fixture.PREFILL_CALLS if any(k > q for q, k in seqs))
    check(cached == 3, "fixture: %d cached prefill calls" % cached)
    nt = got["not_timed"]
    check(nt["pre-1345"] == {"no_standin": cached, "no_standin_routes": {"triton_paged_gather": cached},
                             "failed": 1, "failed_by_status": {"wrong": 1}}, "pre-1345 %r" % nt["pre-1345"])
    check(nt["post-1345"] == {"no_standin": 0, "no_standin_routes": {}, "failed": 1,
                              "failed_by_status": {"wrong": 1}}, "post-1345 %r" % nt["post-1345"])
    for pol in ("table", "best"):
        check(nt[pol] == {"no_standin": 0, "no_standin_routes": {}, "failed": 0, "failed_by_status": {}},
              "%s %r" % (pol, nt[pol]))

    # From the db: every call's measurements by candidate name, and the
    # stand-in of a route (the fixture's candidates: route, max seqlen_q).
    conn = sqlite3.connect(bad)
    meas = {}
    for index, name, status, us in conn.execute(
            "SELECT t.call_index, c.name, m.status, m.median_us FROM trace_call t "
            "JOIN measurement m ON m.shape_id = t.shape_id JOIN candidate c ON c.id = m.candidate_id"):
        meas.setdefault(index, {})[name] = (status, us)
    conn.close()
    routes = {"dense_sink_asm": 0, "triton_paged": 1, "triton_splitkv": 2}

    def stand_in(route, sq):
        return next((name for _, name, _, r, maxq in ragged_fixture.CANDIDATES
                     if routes.get(route) == r and (maxq == 0 or sq <= maxq)), None)

    calls = got["worst"]
    check(len(calls) == len(meas) == got["calls"]["total"], "calls %d, db %d" % (len(calls), len(meas)))
    best = {r["call_index"]: min(us for st, us in meas[r["call_index"]].values() if st == "ok")
            for r in calls}
    picks = {}  # policy -> {call index: us or None}
    for pol in regret_ref.TRACE_POLICIES:
        picks[pol] = {}
        for r in calls:
            m = meas[r["call_index"]]
            if pol in ("pre-1345", "post-1345"):
                name = stand_in(r[pol]["route"], r["max_seqlen_q"])
                check(name == r[pol]["candidate"], "call %d %s: stand-in %r, reported %r" % (
                    r["call_index"], pol, name, r[pol]["candidate"]))
            else:
                name = r[pol]["candidate"]
            picks[pol][r["call_index"]] = m[name][1] if name and m[name][0] == "ok" else None
    common = [i for i in best if all(picks[pol][i] is not None for pol in picks)]
    check(len(common) == got["calls"]["scored"] == len(calls) - cached - 1,
          "common calls %d, scored %r" % (len(common), got["calls"]))
    for pol in regret_ref.TRACE_POLICIES:
        own = [i for i in best if picks[pol][i] is not None]
        a = got["policies_all_ok"][pol]
        tot, btot = sum(picks[pol][i] for i in own), sum(best[i] for i in own)
        check(a["calls"] == len(own) and close(a["total_us"], tot) and close(a["best_total_us"], btot)
              and close(a["x_best"], tot / btot),
              "%s over its own ok calls: %r, db: %d calls %r / %r" % (pol, a, len(own), tot, btot))
        c = got["policies"][pol]
        check(c["calls"] == len(common) and close(c["total_us"], sum(picks[pol][i] for i in common)),
              "%s common block %r" % (pol, c))
    check(got["policies_all_ok"]["table"]["calls"] == len(calls) and
          got["policies_all_ok"]["post-1345"]["calls"] == len(calls) - 1 and
          got["policies_all_ok"]["pre-1345"]["calls"] == len(calls) - cached - 1,
          "own calls %r" % {p: v["calls"] for p, v in got["policies_all_ok"].items()})

    text = ctx.run([ctx.eval, "--db", bad, "--table", table, "--unified-attn", "on"]).stdout
    n = len(calls)
    for line in ("calls every policy's pick ran on (%d of the %d evaluated" % (len(common), n),
                 "each policy over all the calls its own pick ran ok on",
                 "  pre-1345: no stand-in for triton_paged_gather (%d calls); failed: 1 wrong\n" % cached,
                 "  post-1345: failed: 1 wrong\n", "    own ok calls: table 6 "):
        check(line in text, "text report lacks %r:\n%s" % (line, text[:3000]))
    own_rows = text[text.index("each policy over all the calls"):].splitlines()
    row = next(r.split() for r in own_rows if r.startswith("  table "))
    check(row[1] == str(n) and row[-2:] == ["0", "0"], "table's own row %r" % row)
    row = next(r.split() for r in own_rows if r.startswith("  pre-1345 "))
    check(row[1] == str(n - cached - 1) and row[-2:] == [str(cached), "1"], "pre-1345's own row %r" % row)
    # The worst-calls list says why a gate's pick has no regret (it said inf).
    text = ctx.run([ctx.eval, "--db", bad, "--table", table, "--unified-attn", "on",
                    "--worst", str(n)]).stdout
    gates = [l.split()[-2:] for l in text[text.index("worst %d call(s)" % n):].splitlines()[2:]
             if " | " in l]
    check(len(gates) == n and sum(g[0] == "no-stand-in" for g in gates) == cached
          and sum(g == ["wrong", "wrong"] for g in gates) == 1
          and not any("inf" in g for g in gates), "worst list's gate columns %r" % gates)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--eval", required=True)
    ap.add_argument("--tune")
    ap.add_argument("case", choices=sorted(CASES))
    args = ap.parse_args()
    try:
        CASES[args.case](Ctx(args))
    except Fail as e:
        sys.stderr.write("FAIL %s: %s\n" % (args.case, e))
        return 1
    print("ok %s" % args.case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
