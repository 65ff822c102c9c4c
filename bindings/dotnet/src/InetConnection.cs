// InetConnection.cs - a TCP connection (InetConnect / InetAccept).
using System;
using System.Collections.Generic;
using System.Net;
using System.Runtime.InteropServices;
using System.Threading;

namespace Inetkit
{
    /// <summary>A TCP client or server-side connection.</summary>
    /// <remarks>
    /// <para>Threads: the connection belongs to the thread that created it
    /// (Connect or Accept); calls from any other thread throw
    /// <see cref="InetWrongThreadException"/>. Create it with
    /// <see cref="InetOptions.FreeThread"/> to use it from any thread (the
    /// library serialises the calls), or hand it over with
    /// <see cref="AttachThread"/>. <see cref="Cancel"/> and
    /// <see cref="Dispose"/> work from any thread.</para>
    /// <para>Errors: every failure throws an <see cref="InetException"/> (or a
    /// subclass) carrying the library's code and message.</para>
    /// </remarks>
    public sealed class InetConnection : IDisposable
    {
        /// <summary>The line length <see cref="ReadLine()"/> accepts by default, in bytes.</summary>
        public const int DefaultMaxLineLength = 8192;

        private readonly InetConnectionHandle handle;

        internal InetConnection(InetConnectionHandle handle)
        {
            this.handle = handle;
        }

        /// <summary>Opens a TCP connection (InetConnect).</summary>
        /// <param name="host">A host name, an IPv4 literal or an IPv6 literal (brackets optional).</param>
        /// <param name="port">1-65535.</param>
        /// <param name="timeoutSeconds">Time for the whole connect, in seconds; it
        /// also becomes the inactivity timeout. 0 = the library default (30 s),
        /// <see cref="Timeout.Infinite"/> = no limit.</param>
        /// <param name="options"><see cref="InetOptions.PreferIPv6"/>, <see cref="InetOptions.FreeThread"/>,
        /// and for TLS <see cref="InetOptions.Secure"/>, <see cref="InetOptions.TrustedSite"/>,
        /// <see cref="InetOptions.SecureFallback"/>.</param>
        public static InetConnection Connect(string host, int port, int timeoutSeconds = 0,
                                             InetOptions options = InetOptions.None)
        {
            return ConnectCore(host, port, timeoutSeconds, options, null);
        }

        /// <summary>Opens a TCP connection with TLS settings (InetConnect):
        /// <see cref="InetOptions.Secure"/> makes the TLS handshake part of the
        /// connect, within the same timeout, and <paramref name="credentials"/>
        /// say how. The credentials are checked before any traffic. Without
        /// Secure the library refuses credentials and TLS options
        /// (InvalidParameter): connect plain and pass them to
        /// <see cref="StartTls"/> instead.</summary>
        /// <param name="host">A host name or address literal; for TLS also the name
        /// the server's certificate is verified against (unless
        /// <see cref="InetCredentials.VerifyName"/> says otherwise).</param>
        /// <param name="port">1-65535.</param>
        /// <param name="timeoutSeconds">As for <see cref="Connect(string, int, int, InetOptions)"/>.</param>
        /// <param name="options">As for <see cref="Connect(string, int, int, InetOptions)"/>.</param>
        /// <param name="credentials">Our certificate, the CAs to trust, how to
        /// verify; null for the defaults (verify against the system's CAs).</param>
        /// <exception cref="InetCertificateException">The server's certificate was refused.</exception>
        /// <exception cref="InetCredentialsException">Our credentials do not load.</exception>
        /// <exception cref="InetSecurityException">Another TLS failure.</exception>
        public static InetConnection Connect(string host, int port, int timeoutSeconds, InetOptions options,
                                             InetCredentials credentials)
        {
            return ConnectCore(host, port, timeoutSeconds, options, credentials);
        }

