// PopClient.cs - a POP3 session (PopConnect and the rest of inetkit/pop.h).
using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;

namespace Inetkit
{
    /// <summary>A POP3 client session (RFC 1939, 2449, 2595, 5034, 6856).</summary>
    /// <remarks>
    /// <para>Connect reads the greeting, secures the session as the options say
    /// and reads the capabilities; <see cref="Login"/> authenticates; then the
    /// message calls work. Message numbers are 1..count, as in RFC 1939.
    /// Deletions take effect only when the server answers QUIT with +OK:
    /// <see cref="Quit"/>, or <see cref="Dispose"/> on the owning thread while
    /// no call is in progress. A session released by the finalizer, or disposed
    /// from another thread, closes without QUIT, and the server drops its
    /// deletions.</para>
    /// <para>Threads: as <see cref="InetConnection"/>: the session belongs to
    /// the thread that connected it, unless made with
    /// <see cref="PopOptions.FreeThread"/> or handed over with
    /// <see cref="AttachThread"/>. <see cref="Cancel"/> and
    /// <see cref="Dispose"/> work from any thread.</para>
    /// <para>Errors: every failure throws an <see cref="InetException"/>; the
    /// POP3 ones are <see cref="PopException"/>s (a -ERR reply is a
    /// <see cref="PopServerException"/> unless its response code says more:
    /// [AUTH] <see cref="PopAuthenticationException"/>, [IN-USE]
    /// <see cref="PopMailboxInUseException"/>, [LOGIN-DELAY]
    /// <see cref="PopLoginDelayException"/>). The server's reply line stays in
    /// <see cref="LastReply"/>. A reply that breaks the protocol, a lost
    /// connection or a cancelled retrieval ends the session: later calls throw
    /// <see cref="InetConnectionException"/> (NotConnected).</para>
    /// <para>Message text is delivered exactly as stored: dot-stuffing undone,
    /// CR LF line ends, 8-bit bytes untouched.</para>
    /// </remarks>
    public sealed class PopClient : IDisposable, IEnumerable<PopMessageInfo>
    {
        /// <summary>POP_PORT, for plain and STLS sessions.</summary>
        public const int DefaultPort = (int)NativeMethods.POP_PORT;

        /// <summary>POP_PORT_SECURE, for implicit TLS.</summary>
        public const int SecurePort = (int)NativeMethods.POP_PORT_SECURE;

        private readonly PopClientHandle handle;

        private PopClient(PopClientHandle handle)
        {
            this.handle = handle;
        }

        /// <summary>Connects to a POP3 server, reads its greeting, secures the
        /// session as <paramref name="options"/> say and reads its capabilities (PopConnect).</summary>
        /// <param name="host">A host name or address literal; for TLS also the name
        /// the server's certificate is verified against (unless
        /// <see cref="InetCredentials.VerifyName"/> says otherwise).</param>
        /// <param name="port">0 for the default: 110, or 995 with
        /// <see cref="PopOptions.SecureImplicit"/>. Port 995 means implicit TLS
        /// unless <see cref="PopOptions.Tunnel"/> or <see cref="PopOptions.SecureExplicit"/>.</param>
        /// <param name="timeoutSeconds">Time for the connect, greeting, TLS and
        /// CAPA together; it also becomes the inactivity timeout of every later
        /// call. 0 = the library default (30 s).</param>
        /// <param name="options"><see cref="PopOptions.SecureExplicit"/> (STLS) or
        /// <see cref="PopOptions.SecureImplicit"/>, <see cref="PopOptions.TrustedSite"/>,
        /// <see cref="PopOptions.LineBreak"/>, <see cref="PopOptions.FreeThread"/>, ...</param>
        /// <param name="credentials">TLS settings (the CAs to trust, pins, a client
        /// certificate); null for the defaults. Refused (InvalidParameter) on a
        /// plain session.</param>
        /// <exception cref="PopTlsRequiredException">SecureExplicit, and the server
        /// does not offer STLS or refused it.</exception>
        /// <exception cref="PopServerException">The server greeted with -ERR.</exception>
        /// <exception cref="InetCertificateException">The server's certificate was refused.</exception>
        /// <exception cref="InetPlaintextInjectionException">The server sent data
        /// after its STLS reply and before the handshake.</exception>
        public static PopClient Connect(string host, int port = 0, int timeoutSeconds = 0,
                                        PopOptions options = PopOptions.None, InetCredentials credentials = null)
        {
            if (host == null)
            {
                throw new ArgumentNullException("host");
            }
            InetConnection.CheckPort(port, "port");
            if (timeoutSeconds < 0)
            {
                throw new ArgumentOutOfRangeException("timeoutSeconds", timeoutSeconds, "Use 0 for the default (30 s).");
            }
            byte[] nativeHost = Utf8.ToNative(host, "host");
            PopLibrary.EnsureInitialized();
            using (NativeCredentials native = NativeCredentials.From(credentials))
            {
                PopClientHandle safeHandle = InetSafeHandle.Create(new PopClientHandle(), delegate
                {
                    return NativeMethods.PopConnect(nativeHost, (uint)port, (uint)timeoutSeconds, (uint)options,
                                                    native.Pointer);
                });
                native.KeepCallbacksAlive(safeHandle);
                return new PopClient(safeHandle);
            }
        }

