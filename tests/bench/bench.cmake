# The POP3 reference client, the ABI microbenchmark and the quick run of the
# whole suite (see the top of bench/README.md). pop_bench finds raw_pop beside itself.
add_executable(raw_pop ${CMAKE_CURRENT_LIST_DIR}/raw_pop.c)
target_link_libraries(raw_pop PRIVATE OpenSSL::SSL OpenSSL::Crypto)
target_compile_options(raw_pop PRIVATE -Wall -Wextra)
set_target_properties(raw_pop PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/bench)
add_dependencies(pop_bench raw_pop)

add_executable(abi_bench ${CMAKE_CURRENT_LIST_DIR}/abi_bench.c)
target_link_libraries(abi_bench PRIVATE inetkit::inetkit Threads::Threads)
target_compile_options(abi_bench PRIVATE -Wall -Wextra)
set_target_properties(abi_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/bench)

# Tiny workloads of every benchmark, so the suite cannot rot; figures are not
# judged. Plain builds only: sanitizers would measure themselves.
if(NOT INETKIT_SANITIZERS)
  add_test(NAME bench_quick
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/run.sh --quick --build-dir ${PROJECT_BINARY_DIR})
  set_tests_properties(bench_quick PROPERTIES LABELS "bench" TIMEOUT 900)
endif()
