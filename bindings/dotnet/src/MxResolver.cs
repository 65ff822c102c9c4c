// MxResolver.cs - an MX resolver (MxCreate and the rest of inetkit/mx.h).
using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Runtime.InteropServices;
using System.Threading;

namespace Inetkit
{
    /// <summary>Finds where mail for an address or a domain goes (RFC 5321 5.1),
    /// synchronously or asynchronously.</summary>
    /// <remarks>
    /// <para>One call gives the whole delivery plan: the domain converted to its
    /// A-label, its MX records (following a CNAME), a null MX ("0 .", RFC 7505)
    /// reported as <see cref="MxNullMxException"/>, the implicit MX (the domain
    /// itself) when it has addresses but no MX, invalid exchanger names dropped,
    /// the rest sorted by preference (equal ones shuffled) and, with the
    /// ResolveAddresses setting, each exchanger's addresses.</para>
    /// <para>Synchronous: with <see cref="TimeoutSeconds"/> above 0 (the default,
    /// 60), <see cref="Resolve"/> and <see cref="Lookup"/> block. Asynchronous:
    /// with TimeoutSeconds 0, <see cref="Submit"/> queues a request and returns
    /// its id; many run concurrently (setting MaxInFlight). Their results come
    /// out of <see cref="NextResult(int)"/>, or go to the <see cref="Response"/>
    /// and <see cref="Error"/> events while a handler is attached; events fire
    /// inside <see cref="DoEvents(int)"/>, <see cref="Wait(int)"/> and
    /// <see cref="NextResult(int)"/>, on the calling thread.
    /// <see cref="ResolveMany"/> does all of it for a batch.</para>
    /// <para>Threads: by default the resolver is made with
    /// <see cref="MxOptions.FreeThread"/>: any thread may use it and the library
    /// serialises the calls (see MxSafeHandle.cs for why), except that a
    /// synchronous <see cref="Resolve"/> while another thread's is running fails
    /// with Busy: for concurrent lookups use <see cref="Submit"/> or
    /// <see cref="ResolveMany"/>, or one resolver per thread.
    /// <see cref="Interrupt"/> and <see cref="Dispose"/> work from any thread.</para>
    /// <para>Errors: a failed request throws <see cref="MxException"/>
    /// (<see cref="MxNullMxException"/> for a null MX); misuse, cancellation and
    /// an unreachable server throw the usual <see cref="InetException"/> types.</para>
    /// </remarks>
    public sealed class MxResolver : IDisposable
    {
        /// <summary>MX_DNS_PORT.</summary>
        public const int DefaultDnsPort = (int)NativeMethods.MX_DNS_PORT;

        /// <summary>MX_DEFAULT_TIMEOUT, in seconds.</summary>
        public const int DefaultTimeoutSeconds = (int)NativeMethods.MX_DEFAULT_TIMEOUT;

        private readonly MxSafeHandle handle;

        // The managed handlers. The native callbacks (handle.ResponseProc,
        // handle.ErrorProc) are registered while a handler is attached; they read
        // these fields without a lock (a delegate is immutable).
        private EventHandler<MxResponseEventArgs> response;
        private EventHandler<MxErrorEventArgs> error;

        // The mode as last set or read (TimeoutSeconds 0 = asynchronous), so that
        // Lookup and Submit need no call that would wait for the handle; checked
        // with the library when it says no.
        private volatile bool asynchronous;

        // The managed thread inside Lookup (0: none): one blocking resolve at a
        // time (a second one is Busy, as MxResolve says), and the result read
        // back after MxResolve is that resolve's own.
        private int resolvingThread;

        /// <summary>A resolver with every property at its default: the system's
        /// DNS servers (/etc/resolv.conf), port 53, TimeoutSeconds 60 (MxCreate).</summary>
        /// <param name="options"><see cref="MxOptions.FreeThread"/> (the default),
        /// or <see cref="MxOptions.None"/> for a resolver only its creating thread may use.</param>
        public MxResolver(MxOptions options = MxOptions.FreeThread)
        {
            MxLibrary.EnsureInitialized();
            handle = InetSafeHandle.Create(new MxSafeHandle(), delegate { return NativeMethods.MxCreate((uint)options); });
        }

