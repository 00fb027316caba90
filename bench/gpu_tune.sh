#!/usr/bin/env bash
# bench/gpu_tune.sh -- run on the GPU machine from the repo root, with a
# Release build in build-gpu (cmake --preset default -B build-gpu ...):
# check every CUDA candidate end to end, then tune the named grids (and
# shape lists) into $OUT/<name>.db, timing each, and generate each table.
#   bench/gpu_tune.sh check
#   bench/gpu_tune.sh tune gpt-oss [llama ...]        grids/<name>.grid
#   bench/gpu_tune.sh shapes gpt-oss.eval             grids/<name>.shapes
#   bench/gpu_tune.sh trace gpt-oss 240 [trace args]  a synthetic trace of the model
#       (tools/attnroute_trace.py --model gpt-oss [trace args]), SAMPLE calls of it
#       measured into $OUT/<model>.trace.db (--sample, --seed 1)
# TUNE_ARGS: more attnroute-tune flags (e.g. timing).  TUNE_LIMIT: seconds before a clean stop.
# Resumes: an existing $OUT/<name>.db (or one carried in .carry/) is continued.
set -uo pipefail
export PYTHONUNBUFFERED=1
B=build-gpu
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader
mode=$1
shift
case "$mode" in
  check)
    python3 tests/e2e/test_e2e_host.py --tune $B/tuner/attnroute-tune --gen gen/attnroute_gen.py --cc cc \
      --include runtime/include --lib $B/runtime/libattnroute.a --grid tests/e2e/cuda.grid --src tests/e2e \
      --backend cuda 2>&1 | tail -20
    ;;
  tune|shapes)
    for name in "$@"; do
      db="$OUT/$name.db"
      [ -f ".carry/$name.db" ] && [ ! -f "$db" ] && cp ".carry/$name.db" "$db"
      if [ "$mode" = tune ]; then what=(--grid "grids/$name.grid"); else what=(--shapes "grids/$name.shapes"); fi
      SECONDS=0
      # TUNE_LIMIT (s): stop cleanly after this long (SIGTERM; the next call resumes).
      timeout -s TERM "${TUNE_LIMIT:-100000}" $B/tuner/attnroute-tune --backend cuda "${what[@]}" --db "$db" ${TUNE_ARGS:-} 2>&1 |
        grep -v '^tune: [0-9]' | tail -25
      echo "$name: attnroute-tune wall time ${SECONDS} s ($(date -u +%FT%TZ))" | tee -a "$OUT/$name.time"
      if [ "$mode" = tune ]; then
        python3 gen/attnroute_gen.py "$db" -o "$OUT/$name.h" --text "$OUT/$name.table.txt" 2>&1 | tail -3
      fi
      # The tuner checkpoints on close; an empty -wal is the generator's read-only leftover.
      [ -s "$db-wal" ] || rm -f "$db-wal" "$db-shm"
    done
    ;;
  trace)
    model=$1 sample=$2
    shift 2
    trace=/tmp/$model.trace db="$OUT/$model.trace.db"
    python3 tools/attnroute_trace.py --model "$model" -o "$trace" "$@" && sed -n 2,3p "$trace"
    [ -f ".carry/$model.trace.db" ] && [ ! -f "$db" ] && cp ".carry/$model.trace.db" "$db"
    SECONDS=0
    timeout -s TERM "${TUNE_LIMIT:-100000}" $B/tuner/attnroute-tune --backend cuda --trace "$trace" \
      --trace-name "$model" --sample "$sample" --seed 1 --db "$db" ${TUNE_ARGS:-} 2>&1 | grep -v '^tune: [0-9]' | tail -25
    echo "$model trace: attnroute-tune wall time ${SECONDS} s ($(date -u +%FT%TZ))" | tee -a "$OUT/$model.trace.time"
    [ -s "$db-wal" ] || rm -f "$db-wal" "$db-shm"
    ;;
esac