        /// <summary>Opens a TLS connection: <see cref="Connect(string, int, int, InetOptions, InetCredentials)"/>
        /// with <see cref="InetOptions.Secure"/> added to <paramref name="options"/>.</summary>
        public static InetConnection ConnectSecure(string host, int port, InetCredentials credentials = null,
                                                   int timeoutSeconds = 0, InetOptions options = InetOptions.None)
        {
            return ConnectCore(host, port, timeoutSeconds, options | InetOptions.Secure, credentials);
        }

        private static InetConnection ConnectCore(string host, int port, int timeoutSeconds, InetOptions options,
                                                  InetCredentials credentials)
        {
            if (host == null)
            {
                throw new ArgumentNullException("host");
            }
            CheckPort(port, "port");
            byte[] nativeHost = Utf8.ToNative(host, "host");
            uint timeout = SecondsToNative(timeoutSeconds, "timeoutSeconds");
            InetLibrary.EnsureInitialized();
            using (NativeCredentials native = NativeCredentials.From(credentials))
            {
                InetConnectionHandle safeHandle = InetSafeHandle.Create(new InetConnectionHandle(), delegate
                {
                    return NativeMethods.InetConnect(nativeHost, (uint)port, timeout, (uint)options, native.Pointer);
                });
                native.KeepCallbacksAlive(safeHandle);
                return new InetConnection(safeHandle);
            }
        }

        /// <summary>The underlying handle.</summary>
        public InetConnectionHandle SafeHandle
        {
            get { return handle; }
        }

        /// <summary>Bytes that <see cref="Read(byte[], int, int)"/> can return
        /// without blocking (InetGetBytesAvailable).</summary>
        public int Available
        {
            get
            {
                uint available = 0;
                handle.Invoke(delegate(IntPtr h) { return NativeMethods.InetGetBytesAvailable(h, out available); });
                return ClampToInt(available);
            }
        }

        /// <summary>The local end of the connection.</summary>
        public IPEndPoint LocalEndPoint
        {
            get { return handle.GetEndPoint(false); }
        }

        /// <summary>The peer's end of the connection.</summary>
        public IPEndPoint RemoteEndPoint
        {
            get { return handle.GetEndPoint(true); }
        }

        /// <summary>The longest a blocking call waits without any byte moving, in
        /// milliseconds (INET_TIMEOUT_INACTIVITY). <see cref="Timeout.Infinite"/>
        /// for none; setting 0 restores the default.</summary>
        public int InactivityTimeout
        {
            get { return GetTimeout(NativeMethods.INET_TIMEOUT_INACTIVITY); }
            set { SetTimeout(NativeMethods.INET_TIMEOUT_INACTIVITY, value); }
        }

        /// <summary>The longest one call may take in all, in milliseconds
        /// (INET_TIMEOUT_CALL). <see cref="Timeout.Infinite"/> for none (the
        /// default); setting 0 restores the default.</summary>
        public int CallTimeout
        {
            get { return GetTimeout(NativeMethods.INET_TIMEOUT_CALL); }
            set { SetTimeout(NativeMethods.INET_TIMEOUT_CALL, value); }
        }

        /// <summary>Reads up to <paramref name="count"/> bytes, blocking until at
        /// least one arrives (InetRead).</summary>
        /// <returns>The number of bytes read; 0 means the peer closed the
        /// connection in order (end of stream).</returns>
        public int Read(byte[] buffer, int offset, int count)
        {
            return Transfer(buffer, offset, count, NativeMethods.InetRead);
        }

        /// <summary>Reads into the whole of <paramref name="buffer"/>; see <see cref="Read(byte[], int, int)"/>.</summary>
        public int Read(byte[] buffer)
        {
            if (buffer == null)
            {
                throw new ArgumentNullException("buffer");
            }
            return Read(buffer, 0, buffer.Length);
        }

        /// <summary>Reads one line of at most <see cref="DefaultMaxLineLength"/> bytes; see <see cref="ReadLine(int)"/>.</summary>
        public string ReadLine()
        {
            return ReadLine(DefaultMaxLineLength);
        }

