// The public headers compiled as C++ with -Wall -Wextra -pedantic -Werror.
#include <inetkit.h>

#include <type_traits>

static_assert(sizeof(DWORD) == 4, "DWORD is 32 bits");
static_assert(sizeof(BOOL) == 4, "BOOL is 32 bits");
static_assert(sizeof(HCLIENT) == sizeof(void *), "HCLIENT is pointer-sized");
static_assert(noexcept(InetGetLastError()), "exports are noexcept in C++");
static_assert(INETKIT_ERROR_CONNECTION_REFUSED == 10061, "Winsock numbering");

int header_check_cxx();
int header_check_cxx() { return INETKIT_VERSION_NUMBER == 1000000 ? 0 : 1; }
