
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/src/api/barrier.cpp" "CMakeFiles/inetkit_objects.dir/src/api/barrier.cpp.o" "gcc" "CMakeFiles/inetkit_objects.dir/src/api/barrier.cpp.o.d"
  "/work/main/src/api/credentials.cpp" "CMakeFiles/inetkit_objects.dir/src/api/credentials.cpp.o" "gcc" "CMakeFiles/inetkit_objects.dir/src/api/credentials.cpp.o.d"
  "/work/main/src/api/inet.cpp" "CMakeFiles/inetkit_objects.dir/src/api/inet.cpp.o" "gcc" "CMakeFiles/inetkit_objects.dir/src/api/inet.cpp.o.d"
  "/work/main/src/core/error.cpp" "CMakeFiles/inetkit_objects.dir/src/core/error.cpp.o" "gcc" "CMakeFiles/inetkit_objects.dir/src/core/error.cpp.o.d"
  "/work/main/src/core/handle_table.cpp" "CMakeFiles/inetkit_objects.dir/src/core/handle_table.cpp.o" "gcc" "CMakeFiles/inetkit_objects.dir/src/core/handle_table.cpp.o.d"
  "/work/main/src/core/last_error.cpp" "CMakeFiles/inetkit_objects.dir/src/core/last_error.cpp.o" "gcc" "CMakeFiles/inetkit_objects.dir/src/core/last_error.cpp.o.d"
  "/work/main/src/core/library.cpp" "CMakeFiles/inetkit_objects.dir/src/core/library.cpp.o" "gcc" "CMakeFiles/inetkit_objects.dir/src/core/library.cpp.o.d"
  "/work/main/src/core/thread_posix.cpp" "CMakeFiles/inetkit_objects.dir/src/core/thread_posix.cpp.o" "gcc" "CMakeFiles/inetkit_objects.dir/src/core/thread_posix.cpp.o.d"
  "/work/main/src/net/address.cpp" "CMakeFiles/inetkit_objects.dir/src/net/address.cpp.o" "gcc" "CMakeFiles/inetkit_objects.dir/src/net/address.cpp.o.d"
  "/work/main/src/net/connection.cpp" "CMakeFiles/inetkit_objects.dir/src/net/connection.cpp.o" "gcc" "CMakeFiles/inetkit_objects.dir/src/net/connection.cpp.o.d"
  "/work/main/src/net/tls.cpp" "CMakeFiles/inetkit_objects.dir/src/net/tls.cpp.o" "gcc" "CMakeFiles/inetkit_objects.dir/src/net/tls.cpp.o.d"
  "/work/main/src/net/wait.cpp" "CMakeFiles/inetkit_objects.dir/src/net/wait.cpp.o" "gcc" "CMakeFiles/inetkit_objects.dir/src/net/wait.cpp.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
