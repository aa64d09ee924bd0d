# MLIR/LLVM 19 and the lit/FileCheck test tools, for the compiler. Defaults
# match Debian 12's llvm-19 packages (scripts/bootstrap.sh).

# MLIR's package version must match exactly, so ask for none and check the
# major version.
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
# `cmake --install` ships the runtime package and the tools only
# (cmake/SSTEPInstall.cmake): keep add_mlir_library from installing the
# compiler's static libraries too.
set(LLVM_INSTALL_TOOLCHAIN_ONLY ON)

# LLVM's headers are third-party: keep their warnings out of -Werror.
include_directories(SYSTEM ${LLVM_INCLUDE_DIRS} ${MLIR_INCLUDE_DIRS})
link_directories(${LLVM_BUILD_LIBRARY_DIR})
add_definitions(${LLVM_DEFINITIONS})

find_program(SSTEP_FILECHECK FileCheck
  HINTS ${LLVM_TOOLS_BINARY_DIR} /usr/lib/llvm-19/bin REQUIRED)
get_filename_component(SSTEP_LLVM_TOOLS_DIR ${SSTEP_FILECHECK} DIRECTORY)
find_file(SSTEP_LIT lit.py
  HINTS ${LLVM_EXTERNAL_LIT_DIR} /usr/lib/llvm-19/build/utils/lit
  NO_DEFAULT_PATH)
if(NOT SSTEP_LIT)
  find_program(SSTEP_LIT NAMES lit llvm-lit REQUIRED)
endif()
