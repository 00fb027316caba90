"""test_tuner_hostile.py -- attnroute-tune on hostile flags, grids and dbs:
NaN, infinity and fractions for numeric flags, an empty --db, a grid that
expands past the shape bound, a key given twice: exit 2 with a message and
nothing created.  --dry-run on a full rollback-journal db plans nothing to
run and leaves the file byte for byte as it was, with no -wal/-shm beside
it."""

import hashlib
import os
import sqlite3

from e2e_util import parse_args, tune, workdir, fail

args = parse_args()
wd = workdir()
db = os.path.join(wd, "h.db")
grid = os.path.join(args.src, "quick.grid")
fast = ["--backend", "host", "--quiet", "--min-reps", "1", "--min-ms", "0", "--max-ms", "1",
        "--warmup", "0", "--candidates", "paged.*"]


def expect(code, needle, *argv):
    p = tune(args, *argv, check=False)
    if p.returncode != code or needle not in p.stdout + p.stderr:
        fail(f"{argv}: exit {p.returncode}, wanted {code} and {needle!r} in:\n{p.stdout}{p.stderr}")
    if code != 0 and os.listdir(wd) != [x for x in os.listdir(wd) if not x.startswith("h.db")]:
        fail(f"{argv}: left {os.listdir(wd)}")


for flag in ["--timeout", "--min-ms", "--max-ms", "--tolerance"]:
    for v in ["nan", "NaN", "inf", "-inf", "1e999", "", " 5", "0x10"]:
        expect(2, f"{flag}: '{v}' is not a number", *fast, "--grid", grid, "--db", db, flag, v)
for flag in ["--warmup", "--min-reps", "--max-reps", "--seed"]:
    for v in ["nan", "inf", "1.5", "1e3", ""]:
        expect(2, f"{flag}: '{v}' is not an integer", *fast, "--grid", grid, "--db", db, flag, v)
expect(2, "--db: the path is empty", *fast, "--grid", grid, "--db", "")

big = os.path.join(wd, "big.grid")
with open(big, "w") as f:
    f.write("class head_dim=64\nheads " + " ".join(f"{h}/1" for h in range(1, 33)) + "\n")
    for axis, first in (("num_seqs", 1), ("seqlen_q", 1), ("cached", 0)):
        f.write(axis + " " + " ".join(str(first + i) for i in range(64)) + "\n")
if os.path.getsize(big) > 2000:
    fail("the bound test grid is not small")
expect(2, "expands to more than 20000 shapes", *fast, "--grid", big, "--db", db, "--dry-run")
dup = os.path.join(wd, "dup.shapes")
with open(dup, "w") as f:
    f.write("head_dim=64 head_dim=128 num_seqs=1 seqlen_q=1 cached=0 q_heads=8 kv_heads=1\n")
expect(2, f"{dup}:1: 'head_dim' is given twice", *fast, "--shapes", dup, "--db", db)
with open(dup, "w") as f:
    f.write("head_dim=64 num_seqs=1 seqlen_q=1 cached=0 q_heads=8 kv_heads=1\n" * 2)
expect(2, "is listed twice", *fast, "--shapes", dup, "--db", db)

# A dry run on a missing db creates nothing.
expect(0, "to run: 4", *fast, "--grid", grid, "--db", db, "--dry-run")
if os.path.exists(db):
    fail("--dry-run created the db")

# Tune, then make it a rollback-journal db as shipped dbs are.
tune(args, *fast, "--grid", grid, "--db", db)
con = sqlite3.connect(db)
con.execute("pragma journal_mode=delete")
con.close()


def digest():
    with open(db, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


before = digest()
expect(0, "to run: 0", *fast, "--grid", grid, "--db", db, "--dry-run")
expect(0, f"already in {db}: 4", *fast, "--grid", grid, "--db", db, "--dry-run")
if digest() != before:
    fail("--dry-run changed the db's bytes")
left = sorted(x for x in os.listdir(wd) if x.startswith("h.db"))
if left != ["h.db"]:
    fail(f"--dry-run left side files: {left}")
with open(db, "rb") as f:
    if f.read(20)[18] != 1:
        fail("--dry-run switched the db out of rollback-journal mode")
print("ok: hostile flags and grids refused with exit 2, dry runs read only")
