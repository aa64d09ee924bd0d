#!/usr/bin/env bash
# Tests built with AddressSanitizer and UndefinedBehaviorSanitizer in
# build-fuzz/ (scripts/lib/sanitized-tree.sh); any sanitizer report fails
# the test that made it:
# - the Catch2 tests under ctest: the runtime's (core and reference kernels,
#   slide I/O, the slide pipeline, cohorts) and the compiler's (window rules,
#   tiled against whole on random networks, forward and backward);
# - the lit tests of the dialect, the compiler's passes, the ONNX importer
#   and the fuzzers' regressions, run by sanitized sstep-opt, sstep-import,
#   sstep-compile, sstep-run and sstep-slide (the tools' own tests pass
#   here too but take about 14 minutes: docs/reliability.md).
#
# usage: scripts/sanitized-tests.sh [ctest options]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/sanitized-tree.sh
targets=(sstep-runtime-tests sstep-opt sstep-import sstep-compile sstep-run)
for t in sstep-unit-tests sstep-slide-tests sstep-pipeline-tests \
  sstep-cohort-tests sstep-slide; do
  # grep reads the whole list: with -q it could stop early, and ninja's
  # SIGPIPE fail the pipeline (pipefail), dropping the target at random.
  ninja -C "$BUILD" -t targets all | grep "^$t:" >/dev/null && targets+=("$t")
done
cmake --build "$BUILD" --target "${targets[@]}"
# abort_on_error: a report ends the process with SIGABRT, not exit code 1,
# so that a lit test expecting failure (`not sstep-compile ...`) fails on it.
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
(cd "$BUILD" &&
  ctest --output-on-failure -j"$(nproc)" \
    -R "^(runtime|unit|slide|pipeline|cohort): ?" \
    -E "openslide conformance|tool |slurm" "$@")
lit=$(sed -n 's/^SSTEP_LIT:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
/usr/bin/python3 "$lit" -s --no-progress-bar \
  -j"$(nproc)" "$BUILD/test" --filter "SSTEP :: (dialect|compiler|frontends|fuzz)/"
