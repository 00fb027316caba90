"""test_tuner_cli.py -- attnroute-tune's command line: help, version, bad
flags and bad grids exit 2 with a message naming the problem and write
nothing; --dry-run writes nothing; unavailable backends fail clearly."""

import os

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
expect(1, "cuda:", "--backend", "cuda", "--db", db) if not os.path.exists("/dev/nvidia0") else None
notdb = os.path.join(wd, "notdb")
with open(notdb, "w") as f:
    f.write("hello\n")
p = tune(args, "--backend", "host", "--grid", args.grid, "--db", notdb, check=False)
if p.returncode != 1 or "notdb" not in p.stderr or open(notdb).read() != "hello\n":
    fail(f"a non-db file: exit {p.returncode}: {p.stderr}")
print("ok: CLI errors are clear and write nothing")
