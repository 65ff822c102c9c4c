file(REMOVE_RECURSE
  "CMakeFiles/inetkit_objects.dir/src/api/barrier.cpp.o"
  "CMakeFiles/inetkit_objects.dir/src/api/barrier.cpp.o.d"
  "CMakeFiles/inetkit_objects.dir/src/api/credentials.cpp.o"
  "CMakeFiles/inetkit_objects.dir/src/api/credentials.cpp.o.d"
  "CMakeFiles/inetkit_objects.dir/src/api/inet.cpp.o"
  "CMakeFiles/inetkit_objects.dir/src/api/inet.cpp.o.d"
  "CMakeFiles/inetkit_objects.dir/src/core/error.cpp.o"
  "CMakeFiles/inetkit_objects.dir/src/core/error.cpp.o.d"
  "CMakeFiles/inetkit_objects.dir/src/core/handle_table.cpp.o"
  "CMakeFiles/inetkit_objects.dir/src/core/handle_table.cpp.o.d"
  "CMakeFiles/inetkit_objects.dir/src/core/last_error.cpp.o"
  "CMakeFiles/inetkit_objects.dir/src/core/last_error.cpp.o.d"
  "CMakeFiles/inetkit_objects.dir/src/core/library.cpp.o"
  "CMakeFiles/inetkit_objects.dir/src/core/library.cpp.o.d"
  "CMakeFiles/inetkit_objects.dir/src/core/thread_posix.cpp.o"
  "CMakeFiles/inetkit_objects.dir/src/core/thread_posix.cpp.o.d"
  "CMakeFiles/inetkit_objects.dir/src/net/address.cpp.o"
  "CMakeFiles/inetkit_objects.dir/src/net/address.cpp.o.d"
  "CMakeFiles/inetkit_objects.dir/src/net/connection.cpp.o"
  "CMakeFiles/inetkit_objects.dir/src/net/connection.cpp.o.d"
  "CMakeFiles/inetkit_objects.dir/src/net/tls.cpp.o"
  "CMakeFiles/inetkit_objects.dir/src/net/tls.cpp.o.d"
  "CMakeFiles/inetkit_objects.dir/src/net/wait.cpp.o"
  "CMakeFiles/inetkit_objects.dir/src/net/wait.cpp.o.d"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/inetkit_objects.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
