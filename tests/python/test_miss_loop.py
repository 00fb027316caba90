"""test_miss_loop.py -- the miss-to-tune loop end to end on the host backend.

1. attnroute-tune measures tests/e2e/tiny.grid into a db; the generator
   compiles it into a table library (gen --library).
2. A Python engine (attnroute.Router) selects problems the table does not
   cover: they miss (OUT_OF_DOMAIN, NO_CLASS).  A C engine (miss_shapes,
   dlopen of the same library, attnroute_miss_shapes as its miss hook)
   misses the same problems and prints the same shape lines.
3. Router.write_shapes writes them as a --shapes file (each once, however
   often it missed); attnroute-tune --backend host --shapes measures them
   into the same db.
4. The regenerated table answers every missed problem from the table, with
   a candidate as fast as the fastest measured on that exact shape, or the
   incumbent the generator's winner rule kept there within noise.

    test_miss_loop.py --root SRC --cc CC --work DIR --tune TUNER --grid GRID
                      --miss-shapes MISS_SHAPES
"""
import argparse
import os
import shutil
import sqlite3
import subprocess
import sys

import attnroute

ap = argparse.ArgumentParser()
ap.add_argument("--root", required=True)
ap.add_argument("--cc", required=True)
ap.add_argument("--work", required=True)
ap.add_argument("--tune", required=True)
ap.add_argument("--grid", required=True)
ap.add_argument("--miss-shapes", required=True)
args = ap.parse_args()
shutil.rmtree(args.work, ignore_errors=True)
os.makedirs(args.work)
gen = os.path.join(args.root, "gen/attnroute_gen.py")
db = os.path.join(args.work, "loop.db")
TUNE_FAST = ["--quiet", "--min-reps", "2", "--min-ms", "1", "--max-ms", "20"]


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        fail("%s exited %d\n%s\n%s" % (" ".join(cmd), p.returncode, p.stdout, p.stderr))
    return p.stdout


def compile_table(name):
    lib = os.path.join(args.work, "lib%s.so" % name)
    # --edge legacy: past the grid's edges the table misses (what this loop
    # is about) instead of answering from the edge cells.
    run([sys.executable, gen, db, "--library", lib, "--cc", args.cc, "--name", name,
         "--edge", "legacy"])
    return lib


run([args.tune, "--backend", "host", "--grid", args.grid, "--db", db] + TUNE_FAST)
lib1 = compile_table("loop_before")
table = attnroute.Table(lib1)
router = attnroute.Router(table, table.arch, table.cu_count)
if not router.bound:
    fail("the host table does not bind to its own device: " + router.bind_reason)

# tiny.grid: head_dim 64, sinks, heads 4/1 and 8/2, num_seqs 1 2, sq 1 16,
# cached 0 48.  Off the grid: longer queries, more sequences, another head dim.
static = dict(num_q_heads=4, num_kv_heads=1, head_dim=64, has_sinks=1, kv_block_size=16)
missed = [dict(static, num_seqs=2, max_seqlen_q=64, max_seqlen_k=112),
          dict(static, num_seqs=3, max_seqlen_q=16, max_seqlen_k=16),
          dict(static, num_seqs=1, max_seqlen_q=1, max_seqlen_k=200),
          dict(static, num_seqs=1, max_seqlen_q=8, max_seqlen_k=8, head_dim=128,
               has_sinks=0)]
hit = dict(static, num_seqs=2, max_seqlen_q=16, max_seqlen_k=64)
calls = [missed[i % len(missed)] for i in range(3 * len(missed))] + [hit]
for f in calls:
    c = router.select(**f)
    if (f is hit) != c.from_table:
        fail("before tuning: %r answered %r" % (f, c))
m = router.misses()
if [x.count for x in m] != [3] * len(missed):
    fail("misses %r" % m)
reasons = sorted({x.reason_text for x in m})
if reasons != ["no table class for these head dim / dtypes / sinks / window / block size / causal",
               "problem outside the range the table was tuned on"]:
    fail("miss reasons %r" % reasons)

