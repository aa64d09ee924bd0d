#!/usr/bin/env bash
# Builds the libFuzzer harnesses (test/fuzz) in build-fuzz/ with clang-19,
# AddressSanitizer and UndefinedBehaviorSanitizer, and runs each for SECONDS
# (default 60) on a copy of its corpus in test/fuzz/corpus/NAME. Prints, per
# harness, the executions, the corpus size and the coverage libFuzzer
# reports; exits non-zero on the first crash, leak, hang (10 s per input) or
# out-of-memory (2 GiB), leaving the input that caused it in
# build-fuzz/findings/NAME/. New inputs found along the way stay in
# build-fuzz/corpus/NAME (add the interesting ones to the kept corpus).
#
# FUZZ_SEED=N fixes libFuzzer's seed (CI's smoke run; 0: a fresh one).
#
# usage: scripts/fuzz.sh [SECONDS] [NAME...]
#   NAME: npy, plan, plan-index, embedded-plan, onnx, manifest, slide, infer
#   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
shift || true
NAMES=("$@")
[ ${#NAMES[@]} -gt 0 ] || NAMES=(npy plan plan-index embedded-plan onnx manifest slide infer)
source scripts/lib/sanitized-tree.sh
cmake --build "$BUILD" --target sstep-fuzzers
status=0
for name in "${NAMES[@]}"; do
  mkdir -p "$BUILD/corpus/$name" "$BUILD/findings/$name"
  # The kept corpus (plan-index starts from the plans) and every input that
  # once failed.
  seeds=$name
  [ "$name" = plan-index ] && seeds=plan
  cp -n test/fuzz/corpus/"$seeds"/* "$BUILD/corpus/$name/" 2>/dev/null || true
  cp -n test/fuzz/regressions/"$seeds"/* "$BUILD/corpus/$name/" 2>/dev/null || true
  log="$BUILD/fuzz-$name.log"
  if ASAN_OPTIONS=detect_leaks=1 "$BUILD/bin/sstep-fuzz-$name" \
      -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
      -max_len=1048576 -print_final_stats=1 -seed="${FUZZ_SEED:-0}" \
      -artifact_prefix="$BUILD/findings/$name/" \
      "$BUILD/corpus/$name" > "$log" 2>&1; then
    result=ok
  else
    result=FAILED
    status=1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo ?)
  final=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 | sed -E 's/^#[0-9]+[[:space:]]+DONE[[:space:]]+//' || true)
  echo "fuzz $name: $result, ${SECONDS_EACH}s, $runs executions, $final"
  if [ $result = FAILED ]; then
    grep -E "ERROR|SUMMARY|Test unit written|deadly signal|==ERROR" "$log" | head -20
  fi
done
exit $status
