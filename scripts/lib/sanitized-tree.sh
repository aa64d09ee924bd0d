# Sourced by scripts/fuzz.sh and scripts/sanitized-tests.sh: configures
# $BUILD (default build-fuzz/) with clang-19, AddressSanitizer and
# UndefinedBehaviorSanitizer on everything of ours (-DSSTEP_FUZZ=ON): the
# runtime, the dialect, the ONNX importer, the compiler and the tools; not
# the CUDA or oneDNN backends. LLVM, MLIR and the system libraries are used
# as Debian ships them.
BUILD=${FUZZ_BUILD:-build-fuzz}
bash scripts/bootstrap.sh
# Reconfigures a tree made before the compiler was part of it.
if [ ! -f "$BUILD/build.ninja" ] ||
  ! grep -q '^SSTEP_BUILD_COMPILER:BOOL=ON' "$BUILD/CMakeCache.txt"; then
  CC=clang-19 CXX=clang++-19 cmake -S . -B "$BUILD" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSSTEP_FUZZ=ON \
    -DSSTEP_BUILD_COMPILER=ON -DSSTEP_ENABLE_CUDA=OFF -DSSTEP_ENABLE_CPU=OFF \
    > /tmp/sstep-sanitized-configure.log 2>&1 ||
    { cat /tmp/sstep-sanitized-configure.log; exit 1; }
fi