        /// <summary>Reads one line ending in LF (a CR before it is dropped too)
        /// and returns it without the line end, decoded as UTF-8 (InetReadLine).</summary>
        /// <param name="maxLength">The longest line accepted, in bytes. A longer
        /// line fails with <see cref="InetErrorCode.LineTooLong"/> and stays unread.</param>
        /// <exception cref="InetConnectionException">ConnectionClosed: the peer
        /// closed before the end of a line; the partial line stays readable with Read.</exception>
        public string ReadLine(int maxLength)
        {
            if (maxLength < 1 || maxLength == int.MaxValue)
            {
                throw new ArgumentOutOfRangeException("maxLength");
            }
            byte[] line = new byte[maxLength + 1];
            uint length = 0;
            handle.Invoke(delegate(IntPtr h)
            {
                return NativeMethods.InetReadLine(h, line, (uint)line.Length, out length);
            });
            return Utf8.Decode(line, (int)Math.Min(length, (uint)maxLength));
        }

        /// <summary>Copies up to <paramref name="count"/> bytes that have already
        /// arrived, without consuming them (InetPeek). Never blocks.</summary>
        public int Peek(byte[] buffer, int offset, int count)
        {
            return Transfer(buffer, offset, count, NativeMethods.InetPeek);
        }

        private delegate uint NativeTransfer(IntPtr hClient, IntPtr lpBuffer, uint cbBuffer, out uint lpcbDone);

        // InetRead and InetPeek: pin the caller's array for the length of the call.
        private int Transfer(byte[] buffer, int offset, int count, NativeTransfer call)
        {
            CheckBuffer(buffer, offset, count);
            if (count == 0)
            {
                return 0;
            }
            uint done = 0;
            GCHandle pin = GCHandle.Alloc(buffer, GCHandleType.Pinned);
            try
            {
                IntPtr data = Marshal.UnsafeAddrOfPinnedArrayElement(buffer, offset);
                handle.Invoke(delegate(IntPtr h) { return call(h, data, (uint)count, out done); });
            }
            finally
            {
                pin.Free();
            }
            return (int)done;
        }

        /// <summary>Peeks into the whole of <paramref name="buffer"/>; see <see cref="Peek(byte[], int, int)"/>.</summary>
        public int Peek(byte[] buffer)
        {
            if (buffer == null)
            {
                throw new ArgumentNullException("buffer");
            }
            return Peek(buffer, 0, buffer.Length);
        }

        /// <summary>Sends all <paramref name="count"/> bytes, blocking as needed (InetWrite).</summary>
        public void Write(byte[] buffer, int offset, int count)
        {
            CheckBuffer(buffer, offset, count);
            if (count == 0)
            {
                return;
            }
            uint written = 0;
            GCHandle pin = GCHandle.Alloc(buffer, GCHandleType.Pinned);
            try
            {
                IntPtr data = Marshal.UnsafeAddrOfPinnedArrayElement(buffer, offset);
                handle.Invoke(delegate(IntPtr h) { return NativeMethods.InetWrite(h, data, (uint)count, out written); });
            }
            finally
            {
                pin.Free();
            }
        }

        /// <summary>Sends the whole of <paramref name="buffer"/>.</summary>
        public void Write(byte[] buffer)
        {
            if (buffer == null)
            {
                throw new ArgumentNullException("buffer");
            }
            Write(buffer, 0, buffer.Length);
        }

        /// <summary>Sends <paramref name="text"/> as UTF-8, with no line end.</summary>
        public void Write(string text)
        {
            if (text == null)
            {
                throw new ArgumentNullException("text");
            }
            Write(System.Text.Encoding.UTF8.GetBytes(text));
        }

        /// <summary>Sends <paramref name="line"/> as UTF-8 followed by CR LF
        /// (InetWriteLine). A line holding CR or LF is refused with
        /// <see cref="InetErrorCode.InvalidParameter"/> before anything is sent.</summary>
        public void WriteLine(string line)
        {
            if (line == null)
            {
                throw new ArgumentNullException("line");
            }
            byte[] nativeLine = Utf8.ToNative(line, "line");
            handle.Invoke(delegate(IntPtr h) { return NativeMethods.InetWriteLine(h, nativeLine); });
        }

