file(REMOVE_RECURSE
  "libinetkit.pdb"
  "libinetkit.so"
  "libinetkit.so.1"
  "libinetkit.so.1.0.0"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/inetkit.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
