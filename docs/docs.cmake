# The API reference (Doxygen, from the public headers) and the documentation
# checks. Included from the top-level CMakeLists.txt.
#
#   cmake --build --preset default --target docs   -> build/default/docs/html/index.html

find_program(INETKIT_DOXYGEN doxygen)
find_program(INETKIT_DOCS_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(INETKIT_DOXYGEN AND INETKIT_DOCS_PYTHON)
  # check_docs.py runs doxygen and fails on any warning or undescribed export.
  add_custom_target(docs
    COMMAND ${INETKIT_DOCS_PYTHON} ${PROJECT_SOURCE_DIR}/docs/check_docs.py reference
            ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/docs
    COMMENT "API reference: ${PROJECT_BINARY_DIR}/docs/html/index.html"
    VERBATIM)
else()
  add_custom_target(docs
    COMMAND ${CMAKE_COMMAND} -E echo "docs: doxygen not found (Debian package doxygen; bash .ci/install-deps.sh installs it)"
    COMMAND ${CMAKE_COMMAND} -E false
    VERBATIM)
endif()

# Plain builds only: nothing here is instrumented, and the walkthrough builds
# and runs the README's programs the way a newcomer would.
if(INETKIT_BUILD_TESTS AND NOT INETKIT_SANITIZERS AND INETKIT_DOCS_PYTHON)
  # Skipped (77) when doxygen is missing, except under CI, where it fails.
  add_test(NAME docs_every_export_documented
    COMMAND ${INETKIT_DOCS_PYTHON} ${PROJECT_SOURCE_DIR}/docs/check_docs.py reference ${PROJECT_SOURCE_DIR})
  add_test(NAME docs_readme_lists_every_export
    COMMAND ${INETKIT_DOCS_PYTHON} ${PROJECT_SOURCE_DIR}/docs/check_docs.py readme ${PROJECT_SOURCE_DIR})
  set_tests_properties(docs_every_export_documented docs_readme_lists_every_export PROPERTIES
    LABELS "abi" TIMEOUT 120 SKIP_RETURN_CODE 77)
endif()

# The README's newcomer walkthrough, run as written (docs/check_readme.py). Its
# first step is `cmake --preset default && cmake --build --preset default`, a
# no-op only in that build tree, so the test exists only there.
if(INETKIT_BUILD_TESTS AND NOT INETKIT_SANITIZERS AND INETKIT_DOCS_PYTHON)
  if(PROJECT_BINARY_DIR STREQUAL "${PROJECT_SOURCE_DIR}/build/default")
    add_test(NAME readme_walkthrough
      COMMAND ${INETKIT_DOCS_PYTHON} ${PROJECT_SOURCE_DIR}/docs/check_readme.py ${PROJECT_SOURCE_DIR})
    set_tests_properties(readme_walkthrough PROPERTIES LABELS "samples" TIMEOUT 900)
  else()
    message(STATUS "readme_walkthrough: not registered; the README builds in build/default, not ${PROJECT_BINARY_DIR}")
  endif()
endif()