        /// <summary>Stops receiving, sending (the peer sees the end of the stream) or both (InetShutdown).</summary>
        public void Shutdown(InetShutdown how = InetShutdown.Send)
        {
            handle.Invoke(delegate(IntPtr h) { return NativeMethods.InetShutdown(h, (uint)how); });
        }

        /// <summary>Makes the blocking call in progress on this connection, on
        /// any thread, fail with <see cref="InetCanceledException"/> (InetCancel).
        /// No effect when no call is in progress. Callable from any thread.</summary>
        public void Cancel()
        {
            handle.Cancel();
        }

        /// <summary>Gives the connection to thread <paramref name="threadId"/>, an
        /// operating-system thread id (see <see cref="InetLibrary.CurrentThreadId"/>);
        /// 0 means the calling thread (InetAttachThread). Callable from any thread;
        /// fails with <see cref="InetErrorCode.Busy"/> while a call is in progress.</summary>
        /// <returns>The previous owner's thread id.</returns>
        public uint AttachThread(uint threadId = 0)
        {
            return handle.AttachThread(threadId);
        }

        /// <summary>Registers <paramref name="callback"/> to see every byte the
        /// connection sends or receives, or removes it (null) (InetSetTraceCallback).</summary>
        /// <remarks>The callback runs on the thread of the call that moved the
        /// bytes, before that call returns. It may call <see cref="Cancel"/> and
        /// <see cref="Dispose"/>; any other call on this connection from inside it
        /// fails with <see cref="InetErrorCode.ReentrantCall"/>. An exception
        /// thrown by the callback is rethrown by the call that ran it, after that
        /// call has finished. Once SetTrace returns, the previous callback is not
        /// called again.</remarks>
        public void SetTrace(Action<InetTraceDirection, byte[]> callback)
        {
            NativeMethods.INETTRACEPROC proc = callback == null ? null : new NativeMethods.INETTRACEPROC(new TraceThunk(callback).Invoke);
            lock (handle.TraceLock)
            {
                handle.Invoke(delegate(IntPtr h) { return NativeMethods.InetSetTraceCallback(h, proc, IntPtr.Zero); });
                // Only now may the previous delegate be collected.
                handle.TraceProc = proc;
            }
        }

        // ---- TLS ---------------------------------------------------------------

        /// <summary>Secures this live plain connection (STARTTLS, InetStartTls). On
        /// a connection made by Connect this side is the TLS client and verifies
        /// the host given to Connect (or <see cref="InetCredentials.VerifyName"/>);
        /// on one made by Accept it is the server, and
        /// <paramref name="credentials"/> must hold a certificate and key (or a PSK).</summary>
        /// <param name="options"><see cref="InetOptions.TrustedSite"/>, <see cref="InetOptions.SecureFallback"/>.</param>
        /// <param name="credentials">null for the defaults (clients only).</param>
        /// <exception cref="InetPlaintextInjectionException">Unread plaintext was
        /// waiting: nothing was sent and the bytes stay readable, but the
        /// connection must be treated as compromised.</exception>
        /// <exception cref="InetException">NotSupported: already secure.</exception>
        /// <exception cref="InetSecurityException">The handshake failed; the
        /// connection is unusable, dispose it.</exception>
        public void StartTls(InetOptions options = InetOptions.None, InetCredentials credentials = null)
        {
            using (NativeCredentials native = NativeCredentials.From(credentials))
            {
                native.KeepCallbacksAlive(handle);
                handle.Invoke(delegate(IntPtr h) { return NativeMethods.InetStartTls(h, (uint)options, native.Pointer); });
            }
        }

        /// <summary>True once TLS is established on this connection.</summary>
        public bool IsSecure
        {
            get { return GetSecurityValue(InetSecurityValue.Protocol) != 0; }
        }

