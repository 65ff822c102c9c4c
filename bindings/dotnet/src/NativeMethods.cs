// NativeMethods.cs - the raw P/Invoke layer: one declaration per export of
// def/inetkit.def, the callback and structure types they take, and the
// constants of the headers; nothing else. The managed classes (InetConnection,
// InetListener, InetLibrary) are the supported surface; this class is internal.
//
// Type mapping (include/inetkit/common.h):
//   HCLIENT   -> IntPtr (an opaque pointer-sized token, 0 = INVALID_CLIENT)
//   DWORD     -> uint,  UINT -> uint,  LPDWORD / LPUINT -> ref/out uint
//   LPCSTR    -> byte[] holding UTF-8 with a terminating NUL (see Utf8.ToNative)
//   LPSTR out -> [Out] byte[] filled with the size-query idiom
//   LPVOID / LPCVOID data buffers -> IntPtr (pinned by the caller, so that an
//   offset into a byte[] can be passed)
//   LPCSECURITYCREDENTIALS -> IntPtr to a SECURITYCREDENTIALS block in native
//   memory (NativeCredentials builds it: every string member an IntPtr to a
//   UTF-8 buffer allocated with AllocHGlobal, lpfnVerify and lpfnPsk IntPtrs
//   from GetFunctionPointerForDelegate), or IntPtr.Zero for none
//   INETSECURITYINFO * -> ref INETSECURITYINFO (char arrays as ByValArray byte[])
//   POPMESSAGEINFO * -> ref POPMESSAGEINFO (the same way)
//   BOOL -> int (0 / 1),  LPBOOL -> out int
//   ULONGLONG -> ulong,  ULONGLONG * -> out ulong
//   const DWORD * (message lists) -> uint[] (null for NULL)
//   LPVOID out data with the size-query idiom over bytes -> [Out] byte[]
//   MXRECORD / MXADDRESS / MXRESULT * -> ref struct (char[N] members as
//   ByValArray byte[N], decoded as UTF-8 up to the first NUL); in the Response
//   callback both pointers arrive as IntPtr and are copied with PtrToStructure
//   INT * (MxGetEventDescriptor) -> out int
// Calling convention: cdecl on every platform (INETKIT_CALL).
// The Inet family (inetkit/inet.h) comes first, then the Pop family
// (inetkit/pop.h), then the Mx family (inetkit/mx.h).
using System;
using System.Runtime.InteropServices;

namespace Inetkit
{
    internal static class NativeMethods
    {
        internal const string LibraryName = "inetkit";

        /// <summary>INETTRACEPROC. Whoever registers one keeps the delegate
        /// reachable until it is unregistered or the handle is gone.</summary>
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void INETTRACEPROC(IntPtr hClient, uint dwDirection, IntPtr lpData,
                                             uint cbData, IntPtr lpParam);

        /// <summary>INETVERIFYPROC. lpszFingerprint is a NUL-terminated UTF-8
        /// string valid during the call; the return value is a BOOL (non-zero
        /// accepts the problem). The delegate behind a function pointer given
        /// to the library must stay reachable as long as the handle that may
        /// call it.</summary>
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int INETVERIFYPROC(IntPtr hClient, uint dwError, uint dwDepth, IntPtr lpszFingerprint,
                                             IntPtr lpParam);

        /// <summary>INETPSKPROC, a server's TLS-PSK lookup. lpszIdentity is the
        /// NUL-terminated identity the client offers, valid during the call;
        /// the callback copies at most *lpcbKey bytes (256) of the key into
        /// lpKey, sets *lpcbKey (a DWORD) to the key's length and returns
        /// non-zero, or returns 0 to refuse the identity. The delegate behind a
        /// function pointer given to the library must stay reachable as long
        /// as the handle that may call it.</summary>
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int INETPSKPROC(IntPtr hClient, IntPtr lpszIdentity, IntPtr lpKey, IntPtr lpcbKey,
                                          IntPtr lpParam);

        /// <summary>SECURITYCREDENTIALS of inetkit/common.h, member for member.
        /// Strings are pointers to NUL-terminated UTF-8 buffers owned by whoever
        /// filled the structure (IntPtr.Zero = the default).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct SECURITYCREDENTIALS
        {
            internal uint dwSize;
            internal uint dwProtocolMin;
            internal uint dwProtocolMax;
            internal uint dwVerifyMode;
            internal uint dwVerifyDepth;
            internal IntPtr lpszCipherList;
            internal IntPtr lpszCipherSuites;
            internal IntPtr lpszCertificateFile;
            internal IntPtr lpszPrivateKeyFile;
            internal IntPtr lpszCertificatePem;
            internal IntPtr lpszPrivateKeyPem;
            internal IntPtr lpszPassword;
            internal IntPtr lpszCaFile;
            internal IntPtr lpszCaPath;
            internal IntPtr lpszCaPem;
            internal IntPtr lpszVerifyName;
            internal IntPtr lpszIgnoreErrors;
            internal IntPtr lpszPinnedPublicKey;
            internal IntPtr lpszPskIdentity;
            internal IntPtr lpszPskKey;
            internal IntPtr lpfnVerify;     // INETVERIFYPROC
            internal IntPtr lpVerifyParam;
            internal IntPtr lpfnPsk;        // INETPSKPROC (servers only)
            internal IntPtr lpPskParam;
        }

