file(REMOVE_RECURSE
  "CMakeFiles/echo_demo.dir/echo_demo.c.o"
  "CMakeFiles/echo_demo.dir/echo_demo.c.o.d"
  "echo_demo"
  "echo_demo.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/echo_demo.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
