file(REMOVE_RECURSE
  "CMakeFiles/inet_threads.dir/threads/test_threads.c.o"
  "CMakeFiles/inet_threads.dir/threads/test_threads.c.o.d"
  "inet_threads"
  "inet_threads.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/inet_threads.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
