"""test_views.py -- the db's views against their definitions recomputed in
Python on a synthetic db (many shapes across every gate, two devices of one
class, statuses other than ok, ties): shape_axes.cached, best_ok (with the
shape's columns), best_margin (winner, runner-up, margin) and legacy_pick
(the route gen/attnroute_gen/legacy.py -- itself checked against the runtime -- gives
for both policies, its stand-in candidate, slowdown).  Then a db holding an
older best_ok gets this build's views when the tuner opens it for writing,
and a view of the user's own is left alone.

    test_views.py --root SRC --work DIR --tune ATTNROUTE_TUNE
"""
import argparse
import itertools
import os
import random
import sqlite3
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--root", required=True)
ap.add_argument("--work", required=True)
ap.add_argument("--tune", required=True)
args = ap.parse_args()
sys.path.insert(0, os.path.join(args.root, "gen"))
from attnroute_gen import legacy  # noqa: E402

failures = []


def check(cond, msg):
    if not cond and len(failures) < 20:
        failures.append(msg)


os.makedirs(args.work, exist_ok=True)
db = os.path.join(args.work, "views.db")
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(db + suffix):
        os.remove(db + suffix)
schema = open(os.path.join(args.root, "db", "schema.sql"), encoding="utf-8").read()
con = sqlite3.connect(db)
con.executescript(schema)
for row in ((1, 'nvidia', 'sm_90', 132, 'A'), (2, 'nvidia', 'sm_90', 132, 'B'),
            (3, 'amd', 'gfx1250', 256, 'C')):
    con.execute("INSERT INTO device (id, vendor, arch, cu_count, name, memory_bytes, driver_version, "
                "runtime_version) VALUES (?, ?, ?, ?, ?, 1, 'd', 'r')", row)
routes = [0, 1, 2, 3, -1, 1, 0]
for i, r in enumerate(routes, 1):
    con.execute("INSERT INTO candidate VALUES (?, ?, 'f', 'p', 'h', ?, '')", (i, "c%d" % i, r))
con.execute("INSERT INTO run (id, device_id, backend, tuner_version, git_revision, command_line, "
            "timing_policy, started_at) VALUES (1, 1, 'cuda', 't', NULL, 'c', 'p', '2026-01-01T00:00:00Z')")
rng = random.Random(7)
shapes = {}
sid = 0
for hd, sinks, win, blk, ns, sq, cached, (hq, hkv), dt in itertools.product(
        (64, 128), (0, 1), (-1, 128), (16, 256), (1, 8, 64), (1, 16, 512), (0, 1024),
        ((64, 8), (8, 1), (64, 1)), ("bf16", "fp16")):
    if rng.random() < 0.6:
        continue
    sid += 1
    shapes[sid] = dict(head_dim=hd, q_dtype=dt, kv_dtype=dt, has_sinks=sinks, sliding_window=win,
                       kv_block_size=blk, causal=1, num_seqs=ns, seqlen_q=sq, seqlen_k=sq + cached,
                       num_q_heads=hq, num_kv_heads=hkv)
    con.execute("INSERT INTO shape (id, head_dim, q_dtype, kv_dtype, has_sinks, sliding_window, "
                "kv_block_size, causal, num_seqs, seqlen_q, seqlen_k, num_q_heads, num_kv_heads) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", (sid, hd, dt, dt, sinks, win, blk, 1, ns, sq,
                                                      sq + cached, hq, hkv))
meas = []  # (device, candidate, shape, status, median)
for s in shapes:
    for d in (1, 2, 3):
        if d == 3 and s % 3:
            continue
        for c in range(1, len(routes) + 1):
            if rng.random() < 0.15:
                continue
            status = rng.choice(["ok"] * 6 + ["unsupported", "wrong", "fault", "timeout"])
            t = rng.choice([5.0, 7.5, 10.0, 12.5]) if status == "ok" else None  # ties on purpose
            meas.append((d, c, s, status, t))
            con.execute("INSERT INTO measurement (run_id, device_id, candidate_id, shape_id, status, "
                        "median_us, measured_at) VALUES (1, ?, ?, ?, ?, ?, 'x')", (d, c, s, status, t))
con.commit()

klass = {1: ("sm_90", 132), 2: ("sm_90", 132), 3: ("gfx1250", 256)}
oks = {}
for d, c, s, status, t in meas:
    if status == "ok":
        oks.setdefault((klass[d], s), []).append((t, c))
for v in oks.values():
    v.sort()

# shape_axes
for row in con.execute("SELECT id, seqlen_q, seqlen_k, cached FROM shape_axes"):
    check(row[3] == row[2] - row[1], "shape_axes %r: cached" % (row,))
check(con.execute("SELECT count(*) FROM shape_axes").fetchone()[0] == len(shapes), "shape_axes rows")

# best_ok
cols = ("head_dim", "q_dtype", "kv_dtype", "has_sinks", "sliding_window", "kv_block_size", "causal",
        "num_seqs", "seqlen_q", "seqlen_k", "num_q_heads", "num_kv_heads")
got = {}
for row in con.execute("SELECT arch, cu_count, shape_id, candidate_id, median_us, cached, %s FROM best_ok"
                       % ", ".join(cols)):
    key = ((row[0], row[1]), row[2])
    check(key not in got, "best_ok: two rows for %r" % (key,))
    got[key] = row
    sh = shapes[row[2]]
    check(dict(zip(cols, row[6:])) == sh, "best_ok shape columns of %r" % (key,))
    check(row[5] == sh["seqlen_k"] - sh["seqlen_q"], "best_ok cached of %r" % (key,))
