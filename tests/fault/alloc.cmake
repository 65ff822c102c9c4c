# Allocation-failure torture (tests/fault/alloc_torture.c, README "allocation
# failure"): every k from 1 to N of one session against real servers (Dovecot,
# Knot), one ctest entry per session so that they run in parallel.
# One thread fails its allocations: nothing for ThreadSanitizer to see, and it would only cost CI time.
if(INETKIT_SANITIZERS MATCHES "thread")
  return()
endif()

add_executable(alloc_torture fault/alloc_torture.c fault/alloc_hooks.cpp)
target_include_directories(alloc_torture PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/support ${CMAKE_CURRENT_SOURCE_DIR}/fault)
# The hooks replace operator new and install OpenSSL's and c-ares' allocators, so both are linked directly.
target_link_libraries(alloc_torture PRIVATE inetkit::inetkit PkgConfig::CMOCKA OpenSSL::Crypto PkgConfig::CARES
  Threads::Threads)
target_compile_options(alloc_torture PRIVATE -Wall -Wextra)
target_compile_definitions(alloc_torture PRIVATE INETKIT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")

# Under ASan every run ends with a leak check, several times slower than a plain run.
set(alloc_timeout 1500)
if(INETKIT_SANITIZERS)
  set(alloc_timeout 2400)
endif()
foreach(session pop_plain pop_tls pop_stls inet_tls mx_sync mx_async)
  add_test(NAME alloc_${session} COMMAND alloc_torture ${session})
  set_tests_properties(alloc_${session} PROPERTIES LABELS "alloc;fault" TIMEOUT ${alloc_timeout})
endforeach()
# Under the sanitizers every k of the MX sessions takes about 6 min each (plain builds: 1.5 min):
# there they fail each distinct call stack once, like the TLS sessions (README).
if(INETKIT_SANITIZERS)
  set_tests_properties(alloc_mx_sync alloc_mx_async PROPERTIES ENVIRONMENT "INETKIT_ALLOC_EVERY=0")
endif()
