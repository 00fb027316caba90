#!/usr/bin/env bash
# fuzz_campaign.sh -- libFuzzer on the grid parser (tuner/core/grid.c), the
# table-text parser (tools/eval/table_text.c), select with the runtime
# instrumented (tests/runtime/fuzz_select.c) and the code-object metadata
# reader (tuner/candidates/amdgpu_note.c), RUNS executions each, in a
# clang build of its own:
#   tests/reliability/fuzz_campaign.sh BUILD_DIR RUNS [CC]
# Prints each target's final line (executions, coverage edges) and exits
# non-zero on the first crash.  Exit 77 (skipped) without a libFuzzer compiler.
set -euo pipefail
src="$(cd "$(dirname "$0")/../.." && pwd)"
build="$1"; runs="$2"; cc="${3:-clang}"
if ! command -v "$cc" >/dev/null; then echo "skipped: no $cc"; exit 77; fi
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){(void)d;(void)n;return 0;}' |
     "$cc" -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then
  echo "skipped: $cc has no libFuzzer"; exit 77
fi
cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DATTNROUTE_CUDA=OFF -DATTNROUTE_HIP=OFF >/dev/null
cmake --build "$build" -j2 --target libfuzz_grid ar_eval_libfuzz_table_text fuzz_select libfuzz_note >/dev/null
corpus="$build/fuzz-corpus"
mkdir -p "$corpus/grid" "$corpus/table_text" "$corpus/select" "$corpus/note"
for o in "$src"/tests/hip/fixtures/hsa/gfx1250/fmha_fwd_bf16_varlen/*.co; do  # byte 0: object (0)
  { printf '\0'; cat "$o"; } > "$corpus/note/$(basename "$o")"
done
for g in "$src"/grids/*.grid "$src"/tests/e2e/*.grid; do    # byte 0: grid (0) or shape list (1)
  { printf '\0'; cat "$g"; } > "$corpus/grid/$(basename "$g")"
done
{ printf '\1'; cat "$src/grids/gpt-oss.eval.shapes"; } > "$corpus/grid/eval.shapes"
cp "$build"/tests/eval/libfuzz_corpus/* "$corpus/table_text/" 2>/dev/null || true
run() {
  local name="$1" bin="$2" dir="$3"; shift 3
  local log="$build/fuzz-$name.log"
  "$bin" -runs="$runs" -seed=1 -print_final_stats=1 "$@" "$dir" >"$log" 2>&1 || {
    echo "$name: CRASH (see $log)"; tail -n 30 "$log"; exit 1; }
  echo "$name: $(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)"
}
run grid "$build/tests/e2e/libfuzz_grid" "$corpus/grid"
run table_text "$build/tests/eval/ar_eval_libfuzz_table_text" "$corpus/table_text"
run select "$build/tests/runtime/fuzz_select" "$corpus/select" -max_len=8192
run note "$build/tests/hip/libfuzz_note" "$corpus/note" -max_len=16384
