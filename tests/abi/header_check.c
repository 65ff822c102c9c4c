/* Compiled with -std=c99 -Wall -Wextra -pedantic -Werror: the public headers
   must stay clean C99. */
#include <inetkit.h>
#include <inetkit.h> /* include guards */

int header_check_c(void);
int header_check_c(void) {
    HCLIENT h = INVALID_CLIENT;
    DWORD code = INETKIT_ERROR_TIMED_OUT;
    INETTRACEPROC trace = 0;
    (void)trace;
    return (int)(code == 10060 && h == 0);
}
