# The `package` test (cmake -P): installs the build tree into WORK/prefix,
# makes a plan and an executable with the installed sstep-compile (and, with
# slides, a slide with the installed sstep-slide and sstep-run's result on it),
# then configures, builds and runs the consumer project against the prefix
# with the build's compiler, launcher and generator.
#
# -D: BUILD_DIR, SOURCE_DIR (test/package), WORK, GENERATOR, MAKE_PROGRAM,
#     CXX_COMPILER, CXX_LAUNCHER (may be empty), BUILD_TYPE, EXPECT_CPU,
#     EXPECT_SLIDE (the build's SSTEP_HAVE_DNNL and SSTEP_HAVE_SLIDE), PYTHON
#     (the interpreter of the build's Python package; empty without one).
cmake_minimum_required(VERSION 3.20)

# Runs a step quietly; on failure prints its output and stops the test.
function(step name)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc
    OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "package: ${name} failed (${rc}):\n${out}")
  endif()
  message(STATUS "package: ${name}")
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

set(prefix ${WORK}/prefix)
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

step("install into ${prefix}" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(file lib/cmake/SSTEP/SSTEPConfig.cmake lib/cmake/SSTEP/SSTEPConfigVersion.cmake
             lib/cmake/SSTEP/SSTEPTargets.cmake include/sstep/runtime/api/Model.h
             bin/sstep-compile bin/sstep-run libexec/sstep/sstep-aot-runner
             lib/SStepCompileInMemory.so)
  if(NOT EXISTS ${prefix}/${file})
    message(FATAL_ERROR "package: the install lacks ${file}")
  endif()
endforeach()

# The runtime's libraries only: the compiler's stay in the build.
file(GLOB libs RELATIVE ${prefix}/lib ${prefix}/lib/*.a)
foreach(lib IN LISTS libs)
  if(NOT lib MATCHES "^libSStep(Core|Plan|Exec|Reference|Cpu|Train|Cuda|CudaArena|Slide|Pipeline|Model|Runtime)\\.a$")
    message(FATAL_ERROR "package: the install has ${lib}, not a runtime library")
  endif()
endforeach()

# sstep-run runs slides through its module in ../lib.
if(EXPECT_SLIDE AND NOT EXISTS ${prefix}/lib/SStepRunSlide.so)
  message(FATAL_ERROR "package: the install lacks lib/SStepRunSlide.so")
endif()

# The installed tools run from the prefix: sstep-compile --emit=exe finds
# the AOT runner in ../libexec/sstep.
# The installed sstep-run finds its compiler module in ../lib.
step("sstep-run an ONNX model" ${prefix}/bin/sstep-run ${SOURCE_DIR}/se.onnxtxt
  --plan-info)
if(NOT step_output MATCHES "an ONNX model compiled in memory")
  message(FATAL_ERROR "package: sstep-run did not compile the model:\n"
    "${step_output}")
endif()
step("sstep-compile a plan" ${prefix}/bin/sstep-compile ${SOURCE_DIR}/se.onnxtxt
     -o ${WORK}/se.sstep)
step("sstep-compile an executable" ${prefix}/bin/sstep-compile ${SOURCE_DIR}/se.onnxtxt
     --emit=exe -o ${WORK}/se-exe)
set(slide_args)
if(EXPECT_SLIDE)
  step("sstep-slide mkslide" ${prefix}/bin/sstep-slide mkslide -o ${WORK}/slide.tif
       --size 300,200)
  step("sstep-run over the slide" ${prefix}/bin/sstep-run ${WORK}/se.sstep ${WORK}/slide.tif
       -o ${WORK}/cli.npy --normalize=none --quiet)
  set(slide_args ${WORK}/slide.tif ${WORK}/cli.npy ${WORK}/consumer.npy)
endif()

# The installed Python package compiles in memory through the installed
# lib/SStepCompileInMemory.so and equals the installed sstep-compile's plan.
if(PYTHON)
  set(pydir ${prefix}/lib/python3/dist-packages)
  step("import the installed sstep" ${CMAKE_COMMAND} -E env PYTHONPATH=${pydir}
       ${PYTHON} -c "
import numpy as np, sstep
assert sstep.__file__.startswith('${pydir}/'), sstep.__file__
x = np.random.default_rng(0).standard_normal((1, 3, 37, 29)).astype(np.float32)
a = sstep.compile('${SOURCE_DIR}/se.onnxtxt').run(x, backend='reference')
b = sstep.load('${WORK}/se.sstep').run(x, backend='reference')
assert np.array_equal(a, b)
print('python ok', sstep.__file__)
")
endif()

# The compiler and generator of the build; CMAKE_PREFIX_PATH is how an
# embedder points find_package(SSTEP) at an installation.
step("configure the consumer" ${CMAKE_COMMAND} -S ${SOURCE_DIR}/consumer -B ${WORK}/consumer
     -G ${GENERATOR} -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}
     -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_CXX_COMPILER_LAUNCHER=${CXX_LAUNCHER}
     -DCMAKE_BUILD_TYPE=${BUILD_TYPE} -DCMAKE_PREFIX_PATH=${prefix}
     -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
string(REGEX MATCH "consumer: SSTEP [^\n]*" found "${step_output}")
message(STATUS "package: ${found}")
if(NOT found MATCHES "from ${prefix}/")
  message(FATAL_ERROR "package: find_package(SSTEP) did not find ${prefix}")
endif()
step("build the consumer" ${CMAKE_COMMAND} --build ${WORK}/consumer)

execute_process(COMMAND ${WORK}/consumer/sstep-consumer ${WORK}/se.sstep ${WORK}/se-exe
                        ${slide_args}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "package: sstep-consumer failed (${rc})")
endif()
if(EXPECT_CPU AND NOT out MATCHES "ok: cpu tiled")
  message(FATAL_ERROR "package: the build has the cpu backend, the consumer did not run it")
endif()
if(EXPECT_SLIDE AND NOT out MATCHES "ok: runOnSlide")
  message(FATAL_ERROR "package: the build has slides, the consumer did not run one")
endif()
