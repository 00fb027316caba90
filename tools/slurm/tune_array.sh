#!/usr/bin/env bash
# tune_array.sh -- one shard of an attnroute tuning plan per Slurm array task.
#
# Array task K of --array=1-N runs `attnroute-tune --shard K/N` into its own
# db, $ATTNROUTE_OUT/shard-K-of-N.db, so tasks never share a db file (a
# cluster file system may not lock SQLite files reliably).  A task that
# fails or is preempted is simply resubmitted: the tuner resumes from what
# its db holds, and the shard is the same (the split depends on the plan
# alone).  With several GPUs in the task's allocation it runs one worker per
# GPU (--devices all).  submit.sh submits this array and the merge job.
#
# Environment (exported by sbatch from the submitting shell):
#   ATTNROUTE_OUT        directory for the shard dbs (required, shared by all nodes)
#   ATTNROUTE_SHARDS     N (default: the array's task count)
#   ATTNROUTE_TUNE       attnroute-tune binary (default: attnroute-tune on PATH)
#   ATTNROUTE_TUNE_ARGS  more tuner arguments, e.g. "--grid builtin:gpt-oss --backend cuda"
#   ATTNROUTE_DEVICES    --devices value (default: all, when more than one GPU is visible)
#SBATCH --job-name=attnroute-tune
#SBATCH --output=attnroute-tune-%A_%a.out
set -euo pipefail

tune=${ATTNROUTE_TUNE:-attnroute-tune}
out=${ATTNROUTE_OUT:?set ATTNROUTE_OUT to a directory every node can write}
k=${SLURM_ARRAY_TASK_ID:?submit as an array job: sbatch --array=1-N tune_array.sh}
n=${ATTNROUTE_SHARDS:-${SLURM_ARRAY_TASK_COUNT:?set ATTNROUTE_SHARDS to the number of shards}}
mkdir -p "$out"

devices=()
if [ -n "${ATTNROUTE_DEVICES:-}" ]; then
  devices=(--devices "$ATTNROUTE_DEVICES")
elif [[ "${CUDA_VISIBLE_DEVICES:-}${ROCR_VISIBLE_DEVICES:-}${HIP_VISIBLE_DEVICES:-}" == *,* ]]; then
  devices=(--devices all)
fi

# shellcheck disable=SC2086  # ATTNROUTE_TUNE_ARGS is a list of words
exec "$tune" --shard "$k/$n" --db "$out/shard-$k-of-$n.db" --quiet "${devices[@]}" ${ATTNROUTE_TUNE_ARGS:-}