# The C engine misses the same shapes, through the miss hook.
def c_engine_input(problems):
    """miss_shapes' stdin: one problem a line (the totals 0 when unknown)."""
    return "".join("%d %d %d %d %d %d %d %d %d %d %d\n" % (
        f["num_seqs"], f["max_seqlen_q"], f["max_seqlen_k"], f["num_q_heads"],
        f["num_kv_heads"], f["head_dim"], f["has_sinks"], -1, f["kv_block_size"],
        f.get("total_seqlen_q", 0), f.get("total_seqlen_k", 0)) for f in problems)


stdin = c_engine_input(calls)
out = run([args.miss_shapes, lib1, table.arch, str(table.cu_count)], input=stdin).splitlines()
c_lines = sorted(ln[len("miss "):] for ln in out if ln.startswith("miss "))
if c_lines != [x.shape_line for x in m]:
    fail("C miss hook lines %r\nPython lines %r" % (c_lines, [x.shape_line for x in m]))
summary = "misses total=%d distinct=%d dropped=0 invalid=0" % (len(calls) - 1, len(missed))
if out[-1] != summary:
    fail("C summary %r, want %r" % (out[-1], summary))
if [ln.split()[0] for ln in out[:len(calls)]] != ["0"] * (len(calls) - 1) + ["1"]:
    fail("C selects %r" % out[:len(calls)])

shapes = os.path.join(args.work, "missed.shapes")
if router.write_shapes(shapes) != len(missed) or router.write_shapes(shapes) != 0:
    fail("write_shapes did not add each shape exactly once")
with open(shapes) as f:
    body = [ln for ln in f.read().splitlines() if ln and not ln.startswith("#")]
if sorted(body) != c_lines:
    fail("shapes file %r" % body)

run([args.tune, "--backend", "host", "--shapes", shapes, "--db", db] + TUNE_FAST)

# Fastest ok median per (shape key, candidate) for the missed shapes.
con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
times = {}
for row in con.execute("""select s.num_seqs, s.seqlen_q, s.seqlen_k, s.num_q_heads,
                                 s.num_kv_heads, s.head_dim, c.name, m.median_us
                          from measurement m join shape s on s.id = m.shape_id
                          join candidate c on c.id = m.candidate_id
                          where m.status = 'ok'"""):
    times.setdefault(row[:6], {})[row[6]] = row[7]
con.close()

sys.path.insert(0, os.path.dirname(gen))
import attnroute_gen  # noqa: E402
after_model = attnroute_gen.load_model(db)


