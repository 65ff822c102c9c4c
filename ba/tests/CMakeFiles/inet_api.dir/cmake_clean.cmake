file(REMOVE_RECURSE
  "CMakeFiles/inet_api.dir/api/test_inet.c.o"
  "CMakeFiles/inet_api.dir/api/test_inet.c.o.d"
  "inet_api"
  "inet_api.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/inet_api.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