        /// <summary>INETSECURITYINFO of inetkit/inet.h. Set dwSize and allocate
        /// both arrays (see <see cref="NewSecurityInfo"/>) before the call.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct INETSECURITYINFO
        {
            internal uint dwSize;
            internal uint dwProtocol;
            internal uint dwCipherBits;
            internal int bResumed;
            internal uint dwVerifyResult;
            internal uint dwVerifyErrors;
            internal uint dwPeerCertificates;
            internal int bLocalCertificate;
            [MarshalAs(UnmanagedType.ByValArray, SizeConst = 16)]
            internal byte[] szProtocol;
            [MarshalAs(UnmanagedType.ByValArray, SizeConst = 64)]
            internal byte[] szCipher;
        }

        internal static INETSECURITYINFO NewSecurityInfo()
        {
            INETSECURITYINFO info = new INETSECURITYINFO();
            info.dwSize = (uint)Marshal.SizeOf(typeof(INETSECURITYINFO));
            info.szProtocol = new byte[16];
            info.szCipher = new byte[64];
            return info;
        }

        // ---- Pop family: callbacks and structures (inetkit/pop.h) ------------

        /// <summary>POPDATAPROC: one piece of message data (lpData, cbData bytes,
        /// valid during the call). Return non-zero to go on, 0 to stop (the
        /// retrieval then fails with INETKIT_ERROR_CANCELED). The delegate must
        /// stay reachable for the length of the call that runs it.</summary>
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int POPDATAPROC(IntPtr hClient, uint dwMessage, IntPtr lpData, uint cbData, IntPtr lpParam);

        /// <summary>POPPROGRESSPROC: octets of message dwMessage so far and
        /// expected (0 if unknown). Return 0 to cancel. Whoever registers one
        /// keeps the delegate reachable until it is unregistered or the handle is gone.</summary>
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int POPPROGRESSPROC(IntPtr hClient, uint dwMessage, ulong ullDone, ulong ullExpected,
                                              IntPtr lpParam);

        /// <summary>POPTRACEPROC: one protocol line without its CR LF, a
        /// NUL-terminated string valid during the call (credentials redacted).
        /// Kept reachable like <see cref="POPPROGRESSPROC"/>.</summary>
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void POPTRACEPROC(IntPtr hClient, uint dwDirection, IntPtr lpszLine, IntPtr lpParam);

        /// <summary>POPMESSAGEINFO of inetkit/pop.h (96 bytes: ullOctets at 8,
        /// szUid at 20, padded to 8). Set dwSize and allocate szUid (see
        /// <see cref="NewMessageInfo"/>) before the call.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct POPMESSAGEINFO
        {
            internal uint dwSize;
            internal uint dwMessage;
            internal ulong ullOctets;
            internal int bDeleted;
            [MarshalAs(UnmanagedType.ByValArray, SizeConst = 72)]
            internal byte[] szUid;
        }

        internal static POPMESSAGEINFO NewMessageInfo()
        {
            POPMESSAGEINFO info = new POPMESSAGEINFO();
            info.dwSize = (uint)Marshal.SizeOf(typeof(POPMESSAGEINFO));
            info.szUid = new byte[72];
            return info;
        }

        // ---- Mx family: callbacks and structures (inetkit/mx.h) --------------

        /// <summary>MXRESPONSEPROC: one exchanger of a finished request.
        /// lpRecord points to an MXRECORD, lpAddresses to its dwAddressCount
        /// MXADDRESS structures (may be IntPtr.Zero when there are none); both
        /// are valid only during the call. Whoever registers one keeps the
        /// delegate reachable until it is unregistered or the handle is gone.</summary>
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void MXRESPONSEPROC(IntPtr hClient, IntPtr lpRecord, IntPtr lpAddresses, IntPtr lpParam);