        /// <summary>The underlying handle.</summary>
        public PopClientHandle SafeHandle
        {
            get { return handle; }
        }

        // ---- session ---------------------------------------------------------------

        /// <summary>Authenticates as <paramref name="user"/> (PopLogin). The
        /// capabilities are read again afterwards.</summary>
        /// <param name="user">The user name (UTF-8 on the wire).</param>
        /// <param name="password">The password, or the OAuth token for
        /// <see cref="PopAuth.XOAuth2"/> and <see cref="PopAuth.OAuthBearer"/>.
        /// Never traced; its UTF-8 copy is wiped after the call.</param>
        /// <param name="auth"><see cref="PopAuth.Default"/> picks the strongest
        /// mechanism the server offers; one that sends the password in the clear
        /// is used on a plain connection only when asked for by name.</param>
        /// <exception cref="PopAuthenticationException">The server refused the
        /// credentials, or could not prove it knows the password (SCRAM).</exception>
        /// <exception cref="PopException">AuthUnavailable: no acceptable mechanism.</exception>
        /// <exception cref="PopMailboxInUseException">[IN-USE].</exception>
        /// <exception cref="PopLoginDelayException">[LOGIN-DELAY].</exception>
        /// <exception cref="InetInvalidStateException">Already logged in.</exception>
        /// <exception cref="InetException">InvalidParameter: a name or password
        /// holding CR, LF or NUL, or longer than 4096 bytes (nothing was sent).</exception>
        public void Login(string user, string password, PopAuth auth = PopAuth.Default)
        {
            if (user == null)
            {
                throw new ArgumentNullException("user");
            }
            if (password == null)
            {
                throw new ArgumentNullException("password");
            }
            byte[] nativeUser = Utf8.ToNative(user, "user");
            byte[] nativePassword = Utf8.ToNative(password, "password");
            try
            {
                handle.Invoke(delegate(IntPtr h) { return NativeMethods.PopLogin(h, (uint)auth, nativeUser, nativePassword); });
            }
            finally
            {
                Array.Clear(nativePassword, 0, nativePassword.Length);
            }
        }

        /// <summary>Sends QUIT (PopQuit): the server removes the messages marked
        /// deleted if it answers +OK. The session is over either way; only
        /// <see cref="LastReply"/> and <see cref="Dispose"/> remain useful.</summary>
        public void Quit()
        {
            handle.Invoke(delegate(IntPtr h) { return NativeMethods.PopQuit(h); });
        }

        /// <summary>The server's capabilities, one CAPA line each ("UIDL",
        /// "SASL PLAIN SCRAM-SHA-256", ...) (PopGetCapabilities); empty if the
        /// server does not answer CAPA.</summary>
        public IReadOnlyList<string> Capabilities
        {
            get
            {
                string text = null;
                handle.Invoke(delegate(IntPtr h)
                {
                    return Utf8.Query(delegate(byte[] buffer, ref uint size)
                    {
                        return NativeMethods.PopGetCapabilities(h, buffer, ref size);
                    }, 512, out text);
                });
                return new ReadOnlyCollection<string>(
                    text.Split('\n').Where(line => line.Length > 0).ToList());
            }
        }

        /// <summary>The arguments of one capability (case-insensitive name):
        /// "SASL" gives "PLAIN SCRAM-SHA-256", "" for one without arguments, null
        /// when the server does not list it (PopGetCapability).</summary>
        public string GetCapability(string name)
        {
            if (name == null)
            {
                throw new ArgumentNullException("name");
            }
            byte[] nativeName = Utf8.ToNative(name, "name");
            string value = null;
            bool listed = true;
            handle.Invoke(delegate(IntPtr h)
            {
                uint rc = Utf8.Query(delegate(byte[] buffer, ref uint size)
                {
                    return NativeMethods.PopGetCapability(h, nativeName, buffer, ref size);
                }, 128, out value);
                if (rc == (uint)InetErrorCode.NotFound)
                {
                    listed = false;
                    return 0;
                }
                return rc;
            });
            return listed ? value : null;
        }

        /// <summary>Whether the server lists the capability <paramref name="name"/>.</summary>
        public bool HasCapability(string name)
        {
            return GetCapability(name) != null;
        }

