// InetEnums.cs - the option, direction and timeout constants of inetkit/inet.h.
using System;

namespace Inetkit
{
    /// <summary>INET_OPTION_* flags for Connect, Listen and Accept.</summary>
    [Flags]
    public enum InetOptions : uint
    {
        /// <summary>INET_OPTION_NONE.</summary>
        None = NativeMethods.INET_OPTION_NONE,

        /// <summary>INET_OPTION_PREFER_IPV6: try IPv6 addresses before IPv4 (Connect).</summary>
        PreferIPv6 = NativeMethods.INET_OPTION_PREFER_IPV6,

        /// <summary>INET_OPTION_FREETHREAD: any thread may use the handle; the
        /// library serialises the calls on it.</summary>
        FreeThread = NativeMethods.INET_OPTION_FREETHREAD,
    }

    /// <summary>InetShutdown directions (INET_SHUTDOWN_*).</summary>
    public enum InetShutdown : uint
    {
        /// <summary>Stop receiving.</summary>
        Receive = NativeMethods.INET_SHUTDOWN_RECEIVE,

        /// <summary>Stop sending; the peer sees the end of the stream.</summary>
        Send = NativeMethods.INET_SHUTDOWN_SEND,

        /// <summary>Both.</summary>
        Both = NativeMethods.INET_SHUTDOWN_BOTH,
    }

    /// <summary>The direction of traced bytes (INET_TRACE_*).</summary>
    public enum InetTraceDirection : uint
    {
        /// <summary>Bytes received from the peer.</summary>
        Receive = NativeMethods.INET_TRACE_RECEIVE,

        /// <summary>Bytes sent to the peer.</summary>
        Send = NativeMethods.INET_TRACE_SEND,
    }
}
