// InetException.cs - inetkit errors as .NET exceptions.
//
// Every failing export sets the calling thread's last-error store (a code and
// a message). VerifySuccess reads the message on the same thread, as the first
// inetkit call after the failing one, and throws the matching exception type.
using System;

namespace Inetkit
{
    /// <summary>An inetkit call failed. <see cref="ErrorCode"/> is the
    /// INETKIT_ERROR_* code; <see cref="Exception.Message"/> is the library's
    /// message for the failing call (or the code's static description when the
    /// library gave none).</summary>
    public class InetException : Exception
    {
        /// <summary>Creates an exception for <paramref name="errorCode"/>.</summary>
        public InetException(InetErrorCode errorCode, string message)
            : this(errorCode, message, null)
        {
        }

        /// <summary>Creates an exception for <paramref name="errorCode"/> with an inner exception.</summary>
        public InetException(InetErrorCode errorCode, string message, Exception innerException)
            : base(string.IsNullOrEmpty(message) ? DefaultMessage(errorCode) : message, innerException)
        {
            ErrorCode = errorCode;
            NativeMessage = message ?? string.Empty;
        }

        /// <summary>The inetkit error code.</summary>
        public InetErrorCode ErrorCode { get; private set; }

        /// <summary>The message the library stored for the failing call (may be empty).</summary>
        public string NativeMessage { get; private set; }

        /// <summary>The exception type that represents <paramref name="errorCode"/>.</summary>
        public static InetException Create(InetErrorCode errorCode, string message)
        {
            switch (errorCode)
            {
                case InetErrorCode.TimedOut:
                    return new InetTimeoutException(errorCode, message);
                case InetErrorCode.Canceled:
                    return new InetCanceledException(errorCode, message);
                case InetErrorCode.InvalidHandle:
                    return new InetInvalidHandleException(errorCode, message);
                case InetErrorCode.WrongThread:
                    return new InetWrongThreadException(errorCode, message);
                case InetErrorCode.ConnectionRefused:
                case InetErrorCode.ConnectionReset:
                case InetErrorCode.ConnectionAborted:
                case InetErrorCode.ConnectionClosed:
                case InetErrorCode.NetworkDown:
                case InetErrorCode.NetworkUnreachable:
                case InetErrorCode.NetworkReset:
                case InetErrorCode.NotConnected:
                case InetErrorCode.Shutdown:
                case InetErrorCode.HostDown:
                case InetErrorCode.HostUnreachable:
                    return new InetConnectionException(errorCode, message);
                case InetErrorCode.CertificateUntrusted:
                case InetErrorCode.CertificateExpired:
                case InetErrorCode.CertificateNameMismatch:
                case InetErrorCode.CertificateRevoked:
                case InetErrorCode.CertificateInvalid:
                case InetErrorCode.CertificateNotYetValid:
                case InetErrorCode.CertificateChainTooLong:
                case InetErrorCode.PublicKeyMismatch:
                case InetErrorCode.CertificateRequired:
                    return new InetCertificateException(errorCode, message);
                case InetErrorCode.SecurityCredentials:
                case InetErrorCode.CertificateLoad:
                    return new InetCredentialsException(errorCode, message);
                case InetErrorCode.PlaintextInjection:
                    return new InetPlaintextInjectionException(errorCode, message);
                case InetErrorCode.NotFound:
                    return new InetNotFoundException(errorCode, message);
                case InetErrorCode.InvalidState:
                    return new InetInvalidStateException(errorCode, message);
                case InetErrorCode.AuthFailed:
                case InetErrorCode.AuthServerUnverified:
                    return new PopAuthenticationException(errorCode, message);
                case InetErrorCode.MailboxInUse:
                    return new PopMailboxInUseException(errorCode, message);
                case InetErrorCode.LoginDelay:
                    return new PopLoginDelayException(errorCode, message);
                case InetErrorCode.TlsRequired:
                    return new PopTlsRequiredException(errorCode, message);
                case InetErrorCode.MessageIncomplete:
                    return new PopMessageIncompleteException(errorCode, message);
                case InetErrorCode.ServerError:
                case InetErrorCode.ServerTemporary:
                case InetErrorCode.ServerPermanent:
                    return new PopServerException(errorCode, message);
                case InetErrorCode.Protocol:
                case InetErrorCode.AuthUnavailable:
                case InetErrorCode.ResponseTooLarge:
                    return new PopException(errorCode, message);
                case InetErrorCode.NullMx:
                    return new MxNullMxException(errorCode, message);
                case InetErrorCode.DnsBadResponse:
                case InetErrorCode.DnsBadName:
                    return new MxException(errorCode, message);
                case InetErrorCode.SecurityLibrary:
                case InetErrorCode.SecurityContext:
                case InetErrorCode.SecurityHandshake:
                case InetErrorCode.SecurityProtocol:
                case InetErrorCode.SecurityCipher:
                case InetErrorCode.SecurityNotEstablished:
                case InetErrorCode.EncryptingData:
                case InetErrorCode.DecryptingData:
                    return new InetSecurityException(errorCode, message);
                default:
                    return new InetException(errorCode, message);
            }
        }

        /// <summary>Throws for a non-zero return code of an inetkit export. Call
        /// it on the thread that made the call, with no inetkit call in between
        /// (the message is read from the thread's last-error store).</summary>
        internal static void VerifySuccess(uint rc)
        {
            if (rc != 0)
            {
                throw FromLastError(rc);
            }
        }