        /// <summary>The last status line the server sent, +OK or -ERR (PopGetLastReply).</summary>
        public PopReply LastReply
        {
            get
            {
                int ok = 0;
                string line = null;
                handle.Invoke(delegate(IntPtr h)
                {
                    return Utf8.Query(delegate(byte[] buffer, ref uint size)
                    {
                        return NativeMethods.PopGetLastReply(h, out ok, buffer, ref size);
                    }, 256, out line);
                });
                return new PopReply(ok != 0, line);
            }
        }

        /// <summary>The TLS details of the session (PopGetSecurityInfo); on a
        /// plain session <see cref="InetSecurityInfo.IsSecure"/> is false.</summary>
        public InetSecurityInfo SecurityInfo
        {
            get
            {
                NativeMethods.INETSECURITYINFO info = NativeMethods.NewSecurityInfo();
                handle.Invoke(delegate(IntPtr h) { return NativeMethods.PopGetSecurityInfo(h, ref info); });
                return new InetSecurityInfo(info);
            }
        }

        /// <summary>True when the session runs over TLS.</summary>
        public bool IsSecure
        {
            get { return SecurityInfo.IsSecure; }
        }

        // ---- mailbox ---------------------------------------------------------------

        /// <summary>STAT: the number of messages and their total size in octets
        /// (PopGetMessageCount). The server's answer is remembered: a POP3
        /// session's mailbox does not change.</summary>
        public (int Count, long Octets) Stat()
        {
            uint count = 0;
            ulong octets = 0;
            handle.Invoke(delegate(IntPtr h) { return NativeMethods.PopGetMessageCount(h, out count, out octets); });
            return (ClampToInt(count), ClampToLong(octets));
        }

        /// <summary>Every message's number, size, unique id and deletion mark
        /// (PopListMessages, LIST and UIDL pipelined when the server allows it,
        /// then PopGetMessageInfo for each).</summary>
        public IReadOnlyList<PopMessageInfo> List()
        {
            List<PopMessageInfo> list = new List<PopMessageInfo>();
            handle.Invoke(delegate(IntPtr h)
            {
                uint count;
                uint rc = NativeMethods.PopListMessages(h, out count);
                for (uint message = 1; rc == 0 && message <= count && message != 0; message++)
                {
                    NativeMethods.POPMESSAGEINFO info = NativeMethods.NewMessageInfo();
                    rc = NativeMethods.PopGetMessageInfo(h, message, ref info);
                    if (rc == 0)
                    {
                        list.Add(new PopMessageInfo(info));
                    }
                }
                return rc;
            });
            return list.AsReadOnly();
        }

        /// <summary>What the listing says about one message (PopGetMessageInfo;
        /// lists first if needed).</summary>
        public PopMessageInfo GetInfo(int message)
        {
            uint number = CheckMessage(message, "message");
            NativeMethods.POPMESSAGEINFO info = NativeMethods.NewMessageInfo();
            handle.Invoke(delegate(IntPtr h) { return NativeMethods.PopGetMessageInfo(h, number, ref info); });
            return new PopMessageInfo(info);
        }

        /// <summary>The messages, as <see cref="List"/> returns them.</summary>
        public IEnumerator<PopMessageInfo> GetEnumerator()
        {
            return List().GetEnumerator();
        }

        IEnumerator IEnumerable.GetEnumerator()
        {
            return GetEnumerator();
        }

        /// <summary>The size of a message in octets as the server reports it
        /// (LIST n, or the listed value) (PopGetMessageSize).</summary>
        public long GetSize(int message)
        {
            uint number = CheckMessage(message, "message");
            ulong octets = 0;
            handle.Invoke(delegate(IntPtr h) { return NativeMethods.PopGetMessageSize(h, number, out octets); });
            return ClampToLong(octets);
        }

        /// <summary>The unique id of a message (UIDL n, or the listed value) (PopGetMessageUid).</summary>
        /// <exception cref="InetException">NotSupported: the server gives no unique ids.</exception>
        public string GetUid(int message)
        {
            uint number = CheckMessage(message, "message");
            string uid = null;
            handle.Invoke(delegate(IntPtr h)
            {
                return Utf8.Query(delegate(byte[] buffer, ref uint size)
                {
                    return NativeMethods.PopGetMessageUid(h, number, buffer, ref size);
                }, 72, out uid);
            });
            return uid;
        }

        /// <summary>The number of the message whose unique id is
        /// <paramref name="uid"/>, or null when none has it (PopFindMessage; lists
        /// first if needed).</summary>
        public int? Find(string uid)
        {
            if (uid == null)
            {
                throw new ArgumentNullException("uid");
            }
            byte[] nativeUid = Utf8.ToNative(uid, "uid");
            uint message = 0;
            bool found = true;
            handle.Invoke(delegate(IntPtr h)
            {
                uint rc = NativeMethods.PopFindMessage(h, nativeUid, out message);
                if (rc == (uint)InetErrorCode.NotFound)
                {
                    found = false;
                    return 0;
                }
                return rc;
            });
            return found ? ClampToInt(message) : (int?)null;
        }

