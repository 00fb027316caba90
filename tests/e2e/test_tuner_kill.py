"""test_tuner_kill.py -- a tuner killed with SIGKILL mid-run loses nothing
committed; the re-run skips what is there and completes the grid."""

import os
import signal
import sqlite3
import subprocess
import time

from e2e_util import parse_args, rows, tune, workdir, fail

args = parse_args()
wd = workdir()
db = os.path.join(wd, "kill.db")
cmd = [args.tune, "--backend", "host", "--grid", args.grid, "--db", db, "--quiet",
       "--min-reps", "3", "--min-ms", "20", "--max-ms", "40"]
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def count():
    try:
        return rows(db, "select count(*) from measurement where status = 'ok'")[0][0]
    except sqlite3.Error:
        return 0


deadline = time.time() + 120
while count() < 5 and time.time() < deadline and p.poll() is None:
    time.sleep(0.05)
if p.poll() is not None:
    fail(f"the tuner finished before it could be killed: {p.stderr.read().decode()}")
os.killpg(p.pid, signal.SIGKILL)  # the tuner and its worker
p.wait()
before = count()
if before < 5:
    fail(f"only {before} measurements survived the kill")
if rows(db, "pragma integrity_check")[0][0] != "ok":
    fail("db not intact after SIGKILL")
ids_before = set(r[0] for r in rows(db, "select id from measurement"))

r = tune(args, *cmd[1:])
n_shapes = rows(db, "select count(*) from shape")[0][0]
n_cands = rows(db, "select count(*) from candidate")[0][0]
n_meas = rows(db, "select count(*) from measurement")[0][0]
dups = rows(db, """select count(*) from (select device_id, candidate_id, shape_id from measurement
                   group by 1,2,3 having count(*) > 1)""")[0][0]
if n_meas != n_shapes * n_cands or dups:
    fail(f"after resume: {n_meas} measurements for {n_shapes}x{n_cands}, {dups} duplicates")
ids_after = set(r[0] for r in rows(db, "select id from measurement"))
if not ids_before <= ids_after:
    fail("the re-run replaced measurements taken before the kill")
runs = rows(db, "select count(*), sum(ended_at is null) from run")[0]
if runs != (2, 1):
    fail(f"expected 2 runs, the killed one open: {runs}")
print(f"ok: {before} measurements survived SIGKILL, resume completed {n_meas}")
