"""test_binding.py -- the attnroute Python package on compiled fixture tables.

Builds the fixture db (tests/gen/fixture.sql), compiles it with
gen/attnroute_gen.py --library, and checks: the Table's facts; every cell of
the header's JSON answered with its first-ranked candidate, through select()
and through selector(); select() equal to a plain ctypes call for a sweep of
problems (the packing of every field); the table built by
attnroute_generate_table(... LIBRARY) identical in answers; a device refusal
and an ABI refusal visible on the router, never raised; legacy() against
gen/attnroute_gen/legacy.py with stand-ins; unavailable candidates; env fields; misses
deduplicated, counted, written as a --shapes file and merged on a rewrite;
and every error path raising with a message that names its input.

    test_binding.py --root SRC --cc CC --work DIR --cmake-table LIB
"""
import argparse
import ctypes
import json
import os
import re
import shutil
import subprocess
import sys

import attnroute
from attnroute import _abi, _lib

ap = argparse.ArgumentParser()
ap.add_argument("--root", required=True)
ap.add_argument("--cc", required=True)
ap.add_argument("--work", required=True)
ap.add_argument("--cmake-table", required=True)
args = ap.parse_args()
sys.path.insert(0, os.path.join(args.root, "gen"))
from attnroute_gen import legacy  # noqa: E402  (gen/attnroute_gen/legacy.py)

shutil.rmtree(args.work, ignore_errors=True)
os.makedirs(args.work)
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def raises(exc, pattern, fn, *a, **kw):
    try:
        fn(*a, **kw)
    except exc as e:
        check(re.search(pattern, str(e)) is not None,
              "%s: message %r lacks %r" % (fn.__name__, str(e), pattern))
        return
    check(False, "%s(%r, %r) did not raise %s" % (getattr(fn, "__name__", fn), a, kw,
                                                  exc.__name__))


db = os.path.join(args.work, "fixture.db")
subprocess.run([sys.executable, os.path.join(args.root, "tests/gen/make_fixture.py"),
                os.path.join(args.root, "db/schema.sql"), db,
                os.path.join(args.root, "tests/gen/fixture.sql")], check=True)
lib = os.path.join(args.work, "libfixture_table.so")
header = os.path.join(args.work, "fixture_table.h")
gen = os.path.join(args.root, "gen/attnroute_gen.py")
subprocess.run([sys.executable, gen, db, "-o", header, "--library", lib, "--cc", args.cc,
                "--name", "attnroute_table_fixture"], check=True)

# --- the Table
t = attnroute.Table(lib)
check(t.readable and t.abi == attnroute.TABLE_ABI, "table ABI %r" % t.abi)
check((t.arch, t.cu_count) == ("gfx1250", 256), "table device %r:%r" % (t.arch, t.cu_count))
check(t.candidates == ["asm.pa_decode", "dense_sink.gather", "paged.bm64", "paged.splitkv"],
      "candidates %r" % t.candidates)
check(t.device_name == "AMD Instinct MI450 (fixture)", "device name %r" % t.device_name)
check("sha256:" in t.provenance, "provenance %r" % t.provenance)