        // ---- retrieval ---------------------------------------------------------------

        /// <summary>RETR: the whole message, byte for byte as stored
        /// (PopGetMessage). Messages above the "MaxMemoryMessage" setting (64 MiB
        /// by default, see <see cref="Config"/>) are refused with ResponseTooLarge:
        /// use <see cref="Store"/>, <see cref="OpenMessage"/> or
        /// <see cref="Retrieve(int, Func{byte[], bool})"/> for those.</summary>
        /// <exception cref="PopMessageIncompleteException">The connection ended
        /// before the end of the message.</exception>
        public byte[] Retrieve(int message)
        {
            uint number = CheckMessage(message, "message");
            return QueryData(delegate(IntPtr h, byte[] buffer, ref uint size)
            {
                return NativeMethods.PopGetMessage(h, number, buffer, ref size);
            });
        }

        /// <summary>TOP n 0: the header block with the blank line after it (PopGetMessageHeaders).</summary>
        public byte[] GetHeaders(int message)
        {
            uint number = CheckMessage(message, "message");
            return QueryData(delegate(IntPtr h, byte[] buffer, ref uint size)
            {
                return NativeMethods.PopGetMessageHeaders(h, number, buffer, ref size);
            });
        }

        /// <summary>TOP n lines: the headers and the first <paramref name="lines"/>
        /// lines of the body (PopGetMessageTop).</summary>
        public byte[] GetTop(int message, int lines)
        {
            uint number = CheckMessage(message, "message");
            uint count = CheckCount(lines, "lines");
            return QueryData(delegate(IntPtr h, byte[] buffer, ref uint size)
            {
                return NativeMethods.PopGetMessageTop(h, number, count, buffer, ref size);
            });
        }

        /// <summary>RETR into the file <paramref name="path"/> (PopStoreMessage):
        /// written beside it under a temporary name and renamed only when the
        /// whole message is on disk, so a file with that name is always complete.
        /// An existing file is replaced. Memory stays bounded whatever the size.</summary>
        public void Store(int message, string path)
        {
            uint number = CheckMessage(message, "message");
            if (path == null)
            {
                throw new ArgumentNullException("path");
            }
            byte[] nativePath = Utf8.ToNative(path, "path");
            handle.Invoke(delegate(IntPtr h) { return NativeMethods.PopStoreMessage(h, number, nativePath); });
        }

        /// <summary>Opens a message as a read-only stream (PopOpenMessage; the
        /// stream reads with PopRead and its Dispose calls PopCloseMessage).</summary>
        /// <param name="message">The message number.</param>
        /// <param name="lines">null for the whole message (RETR), or the number of
        /// body lines to read after the headers (TOP).</param>
        /// <remarks>Read returns 0 at the end of the message. While the stream is
        /// open every other call on the session throws
        /// <see cref="InetInvalidStateException"/>; disposing it reads and drops
        /// the rest of the message, so that the session stays in step. The stream
        /// is used on the session's thread, like the session.</remarks>
        public Stream OpenMessage(int message, int? lines = null)
        {
            uint number = CheckMessage(message, "message");
            uint count = lines.HasValue ? CheckCount(lines.Value, "lines") : NativeMethods.POP_ALL_LINES;
            handle.Invoke(delegate(IntPtr h) { return NativeMethods.PopOpenMessage(h, number, count); });
            return new PopMessageStream(handle);
        }

        /// <summary>RETR through <paramref name="piece"/> (PopRetrieveMessage):
        /// called with each piece of the message in order (up to 64 KiB; one line
        /// each with <see cref="PopOptions.LineBreak"/>), on this thread, before
        /// Retrieve returns.</summary>
        /// <param name="message">The message number.</param>
        /// <param name="piece">Returns true to go on. False stops the retrieval:
        /// Retrieve then throws <see cref="InetCanceledException"/> and the
        /// session is over. An exception it throws stops it the same way and is
        /// rethrown by Retrieve. Calls on this session from inside it fail with
        /// ReentrantCall (except Cancel and Dispose).</param>
        public void Retrieve(int message, Func<byte[], bool> piece)
        {
            uint number = CheckMessage(message, "message");
            if (piece == null)
            {
                throw new ArgumentNullException("piece");
            }
            NativeMethods.POPDATAPROC proc = new NativeMethods.POPDATAPROC(new DataThunk(piece).Invoke);
            handle.Invoke(delegate(IntPtr h) { return NativeMethods.PopRetrieveMessage(h, number, proc, IntPtr.Zero); });
            GC.KeepAlive(proc);
        }