        /// <summary>A resolver that asks <paramref name="dnsServers"/> (see <see cref="DnsServer"/>).</summary>
        public MxResolver(string dnsServers, MxOptions options = MxOptions.FreeThread)
            : this(options)
        {
            try
            {
                DnsServer = dnsServers;
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        /// <summary>The underlying handle.</summary>
        public MxSafeHandle SafeHandle
        {
            get { return handle; }
        }

        // ---- resolving -------------------------------------------------------------------

        /// <summary>Finds the mail exchangers of <paramref name="address"/>
        /// (synchronous mode) and returns them in delivery order (MxResolve).</summary>
        /// <param name="address">"user@example.org", a quoted local part, a domain
        /// literal ("user@[192.0.2.1]", "user@[IPv6:2001:db8::1]"; nothing is looked
        /// up) or a bare domain; internationalised names are converted. At most
        /// 320 bytes of UTF-8.</param>
        /// <returns>The exchangers, best first (equal preferences shuffled, see
        /// the ShuffleSeed setting); never empty.</returns>
        /// <exception cref="MxNullMxException">The domain accepts no mail.</exception>
        /// <exception cref="MxException">HostNotFound (NXDOMAIN), TryAgain (server
        /// failure or no answer in time), NoRecovery, NoData, DnsBadResponse,
        /// DnsBadName, NoDnsServer; <see cref="MxException.Result"/> holds the outcome.</exception>
        /// <exception cref="InetCanceledException"><see cref="Interrupt"/>, or
        /// Dispose on another thread.</exception>
        /// <exception cref="InetInvalidStateException">The resolver is
        /// asynchronous (TimeoutSeconds 0): use <see cref="Submit"/>.</exception>
        /// <exception cref="InetException">InvalidParameter (a malformed address;
        /// nothing was sent), Busy (requests in flight, or another thread's
        /// synchronous Resolve is running).</exception>
        public IReadOnlyList<MxRecord> Resolve(string address)
        {
            return Lookup(address).ThrowIfFailed().Records;
        }

        /// <summary>Like <see cref="Resolve"/>, but returns the whole
        /// <see cref="MxResult"/>, failed or not: only the errors that prevent a
        /// request (a malformed address, no DNS server, the wrong mode or thread,
        /// ...) throw.</summary>
        public MxResult Lookup(string address)
        {
            byte[] nativeAddress = ToNativeAddress(address, "address");
            CheckMode(false);
            int me = Thread.CurrentThread.ManagedThreadId;
            int owner = Interlocked.CompareExchange(ref resolvingThread, me, 0);
            if (owner != 0 && owner != me)
            {
                throw new InetException(InetErrorCode.Busy, "A blocking Resolve is already running on this resolver in another thread.");
            }
            // (owner == me: from an event handler of this resolver; the library refuses it.)
            try
            {
                return ResolveOnce(nativeAddress);
            }
            finally
            {
                if (owner == 0)
                {
                    Interlocked.Exchange(ref resolvingThread, 0);
                }
            }
        }

        private MxResult ResolveOnce(byte[] nativeAddress)
        {
            MxResult result = null;
            InetException failure = null;
            uint id = 0;
            handle.Invoke(delegate(IntPtr h)
            {
                uint rc = NativeMethods.MxResolve(h, nativeAddress, out id);
                if (rc != 0)
                {
                    failure = handle.ErrorFor(rc);   // the message, before the next call
                }
                // A request that was made (failed or not) is the current result; a
                // call refused before it became a request is not.
                MxResult current;
                uint read = ReadResult(h, out current);
                if (rc == 0 && read != 0)
                {
                    return read;
                }
                if (current != null && current.RequestId == id && (rc == 0 || current.Error == (InetErrorCode)rc))
                {
                    result = current;
                }
                return 0;
            });
            if (result != null)
            {
                return result;
            }
            if (failure != null)
            {
                throw failure;
            }
            asynchronous = true;
            throw new InetInvalidStateException(InetErrorCode.InvalidState, string.Format(CultureInfo.InvariantCulture,
                "Request {0} was queued, not resolved: the resolver is asynchronous (TimeoutSeconds 0); take it with NextResult.", id));
        }

        private void CheckMode(bool wanted)
        {
            if (asynchronous != wanted)
            {
                asynchronous = TimeoutSeconds == 0;
            }
            if (asynchronous && !wanted)
            {
                throw new InetInvalidStateException(InetErrorCode.InvalidState,
                    "The resolver is asynchronous (TimeoutSeconds 0): use Submit.");
            }
            if (wanted && !asynchronous)
            {
                throw new InetInvalidStateException(InetErrorCode.InvalidState,
                    "The resolver is synchronous: set TimeoutSeconds to 0 to Submit.");
            }
        }

        /// <summary>Queues a request (asynchronous mode: TimeoutSeconds 0) and
        /// returns its id (MxResolve). Its result comes out of
        /// <see cref="NextResult(int)"/>, or goes to the events.</summary>
        /// <exception cref="InetInvalidStateException">The resolver is synchronous.</exception>
        /// <exception cref="MxException">NoDnsServer.</exception>
        /// <exception cref="InetException">InvalidParameter: a malformed address; nothing was queued.</exception>
        public uint Submit(string address)
        {
            byte[] nativeAddress = ToNativeAddress(address, "address");
            CheckMode(true);
            uint id = 0;
            handle.Invoke(delegate(IntPtr h) { return NativeMethods.MxResolve(h, nativeAddress, out id); });
            return id;
        }

        /// <summary>Processes what the network delivered, waiting up to
        /// <paramref name="millisecondsTimeout"/> (0: do not wait;
        /// <see cref="Timeout.Infinite"/>: no limit) for something to happen, and
        /// fires the events of the requests that finished (MxDoEvents).</summary>
        /// <exception cref="InetCanceledException"><see cref="Interrupt"/> ended the wait.</exception>
        public void DoEvents(int millisecondsTimeout = 0)
        {
            uint ms = ToMilliseconds(millisecondsTimeout);
            handle.Invoke(delegate(IntPtr h) { return NativeMethods.MxDoEvents(h, ms); });
        }

        /// <summary><see cref="DoEvents(int)"/> with a TimeSpan.</summary>
        public void DoEvents(TimeSpan timeout)
        {
            DoEvents(ToMilliseconds(timeout));
        }

        /// <summary>Processes and fires events until nothing is in flight, for at
        /// most <paramref name="millisecondsTimeout"/> (MxWait). Each request
        /// still has its own deadline.</summary>
        /// <returns>True when nothing is in flight any more, false when the time ran out.</returns>
        /// <exception cref="InetCanceledException"><see cref="Interrupt"/> ended the wait.</exception>
        public bool Wait(int millisecondsTimeout = Timeout.Infinite)
        {
            uint ms = ToMilliseconds(millisecondsTimeout);
            bool idle = true;
            handle.Invoke(delegate(IntPtr h)
            {
                uint rc = NativeMethods.MxWait(h, ms);
                if (rc == (uint)InetErrorCode.TimedOut)
                {
                    idle = false;
                    return 0;
                }
                return rc;
            });
            return idle;
        }

        /// <summary><see cref="Wait(int)"/> with a TimeSpan.</summary>
        public bool Wait(TimeSpan timeout)
        {
            return Wait(ToMilliseconds(timeout));
        }

        /// <summary>Takes the next finished request that was not delivered to
        /// the events, waiting (and processing the network) up to
        /// <paramref name="millisecondsTimeout"/> for one (MxGetNextResult). It
        /// becomes the current result.</summary>
        /// <returns>Its <see cref="MxResult"/>, failed or not; null when nothing
        /// is in flight and nothing is waiting.</returns>
        /// <exception cref="InetTimeoutException">None finished in time.</exception>
        /// <exception cref="InetCanceledException"><see cref="Interrupt"/> ended the wait.</exception>
        public MxResult NextResult(int millisecondsTimeout = Timeout.Infinite)
        {
            uint ms = ToMilliseconds(millisecondsTimeout);
            MxResult result = null;
            handle.Invoke(delegate(IntPtr h)
            {
                uint id;
                uint code;
                uint rc = NativeMethods.MxGetNextResult(h, ms, out id, out code);
                if (rc == (uint)InetErrorCode.NotFound)
                {
                    return 0;
                }
                return rc != 0 ? rc : ReadResult(h, out result);
            });
            return result;
        }

        /// <summary><see cref="NextResult(int)"/> with a TimeSpan.</summary>
        public MxResult NextResult(TimeSpan timeout)
        {
            return NextResult(ToMilliseconds(timeout));
        }

        /// <summary><see cref="NextResult(int)"/> until nothing is in flight;
        /// <paramref name="millisecondsTimeout"/> applies to each wait.</summary>
        public IEnumerable<MxResult> Results(int millisecondsTimeout = Timeout.Infinite)
        {
            ToMilliseconds(millisecondsTimeout);
            while (true)
            {
                MxResult result = NextResult(millisecondsTimeout);
                if (result == null)
                {
                    yield break;
                }
                yield return result;
            }
        }

        /// <summary>Resolves many addresses or domains concurrently and returns
        /// every outcome.</summary>
        /// <remarks>Runs in asynchronous mode (TimeoutSeconds 0 for the duration,
        /// restored afterwards) and takes the results with MxGetNextResult; up to
        /// MaxInFlight requests are on the wire at once. The events do not fire
        /// for these requests: the native callbacks are unregistered meanwhile
        /// (attaching or detaching a handler waits until it is done).</remarks>
        /// <param name="domains">Addresses or domains; duplicates are resolved once.</param>
        /// <param name="window">The most requests queued at any time (submitted
        /// and not yet taken); 0 submits everything at once.</param>
        /// <returns>Domain (as given) -> <see cref="MxResult"/>, for every
        /// distinct input. Failures are results too (<see cref="MxResult.Error"/>);
        /// an input the library refuses (malformed, no DNS server) gets a result
        /// with RequestId 0. After <see cref="Interrupt"/> the rest is not sent
        /// and every unfinished input gets a Canceled result.</returns>
        /// <exception cref="InetException">Busy: requests are already in flight.</exception>
        public IDictionary<string, MxResult> ResolveMany(IEnumerable<string> domains, int window = 0)
        {
            if (domains == null)
            {
                throw new ArgumentNullException("domains");
            }
            if (window < 0)
            {
                throw new ArgumentOutOfRangeException("window", window, "Use 0 for no limit.");
            }
            List<KeyValuePair<string, byte[]>> inputs = new List<KeyValuePair<string, byte[]>>();
            HashSet<string> seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (string domain in domains)
            {
                if (domain == null)
                {
                    throw new ArgumentException("The list holds a null domain.", "domains");
                }
                if (seen.Add(domain))
                {
                    inputs.Add(new KeyValuePair<string, byte[]>(domain, ToNativeAddress(domain, "domains")));
                }
            }
            if (!IsIdle)
            {
                throw new InetException(InetErrorCode.Busy,
                    "Requests are in flight on the resolver: take their results before ResolveMany.");
            }
            int limit = window == 0 ? int.MaxValue : window;
            Dictionary<string, MxResult> results = new Dictionary<string, MxResult>(StringComparer.Ordinal);
            Dictionary<uint, string> pending = new Dictionary<uint, string>();
            lock (handle.CallbackLock)
            {
                bool callbacks = handle.ResponseProc != null || handle.ErrorProc != null;
                uint savedTimeout = (uint)TimeoutSeconds;
                bool finished = false;
                if (callbacks)
                {
                    handle.Invoke(delegate(IntPtr h) { return NativeMethods.MxSetResponseCallback(h, null, IntPtr.Zero); });
                    handle.Invoke(delegate(IntPtr h) { return NativeMethods.MxSetErrorCallback(h, null, IntPtr.Zero); });
                }
                try
                {
                    TimeoutSeconds = 0;
                    int next = 0;
                    bool canceled = false;
                    while (true)
                    {
                        while (!canceled && next < inputs.Count && pending.Count < limit)
                        {
                            KeyValuePair<string, byte[]> input = inputs[next++];
                            InetException refused = null;
                            uint id = 0;
                            handle.Invoke(delegate(IntPtr h)
                            {
                                uint rc = NativeMethods.MxResolve(h, input.Value, out id);
                                if (rc != 0)
                                {
                                    refused = handle.ErrorFor(rc);
                                }
                                return 0;
                            });
                            if (refused != null)
                            {
                                results[input.Key] = MxResult.Refused(input.Key, refused);
                            }
                            else
                            {
                                pending[id] = input.Key;
                            }
                        }
                        if (pending.Count == 0)
                        {
                            if (canceled || next >= inputs.Count)
                            {
                                break;
                            }
                            continue;
                        }
                        MxResult result = null;
                        bool interrupted = false;
                        handle.Invoke(delegate(IntPtr h)
                        {
                            uint id;
                            uint code;
                            uint rc = NativeMethods.MxGetNextResult(h, NativeMethods.MX_WAIT_INFINITE, out id, out code);
                            if (rc == (uint)InetErrorCode.Canceled)
                            {
                                interrupted = true;   // Interrupt: the canceled results follow
                                return 0;
                            }
                            return rc != 0 ? rc : ReadResult(h, out result);
                        });
                        if (interrupted)
                        {
                            canceled = true;
                            continue;
                        }
                        if (result == null)
                        {
                            throw new InetException(InetErrorCode.Internal, string.Format(CultureInfo.InvariantCulture,
                                "MxGetNextResult found nothing with {0} request(s) outstanding.", pending.Count));
                        }
                        string key;
                        if (!pending.TryGetValue(result.RequestId, out key))
                        {
                            continue;   // not ours (another thread's)
                        }
                        pending.Remove(result.RequestId);
                        results[key] = result;
                        if (result.Error == InetErrorCode.Canceled)
                        {
                            canceled = true;
                        }
                    }
                    for (; next < inputs.Count; next++)
                    {
                        results[inputs[next].Key] = MxResult.Refused(inputs[next].Key,
                            new InetCanceledException(InetErrorCode.Canceled, "ResolveMany was interrupted."));
                    }
                    finished = true;
                }
                finally
                {
                    if (!handle.IsClosed)
                    {
                        try
                        {
                            if (!finished && pending.Count > 0)
                            {
                                // An exception left requests in flight: cancel them and
                                // drop their results, so that they do not surface later.
                                DrainAfterFailure(pending.Count + 8);
                            }
                        }
                        finally
                        {
                            TimeoutSeconds = (int)savedTimeout;
                            if (callbacks)
                            {
                                NativeMethods.MXRESPONSEPROC responseProc = handle.ResponseProc;
                                NativeMethods.MXERRORPROC errorProc = handle.ErrorProc;
                                if (responseProc != null)
                                {
                                    handle.Invoke(delegate(IntPtr h) { return NativeMethods.MxSetResponseCallback(h, responseProc, IntPtr.Zero); });
                                }
                                if (errorProc != null)
                                {
                                    handle.Invoke(delegate(IntPtr h) { return NativeMethods.MxSetErrorCallback(h, errorProc, IntPtr.Zero); });
                                }
                            }
                        }
                    }
                }
            }
            Dictionary<string, MxResult> ordered = new Dictionary<string, MxResult>(StringComparer.Ordinal);
            foreach (KeyValuePair<string, byte[]> input in inputs)
            {
                ordered[input.Key] = results[input.Key];
            }
            return ordered;
        }

        private void DrainAfterFailure(int most)
        {
            try
            {
                handle.Invoke(delegate(IntPtr h)
                {
                    NativeMethods.MxInterrupt(h);
                    for (int i = 0; i < most; i++)
                    {
                        uint id;
                        uint code;
                        uint rc = NativeMethods.MxGetNextResult(h, 5000, out id, out code);
                        if (rc != 0 && rc != (uint)InetErrorCode.Canceled)
                        {
                            break;
                        }
                    }
                    return 0;
                });
            }
            catch (InetException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }

        /// <summary>Cancels every request in flight or queued (MxInterrupt): each
        /// finishes with Canceled and is delivered as usual, and a blocking call on
        /// the resolver throws <see cref="InetCanceledException"/>. Callable from
        /// any thread.</summary>
        public void Interrupt()
        {
            handle.Cancel();
        }

        /// <summary>Cancels everything in flight (no event fires), drops every
        /// result and restores every property and setting to its default
        /// (MxReset). Attached event handlers stay.</summary>
        public void Reset()
        {
            handle.Invoke(delegate(IntPtr h) { return NativeMethods.MxReset(h); });
            asynchronous = false;
        }

        // ---- event-loop integration ----------------------------------------------------

        /// <summary>A descriptor that polls readable whenever DoEvents(0) has
        /// work (MxGetEventDescriptor; on Linux an epoll descriptor). Do not read,
        /// write or close it; it lives as long as the resolver.</summary>
        public int EventDescriptor
        {
            get
            {
                int descriptor = -1;
                handle.Invoke(delegate(IntPtr h) { return NativeMethods.MxGetEventDescriptor(h, out descriptor); });
                return descriptor;
            }
        }

        /// <summary>Time until DoEvents has timed work to do (MxGetNextTimeout):
        /// <see cref="TimeSpan.Zero"/> when it is due now,
        /// <see cref="Timeout.InfiniteTimeSpan"/> when nothing is in flight.</summary>
        public TimeSpan NextTimeout
        {
            get
            {
                uint ms = 0;
                handle.Invoke(delegate(IntPtr h) { return NativeMethods.MxGetNextTimeout(h, out ms); });
                return ms == NativeMethods.MX_WAIT_INFINITE ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(ms);
            }
        }

        // ---- the current result ------------------------------------------------------------

        /// <summary>The current result: the request delivered last (by Resolve,
        /// NextResult or to the events), with its records; null before any.</summary>
        public MxResult Result
        {
            get
            {
                MxResult result = null;
                handle.Invoke(delegate(IntPtr h)
                {
                    uint rc = ReadResult(h, out result);
                    return rc == (uint)InetErrorCode.NotFound ? 0 : rc;
                });
                return result;
            }
        }

        /// <summary>Exchangers in the current result (MxGetRecordCount; 0 before any).</summary>
        public int RecordCount
        {
            get
            {
                uint count = 0;
                handle.Invoke(delegate(IntPtr h) { return NativeMethods.MxGetRecordCount(h, out count); });
                return PopClient.ClampToInt(count);
            }
        }

        /// <summary>The best exchanger of the current result, or null if it has
        /// none (MxGetMailServer).</summary>
        public string MailServer
        {
            get
            {
                string name = QueryString(NativeMethods.MxGetMailServer, 256);
                return name.Length == 0 ? null : name;
            }
        }

        /// <summary>"OK" or the error message of the current result; "" before
        /// any, and from a Submit until the next result (MxGetStatus).</summary>
        public string Status
        {
            get { return QueryString(NativeMethods.MxGetStatus, 512); }
        }

        /// <summary>True when no request is in flight, queued or waiting to be delivered (MxGetIdle).</summary>
        public bool IsIdle
        {
            get
            {
                int idle = 0;
                handle.Invoke(delegate(IntPtr h) { return NativeMethods.MxGetIdle(h, out idle); });
                return idle != 0;
            }
        }

        // ---- properties ------------------------------------------------------------------

        /// <summary>The DNS servers to ask, in order: a comma-separated list of
        /// IPv4 and IPv6 addresses, each optionally with a port ("192.0.2.53",
        /// "[::1]:5353", "127.0.0.1:5300"). Null or "" goes back to the system's
        /// servers; reading gives the list in use ("" when none could be found).
        /// Host names are refused (InvalidParameter); setting it while requests
        /// are in flight fails with Busy (MxSetDnsServer, MxGetDnsServer).</summary>
        public string DnsServer
        {
            get { return QueryString(NativeMethods.MxGetDnsServer, 256); }
            set
            {
                byte[] servers = Utf8.ToNative(value, "value");
                handle.Invoke(delegate(IntPtr h) { return NativeMethods.MxSetDnsServer(h, servers); });
            }
        }

        /// <summary>The port of servers given without one (1-65535, default 53).</summary>
        public int DnsPort
        {
            get
            {
                uint port = 0;
                handle.Invoke(delegate(IntPtr h) { return NativeMethods.MxGetDnsPort(h, out port); });
                return (int)port;
            }
            set
            {
                InetConnection.CheckPort(value, "value");
                handle.Invoke(delegate(IntPtr h) { return NativeMethods.MxSetDnsPort(h, (uint)value); });
            }
        }

        /// <summary>Seconds a synchronous <see cref="Resolve"/> may take (default
        /// 60); 0 makes the resolver asynchronous (MxSetTimeout, MxGetTimeout).</summary>
        public int TimeoutSeconds
        {
            get
            {
                uint seconds = 0;
                handle.Invoke(delegate(IntPtr h) { return NativeMethods.MxGetTimeout(h, out seconds); });
                asynchronous = seconds == 0;
                return PopClient.ClampToInt(seconds);
            }
            set
            {
                if (value < 0)
                {
                    throw new ArgumentOutOfRangeException("value", value, "Use 0 for the asynchronous mode.");
                }
                handle.Invoke(delegate(IntPtr h) { return NativeMethods.MxSetTimeout(h, (uint)value); });
                asynchronous = value == 0;
            }
        }

        /// <summary>True when <see cref="TimeoutSeconds"/> is 0.</summary>
        public bool IsAsynchronous
        {
            get { return TimeoutSeconds == 0; }
        }

        /// <summary>The id the next request gets, then incremented (default 1).</summary>
        public uint RequestId
        {
            get
            {
                uint id = 0;
                handle.Invoke(delegate(IntPtr h) { return NativeMethods.MxGetRequestId(h, out id); });
                return id;
            }
            set
            {
                handle.Invoke(delegate(IntPtr h) { return NativeMethods.MxSetRequestId(h, value); });
            }
        }

        /// <summary>The local address queries are sent from (an IPv4 or IPv6
        /// literal), or null for any (MxSetLocalHost, MxGetLocalHost).</summary>
        public string LocalHost
        {
            get
            {
                string address = QueryString(NativeMethods.MxGetLocalHost, 64);
                return address.Length == 0 ? null : address;
            }
            set
            {
                byte[] address = string.IsNullOrEmpty(value) ? null : Utf8.ToNative(value, "value");
                handle.Invoke(delegate(IntPtr h) { return NativeMethods.MxSetLocalHost(h, address); });
            }
        }

        /// <summary>Changes one setting (MxConfig "Name=Value"; names are case-insensitive).</summary>
        /// <remarks>LocalHost, LocalPort, UseIPv6 (auto/on/off), MaxPacketSize
        /// (512-4096, 0 = no EDNS), AbsoluteTimeout (ms), QueryTimeout (ms), Retries
        /// (0-10), ConnectionMode (auto/udp/tcp), ImplicitMX, UseIDN,
        /// ResolveAddresses, MaxRecords (1-1024), ShuffleEqual, ShuffleSeed (0 =
        /// random; the order restarts each time it is set), MaxInFlight (1-4096),
        /// CodePage (65001 only), ResolvConf (where the system's servers are read
        /// from while no DnsServer is set).</remarks>
        /// <exception cref="InetException">InvalidParameter (unknown name, bad value,
        /// read-only), NotSupported, Busy (a network setting while requests are in flight).</exception>
        public void Config(string name, string value)
        {
            if (name == null)
            {
                throw new ArgumentNullException("name");
            }
            byte[] setting = Utf8.ToNative(name + "=" + (value ?? string.Empty), "value");
            handle.Invoke(delegate(IntPtr h) { return NativeMethods.MxConfig(h, setting); });
        }

        /// <summary><see cref="Config(string, string)"/> with "on" or "off".</summary>
        public void Config(string name, bool value)
        {
            Config(name, value ? "on" : "off");
        }

        /// <summary><see cref="Config(string, string)"/> with a number.</summary>
        public void Config(string name, long value)
        {
            Config(name, value.ToString(CultureInfo.InvariantCulture));
        }

        /// <summary>The value of one setting (MxGetConfig): "on"/"off" for
        /// switches; BuildInfo gives the library, c-ares and libidn2 versions.</summary>
        /// <exception cref="InetException">InvalidParameter: unknown name.</exception>
        public string GetConfig(string name)
        {
            if (name == null)
            {
                throw new ArgumentNullException("name");
            }
            byte[] nativeName = Utf8.ToNative(name, "name");
            string value = null;
            handle.Invoke(delegate(IntPtr h)
            {
                return Utf8.Query(delegate(byte[] buffer, ref uint size)
                {
                    return NativeMethods.MxGetConfig(h, nativeName, buffer, ref size);
                }, 128, out value);
            });
            return value;
        }

        // ---- events ------------------------------------------------------------------------

        /// <summary>One exchanger of a finished request, in order of preference
        /// (MxSetResponseCallback).</summary>
        /// <remarks>While a handler is attached to this or <see cref="Error"/>,
        /// finished requests go to the events instead of
        /// <see cref="NextResult(int)"/>. Handlers run on the thread inside the
        /// call that delivers them (Resolve, DoEvents, Wait, NextResult); calls
        /// on this resolver from a handler fail with ReentrantCall, except
        /// <see cref="Interrupt"/> and <see cref="Dispose"/>. An exception a
        /// handler throws is rethrown by that call once it has finished. The
        /// native delegate is kept alive while a handler is attached.</remarks>
        public event EventHandler<MxResponseEventArgs> Response
        {
            add
            {
                lock (handle.CallbackLock)
                {
                    EventHandler<MxResponseEventArgs> previous = response;
                    response = previous + value;
                    if (response != null && handle.ResponseProc == null)
                    {
                        try
                        {
                            SetResponseProc(new NativeMethods.MXRESPONSEPROC(OnNativeResponse));
                        }
                        catch
                        {
                            response = previous;
                            throw;
                        }
                    }
                }
            }
            remove
            {
                lock (handle.CallbackLock)
                {
                    EventHandler<MxResponseEventArgs> updated = response - value;
                    if (updated == null && handle.ResponseProc != null)
                    {
                        SetResponseProc(null);
                    }
                    response = updated;
                }
            }
        }

        /// <summary>A request failed (MxSetErrorCallback). The rules of
        /// <see cref="Response"/> apply.</summary>
        public event EventHandler<MxErrorEventArgs> Error
        {
            add
            {
                lock (handle.CallbackLock)
                {
                    EventHandler<MxErrorEventArgs> previous = error;
                    error = previous + value;
                    if (error != null && handle.ErrorProc == null)
                    {
                        try
                        {
                            SetErrorProc(new NativeMethods.MXERRORPROC(OnNativeError));
                        }
                        catch
                        {
                            error = previous;
                            throw;
                        }
                    }
                }
            }
            remove
            {
                lock (handle.CallbackLock)
                {
                    EventHandler<MxErrorEventArgs> updated = error - value;
                    if (updated == null && handle.ErrorProc != null)
                    {
                        SetErrorProc(null);
                    }
                    error = updated;
                }
            }
        }

        // Under CallbackLock. The new delegate is stored before the call (the
        // library may call it as soon as it is registered) and the previous one
        // dropped only after the call has returned (from then on the library
        // does not call it again).
        private void SetResponseProc(NativeMethods.MXRESPONSEPROC proc)
        {
            NativeMethods.MXRESPONSEPROC previous = handle.ResponseProc;
            if (proc != null)
            {
                handle.ResponseProc = proc;
            }
            try
            {
                handle.Invoke(delegate(IntPtr h) { return NativeMethods.MxSetResponseCallback(h, proc, IntPtr.Zero); });
            }
            catch
            {
                handle.ResponseProc = previous;
                throw;
            }
            handle.ResponseProc = proc;
        }

        private void SetErrorProc(NativeMethods.MXERRORPROC proc)
        {
            NativeMethods.MXERRORPROC previous = handle.ErrorProc;
            if (proc != null)
            {
                handle.ErrorProc = proc;
            }
            try
            {
                handle.Invoke(delegate(IntPtr h) { return NativeMethods.MxSetErrorCallback(h, proc, IntPtr.Zero); });
            }
            catch
            {
                handle.ErrorProc = previous;
                throw;
            }
            handle.ErrorProc = proc;
        }

        // The native callbacks. No exception may unwind into the library: it is
        // parked for the call that ran the callback (InetSafeHandle.Invoke
        // rethrows it).
        private void OnNativeResponse(IntPtr hClient, IntPtr lpRecord, IntPtr lpAddresses, IntPtr lpParam)
        {
            InetSafeHandle.EnterCallback();
            try
            {
                NativeMethods.MXRECORD record = (NativeMethods.MXRECORD)Marshal.PtrToStructure(lpRecord, typeof(NativeMethods.MXRECORD));
                MxAddress[] addresses = new MxAddress[lpAddresses == IntPtr.Zero ? 0 : record.dwAddressCount];
                int stride = Marshal.SizeOf(typeof(NativeMethods.MXADDRESS));
                for (int i = 0; i < addresses.Length; i++)
                {
                    NativeMethods.MXADDRESS address = (NativeMethods.MXADDRESS)Marshal.PtrToStructure(
                        new IntPtr(lpAddresses.ToInt64() + (long)i * stride), typeof(NativeMethods.MXADDRESS));
                    addresses[i] = new MxAddress(address);
                }
                EventHandler<MxResponseEventArgs> handler = Volatile.Read(ref response);
                if (handler != null)
                {
                    handler(this, new MxResponseEventArgs(new MxRecord(record, addresses)));
                }
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

        private void OnNativeError(IntPtr hClient, uint requestId, IntPtr domain, uint errorCode, uint statusCode,
                                   IntPtr description, IntPtr lpParam)
        {
            InetSafeHandle.EnterCallback();
            try
            {
                EventHandler<MxErrorEventArgs> handler = Volatile.Read(ref error);
                if (handler != null)
                {
                    handler(this, new MxErrorEventArgs(requestId, Utf8.FromNative(domain) ?? string.Empty,
                                                       (InetErrorCode)errorCode, (MxStatus)statusCode,
                                                       Utf8.FromNative(description) ?? string.Empty));
                }
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

        // ---- handle ------------------------------------------------------------------------

        /// <summary>Gives the resolver to thread <paramref name="threadId"/> (an
        /// operating-system id, see <see cref="InetLibrary.CurrentThreadId"/>; 0 =
        /// the calling thread) and returns the previous owner (MxAttachThread).
        /// On a FreeThread resolver the owner is only recorded.</summary>
        public uint AttachThread(uint threadId = 0)
        {
            return handle.AttachThread(threadId);
        }

        /// <summary>Cancels whatever is in flight (no event fires) and releases
        /// the resolver (MxDestroy); a call blocked on it in another thread fails
        /// with <see cref="InetCanceledException"/>. Callable from any thread, and
        /// more than once.</summary>
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

        // ---- helpers -------------------------------------------------------------------------

        private delegate uint StringQuery(IntPtr h, byte[] buffer, ref uint size);

        private string QueryString(StringQuery query, uint initialSize)
        {
            string value = null;
            handle.Invoke(delegate(IntPtr h)
            {
                return Utf8.Query(delegate(byte[] buffer, ref uint size) { return query(h, buffer, ref size); },
                                  initialSize, out value);
            });
            return value ?? string.Empty;
        }

        private static byte[] ToNativeAddress(string address, string paramName)
        {
            if (address == null)
            {
                throw new ArgumentNullException(paramName);
            }
            return Utf8.ToNative(address, paramName);
        }

        private static uint ToMilliseconds(int millisecondsTimeout)
        {
            if (millisecondsTimeout == Timeout.Infinite)
            {
                return NativeMethods.MX_WAIT_INFINITE;
            }
            if (millisecondsTimeout < 0)
            {
                throw new ArgumentOutOfRangeException("millisecondsTimeout", millisecondsTimeout,
                                                      "Use Timeout.Infinite (-1) for no limit.");
            }
            return (uint)millisecondsTimeout;
        }

        private static int ToMilliseconds(TimeSpan timeout)
        {
            if (timeout == Timeout.InfiniteTimeSpan)
            {
                return Timeout.Infinite;
            }
            double ms = Math.Ceiling(timeout.TotalMilliseconds);
            if (ms < 0 || ms > int.MaxValue)
            {
                throw new ArgumentOutOfRangeException("timeout", timeout, "Out of range.");
            }
            return (int)ms;
        }

        /// <summary>The current result with its records and addresses; returns the
        /// first failing export's code (NotFound before any result).</summary>
        private static uint ReadResult(IntPtr h, out MxResult result)
        {
            result = null;
            NativeMethods.MXRESULT native = NativeMethods.NewMxResult();
            uint rc = NativeMethods.MxGetResult(h, ref native);
            if (rc != 0)
            {
                return rc;
            }
            List<MxRecord> records = new List<MxRecord>((int)Math.Min(native.dwCount, 1024u));
            for (uint index = 0; index < native.dwCount; index++)
            {
                NativeMethods.MXRECORD record = NativeMethods.NewMxRecord();
                rc = NativeMethods.MxGetRecord(h, index, ref record);
                if (rc != 0)
                {
                    return rc;
                }
                MxAddress[] addresses = new MxAddress[record.dwAddressCount];
                for (uint number = 0; number < record.dwAddressCount; number++)
                {
                    NativeMethods.MXADDRESS address = NativeMethods.NewMxAddress();
                    rc = NativeMethods.MxGetRecordAddress(h, index, number, ref address);
                    if (rc != 0)
                    {
                        return rc;
                    }
                    addresses[number] = new MxAddress(address);
                }
                records.Add(new MxRecord(record, addresses));
            }
            result = new MxResult(native, records);
            return 0;
        }
    }

    /// <summary>One address of an exchanger (MXADDRESS). A snapshot.</summary>
    public sealed class MxAddress
    {
        internal MxAddress(NativeMethods.MXADDRESS address)
        {
            Family = (int)address.dwFamily;
            TimeToLive = TimeSpan.FromSeconds(address.dwTimeToLive);
            Address = Utf8.DecodeFixed(address.szAddress);
        }

        /// <summary>4 or 6.</summary>
        public int Family { get; private set; }

        /// <summary>The numeric form ("192.0.2.25", "2001:db8::25").</summary>
        public string Address { get; private set; }

        /// <summary>From the A or AAAA answer (zero for a domain literal).</summary>
        public TimeSpan TimeToLive { get; private set; }

        /// <summary><see cref="Address"/> parsed.</summary>
        public IPAddress IPAddress
        {
            get { return IPAddress.Parse(Address); }
        }

        /// <summary>The address.</summary>
        public override string ToString()
        {
            return Address;
        }
    }

    /// <summary>One mail exchanger of a result (MXRECORD), in delivery order. A snapshot.</summary>
    public sealed class MxRecord
    {
        internal MxRecord(NativeMethods.MXRECORD record, MxAddress[] addresses)
        {
            RequestId = record.dwRequestId;
            Index = PopClient.ClampToInt(record.dwIndex);
            Count = PopClient.ClampToInt(record.dwCount);
            Preference = PopClient.ClampToInt(record.dwPrecedence);
            TimeToLive = TimeSpan.FromSeconds(record.dwTimeToLive);
            Status = (MxStatus)record.dwStatusCode;
            IsAuthoritative = record.bAuthoritative != 0;
            Flags = (MxRecordFlags)record.dwFlags;
            Domain = Utf8.DecodeFixed(record.szDomain);
            MailServer = Utf8.DecodeFixed(record.szMailServer);
            Description = Utf8.DecodeFixed(record.szDescription);
            Addresses = new ReadOnlyCollection<MxAddress>(addresses);
        }

        /// <summary>The request it answers.</summary>
        public uint RequestId { get; private set; }

        /// <summary>Its place in the delivery plan: 0 is the one to try first.</summary>
        public int Index { get; private set; }

        /// <summary>Records in the result.</summary>
        public int Count { get; private set; }

        /// <summary>The MX preference: lower is preferred.</summary>
        public int Preference { get; private set; }

        /// <summary>From the MX answer (the A/AAAA answer for an implicit MX).</summary>
        public TimeSpan TimeToLive { get; private set; }

        /// <summary>The answer's RCODE.</summary>
        public MxStatus Status { get; private set; }

        /// <summary>The answer had the AA bit.</summary>
        public bool IsAuthoritative { get; private set; }

        /// <summary>MX_RECORD_* flags.</summary>
        public MxRecordFlags Flags { get; private set; }

        /// <summary>The domain looked up (A-label, lower case, no trailing dot).</summary>
        public string Domain { get; private set; }

        /// <summary>The exchanger (A-label, no trailing dot), or the literal's address.</summary>
        public string MailServer { get; private set; }

        /// <summary>The status code's text ("Ok", "Name error", ...).</summary>
        public string Description { get; private set; }

        /// <summary>Its addresses: with ResolveAddresses, and always for an implicit MX
        /// (the addresses that made it) and a domain literal (its address); else empty.</summary>
        public IReadOnlyList<MxAddress> Addresses { get; private set; }

        /// <summary>No MX records: this is the domain itself (RFC 5321 5.1).</summary>
        public bool IsImplicit
        {
            get { return (Flags & MxRecordFlags.Implicit) != 0; }
        }

        /// <summary>The address held a domain literal.</summary>
        public bool IsLiteral
        {
            get { return (Flags & MxRecordFlags.Literal) != 0; }
        }

        /// <summary>"PREFERENCE NAME".</summary>
        public override string ToString()
        {
            return string.Format(CultureInfo.InvariantCulture, "{0} {1}", Preference, MailServer);
        }
    }

    /// <summary>The outcome of one request (MXRESULT) with its exchangers. A snapshot.</summary>
    public sealed class MxResult
    {
        internal MxResult(NativeMethods.MXRESULT result, IList<MxRecord> records)
        {
            RequestId = result.dwRequestId;
            Error = (InetErrorCode)result.dwError;
            Status = (MxStatus)result.dwStatusCode;
            Flags = (MxResultFlags)result.dwFlags;
            Elapsed = TimeSpan.FromMilliseconds(result.dwElapsed);
            Domain = Utf8.DecodeFixed(result.szDomain);
            string canonical = Utf8.DecodeFixed(result.szCanonicalName);
            CanonicalName = canonical.Length == 0 ? null : canonical;
            DnsServer = Utf8.DecodeFixed(result.szDnsServer);
            Message = Utf8.DecodeFixed(result.szStatus);
            Records = new ReadOnlyCollection<MxRecord>(records);
        }

        private MxResult(string domain, InetException error)
        {
            Domain = domain;
            Error = error.ErrorCode;
            Status = MxStatus.NoAnswer;
            Message = error.NativeMessage.Length > 0 ? error.NativeMessage : error.Message;
            DnsServer = string.Empty;
            Records = new ReadOnlyCollection<MxRecord>(new MxRecord[0]);
        }

        /// <summary>A request the library refused before queueing it (RequestId 0).</summary>
        internal static MxResult Refused(string domain, InetException error)
        {
            return new MxResult(domain, error);
        }

        /// <summary>The request's id (0 for one the library refused in ResolveMany).</summary>
        public uint RequestId { get; private set; }

        /// <summary>The domain looked up (A-label form); in a refused request, the text given.</summary>
        public string Domain { get; private set; }

        /// <summary><see cref="InetErrorCode.None"/> or the request's error.</summary>
        public InetErrorCode Error { get; private set; }

        /// <summary>The RCODE of the decisive answer (<see cref="MxStatus.NoAnswer"/> if none came).</summary>
        public MxStatus Status { get; private set; }

        /// <summary>MX_RESULT_* flags.</summary>
        public MxResultFlags Flags { get; private set; }

        /// <summary>From the request to its result.</summary>
        public TimeSpan Elapsed { get; private set; }

        /// <summary>Where the CNAME chain at the query name led, or null.</summary>
        public string CanonicalName { get; private set; }

        /// <summary>The server that gave the decisive answer, "address:port" ("[v6]:port"); "" if none.</summary>
        public string DnsServer { get; private set; }

        /// <summary>"OK", or the error message (it names the domain and the DNS server).</summary>
        public string Message { get; private set; }

        /// <summary>The exchangers, best first (empty on failure).</summary>
        public IReadOnlyList<MxRecord> Records { get; private set; }

        /// <summary>True when the request succeeded.</summary>
        public bool IsSuccess
        {
            get { return Error == InetErrorCode.None; }
        }

        /// <summary>The MX answer had the AA bit.</summary>
        public bool IsAuthoritative
        {
            get { return (Flags & MxResultFlags.Authoritative) != 0; }
        }

        /// <summary>The failure may go away: try again later (TryAgain, a
        /// timeout, a network error, ...). False on success and permanent failures.</summary>
        public bool IsTemporary
        {
            get { return IsTemporaryCode(Error); }
        }

        /// <summary>The best exchanger, or null.</summary>
        public string MailServer
        {
            get { return Records.Count > 0 ? Records[0].MailServer : null; }
        }

        /// <summary>The exception <see cref="MxResolver.Resolve"/> throws for this
        /// outcome (an <see cref="MxException"/>, whose Result is this, for the DNS
        /// outcomes), or null on success.</summary>
        public InetException ToException()
        {
            if (IsSuccess)
            {
                return null;
            }
            InetException exception = MxException.FromCode(Error, Message);
            MxException mx = exception as MxException;
            if (mx != null)
            {
                mx.Result = this;
            }
            return exception;
        }

        /// <summary>Throws <see cref="ToException"/> on failure; returns this on success.</summary>
        public MxResult ThrowIfFailed()
        {
            InetException exception = ToException();
            if (exception != null)
            {
                throw exception;
            }
            return this;
        }

        /// <summary>"DOMAIN: NAME, NAME" or "DOMAIN: Error (message)".</summary>
        public override string ToString()
        {
            return IsSuccess
                ? Domain + ": " + string.Join(", ", Records.Select(r => r.MailServer))
                : string.Format(CultureInfo.InvariantCulture, "{0}: {1} ({2})", Domain, Error, Message);
        }

        internal static bool IsTemporaryCode(InetErrorCode code)
        {
            uint value = (uint)code;
            return code == InetErrorCode.TryAgain || code == InetErrorCode.TimedOut || code == InetErrorCode.Canceled ||
                   code == InetErrorCode.NoDnsServer || (value >= 10000 && value < 11000);
        }
    }

    /// <summary>The data of <see cref="MxResolver.Response"/>.</summary>
    public sealed class MxResponseEventArgs : EventArgs
    {
        internal MxResponseEventArgs(MxRecord record)
        {
            Record = record;
        }

        /// <summary>One exchanger, with its addresses.</summary>
        public MxRecord Record { get; private set; }

        /// <summary>The request it answers.</summary>
        public uint RequestId
        {
            get { return Record.RequestId; }
        }
    }

    /// <summary>The data of <see cref="MxResolver.Error"/>.</summary>
    public sealed class MxErrorEventArgs : EventArgs
    {
        internal MxErrorEventArgs(uint requestId, string domain, InetErrorCode errorCode, MxStatus status, string message)
        {
            RequestId = requestId;
            Domain = domain;
            ErrorCode = errorCode;
            Status = status;
            Message = message;
        }

        /// <summary>The failed request.</summary>
        public uint RequestId { get; private set; }

        /// <summary>The domain looked up.</summary>
        public string Domain { get; private set; }

        /// <summary>The request's error.</summary>
        public InetErrorCode ErrorCode { get; private set; }

        /// <summary>The answer's RCODE (<see cref="MxStatus.NoAnswer"/> if none came).</summary>
        public MxStatus Status { get; private set; }

        /// <summary>The error message (as MxGetStatus).</summary>
        public string Message { get; private set; }

        /// <summary>The exception <see cref="MxResolver.Resolve"/> would throw
        /// (an <see cref="MxException"/> with Domain, RequestId and Status for the DNS outcomes).</summary>
        public InetException ToException()
        {
            InetException exception = MxException.FromCode(ErrorCode, Message);
            MxException mx = exception as MxException;
            if (mx != null)
            {
                mx.Domain = Domain;
                mx.RequestId = RequestId;
                mx.Status = Status;
            }
            return exception;
        }
    }
}
