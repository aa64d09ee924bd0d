# Finds the toolchain SSTEP builds against. Defaults match Debian 12's packages
# (scripts/bootstrap.sh) so that a plain `cmake -S . -B build -G Ninja` works.

# --- MLIR / LLVM 19 ----------------------------------------------------------
# MLIR's package version must match exactly, so ask for no version and check
# the major one.
find_package(MLIR REQUIRED CONFIG
  HINTS /usr/lib/llvm-19/lib/cmake/mlir /usr/lib/llvm-19)
if(NOT LLVM_VERSION_MAJOR EQUAL 19)
  message(FATAL_ERROR "SSTEP needs MLIR 19, found ${LLVM_PACKAGE_VERSION} at ${MLIR_DIR}")
endif()
message(STATUS "SSTEP: MLIR ${LLVM_PACKAGE_VERSION} from ${MLIR_DIR}")

set(LLVM_RUNTIME_OUTPUT_INTDIR ${CMAKE_BINARY_DIR}/bin)
set(LLVM_LIBRARY_OUTPUT_INTDIR ${CMAKE_BINARY_DIR}/lib)
set(MLIR_BINARY_DIR ${CMAKE_BINARY_DIR})
list(APPEND CMAKE_MODULE_PATH ${MLIR_CMAKE_DIR} ${LLVM_CMAKE_DIR})
include(TableGen)
include(AddLLVM)
include(AddMLIR)
include(HandleLLVMOptions)

# LLVM's headers are third-party: keep their warnings out of -Werror.
include_directories(SYSTEM ${LLVM_INCLUDE_DIRS} ${MLIR_INCLUDE_DIRS})
link_directories(${LLVM_BUILD_LIBRARY_DIR})
add_definitions(${LLVM_DEFINITIONS})

# --- lit and FileCheck ---------------------------------------------------------
set(SSTEP_LLVM_TOOLS_DIR "${LLVM_TOOLS_BINARY_DIR}" CACHE PATH
  "Directory holding FileCheck, not, count and split-file")
find_program(SSTEP_FILECHECK FileCheck HINTS ${SSTEP_LLVM_TOOLS_DIR} /usr/lib/llvm-19/bin REQUIRED)
get_filename_component(SSTEP_LLVM_TOOLS_DIR ${SSTEP_FILECHECK} DIRECTORY)
find_file(SSTEP_LIT lit.py
  HINTS ${LLVM_EXTERNAL_LIT_DIR} /usr/lib/llvm-19/build/utils/lit
  NO_DEFAULT_PATH)
if(NOT SSTEP_LIT)
  find_program(SSTEP_LIT NAMES lit llvm-lit REQUIRED)
endif()
# Debian's interpreter has the python3-* packages the tests use (onnx, torch).
if(NOT Python3_EXECUTABLE AND EXISTS /usr/bin/python3)
  set(Python3_EXECUTABLE /usr/bin/python3)
endif()
find_package(Python3 REQUIRED COMPONENTS Interpreter)

# --- Catch2 v2 -----------------------------------------------------------------
find_package(Catch2 2 REQUIRED)

# --- CUDA (optional) -----------------------------------------------------------
# CUDA lives outside Debian's packages at /usr/local/cuda. Without it the CUDA
# parts are skipped; a build with it compiles for the architectures we ship.
option(SSTEP_ENABLE_CUDA "Build the CUDA parts when a toolkit is found" ON)
set(SSTEP_HAVE_CUDA OFF)
if(SSTEP_ENABLE_CUDA)
  if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT CMAKE_CUDA_ARCHITECTURES)
      # No GPU on the build machines: name the architectures, never "native".
      set(CMAKE_CUDA_ARCHITECTURES 80 90)
    endif()
    if(NOT CMAKE_CUDA_HOST_COMPILER)
      set(CMAKE_CUDA_HOST_COMPILER ${CMAKE_CXX_COMPILER})
    endif()
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    set(SSTEP_HAVE_CUDA ON)
    message(STATUS "SSTEP: CUDA ${CUDAToolkit_VERSION}, architectures ${CMAKE_CUDA_ARCHITECTURES}")
  else()
    message(STATUS "SSTEP: no CUDA toolkit found; the CUDA parts are skipped")
  endif()
endif()