        /// <summary>Stores messages into <paramref name="directory"/>, one file
        /// each, named "&lt;uid&gt;.eml" when the unique id is safe as a file name,
        /// else "&lt;number&gt;.eml", each complete or absent (PopStoreMessages). The
        /// RETRs are pipelined when the server advertises PIPELINING.</summary>
        /// <param name="directory">An existing directory (else <see cref="InetNotFoundException"/>).</param>
        /// <param name="messages">The message numbers; null for every message. An
        /// empty list stores nothing (and does not mean "every message").</param>
        /// <returns>The number of files written. When the call throws, the
        /// exception's Data["Stored"] holds the number written before the failure.</returns>
        public int StoreMany(string directory, IEnumerable<int> messages = null)
        {
            if (directory == null)
            {
                throw new ArgumentNullException("directory");
            }
            byte[] nativeDirectory = Utf8.ToNative(directory, "directory");
            uint[] numbers = messages == null ? null : messages.Select(m => CheckMessage(m, "messages")).ToArray();
            if (numbers != null && numbers.Length == 0)
            {
                return 0;
            }
            uint stored = 0;
            try
            {
                handle.Invoke(delegate(IntPtr h)
                {
                    return NativeMethods.PopStoreMessages(h, numbers, numbers == null ? 0u : (uint)numbers.Length,
                                                          nativeDirectory, out stored);
                });
            }
            catch (InetException e)
            {
                e.Data["Stored"] = ClampToInt(stored);
                throw;
            }
            return ClampToInt(stored);
        }

        /// <summary>The new-mail helper (PopStoreNewMessages): stores every
        /// message whose unique id is not in <paramref name="seenFile"/> into
        /// <paramref name="directory"/> as <see cref="StoreMany"/> does, and
        /// appends its id to the file only once the message file is complete on
        /// disk, so a crash or a dropped connection loses nothing and stores
        /// nothing twice. The file (one id a line) is created if missing.</summary>
        /// <returns>The number of new messages stored; on failure, the exception's
        /// Data["Stored"] holds the number stored (and recorded) before it.</returns>
        /// <exception cref="InetException">NotSupported: the server gives no unique ids.</exception>
        public int StoreNew(string seenFile, string directory)
        {
            if (seenFile == null)
            {
                throw new ArgumentNullException("seenFile");
            }
            if (directory == null)
            {
                throw new ArgumentNullException("directory");
            }
            byte[] nativeSeenFile = Utf8.ToNative(seenFile, "seenFile");
            byte[] nativeDirectory = Utf8.ToNative(directory, "directory");
            uint stored = 0;
            try
            {
                handle.Invoke(delegate(IntPtr h)
                {
                    return NativeMethods.PopStoreNewMessages(h, nativeSeenFile, nativeDirectory, out stored);
                });
            }
            catch (InetException e)
            {
                e.Data["Stored"] = ClampToInt(stored);
                throw;
            }
            return ClampToInt(stored);
        }

        // ---- changes ---------------------------------------------------------------

        /// <summary>DELE: marks a message for deletion (PopDeleteMessage). It goes
        /// when QUIT is answered +OK; <see cref="Reset"/> unmarks it.</summary>
        public void Delete(int message)
        {
            uint number = CheckMessage(message, "message");
            handle.Invoke(delegate(IntPtr h) { return NativeMethods.PopDeleteMessage(h, number); });
        }

        /// <summary>DELE for each message, pipelined when possible (PopDeleteMessages).</summary>
        /// <returns>The number the server accepted (0 for an empty list, which
        /// sends nothing). When the call throws, the exception's Data["Deleted"]
        /// holds that number.</returns>
        public int DeleteMany(IEnumerable<int> messages)
        {
            if (messages == null)
            {
                throw new ArgumentNullException("messages");
            }
            uint[] numbers = messages.Select(m => CheckMessage(m, "messages")).ToArray();
            if (numbers.Length == 0)
            {
                return 0;
            }
            uint deleted = 0;
            try
            {
                handle.Invoke(delegate(IntPtr h)
                {
                    return NativeMethods.PopDeleteMessages(h, numbers, (uint)numbers.Length, out deleted);
                });
            }
            catch (InetException e)
            {
                e.Data["Deleted"] = ClampToInt(deleted);
                throw;
            }
            return ClampToInt(deleted);
        }

        /// <summary>RSET: unmarks every deletion (PopReset).</summary>
        public void Reset()
        {
            handle.Invoke(delegate(IntPtr h) { return NativeMethods.PopReset(h); });
        }

        /// <summary>NOOP: keeps the session alive (PopNoop).</summary>
        public void Noop()
        {
            handle.Invoke(delegate(IntPtr h) { return NativeMethods.PopNoop(h); });
        }

        /// <summary>UTF8 (RFC 6856): user names, passwords and replies in UTF-8 (PopEnableUtf8).</summary>
        public void EnableUtf8()
        {
            handle.Invoke(delegate(IntPtr h) { return NativeMethods.PopEnableUtf8(h); });
        }

