file(REMOVE_RECURSE
  "CMakeFiles/header_check.dir/abi/header_check.c.o"
  "CMakeFiles/header_check.dir/abi/header_check.c.o.d"
  "CMakeFiles/header_check.dir/abi/header_check.cpp.o"
  "CMakeFiles/header_check.dir/abi/header_check.cpp.o.d"
)

# Per-language clean rules from dependency scanning.
foreach(lang C CXX)
  include(CMakeFiles/header_check.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
