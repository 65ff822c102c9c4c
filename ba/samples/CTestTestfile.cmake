# CMake generated Testfile for 
# Source directory: /work/main/samples
# Build directory: /work/main/ba/samples
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
add_test([=[sample_echo_demo]=] "/work/main/ba/samples/echo_demo" "one line" "another")
set_tests_properties([=[sample_echo_demo]=] PROPERTIES  LABELS "samples" PASS_REGULAR_EXPRESSION "got \"ANOTHER\".*echo_demo: OK" TIMEOUT "60" _BACKTRACE_TRIPLES "/work/main/samples/CMakeLists.txt;6;add_test;/work/main/samples/CMakeLists.txt;0;")
add_test([=[sample_echo_demo_help]=] "/work/main/ba/samples/echo_demo" "--help")
set_tests_properties([=[sample_echo_demo_help]=] PROPERTIES  LABELS "samples" TIMEOUT "60" _BACKTRACE_TRIPLES "/work/main/samples/CMakeLists.txt;7;add_test;/work/main/samples/CMakeLists.txt;0;")
