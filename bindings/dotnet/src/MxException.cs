// MxException.cs - the outcome of a failed MX request as a .NET exception.
//
// InetException.Create maps the codes only the Mx family gives (800-802) to
// these types everywhere. On an Mx handle (MxSafeHandle.ErrorFor) the
// name-resolution codes (11001-11004) and NoDnsServer (290) are MxExceptions
// too, since there they are a request's outcome: catch MxException to handle
// "this domain cannot be resolved", and look at ErrorCode for why. Misuse
// (InvalidParameter, WrongThread, ...), a canceled call (InetCanceledException)
// and a DNS server that cannot be reached (InetConnectionException,
// InetTimeoutException) keep their usual types.
namespace Inetkit
{
    /// <summary>An MX request failed: the domain does not exist (HostNotFound,
    /// NXDOMAIN), the answer was a server failure or did not come in time
    /// (TryAgain: try again later, this is not "no MX"), the server refused
    /// the query or a CNAME chain loops (NoRecovery), the domain has no MX and
    /// no address (NoData), accepts no mail (NullMx, as
    /// <see cref="MxNullMxException"/>), the answer is malformed
    /// (DnsBadResponse), no exchanger has a valid host name (DnsBadName), or
    /// there is no DNS server to ask (NoDnsServer).</summary>
    /// <remarks>The message names the domain and the DNS server.
    /// <see cref="Result"/> holds the request's <see cref="MxResult"/> when
    /// the exception comes from <see cref="MxResolver.Resolve"/> or
    /// <see cref="MxResult.ToException"/>.</remarks>
    public class MxException : InetException
    {
        /// <summary>Creates the exception.</summary>
        public MxException(InetErrorCode errorCode, string message) : base(errorCode, message) { }

        /// <summary>The inetkit error code (the same as <see cref="InetException.ErrorCode"/>).</summary>
        public InetErrorCode Code
        {
            get { return ErrorCode; }
        }

        /// <summary>The failed request's outcome (status, DNS server, elapsed
        /// time), or null when the request never started (NoDnsServer) or the
        /// exception was made elsewhere.</summary>
        public MxResult Result { get; internal set; }

        /// <summary>The domain looked up, or null when unknown.</summary>
        public string Domain
        {
            get { return Result != null ? Result.Domain : domain; }
            internal set { domain = value; }
        }

        /// <summary>The request's id, or 0 when unknown.</summary>
        public uint RequestId
        {
            get { return Result != null ? Result.RequestId : requestId; }
            internal set { requestId = value; }
        }

        /// <summary>The RCODE of the decisive answer (<see cref="MxStatus.NoAnswer"/>
        /// when none came or it is unknown).</summary>
        public MxStatus Status
        {
            get { return Result != null ? Result.Status : status; }
            internal set { status = value; }
        }

        /// <summary>True when the domain accepts no mail (NullMx, RFC 7505).</summary>
        public bool IsNullMx
        {
            get { return ErrorCode == InetErrorCode.NullMx; }
        }

        /// <summary>True when trying again later may succeed (TryAgain, NoDnsServer).</summary>
        public bool IsTemporary
        {
            get { return MxResult.IsTemporaryCode(ErrorCode); }
        }

        private string domain;
        private uint requestId;
        private MxStatus status = MxStatus.NoAnswer;

        /// <summary>Whether a failure of an Mx call with this code is a
        /// request's DNS outcome, thrown as an MxException.</summary>
        internal static bool IsOutcome(InetErrorCode code)
        {
            switch (code)
            {
                case InetErrorCode.HostNotFound:
                case InetErrorCode.TryAgain:
                case InetErrorCode.NoRecovery:
                case InetErrorCode.NoData:
                case InetErrorCode.NoDnsServer:
                case InetErrorCode.NullMx:
                case InetErrorCode.DnsBadResponse:
                case InetErrorCode.DnsBadName:
                    return true;
                default:
                    return false;
            }
        }

        /// <summary>The exception of an Mx call that failed with
        /// <paramref name="errorCode"/>: an MxException (or
        /// <see cref="MxNullMxException"/>) for the DNS outcomes, else what
        /// <see cref="InetException.Create"/> picks.</summary>
        internal static InetException FromCode(InetErrorCode errorCode, string message)
        {
            if (errorCode == InetErrorCode.NullMx)
            {
                return new MxNullMxException(errorCode, message);
            }
            if (IsOutcome(errorCode))
            {
                return new MxException(errorCode, message);
            }
            return InetException.Create(errorCode, message);
        }
    }

    /// <summary>INETKIT_ERROR_NULL_MX: the domain publishes a null MX ("0 .",
    /// RFC 7505): it accepts no mail, and its addresses must not be tried
    /// instead. Permanent.</summary>
    public class MxNullMxException : MxException
    {
        /// <summary>Creates the exception.</summary>
        public MxNullMxException(InetErrorCode errorCode, string message) : base(errorCode, message) { }
    }
}
