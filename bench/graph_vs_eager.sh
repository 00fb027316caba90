#!/usr/bin/env bash
# bench/graph_vs_eager.sh -- on the GPU machine, from the repo root, with a
# Release build in build-gpu: does timing candidates as CUDA graphs (as
# engines replay decode steps) change the winners against eager launches, and
# how many cells does tuning the same grid twice change beyond noise?
#   bench/graph_vs_eager.sh tune MODE GRID   MODE eager | eager2 | graph: grids/GRID.grid
#                                            into $OUT/GRID.MODE.db (resumes), and its table
#   bench/graph_vs_eager.sh compare GRID A B attnroute_diff of $OUT/GRID.A.db vs .B.db into
#                                            $OUT/GRID.A-B.md / .json, and the counts
# eager2 is a second eager run (the repeatability figure: compare eager eager2);
# graph vs eager differ in timing policy: the diff says so at the top (its
# regression gate would fail without --allow-different-devices); its cell
# lists and the counts below still show which winners changed.
# TUNE_LIMIT (s): stop a tune cleanly after this long; the next call resumes.
set -uo pipefail
export PYTHONUNBUFFERED=1
B=build-gpu
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
mode=$1
shift
case "$mode" in
  tune)
    how=$1 grid=$2
    db="$OUT/$grid.$how.db"
    [ -f ".carry/$grid.$how.db" ] && [ ! -f "$db" ] && cp ".carry/$grid.$how.db" "$db"
    timing=eager
    [ "$how" = graph ] && timing=graph
    SECONDS=0
    timeout -s TERM "${TUNE_LIMIT:-100000}" $B/tuner/attnroute-tune --backend cuda --grid "grids/$grid.grid" \
      --db "$db" --timing "$timing" 2>&1 | grep -v '^tune: [0-9]' | tail -8
    echo "$grid.$how: ${SECONDS} s ($(date -u +%FT%TZ))" | tee -a "$OUT/$grid.$how.time"
    python3 gen/attnroute_gen.py "$db" -o "$OUT/$grid.$how.h" --text "$OUT/$grid.$how.table.txt" 2>&1 | tail -3
    [ -s "$db-wal" ] || rm -f "$db-wal" "$db-shm"
    ;;
  compare)
    grid=$1 a=$2 b=$3
    python3 tools/attnroute_diff.py "$OUT/$grid.$a.db" "$OUT/$grid.$b.db" > "$OUT/$grid.$a-$b.md"
    python3 tools/attnroute_diff.py --json "$OUT/$grid.$a.db" "$OUT/$grid.$b.db" > "$OUT/$grid.$a-$b.json"
    head -8 "$OUT/$grid.$a-$b.md"
    python3 - "$OUT/$grid.$a-$b.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
print("cells compared %d: winner changed beyond noise %d (%.2f%%), within noise %d; "
      "best time beyond noise: %d faster, %d slower; geomean x%.4f; not comparable: %s"
      % (s["compared"], s["winner_changed"], 100.0 * s["winner_changed"] / max(1, s["compared"]),
         s["winner_changed_noise"], s["faster"], s["slower"], s["geomean_time_ratio"] or 0,
         "; ".join(d["not_comparable"]) or "no"))
PY
    ;;
  *)
    echo "usage: $0 tune eager|eager2|graph GRID | compare GRID A B" >&2
    exit 2
    ;;
esac