        /// <summary>The session details (InetGetSecurityInfo); on a plain
        /// connection <see cref="InetSecurityInfo.IsSecure"/> is false.</summary>
        public InetSecurityInfo SecurityInfo
        {
            get
            {
                NativeMethods.INETSECURITYINFO info = NativeMethods.NewSecurityInfo();
                handle.Invoke(delegate(IntPtr h) { return NativeMethods.InetGetSecurityInfo(h, ref info); });
                return new InetSecurityInfo(info);
            }
        }

        /// <summary>One numeric field of <see cref="SecurityInfo"/> (InetGetSecurityValue).</summary>
        public uint GetSecurityValue(InetSecurityValue field)
        {
            uint value = 0;
            handle.Invoke(delegate(IntPtr h) { return NativeMethods.InetGetSecurityValue(h, (uint)field, out value); });
            return value;
        }

        /// <summary>The problems found while verifying the peer (InetGetVerifyErrors);
        /// empty if none. With <see cref="InetVerifyMode.Query"/> the handshake
        /// succeeds despite them; pass them to <see cref="InetCredentials.Ignore"/>
        /// to accept exactly these problems next time.</summary>
        public IList<InetVerifyError> VerifyErrors
        {
            get
            {
                string text = null;
                handle.Invoke(delegate(IntPtr h)
                {
                    return Utf8.Query(delegate(byte[] buffer, ref uint size)
                    {
                        return NativeMethods.InetGetVerifyErrors(h, buffer, ref size);
                    }, 512, out text);
                });
                return InetVerifyError.ParseList(text);
            }
        }

        /// <summary>A certificate of the peer's chain as the peer sent it: 0 is the
        /// peer's own (InetGetCertificateInfo).</summary>
        /// <exception cref="InetSecurityException">SecurityNotEstablished: a plain connection.</exception>
        /// <exception cref="InetException">InvalidParameter: no such certificate.</exception>
        public InetCertificate GetPeerCertificate(int index = 0)
        {
            if (index < 0)
            {
                throw new ArgumentOutOfRangeException("index", index, "The index cannot be negative.");
            }
            return LoadCertificate((uint)index);
        }

        /// <summary>Every certificate the peer sent, its own first.</summary>
        public IList<InetCertificate> GetPeerCertificates()
        {
            int count = (int)Math.Min(GetSecurityValue(InetSecurityValue.PeerCertificates), (uint)int.MaxValue);
            List<InetCertificate> list = new List<InetCertificate>(count);
            for (int i = 0; i < count; i++)
            {
                list.Add(GetPeerCertificate(i));
            }
            return list.AsReadOnly();
        }

        /// <summary>The certificate we presented (INET_CERTIFICATE_LOCAL).</summary>
        /// <exception cref="InetException">InvalidParameter: we presented none.</exception>
        public InetCertificate GetLocalCertificate()
        {
            return LoadCertificate(NativeMethods.INET_CERTIFICATE_LOCAL);
        }

        private InetCertificate LoadCertificate(uint index)
        {
            byte[] der = null;
            handle.Invoke(delegate(IntPtr h)
            {
                return Utf8.QueryBytes(delegate(byte[] buffer, ref uint size)
                {
                    return NativeMethods.InetGetCertificateInfo(h, index, NativeMethods.INET_CERT_DER, buffer, ref size);
                }, 2048, out der);
            });
            return new InetCertificate(
                CertificateText(index, NativeMethods.INET_CERT_SUBJECT, 256),
                CertificateText(index, NativeMethods.INET_CERT_ISSUER, 256),
                CertificateText(index, NativeMethods.INET_CERT_SERIAL, 64),
                CertificateText(index, NativeMethods.INET_CERT_NOT_BEFORE, 32),
                CertificateText(index, NativeMethods.INET_CERT_NOT_AFTER, 32),
                CertificateText(index, NativeMethods.INET_CERT_SAN, 256),
                CertificateText(index, NativeMethods.INET_CERT_FINGERPRINT, 80),
                CertificateText(index, NativeMethods.INET_CERT_PEM, 4096),
                der,
                CertificateText(index, NativeMethods.INET_CERT_PUBLIC_KEY_PIN, 64));
        }

