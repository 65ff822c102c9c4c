// PopException.cs - the POP3 session errors (codes 700-799) as .NET exceptions.
//
// InetException.Create picks the type; these classes only name the cases a
// caller may want to catch on their own. The library's message, which quotes
// the server's reply when there was one, is the exception's Message; the
// reply line itself stays readable in PopClient.LastReply.
namespace Inetkit
{
    /// <summary>A POP3 session error (codes 700-799): the base of the types
    /// below, and itself the type of INETKIT_ERROR_PROTOCOL (the server broke
    /// the protocol), INETKIT_ERROR_AUTH_UNAVAILABLE (no mechanism that keeps
    /// the password secret on this connection, or none the server offers) and
    /// INETKIT_ERROR_RESPONSE_TOO_LARGE.</summary>
    public class PopException : InetException
    {
        /// <summary>Creates the exception.</summary>
        public PopException(InetErrorCode errorCode, string message) : base(errorCode, message) { }
    }

    /// <summary>The server refused a command with -ERR:
    /// INETKIT_ERROR_SERVER_ERROR, or the RFC 3206 response codes [SYS/TEMP]
    /// (INETKIT_ERROR_SERVER_TEMPORARY) and [SYS/PERM] (INETKIT_ERROR_SERVER_PERMANENT).</summary>
    public class PopServerException : PopException
    {
        /// <summary>Creates the exception.</summary>
        public PopServerException(InetErrorCode errorCode, string message) : base(errorCode, message) { }

        /// <summary>The server said the problem is temporary ([SYS/TEMP]): try again later.</summary>
        public bool IsTemporary
        {
            get { return ErrorCode == InetErrorCode.ServerTemporary; }
        }
    }

    /// <summary>The login failed: INETKIT_ERROR_AUTH_FAILED (the server refused
    /// the credentials) or INETKIT_ERROR_AUTH_SERVER_UNVERIFIED (the server
    /// accepted them but could not prove that it knows the password; the
    /// session has been given up).</summary>
    public class PopAuthenticationException : PopException
    {
        /// <summary>Creates the exception.</summary>
        public PopAuthenticationException(InetErrorCode errorCode, string message) : base(errorCode, message) { }
    }

    /// <summary>INETKIT_ERROR_MAILBOX_IN_USE: the server answered [IN-USE]:
    /// another session holds the mailbox.</summary>
    public class PopMailboxInUseException : PopException
    {
        /// <summary>Creates the exception.</summary>
        public PopMailboxInUseException(InetErrorCode errorCode, string message) : base(errorCode, message) { }
    }

    /// <summary>INETKIT_ERROR_LOGIN_DELAY: the server answered [LOGIN-DELAY]:
    /// the last login was too recent (see the LOGIN-DELAY capability).</summary>
    public class PopLoginDelayException : PopException
    {
        /// <summary>Creates the exception.</summary>
        public PopLoginDelayException(InetErrorCode errorCode, string message) : base(errorCode, message) { }
    }

    /// <summary>INETKIT_ERROR_TLS_REQUIRED: <see cref="PopOptions.SecureExplicit"/>
    /// was asked for and the server does not offer STLS, or refused it. Nothing
    /// was sent in plaintext after that, and there is no session.</summary>
    public class PopTlsRequiredException : PopException
    {
        /// <summary>Creates the exception.</summary>
        public PopTlsRequiredException(InetErrorCode errorCode, string message) : base(errorCode, message) { }
    }

    /// <summary>INETKIT_ERROR_MESSAGE_INCOMPLETE: the connection ended before
    /// the end of a message. Nothing of it was reported complete: no file was
    /// stored under its name. The session is over.</summary>
    public class PopMessageIncompleteException : PopException
    {
        /// <summary>Creates the exception.</summary>
        public PopMessageIncompleteException(InetErrorCode errorCode, string message) : base(errorCode, message) { }
    }
}
