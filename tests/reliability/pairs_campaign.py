#!/usr/bin/env python3
"""pairs_campaign.py -- two tuners started together on a db that does not
exist yet (one creates the schema and switches to WAL while the other
waits), n times: both must exit 0, and the db must hold every measurement
once.

    pairs_campaign.py --tune attnroute-tune --grid tests/e2e/quick.grid -n 100
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import campaign  # noqa: E402

args = campaign.parse_args(__doc__, 5)
t = campaign.Tally("pairs_campaign")
db = os.path.join(args.work, "pair.db")
campaign.remove_db(db)
campaign.run_tuner(args, db)
expected = len(campaign.snapshot(db))
for i in range(args.n):
    campaign.remove_db(db)
    a, b = campaign.tuner(args, db), campaign.tuner(args, db)
    errs = [a.communicate(timeout=600)[1], b.communicate(timeout=600)[1]]
    t.add("pairs")
    for p, e in zip((a, b), errs):
        if p.returncode != 0:
            t.fail("pair %d: a tuner exited %d: %s" % (i, p.returncode, e.strip()))
            t.add("tuner_failed")
    try:
        snap = campaign.snapshot(db)
    except AssertionError as e:
        t.fail("pair %d: %s" % (i, e))
        continue
    if snap is None or len(snap) != expected:
        t.fail("pair %d: %s measurements, want %d" % (i, None if snap is None else len(snap),
                                                       expected))
sys.exit(t.finish())