        /// <summary>Sends a raw command and reads its reply (PopCommand).</summary>
        /// <param name="command">The command line without CR LF. Commands that
        /// change the session's state (USER, PASS, AUTH, APOP, STLS, QUIT, UTF8)
        /// are refused with InvalidParameter: use their methods.</param>
        /// <param name="multiline">True when the reply has data lines (LIST, UIDL,
        /// TOP, ...): they are read to the terminating dot and returned.</param>
        /// <returns>The data lines, dot-unstuffed, each followed by CR LF; empty
        /// for a single-line reply (read the status line from <see cref="LastReply"/>).</returns>
        /// <exception cref="PopServerException">The server answered -ERR.</exception>
        public byte[] Command(string command, bool multiline = false)
        {
            if (command == null)
            {
                throw new ArgumentNullException("command");
            }
            byte[] nativeCommand = Utf8.ToNative(command, "command");
            int nativeMultiline = multiline ? 1 : 0;
            return QueryData(delegate(IntPtr h, byte[] buffer, ref uint size)
            {
                return NativeMethods.PopCommand(h, nativeCommand, nativeMultiline, buffer, ref size);
            });
        }

        // ---- settings, progress, trace, threads ---------------------------------------

        /// <summary>Sets one rarely used setting (PopConfig, "Name=Value"):
        /// Pipelining (auto, on, off), Timeout (ms of inactivity per call),
        /// Deadline (ms per call, 0 = none), MaxLineLength (bytes),
        /// MaxMemoryMessage (bytes), TraceFile (a path; "" stops).</summary>
        /// <exception cref="InetException">InvalidParameter: unknown name or bad value.</exception>
        public void Config(string name, string value)
        {
            if (name == null)
            {
                throw new ArgumentNullException("name");
            }
            if (value == null)
            {
                throw new ArgumentNullException("value");
            }
            if (name.IndexOf('=') >= 0)
            {
                throw new ArgumentException("The name cannot contain '='.", "name");
            }
            byte[] setting = Utf8.ToNative(name + "=" + value, "value");
            handle.Invoke(delegate(IntPtr h) { return NativeMethods.PopConfig(h, setting); });
        }

        /// <summary>Registers <paramref name="callback"/> to see each protocol
        /// line, or removes it (null) (PopSetTraceCallback).</summary>
        /// <remarks>The callback gets the direction and the line without its CR LF.
        /// Passwords, tokens and SASL data are replaced by "&lt;redacted&gt;";
        /// message bodies are not traced. It runs on the thread of the call
        /// that sent or read the line; an exception it throws is rethrown by that
        /// call once it has finished. Calls on this session from inside it fail
        /// with ReentrantCall, except <see cref="Cancel"/> and
        /// <see cref="Dispose"/>. The delegate is kept alive while it is registered.</remarks>
        public void SetTrace(Action<PopTraceDirection, string> callback)
        {
            NativeMethods.POPTRACEPROC proc = callback == null ? null : new NativeMethods.POPTRACEPROC(new TraceThunk(callback).Invoke);
            lock (handle.CallbackLock)
            {
                handle.Invoke(delegate(IntPtr h) { return NativeMethods.PopSetTraceCallback(h, proc, IntPtr.Zero); });
                // Only now may the previous delegate be collected.
                handle.TraceProc = proc;
            }
        }

        /// <summary>Registers <paramref name="callback"/> to follow retrievals, or
        /// removes it (null) (PopSetProgressCallback).</summary>
        /// <remarks>The callback gets the message number, the octets delivered so
        /// far and the octets expected (0 if unknown), and returns true to go on.
        /// False cancels the retrieval: the call throws
        /// <see cref="InetCanceledException"/> and the session is over. It runs
        /// like the trace callback (same thread, exceptions rethrown, kept
        /// alive while registered).</remarks>
        public void SetProgress(Func<int, long, long, bool> callback)
        {
            NativeMethods.POPPROGRESSPROC proc = callback == null ? null : new NativeMethods.POPPROGRESSPROC(new ProgressThunk(callback).Invoke);
            lock (handle.CallbackLock)
            {
                handle.Invoke(delegate(IntPtr h) { return NativeMethods.PopSetProgressCallback(h, proc, IntPtr.Zero); });
                handle.ProgressProc = proc;
            }
        }

        /// <summary>Makes the call in progress, on any thread, fail with
        /// <see cref="InetCanceledException"/> (PopCancel). A cancelled retrieval
        /// leaves the session out of step: dispose it. Callable from any thread.</summary>
        public void Cancel()
        {
            handle.Cancel();
        }

        /// <summary>Gives the session to thread <paramref name="threadId"/> (an
        /// operating-system id, see <see cref="InetLibrary.CurrentThreadId"/>; 0 =
        /// the calling thread) and returns the previous owner (PopAttachThread).</summary>
        public uint AttachThread(uint threadId = 0)
        {
            return handle.AttachThread(threadId);
        }