def held_incumbents(f):
    """Names the winner rule kept first within noise at f's exact shape."""
    point = (f["num_seqs"], f["max_seqlen_q"], f["max_seqlen_k"] - f["max_seqlen_q"],
             f["num_q_heads"], f["num_q_heads"] // f["num_kv_heads"])
    return {k["held"][point][0] for k in after_model["classes"]
            if k["static"]["head_dim"] == f["head_dim"] and point in k.get("held", {})}


lib2 = compile_table("loop_after")
after = attnroute.Router(lib2, table.arch, table.cu_count)
for f in missed:
    c = after.select(**f)
    key = (f["num_seqs"], f["max_seqlen_q"], f["max_seqlen_k"], f["num_q_heads"],
           f["num_kv_heads"], f["head_dim"])
    if not c.from_table:
        fail("after tuning: %r still missed: %s" % (f, c.reason_text))
    measured = times.get(key)
    if not measured or c.name not in measured:
        fail("after tuning: %r answered %s, not measured ok on that shape (%r)" % (
            f, c.name, measured))
    # Medians tie at the clock's resolution: as fast as the fastest counts;
    # so does the incumbent the winner rule kept (the fastest within noise).
    if measured[c.name] > min(measured.values()) and c.name not in held_incumbents(f):
        fail("after tuning: %r answered %s (%.3f us), fastest is %.3f us" % (
            f, c.name, measured[c.name], min(measured.values())))
if after.misses():
    fail("after tuning: misses %r" % after.misses())

# Ragged misses.  The runtime writes a ragged problem (the totals given) as
# a ragged shape rebuilt from what the problem holds (num_seqs, maxima,
# totals: one sequence at the maxima, the others sharing the rest); given
# the call's sequences (select(seqs=...)), the binding writes the exact
# batch instead.  Each once; attnroute-tune --shapes measures them as
# ragged batches (shape.seqs).
rr = attnroute.Router(table, table.arch, table.cu_count)
exact = [(1, 200), (1, 40), (1, 90)]
by_totals = dict(static, num_seqs=3, max_seqlen_q=1, max_seqlen_k=300,
                 total_seqlen_q=3, total_seqlen_k=400)
equal = [(16, 64)] * 3  # a "ragged" list of equal sequences: the uniform batch
for _ in range(2):
    for c in (rr.select(seqs=exact, **static), rr.select(**by_totals),
              rr.select(seqs=equal, **static)):
        if c.from_table:
            fail("ragged problems off the grid answered: %r" % c)
exact_line = ("head_dim=64 sinks=1 window=-1 block=16 dtype=bf16 kv_dtype=bf16 causal=1 "
              "q_heads=4 kv_heads=1 seqs=1:200,1:40,1:90")
rebuilt_line = exact_line.replace("1:200,1:40,1:90", "1:200,1:65,1:65")
totals_line = exact_line.replace("1:200,1:40,1:90", "1:300,1:50,1:50")
equal_line = ("head_dim=64 sinks=1 window=-1 block=16 dtype=bf16 kv_dtype=bf16 causal=1 "
              "num_seqs=3 seqlen_q=16 cached=48 q_heads=4 kv_heads=1")
rm = {x.shape_line: x for x in rr.misses()}
if sorted(rm) != sorted([rebuilt_line, totals_line, equal_line]):
    fail("ragged miss shape lines %r" % sorted(rm))
if rm[rebuilt_line].lines != [exact_line] or rm[totals_line].lines != [totals_line] or \
        rm[equal_line].lines != [equal_line] or {x.count for x in rm.values()} != {2}:
    fail("ragged misses %r" % [(x.shape_line, x.lines, x.count) for x in rm.values()])
# The C engine, through the miss hook, knows the totals only.
ragged_c = [dict(static, num_seqs=3, max_seqlen_q=1, max_seqlen_k=200, total_seqlen_q=3,
                 total_seqlen_k=330), by_totals]
out = run([args.miss_shapes, lib1, table.arch, str(table.cu_count)],
          input=c_engine_input(ragged_c)).splitlines()
c_ragged = sorted(ln[len("miss "):] for ln in out if ln.startswith("miss "))
if c_ragged != sorted([rebuilt_line, totals_line]):
    fail("C ragged miss lines %r" % c_ragged)
ragged_shapes = os.path.join(args.work, "ragged.shapes")
if rr.write_shapes(ragged_shapes) != 3 or rr.write_shapes(ragged_shapes) != 0:
    fail("ragged write_shapes did not add each shape exactly once")
with open(ragged_shapes) as f:
    body = sorted(ln for ln in f.read().splitlines() if ln and not ln.startswith("#"))
if body != sorted([exact_line, totals_line, equal_line]):
    fail("ragged shapes file %r" % body)
run([args.tune, "--backend", "host", "--shapes", ragged_shapes, "--db", db] + TUNE_FAST)
con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
ok = {}
for seqs, ns, sq, sk, n in con.execute(
        """select s.seqs, s.num_seqs, s.seqlen_q, s.seqlen_k, count(*) from measurement m
           join shape s on s.id = m.shape_id where m.status = 'ok' and s.num_q_heads = 4
           and s.num_seqs = 3 group by s.id"""):
    ok[(seqs, ns, sq, sk)] = n
con.close()
want = {("1:200,1:40,1:90", 3, 1, 200), ("1:300,1:50,1:50", 3, 1, 300), ("", 3, 16, 64)}
if not want <= set(ok):
    fail("the tuner did not measure the ragged misses as such: %r" % ok)
print("test_miss_loop: ok (%d shapes missed, tuned, answered; C and Python lines equal; "
      "%d ragged misses measured as ragged shapes)" % (len(missed), 2))
