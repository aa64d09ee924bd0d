# Fails when the executable EXE asks the loader for a library matching
# FORBIDDEN (a regex): sstep-run must start a tensor run without the slide
# libraries and LLVM, which it opens as modules only when needed
# (tools/sstep-run/Modules.h). cmake -DEXE=... -DFORBIDDEN=... -P this
find_program(READELF readelf REQUIRED)
execute_process(COMMAND ${READELF} -d ${EXE} OUTPUT_VARIABLE dynamic
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "readelf -d ${EXE} failed")
endif()
string(REGEX MATCHALL "Shared library: \\[[^]]*\\]" needed "${dynamic}")
if(NOT needed)
  message(FATAL_ERROR "${EXE} needs no shared library at all? readelf said:\n${dynamic}")
endif()
foreach(entry IN LISTS needed)
  if(entry MATCHES "${FORBIDDEN}")
    message(FATAL_ERROR "${EXE} links ${entry}; it must open it as a module")
  endif()
endforeach()
message(STATUS "${EXE}: ${needed}")
