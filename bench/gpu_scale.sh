#!/usr/bin/env bash
# bench/gpu_scale.sh -- the multi-GPU tuning run, on a machine with several
# GPUs, from the repo root with a Release build in build-gpu (as for
# bench/gpu_tune.sh).  Tunes grids/<grid>.grid three ways and prints the
# wall time of each:
#   single   --device 0                        -> $OUT/single.db
#   devices  --devices all                     -> $OUT/devices.db
#   shards   --shard K/N, one per GPU at once  -> $OUT/shard-K-of-N.db, merged
#            (each shard pinned with --device K-1) into $OUT/shards-merged.db
# then generates a table from each and diffs devices and shards against
# single (tools/attnroute_diff.py: cells whose winner differs).
#   bench/gpu_scale.sh [grid] [single|devices|shards ...]   (default: gpt-oss, all three)
# Resumes: an existing db is continued, so re-running after a time-out is fine.
set -uo pipefail
export PYTHONUNBUFFERED=1
B=build-gpu
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
grid=${1:-gpt-oss}
shift || true
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(single devices shards)
ngpu=$(nvidia-smi -L | wc -l)
nvidia-smi --query-gpu=index,name,uuid,driver_version --format=csv,noheader
echo "grid $grid, $ngpu GPU(s), $(date -u +%FT%TZ)"
tune=(timeout -s TERM "${TUNE_LIMIT:-100000}" $B/tuner/attnroute-tune --backend cuda --grid "grids/$grid.grid")

gen() { python3 gen/attnroute_gen.py "$1" -o "${1%.db}.h" --text "${1%.db}.table.txt" 2>&1 | tail -2; }

for mode in "${modes[@]}"; do
  SECONDS=0
  case "$mode" in
    single) "${tune[@]}" --device 0 --db "$OUT/single.db" 2>&1 | grep -v '^tune: [0-9]' | tail -4; db=$OUT/single.db ;;
    devices) "${tune[@]}" --devices all --db "$OUT/devices.db" 2>&1 | grep -v '^tune: [0-9]' | tail -4; db=$OUT/devices.db ;;
    shards)
      pids=()
      for k in $(seq 1 "$ngpu"); do
        "${tune[@]}" --device $((k - 1)) --shard "$k/$ngpu" --db "$OUT/shard-$k-of-$ngpu.db" --quiet \
          >"$OUT/shard-$k.log" 2>&1 &
        pids+=($!)
      done
      for p in "${pids[@]}"; do wait "$p" || echo "a shard exited $? (see $OUT/shard-*.log)"; done
      rm -f "$OUT/shards-merged.db"
      $B/tools/merge/attnroute-merge "$OUT/shards-merged.db" "$OUT"/shard-*-of-"$ngpu".db | tail -3
      db=$OUT/shards-merged.db ;;
    *) echo "unknown mode $mode (single, devices, shards)"; exit 2 ;;
  esac
  echo "$mode: wall time ${SECONDS} s on $ngpu GPU(s)" | tee -a "$OUT/scale.time"
  gen "$db"
done
for other in devices shards-merged; do
  [ -f "$OUT/single.db" ] && [ -f "$OUT/$other.db" ] || continue
  echo "== $other vs single"
  python3 tools/attnroute_diff.py "$OUT/single.db" "$OUT/$other.db" | head -40
done
