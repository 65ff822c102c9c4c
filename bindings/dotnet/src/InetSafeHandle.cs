// InetSafeHandle.cs - HCLIENT handles as SafeHandles.
//
// ReleaseHandle calls the family's disconnect (InetDisconnect, PopDisconnect).
// That is safe on the finalizer thread because disconnect is exempt from the
// owner-thread check, and safe while another thread is inside a call on the
// handle: the library cancels that call and frees the object when it returns.
// (PopDisconnect sends QUIT only from a thread that may use the handle and
// finds it idle; from the finalizer it just closes, and the server drops the
// session's deletions.)
using System;
using System.Net;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Threading;

namespace Inetkit
{
    /// <summary>An inetkit HCLIENT. Released (the family's disconnect) when disposed or finalized.</summary>
    public abstract class InetSafeHandle : SafeHandle
    {
        // An exception thrown by a callback, held until the inetkit call that ran
        // the callback returns to managed code on this thread.
        [ThreadStatic]
        private static ExceptionDispatchInfo pendingCallbackException;

        [ThreadStatic]
        private static int callbackDepth;

        private int disconnected;

        internal InetSafeHandle()
            : base(IntPtr.Zero, true)
        {
        }

        /// <summary>True for INVALID_CLIENT (0).</summary>
        public override bool IsInvalid
        {
            get { return handle == IntPtr.Zero; }
        }

        /// <summary>Calls the family's disconnect once, whoever gets here first:
        /// Dispose, the finalizer, or <see cref="DisconnectNow"/>.</summary>
        protected override bool ReleaseHandle()
        {
            DisconnectOnce();
            // INETKIT_ERROR_INVALID_HANDLE here means the library has already
            // dropped the handle (InetUninitialize); either way it is gone.
            return true;
        }

        internal void SetHandleValue(IntPtr value)
        {
            SetHandle(value);
        }

        /// <summary>Disconnects at once, even while another thread is blocked in
        /// a call on this handle (that call then fails with Canceled). The
        /// SafeHandle itself is released as usual when its last user is done.</summary>
        internal void DisconnectNow()
        {
            if (!IsInvalid)
            {
                DisconnectOnce();
            }
        }

        private void DisconnectOnce()
        {
            if (Interlocked.Exchange(ref disconnected, 1) == 0)
            {
                NativeDisconnect(handle);
            }
        }

        // The family's exports that every handle has. The Inet family's by
        // default; a handle of another family overrides all three. They must
        // work on any thread (NativeDisconnect runs on the finalizer thread).

        /// <summary>InetDisconnect, or the family's twin.</summary>
        internal virtual uint NativeDisconnect(IntPtr h)
        {
            return NativeMethods.InetDisconnect(h);
        }

        /// <summary>InetCancel, or the family's twin.</summary>
        internal virtual uint NativeCancel(IntPtr h)
        {
            return NativeMethods.InetCancel(h);
        }

        /// <summary>InetAttachThread, or the family's twin (0 on failure).</summary>
        internal virtual uint NativeAttachThread(IntPtr h, uint threadId)
        {
            return NativeMethods.InetAttachThread(h, threadId);
        }

        /// <summary>Runs one export on this handle: keeps the SafeHandle alive
        /// during the call, reads the error message on this thread right after
        /// a failure (before anything else can touch the last-error store) and
        /// then throws.</summary>
        internal void Invoke(Func<IntPtr, uint> call)
        {
            InetException error = null;
            bool added = false;
            try
            {
                DangerousAddRef(ref added);
                uint rc = call(handle);
                if (rc != 0)
                {
                    error = ErrorFor(rc);
                }
            }
            finally
            {
                if (added)
                {
                    DangerousRelease();
                }
            }
            if (callbackDepth == 0)
            {
                ExceptionDispatchInfo pending = pendingCallbackException;
                if (pending != null)
                {
                    pendingCallbackException = null;
                    pending.Throw();
                }
            }
            if (error != null)
            {
                throw error;
            }
        }

        /// <summary>The exception for a failed call on this handle, with the
        /// message of the calling thread's last-error store: read it right
        /// after the failing export. A family may pick its own types (the Mx
        /// family's DNS outcomes are <see cref="MxException"/>s).</summary>
        internal virtual InetException ErrorFor(uint rc)
        {
            return InetException.FromLastError(rc);
        }

        /// <summary>The code of an export that reports failure through its
        /// return value (INVALID_CLIENT, or 0 from InetAttachThread): the
        /// thread's last error, or <paramref name="fallback"/> if that reads 0.
        /// Call it right after the export.</summary>
        internal static uint LastErrorOr(uint fallback)
        {
            uint rc = NativeMethods.InetGetLastError();
            return rc != 0 ? rc : fallback;
        }

