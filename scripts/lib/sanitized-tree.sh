# Sourced by scripts/fuzz.sh and scripts/sanitized-tests.sh: configures
# $BUILD (default build-fuzz/) once, with clang-19, AddressSanitizer and
# UndefinedBehaviorSanitizer on everything of ours (-DSSTEP_FUZZ=ON), the
# runtime only (no MLIR, CUDA or oneDNN).
BUILD=${FUZZ_BUILD:-build-fuzz}
bash scripts/bootstrap.sh
if [ ! -f "$BUILD/build.ninja" ]; then
  CC=clang-19 CXX=clang++-19 cmake -S . -B "$BUILD" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSSTEP_FUZZ=ON \
    -DSSTEP_BUILD_COMPILER=OFF -DSSTEP_ENABLE_CUDA=OFF -DSSTEP_ENABLE_CPU=OFF \
    > /tmp/sstep-sanitized-configure.log 2>&1 ||
    { cat /tmp/sstep-sanitized-configure.log; exit 1; }
fi