        /// <summary>MXERRORPROC: a request failed. lpszDomain and lpszDescription
        /// are NUL-terminated UTF-8 strings valid during the call; dwStatusCode is
        /// the answer's RCODE (MX_STATUS_NO_ANSWER if none). Kept reachable like
        /// <see cref="MXRESPONSEPROC"/>.</summary>
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void MXERRORPROC(IntPtr hClient, uint dwRequestId, IntPtr lpszDomain, uint dwErrorCode,
                                           uint dwStatusCode, IntPtr lpszDescription, IntPtr lpParam);

        /// <summary>MXRECORD of inetkit/mx.h (584 bytes: ten DWORDs, then
        /// szDomain[256] at 40, szMailServer[256] at 296, szDescription[32] at
        /// 552). Set dwSize and allocate the arrays (see <see cref="NewMxRecord"/>)
        /// before a call that fills it.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct MXRECORD
        {
            internal uint dwSize;
            internal uint dwRequestId;
            internal uint dwIndex;
            internal uint dwCount;
            internal uint dwPrecedence;
            internal uint dwTimeToLive;
            internal uint dwStatusCode;
            internal int bAuthoritative;
            internal uint dwFlags;
            internal uint dwAddressCount;
            [MarshalAs(UnmanagedType.ByValArray, SizeConst = 256)]
            internal byte[] szDomain;
            [MarshalAs(UnmanagedType.ByValArray, SizeConst = 256)]
            internal byte[] szMailServer;
            [MarshalAs(UnmanagedType.ByValArray, SizeConst = 32)]
            internal byte[] szDescription;
        }

        internal static MXRECORD NewMxRecord()
        {
            MXRECORD record = new MXRECORD();
            record.dwSize = (uint)Marshal.SizeOf(typeof(MXRECORD));
            record.szDomain = new byte[256];
            record.szMailServer = new byte[256];
            record.szDescription = new byte[32];
            return record;
        }

        /// <summary>MXADDRESS of inetkit/mx.h (60 bytes: three DWORDs, then
        /// szAddress[48]). See <see cref="NewMxAddress"/>.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct MXADDRESS
        {
            internal uint dwSize;
            internal uint dwFamily;
            internal uint dwTimeToLive;
            [MarshalAs(UnmanagedType.ByValArray, SizeConst = 48)]
            internal byte[] szAddress;
        }

        internal static MXADDRESS NewMxAddress()
        {
            MXADDRESS address = new MXADDRESS();
            address.dwSize = (uint)Marshal.SizeOf(typeof(MXADDRESS));
            address.szAddress = new byte[48];
            return address;
        }

        /// <summary>MXRESULT of inetkit/mx.h (1116 bytes: seven DWORDs, then
        /// szDomain[256] at 28, szCanonicalName[256] at 284, szDnsServer[64] at
        /// 540, szStatus[512] at 604). See <see cref="NewMxResult"/>.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct MXRESULT
        {
            internal uint dwSize;
            internal uint dwRequestId;
            internal uint dwError;
            internal uint dwStatusCode;
            internal uint dwCount;
            internal uint dwFlags;
            internal uint dwElapsed;
            [MarshalAs(UnmanagedType.ByValArray, SizeConst = 256)]
            internal byte[] szDomain;
            [MarshalAs(UnmanagedType.ByValArray, SizeConst = 256)]
            internal byte[] szCanonicalName;
            [MarshalAs(UnmanagedType.ByValArray, SizeConst = 64)]
            internal byte[] szDnsServer;
            [MarshalAs(UnmanagedType.ByValArray, SizeConst = 512)]
            internal byte[] szStatus;
        }

        internal static MXRESULT NewMxResult()
        {
            MXRESULT result = new MXRESULT();
            result.dwSize = (uint)Marshal.SizeOf(typeof(MXRESULT));
            result.szDomain = new byte[256];
            result.szCanonicalName = new byte[256];
            result.szDnsServer = new byte[64];
            result.szStatus = new byte[512];
            return result;
        }

        // ---- Library lifetime and errors ---------------------------------

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetInitialize")]
        internal static extern uint InetInitialize();

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetUninitialize")]
        internal static extern uint InetUninitialize();

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetGetVersion")]
        internal static extern uint InetGetVersion();

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetGetLastError")]
        internal static extern uint InetGetLastError();

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetGetLastErrorMessage")]
        internal static extern uint InetGetLastErrorMessage([Out] byte[] lpszMessage, ref uint lpcchMessage);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetGetErrorString")]
        internal static extern uint InetGetErrorString(uint dwErrorCode, [Out] byte[] lpszText, ref uint lpcchText);

