file(REMOVE_RECURSE
  "CMakeFiles/core_unit.dir/unit/test_core.cpp.o"
  "CMakeFiles/core_unit.dir/unit/test_core.cpp.o.d"
  "core_unit"
  "core_unit.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/core_unit.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
