#!/usr/bin/env python3
"""ragged_fixture.py -- a schema v2 db of ragged decode batches, for tests.

    ragged_fixture.py SCHEMA.sql OUT.db [--cliff] [--sparse]

One device class (x86_64:4), three candidates with simple cost formulas in
the longest context, the total keys and the extra query tokens (total_q -
num_seqs: 0 for decode) of a batch:

    paged  (stands in for triton_paged)   5 + max_ctx / 200 + total / 20000 + extra / 50 us
    split  (stands in for triton_splitkv) 12 + max_ctx / 3200 + total / 1000 + extra / 2 us
                                          (sq <= 16, else unsupported)
    dense  (stands in for dense_sink_asm) 20 + max_ctx / 100 + total / 500 + extra / 100 us

so a batch of one long and many short sequences runs fastest split, while
the uniform batch of as many longest sequences (what the longest key looks
up) runs fastest paged.  The grid: head dim 64, sinks, bf16, page 16,
64/8 heads, num_seqs {1, 4, 16, 64} x seqlen_q {1} x cached {0, 1024, 8192,
65536}, uniform batches.  Then a trace "fx" of decode calls (trace_call
rows): ragged batches inside the grid, a few uniform ones (one on a grid
point), repeated calls sharing a shape row, and calls whose longest context
lies past the cached axis (70k..131k); then a few prefill calls
(PREFILL_CALLS: 1-token prompts the step names prefill, a ragged prefill, a
chunk on a cached prefix).  With --cliff, split is measured
"wrong" on every batch whose longest context is past 65536 (the edge cell's
pick fails there, the legacy gate's paged does not).  With --sparse, the
grid leaves out the cells of 16 and 64 sequences at a 65536 prefix (as a
grid's max_context_tokens bound does) and the trace adds SPARSE_CALLS:
batches of 17-60 sequences that are all long (66k-131k), which the longest
key looks up in the empty 16 x 65536 cell and which run fastest paged.

The db is written with the schema's own script, migrated to v2 (seqs in
the shape key, trace_call) when the script is still v1.  Python 3 standard
library only; importable (make(), TRACE_CALLS, times()).
"""
import argparse
import os
import random
import sqlite3
import sys

GRID_NS = (1, 4, 16, 64)
GRID_CACHED = (0, 1024, 8192, 65536)
HQ, HKV = 64, 8
STATIC = (64, "bf16", "bf16", 1, -1, 16, 1)  # head_dim q kv sinks window block causal
CAPS = ("head_dim_mask=0x8,q_dtype_mask=0x1,kv_dtype_mask=0x1,block_size_mask=0x0,"
        "sinks=2,window=2,causal=2,max_seqlen_q=%d,gqa_exact=0")
CANDIDATES = (  # id, name, family, legacy route, max sq
    (1, "paged", "paged", 1, 0),
    (2, "split", "splitkv", 2, 16),
    (3, "dense", "dense", 0, 0),
)

V2_SHAPE = """
DROP TABLE shape;
CREATE TABLE shape (
  id             INTEGER PRIMARY KEY,
  head_dim       INTEGER NOT NULL,
  q_dtype        TEXT NOT NULL,
  kv_dtype       TEXT NOT NULL,
  has_sinks      INTEGER NOT NULL,
  sliding_window INTEGER NOT NULL,
  kv_block_size  INTEGER NOT NULL,
  causal         INTEGER NOT NULL,
  num_seqs       INTEGER NOT NULL,
  seqlen_q       INTEGER NOT NULL,
  seqlen_k       INTEGER NOT NULL,
  num_q_heads    INTEGER NOT NULL,
  num_kv_heads   INTEGER NOT NULL,
  seqs           TEXT NOT NULL DEFAULT '',
  UNIQUE (head_dim, q_dtype, kv_dtype, has_sinks, sliding_window, kv_block_size,
          causal, num_seqs, seqlen_q, seqlen_k, num_q_heads, num_kv_heads, seqs));
CREATE TABLE trace_call (
  id         INTEGER PRIMARY KEY,
  trace      TEXT NOT NULL,
  call_index INTEGER NOT NULL,
  step       TEXT NOT NULL CHECK (step IN ('prefill','decode')),
  shape_id   INTEGER NOT NULL REFERENCES shape(id),
  UNIQUE (trace, call_index));
PRAGMA user_version = 2;
"""


def times(ctxs, sqs=None):
    """{candidate: us} for a batch with these contexts (and new tokens; a
    decode batch when sqs is None); split absent past sq 16."""
    sqs = sqs or [1] * len(ctxs)
    longest, total, extra = max(ctxs), sum(ctxs), sum(sqs) - len(sqs)
    t = {"paged": 5 + longest / 200 + total / 20000 + extra / 50,
         "split": 12 + longest / 3200 + total / 1000 + extra / 2,
         "dense": 20 + longest / 100 + total / 500 + extra / 100}
    if max(sqs) > 16:
        del t["split"]
    return t


