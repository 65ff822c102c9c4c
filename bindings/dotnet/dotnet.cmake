# dotnet.cmake - ctest entries for the .NET binding's library build and its
# samples (included from tests/CMakeLists.txt). Mono's mcs and mono stand in
# for the dotnet SDK, which CI does not have. Plain builds only: the Mono
# runtime is not sanitizer-instrumented.
if(NOT INETKIT_SANITIZERS)
  set(INETKIT_DOTNET_DIR ${PROJECT_SOURCE_DIR}/bindings/dotnet)
  set(INETKIT_DOTNET_SAMPLES ${CMAKE_CURRENT_BINARY_DIR}/dotnet-samples)

  # src/*.cs alone, as Inetkit.csproj describes it, into a library.
  add_test(NAME dotnet_library_builds
    COMMAND bash ${INETKIT_DOTNET_DIR}/tests/build-library.sh ${CMAKE_CURRENT_BINARY_DIR}/dotnet-library)
  set_tests_properties(dotnet_library_builds PROPERTIES TIMEOUT 300
    PASS_REGULAR_EXPRESSION "compiled alone into")

  add_test(NAME dotnet_samples_build
    COMMAND bash ${INETKIT_DOTNET_DIR}/samples/build.sh ${INETKIT_DOTNET_SAMPLES})
  set_tests_properties(dotnet_samples_build PROPERTIES TIMEOUT 300 FIXTURES_SETUP dotnet_samples)

  # --help and bad command lines; PopCheck against a private Dovecot; MxLookup against a private Knot.
  foreach(what usage pop mx)
    add_test(NAME dotnet_samples_${what}
      COMMAND bash ${INETKIT_DOTNET_DIR}/samples/check.sh ${what} ${INETKIT_DOTNET_SAMPLES})
    set_tests_properties(dotnet_samples_${what} PROPERTIES TIMEOUT 180 FIXTURES_REQUIRED dotnet_samples
      ENVIRONMENT "LD_LIBRARY_PATH=$<TARGET_FILE_DIR:inetkit>"
      PASS_REGULAR_EXPRESSION "all checks passed" FAIL_REGULAR_EXPRESSION "FAIL:")
  endforeach()
  set_tests_properties(dotnet_library_builds dotnet_samples_build dotnet_samples_usage dotnet_samples_pop
    dotnet_samples_mx PROPERTIES LABELS "bindings;samples")
endif()