check(set(got) == set(oks), "best_ok covers %d (class, shape) pairs, wanted %d" % (len(got), len(oks)))
for key, v in oks.items():
    if key in got:
        check((got[key][4], got[key][3]) == v[0], "best_ok %r: %r, wanted %r" % (key, got[key][3:5], v[0]))

# best_margin: each candidate at its best time over the class's devices
per_candidate = {}
for key, v in oks.items():
    best = {}
    for t, c in v:
        best.setdefault(c, t)
    per_candidate[key] = sorted((t, c) for c, t in best.items())
for arch, cu, s, cand, t, runner, runner_t, margin in con.execute("SELECT * FROM best_margin"):
    v = per_candidate[((arch, cu), s)]
    check(("c%d" % v[0][1], v[0][0]) == (cand, t), "best_margin winner of %r" % s)
    if len(v) > 1:
        check(("c%d" % v[1][1], v[1][0]) == (runner, runner_t), "best_margin runner-up of %r" % s)
        check(abs(margin - v[1][0] / v[0][0]) < 1e-12, "best_margin margin of %r" % s)
    else:
        check(runner is None and margin is None, "best_margin without a runner-up, %r" % s)

# legacy_pick
n = 0
for arch, cu, s, policy, route, route_name, cand, status, t, best, slowdown in con.execute(
        "SELECT arch, cu_count, shape_id, policy, route, route_name, candidate, status, median_us, "
        "best_us, slowdown FROM legacy_pick"):
    n += 1
    sh = shapes[s]
    dtype = {"bf16": 0, "fp16": 1}  # attnroute_dtype
    p = legacy.problem(sh["num_seqs"], sh["seqlen_q"], sh["seqlen_k"], sh["num_q_heads"],
                       sh["num_kv_heads"], sh["head_dim"], dtype[sh["q_dtype"]], dtype[sh["kv_dtype"]],
                       sh["has_sinks"], sh["sliding_window"], sh["kv_block_size"], sh["causal"])
    pol = legacy.POLICY_PRE_1345 if policy == "pre-1345" else legacy.POLICY_POST_1345
    want = legacy.legacy_route(pol, p, {"use_unified_attn": 1})  # the view's env
    check(route == want and route_name == legacy.ROUTE_NAMES[want],
          "legacy_pick %s shape %d: route %r %r, legacy.py %r" % (policy, s, route, route_name, want))
    stand = sorted((c, st, tt) for d, c, ss, st, tt in meas
                   if ss == s and klass[d] == (arch, cu) and routes[c - 1] == want and st != "unsupported")
    if stand:
        check(cand == "c%d" % stand[0][0], "legacy_pick %s shape %d: candidate %r, wanted c%d"
              % (policy, s, cand, stand[0][0]))
    else:
        check(cand is None, "legacy_pick %s shape %d: candidate %r without a measurement" % (policy, s, cand))
    v = oks.get(((arch, cu), s))
    if t is not None and v:
        check(abs(slowdown - t / v[0][0]) < 1e-12, "legacy_pick slowdown of %d" % s)
check(n == 2 * len({k for k in oks} | {(klass[d], s) for d, c, s, st, tt in meas}),
      "legacy_pick has %d rows" % n)
fresh_views = dict(con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view'"))
con.close()

# An older db: best_ok without shape columns, plus a view of the user's own.
old = os.path.join(args.work, "old.db")
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(old + suffix):
        os.remove(old + suffix)
con = sqlite3.connect(old)
con.executescript(schema)
for name in fresh_views:
    if name != "best_ok":
        con.execute("DROP VIEW %s" % name)
con.execute("DROP VIEW best_ok")
con.execute("CREATE VIEW best_ok AS SELECT m.shape_id AS shape_id FROM measurement m")
con.execute("CREATE VIEW my_view AS SELECT 1 AS one")
con.commit()
con.close()
shapes_file = os.path.join(args.work, "one.shapes")
with open(shapes_file, "w") as f:
    f.write("head_dim=64 sinks=1 window=-1 block=16 dtype=bf16 kv_dtype=bf16 causal=1 num_seqs=1 "
            "seqlen_q=1 cached=16 q_heads=8 kv_heads=1\n")
p = subprocess.run([args.tune, "--backend", "host", "--shapes", shapes_file, "--db", old, "--quiet",
                    "--candidates", "paged_decode.host_split4", "--min-reps", "1", "--min-ms", "0",
                    "--max-ms", "1", "--warmup", "0", "--no-flush"], capture_output=True, text=True)
check(p.returncode == 0, "tuner on the older db: exit %d: %s" % (p.returncode, p.stderr))
con = sqlite3.connect(old)
views = dict(con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view'"))
check(views.get("my_view") == "CREATE VIEW my_view AS SELECT 1 AS one", "the user's view was touched")
views.pop("my_view", None)
check(views == fresh_views, "the older db's views were not updated: %r" % sorted(views))
check(con.execute("SELECT cached FROM best_ok").fetchone() == (16,), "best_ok of the updated db")
con.close()

if failures:
    print("FAIL:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("ok: views match their definitions on %d shapes; an older db gets them" % len(shapes))
