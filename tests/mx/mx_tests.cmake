# The Mx family through the shared library (tests/api/test_mx.c): a real Knot and
# unbound started by tests/mx/dns.sh (Debian: knot, knot-dnsutils, unbound) and the
# scripted hostile DNS server of tests/support/dns_script.{h,c}.
inetkit_api_test(mx_api api/test_mx.c api mx)
target_sources(mx_api PRIVATE support/dns_script.c)
target_compile_definitions(mx_api PRIVATE INETKIT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
