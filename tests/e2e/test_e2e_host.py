"""test_e2e_host.py -- the whole pipeline on a backend (host by default;
the cuda label runs it on the GPU with every CUDA candidate): tune a small
grid, generate the table, compile a program against the header and the
runtime, and check that for every grid point attnroute_select returns the
db's fastest ok candidate (the best_ok view), or the incumbent the winner
rule keeps within noise (tests/gen/winner_rule.py)."""

import os
import sqlite3
import subprocess
import sys

from e2e_util import parse_args, rows, tune, workdir, fail

args = parse_args()
wd = workdir()
db = os.path.join(wd, "tiny.db")
GPU_NODES = ("/dev/nvidiactl", "/dev/nvidia0", "/dev/kfd")
if args.backend != "host" and not any(os.path.exists(n) for n in GPU_NODES):
    # A build with the GPU toolkit on a machine without the GPU: skipped
    # (ctest SKIP_RETURN_CODE 77) with the reason, when the backend does not
    # open.  With a GPU device node present a failure to open is a failure.
    probe = tune(args, "--backend", args.backend, "--list-candidates", check=False)
    if probe.returncode != 0:
        print("SKIP: no GPU device node (%s) and the %s backend does not open: %s"
              % (", ".join(GPU_NODES), args.backend, probe.stderr.strip()))
        sys.exit(77)
tune(args, "--backend", args.backend, "--grid", args.grid, "--db", db, "--quiet",
     "--min-reps", "2", "--min-ms", "1", "--max-ms", "20")

# Every grid point has a measurement of every candidate, and the run ended.
n_shapes = rows(db, "select count(*) from shape")[0][0]
n_cands = rows(db, "select count(*) from candidate")[0][0]
n_meas = rows(db, "select count(*) from measurement")[0][0]
if n_meas != n_shapes * n_cands:
    fail(f"{n_meas} measurements for {n_shapes} shapes x {n_cands} candidates")
if rows(db, "select count(*) from run where ended_at is null")[0][0]:
    fail("a run has no end time")
bad = rows(db, "select count(*) from measurement where status in ('wrong','fault','timeout')")[0][0]
if bad:
    fail(f"{bad} measurements were wrong/fault/timeout: " + str(rows(db, """
        select c.name, m.status, m.message from measurement m join candidate c on c.id = m.candidate_id
        where m.status in ('wrong','fault','timeout')""")))

header = os.path.join(wd, "table.h")
subprocess.run([sys.executable, args.gen, db, "-o", header, "--name", "ATTNROUTE_E2E_TABLE"], check=True)
exe = os.path.join(wd, "select_points")
cmd = [args.cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-I", wd]
cmd += [f"-I{d}" for d in args.include]
cmd += args.cflags.split()
cmd += [os.path.join(args.src, "select_points.c"), args.lib, "-lm", "-o", exe]
subprocess.run(cmd, check=True)

points = rows(db, """
  select s.head_dim, s.has_sinks, s.sliding_window, s.kv_block_size, s.causal, s.num_seqs,
         s.seqlen_q, s.seqlen_k - s.seqlen_q, s.num_q_heads, s.num_kv_heads, b.candidate
  from best_ok b join shape s on s.id = b.shape_id order by s.id""")
if len(points) != n_shapes:
    fail(f"best_ok has {len(points)} rows for {n_shapes} shapes")
text = "".join(" ".join(str(v) for v in p[:10]) + "\n" for p in points)
out = subprocess.run([exe], input=text, capture_output=True, text=True, check=True).stdout.split("\n")
# Medians tie at the event clock's resolution; any candidate as fast as
# the best counts (the view and the generator break ties differently), and
# so does the incumbent the winner rule keeps within noise (winner_rule.py).
sys.path.insert(0, os.path.join(args.src, "..", "gen"))
import winner_rule  # noqa: E402
times = {}
for sid, name, t in rows(db, "select m.shape_id, c.name, m.median_us from measurement m "
                             "join candidate c on c.id = m.candidate_id where m.status = 'ok'"):
    times[(sid, name)] = t
ids = [r[0] for r in rows(db, "select s.id from best_ok b join shape s on s.id = b.shape_id order by s.id")]
mismatches = 0
for sid, p, line in zip(ids, points, out):
    name, from_table, _ = line.split(" ", 2)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        kept = winner_rule.pick(conn, sid)
    if from_table != "1" or (times.get((sid, name)) != times[(sid, p[10])] and name != kept):
        mismatches += 1
        print(f"point {p[:10]}: select gave {line!r}, db best is {p[10]}")
if mismatches:
    fail(f"{mismatches} of {len(points)} grid points disagree with the db")
print(f"ok: {len(points)} grid points, select == db best for all, {n_cands} candidates")