        /// <summary>Builds (does not throw) the exception for <paramref name="rc"/>,
        /// reading the message from the calling thread's last-error store. Same
        /// rule as <see cref="VerifySuccess"/>: nothing may run in between.</summary>
        internal static InetException FromLastError(uint rc)
        {
            return Create((InetErrorCode)rc, LastErrorMessage());
        }

        /// <summary>InetGetLastErrorMessage with the size-query idiom. Does not
        /// change the last-error store.</summary>
        internal static string LastErrorMessage()
        {
            string message;
            uint rc = Utf8.Query(delegate(byte[] buffer, ref uint size)
            {
                return NativeMethods.InetGetLastErrorMessage(buffer, ref size);
            }, 1024, out message);
            return rc == 0 ? message : string.Empty;
        }

        private static string DefaultMessage(InetErrorCode errorCode)
        {
            string text = InetLibrary.TryGetErrorString((uint)errorCode);
            return text ?? ("inetkit error " + ((uint)errorCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>INETKIT_ERROR_TIMED_OUT: a connect, accept, read or write ran out of time.</summary>
    public class InetTimeoutException : InetException
    {
        /// <summary>Creates the exception.</summary>
        public InetTimeoutException(InetErrorCode errorCode, string message) : base(errorCode, message) { }
    }

    /// <summary>INETKIT_ERROR_CANCELED: the blocking call was canceled by
    /// <see cref="InetConnection.Cancel"/> or by disposing the object on another thread.</summary>
    public class InetCanceledException : InetException
    {
        /// <summary>Creates the exception.</summary>
        public InetCanceledException(InetErrorCode errorCode, string message) : base(errorCode, message) { }
    }

    /// <summary>The connection could not be made or was lost (refused, reset,
    /// aborted, closed by the peer, shut down, network or host unreachable).</summary>
    public class InetConnectionException : InetException
    {
        /// <summary>Creates the exception.</summary>
        public InetConnectionException(InetErrorCode errorCode, string message) : base(errorCode, message) { }
    }

    /// <summary>INETKIT_ERROR_INVALID_HANDLE: the handle is closed, stale or of the wrong kind.</summary>
    public class InetInvalidHandleException : InetException
    {
        /// <summary>Creates the exception.</summary>
        public InetInvalidHandleException(InetErrorCode errorCode, string message) : base(errorCode, message) { }
    }

    /// <summary>INETKIT_ERROR_WRONG_THREAD: the handle belongs to another thread.
    /// The message names both thread ids. Use the FreeThread option, or
    /// AttachThread, to use a handle from another thread.</summary>
    public class InetWrongThreadException : InetException
    {
        /// <summary>Creates the exception.</summary>
        public InetWrongThreadException(InetErrorCode errorCode, string message) : base(errorCode, message) { }
    }

    /// <summary>A TLS failure: the handshake, protocol or cipher negotiation,
    /// encryption, or a call that needs a secured connection on a plain one
    /// (codes 270-284 and 608-612). The subclasses narrow it down.</summary>
    public class InetSecurityException : InetException
    {
        /// <summary>Creates the exception.</summary>
        public InetSecurityException(InetErrorCode errorCode, string message) : base(errorCode, message) { }
    }

    /// <summary>The peer's certificate was refused: untrusted, expired, not yet
    /// valid, wrong host name, revoked, malformed, chain too long, public key not
    /// the pinned one, or a certificate was required and not given (codes
    /// 275-279, 609-612). The message carries OpenSSL's reason. To inspect the
    /// problems, connect with <see cref="InetVerifyMode.Query"/> and read
    /// <see cref="InetConnection.VerifyErrors"/>.</summary>
    public class InetCertificateException : InetSecurityException
    {
        /// <summary>Creates the exception.</summary>
        public InetCertificateException(InetErrorCode errorCode, string message) : base(errorCode, message) { }
    }

    /// <summary>Our own credentials are unusable: a file or PEM text does not
    /// load, the passphrase is wrong, or the key does not match the certificate
    /// (INETKIT_ERROR_CERTIFICATE_LOAD, INETKIT_ERROR_SECURITY_CREDENTIALS).</summary>
    public class InetCredentialsException : InetSecurityException
    {
        /// <summary>Creates the exception.</summary>
        public InetCredentialsException(InetErrorCode errorCode, string message) : base(errorCode, message) { }
    }

    /// <summary>INETKIT_ERROR_PLAINTEXT_INJECTION: unread plaintext was waiting
    /// when <see cref="InetConnection.StartTls"/> began, so nothing was sent. The
    /// bytes stay readable, but treat the connection as compromised and close it.</summary>
    public class InetPlaintextInjectionException : InetSecurityException
    {
        /// <summary>Creates the exception.</summary>
        public InetPlaintextInjectionException(InetErrorCode errorCode, string message) : base(errorCode, message) { }
    }

    /// <summary>INETKIT_ERROR_NOT_FOUND: the item asked for does not exist (a
    /// capability the server does not list, a unique id no message has, a
    /// directory that is not there).</summary>
    public class InetNotFoundException : InetException
    {
        /// <summary>Creates the exception.</summary>
        public InetNotFoundException(InetErrorCode errorCode, string message) : base(errorCode, message) { }
    }

    /// <summary>INETKIT_ERROR_INVALID_STATE: the call does not fit the state of
    /// the session (a POP3 message command before login, a second login, any
    /// other command while a message stream is open).</summary>
    public class InetInvalidStateException : InetException
    {
        /// <summary>Creates the exception.</summary>
        public InetInvalidStateException(InetErrorCode errorCode, string message) : base(errorCode, message) { }
    }
}
