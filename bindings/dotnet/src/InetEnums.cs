// InetEnums.cs - the option, direction and timeout constants of inetkit/inet.h.
using System;

namespace Inetkit
{
    /// <summary>INET_OPTION_* flags for Connect, Listen, Accept and StartTls.</summary>
    [Flags]
    public enum InetOptions : uint
    {
        /// <summary>INET_OPTION_NONE.</summary>
        None = NativeMethods.INET_OPTION_NONE,

        /// <summary>INET_OPTION_TRUSTEDSITE: TLS without verifying the peer's
        /// certificate at all (Connect, StartTls).</summary>
        TrustedSite = NativeMethods.INET_OPTION_TRUSTEDSITE,

        /// <summary>INET_OPTION_SECURE: TLS from the start: the handshake is part
        /// of Connect (implicit TLS), or of Accept on a listener made with it and
        /// server credentials.</summary>
        Secure = NativeMethods.INET_OPTION_SECURE,

        /// <summary>INET_OPTION_SECURE_FALLBACK: also allow TLS 1.0/1.1 and legacy ciphers.</summary>
        SecureFallback = NativeMethods.INET_OPTION_SECURE_FALLBACK,

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

    /// <summary>TLS protocol versions (INET_PROTOCOL_*, the TLS wire numbers).</summary>
    public enum InetProtocol : uint
    {
        /// <summary>INET_PROTOCOL_DEFAULT: the library's default in credentials;
        /// in <see cref="InetSecurityInfo"/>, a plain (unsecured) connection.</summary>
        Default = NativeMethods.INET_PROTOCOL_DEFAULT,

        /// <summary>TLS 1.0 (needs <see cref="InetOptions.SecureFallback"/>).</summary>
        Tls10 = NativeMethods.INET_PROTOCOL_TLS1_0,

        /// <summary>TLS 1.1 (needs <see cref="InetOptions.SecureFallback"/>).</summary>
        Tls11 = NativeMethods.INET_PROTOCOL_TLS1_1,

        /// <summary>TLS 1.2.</summary>
        Tls12 = NativeMethods.INET_PROTOCOL_TLS1_2,

        /// <summary>TLS 1.3.</summary>
        Tls13 = NativeMethods.INET_PROTOCOL_TLS1_3,
    }

    /// <summary>How the peer's certificate is verified (INET_VERIFY_*).</summary>
    public enum InetVerifyMode : uint
    {
        /// <summary>Clients: <see cref="Peer"/>; servers: <see cref="Query"/>.</summary>
        Auto = NativeMethods.INET_VERIFY_AUTO,

        /// <summary>Do not ask for or check the peer's certificate.</summary>
        None = NativeMethods.INET_VERIFY_NONE,

        /// <summary>Ask for and check it, but let the handshake succeed; read the
        /// outcome from <see cref="InetConnection.SecurityInfo"/> and
        /// <see cref="InetConnection.VerifyErrors"/>.</summary>
        Query = NativeMethods.INET_VERIFY_QUERY,

        /// <summary>Require a valid certificate (servers: a client certificate).</summary>
        Peer = NativeMethods.INET_VERIFY_PEER,
    }

    /// <summary>Numeric session fields for <see cref="InetConnection.GetSecurityValue"/> (INET_SECURITY_*).</summary>
    public enum InetSecurityValue : uint
    {
        /// <summary>The protocol, as <see cref="InetProtocol"/> (0 on a plain connection).</summary>
        Protocol = NativeMethods.INET_SECURITY_PROTOCOL,

        /// <summary>Secret bits of the cipher.</summary>
        CipherBits = NativeMethods.INET_SECURITY_CIPHER_BITS,

        /// <summary>1 when the session was resumed.</summary>
        Resumed = NativeMethods.INET_SECURITY_RESUMED,

        /// <summary>OpenSSL's X509_V_* result for the peer (0 = OK).</summary>
        VerifyResult = NativeMethods.INET_SECURITY_VERIFY_RESULT,

        /// <summary>The number of certificates the peer sent.</summary>
        PeerCertificates = NativeMethods.INET_SECURITY_PEER_CERTIFICATES,
    }

    /// <summary>What <see cref="InetLibrary.GetInfo"/> reports (INET_LIBRARY_*).</summary>
    public enum InetLibraryInfo : uint
    {
        /// <summary>inetkit's version, "1.0.0".</summary>
        Version = NativeMethods.INET_LIBRARY_VERSION,

        /// <summary>The OpenSSL version in use, e.g. "OpenSSL 3.0.x ...".</summary>
        OpenSslVersion = NativeMethods.INET_LIBRARY_OPENSSL_VERSION,

        /// <summary>The OpenSSL version inetkit was compiled against.</summary>
        OpenSslBuilt = NativeMethods.INET_LIBRARY_OPENSSL_BUILT,

        /// <summary>The c-ares version, e.g. "1.18.1".</summary>
        CaresVersion = NativeMethods.INET_LIBRARY_CARES_VERSION,
    }
}
