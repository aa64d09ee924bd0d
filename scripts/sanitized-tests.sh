#!/usr/bin/env bash
# Tests built with AddressSanitizer and UndefinedBehaviorSanitizer in
# build-fuzz/ (scripts/lib/sanitized-tree.sh); any sanitizer report fails
# the test that made it:
# - the runtime's unit tests (Catch2: core and reference kernels, slide I/O,
#   the slide pipeline, cohorts) under ctest;
# - the lit tests of the dialect, the compiler's passes, the ONNX importer
#   and the tools, run by sanitized sstep-opt, sstep-import, sstep-compile,
#   sstep-run and sstep-slide (tests that need the oneDNN or CUDA backends
#   or PyTorch are left to the main tree).
#
# usage: scripts/sanitized-tests.sh [ctest options]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/sanitized-tree.sh
targets=(sstep-runtime-tests sstep-opt sstep-import sstep-compile sstep-run)
for t in sstep-slide-tests sstep-pipeline-tests sstep-cohort-tests sstep-slide; do
  # grep reads the whole list: with -q it could stop early, and ninja's
  # SIGPIPE fail the pipeline (pipefail), dropping the target at random.
  ninja -C "$BUILD" -t targets all | grep "^$t:" >/dev/null && targets+=("$t")
done
cmake --build "$BUILD" --target "${targets[@]}"
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
(cd "$BUILD" &&
  ctest --output-on-failure -j"$(nproc)" -R "^(runtime|slide|pipeline|cohort): ?" \
    -E "openslide conformance|tool " "$@")
/usr/bin/python3 /usr/lib/llvm-19/build/utils/lit/lit.py -s --no-progress-bar \
  -j"$(nproc)" "$BUILD/test" --filter "SSTEP :: (dialect|compiler|frontends|tools|fuzz)/"
