file(REMOVE_RECURSE
  "CMakeFiles/dlsym_all.dir/abi/dlsym_all.c.o"
  "CMakeFiles/dlsym_all.dir/abi/dlsym_all.c.o.d"
  "dlsym_all"
  "dlsym_all.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/dlsym_all.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
