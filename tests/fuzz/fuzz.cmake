# libFuzzer smoke run of the Mx engine's parsers (see fuzz/README.md): built
# by run-fuzz.sh with clang's own sanitizers, so not in sanitizer builds,
# whose flags would clash, and only where clang++ is installed.
if(NOT INETKIT_SANITIZERS)
  find_program(INETKIT_FUZZ_CXX NAMES clang++ clang++-16 clang++-15 clang++-14)
  if(INETKIT_FUZZ_CXX)
    add_test(NAME fuzz_smoke
      COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/run-fuzz.sh ${CMAKE_CURRENT_BINARY_DIR}/fuzz 20)
    set_tests_properties(fuzz_smoke PROPERTIES LABELS "fuzz" TIMEOUT 300
      ENVIRONMENT "FUZZ_CXX=${INETKIT_FUZZ_CXX}")
  endif()
endif()