        /// <summary>Creates a handle with a creating export and throws on INVALID_CLIENT.</summary>
        internal static T Create<T>(T safeHandle, Func<IntPtr> create) where T : InetSafeHandle
        {
            IntPtr raw = create();
            InetException error = null;
            if (raw == IntPtr.Zero)
            {
                error = InetException.FromLastError(LastErrorOr((uint)InetErrorCode.Internal));
            }
            else
            {
                safeHandle.SetHandleValue(raw);
            }
            // A verify callback run by the creating call (InetConnect with TLS)
            // may have thrown; that exception wins, as in Invoke.
            if (callbackDepth == 0)
            {
                ExceptionDispatchInfo pending = pendingCallbackException;
                if (pending != null)
                {
                    pendingCallbackException = null;
                    safeHandle.Dispose();
                    pending.Throw();
                }
            }
            if (error != null)
            {
                throw error;
            }
            return safeHandle;
        }

        // Delegates whose function pointers the library holds for this handle
        // (the verify and PSK callbacks of the credentials it was made or secured with).
        // Kept here so that they live as long as the handle.
        private readonly object keepAliveLock = new object();
        private object[] keepAlive = new object[0];

        /// <summary>Keeps <paramref name="value"/> reachable as long as this handle.</summary>
        internal void KeepAlive(object value)
        {
            if (value == null)
            {
                return;
            }
            lock (keepAliveLock)
            {
                object[] grown = new object[keepAlive.Length + 1];
                keepAlive.CopyTo(grown, 0);
                grown[keepAlive.Length] = value;
                keepAlive = grown;
            }
        }

        internal object[] KeptAlive
        {
            get
            {
                lock (keepAliveLock)
                {
                    return keepAlive;
                }
            }
        }

        internal void Cancel()
        {
            Invoke(delegate(IntPtr h) { return NativeCancel(h); });
        }

        internal uint AttachThread(uint threadId)
        {
            uint previous = 0;
            Invoke(delegate(IntPtr h)
            {
                previous = NativeAttachThread(h, threadId);
                return previous != 0 ? 0u : LastErrorOr((uint)InetErrorCode.Internal);
            });
            return previous;
        }

        internal IPEndPoint GetEndPoint(bool peer)
        {
            string address = null;
            uint port = 0;
            Invoke(delegate(IntPtr h)
            {
                return Utf8.Query(delegate(byte[] buffer, ref uint size)
                {
                    return peer
                        ? NativeMethods.InetGetPeerAddress(h, buffer, ref size, out port)
                        : NativeMethods.InetGetLocalAddress(h, buffer, ref size, out port);
                }, NativeMethods.INET_ADDRESS_BUFFER, out address);
            });
            return new IPEndPoint(ParseAddress(address), (int)port);
        }

        private static IPAddress ParseAddress(string address)
        {
            IPAddress parsed;
            if (IPAddress.TryParse(address, out parsed))
            {
                return parsed;
            }
            // A scope given by interface name ("fe80::1%eth0") is not parsed
            // everywhere; keep the address without it.
            int percent = address.IndexOf('%');
            if (percent > 0 && IPAddress.TryParse(address.Substring(0, percent), out parsed))
            {
                return parsed;
            }
            throw new FormatException("inetkit returned an address that is not numeric: " + address);
        }

        /// <summary>Called by a callback thunk: remembers the first exception a
        /// user callback threw, to rethrow it when the inetkit call returns.</summary>
        internal static void SetPendingCallbackException(Exception exception)
        {
            if (pendingCallbackException == null)
            {
                pendingCallbackException = ExceptionDispatchInfo.Capture(exception);
            }
        }

        internal static void EnterCallback()
        {
            callbackDepth++;
        }

        internal static void LeaveCallback()
        {
            callbackDepth--;
        }
    }

    /// <summary>The HCLIENT of a connection (InetConnect, InetAccept).</summary>
    public sealed class InetConnectionHandle : InetSafeHandle
    {
        internal readonly object TraceLock = new object();

        // The registered trace delegate. The SafeHandle is alive during every
        // call that can run the callback, so the delegate is too.
        internal NativeMethods.INETTRACEPROC TraceProc;

        internal InetConnectionHandle()
        {
        }
    }

    /// <summary>The HCLIENT of a listener (InetListen).</summary>
    public sealed class InetListenerHandle : InetSafeHandle
    {
        internal InetListenerHandle()
        {
        }
    }

    /// <summary>The HCLIENT of a POP3 session (PopConnect). Released with
    /// PopDisconnect; cancelled and handed over with PopCancel and PopAttachThread.</summary>
    public sealed class PopClientHandle : InetSafeHandle
    {
        internal readonly object CallbackLock = new object();

        // The registered trace and progress delegates. The SafeHandle is alive
        // during every call that can run them, so they are too.
        internal NativeMethods.POPTRACEPROC TraceProc;
        internal NativeMethods.POPPROGRESSPROC ProgressProc;

        internal PopClientHandle()
        {
        }

        internal override uint NativeDisconnect(IntPtr h)
        {
            return NativeMethods.PopDisconnect(h);
        }

        internal override uint NativeCancel(IntPtr h)
        {
            return NativeMethods.PopCancel(h);
        }

        internal override uint NativeAttachThread(IntPtr h, uint threadId)
        {
            return NativeMethods.PopAttachThread(h, threadId);
        }
    }
}