# --- every cell of the header's JSON: its first-ranked candidate
text = open(header, encoding="utf-8").read()
model = json.loads(text.split("/* attnroute-table-json\n", 1)[1].split("\n*/", 1)[0])
router = attnroute.Router(t, "gfx1250", 256)
check(router.bound and router.bind_status == 0, "bind: %s" % router.bind_reason)
cells = 0
for cls in model["classes"]:
    st = cls["static"]
    static = dict(head_dim=st["head_dim"], has_sinks=st["has_sinks"],
                  sliding_window=st["sliding_window"], kv_block_size=st["kv_block_size"],
                  causal=st["causal"], q_dtype=st["q_dtype"], kv_dtype=st["kv_dtype"])
    for ns, sq, cached, hq, gqa, ranking in cls["cells"]:
        fields = dict(static, num_seqs=ns, max_seqlen_q=sq, max_seqlen_k=sq + cached,
                      num_q_heads=hq, num_kv_heads=hq // gqa)
        c = router.select(**fields)
        cells += 1
        where = "cell %r" % fields
        check(c.from_table and c.reason == 0 and c.rank == 0, where + ": %r" % c)
        check(c.name == ranking[0][0], where + ": %s, want %s" % (c.name, ranking[0][0]))
        check(t.candidates[c.candidate] == c.name, where + ": index %d" % c.candidate)
        check(c.route == -1 and c.route_name is None, where + ": route %r" % c.route)
        check(c.reason_text == "answered from the table", where + ": " + c.reason_text)
        sel = router.selector(**{k: v for k, v in fields.items()
                                 if k not in ("num_seqs", "max_seqlen_q", "max_seqlen_k")})
        c2 = sel(ns, sq, sq + cached, int(cached > 0), attnroute.STEP_AUTO)
        check(c2 is c, where + ": selector %r, select %r" % (c2, c))
check(cells == 18, "%d cells in the fixture's JSON" % cells)
check(router.misses() == [] and router.miss_stats()["total"] == 0,
      "hits recorded as misses: %r" % router.miss_stats())

# --- select() == a plain ctypes call, field by field, over a sweep
plain_r = _abi.Router()
_lib.router_init(ctypes.byref(plain_r), t.address, b"gfx1250", 256)
cmake_router = attnroute.Router(args.cmake_table, "gfx1250", 256)
check(cmake_router.bound, "attnroute_generate_table LIBRARY table: %s" % cmake_router.bind_reason)
check(cmake_router.table.candidates == t.candidates, "cmake table candidates")
n = 0
for ns in (1, 3, 8, 9):
    for sq in (1, 7, 512, 3000):
        for cached in (0, 5, 4096, 9000):
            for hd, hq, hkv, sinks in ((64, 64, 8, 1), (128, 32, 4, 0), (128, 64, 8, 0),
                                       (64, 64, 8, 0), (80, 8, 8, 1)):
                for block, window, causal in ((16, -1, 1), (16, 128, 1), (64, -1, 1),
                                              (16, -1, 0)):
                    for step in ("auto", "prefill", "decode"):
                        f = dict(num_seqs=ns, max_seqlen_q=sq, max_seqlen_k=sq + cached,
                                 num_q_heads=hq, num_kv_heads=hkv, head_dim=hd,
                                 has_sinks=sinks, kv_block_size=block,
                                 sliding_window=window, causal=causal)
                        p = _abi.Problem()
                        _lib.problem_init(ctypes.byref(p))
                        for k, v in f.items():
                            setattr(p, k, v)
                        p.has_cached = int(cached > 0)
                        plain_r.env.step = _abi.STEPS[step]
                        want = _abi.Choice()
                        _lib._c.attnroute_select(ctypes.byref(plain_r), ctypes.byref(p),
                                                 ctypes.byref(want))
                        got = router.select(step=step, **f)
                        n += 1
                        key = (want.candidate, want.name.decode(), bool(want.from_table),
                               want.reason, want.route, want.rank)
                        for r_ in (router, cmake_router):
                            got = r_.select(step=step, **f)
                            check((got.candidate, got.name, got.from_table, got.reason,
                                   got.route, got.rank) == key,
                                  "%r step %s: binding %r, C %r" % (f, step, got, key))
check(n > 3000, "sweep of %d problems" % n)

# --- ragged totals, where the runtime has them: select and selector agree
# with a plain ctypes call on ragged batches (totals given) and uniform ones
# (totals 0).
if "total_seqlen_q" in attnroute.PROBLEM_FIELDS:
    sel = router.selector(num_q_heads=64, num_kv_heads=8, head_dim=64, has_sinks=1)
    for ns, sq, sk, tq, tk in ((4, 512, 4608, 600, 9000), (8, 1, 4097, 8, 20000),
                               (2, 2048, 2048, 2500, 2500), (8, 512, 4608, 0, 0),
                               (3, 16, 100, 20, 150)):
        f = dict(num_seqs=ns, max_seqlen_q=sq, max_seqlen_k=sk, num_q_heads=64,
                 num_kv_heads=8, head_dim=64, has_sinks=1, total_seqlen_q=tq,
                 total_seqlen_k=tk)
        p = _abi.Problem()
        _lib.problem_init(ctypes.byref(p))
        for k, v in f.items():
            setattr(p, k, v)
        p.has_cached = int(sk > sq)
        plain_r.env.step = 0
        want = _abi.Choice()
        _lib._c.attnroute_select(ctypes.byref(plain_r), ctypes.byref(p), ctypes.byref(want))
        key = (want.candidate, want.from_table, want.reason, want.rank)
        got = router.select(**f)
        got2 = sel(ns, sq, sk, int(sk > sq), 0, tq, tk)
        check((got.candidate, got.from_table, got.reason, got.rank) == key and got2 is got,
              "ragged %r: select %r, selector %r, C %r" % (f, got, got2, key))

# --- legacy(): gen/attnroute_gen/legacy.py's route, the table's stand-in
for f, pol in ((dict(num_seqs=2, max_seqlen_q=512, max_seqlen_k=1024), "pre-1345"),
               (dict(num_seqs=2, max_seqlen_q=512, max_seqlen_k=1024), "post-1345"),
               (dict(num_seqs=2, max_seqlen_q=512, max_seqlen_k=512), "pre-1345"),
               (dict(num_seqs=4, max_seqlen_q=1, max_seqlen_k=4097), "post-1345")):
    f = dict(f, num_q_heads=64, num_kv_heads=8, head_dim=64, has_sinks=1, kv_block_size=16)
    c = router.legacy(policy=pol, **f)
    want = legacy.legacy_route(legacy.POLICY_PRE_1345 if pol == "pre-1345"
                               else legacy.POLICY_POST_1345,
                               legacy.problem(f["num_seqs"], f["max_seqlen_q"],
                                              f["max_seqlen_k"], 64, 8, 64, has_sinks=1))
    check(c.route == want and not c.from_table, "legacy %s %r: %r, want route %d" % (
        pol, f, c, want))
    stand_in = [n for n, r in zip(t.candidates, t.legacy_routes) if r == want]
    check(c.name == (stand_in[0] if stand_in else "legacy:" + _abi.ROUTE_NAMES[want]),
          "legacy stand-in %r" % c)
    check(c.reason_text == "legacy gates (%s)" % pol, c.reason_text)
c = router.legacy(policy="pre-1345", step="decode", num_seqs=2, max_seqlen_q=4,
                  max_seqlen_k=4, num_q_heads=64, num_kv_heads=8, head_dim=64)
check(c.route == legacy.ROUTE_GLUON_PAGED_DECODE, "decode step: %r" % c)  # unified off, D 64

# --- env fields reach the gates
gp = dict(num_seqs=2, max_seqlen_q=512, max_seqlen_k=512, num_q_heads=64, num_kv_heads=8,
          head_dim=64, has_sinks=1)
U = {"use_unified_attn": 1}  # the configuration the ATOM sink-ASM gate reads
for env, route in ((U, 0), (dict(U, force_triton=1), 1), ({}, 0), ({"force_triton": 1}, 0),
                   (dict(U, asm_arch=0), 1), (dict(U, has_alibi=True), 1),
                   (dict(U, has_dropout=1), 1), ({"has_dropout": 1}, 9),
                   (dict(U, has_cu_seqlens=0), 1), (dict(U, step="decode"), 1),
                   ({"step": "decode"}, 7), ({"flash_layout": 1, "force_triton": 1}, 1),
                   (dict(U, asm_arch=0, cu_count=1), 1)):
    r_ = attnroute.Router(None, "gfx1250", 256, env=env)
    c = r_.select(**gp)
    check(c.route == route and c.reason == _abi.NO_TABLE, "env %r: %r" % (env, c))

# --- refusals are visible, never raised
other = attnroute.Router(lib, "gfx1250", 128)
check(not other.bound and other.bind_status == _abi.DEVICE_MISMATCH,
      "device refusal: %r" % other.bind_status)
check(other.bind_reason == "table built for another device (arch or CU count)",
      other.bind_reason)
c = other.select(**gp)
check(not c.from_table and c.reason == _abi.DEVICE_MISMATCH and c.candidate == -1 and
      c.name == "legacy:dense_sink_asm", "refused select %r" % c)
other_arch = attnroute.Router(t, "gfx942", 256)
check(other_arch.bind_status == _abi.DEVICE_MISMATCH, "arch refusal")
bad_abi_src = os.path.join(args.work, "bad_abi.c")
with open(bad_abi_src, "w") as f:
    f.write('#include "attnroute.h"\nstatic const attnroute_table t = {%d, 0, "gfx1250", 256,'
            ' "x", "x", 0, 0, 0, 0};\nconst attnroute_table *attnroute_table_export(void)'
            ' { return &t; }\n' % (attnroute.TABLE_ABI + 100))
bad_abi = os.path.join(args.work, "libbad_abi.so")
subprocess.run([args.cc, "-shared", "-fPIC", "-I", os.path.join(args.root, "runtime/include"),
                bad_abi_src, "-o", bad_abi], check=True)
ta = attnroute.Table(bad_abi)
check(not ta.readable and ta.candidates == [] and ta.arch is None, "unreadable table %r" % ta)
ra = attnroute.Router(ta, "gfx1250", 256)
check(ra.bind_status == _abi.ABI_MISMATCH and not ra.bound, "ABI refusal %r" % ra.bind_reason)
check(ra.select(**gp).reason == _abi.ABI_MISMATCH, "ABI refusal select")
# Sibling devices (same arch and CU count, other memory or product), where
# the table knows its device's memory and product.
if t.memory_mib or t.product:
    mem = (t.memory_mib or 1) * 2**20
    same = attnroute.Router(t, "gfx1250", 256, memory_bytes=mem, product=t.product)
    check(same.bound and same.bind_status == _abi.OK, "same device: %r" % same.bind_reason)
    sib = attnroute.Router(t, "gfx1250", 256, memory_bytes=2 * mem, product="Other GPU")
    check(not sib.bound and sib.bind_status == _abi.SIBLING_DEVICE, "sibling: %r" % sib.bind_reason)
    check(sib.select(**gp).reason == _abi.SIBLING_DEVICE, "sibling select")
    ok_sib = attnroute.Router(t, "gfx1250", 256, memory_bytes=2 * mem, product="Other GPU",
                              allow_sibling=True)
    check(ok_sib.bound and ok_sib.bind_status == _abi.SIBLING_ALLOWED and
          ok_sib.select(**gp).from_table, "allowed sibling: %r" % ok_sib.bind_reason)
    check(attnroute.Router(t, "gfx1250", 128, memory_bytes=mem).bind_status ==
          _abi.DEVICE_MISMATCH, "init_device: CU mismatch")
else:
    check(False, "the fixture table records no device memory or product")
raises(attnroute.Error, "memory_bytes=-1", attnroute.Router, t, "gfx1250", 256, memory_bytes=-1)
none = attnroute.Router(None, "gfx1250", 256)
check(none.bind_status == _abi.NO_TABLE and none.candidates == [], "no table")

# --- unavailable candidates: the next in rank
c0 = router.select(num_seqs=1, max_seqlen_q=1, max_seqlen_k=1, num_q_heads=64,
                   num_kv_heads=8, head_dim=64, has_sinks=1)
check(c0.name == "paged.splitkv", "cell (1,1,0): %r" % c0)
ru = attnroute.Router(t, "gfx1250", 256, unavailable=["paged.splitkv"])
c1 = ru.select(num_seqs=1, max_seqlen_q=1, max_seqlen_k=1, num_q_heads=64, num_kv_heads=8,
               head_dim=64, has_sinks=1)
check(c1.name == "dense_sink.gather" and c1.rank == 1, "unavailable: %r" % c1)

# --- misses: deduplicated by shape line, counted, written, merged
rm = attnroute.Router(t, "gfx1250", 256)
off = dict(num_q_heads=64, num_kv_heads=8, head_dim=64, has_sinks=1)
# 128/16 heads lie past the q_heads axis (64), where the default edge rules
# answer by the legacy policy (OUT_OF_DOMAIN).
far = dict(off, num_q_heads=128, num_kv_heads=16)
for i in range(30):
    rm.select(num_seqs=1, max_seqlen_q=4096 + (i % 3), max_seqlen_k=4096 + (i % 3), **far)
rm.select(num_seqs=1, max_seqlen_q=8, max_seqlen_k=8, head_dim=96, num_q_heads=8,
          num_kv_heads=8)                      # no class
rm.select(num_seqs=0, max_seqlen_q=8, max_seqlen_k=8, **off)   # invalid: not kept
m = rm.misses()
check([x.count for x in m] == [10, 10, 10, 1], "miss counts %r" % m)
check(m[0].reason == _abi.OUT_OF_DOMAIN and m[-1].reason == _abi.NO_CLASS,
      "miss reasons %r" % m)
check(m[0].shape_line == "head_dim=64 sinks=1 window=-1 block=16 dtype=bf16 kv_dtype=bf16 "
      "causal=1 num_seqs=1 seqlen_q=4096 cached=0 q_heads=128 kv_heads=16", m[0].shape_line)
check(m[0].problem["max_seqlen_q"] == 4096 and m[0].problem["has_sinks"] == 1,
      "miss problem %r" % m[0].problem)
check(rm.miss_stats() == {"total": 32, "distinct": 4, "dropped": 0, "invalid": 1},
      "miss stats %r" % rm.miss_stats())
shapes = os.path.join(args.work, "missed.shapes")
check(rm.write_shapes(shapes) == 4, "first write adds 4")
first = open(shapes).read()
check(first.startswith("#") and first.count("\n") == 5, "shapes file:\n" + first)
with open(shapes, "a") as f:
    f.write("# a comment kept\n")
rm.select(num_seqs=2, max_seqlen_q=4096, max_seqlen_k=4096, **far)
check(rm.write_shapes(shapes) == 1, "rewrite adds only the new shape")
lines = open(shapes).read().splitlines()
check("# a comment kept" in lines and len(lines) == 7 and
      len(set(lines)) == len(lines), "merged shapes file:\n" + "\n".join(lines))
rm.clear_misses()
check(rm.misses() == [] and rm.miss_stats()["total"] == 0, "clear_misses")
small = attnroute.Router(t, "gfx1250", 256, miss_capacity=2)
for i in range(5):
    small.select(num_seqs=1, max_seqlen_q=5000 + i, max_seqlen_k=5000 + i, **far)
check(small.miss_stats()["distinct"] == 2 and small.miss_stats()["dropped"] == 3,
      "full miss set %r" % small.miss_stats())
zero = attnroute.Router(t, "gfx1250", 256, miss_capacity=0)
zero.select(num_seqs=1, max_seqlen_q=5000, max_seqlen_k=5000, **far)
check(zero.misses() == [] and zero.miss_stats()["dropped"] == 1, "no miss storage")
check(attnroute.shape_line(_abi.Problem()) is None, "shape_line of an invalid problem")

# --- select(seqs=...): the sequences fix the batch fields; a miss keeps its
# exact ragged line (bounded by miss_capacity), the runtime's line otherwise
if "total_seqlen_q" in attnroute.PROBLEM_FIELDS:
    rs = attnroute.Router(t, "gfx1250", 256, miss_capacity=2)
    batch = [(1, 9000), (1, 100), (1, 5000)]
    c = rs.select(seqs=batch, **far)
    check(c.reason == _abi.OUT_OF_DOMAIN, "select(seqs) %r" % c)
    check(rs.select(seqs=batch, num_seqs=3, max_seqlen_k=9000, **far) == c,
          "select(seqs) with agreeing fields")
    check(rs.select(num_seqs=3, max_seqlen_q=1, max_seqlen_k=9000, total_seqlen_q=3,
                    total_seqlen_k=14100, **far) == c, "select(seqs) = select(totals)")
    ms = rs.misses()
    base = ("head_dim=64 sinks=1 window=-1 block=16 dtype=bf16 kv_dtype=bf16 causal=1 "
            "q_heads=128 kv_heads=16 seqs=")
    check(len(ms) == 1 and ms[0].count == 3 and ms[0].shape_line == base +
          "1:9000,1:2550,1:2550" and ms[0].lines == [base + "1:9000,1:100,1:5000"],
          "ragged miss %r" % [(x.shape_line, x.lines, x.count) for x in ms])
    for other in ([(1, 9000), (1, 5000), (1, 100)], [(1, 9000), (1, 2550), (1, 2550)]):
        rs.select(seqs=other, **far)  # same totals, other batches: capacity 2 reached
    ms = rs.misses()
    check(len(ms) == 1 and ms[0].lines == [base + "1:9000,1:100,1:5000",
                                           base + "1:9000,1:5000,1:100", ms[0].shape_line],
          "exact lines past capacity %r" % (ms[0].lines,))
    raises(attnroute.Error, r"max_seqlen_k=8000 disagrees with seqs \(9000\)", rs.select,
           seqs=batch, max_seqlen_k=8000, **far)
    raises(attnroute.Error, r"seqs\[1\]=\(5, 4\): need 1 <= sq <= ctx", rs.select,
           seqs=[(1, 2), (5, 4)], **far)
    raises(TypeError, r"seqs\[0\]=7: expected an \(sq, ctx\) pair", rs.select, seqs=[7], **far)
    raises(TypeError, r"seqs\[0\]\.ctx=2\.0: expected an int", rs.select, seqs=[(1, 2.0)], **far)
    raises(attnroute.Error, "seqs: no sequences", rs.select, seqs=[], **far)

# --- strict routers raise the runtime's text on a problem that is no call
strict = attnroute.Router(t, "gfx1250", 256, strict=True)
raises(attnroute.Error, "problem is not a valid attention call", strict.select,
       num_seqs=1, max_seqlen_q=9, max_seqlen_k=8, **off)
check(router.select(num_seqs=1, max_seqlen_q=9, max_seqlen_k=8, **off).reason ==
      _abi.BAD_PROBLEM, "non-strict bad problem answered")

# --- errors name their input
raises(attnroute.Error, "no-such.so: cannot load", attnroute.Table,
       os.path.join(args.work, "no-such.so"))
raises(attnroute.Error, "exports no attnroute_table_export", attnroute.Table, _lib.PATH)
raises(attnroute.Error, "policy 'post-1346'", attnroute.Router, t, "gfx1250", 256,
       policy="post-1346")
raises(attnroute.Error, "policy 7", attnroute.Router, t, "gfx1250", 256, policy=7)
raises(TypeError, "env: unknown field 'stepp'", attnroute.Router, t, "gfx1250", 256,
       env={"stepp": 1})
raises(attnroute.Error, "step='decod'", attnroute.Router, t, "gfx1250", 256,
       env={"step": "decod"})
raises(attnroute.Error, "'nope' is no candidate", attnroute.Router, t, "gfx1250", 256,
       unavailable=["nope"])
raises(attnroute.Error, "miss_capacity=-1", attnroute.Router, t, "gfx1250", 256,
       miss_capacity=-1)
raises(TypeError, "unknown field 'num_seq'", router.select, num_seq=1)
raises(TypeError, "head_dim=64.0: expected an int", router.select, head_dim=64.0)
raises(attnroute.Error, "num_seqs=4294967296: outside int32", router.select,
       num_seqs=2**32)
raises(attnroute.Error, "q_dtype='bf17': unknown name", router.select, q_dtype="bf17")
raises(attnroute.Error, "step='later'", router.select, step="later", num_seqs=1)
raises(TypeError, "num_seqs is a per-call argument", router.selector, num_seqs=1)
raises(TypeError, "unknown field 'heads'", router.selector, heads=1)
c = router.select(num_seqs=1, max_seqlen_q=512, max_seqlen_k=512, q_dtype="bf16",
                  kv_dtype="bf16", **off)
check(c.from_table, "dtype names %r" % c)
try:
    c.name = "x"
    check(False, "Choice is mutable")
except AttributeError:
    pass

# --- the stand-in search: tools/legacy.py's stand_in (the report's, the
# generator's and the eval reference's) against the runtime's
# attnroute_legacy_standin, on random tables of random caps, routes,
# missing names and unavailable flags, and random valid problems.
import random  # noqa: E402
rng = random.Random(13)
standin_cases = 0
for trial in range(300):
    nc = rng.randint(1, 6)
    cands = (_abi.Candidate * nc)()
    py = []
    for k in range(nc):
        wide = {"head_dim_mask": 0xffffffff, "q_dtype_mask": 15, "kv_dtype_mask": 15,
                "block_size_mask": 0, "sinks": 2, "window": 2, "causal": 2, "max_seqlen_q": 0,
                "gqa_exact": 0}  # allows every problem; each field narrowed at random
        narrow = {"head_dim_mask": (0x8, 0x88, 0xff, rng.getrandbits(32)),
                  "q_dtype_mask": (1, 3, rng.getrandbits(4)), "kv_dtype_mask": (1, 5, rng.getrandbits(4)),
                  "block_size_mask": (1 << 4, 1 << 8, (1 << 4) | (1 << 8)), "sinks": (0, 1),
                  "window": (0, 1), "causal": (0, 1), "max_seqlen_q": (1, 16, 512), "gqa_exact": (1, 8)}
        caps = {f: rng.choice(narrow[f]) if rng.random() < 0.25 else v for f, v in wide.items()}
        name = None if rng.random() < 0.1 else "c%d" % k
        cands[k].name = name.encode() if name else None
        cands[k].legacy_route = rng.choice((-1, 0, 1, 2, 3, 10))
        for f, v in caps.items():
            setattr(cands[k].caps, f, v)
        py.append({"name": name, "legacy_route": cands[k].legacy_route, "caps": caps})
    tab = _abi.Table(num_candidates=nc, candidates=cands)
    flags = (ctypes.c_ubyte * nc)(*[rng.random() < 0.2 for _ in range(nc)])
    use_flags = rng.random() < 0.5
    off_names = {py[k]["name"] for k in range(nc) if use_flags and flags[k] and py[k]["name"]}
    for _ in range(20):
        hq_kv = rng.choice((1, 2, 8))
        pd = legacy.problem(rng.randint(1, 8), rng.choice((1, 16, 512)), 0, 8 * hq_kv, 8,
                            rng.choice((16, 64, 128, 96, 512)), rng.randint(0, 3), rng.randint(0, 3),
                            rng.randint(0, 1), rng.choice((-1, 128)), rng.choice((16, 256, 48)),
                            rng.randint(0, 1))
        pd["max_seqlen_k"] = pd["max_seqlen_q"] + rng.choice((0, 100))
        pd["has_cached"] = int(pd["max_seqlen_k"] > pd["max_seqlen_q"])
        pc = _abi.Problem(**{f: v for f, v in pd.items()})
        for route in (-1, 0, 1, 2, 3, 10):
            k = _lib.legacy_standin(ctypes.addressof(tab), ctypes.addressof(flags) if use_flags
                                    else None, route, ctypes.byref(pc))
            want = legacy.stand_in(py, route, pd, off_names)
            if (py[k]["name"] if k >= 0 else None) != want:
                check(False, "stand-in route %d on %r, table %r (unavailable %r): C %d, Python %r"
                      % (route, pd, py, sorted(off_names), k, want))
            standin_cases += 1 if want is not None else 0
check(standin_cases > 1000, "stand-in comparison found few stand-ins (%d)" % standin_cases)
check(_lib.legacy_standin(None, None, 0, ctypes.byref(_abi.Problem())) == -1, "NULL table stand-in")
# tools/legacy.py's names and codes are the runtime's (tests/python/test_layout
# ties _abi's to attnroute.h).
check(legacy.ROUTE_NAMES == dict(enumerate(_abi.ROUTE_NAMES)), "legacy.py ROUTE_NAMES")
check({n: getattr(legacy, "ROUTE_" + n.upper()) for n in _abi.ROUTE_NAMES} ==
      {n: i for i, n in enumerate(_abi.ROUTE_NAMES)}, "legacy.py ROUTE_* codes")
check({n: getattr(legacy, "DTYPE_" + n.upper()) for n in _abi.DTYPES} == _abi.DTYPES,
      "legacy.py DTYPE_* codes")

if failures:
    print("test_binding: %d failure(s)" % len(failures))
    sys.exit(1)
print("test_binding: ok (%d cells, %d sweep problems)" % (cells, n))
