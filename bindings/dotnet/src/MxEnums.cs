// MxEnums.cs - the option, flag and status constants of inetkit/mx.h.
using System;

namespace Inetkit
{
    /// <summary>MX_OPTION_* flags for <see cref="MxResolver"/>. Unknown bits are refused.</summary>
    [Flags]
    public enum MxOptions : uint
    {
        /// <summary>MX_OPTION_NONE: the resolver belongs to the thread that made it.</summary>
        None = NativeMethods.MX_OPTION_NONE,

        /// <summary>MX_OPTION_FREETHREAD: any thread may use the resolver; the
        /// library serialises the calls on it (a call waits while another thread
        /// is inside a blocking one). The default of <see cref="MxResolver"/>.</summary>
        FreeThread = NativeMethods.MX_OPTION_FREETHREAD,
    }

    /// <summary>The DNS response code (RCODE) of an answer (MX_STATUS_*).</summary>
    public enum MxStatus : uint
    {
        /// <summary>MX_STATUS_OK: "Ok".</summary>
        Ok = NativeMethods.MX_STATUS_OK,

        /// <summary>MX_STATUS_FORMAT_ERROR: "Format error".</summary>
        FormatError = NativeMethods.MX_STATUS_FORMAT_ERROR,

        /// <summary>MX_STATUS_SERVER_FAILURE: "Server failure".</summary>
        ServerFailure = NativeMethods.MX_STATUS_SERVER_FAILURE,

        /// <summary>MX_STATUS_NAME_ERROR: "Name error" (NXDOMAIN).</summary>
        NameError = NativeMethods.MX_STATUS_NAME_ERROR,

        /// <summary>MX_STATUS_NOT_IMPLEMENTED: "Not implemented".</summary>
        NotImplemented = NativeMethods.MX_STATUS_NOT_IMPLEMENTED,

        /// <summary>MX_STATUS_REFUSED: "Refused".</summary>
        Refused = NativeMethods.MX_STATUS_REFUSED,

        /// <summary>MX_STATUS_NO_ANSWER: no answer arrived (timeout, network error, canceled).</summary>
        NoAnswer = NativeMethods.MX_STATUS_NO_ANSWER,
    }

    /// <summary><see cref="MxRecord.Flags"/> (MX_RECORD_*).</summary>
    [Flags]
    public enum MxRecordFlags : uint
    {
        /// <summary>A plain MX record.</summary>
        None = 0,

        /// <summary>MX_RECORD_IMPLICIT: the domain has no MX records; this is the
        /// domain itself, preference 0 (RFC 5321 5.1).</summary>
        Implicit = NativeMethods.MX_RECORD_IMPLICIT,

        /// <summary>MX_RECORD_LITERAL: the address held a domain literal; nothing was looked up.</summary>
        Literal = NativeMethods.MX_RECORD_LITERAL,

        /// <summary>MX_RECORD_ALIAS: the exchanger's name is an alias (CNAME), which
        /// RFC 2181 10.3 forbids; seen only with ResolveAddresses.</summary>
        Alias = NativeMethods.MX_RECORD_ALIAS,

        /// <summary>MX_RECORD_NO_ADDRESS: ResolveAddresses found no A or AAAA record for it.</summary>
        NoAddress = NativeMethods.MX_RECORD_NO_ADDRESS,
    }

    /// <summary><see cref="MxResult.Flags"/> (MX_RESULT_*).</summary>
    [Flags]
    public enum MxResultFlags : uint
    {
        /// <summary>No flag.</summary>
        None = 0,

        /// <summary>MX_RESULT_AUTHORITATIVE: the MX answer had the AA bit.</summary>
        Authoritative = NativeMethods.MX_RESULT_AUTHORITATIVE,

        /// <summary>MX_RESULT_CNAME: the query name was an alias; <see cref="MxResult.CanonicalName"/> is its target.</summary>
        CName = NativeMethods.MX_RESULT_CNAME,

        /// <summary>MX_RESULT_TRUNCATED: the UDP answer was truncated and was fetched again over TCP.</summary>
        Truncated = NativeMethods.MX_RESULT_TRUNCATED,

        /// <summary>MX_RESULT_RECORDS_DROPPED: some exchangers were invalid names, above
        /// MaxRecords, or cut off by a truncated answer (ConnectionMode=udp).</summary>
        RecordsDropped = NativeMethods.MX_RESULT_RECORDS_DROPPED,
    }
}
