#!/usr/bin/env python3
"""make_fixture.py -- the regret tests' fixture: a grid db and an eval db.

    make_fixture.py --root SRC --out DIR [--count N] [--seed S]

Writes into DIR:
  fixture.grid  two classes (head_dim 64 with sinks, gpt-oss heads; head_dim
                128 without sinks, Llama heads)
  grid.db       every grid shape measured (db/schema.sql), as attnroute-tune
                would store it
  eval.shapes   N off-grid shapes from tools/attnroute_evalset.py (seed S)
  eval.db       those shapes measured, plus a few made to exercise the edges

Timings are synthetic and smooth in (num_seqs, seqlen_q, cached, heads):
dense_sink.gather pays a gather of the cached prefix, so it wins for small
cached and paged.bm64 for large; paged.splitkv (seqlen_q <= 16 only) wins
small-batch decode; fast.experimental is fastest for mid seqlen_q but, in
the eval db only, returns wrong results on about a third of the shapes (the
table's failed picks); asm.pa_decode (page 256 only) is unsupported
everywhere.  In the grid db one cell has only faults (an empty table cell).
The eval db adds: a shape lacking one candidate's measurement (incomplete),
one where every candidate faults (no ok), one outside the grid's range
(OUT_OF_DOMAIN), one of no table class (NO_CLASS), and a candidate the
table does not know (ignored).
"""
import argparse
import math
import os
import sqlite3
import sys

GRID = """\
# tests/eval fixture grid
class head_dim=64 sinks=1 window=-1 block=16 dtype=bf16 kv_dtype=bf16 causal=1
heads 64/8 8/1
num_seqs 1 4 16
seqlen_q 1 16 256 2048
cached 0 512 4096 32768
max_tokens 16384

class head_dim=128 sinks=0 window=-1 block=16 dtype=bf16 kv_dtype=bf16 causal=1
heads 32/8
num_seqs 1 8
seqlen_q 1 64 1024
cached 0 1024 16384
"""

PAGED_CAPS = ("head_dim_mask=0x88,q_dtype_mask=0x1,kv_dtype_mask=0x1,block_size_mask=0x0,"
              "sinks=2,window=2,causal=2,max_seqlen_q=%d,gqa_exact=0")
CANDIDATES = [
    # id, name, family, params, code hash, legacy route, caps
    (1, "asm.pa_decode", "paged_decode", "", "d4" * 32, 3,
     "head_dim_mask=0x8,q_dtype_mask=0x4,kv_dtype_mask=0x4,block_size_mask=0x100,"
     "sinks=1,window=0,causal=2,max_seqlen_q=1,gqa_exact=8"),
    (2, "dense_sink.gather", "dense_sink", "bm=128", "a1" * 32, 0,
     "head_dim_mask=0x88,q_dtype_mask=0x1,kv_dtype_mask=0x1,block_size_mask=0x0,"
     "sinks=2,window=0,causal=2,max_seqlen_q=0,gqa_exact=0"),
    (3, "fast.experimental", "paged", "x=1", "e5" * 32, -1, PAGED_CAPS % 0),
    (4, "paged.bm64", "paged", "bm=64", "b2" * 32, 1, PAGED_CAPS % 0),
    (5, "paged.splitkv", "paged", "segments=16", "c3" * 32, 2, PAGED_CAPS % 16),
]
FOREIGN = (6, "paged.new", "paged", "bm=32", "f6" * 32, -1, PAGED_CAPS % 0)
EMPTY_CELL = (8, 1, 16, 256, 32768)  # (hq, hkv, ns, sq, cached): every candidate faults


def times(ns, sq, cached, hq, hkv, d):
    """Synthetic medians (us) of the candidates that can run the shape."""
    flops = 4.0 * ns * hq * d * sq * (cached + (sq + 1) / 2.0)
    kv_bytes = 4.0 * ns * (sq + cached) * hkv * d
    gather = 4.0 * ns * cached * hkv * d / 1.0e5
    dense = 6.0 + flops / 2.0e8 + gather
    paged = 8.0 + flops / 1.6e8 + kv_bytes / 2.0e6
    t = {"dense_sink.gather": dense, "paged.bm64": paged,
         "fast.experimental": min(dense, paged) * (0.9 + 0.05 * (math.log2(sq) - 7.0) ** 2)}
    if sq <= 16:
        t["paged.splitkv"] = 3.0 + kv_bytes / 3.0e6 * (1.0 + ns / 16.0) + flops / 5.0e7
    return {k: round(v, 6) for k, v in t.items()}


def load_evalset(root):
    sys.path.insert(0, os.path.join(root, "tools"))
    import attnroute_evalset
    return attnroute_evalset


def new_db(path, schema):
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    conn = sqlite3.connect(path)
    with open(schema, encoding="utf-8") as f:
        conn.executescript(f.read())
    conn.execute("INSERT INTO device (id, vendor, arch, cu_count, name, memory_bytes, "
                 "driver_version, runtime_version) VALUES (1, 'nvidia', 'sm_90', 132, 'NVIDIA H100 (fixture)', "
                 "85520809984, '560.35', '12.6')")
    conn.execute("INSERT INTO run (id, device_id, backend, tuner_version, git_revision, "
                 "command_line, timing_policy, started_at, ended_at) VALUES (1, 1, 'cuda', '0.1.0', 'fixture', 'attnroute-tune "
                 "(fixture)', 'warmup=3,min_reps=10,min_ms=50,flush_l2=1', "
                 "'2026-06-01T10:00:00Z', '2026-06-01T11:00:00Z')")
    for c in CANDIDATES:
        conn.execute("INSERT INTO candidate VALUES (?, ?, ?, ?, ?, ?, ?)", c)
    return conn


