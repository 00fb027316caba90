#!/usr/bin/env bash
# submit.sh -- submit a sharded attnroute tuning run to Slurm: an array of N
# tuning tasks (tune_array.sh, one shard each) and the merge-and-generate job
# (merge_generate.sh) that starts when all of them succeeded.
#
#   tools/slurm/submit.sh --shards N --out DIR [--gpus-per-task G] \
#       [--partition P] [--time T] [--sbatch-args "..."] [-- TUNER ARGS...]
#
# Prints the two job ids.  The tuner arguments after -- go to every task
# (e.g. --grid builtin:gpt-oss --backend cuda).  --gpus-per-task 0 runs on
# CPUs only (the host backend, as the tests do).  Binaries: $ATTNROUTE_TUNE,
# $ATTNROUTE_MERGE, $ATTNROUTE_GEN, or the ones on PATH.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

shards="" out="" gpus=1 partition="" time_limit="" extra=()
usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --shards) shards=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --gpus-per-task) gpus=$2; shift 2 ;;
    --partition) partition=$2; shift 2 ;;
    --time) time_limit=$2; shift 2 ;;
    --sbatch-args) read -r -a extra <<<"$2"; shift 2 ;;
    --) shift; break ;;
    -h|--help) usage ;;
    *) echo "submit.sh: unknown argument '$1'" >&2; usage ;;
  esac
done
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || { echo "submit.sh: --shards N (a positive number) is required" >&2; exit 2; }
[[ "$gpus" =~ ^[0-9]+$ ]] || { echo "submit.sh: --gpus-per-task takes a number" >&2; exit 2; }
[ -n "$out" ] || { echo "submit.sh: --out DIR is required" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)

common=(--parsable --chdir "$out")
[ -n "$partition" ] && common+=(--partition "$partition")
[ -n "$time_limit" ] && common+=(--time "$time_limit")
task=()
[ "$gpus" -gt 0 ] && task+=(--gpus-per-task "$gpus")

export ATTNROUTE_OUT="$out" ATTNROUTE_SHARDS="$shards" ATTNROUTE_TUNE_ARGS="$*"
array=$(sbatch "${common[@]}" "${task[@]}" "${extra[@]}" --array "1-$shards" "$here/tune_array.sh")
array=${array%%;*}
merge=$(sbatch "${common[@]}" "${extra[@]}" --dependency "afterok:$array" "$here/merge_generate.sh")
merge=${merge%%;*}
echo "tune array job $array (shards 1..$shards), merge job $merge (after all succeed)"
echo "results: $out/merged.db, $out/attnroute_table.h"
