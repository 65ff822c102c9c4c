# Network faults (tests/fault/net_faults.c): the shared library against a real
# Dovecot (tests/pop/dovecot.sh) and a real Knot (tests/mx/dns.sh, started by
# net_faults.sh) through the loopback fault proxy of tests/support/fault_proxy.h.
add_executable(fault_net fault/net_faults.c support/fault_proxy.c)
target_include_directories(fault_net PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/support)
target_link_libraries(fault_net PRIVATE inetkit::inetkit PkgConfig::CMOCKA Threads::Threads OpenSSL::Crypto)
target_compile_options(fault_net PRIVATE -Wall -Wextra)
target_compile_definitions(fault_net PRIVATE INETKIT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
add_test(NAME fault_net COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/fault/net_faults.sh $<TARGET_FILE:fault_net>)
set_tests_properties(fault_net PROPERTIES TIMEOUT 240 LABELS "fault")