        // ---- Connections ---------------------------------------------------

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetConnect")]
        internal static extern IntPtr InetConnect(byte[] lpszHost, uint nPort, uint nTimeout, uint dwOptions,
                                                  IntPtr lpCredentials);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetListen")]
        internal static extern IntPtr InetListen(byte[] lpszLocalAddress, uint nLocalPort, uint nBacklog,
                                                 uint dwOptions, IntPtr lpCredentials);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetAccept")]
        internal static extern IntPtr InetAccept(IntPtr hServer, uint nTimeout, uint dwOptions);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetDisconnect")]
        internal static extern uint InetDisconnect(IntPtr hClient);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetCancel")]
        internal static extern uint InetCancel(IntPtr hClient);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetAttachThread")]
        internal static extern uint InetAttachThread(IntPtr hClient, uint dwThreadId);

        // ---- Data ------------------------------------------------------------

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetRead")]
        internal static extern uint InetRead(IntPtr hClient, IntPtr lpBuffer, uint cbBuffer, out uint lpcbRead);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetReadLine")]
        internal static extern uint InetReadLine(IntPtr hClient, [Out] byte[] lpszLine, uint cchLine,
                                                 out uint lpcchLine);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetPeek")]
        internal static extern uint InetPeek(IntPtr hClient, IntPtr lpBuffer, uint cbBuffer, out uint lpcbRead);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetGetBytesAvailable")]
        internal static extern uint InetGetBytesAvailable(IntPtr hClient, out uint lpcbAvailable);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetWrite")]
        internal static extern uint InetWrite(IntPtr hClient, IntPtr lpBuffer, uint cbBuffer, out uint lpcbWritten);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetWriteLine")]
        internal static extern uint InetWriteLine(IntPtr hClient, byte[] lpszLine);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetShutdown")]
        internal static extern uint InetShutdown(IntPtr hClient, uint dwHow);

        // ---- Addresses, timeouts, tracing -------------------------------------

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetGetLocalAddress")]
        internal static extern uint InetGetLocalAddress(IntPtr hClient, [Out] byte[] lpszAddress,
                                                        ref uint lpcchAddress, out uint lpnPort);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetGetPeerAddress")]
        internal static extern uint InetGetPeerAddress(IntPtr hClient, [Out] byte[] lpszAddress,
                                                       ref uint lpcchAddress, out uint lpnPort);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetSetTimeout")]
        internal static extern uint InetSetTimeout(IntPtr hClient, uint dwKind, uint dwMilliseconds);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetGetTimeout")]
        internal static extern uint InetGetTimeout(IntPtr hClient, uint dwKind, out uint lpdwMilliseconds);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetSetTraceCallback")]
        internal static extern uint InetSetTraceCallback(IntPtr hClient, INETTRACEPROC lpfnTrace, IntPtr lpParam);

        // ---- TLS ---------------------------------------------------------------

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetStartTls")]
        internal static extern uint InetStartTls(IntPtr hClient, uint dwOptions, IntPtr lpCredentials);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetCheckCredentials")]
        internal static extern uint InetCheckCredentials(IntPtr lpCredentials, int bServer);

        /// <summary>lplpCredentials receives a block the library owns: read it
        /// with Marshal.PtrToStructure, free it with InetDeleteCredentials only.</summary>
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetCreateCredentials")]
        internal static extern uint InetCreateCredentials(byte[] lpszCertificateFile, byte[] lpszPrivateKeyFile,
                                                          byte[] lpszPassword, out IntPtr lplpCredentials);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetDeleteCredentials")]
        internal static extern uint InetDeleteCredentials(IntPtr lpCredentials);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetGetSecurityInfo")]
        internal static extern uint InetGetSecurityInfo(IntPtr hClient, ref INETSECURITYINFO lpInfo);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetGetSecurityValue")]
        internal static extern uint InetGetSecurityValue(IntPtr hClient, uint dwField, out uint lpdwValue);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetGetVerifyErrors")]
        internal static extern uint InetGetVerifyErrors(IntPtr hClient, [Out] byte[] lpszErrors, ref uint lpcchErrors);

