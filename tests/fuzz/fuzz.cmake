# libFuzzer smoke run of every fuzz target (see fuzz/README.md): each replays
# its committed corpus, then fuzzes for 15 s. Built by run-fuzz.sh with
# clang's own sanitizers, so not in sanitizer builds, whose flags would
# clash, and only where clang++ is installed. The engine objects stay in the
# build directory, so only the first run compiles them.
if(NOT INETKIT_SANITIZERS)
  find_program(INETKIT_FUZZ_CXX NAMES clang++ clang++-16 clang++-15 clang++-14)
  if(INETKIT_FUZZ_CXX)
    add_test(NAME fuzz_smoke
      COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/run-fuzz.sh ${CMAKE_CURRENT_BINARY_DIR}/fuzz 15)
    set_tests_properties(fuzz_smoke PROPERTIES LABELS "fuzz" TIMEOUT 600
      ENVIRONMENT "FUZZ_CXX=${INETKIT_FUZZ_CXX}")
  endif()
endif()
