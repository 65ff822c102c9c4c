# CMake generated Testfile for 
# Source directory: /work/main/tests
# Build directory: /work/main/ba/tests
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
add_test([=[inet_api]=] "/work/main/ba/tests/inet_api")
set_tests_properties([=[inet_api]=] PROPERTIES  LABELS "api" TIMEOUT "120" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;9;add_test;/work/main/tests/CMakeLists.txt;13;inetkit_api_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[inet_threads]=] "/work/main/ba/tests/inet_threads")
set_tests_properties([=[inet_threads]=] PROPERTIES  LABELS "threads" TIMEOUT "120" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;9;add_test;/work/main/tests/CMakeLists.txt;14;inetkit_api_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[core_unit]=] "/work/main/ba/tests/core_unit")
set_tests_properties([=[core_unit]=] PROPERTIES  LABELS "unit" TIMEOUT "60" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;19;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[abi_headers_match_def]=] "/usr/bin/python3" "/work/main/tests/abi/check_exports.py" "headers" "/work/main")
set_tests_properties([=[abi_headers_match_def]=] PROPERTIES  LABELS "abi" TIMEOUT "60" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;26;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[abi_library_exports_match_def]=] "/usr/bin/python3" "/work/main/tests/abi/check_exports.py" "library" "/work/main" "/work/main/ba/libinetkit.so.1.0.0")
set_tests_properties([=[abi_library_exports_match_def]=] PROPERTIES  LABELS "abi" TIMEOUT "60" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;28;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[abi_bindings_cover_def]=] "/usr/bin/python3" "/work/main/tests/abi/check_bindings.py" "/work/main")
set_tests_properties([=[abi_bindings_cover_def]=] PROPERTIES  LABELS "abi" TIMEOUT "60" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;30;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[abi_dlsym_every_export]=] "/work/main/ba/tests/dlsym_all" "/work/main/ba/libinetkit.so.1.0.0" "/work/main/def/inetkit.def")
set_tests_properties([=[abi_dlsym_every_export]=] PROPERTIES  LABELS "abi" TIMEOUT "60" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;36;add_test;/work/main/tests/CMakeLists.txt;0;")
