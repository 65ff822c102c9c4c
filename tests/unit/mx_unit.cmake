# Engine internals of the Mx family, linked from the objects: the strict DNS
# message reader and the rules for addresses, domains and exchanger names.
add_executable(mx_unit unit/test_mx_wire.cpp)
target_link_libraries(mx_unit PRIVATE inetkit_objects PkgConfig::CMOCKA)
add_test(NAME mx_unit COMMAND mx_unit)
set_tests_properties(mx_unit PROPERTIES TIMEOUT 60 LABELS "unit")
