"""test_replay.py -- examples/engine_replay.py without a GPU (--select-only):
a small trace (tiny.trace) against the compiled fixture table: the picks of
the table and of both legacy policies, the table's misses written as a
--shapes file, and trace errors named by file:line (exit 2).

    test_replay.py --root SRC --table LIB --work DIR
"""
import argparse
import os
import shutil
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--root", required=True)
ap.add_argument("--table", required=True)
ap.add_argument("--work", required=True)
args = ap.parse_args()
shutil.rmtree(args.work, ignore_errors=True)
os.makedirs(args.work)
replay = os.path.join(args.root, "examples", "engine_replay.py")
trace = os.path.join(args.root, "tests", "python", "tiny.trace")
failures = []


def run(*extra, trace_path=trace):
    return subprocess.run([sys.executable, replay, "--trace", trace_path, "--table", args.table,
                           "--select-only", "--arch", "gfx1250", "--cu", "256", *extra],
                          capture_output=True, text=True)


shapes = os.path.join(args.work, "missed.shapes")
p = run("--shapes", shapes, "--unified-attn", "on")
if p.returncode != 0:
    sys.exit("FAIL: exit %d\n%s%s" % (p.returncode, p.stdout, p.stderr))
out = p.stdout.splitlines()
# Unified attention on: pre-1345 pays the prefix gather on call 2 (no
# stand-in in the fixture), and the windowed decode (call 6) is 2D (gfx12).
expect = [
    "call    2 prefill seqs   1 | table paged.bm64 | post-1345 dense_sink.gather | "
    "pre-1345 legacy:triton_paged_gather",
    "table      dense_sink.gather x3, paged.bm64 x2, paged.splitkv x2",
    "post-1345  dense_sink.gather x4, paged.splitkv x2, paged.bm64 x1",
    "pre-1345   dense_sink.gather x3, paged.splitkv x2, legacy:triton_paged_gather x1, "
    "paged.bm64 x1",
    # the 60000-token prefill lies past the seqlen_q axis (2048): answered
    # from the edge cell (the default edge rules), not a miss
    "call    5 prefill seqs   1 | table dense_sink.gather | post-1345 dense_sink.gather | "
    "pre-1345 dense_sink.gather",
    "table misses: 1 of 7 calls, 1 distinct shapes",
    "1 shapes added to %s" % shapes,
]
for line in expect:
    if line not in out:
        failures.append("missing line %r" % line)
with open(shapes) as f:
    lines = [ln for ln in f.read().splitlines() if not ln.startswith("#")]
if lines != ["head_dim=64 sinks=1 window=128 block=16 dtype=bf16 kv_dtype=bf16 causal=1 "
             "num_seqs=2 seqlen_q=1 cached=2999 q_heads=64 kv_heads=8"]:
    failures.append("shapes file %r" % lines)
# --plan: each shown call's inputs as the device gets them (the window and
# the KV it reads on the line: a windowed decode reads window keys a
# sequence, not its context).
p = run("--plan", "--show", "7")
for line in ("     seqs 3 (sq <= 1, ctx <= 4097; 3 q, 6610 k tokens) heads 64/8 d 64 page 16 "
             "window -1: reads 13.5 MB of KV",
             "     seqs 2 (sq <= 1, ctx <= 3000; 2 q, 6000 k tokens) heads 64/8 d 64 page 16 "
             "window 128: reads 0.5 MB of KV",
             "     table: \"no launcher for candidate 'paged.bm64'\""):
    if p.returncode != 0 or line not in p.stdout.splitlines():
        failures.append("--plan: missing %r" % line)
refused = subprocess.run([sys.executable, replay, "--trace", trace, "--table", args.table,
                          "--select-only", "--arch", "gfx1250", "--cu", "128"],
                         capture_output=True, text=True)
if refused.returncode != 0 or "refused (table built for another device" not in refused.stdout:
    failures.append("refused table: %r" % refused.stdout[:300])

for body, msg in (("attnroute-trace 2\n", ":1: not an attnroute trace"),
                  ("attnroute-trace 1\ndecode 1:5\n", ":2: a call before any class line"),
                  ("attnroute-trace 1\nclass head_dim=64 q_heads=8 kv_heads=1\n"
                   "prefill 5:4\n", ":3: '5:4': need 1 <= sq <= ctx"),
                  ("attnroute-trace 1\nclass head_dim=64 q_heads=8 kv_heads=1 blok=16\n",
                   ":2: unknown class key 'blok=16'"),
                  ("attnroute-trace 1\nclass head_dim=64 q_heads=8 kv_heads=1\nprefill\n",
                   ":3: a call without sequences")):
    bad = os.path.join(args.work, "bad.trace")
    with open(bad, "w") as f:
        f.write(body)
    p = run(trace_path=bad)
    if p.returncode != 2 or (bad + msg) not in p.stderr:
        failures.append("bad trace %r: exit %d, %r" % (body, p.returncode, p.stderr))
if failures:
    print("\n".join("FAIL: " + f for f in failures))
    print(p.stdout)
    sys.exit(1)
print("test_replay: ok")