def trace_calls(seed=11):
    """The trace's calls, in order: lists of contexts (sq 1 each)."""
    rng = random.Random(seed)
    calls = []
    for _ in range(40):  # one or two long sequences among many short ones
        longs = [rng.randint(20000, 65000) for _ in range(rng.randint(1, 2))]
        shorts = [rng.randint(300, 2000) for _ in range(rng.randint(6, 40))]
        calls.append(longs + shorts)
    calls.append([1025] * 4)                 # uniform, on a grid point
    calls.append([3000] * 9)                 # uniform, off the grid
    calls.append(calls[0])                   # a repeated call
    calls.append(calls[1])
    for _ in range(12):                      # past the cached axis's edge
        longs = [rng.randint(70000, 131072)]
        shorts = [rng.randint(300, 2000) for _ in range(rng.randint(17, 40))]
        calls.append(longs + shorts)
    return calls


TRACE_CALLS = trace_calls()


def sparse_calls(seed=12):
    """--sparse's extra decode calls: every sequence long."""
    rng = random.Random(seed)
    return [[rng.randint(66000, 131072) for _ in range(rng.randint(17, 60))] for _ in range(16)]


SPARSE_CALLS = sparse_calls()
SPARSE_CELLS = ((16, 65536), (64, 65536))  # (num_seqs, cached) grid cells --sparse leaves out
# (sq, ctx) pairs of the prefill calls that follow the decode calls.
PREFILL_CALLS = ([(1, 1)] * 3, [(8, 8), (3, 3)], [(16, 5000)], [(4, 70000), (1, 2000)],
                 [(512, 512)], [(100, 3000), (30, 30)])


def new_v2_db(path, schema):
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    conn = sqlite3.connect(path)
    with open(schema, encoding="utf-8") as f:
        conn.executescript(f.read())
    if not any(r[1] == "seqs" for r in conn.execute("PRAGMA table_info(shape)")):
        conn.executescript(V2_SHAPE)
    return conn


def make(schema, out, cliff=False, sparse=False):
    conn = new_v2_db(out, schema)
    conn.execute("INSERT INTO device (id, vendor, arch, cu_count, name, memory_bytes, driver_version,"
                 " runtime_version) VALUES (1, 'host', 'x86_64', 4, 'ragged fixture', "
                 "1073741824, 'none', 'none')")
    conn.execute("INSERT INTO run (id, device_id, backend, tuner_version, git_revision, command_line,"
                 " timing_policy, started_at, ended_at) VALUES (1, 1, 'host', '0.1.0', NULL, 'ragged_fixture.py', "
                 "'warmup=1,min_reps=3,min_ms=1,flush_l2=0', '2026-07-01T00:00:00Z', NULL)")
    for cid, name, family, route, maxq in CANDIDATES:
        conn.execute("INSERT INTO candidate VALUES (?, ?, ?, '', ?, ?, ?)",
                     (cid, name, family, (name[0] * 64), route, CAPS % maxq))
    state = {"shape": 0, "meas": 0}
    shape_ids = {}

    def shape(ctxs, sqs=None):
        sqs = sqs or [1] * len(ctxs)
        pairs = list(zip(sqs, ctxs))
        uniform = len(set(pairs)) == 1
        seqs = "" if uniform else ",".join("%d:%d" % p for p in pairs)
        key = (len(ctxs), max(sqs), max(ctxs), seqs)
        if key in shape_ids:
            return shape_ids[key]
        state["shape"] += 1
        sid = state["shape"]
        conn.execute("INSERT INTO shape VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (sid,) + STATIC + (len(ctxs), max(sqs), max(ctxs), HQ, HKV, seqs))
        t = times(ctxs, sqs)
        for cid, name, _, _, _ in CANDIDATES:
            us = t.get(name)
            status = "ok" if us is not None else "unsupported"
            if cliff and name == "split" and max(ctxs) > 65537:
                status, us = "wrong", None
            state["meas"] += 1
            conn.execute("INSERT INTO measurement (run_id, device_id, candidate_id, shape_id, "
                         "status, median_us, p10_us, p90_us, reps, rel_err, message, "
                         "measured_at) VALUES (1, 1, ?, ?, ?, ?, ?, ?, 5, ?, '', ?)",
                         (cid, sid, status, us, us, us, 1e-3 if status == "ok" else None,
                          "2026-07-01T00:%02d:%02dZ" % (state["meas"] // 60 % 60,
                                                        state["meas"] % 60)))
        shape_ids[key] = sid
        return sid

    for ns in GRID_NS:
        for cached in GRID_CACHED:
            if not (sparse and (ns, cached) in SPARSE_CELLS):
                shape([1 + cached] * ns)
    decode = TRACE_CALLS + (SPARSE_CALLS if sparse else [])
    for i, ctxs in enumerate(decode):
        conn.execute("INSERT INTO trace_call (trace, call_index, step, shape_id) "
                     "VALUES ('fx', ?, 'decode', ?)", (i, shape(ctxs)))
    for j, pairs in enumerate(PREFILL_CALLS):
        conn.execute("INSERT INTO trace_call (trace, call_index, step, shape_id) "
                     "VALUES ('fx', ?, 'prefill', ?)",
                     (len(decode) + j, shape([k for _, k in pairs], [q for q, _ in pairs])))
    conn.commit()
    conn.close()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("schema")
    ap.add_argument("out")
    ap.add_argument("--cliff", action="store_true")
    ap.add_argument("--sparse", action="store_true")
    args = ap.parse_args(argv)
    make(args.schema, args.out, args.cliff, args.sparse)
    return 0


if __name__ == "__main__":
    sys.exit(main())
