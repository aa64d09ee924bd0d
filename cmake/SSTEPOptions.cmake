# Compiler flags for SSTEP's own targets. Third-party and generated code keeps its
# own flags; our code compiles warning-free or not at all.
function(sstep_set_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Werror -Wno-unused-parameter>)
endfunction()
