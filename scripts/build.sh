#!/usr/bin/env bash
# Configures and builds SSTEP in $BUILD (default: build/) with Ninja, clang-19
# when installed (faster and leaner on MLIR code than gcc) and ccache.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
if [ ! -f "$BUILD/build.ninja" ]; then
  if command -v clang++-19 >/dev/null 2>&1; then
    export CC=${CC:-clang-19} CXX=${CXX:-clang++-19}
  fi
  cmake -S . -B "$BUILD" -G Ninja ${SSTEP_CMAKE_ARGS:-}
fi
cmake --build "$BUILD" ${SSTEP_BUILD_ARGS:-}
