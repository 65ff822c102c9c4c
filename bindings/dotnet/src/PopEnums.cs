// PopEnums.cs - the option, mechanism and trace constants of inetkit/pop.h.
using System;

namespace Inetkit
{
    /// <summary>POP_OPTION_* flags for <see cref="PopClient.Connect"/>. Unknown bits are refused.</summary>
    [Flags]
    public enum PopOptions : uint
    {
        /// <summary>POP_OPTION_NONE: a plain session (port 995 still means implicit TLS).</summary>
        None = NativeMethods.POP_OPTION_NONE,

        /// <summary>POP_OPTION_LINEBREAK: the message stream and the data
        /// callback deliver one line (with its CR LF) at a time.</summary>
        LineBreak = NativeMethods.POP_OPTION_LINEBREAK,

        /// <summary>POP_OPTION_TUNNEL: the connection is tunnelled or forwarded:
        /// the port never implies TLS, and a TLS session verifies
        /// <see cref="InetCredentials.VerifyName"/> (which must then be set, or
        /// <see cref="TrustedSite"/>).</summary>
        Tunnel = NativeMethods.POP_OPTION_TUNNEL,

        /// <summary>POP_OPTION_TRUSTEDSITE: TLS without failing on certificate problems.</summary>
        TrustedSite = NativeMethods.POP_OPTION_TRUSTEDSITE,

        /// <summary>POP_OPTION_SECURE_EXPLICIT: STLS (RFC 2595), required: a
        /// server that does not offer it, or refuses it, fails the connect with
        /// <see cref="PopTlsRequiredException"/>.</summary>
        SecureExplicit = NativeMethods.POP_OPTION_SECURE_EXPLICIT,

        /// <summary>POP_OPTION_SECURE_IMPLICIT: TLS from the first byte (port 995 by default).</summary>
        SecureImplicit = NativeMethods.POP_OPTION_SECURE_IMPLICIT,

        /// <summary>POP_OPTION_SECURE, the same as <see cref="SecureExplicit"/>.</summary>
        Secure = NativeMethods.POP_OPTION_SECURE,

        /// <summary>POP_OPTION_PREFER_IPV6: try IPv6 addresses before IPv4.</summary>
        PreferIPv6 = NativeMethods.POP_OPTION_PREFER_IPV6,

        /// <summary>POP_OPTION_FREETHREAD: any thread may use the session; the
        /// library serialises the calls on it.</summary>
        FreeThread = NativeMethods.POP_OPTION_FREETHREAD,

        /// <summary>POP_OPTION_SECURE_FALLBACK: also allow TLS 1.0/1.1 and legacy ciphers.</summary>
        SecureFallback = NativeMethods.POP_OPTION_SECURE_FALLBACK,
    }

    /// <summary>Login mechanisms (POP_AUTH_*) for <see cref="PopClient.Login"/>.</summary>
    public enum PopAuth : uint
    {
        /// <summary>The strongest the server offers that fits the connection:
        /// SCRAM-SHA-256, SCRAM-SHA-1, CRAM-MD5, APOP, then (only over TLS) PLAIN
        /// and USER/PASS.</summary>
        Default = NativeMethods.POP_AUTH_DEFAULT,

        /// <summary>USER / PASS (the password in the clear: use it over TLS).</summary>
        Pass = NativeMethods.POP_AUTH_PASS,

        /// <summary>APOP (needs the timestamp of the server's greeting).</summary>
        Apop = NativeMethods.POP_AUTH_APOP,

        /// <summary>SASL LOGIN.</summary>
        Login = NativeMethods.POP_AUTH_LOGIN,

        /// <summary>SASL PLAIN.</summary>
        Plain = NativeMethods.POP_AUTH_PLAIN,

        /// <summary>SASL CRAM-MD5.</summary>
        CramMd5 = NativeMethods.POP_AUTH_CRAM_MD5,

        /// <summary>SASL SCRAM-SHA-1.</summary>
        ScramSha1 = NativeMethods.POP_AUTH_SCRAM_SHA1,

        /// <summary>SASL SCRAM-SHA-256.</summary>
        ScramSha256 = NativeMethods.POP_AUTH_SCRAM_SHA256,

        /// <summary>SASL XOAUTH2: the password is the OAuth 2.0 access token.</summary>
        XOAuth2 = NativeMethods.POP_AUTH_XOAUTH2,

        /// <summary>SASL OAUTHBEARER (RFC 7628): the password is the token.</summary>
        OAuthBearer = NativeMethods.POP_AUTH_OAUTHBEARER,
    }

    /// <summary>The direction of a traced protocol line (POP_TRACE_*).</summary>
    public enum PopTraceDirection : uint
    {
        /// <summary>A line we sent (credentials replaced by "&lt;redacted&gt;").</summary>
        Command = NativeMethods.POP_TRACE_COMMAND,

        /// <summary>A status line the server sent (message bodies are not traced).</summary>
        Reply = NativeMethods.POP_TRACE_REPLY,
    }
}
