#!/usr/bin/env bash
# merge_generate.sh -- the job that runs after every shard of tune_array.sh
# succeeded (sbatch --dependency=afterok:ARRAY_JOB): merges the shard dbs
# into $ATTNROUTE_OUT/merged.db with attnroute-merge (which refuses a
# missing, doubled or foreign shard) and generates the table header
# $ATTNROUTE_OUT/attnroute_table.h.  Needs no GPU.
#
# Environment:
#   ATTNROUTE_OUT        directory of the shard dbs (required)
#   ATTNROUTE_SHARDS     N (required)
#   ATTNROUTE_MERGE      attnroute-merge binary (default: on PATH)
#   ATTNROUTE_GEN        attnroute_gen.py (default: attnroute_gen.py on PATH)
#   ATTNROUTE_GEN_ARGS   more generator arguments, e.g. "--lookup auto"
#   PYTHON               Python 3 (default python3)
#SBATCH --job-name=attnroute-merge
#SBATCH --output=attnroute-merge-%j.out
set -euo pipefail

out=${ATTNROUTE_OUT:?set ATTNROUTE_OUT}
n=${ATTNROUTE_SHARDS:?set ATTNROUTE_SHARDS}
merge=${ATTNROUTE_MERGE:-attnroute-merge}
gen=${ATTNROUTE_GEN:-attnroute_gen.py}

dbs=()
for k in $(seq 1 "$n"); do
  dbs+=("$out/shard-$k-of-$n.db")
done
"$merge" --force "$out/merged.db" "${dbs[@]}"
# shellcheck disable=SC2086
"${PYTHON:-python3}" "$gen" "$out/merged.db" -o "$out/attnroute_table.h" ${ATTNROUTE_GEN_ARGS:-}
echo "attnroute: table written to $out/attnroute_table.h"