class Writer:
    def __init__(self, conn):
        self.conn = conn
        self.shape_id = 0

    def shape(self, static, ns, sq, cached, hq, hkv):
        self.shape_id += 1
        hd, sinks, window, block = static
        self.conn.execute("INSERT INTO shape (id, head_dim, q_dtype, kv_dtype, has_sinks, sliding_window,"
                          " kv_block_size, causal, num_seqs, seqlen_q, seqlen_k, num_q_heads, num_kv_heads)"
                          " VALUES (?, ?, 'bf16', 'bf16', ?, ?, ?, 1, ?, ?, ?, ?, ?)",
                          (self.shape_id, hd, sinks, window, block, ns, sq, sq + cached, hq, hkv))
        return self.shape_id

    def meas(self, shape_id, cand_id, status, us):
        self.conn.execute(
            "INSERT INTO measurement (run_id, device_id, candidate_id, shape_id, status, median_us, "
            "p10_us, p90_us, reps, rel_err, message, measured_at) VALUES (1, 1, ?, ?, ?, ?, ?, ?, ?, "
            "?, '', ?)",
            (cand_id, shape_id, status, us, us, us, 10 if us else 0, 1e-3 if status == "ok" else None,
             "2026-06-01T10:%02d:%02dZ" % (shape_id // 60 % 60, shape_id % 60)))

    def measure_all(self, shape_id, static, ns, sq, cached, hq, hkv, wrong_fast=False,
                    all_fault=False, skip=()):
        t = times(ns, sq, cached, hq, hkv, static[0])
        for cid, name, *_ in CANDIDATES:
            if name in skip:
                continue
            if all_fault:
                self.meas(shape_id, cid, "fault", None)
            elif name not in t:
                self.meas(shape_id, cid, "unsupported", None)
            elif name == "fast.experimental" and wrong_fast:
                self.meas(shape_id, cid, "wrong", None)
            else:
                self.meas(shape_id, cid, "ok", t[name])


def static_of(c):
    return (c["head_dim"], c["sinks"], c["window"], c["block"])


def make(root, out, count, seed):
    os.makedirs(out, exist_ok=True)
    schema = os.path.join(root, "db", "schema.sql")
    grid_path = os.path.join(out, "fixture.grid")
    with open(grid_path, "w", encoding="utf-8", newline="\n") as f:
        f.write(GRID)
    es = load_evalset(root)
    classes = es.load_grid(grid_path, root)

    conn = new_db(os.path.join(out, "grid.db"), schema)
    w = Writer(conn)
    for c in classes:
        for hq, hkv, ns, sq, cached in sorted(es.grid_points(c)):
            sid = w.shape(static_of(c), ns, sq, cached, hq, hkv)
            w.measure_all(sid, static_of(c), ns, sq, cached, hq, hkv,
                          all_fault=(static_of(c)[0] == 64 and
                                     (hq, hkv, ns, sq, cached) == EMPTY_CELL))
    conn.commit()
    conn.close()

    lines, _ = es.make_shapes(classes, count, seed)
    with open(os.path.join(out, "eval.shapes"), "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(l + "\n" for l in lines))
    conn = new_db(os.path.join(out, "eval.db"), schema)
    conn.execute("INSERT INTO candidate VALUES (?, ?, ?, ?, ?, ?, ?)", FOREIGN)
    w = Writer(conn)
    for i, line in enumerate(lines):
        kv = dict(item.split("=", 1) for item in line.split())
        static = (int(kv["head_dim"]), int(kv["sinks"]), int(kv["window"]), int(kv["block"]))
        ns, sq, cached = int(kv["num_seqs"]), int(kv["seqlen_q"]), int(kv["cached"])
        hq, hkv = int(kv["q_heads"]), int(kv["kv_heads"])
        sid = w.shape(static, ns, sq, cached, hq, hkv)
        w.measure_all(sid, static, ns, sq, cached, hq, hkv,
                      wrong_fast=(ns + sq + cached) % 3 == 0,
                      all_fault=(i == 1), skip=("paged.bm64",) if i == 0 else ())
        if i % 5 == 0:
            w.meas(sid, FOREIGN[0], "ok", 0.5)
    a = (64, 1, -1, 16)
    for static, ns, sq, cached, hq, hkv in ((a, 32, 8, 100, 64, 8),      # ns above the grid: clamped
                                           (a, 2, 8, 100, 128, 16),    # heads above: out of domain
                                           ((64, 0, -1, 16), 2, 40, 700, 64, 8)):  # no class
        sid = w.shape(static, ns, sq, cached, hq, hkv)
        w.measure_all(sid, static, ns, sq, cached, hq, hkv)
    conn.commit()
    conn.close()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=240)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    make(os.path.abspath(args.root), os.path.abspath(args.out), args.count, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
