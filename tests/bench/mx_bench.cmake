# MX benchmark programs: built with the tests, never run by ctest (see the mx_bench section of bench/README.md).
# run-mx-bench.sh runs them; mx_bench finds cares_ref beside itself.
add_executable(mx_bench ${CMAKE_CURRENT_LIST_DIR}/mx_bench.c)
target_link_libraries(mx_bench PRIVATE inetkit::inetkit)
target_compile_options(mx_bench PRIVATE -Wall -Wextra)
target_compile_definitions(mx_bench PRIVATE MX_BENCH_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
set_target_properties(mx_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/bench)

# The c-ares reference: the same lookups written directly on c-ares.
add_executable(cares_ref ${CMAKE_CURRENT_LIST_DIR}/cares_ref.c)
target_link_libraries(cares_ref PRIVATE PkgConfig::CARES)
target_compile_options(cares_ref PRIVATE -Wall -Wextra)
set_target_properties(cares_ref PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/bench)
add_dependencies(mx_bench cares_ref)