        /// <summary>Ends the session and releases the handle (PopDisconnect).
        /// On the owning thread with no call in progress it sends QUIT first, so
        /// deletions take effect; otherwise (another thread, a call in progress,
        /// the finalizer) it closes without QUIT and a blocked call fails with
        /// <see cref="InetCanceledException"/>. Callable from any thread.</summary>
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

        // ---- helpers ---------------------------------------------------------------------

        private delegate uint DataQuery(IntPtr h, byte[] buffer, ref uint size);

        // The size-query idiom over bytes, for calls that keep the data they
        // fetched for the retry (PopGetMessage*, PopCommand): the first call,
        // with no buffer, fetches and reports the size; the second copies out
        // exactly that much. Nothing is fetched twice.
        private byte[] QueryData(DataQuery query)
        {
            byte[] result = null;
            handle.Invoke(delegate(IntPtr h)
            {
                uint size = 0;
                uint rc = query(h, null, ref size);
                if (rc == 0)
                {
                    result = new byte[0];   // PopCommand with a single-line reply
                    return 0;
                }
                if (rc != (uint)InetErrorCode.InsufficientBuffer)
                {
                    return rc;
                }
                // An empty result still takes the second call (with one byte
                // of room), which also drops what the library holds.
                byte[] buffer = new byte[Math.Max(size, 1u)];
                uint filled = (uint)buffer.Length;
                rc = query(h, buffer, ref filled);
                if (rc != 0)
                {
                    return rc;
                }
                if (filled == (uint)buffer.Length)
                {
                    result = buffer;
                }
                else
                {
                    result = new byte[Math.Min(filled, (uint)buffer.Length)];
                    Array.Copy(buffer, result, result.Length);
                }
                return 0;
            });
            return result;
        }

        private static uint CheckMessage(int message, string paramName)
        {
            if (message < 0)
            {
                throw new ArgumentOutOfRangeException(paramName, message, "Message numbers start at 1.");
            }
            return (uint)message;
        }

        private static uint CheckCount(int count, string paramName)
        {
            if (count < 0)
            {
                throw new ArgumentOutOfRangeException(paramName, count, "The number cannot be negative.");
            }
            return (uint)count;
        }

        internal static int ClampToInt(uint value)
        {
            return value > int.MaxValue ? int.MaxValue : (int)value;
        }

        internal static long ClampToLong(ulong value)
        {
            return value > long.MaxValue ? long.MaxValue : (long)value;
        }

        // The thunks turn the native callbacks into the managed ones. No
        // exception may unwind into the library: it is parked for the call that
        // ran the callback (InetSafeHandle.Invoke rethrows it), and the data and
        // progress callbacks then stop the retrieval.
        private sealed class DataThunk
        {
            private readonly Func<byte[], bool> callback;

            internal DataThunk(Func<byte[], bool> callback)
            {
                this.callback = callback;
            }

            internal int Invoke(IntPtr hClient, uint message, IntPtr data, uint count, IntPtr param)
            {
                InetSafeHandle.EnterCallback();
                try
                {
                    byte[] bytes = new byte[count];
                    if (count > 0)
                    {
                        Marshal.Copy(data, bytes, 0, (int)count);
                    }
                    return callback(bytes) ? 1 : 0;
                }
                catch (Exception exception)
                {
                    InetSafeHandle.SetPendingCallbackException(exception);
                    return 0;
                }
                finally
                {
                    InetSafeHandle.LeaveCallback();
                }
            }
        }

        private sealed class ProgressThunk
        {
            private readonly Func<int, long, long, bool> callback;

            internal ProgressThunk(Func<int, long, long, bool> callback)
            {
                this.callback = callback;
            }

            internal int Invoke(IntPtr hClient, uint message, ulong done, ulong expected, IntPtr param)
            {
                InetSafeHandle.EnterCallback();
                try
                {
                    return callback(ClampToInt(message), ClampToLong(done), ClampToLong(expected)) ? 1 : 0;
                }
                catch (Exception exception)
                {
                    InetSafeHandle.SetPendingCallbackException(exception);
                    return 0;
                }
                finally
                {
                    InetSafeHandle.LeaveCallback();
                }
            }
        }

        private sealed class TraceThunk
        {
            private readonly Action<PopTraceDirection, string> callback;

            internal TraceThunk(Action<PopTraceDirection, string> callback)
            {
                this.callback = callback;
            }

