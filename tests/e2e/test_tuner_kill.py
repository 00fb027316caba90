"""test_tuner_kill.py -- a tuner killed with SIGKILL mid-run loses nothing
committed; the re-run skips what is there and completes the grid.  SIGTERM
ends the run (ended_at set), says how to resume and exits 143."""

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

# SIGTERM to the tuner: it stops, ends its run and exits 128 + 15.
tdb = os.path.join(wd, "term.db")
tcmd = [args.tune, "--backend", "host", "--grid", args.grid, "--db", tdb,
        "--min-reps", "3", "--min-ms", "20", "--max-ms", "40"]
p = subprocess.Popen(tcmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
deadline = time.time() + 120
while time.time() < deadline and p.poll() is None:
    try:
        if rows(tdb, "select count(*) from measurement where status = 'ok'")[0][0] >= 2:
            break
    except sqlite3.Error:
        pass
    time.sleep(0.05)
if p.poll() is not None:
    fail(f"the tuner finished before SIGTERM: {p.stderr.read()}")
p.send_signal(signal.SIGTERM)
err = p.communicate(timeout=120)[1]
if p.returncode != 143:
    fail(f"SIGTERM: exit {p.returncode}, wanted 143:\n{err}")
if "interrupted" not in err or "re-run the same command to resume" not in err:
    fail(f"SIGTERM: no resume hint:\n{err}")
if rows(tdb, "select count(*), sum(ended_at is null) from run")[0] != (1, 0):
    fail("SIGTERM: the run has no end time")
print(f"ok: {before} measurements survived SIGKILL, resume completed {n_meas}; SIGTERM exits 143")
