// InetListener.cs - a listening TCP socket (InetListen / InetAccept).
using System;
using System.Net;
using System.Threading;

namespace Inetkit
{
    /// <summary>Listens for TCP connections.</summary>
    /// <remarks>The listener belongs to the thread that created it, like a
    /// connection (see <see cref="InetConnection"/>), unless it was created with
    /// <see cref="InetOptions.FreeThread"/>. A connection returned by
    /// <see cref="Accept"/> belongs to the thread that called Accept.</remarks>
    public sealed class InetListener : IDisposable
    {
        private readonly InetListenerHandle handle;

        private InetListener(InetListenerHandle handle)
        {
            this.handle = handle;
        }

        /// <summary>Listens on <paramref name="address"/> and <paramref name="port"/> (InetListen).</summary>
        /// <param name="address">A numeric address; null or "" for every interface.</param>
        /// <param name="port">0 picks a free port (read it from <see cref="LocalEndPoint"/>).</param>
        /// <param name="backlog">0 uses the system maximum.</param>
        /// <param name="options"><see cref="InetOptions.FreeThread"/>.</param>
        public static InetListener Listen(string address, int port, int backlog = 0,
                                          InetOptions options = InetOptions.None)
        {
            return ListenCore(address, port, backlog, options, null);
        }

        /// <summary>Listens with TLS settings (InetListen). With
        /// <see cref="InetOptions.Secure"/> and server credentials (a certificate
        /// and key, or a PSK), <see cref="Accept"/> does the TLS handshake. The
        /// credentials are loaded and checked here. Without Secure the library
        /// refuses credentials (InvalidParameter).</summary>
        /// <param name="address">A numeric address; null or "" for every interface.</param>
        /// <param name="port">0 picks a free port.</param>
        /// <param name="backlog">0 uses the system maximum.</param>
        /// <param name="options"><see cref="InetOptions.Secure"/>, <see cref="InetOptions.FreeThread"/>.</param>
        /// <param name="credentials">The server's certificate and key, the CAs that
        /// client certificates must chain to, the verify mode for clients.</param>
        /// <exception cref="InetCredentialsException">The credentials do not load.</exception>
        public static InetListener Listen(string address, int port, int backlog, InetOptions options,
                                          InetCredentials credentials)
        {
            return ListenCore(address, port, backlog, options, credentials);
        }

        /// <summary>A TLS listener: <see cref="Listen(string, int, int, InetOptions, InetCredentials)"/>
        /// with <see cref="InetOptions.Secure"/> added to <paramref name="options"/>.</summary>
        public static InetListener ListenSecure(string address, int port, InetCredentials credentials,
                                                int backlog = 0, InetOptions options = InetOptions.None)
        {
            if (credentials == null)
            {
                throw new ArgumentNullException("credentials");
            }
            return ListenCore(address, port, backlog, options | InetOptions.Secure, credentials);
        }

        private static InetListener ListenCore(string address, int port, int backlog, InetOptions options,
                                               InetCredentials credentials)
        {
            InetConnection.CheckPort(port, "port");
            if (backlog < 0)
            {
                throw new ArgumentOutOfRangeException("backlog");
            }
            byte[] nativeAddress = Utf8.ToNative(address, "address");
            InetLibrary.EnsureInitialized();
            using (NativeCredentials native = NativeCredentials.From(credentials))
            {
                InetListenerHandle safeHandle = InetSafeHandle.Create(new InetListenerHandle(), delegate
                {
                    return NativeMethods.InetListen(nativeAddress, (uint)port, (uint)backlog, (uint)options,
                                                    native.Pointer);
                });
                // Accept runs the verify and PSK callbacks of these credentials.
                native.KeepCallbacksAlive(safeHandle);
                return new InetListener(safeHandle);
            }
        }

        /// <summary>The underlying handle.</summary>
        public InetListenerHandle SafeHandle
        {
            get { return handle; }
        }

        /// <summary>The address and port the listener is bound to.</summary>
        public IPEndPoint LocalEndPoint
        {
            get { return handle.GetEndPoint(false); }
        }

        /// <summary>Waits for a client and returns the connection, owned by the
        /// calling thread (InetAccept). On a secure listener the TLS handshake
        /// happens here, within the timeout; a client that fails it is dropped
        /// and Accept throws its TLS error (an <see cref="InetSecurityException"/>).</summary>
        /// <param name="timeoutSeconds">0 = the library default (30 s),
        /// <see cref="Timeout.Infinite"/> = no limit.</param>
        /// <param name="options"><see cref="InetOptions.FreeThread"/> for the new connection.</param>
        /// <exception cref="InetTimeoutException">No client came in time.</exception>
        /// <exception cref="InetCanceledException">Canceled or disposed from another thread.</exception>
        public InetConnection Accept(int timeoutSeconds = 0, InetOptions options = InetOptions.None)
        {
            uint timeout = InetConnection.SecondsToNative(timeoutSeconds, "timeoutSeconds");
            InetConnectionHandle connection = new InetConnectionHandle();
            foreach (object kept in handle.KeptAlive)
            {
                connection.KeepAlive(kept);
            }
            try
            {
                handle.Invoke(delegate(IntPtr h)
                {
                    IntPtr raw = NativeMethods.InetAccept(h, timeout, (uint)options);
                    if (raw == IntPtr.Zero)
                    {
                        return InetSafeHandle.LastErrorOr((uint)InetErrorCode.Internal);
                    }
                    connection.SetHandleValue(raw);
                    return 0;
                });
            }
            catch
            {
                connection.Dispose();   // disconnects only if a handle was made
                throw;
            }
            return new InetConnection(connection);
        }

        /// <summary>Makes a blocked <see cref="Accept"/> fail with
        /// <see cref="InetCanceledException"/> (InetCancel). Callable from any thread.</summary>
        public void Cancel()
        {
            handle.Cancel();
        }

        /// <summary>Gives the listener to thread <paramref name="threadId"/>
        /// (0: the calling thread) and returns the previous owner (InetAttachThread).</summary>
        public uint AttachThread(uint threadId = 0)
        {
            return handle.AttachThread(threadId);
        }

        /// <summary>Stops listening (InetDisconnect). Callable from any thread; a
        /// blocked <see cref="Accept"/> fails with <see cref="InetCanceledException"/>.</summary>
        public void Dispose()
        {
            handle.DisconnectNow();
            handle.Dispose();
        }

        /// <summary>Same as <see cref="Dispose"/>.</summary>
        public void Close()
        {
            Dispose();
        }
    }
}