        /// <summary>lpValue: text (size-query idiom) or, for INET_CERT_DER, raw bytes without a NUL.</summary>
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetGetCertificateInfo")]
        internal static extern uint InetGetCertificateInfo(IntPtr hClient, uint dwCertificate, uint dwField,
                                                           [Out] byte[] lpValue, ref uint lpcbValue);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "InetGetLibraryInfo")]
        internal static extern uint InetGetLibraryInfo(uint dwWhat, [Out] byte[] lpszValue, ref uint lpcchValue);

        // ---- Pop: library lifetime and errors --------------------------------

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopInitialize")]
        internal static extern uint PopInitialize();

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopUninitialize")]
        internal static extern uint PopUninitialize();

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopGetLastError")]
        internal static extern uint PopGetLastError();

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopGetLastErrorMessage")]
        internal static extern uint PopGetLastErrorMessage([Out] byte[] lpszMessage, ref uint lpcchMessage);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopGetErrorString")]
        internal static extern uint PopGetErrorString(uint dwErrorCode, [Out] byte[] lpszText, ref uint lpcchText);

        // ---- Pop: session ---------------------------------------------------------

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopConnect")]
        internal static extern IntPtr PopConnect(byte[] lpszHost, uint nPort, uint nTimeout, uint dwOptions,
                                                 IntPtr lpCredentials);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopLogin")]
        internal static extern uint PopLogin(IntPtr hClient, uint nAuthType, byte[] lpszUserName, byte[] lpszPassword);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopQuit")]
        internal static extern uint PopQuit(IntPtr hClient);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopDisconnect")]
        internal static extern uint PopDisconnect(IntPtr hClient);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopCancel")]
        internal static extern uint PopCancel(IntPtr hClient);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopAttachThread")]
        internal static extern uint PopAttachThread(IntPtr hClient, uint dwThreadId);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopGetCapabilities")]
        internal static extern uint PopGetCapabilities(IntPtr hClient, [Out] byte[] lpszCapabilities,
                                                       ref uint lpcchCapabilities);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopGetCapability")]
        internal static extern uint PopGetCapability(IntPtr hClient, byte[] lpszName, [Out] byte[] lpszValue,
                                                     ref uint lpcchValue);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopGetLastReply")]
        internal static extern uint PopGetLastReply(IntPtr hClient, out int lpbOk, [Out] byte[] lpszReply,
                                                    ref uint lpcchReply);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopGetSecurityInfo")]
        internal static extern uint PopGetSecurityInfo(IntPtr hClient, ref INETSECURITYINFO lpInfo);

        // ---- Pop: mailbox -----------------------------------------------------------

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopGetMessageCount")]
        internal static extern uint PopGetMessageCount(IntPtr hClient, out uint lpdwCount, out ulong lpullOctets);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopListMessages")]
        internal static extern uint PopListMessages(IntPtr hClient, out uint lpdwCount);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopGetMessageInfo")]
        internal static extern uint PopGetMessageInfo(IntPtr hClient, uint dwMessage, ref POPMESSAGEINFO lpInfo);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopGetMessageSize")]
        internal static extern uint PopGetMessageSize(IntPtr hClient, uint dwMessage, out ulong lpullOctets);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopGetMessageUid")]
        internal static extern uint PopGetMessageUid(IntPtr hClient, uint dwMessage, [Out] byte[] lpszUid,
                                                     ref uint lpcchUid);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopFindMessage")]
        internal static extern uint PopFindMessage(IntPtr hClient, byte[] lpszUid, out uint lpdwMessage);

        // ---- Pop: retrieval -----------------------------------------------------------

        /// <summary>lpBuffer: the message bytes (no NUL), size-query idiom over
        /// bytes; null asks for the size. The library keeps the fetched message
        /// for the retry, so the second call does not fetch it again.</summary>
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopGetMessage")]
        internal static extern uint PopGetMessage(IntPtr hClient, uint dwMessage, [Out] byte[] lpBuffer,
                                                  ref uint lpcbBuffer);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopGetMessageHeaders")]
        internal static extern uint PopGetMessageHeaders(IntPtr hClient, uint dwMessage, [Out] byte[] lpBuffer,
                                                         ref uint lpcbBuffer);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopGetMessageTop")]
        internal static extern uint PopGetMessageTop(IntPtr hClient, uint dwMessage, uint nLines, [Out] byte[] lpBuffer,
                                                     ref uint lpcbBuffer);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopStoreMessage")]
        internal static extern uint PopStoreMessage(IntPtr hClient, uint dwMessage, byte[] lpszFileName);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopRetrieveMessage")]
        internal static extern uint PopRetrieveMessage(IntPtr hClient, uint dwMessage, POPDATAPROC lpfnData,
                                                       IntPtr lpParam);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopOpenMessage")]
        internal static extern uint PopOpenMessage(IntPtr hClient, uint dwMessage, uint nLines);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopRead")]
        internal static extern uint PopRead(IntPtr hClient, IntPtr lpBuffer, uint cbBuffer, out uint lpcbRead);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopCloseMessage")]
        internal static extern uint PopCloseMessage(IntPtr hClient);

        /// <summary>lpMessages null with nMessages 0: every message.</summary>
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopStoreMessages")]
        internal static extern uint PopStoreMessages(IntPtr hClient, uint[] lpMessages, uint nMessages,
                                                     byte[] lpszDirectory, out uint lpnStored);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopStoreNewMessages")]
        internal static extern uint PopStoreNewMessages(IntPtr hClient, byte[] lpszSeenFile, byte[] lpszDirectory,
                                                        out uint lpnStored);

        // ---- Pop: changes ---------------------------------------------------------------

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopDeleteMessage")]
        internal static extern uint PopDeleteMessage(IntPtr hClient, uint dwMessage);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopDeleteMessages")]
        internal static extern uint PopDeleteMessages(IntPtr hClient, uint[] lpMessages, uint nMessages,
                                                      out uint lpnDeleted);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopReset")]
        internal static extern uint PopReset(IntPtr hClient);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopNoop")]
        internal static extern uint PopNoop(IntPtr hClient);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopEnableUtf8")]
        internal static extern uint PopEnableUtf8(IntPtr hClient);

        /// <summary>lpBuffer: the data lines of a multi-line reply, size-query
        /// idiom over bytes (kept for the retry: the command is not sent again).</summary>
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopCommand")]
        internal static extern uint PopCommand(IntPtr hClient, byte[] lpszCommand, int bMultiline, [Out] byte[] lpBuffer,
                                               ref uint lpcbBuffer);

        // ---- Pop: settings, progress, trace ------------------------------------------------

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopConfig")]
        internal static extern uint PopConfig(IntPtr hClient, byte[] lpszSetting);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopSetProgressCallback")]
        internal static extern uint PopSetProgressCallback(IntPtr hClient, POPPROGRESSPROC lpfnProgress, IntPtr lpParam);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "PopSetTraceCallback")]
        internal static extern uint PopSetTraceCallback(IntPtr hClient, POPTRACEPROC lpfnTrace, IntPtr lpParam);

        // ---- Mx: library lifetime and errors ---------------------------------------------

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxInitialize")]
        internal static extern uint MxInitialize();

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxUninitialize")]
        internal static extern uint MxUninitialize();

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxGetLastError")]
        internal static extern uint MxGetLastError();

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxGetLastErrorMessage")]
        internal static extern uint MxGetLastErrorMessage([Out] byte[] lpszMessage, ref uint lpcchMessage);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxGetErrorString")]
        internal static extern uint MxGetErrorString(uint dwErrorCode, [Out] byte[] lpszText, ref uint lpcchText);

        // ---- Mx: handle -------------------------------------------------------------------

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxCreate")]
        internal static extern IntPtr MxCreate(uint dwOptions);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxDestroy")]
        internal static extern uint MxDestroy(IntPtr hClient);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxAttachThread")]
        internal static extern uint MxAttachThread(IntPtr hClient, uint dwThreadId);

        // ---- Mx: resolving ------------------------------------------------------------------

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxResolve")]
        internal static extern uint MxResolve(IntPtr hClient, byte[] lpszAddress, out uint lpdwRequestId);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxDoEvents")]
        internal static extern uint MxDoEvents(IntPtr hClient, uint dwTimeoutMs);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxWait")]
        internal static extern uint MxWait(IntPtr hClient, uint dwTimeoutMs);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxGetNextResult")]
        internal static extern uint MxGetNextResult(IntPtr hClient, uint dwTimeoutMs, out uint lpdwRequestId,
                                                    out uint lpdwError);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxInterrupt")]
        internal static extern uint MxInterrupt(IntPtr hClient);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxReset")]
        internal static extern uint MxReset(IntPtr hClient);

        // ---- Mx: event-loop integration --------------------------------------------------------

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxGetEventDescriptor")]
        internal static extern uint MxGetEventDescriptor(IntPtr hClient, out int lpnDescriptor);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxGetNextTimeout")]
        internal static extern uint MxGetNextTimeout(IntPtr hClient, out uint lpdwTimeoutMs);

        // ---- Mx: the current result ---------------------------------------------------------------

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxGetResult")]
        internal static extern uint MxGetResult(IntPtr hClient, ref MXRESULT lpResult);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxGetRecordCount")]
        internal static extern uint MxGetRecordCount(IntPtr hClient, out uint lpdwCount);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxGetRecord")]
        internal static extern uint MxGetRecord(IntPtr hClient, uint dwIndex, ref MXRECORD lpRecord);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxGetRecordAddress")]
        internal static extern uint MxGetRecordAddress(IntPtr hClient, uint dwIndex, uint dwAddress,
                                                       ref MXADDRESS lpAddress);

        // ---- Mx: properties ----------------------------------------------------------------------

        /// <summary>lpszServers null (or "") goes back to the system's servers.</summary>
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxSetDnsServer")]
        internal static extern uint MxSetDnsServer(IntPtr hClient, byte[] lpszServers);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxGetDnsServer")]
        internal static extern uint MxGetDnsServer(IntPtr hClient, [Out] byte[] lpszServers, ref uint lpcchServers);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxSetDnsPort")]
        internal static extern uint MxSetDnsPort(IntPtr hClient, uint nPort);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxGetDnsPort")]
        internal static extern uint MxGetDnsPort(IntPtr hClient, out uint lpnPort);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxSetTimeout")]
        internal static extern uint MxSetTimeout(IntPtr hClient, uint nSeconds);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxGetTimeout")]
        internal static extern uint MxGetTimeout(IntPtr hClient, out uint lpnSeconds);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxSetRequestId")]
        internal static extern uint MxSetRequestId(IntPtr hClient, uint dwRequestId);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxGetRequestId")]
        internal static extern uint MxGetRequestId(IntPtr hClient, out uint lpdwRequestId);

        /// <summary>lpszAddress null (or "") = any local address.</summary>
        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxSetLocalHost")]
        internal static extern uint MxSetLocalHost(IntPtr hClient, byte[] lpszAddress);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxGetLocalHost")]
        internal static extern uint MxGetLocalHost(IntPtr hClient, [Out] byte[] lpszAddress, ref uint lpcchAddress);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxGetMailServer")]
        internal static extern uint MxGetMailServer(IntPtr hClient, [Out] byte[] lpszName, ref uint lpcchName);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxGetStatus")]
        internal static extern uint MxGetStatus(IntPtr hClient, [Out] byte[] lpszStatus, ref uint lpcchStatus);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxGetIdle")]
        internal static extern uint MxGetIdle(IntPtr hClient, out int lpbIdle);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxConfig")]
        internal static extern uint MxConfig(IntPtr hClient, byte[] lpszSetting);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxGetConfig")]
        internal static extern uint MxGetConfig(IntPtr hClient, byte[] lpszName, [Out] byte[] lpszValue,
                                                ref uint lpcchValue);

        // ---- Mx: events --------------------------------------------------------------------------

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxSetResponseCallback")]
        internal static extern uint MxSetResponseCallback(IntPtr hClient, MXRESPONSEPROC lpfnResponse, IntPtr lpParam);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, EntryPoint = "MxSetErrorCallback")]
        internal static extern uint MxSetErrorCallback(IntPtr hClient, MXERRORPROC lpfnError, IntPtr lpParam);

        // ---- Constants of inetkit/inet.h and common.h ---------------------------

        internal const uint INET_OPTION_NONE = 0x00000000u;
        internal const uint INET_OPTION_TRUSTEDSITE = 0x00000800u;
        internal const uint INET_OPTION_SECURE = 0x00001000u;
        internal const uint INET_OPTION_SECURE_FALLBACK = 0x00010000u;
        internal const uint INET_OPTION_PREFER_IPV6 = 0x00004000u;
        internal const uint INET_OPTION_FREETHREAD = 0x00008000u;
        internal const uint INET_DEFAULT_TIMEOUT = 30u;
        internal const uint INET_WAIT_INFINITE = 0xFFFFFFFFu;
        internal const uint INET_TIMEOUT_INACTIVITY = 1u;
        internal const uint INET_TIMEOUT_CALL = 2u;
        internal const uint INET_SHUTDOWN_RECEIVE = 0u;
        internal const uint INET_SHUTDOWN_SEND = 1u;
        internal const uint INET_SHUTDOWN_BOTH = 2u;
        internal const uint INET_TRACE_RECEIVE = 1u;
        internal const uint INET_TRACE_SEND = 2u;
        internal const uint INET_MAX_HOSTNAME = 255u;
        internal const uint INET_ADDRESS_BUFFER = 64u;
        internal const uint INETKIT_VERSION_NUMBER = 1000000u;

        internal const uint INET_PROTOCOL_DEFAULT = 0x0000u;
        internal const uint INET_PROTOCOL_TLS1_0 = 0x0301u;
        internal const uint INET_PROTOCOL_TLS1_1 = 0x0302u;
        internal const uint INET_PROTOCOL_TLS1_2 = 0x0303u;
        internal const uint INET_PROTOCOL_TLS1_3 = 0x0304u;

        internal const uint INET_VERIFY_AUTO = 0u;
        internal const uint INET_VERIFY_NONE = 1u;
        internal const uint INET_VERIFY_QUERY = 2u;
        internal const uint INET_VERIFY_PEER = 3u;

        internal const uint INET_SECURITY_PROTOCOL = 1u;
        internal const uint INET_SECURITY_CIPHER_BITS = 2u;
        internal const uint INET_SECURITY_RESUMED = 3u;
        internal const uint INET_SECURITY_VERIFY_RESULT = 4u;
        internal const uint INET_SECURITY_PEER_CERTIFICATES = 5u;

        internal const uint INET_CERTIFICATE_LOCAL = 0xFFFFFFFFu;
        internal const uint INET_CERT_SUBJECT = 1u;
        internal const uint INET_CERT_ISSUER = 2u;
        internal const uint INET_CERT_SERIAL = 3u;
        internal const uint INET_CERT_NOT_BEFORE = 4u;
        internal const uint INET_CERT_NOT_AFTER = 5u;
        internal const uint INET_CERT_SAN = 6u;
        internal const uint INET_CERT_FINGERPRINT = 7u;
        internal const uint INET_CERT_PEM = 8u;
        internal const uint INET_CERT_DER = 9u;
        internal const uint INET_CERT_PUBLIC_KEY_PIN = 10u;

        internal const uint INET_LIBRARY_VERSION = 1u;
        internal const uint INET_LIBRARY_OPENSSL_VERSION = 2u;
        internal const uint INET_LIBRARY_OPENSSL_BUILT = 3u;
        internal const uint INET_LIBRARY_CARES_VERSION = 4u;

        // ---- Constants of inetkit/pop.h ----------------------------------------------

        internal const uint POP_OPTION_NONE = 0x00000000u;
        internal const uint POP_OPTION_LINEBREAK = 0x00000001u;
        internal const uint POP_OPTION_TUNNEL = 0x00000400u;
        internal const uint POP_OPTION_TRUSTEDSITE = 0x00000800u;
        internal const uint POP_OPTION_SECURE_EXPLICIT = 0x00001000u;
        internal const uint POP_OPTION_SECURE_IMPLICIT = 0x00002000u;
        internal const uint POP_OPTION_SECURE = POP_OPTION_SECURE_EXPLICIT;
        internal const uint POP_OPTION_PREFER_IPV6 = 0x00004000u;
        internal const uint POP_OPTION_FREETHREAD = 0x00008000u;
        internal const uint POP_OPTION_SECURE_FALLBACK = 0x00010000u;

        internal const uint POP_PORT = 110u;
        internal const uint POP_PORT_SECURE = 995u;
        internal const uint POP_DEFAULT_TIMEOUT = 30u;

        internal const uint POP_AUTH_DEFAULT = 0u;
        internal const uint POP_AUTH_PASS = 1u;
        internal const uint POP_AUTH_APOP = 2u;
        internal const uint POP_AUTH_LOGIN = 3u;
        internal const uint POP_AUTH_PLAIN = 4u;
        internal const uint POP_AUTH_CRAM_MD5 = 5u;
        internal const uint POP_AUTH_SCRAM_SHA1 = 6u;
        internal const uint POP_AUTH_SCRAM_SHA256 = 7u;
        internal const uint POP_AUTH_XOAUTH2 = 8u;
        internal const uint POP_AUTH_OAUTHBEARER = 9u;

        internal const uint POP_TRACE_COMMAND = 1u;
        internal const uint POP_TRACE_REPLY = 2u;

        internal const uint POP_ALL_LINES = 0xFFFFFFFFu;

        // ---- Constants of inetkit/mx.h ----------------------------------------------

        internal const uint MX_OPTION_NONE = 0x00000000u;
        internal const uint MX_OPTION_FREETHREAD = 0x00008000u;

        internal const uint MX_DNS_PORT = 53u;
        internal const uint MX_DEFAULT_TIMEOUT = 60u;
        internal const uint MX_WAIT_INFINITE = 0xFFFFFFFFu;

        internal const uint MX_RECORD_IMPLICIT = 0x00000001u;
        internal const uint MX_RECORD_LITERAL = 0x00000002u;
        internal const uint MX_RECORD_ALIAS = 0x00000004u;
        internal const uint MX_RECORD_NO_ADDRESS = 0x00000008u;

        internal const uint MX_RESULT_AUTHORITATIVE = 0x00000001u;
        internal const uint MX_RESULT_CNAME = 0x00000002u;
        internal const uint MX_RESULT_TRUNCATED = 0x00000004u;
        internal const uint MX_RESULT_RECORDS_DROPPED = 0x00000008u;

        internal const uint MX_STATUS_OK = 0u;
        internal const uint MX_STATUS_FORMAT_ERROR = 1u;
        internal const uint MX_STATUS_SERVER_FAILURE = 2u;
        internal const uint MX_STATUS_NAME_ERROR = 3u;
        internal const uint MX_STATUS_NOT_IMPLEMENTED = 4u;
        internal const uint MX_STATUS_REFUSED = 5u;
        internal const uint MX_STATUS_NO_ANSWER = 0xFFFFFFFFu;
    }
}
