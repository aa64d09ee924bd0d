# Fails when a generated doc under BUILT differs from its copy under COMMITTED.
string(REPLACE "," ";" NAMES "${NAMES}")
foreach(name ${NAMES})
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files
    ${BUILT}/${name}.md ${COMMITTED}/${name}.md RESULT_VARIABLE differs)
  if(differs)
    message(FATAL_ERROR "docs/generated/${name}.md is stale or missing: run scripts/update-docs.sh")
  endif()
endforeach()
