// NativeMethods.cs - the raw P/Invoke layer: one declaration per export of
// def/inetkit.def, nothing else. The managed classes (InetConnection,
// InetListener, InetLibrary) are the supported surface; this class is internal.
//
// Type mapping (include/inetkit/common.h):
//   HCLIENT   -> IntPtr (an opaque pointer-sized token, 0 = INVALID_CLIENT)
//   DWORD     -> uint,  UINT -> uint,  LPDWORD / LPUINT -> ref/out uint
//   LPCSTR    -> byte[] holding UTF-8 with a terminating NUL (see Utf8.ToNative)
//   LPSTR out -> [Out] byte[] filled with the size-query idiom
//   LPVOID / LPCVOID data buffers -> IntPtr (pinned by the caller, so that an
//   offset into a byte[] can be passed)
//   LPCSECURITYCREDENTIALS -> IntPtr, always IntPtr.Zero for now
// Calling convention: cdecl on every platform (INETKIT_CALL).
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

        // ---- Constants of inetkit/inet.h and common.h ---------------------------

        internal const uint INET_OPTION_NONE = 0x00000000u;
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
    }
}
