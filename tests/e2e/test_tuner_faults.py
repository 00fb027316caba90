"""test_tuner_faults.py -- candidates that crash, hang, compute garbage or
leave the output unwritten are recorded fault / timeout / wrong, the tuner
survives (its worker is replaced) and they never win in the table.  --tune
is attnroute-tune-faults (tune_faults.c): the tuner with those candidates."""

import os
import subprocess
import sys

from e2e_util import parse_args, rows, tune, workdir, fail

args = parse_args()
wd = workdir()
db = os.path.join(wd, "faults.db")
grid = os.path.join(wd, "one.grid")
with open(grid, "w") as f:
    f.write("class head_dim=64 sinks=1\nheads 4/1\nnum_seqs 1\nseqlen_q 16\ncached 0 32\n")
# --no-flush and few repetitions keep the correct candidate at milliseconds,
# far inside the timeout that ends the hanging one, even on a loaded 2-core
# machine (a 64 MiB cache flush per repetition took it past 2 s there).
r = tune(args, "--backend", "host", "--grid", grid, "--db", db, "--timeout", "5",
         "--candidates", "test.*", "--candidates", "paged.host_q16_bk64",
         "--min-reps", "2", "--min-ms", "1", "--max-reps", "8", "--no-flush")
got = dict(((n, s), c) for n, s, c in rows(db, """
  select c.name, m.status, count(*) from measurement m join candidate c on c.id = m.candidate_id
  group by 1, 2"""))
want = {("test.fault", "fault"): 2, ("test.hang", "timeout"): 2, ("test.wrong", "wrong"): 2,
        ("test.unwritten", "wrong"): 2, ("paged.host_q16_bk64", "ok"): 2}
if got != want:
    fail(f"statuses {got}, expected {want}\n{r.stderr}")
msgs = dict(rows(db, """select c.name, m.message from measurement m join candidate c on
                        c.id = m.candidate_id where c.name like 'test.%'"""))
# A crash reads "worker killed by signal 11" (or, under AddressSanitizer,
# which catches the signal, "worker exited with status 1").
if not msgs["test.fault"].startswith("worker ") or "NaN" not in msgs["test.unwritten"]:
    fail(f"messages do not say what happened: {msgs}")
winners = set(r[0] for r in rows(db, "select candidate from best_ok"))
if winners != {"paged.host_q16_bk64"}:
    fail(f"winners {winners}")
header = os.path.join(wd, "t.h")
subprocess.run([sys.executable, args.gen, db, "-o", header], check=True)
print("ok: fault/timeout/wrong recorded, worker replaced, only the correct candidate wins")
