# Finds the toolchain SSTEP builds against. Defaults match Debian 12's packages
# (scripts/bootstrap.sh) so that a plain `cmake -S . -B build -G Ninja` works.

if(SSTEP_BUILD_COMPILER)
  include(SSTEPMLIR)
endif()

# --- Python (lit, test-model export) -------------------------------------------
# Debian's interpreter has the python3-* packages the tests use (onnx, torch).
if(NOT Python3_EXECUTABLE AND EXISTS /usr/bin/python3)
  set(Python3_EXECUTABLE /usr/bin/python3)
endif()
find_package(Python3 REQUIRED COMPONENTS Interpreter)

# --- Catch2 v2 -------------------------------------------------------------------
# Debian's package; a GPU machine without it may carry the single header in
# .deps/include/catch2/catch.hpp (scripts/gpu-check.sh).
find_package(Catch2 2 QUIET)
if(NOT Catch2_FOUND)
  find_path(SSTEP_CATCH2_INCLUDE catch2/catch.hpp
    HINTS ${PROJECT_SOURCE_DIR}/.deps/include REQUIRED)
  add_library(Catch2::Catch2 INTERFACE IMPORTED)
  target_include_directories(Catch2::Catch2 INTERFACE ${SSTEP_CATCH2_INCLUDE})
endif()

# --- CUDA (optional) -------------------------------------------------------------
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

# Test data beside the checkout (the real Aperio slide); tests skip when absent.
set(SSTEP_TEST_SLIDE_DIR "${PROJECT_SOURCE_DIR}/../shared/data" CACHE PATH
  "Folder with CMU-1-Small-Region.svs for the slide tests (optional)")

# --- Slide I/O (optional) ------------------------------------------------------
# Debian's libtiff, libjpeg-turbo, libpng, OpenSlide and HDF5. A GPU machine
# without them (scripts/gpu-check.sh) builds the rest of the runtime, so a
# missing library skips the slide library, its tool and its tests with a message.
find_package(Threads REQUIRED)
option(SSTEP_ENABLE_SLIDE "Build the whole-slide image I/O library" ON)
set(SSTEP_HAVE_SLIDE OFF)
if(SSTEP_ENABLE_SLIDE)
  find_package(TIFF QUIET)
  find_package(PNG QUIET)
  find_package(libjpeg-turbo CONFIG QUIET)
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_check_modules(OPENSLIDE QUIET IMPORTED_TARGET openslide)
  endif()
  set(HDF5_PREFER_PARALLEL OFF)
  find_package(HDF5 QUIET COMPONENTS C)
  set(missing)
  foreach(dep TIFF_FOUND PNG_FOUND libjpeg-turbo_FOUND OPENSLIDE_FOUND HDF5_FOUND)
    if(NOT ${dep})
      string(REPLACE "_FOUND" "" name ${dep})
      list(APPEND missing ${name})
    endif()
  endforeach()
  if(missing)
    message(STATUS "SSTEP: slide I/O skipped, missing: ${missing} (scripts/bootstrap.sh installs them)")
  else()
    set(SSTEP_HAVE_SLIDE ON)
  endif()
endif()

# --- Cohorts (optional, with slide I/O) ----------------------------------------
# Debian's libcsv (manifests), nlohmann-json (state records) and OpenMPI (rank
# 0 hands out slides). Without MPI, cohorts still divide among processes by
# leases; without libcsv or nlohmann-json there is no --cohort.
set(SSTEP_HAVE_COHORT OFF)
set(SSTEP_HAVE_MPI OFF)
if(SSTEP_HAVE_SLIDE)
  find_path(SSTEP_CSV_INCLUDE_DIR csv.h)
  find_library(SSTEP_CSV_LIBRARY csv)
  find_package(nlohmann_json 3 CONFIG QUIET)
  if(SSTEP_CSV_INCLUDE_DIR AND SSTEP_CSV_LIBRARY AND nlohmann_json_FOUND)
    set(SSTEP_HAVE_COHORT ON)
    find_package(MPI QUIET COMPONENTS C)
    if(MPI_C_FOUND)
      set(SSTEP_HAVE_MPI ON)
    else()
      message(STATUS "SSTEP: cohorts without MPI (libopenmpi-dev missing)")
    endif()
  else()
    message(STATUS "SSTEP: cohorts skipped, libcsv-dev or nlohmann-json3-dev missing (scripts/bootstrap.sh installs them)")
  endif()
endif()

# --- Serving (optional, with slide I/O) ----------------------------------------
# sstep-serve: Debian's cpp-httplib (HTTP/1.1, through pkg-config, whose flags
# match how Debian built the library) and nlohmann-json.
set(SSTEP_HAVE_SERVE OFF)
if(SSTEP_HAVE_SLIDE)
  find_package(PkgConfig QUIET)
  find_package(nlohmann_json 3 CONFIG QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(SSTEP_HTTPLIB QUIET IMPORTED_TARGET cpp-httplib)
  endif()
  if(SSTEP_HTTPLIB_FOUND AND nlohmann_json_FOUND)
    set(SSTEP_HAVE_SERVE ON)
  else()
    message(STATUS "SSTEP: sstep-serve skipped, libcpp-httplib-dev or nlohmann-json3-dev missing (scripts/bootstrap.sh installs them)")
  endif()
endif()

# --- oneDNN CPU backend (optional) ----------------------------------------------
# Debian's libdnnl-dev (2.6); its config needs ocl-icd-opencl-dev installed.
# Without it sstep-run offers the reference backend only. Debian builds
# oneDNN on GNU OpenMP; the backend sets its thread count through libgomp
# directly (clang's -fopenmp would want libomp, which we do not need).
option(SSTEP_ENABLE_CPU "Build the oneDNN CPU backend" ON)
set(SSTEP_HAVE_DNNL OFF)
if(SSTEP_ENABLE_CPU)
  find_package(dnnl CONFIG QUIET)
  find_library(SSTEP_GOMP NAMES gomp libgomp.so.1
    HINTS /usr/lib/gcc/x86_64-linux-gnu/12 /usr/lib/gcc/x86_64-linux-gnu/13)
  if(dnnl_FOUND AND SSTEP_GOMP)
    set(SSTEP_HAVE_DNNL ON)
  else()
    message(STATUS "SSTEP: CPU backend skipped, oneDNN or libgomp missing (scripts/bootstrap.sh installs them)")
  endif()
endif()