            internal void Invoke(IntPtr hClient, uint direction, IntPtr line, IntPtr param)
            {
                InetSafeHandle.EnterCallback();
                try
                {
                    callback((PopTraceDirection)direction, Utf8.FromNative(line) ?? string.Empty);
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

    /// <summary>What the listing says about one message (POPMESSAGEINFO). A snapshot.</summary>
    public sealed class PopMessageInfo
    {
        internal PopMessageInfo(NativeMethods.POPMESSAGEINFO info)
        {
            Number = PopClient.ClampToInt(info.dwMessage);
            Size = PopClient.ClampToLong(info.ullOctets);
            IsDeleted = info.bDeleted != 0;
            Uid = Utf8.DecodeFixed(info.szUid);
        }

        /// <summary>The message number (1..count).</summary>
        public int Number { get; private set; }

        /// <summary>The size in octets the server reports (LIST).</summary>
        public long Size { get; private set; }

        /// <summary>The unique id (UIDL: 1-70 printable characters), "" if the server has none.</summary>
        public string Uid { get; private set; }

        /// <summary>Marked for deletion in this session.</summary>
        public bool IsDeleted { get; private set; }

        /// <summary>"NUMBER SIZE UID", with " (deleted)" when marked.</summary>
        public override string ToString()
        {
            return string.Format(System.Globalization.CultureInfo.InvariantCulture, "{0} {1} {2}{3}", Number, Size, Uid,
                                 IsDeleted ? " (deleted)" : string.Empty);
        }
    }

    /// <summary>A status line of the server (see <see cref="PopClient.LastReply"/>).</summary>
    public sealed class PopReply
    {
        internal PopReply(bool ok, string line)
        {
            IsOk = ok;
            Line = line ?? string.Empty;
            int space = Line.IndexOf(' ');
            Text = space < 0 ? string.Empty : Line.Substring(space + 1);
        }

        /// <summary>True for +OK, false for -ERR.</summary>
        public bool IsOk { get; private set; }

        /// <summary>The whole line, without CR LF ("+OK 2 320", "-ERR [IN-USE] locked").</summary>
        public string Line { get; private set; }

        /// <summary>The line after "+OK " or "-ERR ".</summary>
        public string Text { get; private set; }

        /// <summary>The line.</summary>
        public override string ToString()
        {
            return Line;
        }
    }

    /// <summary>A message opened with <see cref="PopClient.OpenMessage"/>: PopRead
    /// until it returns 0, PopCloseMessage on Dispose.</summary>
    internal sealed class PopMessageStream : Stream
    {
        private readonly PopClientHandle handle;
        private bool disposed;

        internal PopMessageStream(PopClientHandle handle)
        {
            this.handle = handle;
        }

        public override bool CanRead
        {
            get { return !disposed; }
        }

        public override bool CanSeek
        {
            get { return false; }
        }

        public override bool CanWrite
        {
            get { return false; }
        }

        public override long Length
        {
            get { throw new NotSupportedException("A POP3 message stream has no length; see PopClient.GetSize."); }
        }

        public override long Position
        {
            get { throw new NotSupportedException("A POP3 message stream cannot seek."); }
            set { throw new NotSupportedException("A POP3 message stream cannot seek."); }
        }

        /// <summary>PopRead: up to <paramref name="count"/> bytes of the message
        /// (one line at most with <see cref="PopOptions.LineBreak"/>); 0 at its end.</summary>
        public override int Read(byte[] buffer, int offset, int count)
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
            if (disposed)
            {
                throw new ObjectDisposedException(GetType().FullName);
            }
            if (count == 0)
            {
                return 0;
            }
            uint done = 0;
            GCHandle pin = GCHandle.Alloc(buffer, GCHandleType.Pinned);
            try
            {
                IntPtr data = Marshal.UnsafeAddrOfPinnedArrayElement(buffer, offset);
                handle.Invoke(delegate(IntPtr h) { return NativeMethods.PopRead(h, data, (uint)count, out done); });
            }
            finally
            {
                pin.Free();
            }
            return (int)done;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin)
        {
            throw new NotSupportedException("A POP3 message stream cannot seek.");
        }

        public override void SetLength(long value)
        {
            throw new NotSupportedException("A POP3 message stream is read-only.");
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            throw new NotSupportedException("A POP3 message stream is read-only.");
        }

        // PopCloseMessage reads and drops the rest of the message. Its failure
        // is not thrown from Dispose: a session that lost step with the server
        // (or a message the library already dropped after a failed read) shows
        // itself at the next call on the client, and a disposed client has
        // nothing left to close. Misuse is thrown, since the message then
        // stays open: Dispose on a thread that may not use the session, or
        // from inside one of its callbacks.
        protected override void Dispose(bool disposing)
        {
            if (disposing && !disposed)
            {
                disposed = true;
                if (!handle.IsClosed)
                {
                    try
                    {
                        handle.Invoke(delegate(IntPtr h) { return NativeMethods.PopCloseMessage(h); });
                    }
                    catch (InetException e)
                    {
                        if (e.ErrorCode == InetErrorCode.WrongThread || e.ErrorCode == InetErrorCode.ReentrantCall ||
                            e.ErrorCode == InetErrorCode.Busy)
                        {
                            disposed = false;
                            throw;
                        }
                    }
                    catch (ObjectDisposedException)
                    {
                    }
                }
            }
            base.Dispose(disposing);
        }
    }
}
