#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs what is missing,
# builds, and runs every test under ctest (lit, Catch2, end-to-end; GPU tests
# skip without a device), then the runtime's unit tests sanitized and the
# fuzzers' smoke run. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/build.sh
(cd "${BUILD:-build}" && ctest --output-on-failure -j"$(nproc)" "$@")
# The sanitized tree (AddressSanitizer, UndefinedBehaviorSanitizer): the
# runtime's and compiler's unit tests and the compiler's lit tests, then
# the fuzzers' smoke run, each of the 8 harnesses for 30 s from the kept
# corpus and every input that once failed, with a fixed seed
# (SSTEP_FUZZ_SECONDS=0 skips both).
if [ "${SSTEP_FUZZ_SECONDS:-30}" != 0 ]; then
  bash scripts/sanitized-tests.sh
  FUZZ_SEED=1 bash scripts/fuzz.sh "${SSTEP_FUZZ_SECONDS:-30}"
fi