        private string CertificateText(uint index, uint field, uint initialSize)
        {
            string value = null;
            handle.Invoke(delegate(IntPtr h)
            {
                return Utf8.Query(delegate(byte[] buffer, ref uint size)
                {
                    return NativeMethods.InetGetCertificateInfo(h, index, field, buffer, ref size);
                }, initialSize, out value);
            });
            return value;
        }

        /// <summary>Closes the connection (InetDisconnect). Callable from any
        /// thread; a call blocked on the connection in another thread fails with
        /// <see cref="InetCanceledException"/>.</summary>
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

        internal static void CheckPort(int port, string paramName)
        {
            if (port < 0 || port > 65535)
            {
                throw new ArgumentOutOfRangeException(paramName, port, "The port must be between 0 and 65535.");
            }
        }

        /// <summary>Seconds for InetConnect/InetAccept: 0 = the library default,
        /// Timeout.Infinite = INET_WAIT_INFINITE.</summary>
        internal static uint SecondsToNative(int seconds, string paramName)
        {
            if (seconds == Timeout.Infinite)
            {
                return NativeMethods.INET_WAIT_INFINITE;
            }
            if (seconds < 0)
            {
                throw new ArgumentOutOfRangeException(paramName, seconds, "Use 0 for the default or Timeout.Infinite.");
            }
            return (uint)seconds;
        }

        private static void CheckBuffer(byte[] buffer, int offset, int count)
        {
            if (buffer == null)
            {
                throw new ArgumentNullException("buffer");
            }
            if (offset < 0 || offset > buffer.Length)
            {
                throw new ArgumentOutOfRangeException("offset");
            }
            if (count < 0 || count > buffer.Length - offset)
            {
                throw new ArgumentOutOfRangeException("count");
            }
        }

        private static int ClampToInt(uint value)
        {
            return value > int.MaxValue ? int.MaxValue : (int)value;
        }

        private int GetTimeout(uint kind)
        {
            uint milliseconds = 0;
            handle.Invoke(delegate(IntPtr h) { return NativeMethods.InetGetTimeout(h, kind, out milliseconds); });
            return milliseconds == NativeMethods.INET_WAIT_INFINITE ? Timeout.Infinite : ClampToInt(milliseconds);
        }

        private void SetTimeout(uint kind, int milliseconds)
        {
            if (milliseconds < 0 && milliseconds != Timeout.Infinite)
            {
                throw new ArgumentOutOfRangeException("value", milliseconds, "Use Timeout.Infinite for no limit.");
            }
            uint value = milliseconds == Timeout.Infinite ? NativeMethods.INET_WAIT_INFINITE : (uint)milliseconds;
            handle.Invoke(delegate(IntPtr h) { return NativeMethods.InetSetTimeout(h, kind, value); });
        }

        // Turns the native callback into the managed one. It must not let an
        // exception unwind into the library: it parks it for Invoke instead.
        private sealed class TraceThunk
        {
            private readonly Action<InetTraceDirection, byte[]> callback;

            internal TraceThunk(Action<InetTraceDirection, byte[]> callback)
            {
                this.callback = callback;
            }

            internal void Invoke(IntPtr hClient, uint direction, IntPtr data, uint count, IntPtr param)
            {
                InetSafeHandle.EnterCallback();
                try
                {
                    byte[] bytes = new byte[count];
                    if (count > 0)
                    {
                        Marshal.Copy(data, bytes, 0, (int)count);
                    }
                    callback((InetTraceDirection)direction, bytes);
                }
                catch (Exception exception)
                {
                    InetSafeHandle.SetPendingCallbackException(exception);
                }
                finally
                {
                    InetSafeHandle.LeaveCallback();
                }
            }
        }
    }
}
