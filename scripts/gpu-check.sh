#!/usr/bin/env bash
# Builds and runs every GPU test and GPU benchmark in one command, on a machine
# with a CUDA device, and prints a summary.
#
# On a machine with Debian's packages (scripts/bootstrap.sh) it builds the whole
# project. On a GPU machine without them (the lent H100/H200 image has CUDA,
# CMake and ninja but no MLIR or Catch2) it builds the runtime alone; run
# `scripts/gpu-check.sh --prepare` first where Catch2 is installed, and carry
# the `.deps` folder it fills.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--prepare" ]; then
  mkdir -p .deps/include/catch2
  cp /usr/include/catch2/catch.hpp .deps/include/catch2/
  echo "gpu-check: .deps/ ready; carry it to the GPU machine"
  exit 0
fi

BUILD=${BUILD:-build-gpu}
args=(-DSSTEP_ENABLE_CUDA=ON)
if [ ! -d /usr/lib/llvm-19/lib/cmake/mlir ]; then
  echo "gpu-check: no MLIR 19 here; building the runtime and its GPU tests only"
  args+=(-DSSTEP_BUILD_COMPILER=OFF)
fi
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
fi
cmake -S . -B "$BUILD" -G Ninja "${args[@]}"
cmake --build "$BUILD"

status=0
# ctest counts a test without a device as skipped; here that is a failure.
"$BUILD/bin/sstep-gpu-tests" --reporter compact || status=$?

echo "== gpu-check summary =="
(cd "$BUILD" && ctest --output-on-failure -L gpu) || status=$?
if [ -d bench ] && ls bench/gpu-*.sh >/dev/null 2>&1; then
  for b in bench/gpu-*.sh; do
    echo "-- $b"
    bash "$b" "$BUILD" || status=$?
  done
else
  echo "(no GPU benchmarks yet)"
fi
exit $status
