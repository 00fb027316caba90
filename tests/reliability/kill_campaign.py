#!/usr/bin/env python3
"""kill_campaign.py -- SIGKILL the tuner (and its worker) at random moments,
a share of them in its first 100 ms (creating the schema, switching to
WAL), restart it on the same db, and repeat until the grid is done; then a
new db.  After every kill: the db must still open for the next run (0
refused), every measurement seen before must still be there with the same
id and values (0 lost), none twice (0 duplicated); every run that is not
killed exits 0, and a finished db holds exactly shapes x candidates.

    kill_campaign.py --tune attnroute-tune --grid tests/e2e/quick.grid -n 1000
"""
import os
import random
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import campaign  # noqa: E402

args = campaign.parse_args(__doc__, 20)
rng = random.Random(args.seed)
t = campaign.Tally("kill_campaign")
db = os.path.join(args.work, "kill.db")
campaign.remove_db(db)
rc, err = campaign.run_tuner(args, db)
if rc != 0:
    sys.exit("the first full run failed: %s" % err)
expected = len(campaign.snapshot(db))
start = time.time()
campaign.remove_db(db)
rc, err = campaign.run_tuner(args, db)
full_s = time.time() - start  # a whole run: kills fall inside it
campaign.remove_db(db)
print("kill_campaign: %d measurements per db, a run takes %.2f s" % (expected, full_s), flush=True)

seen = {}
kills = 0
while kills < args.n:
    p = campaign.tuner(args, db)
    early = rng.random() < 0.3
    delay = rng.uniform(0, 0.1) if early else rng.uniform(0.1, max(0.2, full_s * 1.2))
    try:
        p.wait(timeout=delay)
    except Exception:
        pass
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        kills += 1
        t.add("kills")
        t.add("kills_first_100ms" if early else "kills_later")
    else:
        err = p.stderr.read()
        if p.returncode != 0:
            t.fail("run exited %d before its kill: %s" % (p.returncode, err.strip()))
            t.add("refused")
        t.add("runs_finished")
    try:
        now = campaign.snapshot(db) if os.path.exists(db) else {}
    except AssertionError as e:
        t.fail(str(e))
        t.add("duplicated")
        now = {}
    if now is None:
        t.add("unreadable_by_plain_reader")  # e.g. a hot journal: the tuner must still open it
        continue
    lost = [k for k, v in seen.items() if now.get(k) != v]
    if lost:
        t.fail("%d measurement(s) lost or changed after a kill: %r" % (len(lost), lost[:3]))
        t.add("lost", len(lost))
    seen = now
    if p.returncode == 0:
        if len(now) != expected:
            t.fail("a finished run left %d measurements, want %d" % (len(now), expected))
        campaign.remove_db(db)
        seen = {}
        t.add("dbs_completed")
# Finish the last db: it must open and complete.
rc, err = campaign.run_tuner(args, db)
if rc != 0:
    t.fail("the last db was refused: %s" % err.strip())
    t.add("refused")
elif len(campaign.snapshot(db)) != expected:
    t.fail("the last db is incomplete")
sys.exit(t.finish())
