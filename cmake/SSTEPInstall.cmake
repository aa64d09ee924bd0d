# Install rules: `cmake --install BUILD --prefix P` puts the runtime into P as
# a CMake package, so that programs embed SSTEP with find_package(SSTEP) and
# SSTEP::Runtime (docs/embedding.md), and the tools beside it. Included from
# the top-level CMakeLists.txt once every target exists.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Headers keep their repository paths ("runtime/api/Model.h") under one
# folder of their own, so consumers spell includes as SSTEP's sources do.
set(SSTEP_INSTALL_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR}/sstep)
set(SSTEP_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/SSTEP)
# Fixed rather than CMAKE_INSTALL_LIBEXECDIR: sstep-compile looks for the AOT
# runner in ../libexec/sstep relative to itself.
set(SSTEP_INSTALL_LIBEXECDIR libexec/sstep)

# --- Libraries -------------------------------------------------------------------
# The runtime's static libraries, in dependency order; the optional ones only
# when built. Exported as SSTEP::<name without the SStep prefix>.
set(SSTEP_EXPORTED_LIBS SStepCore SStepPlan SStepExec SStepReference)
set(SSTEP_EXPORTED_DIRS core plan exec reference api)
if(TARGET SStepCpu)
  list(APPEND SSTEP_EXPORTED_LIBS SStepCpu)
  list(APPEND SSTEP_EXPORTED_DIRS cpu)
endif()
# The backward pass (after the cpu backend, whose gradient kernels it makes).
list(APPEND SSTEP_EXPORTED_LIBS SStepTrain)
list(APPEND SSTEP_EXPORTED_DIRS train)
if(TARGET SStepCuda)
  # Its headers beyond CudaBackend.h need the CUDA toolkit's; they stay in
  # the build (installed below: the CUDA-free ones only).
  list(APPEND SSTEP_EXPORTED_LIBS SStepCudaArena SStepCuda)
endif()
if(TARGET SStepSlide)
  list(APPEND SSTEP_EXPORTED_LIBS SStepSlide SStepPipeline)
  list(APPEND SSTEP_EXPORTED_DIRS slide pipeline)
endif()
list(APPEND SSTEP_EXPORTED_LIBS SStepModel SStepRuntime)
foreach(lib IN LISTS SSTEP_EXPORTED_LIBS)
  string(REGEX REPLACE "^SStep" "" name ${lib})
  set_target_properties(${lib} PROPERTIES EXPORT_NAME ${name})
endforeach()

# zlib is optional for SStepCore (runtime/core/CMakeLists.txt); the package
# re-finds it only when the exported library links it.
get_target_property(SSTEP_CORE_LIBS SStepCore LINK_LIBRARIES)
set(SSTEP_USES_ZLIB OFF)
if("ZLIB::ZLIB" IN_LIST SSTEP_CORE_LIBS)
  set(SSTEP_USES_ZLIB ON)
endif()
# libgomp (SStepCpu) and HDF5 (SStepSlide) are linked by path, so the export
# names those files as the build found them; the package checks they are still
# there. Re-finding HDF5 would take FindHDF5, which compiles C and so fails in
# the C++-only projects most embedders are.
set(SSTEP_LINKED_FILES)
if(TARGET SStepCpu)
  list(APPEND SSTEP_LINKED_FILES ${SSTEP_GOMP})
endif()
if(TARGET SStepSlide)
  foreach(lib IN LISTS HDF5_C_LIBRARIES)
    if(IS_ABSOLUTE "${lib}")
      list(APPEND SSTEP_LINKED_FILES ${lib})
    endif()
  endforeach()
endif()
list(REMOVE_DUPLICATES SSTEP_LINKED_FILES)

# INCLUDES DESTINATION gives every exported target the installed include
# folder; inside the build the global include_directories() still serves.
install(TARGETS ${SSTEP_EXPORTED_LIBS} EXPORT SSTEPTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${SSTEP_INSTALL_INCLUDEDIR})

# --- Headers ---------------------------------------------------------------------
# Only the folders of installed libraries: runtime/cuda's headers belong to a
# library the package does not ship, and runtime/api/Slide.h needs the slide
# pipeline's. Hdf5Util.h is the slide writers' own (it includes hdf5.h).
set(SSTEP_HEADER_EXCLUDES PATTERN Hdf5Util.h EXCLUDE)
if(NOT TARGET SStepSlide)
  list(APPEND SSTEP_HEADER_EXCLUDES PATTERN Slide.h EXCLUDE)
