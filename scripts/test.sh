#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs what is missing,
# builds, and runs every test under ctest (lit, Catch2, end-to-end; GPU tests
# skip without a device). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/build.sh
cd "${BUILD:-build}"
ctest --output-on-failure -j"$(nproc)" "$@"
