#include <inetkit.h>
#include <stdio.h>

int main(void) {
    if (InetInitialize() != 0) return 1;
    HCLIENT listener = InetListen("127.0.0.1", 0, 0, INET_OPTION_NONE, NULL);
    UINT port = 0;
    if (listener == INVALID_CLIENT || InetGetLocalAddress(listener, NULL, NULL, &port) != 0) return 1;
    printf("installed inetkit %u listens on 127.0.0.1:%u\n", InetGetVersion(), port);
    InetDisconnect(listener);
    return InetUninitialize() == 0 ? 0 : 1;
}