endif()
foreach(dir IN LISTS SSTEP_EXPORTED_DIRS)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/runtime/${dir}/
    DESTINATION ${SSTEP_INSTALL_INCLUDEDIR}/runtime/${dir}
    FILES_MATCHING PATTERN "*.h" ${SSTEP_HEADER_EXCLUDES})
endforeach()
if(TARGET SStepCuda)
  install(FILES
    ${PROJECT_SOURCE_DIR}/runtime/cuda/Arena.h
    ${PROJECT_SOURCE_DIR}/runtime/cuda/CudaBackend.h
    ${PROJECT_SOURCE_DIR}/runtime/cuda/KernelAbi.h
    DESTINATION ${SSTEP_INSTALL_INCLUDEDIR}/runtime/cuda)
endif()
# The dialect's MLIR-free rule headers, which runtime headers include.
install(FILES
  ${PROJECT_SOURCE_DIR}/dialects/sstep/IR/AxisRule.h
  ${PROJECT_SOURCE_DIR}/dialects/sstep/IR/ShapeRules.h
  ${PROJECT_SOURCE_DIR}/dialects/sstep/IR/SpatialRules.h
  DESTINATION ${SSTEP_INSTALL_INCLUDEDIR}/dialects/sstep/IR)

# --- Tools -----------------------------------------------------------------------
# Installed tools keep the rpath to shared libraries outside the system's
# search path (LLVM's in /usr/lib/llvm-19/lib, HDF5's serial folder) that the
# build tree's rpath gave them.
foreach(tool sstep-run sstep-compile sstep-import sstep-opt sstep-slide)
  if(TARGET ${tool})
    set_target_properties(${tool} PROPERTIES INSTALL_RPATH_USE_LINK_PATH ON)
    install(TARGETS ${tool} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()
# sstep-run opens its ONNX compiler and its slide side from ../lib
# (tools/sstep-run/Modules.h).
foreach(module SStepCompileInMemory SStepRunSlideModule)
  if(TARGET ${module})
    set_target_properties(${module} PROPERTIES INSTALL_RPATH_USE_LINK_PATH ON)
    install(TARGETS ${module} LIBRARY DESTINATION lib)
  endif()
endforeach()
set_target_properties(sstep-aot-runner PROPERTIES INSTALL_RPATH_USE_LINK_PATH ON)
install(TARGETS sstep-aot-runner RUNTIME DESTINATION ${SSTEP_INSTALL_LIBEXECDIR})

# --- Python package ----------------------------------------------------------
# Debian's layout: PREFIX/lib/python3/dist-packages/sstep, three folders below
# lib/, where the package looks for the compiler module
# (python/src/PlanBindings.cpp). /usr/lib/python3/dist-packages is on Debian's
# python3 path; for another prefix, PYTHONPATH names the folder.
if(TARGET sstep-python)
  set(SSTEP_INSTALL_PYTHONDIR lib/python3/dist-packages/sstep)
  set_target_properties(sstep-python PROPERTIES INSTALL_RPATH_USE_LINK_PATH ON)
  install(TARGETS sstep-python LIBRARY DESTINATION ${SSTEP_INSTALL_PYTHONDIR})
  install(FILES
    ${PROJECT_BINARY_DIR}/python/sstep/__init__.py
    ${PROJECT_BINARY_DIR}/python/sstep/__init__.pyi
    ${PROJECT_BINARY_DIR}/python/sstep/py.typed
    ${PROJECT_BINARY_DIR}/python/sstep/torch.py
    DESTINATION ${SSTEP_INSTALL_PYTHONDIR})
endif()

# --- Package files ---------------------------------------------------------------
install(EXPORT SSTEPTargets NAMESPACE SSTEP::
  DESTINATION ${SSTEP_INSTALL_CMAKEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/SSTEPConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/SSTEPConfig.cmake
  INSTALL_DESTINATION ${SSTEP_INSTALL_CMAKEDIR}
  PATH_VARS SSTEP_INSTALL_INCLUDEDIR)
# 0.x: a minor version may break the API, so only the same minor matches.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cmake/SSTEPConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/cmake/SSTEPConfig.cmake
  ${PROJECT_BINARY_DIR}/cmake/SSTEPConfigVersion.cmake
  DESTINATION ${SSTEP_INSTALL_CMAKEDIR})
