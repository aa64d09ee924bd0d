#!/usr/bin/env bash
# Builds and runs every GPU test and GPU benchmark in one command, on a machine
# with a CUDA device, and prints a summary.
#
#   bash scripts/gpu-check.sh --prepare   # here, with the full build: fills .deps/
#   bash scripts/gpu-check.sh             # on the GPU machine, carrying .deps/
#
# The lent H100/H200 image has CUDA, CMake, ninja and PyTorch but no MLIR,
# Catch2, cuDNN headers or Debian's slide libraries, and nothing can be
# fetched there. So --prepare, run where the project builds (scripts/build.sh),
# puts into .deps/: Catch2's header and cuDNN's headers, the test cases (plans
# compiled with --target=cuda, their inputs and the reference backend's
# outputs: random networks and the exported models the tests cached) and the
# benchmark's plans (bench/gpu-prepare.sh). On the GPU machine the runtime
# alone is built (plans only) and run against those cases.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--prepare" ]; then
  BUILD=${BUILD:-build}
  rm -rf .deps
  mkdir -p .deps/include/catch2 .deps/gpu-cases
  cp /usr/include/catch2/catch.hpp .deps/include/catch2/
  cp /usr/local/cuda/include/cudnn*.h .deps/include/
  SSTEP_GPU_CASES_OUT=.deps/gpu-cases SSTEP_GPU_CASES_COUNT=${CASES:-24} \
    "$BUILD/bin/sstep-unit-tests" "[gpu-cases]" >/dev/null
  # The exported models the end-to-end tests cached, at a small size.
  for model in small-unet se-ops geometry-net mobilenetv3-small-features \
    shufflenetv2-trunk cbam-net; do
    onnx=$(ls "$BUILD"/test/model-cache/"$model"-*.onnx 2>/dev/null | head -1)
    [ -n "$onnx" ] || continue
    dir=.deps/gpu-cases/model-$model-fp32
    mkdir -p "$dir"
    "$BUILD/bin/sstep-compile" "$onnx" --target=cuda -o "$dir/plan.sstep"
    /usr/bin/python3 -c "import numpy as np; np.save('$dir/input.npy', np.random.default_rng(3).random((1, 3, 96, 80), np.float32))"
    "$BUILD/bin/sstep-run" "$dir/plan.sstep" "$dir/input.npy" \
      -o "$dir/expected-0.npy" --backend=reference
  done
  if [ -f bench/gpu-prepare.sh ]; then
    BUILD=$BUILD bash bench/gpu-prepare.sh .deps/gpu-bench
  fi
  echo "gpu-check: .deps/ ready ($(du -sh .deps | cut -f1)); carry it to the GPU machine"
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
# cuDNN 9: the system's, else the one PyTorch's wheels bring.
if [ -z "${SSTEP_CUDNN:-}" ] && ! ldconfig -p 2>/dev/null | grep -q libcudnn.so.9; then
  wheel=$(python3 -c "import nvidia.cudnn, os; print(os.path.join(list(nvidia.cudnn.__path__)[0], 'lib'))" 2>/dev/null || true)
  if [ -n "$wheel" ] && [ -e "$wheel/libcudnn.so.9" ]; then
    export SSTEP_CUDNN=$wheel/libcudnn.so.9
    export LD_LIBRARY_PATH=$wheel${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  fi
fi
echo "gpu-check: cuDNN ${SSTEP_CUDNN:-from the system}"
cmake -S . -B "$BUILD" -G Ninja "${args[@]}"
cmake --build "$BUILD"

status=0
export SSTEP_GPU_CASES=${SSTEP_GPU_CASES:-$PWD/.deps/gpu-cases}
# ctest counts a test without a device as skipped; here that is a failure.
"$BUILD/bin/sstep-gpu-tests" --reporter compact || status=$?

# cuDNN's algorithm choices outlive the process (runtime/cuda/AlgorithmCache.h):
# a second run of the same plan times nothing.
plan=$(ls "$SSTEP_GPU_CASES"/model-*/plan.sstep 2>/dev/null | head -1 || true)
if [ -n "$plan" ]; then
  cache=$(mktemp -d)
  for run in first second; do
    SSTEP_CACHE_DIR=$cache "$BUILD/bin/sstep-run" "$plan" \
      "$(dirname "$plan")/input.npy" -o "$cache/out.npy" --backend=cuda \
      --stats="$cache/$run.json" || status=$?
  done
  python3 - "$cache" <<'PY' || status=$?
import json, sys
first, second = (json.load(open(f"{sys.argv[1]}/{r}.json"))
                 for r in ("first", "second"))
print(f"algorithm cache: first run {first.get('conv_algorithm_searches')} "
      f"searches in {first.get('conv_search_us')} us; second run "
      f"{second.get('conv_algorithm_searches')} searches, "
      f"{second.get('conv_algorithms_from_cache')} plans from the cache")
if not (first.get("conv_algorithm_searches", 0) > 0
        and second.get("conv_algorithm_searches") == 0
        and second.get("conv_algorithms_from_cache", 0) > 0):
    sys.exit("algorithm cache: the second run searched again")
PY
fi

echo "== gpu-check summary =="
(cd "$BUILD" && ctest --output-on-failure -L gpu) || status=$?
if [ -d .deps/gpu-bench ]; then
  for b in bench/gpu-*.sh; do
    [ "$b" = bench/gpu-prepare.sh ] && continue
    echo "-- $b"
    bash "$b" "$BUILD" .deps/gpu-bench || status=$?
  done
else
  echo "(no benchmark plans in .deps/gpu-bench: run --prepare first)"
fi
exit $status
