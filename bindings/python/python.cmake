# The Python samples (bindings/python/samples), run with Debian's interpreter
# against the library just built. Included from tests/CMakeLists.txt, which
# defines INETKIT_PYTHON. Plain builds only: the interpreter is not
# sanitizer-instrumented.
if(NOT INETKIT_SANITIZERS)
  set(INETKIT_PY_SAMPLES ${PROJECT_SOURCE_DIR}/bindings/python/samples)
  set(INETKIT_PY_ENV "INETKIT_LIBRARY=$<TARGET_FILE:inetkit>;PYTHONDONTWRITEBYTECODE=1")

  add_test(NAME python_sample_popcheck_help
    COMMAND ${INETKIT_PYTHON} ${INETKIT_PY_SAMPLES}/popcheck.py --help)
  set_tests_properties(python_sample_popcheck_help PROPERTIES
    PASS_REGULAR_EXPRESSION "usage: popcheck\\.py.*--stls.*--save DIR.*POP_PASSWORD.*Exit status")
  add_test(NAME python_sample_mxlookup_help
    COMMAND ${INETKIT_PYTHON} ${INETKIT_PY_SAMPLES}/mxlookup.py --help)
  set_tests_properties(python_sample_mxlookup_help PROPERTIES
    PASS_REGULAR_EXPRESSION "usage: mxlookup\\.py.*--server.*--async.*Exit status")

  # Against a private Dovecot and a private Knot on loopback, started and
  # stopped by the script; each output is checked line by line (check_samples.sh).
  add_test(NAME python_sample_popcheck_dovecot
    COMMAND bash ${PROJECT_SOURCE_DIR}/bindings/python/tests/check_samples.sh pop ${INETKIT_PYTHON} ${PROJECT_SOURCE_DIR})
  add_test(NAME python_sample_mxlookup_dns
    COMMAND bash ${PROJECT_SOURCE_DIR}/bindings/python/tests/check_samples.sh mx ${INETKIT_PYTHON} ${PROJECT_SOURCE_DIR})
  set_tests_properties(python_sample_popcheck_dovecot python_sample_mxlookup_dns PROPERTIES
    SKIP_RETURN_CODE 77 TIMEOUT 180)

  set_tests_properties(python_sample_popcheck_help python_sample_mxlookup_help
    python_sample_popcheck_dovecot python_sample_mxlookup_dns PROPERTIES
    LABELS "bindings;samples" ENVIRONMENT "${INETKIT_PY_ENV}")
  set_tests_properties(python_sample_popcheck_help python_sample_mxlookup_help PROPERTIES TIMEOUT 30)
endif()
