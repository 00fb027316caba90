"""test_replay_plan.py -- examples/replay_plan.py, the host half of the
engine replay, without a GPU:

- each call's inputs (CallInputs) against its trace line, read
  independently here: the number of sequences, every sequence's sq and
  context in order, the totals, cu_seqlens, context lengths, pages;
- the calls of the shipped H200 trace db (read_trace_db) against their
  shape rows, and what the windowed decode calls read (at most window + sq
  - 1 keys a sequence, whatever the context);
- split counts worked by hand from tuner/candidates/families.c's rules (the balanced
  rule on windowed and ragged batches, auto, aiter, gluon, fixed);
- each family's launches (tuner/candidates/families.c's order and conditions).

    test_replay_plan.py --root SRC [--split-rule EXE]

With --split-rule (tests/python/split_rule.c, linked with the tuner), every
split rule is also compared with the C functions on random batches.
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile

ap = argparse.ArgumentParser()
ap.add_argument("--root", required=True)
ap.add_argument("--split-rule", help="the split_rule helper (C split rules)")
args = ap.parse_args()
sys.path.insert(0, os.path.join(args.root, "examples"))
import replay_plan as rp  # noqa: E402

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


TRACE = """attnroute-trace 1
class head_dim=64 sinks=1 window=-1 block=16 dtype=bf16 kv_dtype=bf16 causal=1 q_heads=64 kv_heads=8
prefill 512:512 512:512
prefill 3425:15520 17:17 4750:4750 1:33
decode 1:72505 1:16 1:4097
class head_dim=64 sinks=1 window=128 block=16 dtype=bf16 kv_dtype=bf16 causal=1 q_heads=8 kv_heads=1
decode 1:95000 1:100 1:128 1:129
decode 4:95003 2:130
"""

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "t.trace")
    with open(path, "w") as f:
        f.write(TRACE)
    calls = rp.read_trace(path)

# The trace lines, read here without replay_plan.
lines = [ln.split() for ln in TRACE.splitlines() if ln.split()[0] in ("prefill", "decode")]
check(len(calls) == len(lines), "calls %d, lines %d" % (len(calls), len(lines)))
for (cls, step, seqs), words in zip(calls, lines):
    want = [tuple(int(v) for v in w.split(":")) for w in words[1:]]
    x = rp.CallInputs(cls, seqs)
    page = cls["block"]
    where = " ".join(words)
    check(step == words[0], "%s: step %s" % (where, step))
    check(x.num_seqs == len(want), "%s: num_seqs %d" % (where, x.num_seqs))
    check(x.seqs == want, "%s: seqs %r" % (where, x.seqs))
    check(x.total_q == sum(q for q, _ in want) and x.total_k == sum(c for _, c in want),
          "%s: totals %d %d" % (where, x.total_q, x.total_k))
    check(x.max_sq == max(q for q, _ in want) and x.max_ctx == max(c for _, c in want),
          "%s: maxima" % where)
    cq = ck = 0
    for b, (q, c) in enumerate(want):
        check(x.cu_seqlens_q[b] == cq and x.cu_seqlens_k[b] == ck, "%s: cu_seqlens at %d" %
              (where, b))
        check(x.seq_lens_k[b] == c, "%s: seq_lens_k[%d] = %d" % (where, b, x.seq_lens_k[b]))
        check(x.pages[b] * page >= c > (x.pages[b] - 1) * page, "%s: pages[%d]" % (where, b))
        cq, ck = cq + q, ck + c
    check(x.cu_seqlens_q[-1] == cq and x.cu_seqlens_k[-1] == ck, "%s: cu_seqlens end" % where)
    check(len(x.cu_seqlens_q) == len(want) + 1, "%s: cu_seqlens_q length" % where)
    check(x.num_blocks == sum(x.pages) + 3 and x.used_blocks == sum(x.pages),
          "%s: blocks %d" % (where, x.num_blocks))
    check(x.max_blocks_per_seq == max(x.pages), "%s: max_blocks_per_seq" % where)
    f = x.problem_fields()
    check((f["num_seqs"], f["max_seqlen_q"], f["max_seqlen_k"], f["total_seqlen_q"],
           f["total_seqlen_k"]) == (len(want), x.max_sq, x.max_ctx, cq, ck),
          "%s: problem fields %r" % (where, f))
    check(f["has_cached"] == int(any(c > q for q, c in want)), "%s: has_cached" % where)

# The windowed calls read window + sq - 1 keys at most per sequence.
win = rp.CallInputs(*calls[3][::2])
check(win.split_keys == [128, 100, 128, 128], "window split_keys %r" % win.split_keys)
check(win.kv_bytes == 2 * (128 + 100 + 128 + 128) * 1 * 64 * 2, "window kv_bytes %d" %
      win.kv_bytes)
mtp = rp.CallInputs(*calls[4][::2])
check(mtp.split_keys == [131, 129], "MTP window split_keys %r" % mtp.split_keys)
full = rp.CallInputs(*calls[2][::2])
check(full.kv_bytes == 2 * (72505 + 16 + 4097) * 8 * 64 * 2, "full kv_bytes %d" % full.kv_bytes)

# Split counts, worked by hand from tuner/candidates/families.c.
c8 = dict(rp.default_class(), head_dim=64, q_heads=8, kv_heads=8, sinks=1, window=4096)
ragged = [(1, 100000)] + [(1, 2000)] * 20
xw = rp.CallInputs(c8, ragged)
xf = rp.CallInputs(dict(c8, window=-1), ragged)
# bal, window 4096: keys 4096 + 20 x 2000 = 44096, x Hkv 8 x 1 group = 352768;
# budget 352768 // 264 = 1336; ceil(4096 / 1336) = 4.
check(xw.split_key_work == 352768 and rp.decode_splits("bal", xw, 132) == 4,
      "bal windowed: work %d splits %d" % (xw.split_key_work, rp.decode_splits("bal", xw, 132)))
# no window: 140000 keys x 8 = 1120000; budget 4242; ceil(100000 / 4242) = 24.
check(rp.decode_splits("bal", xf, 132) == 24, "bal full: %d" % rp.decode_splits("bal", xf, 132))
# a budget under the minimum keys: 128 keys a split at least
short = rp.CallInputs(c8, [(1, 1000)])
check(rp.decode_splits("bal", short, 132) == 8, "bal short: %d" % rp.decode_splits(
    "bal", short, 132))
# MTP rows: sq 4 x g 8 = 32 rows = 2 row groups
c64 = dict(c8, q_heads=64, window=-1)
m = rp.CallInputs(c64, [(4, 50000), (1, 20000)])
check(m.split_key_work == 50000 * 8 * 2 + 20000 * 8 * 1, "MTP key work %d" % m.split_key_work)
# auto: work = 21 x 8 x 1 = 168 blocks >= 132: one split
check(rp.decode_splits("auto", xf, 132) == 1, "auto")
check(rp.decode_splits("auto", short, 132) == 8, "auto short (by keys ceil(1000/128))")
check(rp.decode_splits("auto", rp.CallInputs(c8, [(1, 100000)]), 132) == 17, "auto 1 seq")
# aiter: page 16 bf16 d64 -> occ 8; 132 x 8 // 168 = 6 -> 8; gluon ceil(264/168) = 2
check(rp.decode_splits("aiter", xf, 132) == 8, "aiter %d" % rp.decode_splits("aiter", xf, 132))
check(rp.decode_splits("aiter", xw, 132) == 1, "aiter window")
check(rp.decode_splits("gluon", xf, 132) == 2, "gluon %d" % rp.decode_splits("gluon", xf, 132))
check(rp.decode_splits("gluon", xw, 132) == 1, "gluon window")
check(rp.decode_splits("s16", xf, 132) == 16 and rp.decode_splits("s99", xf, 132) == 64,
      "fixed splits, clamped to 64")
try:
    rp.decode_splits("s0", xf, 132)
    failures.append("s0 accepted")
except KeyError:
    pass

# Launches, per family.
cached = rp.CallInputs(c64, [(100, 1000), (50, 50)])
fresh = rp.CallInputs(c64, [(100, 100), (50, 50)])
ragged_prefix = rp.CallInputs(c64, [(5, 5), (1, 3)])  # a prefix, max ctx - max sq = 0


def names(name, x):
    return [repr(ln) for ln in rp.launches(name, x, 132)]


check(names("dense_sink.gather.bm128.d64", cached) ==
      ["ar_gather_tok(gather)", "ar_dense_bm128_d64(dense kv=gathered splits=1)"],
      "dense cached %r" % names("dense_sink.gather.bm128.d64", cached))
check(names("dense_sink.gather_page.bm128.d64", fresh) ==
      ["ar_dense_bm128_d64(dense kv=new splits=1)"], "dense fresh")
check(names("dense_sink.gather.bm64.d64", ragged_prefix)[0] == "ar_gather_tok(gather)",
      "dense gathers when any sequence has a prefix")
check(names("paged_gather.bm64.d64", ragged_prefix) == ["ar_paged_bm64_d64(paged splits=1)"],
      "paged_gather gathers when max ctx > max sq only")
check(names("paged_gather.bm64.d64", cached)[0] == "ar_gather_tok(gather)", "paged_gather")
check(names("paged.bm128w8.d64", cached) == ["ar_paged_bm128w8_d64(paged splits=1)"], "paged")
check(names("paged_decode.w8.bal.d64", xf) ==
      ["ar_decode_w8_d64(paged splits=24)", "ar_decode_reduce(reduce splits=24)"],
      "decode bal %r" % names("paged_decode.w8.bal.d64", xf))
check(names("paged_decode.w8.auto.d64", xf) == ["ar_decode_w8_d64(paged splits=1)"],
      "one split: no reduce")
check(names("paged_decode.w4.aiter_gather.d64", xf)[0] == "ar_gather_tok(gather)",
      "aiter_gather gathers the prefix")
for bad in ("aiter.fmha_sink_varlen_asm.hd64", "legacy:triton_paged", "paged.bm64",
            "paged_decode.w4.bogus.d64"):
    try:
        rp.launches(bad, xf, 132)
        failures.append("launches(%r) accepted" % bad)
    except KeyError:
        pass

# The shipped H200 trace db: every call's inputs agree with its shape row,
# every call has the tuner's measurements, and the windowed decode calls
# at long contexts read a few MB where the full ones read hundreds.
db = os.path.join(args.root, "shipped", "h200", "gpt-oss.trace.db")
dcalls, dnames, measured = rp.read_trace_db(db)
check(len(dcalls) == 160 and {n for n, _ in dnames} == {"gpt-oss"},
      "trace db calls %d" % len(dcalls))
check(all(any(s == "ok" for s, _ in m.values()) for m in measured), "a call without ok rows")
import sqlite3  # noqa: E402
con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
rows = dict(((idx), (ns, sq, sk, seqs)) for idx, ns, sq, sk, seqs in con.execute(
    "select tc.call_index, s.num_seqs, s.seqlen_q, s.seqlen_k, s.seqs from trace_call tc "
    "join shape s on s.id = tc.shape_id"))
con.close()
long_win, long_full = [], []
for (cls, step, seqs), (_, idx) in zip(dcalls, dnames):
    ns, sq, sk, text = rows[idx]
    x = rp.CallInputs(cls, seqs)
    check((x.num_seqs, x.max_sq, x.max_ctx) == (ns, sq, sk), "db call %d: %r" % (idx, text))
    if text:
        check(",".join("%d:%d" % s for s in x.seqs) == text, "db call %d: seqs" % idx)
    if step == "decode" and x.max_ctx > 60000 and x.num_seqs >= 10:
        (long_win if cls["window"] > 0 else long_full).append(x)
check(long_win and long_full, "long decode calls in the trace db")
check(all(k <= 128 for x in long_win for k in x.split_keys), "windowed keys")
check(max(x.kv_bytes for x in long_win) < 20e6 and min(x.kv_bytes for x in long_full) > 100e6,
      "windowed KV %.1f MB, full %.1f MB" % (max(x.kv_bytes for x in long_win) / 1e6,
                                             min(x.kv_bytes for x in long_full) / 1e6))

# Not a trace db: an error naming the file.
with tempfile.NamedTemporaryFile("w", suffix=".db") as f:
    f.write("not sqlite")
    f.flush()
    try:
        rp.read_trace_db(f.name)
        failures.append("read_trace_db read a text file")
    except rp.TraceError as e:
        check(f.name in str(e) and "not a tuner trace db" in str(e), "trace db error %s" % e)

# The C split rules themselves, on random batches.
if args.split_rule:
    rng = random.Random(15)
    cases = []
    for i in range(400):
        hkv = rng.choice([1, 2, 8])
        cls = dict(rp.default_class(), head_dim=rng.choice([64, 128]),
                   q_heads=hkv * rng.choice([1, 4, 8, 16]), kv_heads=hkv,
                   block=rng.choice([16, 64, 256]), window=rng.choice([-1, -1, 128, 1000]),
                   kv_dtype=rng.choice(["bf16", "fp8_e4m3"]))
        ns = rng.choice([1, 2, 5, 37, 200])
        seqs = []
        for _ in range(ns):
            sq = rng.choice([1, 1, 1, 2, 4, 16])
            seqs.append((sq, sq + rng.choice([0, 5, 127, 128, 3000, 70000, 120000])))
        cases.append((cls, seqs, rng.choice([4, 132, 304]),
                      rng.choice(["bal", "auto", "aiter", "gluon", "s2", "s16", "s64", "s100"])))
    text = "".join("%d %s %d %d %d %d %s %d %s\n" % (
        cu, tag, c["q_heads"], c["kv_heads"], c["head_dim"], c["block"], c["kv_dtype"],
        c["window"], ",".join("%d:%d" % s for s in seqs)) for c, seqs, cu, tag in cases)
    p = subprocess.run([args.split_rule], input=text, capture_output=True, text=True)
    if p.returncode != 0:
        failures.append("split_rule exited %d: %s" % (p.returncode, p.stderr))
    else:
        got = p.stdout.split()
        check(len(got) == len(cases), "split_rule answered %d of %d" % (len(got), len(cases)))
        for (c, seqs, cu, tag), g in zip(cases, got):
            mine = rp.decode_splits(tag, rp.CallInputs(c, seqs), cu)
            if str(mine) != g:
                failures.append("split rule %s cu %d %r %r: C %s, replay %d" % (
                    tag, cu, c, seqs[:4], g, mine))
                break

if failures:
    print("\n".join("FAIL: " + f for f in failures[:40]))
    sys.exit(1)
print("test_replay_plan: ok (%d trace calls, %d db calls%s)" % (
    len(calls), len(dcalls), ", C split rules compared" if args.split_rule else ""))
