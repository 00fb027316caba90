"""test_tuner_cli.py -- attnroute-tune's command line: help, version, bad
flags and bad grids exit 2 with a message naming the problem and write
nothing; --flag=value; an unknown flag named with the closest known one;
--dry-run writes nothing and needs no device; unavailable backends fail
clearly, --backend auto says why it skipped each and refuses a CPU table on
a machine with a GPU; a run ends with a summary and the generator command."""

import os
import re

from e2e_util import parse_args, tune, workdir, fail

args = parse_args()
wd = workdir()
db = os.path.join(wd, "cli.db")


def expect(code, needle, *argv):
    p = tune(args, *argv, check=False)
    if p.returncode != code or needle not in p.stdout + p.stderr:
        fail(f"{argv}: exit {p.returncode}, wanted {code} and {needle!r} in:\n{p.stdout}{p.stderr}")
    if os.path.exists(db) and code != 0:
        fail(f"{argv}: created {db}")


expect(0, "usage: attnroute-tune", "--help")
expect(0, "attnroute-tune 0.", "--version")
expect(2, "unknown option '--bogus'", "--bogus", "--db", db)
expect(2, "--backend: 'gpu' is not one of", "--backend", "gpu", "--db", db)
expect(2, "--min-reps: 'x' is not an integer", "--min-reps", "x", "--db", db)
expect(2, "--db needs a value", "--db")
expect(2, "unknown option '--dryrun'; did you mean --dry-run?", "--db", db, "--dryrun")
expect(2, "unknown option '--backnd'; did you mean --backend?", "--backnd=host", "--db", db)
expect(2, "--dry-run takes no value (got '1')", "--dry-run=1", "--db", db)
expect(2, "--seed: 'nan' is not an integer", "--seed", "nan", "--db", db)
expect(2, "--timeout: 'inf' is not a number", "--timeout=inf", "--db", db)
expect(2, "--warmup: '1.5' is not an integer", "--warmup", "1.5", "--db", db)
expect(2, "unexpected argument 'extra'", "--db", db, "extra")
expect(0, "to run:", "--backend=host", f"--grid={args.grid}", f"--db={db}", "--dry-run")
bad = os.path.join(wd, "bad.grid")
with open(bad, "w") as f:
    f.write("class head_dim=64\nheads 64/8\nnum_seqs 1 2\nseqlen_q 1 x\ncached 0\n")
expect(2, f"{bad}:4: seqlen_q: 'x' is not an integer", "--backend", "host", "--grid", bad, "--db", db)
with open(bad, "w") as f:
    f.write("class head_dim=64 blok=16\n")
expect(2, f"{bad}:1: class: unknown key 'blok'", "--backend", "host", "--grid", bad, "--db", db)
with open(bad, "w") as f:
    f.write("class head_dim=64\nheads 64/7\n")
expect(2, f"{bad}:2: heads: 64 q heads are not a multiple of 7", "--backend", "host", "--grid", bad, "--db", db)
expect(2, "cannot open", "--backend", "host", "--grid", os.path.join(wd, "none"), "--db", db)
expect(2, "no embedded grid 'nope'", "--backend", "host", "--grid", "builtin:nope", "--db", db)
expect(0, "to run:", "--backend", "host", "--grid", args.grid, "--db", db, "--dry-run")
if os.path.exists(db):
    fail("--dry-run created the db")
expect(1, "hip:", "--backend", "hip", "--db", db)
gpu = any(os.path.exists(n) for n in ("/dev/nvidiactl", "/dev/nvidia0", "/dev/kfd"))
if not gpu:
    expect(1, "cuda:", "--backend", "cuda", "--db", db)
    # --dry-run --backend cuda needs no driver: the plan of the build's
    # candidates, or (a build without CUDA) the reason.
    p = tune(args, "--backend", "cuda", "--grid", args.grid, "--db", db, "--dry-run", check=False)
    out = p.stdout + p.stderr
    if not ((p.returncode == 0 and "not opened on this machine" in out and "to run:" in out)
            or (p.returncode == 1 and "built without the CUDA backend" in out)):
        fail(f"--dry-run --backend cuda without a GPU: exit {p.returncode}:\n{out}")
    if os.path.exists(db):
        fail("--dry-run --backend cuda created the db")
    # auto says which backends it tried and why each was skipped.
    expect(0, "auto: using host (cuda skipped: cuda:", "--grid", args.grid, "--db", db, "--dry-run")
    if "hip skipped: hip:" not in tune(args, "--grid", args.grid, "--db", db, "--dry-run").stderr:
        fail("auto does not say why hip was skipped")
    # A GPU device node but no GPU backend (a broken driver): no CPU table.
    node = os.path.join(wd, "fake-gpu-node")
    open(node, "w").close()
    p = tune(args, "--grid", args.grid, "--db", db, env={"ATTNROUTE_GPU_DEVICE_NODE": node}, check=False)
    if p.returncode != 1 or "has a GPU, but no GPU backend opened" not in p.stderr or "--backend host" not in p.stderr:
        fail(f"auto with a GPU node and no GPU backend: exit {p.returncode}: {p.stderr}")
    if os.path.exists(db):
        fail("auto with a broken GPU created the db")
notdb = os.path.join(wd, "notdb")
with open(notdb, "w") as f:
    f.write("hello\n")
p = tune(args, "--backend", "host", "--grid", args.grid, "--db", notdb, check=False)
if p.returncode != 1 or "notdb" not in p.stderr or open(notdb).read() != "hello\n":
    fail(f"a non-db file: exit {p.returncode}: {p.stderr}")

# A finished run ends with a summary and the next step (the generator).
sdb = os.path.join(wd, "summary.db")
p = tune(args, "--backend", "host", "--grid", args.grid, "--db", sdb, "--candidates", "paged_decode.host_split4",
         "--min-reps", "1", "--min-ms", "0", "--max-ms", "1", "--warmup", "0", "--no-flush")
if "tune: finished in" not in p.stderr or f"next: " not in p.stderr or f"{sdb} -o attnroute_table.h" not in p.stderr:
    fail(f"no summary with the generator command:\n{p.stderr}")
gen_cmd = [l for l in p.stderr.splitlines() if l.startswith("next: ")][0][6:].split()
if not any(w.endswith("attnroute_gen.py") or w.endswith("attnroute-gen") for w in gen_cmd):
    fail(f"the next step is not the generator: {gen_cmd}")
for line in p.stderr.splitlines():
    if len(line) > 79 and re.match(r"tune: \d+/\d+ ", line):
        fail(f"a progress line is wider than 80 columns: {line!r}")
print("ok: CLI errors are clear and write nothing")
