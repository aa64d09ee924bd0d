#!/usr/bin/env bash
# Installs every Debian package SSTEP needs. Idempotent: quiet and fast when all is present.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build ccache clang-19 lld-19 clang-format git pkg-config
  # libFuzzer and the sanitizers' runtimes (scripts/fuzz.sh)
  libclang-rt-19-dev
  # compiler chain
  libmlir-19-dev mlir-19-tools llvm-19-dev llvm-19-tools
  libonnx-dev libonnx-testdata libprotobuf-dev protobuf-compiler
  # runtime
  libtiff-dev libturbojpeg0-dev libjpeg62-turbo-dev libhdf5-dev libopenslide-dev
  libdnnl-dev ocl-icd-opencl-dev libopenmpi-dev openmpi-bin libzstd-dev zlib1g-dev libpng-dev
  # cohorts: manifests, state records, a local Slurm in the tests
  libcsv-dev nlohmann-json3-dev slurm-wlm munge
  # sstep-serve
  libcpp-httplib-dev
  # tests and tools
  catch2 openslide-tools libvips-tools libtiff-tools hdf5-tools
  python3 python3-numpy python3-onnx python3-torch python3-torchvision python3-h5py python3-openslide python3-pil
  # the Python package
  python3-dev pybind11-dev python3-pytest
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "bootstrap: installing ${#missing[@]} package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "bootstrap: done"

if [ -x /usr/local/cuda/bin/nvcc ]; then
  echo "bootstrap: CUDA found at /usr/local/cuda"
else
  echo "bootstrap: no CUDA at /usr/local/cuda; the CUDA parts will be skipped"
fi
