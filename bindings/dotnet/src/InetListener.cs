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
            InetConnection.CheckPort(port, "port");
            if (backlog < 0)
            {
                throw new ArgumentOutOfRangeException("backlog");
            }
            byte[] nativeAddress = Utf8.ToNative(address, "address");
            InetLibrary.EnsureInitialized();
            InetListenerHandle safeHandle = InetSafeHandle.Create(new InetListenerHandle(), delegate
            {
                return NativeMethods.InetListen(nativeAddress, (uint)port, (uint)backlog, (uint)options, IntPtr.Zero);
            });
            return new InetListener(safeHandle);
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
        /// calling thread (InetAccept).</summary>
        /// <param name="timeoutSeconds">0 = the library default (30 s),
        /// <see cref="Timeout.Infinite"/> = no limit.</param>
        /// <param name="options"><see cref="InetOptions.FreeThread"/> for the new connection.</param>
        /// <exception cref="InetTimeoutException">No client came in time.</exception>
        /// <exception cref="InetCanceledException">Canceled or disposed from another thread.</exception>
        public InetConnection Accept(int timeoutSeconds = 0, InetOptions options = InetOptions.None)
        {
            uint timeout = InetConnection.SecondsToNative(timeoutSeconds, "timeoutSeconds");
            InetConnectionHandle connection = new InetConnectionHandle();
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
