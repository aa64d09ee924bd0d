#!/usr/bin/env bash
# The runtime's unit tests (Catch2: core and reference kernels, slide I/O,
# the slide pipeline, cohorts) built with AddressSanitizer and
# UndefinedBehaviorSanitizer in build-fuzz/ (scripts/lib/sanitized-tree.sh)
# and run under ctest; any sanitizer report fails the test that made it.
#
# usage: scripts/sanitized-tests.sh [ctest options]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/sanitized-tree.sh
targets=(sstep-runtime-tests)
for t in sstep-slide-tests sstep-pipeline-tests sstep-cohort-tests; do
  # grep reads the whole list: with -q it could stop early, and ninja's
  # SIGPIPE fail the pipeline (pipefail), dropping the target at random.
  ninja -C "$BUILD" -t targets all | grep "^$t:" >/dev/null && targets+=("$t")
done
cmake --build "$BUILD" --target "${targets[@]}"
cd "$BUILD"
ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest --output-on-failure -j"$(nproc)" -R "^(runtime|slide|pipeline|cohort): ?" \
  -E "openslide conformance|tool " "$@"
