// PopTests.cs - the Pop family through the real library: PopClient against the
// scripted server of PopServer.cs (loopback), and against a private Dovecot
// when tests/pop/dovecot.sh and dovecot are there.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Threading;

namespace Inetkit.Tests
{
    public static class PopTests
    {
        private static PopClient Connect(PopServer server, PopOptions options = PopOptions.None)
        {
            return PopClient.Connect("127.0.0.1", server.Port, 10, options);
        }

        private static PopClient LoginAlice(PopServer server, PopOptions options = PopOptions.None)
        {
            PopClient client = Connect(server, options);
            client.Login("alice", PopServer.Password);
            return client;
        }

        private static void AssertBytes(byte[] expected, byte[] actual, string what)
        {
            if (expected.SequenceEqual(actual))
            {
                return;
            }
            int i = 0;
            while (i < expected.Length && i < actual.Length && expected[i] == actual[i])
            {
                i++;
            }
            throw new AssertionException(string.Format("{0}: {1} bytes expected, {2} received, first difference at {3}",
                                                        what, expected.Length, actual.Length, i));
        }

        private static string TempDirectory()
        {
            string path = Path.Combine(Path.GetTempPath(), "inetkit-pop-" + Guid.NewGuid().ToString("N").Substring(0, 12));
            Directory.CreateDirectory(path);
            return path;
        }

        private static byte[] Content(int message)
        {
            return PopServer.StandardMailbox()[message - 1].Content;
        }

        // ---- ABI -------------------------------------------------------------------------

        [Test]
        public static void PopNativeLayoutAndErrorTwins()
        {
            Type info = typeof(NativeMethods.POPMESSAGEINFO);
            Assert.Equal(4, (int)Marshal.OffsetOf(info, "dwMessage"), "offset of dwMessage");
            Assert.Equal(8, (int)Marshal.OffsetOf(info, "ullOctets"), "offset of ullOctets");
            Assert.Equal(16, (int)Marshal.OffsetOf(info, "bDeleted"), "offset of bDeleted");
            Assert.Equal(20, (int)Marshal.OffsetOf(info, "szUid"), "offset of szUid");
            Assert.Equal(96, Marshal.SizeOf(info), "sizeof(POPMESSAGEINFO)");
            Assert.Equal(96u, NativeMethods.NewMessageInfo().dwSize, "NewMessageInfo().dwSize");

            // PopGetErrorString and the Inet twin read the same catalogue.
            foreach (InetErrorCode code in Enum.GetValues(typeof(InetErrorCode)))
            {
                Assert.Equal(InetLibrary.ErrorString(code), PopLibrary.ErrorString(code), "PopGetErrorString(" + code + ")");
            }
            Assert.Equal("The mailbox is in use by another session", PopLibrary.ErrorString(InetErrorCode.MailboxInUse),
                         "MailboxInUse text");
            Assert.Throws<ArgumentOutOfRangeException>(() => PopLibrary.ErrorString((InetErrorCode)9999u), "unknown code");

            // One last-error store, read through either family's exports.
            PopLibrary.EnsureInitialized();
            IntPtr forged = new IntPtr(0x12345678);
            Assert.Equal((uint)InetErrorCode.InvalidHandle, NativeMethods.PopNoop(forged), "PopNoop(forged)");
            Assert.Equal((uint)InetErrorCode.InvalidHandle, PopLibrary.LastError, "PopGetLastError");
            Assert.Equal((uint)InetErrorCode.InvalidHandle, NativeMethods.InetGetLastError(), "InetGetLastError");
            string message = PopLibrary.LastErrorMessage();
            Assert.True(message.Length > 0, "PopGetLastErrorMessage after a failure");
            Assert.Equal(InetException.LastErrorMessage(), message, "the Inet twin reads the same message");
            // An Inet handle is not a Pop handle, and the other way round.
            using (InetListener listener = InetListener.Listen("127.0.0.1", 0))
            {
                Assert.Equal((uint)InetErrorCode.InvalidHandle, NativeMethods.PopNoop(listener.SafeHandle.DangerousGetHandle()),
                             "an Inet listener passed to PopNoop");
            }
            // Unknown option bits are refused before any traffic.
            Assert.ThrowsInet(InetErrorCode.InvalidParameter,
                              () => PopClient.Connect("127.0.0.1", 110, 5, (PopOptions)0x80000000u).Dispose(), "unknown options");
            Assert.Equal(IntPtr.Zero, NativeMethods.PopConnect(Encoding.ASCII.GetBytes("127.0.0.1\0"), 110, 5,
                                                               NativeMethods.POP_OPTION_SECURE_EXPLICIT | NativeMethods.POP_OPTION_SECURE_IMPLICIT,
                                                               IntPtr.Zero), "raw PopConnect with both TLS options");
            Assert.Equal((uint)InetErrorCode.InvalidParameter, PopLibrary.LastError, "its last error");
        }

        [Test]
        public static void PopInitializeUninitializePair()
        {
            PopLibrary.Initialize();
            PopLibrary.Uninitialize();
            // The binding's own reference keeps the family alive.
            using (PopServer server = PopServer.Start())
            using (PopClient client = LoginAlice(server))
            {
                Assert.Equal(4, client.Stat().Count, "a session after Initialize/Uninitialize");
                client.Quit();
            }
        }

        [Test]
        public static void PopExceptionTypes()
        {
            Dictionary<InetErrorCode, Type> expected = new Dictionary<InetErrorCode, Type>
            {
                { InetErrorCode.NotFound, typeof(InetNotFoundException) },
                { InetErrorCode.InvalidState, typeof(InetInvalidStateException) },
                { InetErrorCode.ServerError, typeof(PopServerException) },
                { InetErrorCode.Protocol, typeof(PopException) },
                { InetErrorCode.AuthFailed, typeof(PopAuthenticationException) },
                { InetErrorCode.MailboxInUse, typeof(PopMailboxInUseException) },
                { InetErrorCode.LoginDelay, typeof(PopLoginDelayException) },
                { InetErrorCode.ServerTemporary, typeof(PopServerException) },
                { InetErrorCode.ServerPermanent, typeof(PopServerException) },
                { InetErrorCode.TlsRequired, typeof(PopTlsRequiredException) },
                { InetErrorCode.AuthUnavailable, typeof(PopException) },
                { InetErrorCode.AuthServerUnverified, typeof(PopAuthenticationException) },
                { InetErrorCode.ResponseTooLarge, typeof(PopException) },
                { InetErrorCode.MessageIncomplete, typeof(PopMessageIncompleteException) },
            };
            foreach (KeyValuePair<InetErrorCode, Type> pair in expected)
            {
                InetException e = InetException.Create(pair.Key, "");
                Assert.Equal(pair.Value, e.GetType(), "exception type for " + pair.Key);
                Assert.Equal(pair.Key, e.ErrorCode, "ErrorCode of the " + pair.Value.Name);
                Assert.Equal(InetLibrary.ErrorString(pair.Key), e.Message, "default message of " + pair.Key);
            }
            Assert.True(((PopServerException)InetException.Create(InetErrorCode.ServerTemporary, "x")).IsTemporary, "IsTemporary");
            Assert.True(!((PopServerException)InetException.Create(InetErrorCode.ServerError, "x")).IsTemporary, "not IsTemporary");
        }

        // ---- session ---------------------------------------------------------------------

        [Test]
        public static void PopLoginStatList()
        {
            using (PopServer server = PopServer.Start())
            {
                using (PopClient client = Connect(server))
                {
                    IReadOnlyList<string> capabilities = client.Capabilities;
                    foreach (string name in new[] { "USER", "TOP", "UIDL", "PIPELINING" })
                    {
                        Assert.True(capabilities.Contains(name), "CAPA lists " + name + ": " + string.Join("|", capabilities));
                    }
                    Assert.Equal("inetkit-scripted", client.GetCapability("implementation"), "GetCapability is case-insensitive");
                    Assert.Equal("", client.GetCapability("UIDL"), "a capability without arguments");
                    Assert.Equal(null, client.GetCapability("STLS"), "a capability the server does not list");
                    Assert.True(client.HasCapability("Top") && !client.HasCapability("SASL"), "HasCapability");
                    Assert.True(!client.IsSecure, "a plain session");
                    Assert.Equal("plain", client.SecurityInfo.ToString(), "SecurityInfo of a plain session");
                    Assert.ThrowsInet(InetErrorCode.InvalidState, () => client.Stat(), "STAT before login");

                    // Default on a plain session with an APOP timestamp: APOP.
                    client.Login("alice", PopServer.Password);
                    Assert.True(server.Received.Contains("APOP alice " + PopServer.ApopDigest(PopServer.Password)),
                                "APOP sent: " + string.Join(" | ", server.Received));
                    Assert.True(!server.Received.Any(l => l.StartsWith("PASS", StringComparison.Ordinal)), "no PASS in the clear");
                    Assert.Throws<InetInvalidStateException>(() => client.Login("alice", PopServer.Password), "a second login");

                    List<PopServer.Message> mailbox = PopServer.StandardMailbox();
                    var stat = client.Stat();
                    Assert.Equal(4, stat.Count, "STAT count");
                    Assert.Equal(mailbox.Sum(m => (long)m.Content.Length), stat.Octets, "STAT octets");
                    Assert.Equal("+OK 4 " + stat.Octets, client.LastReply.Line, "LastReply after STAT");

                    IReadOnlyList<PopMessageInfo> list = client.List();
                    Assert.Equal(4, list.Count, "List count");
                    for (int i = 0; i < 4; i++)
                    {
                        Assert.Equal(i + 1, list[i].Number, "Number");
                        Assert.Equal((long)mailbox[i].Content.Length, list[i].Size, "Size of " + (i + 1));
                        Assert.Equal(mailbox[i].Uid, list[i].Uid, "Uid of " + (i + 1));
                        Assert.True(!list[i].IsDeleted, "IsDeleted");
                    }
                    Assert.True(client.Select(m => m.Uid).SequenceEqual(mailbox.Select(m => m.Uid)), "IEnumerable<PopMessageInfo>");
                    Assert.Equal("uid-dots", client.GetUid(2), "GetUid");
                    Assert.Equal((long)mailbox[2].Content.Length, client.GetSize(3), "GetSize");
                    Assert.Equal("uid/unsafe", client.GetInfo(3).Uid, "GetInfo");
                    Assert.Equal(2, client.Find("uid-dots"), "Find");
                    Assert.Equal(null, client.Find("no-such-uid"), "Find of an unknown id");
                    Assert.ThrowsInet(InetErrorCode.InvalidParameter, () => client.GetUid(5), "GetUid(5)");
                    Assert.ThrowsInet(InetErrorCode.InvalidParameter, () => client.GetSize(0), "GetSize(0)");
                    Assert.Throws<ArgumentOutOfRangeException>(() => client.GetUid(-1), "GetUid(-1)");

                    // The raw structure underneath, with a short dwSize.
                    NativeMethods.POPMESSAGEINFO raw = NativeMethods.NewMessageInfo();
                    raw.dwSize = 4;
                    Assert.Equal((uint)InetErrorCode.InvalidParameter,
                                 NativeMethods.PopGetMessageInfo(client.SafeHandle.DangerousGetHandle(), 1, ref raw), "dwSize 4");

                    client.Noop();
                    Assert.True(client.LastReply.IsOk, "NOOP answered +OK");
                    client.Quit();
                    PopReply bye = client.LastReply;
                    Assert.True(bye.IsOk && bye.Line == "+OK bye" && bye.Text == "bye", "LastReply after QUIT: " + bye);
                    Assert.ThrowsInet(InetErrorCode.NotConnected, () => client.Noop(), "NOOP after QUIT");
                }
                Assert.True(server.WaitForSessionsEnded(1), "the session ended");
                Assert.Equal(1, server.Quits, "exactly one QUIT (Dispose after Quit sends none)");
                server.CheckFailures();
            }
        }

        [Test]
        public static void PopRetrieveIsByteExact()
        {
            using (PopServer server = PopServer.Start())
            using (PopClient client = LoginAlice(server))
            {
                for (int n = 1; n <= 4; n++)
                {
                    AssertBytes(Content(n), client.Retrieve(n), "Retrieve(" + n + ")");
                }
                // The dots message on the wire really was stuffed, and came back unstuffed.
                Assert.True(Encoding.ASCII.GetString(PopServer.Stuff(Content(2))).Contains("\r\n..\r\n...\r\n"), "stuffed form");
                AssertBytes(Content(1), client.Retrieve(1), "Retrieve(1) again");
                AssertBytes(PopServer.HeaderPart(Content(1)), client.GetHeaders(1), "GetHeaders(1)");
                AssertBytes(PopServer.HeaderPart(Content(3)), client.GetHeaders(3), "GetHeaders(3)");
                AssertBytes(PopServer.TopPart(Content(1), 2), client.GetTop(1, 2), "GetTop(1, 2)");
                AssertBytes(PopServer.TopPart(Content(2), 3), client.GetTop(2, 3), "GetTop(2, 3) with dots");
                Assert.Throws<ArgumentOutOfRangeException>(() => client.GetTop(1, -1), "GetTop with -1 lines");

                // In pieces through the data callback.
                List<byte[]> pieces = new List<byte[]>();
                client.Retrieve(4, piece => { pieces.Add(piece); return true; });
                AssertBytes(Content(4), pieces.SelectMany(p => p).ToArray(), "Retrieve(4, piece)");
                Assert.True(pieces.Count >= 4 && pieces.All(p => p.Length <= 65536), "pieces: " + string.Join(",", pieces.Select(p => p.Length)));

                // The size-query idiom underneath: the message is kept for the retry.
                IntPtr raw = client.SafeHandle.DangerousGetHandle();
                uint size = 10;
                byte[] small = new byte[10];
                Assert.Equal((uint)InetErrorCode.InsufficientBuffer, NativeMethods.PopGetMessage(raw, 2, small, ref size),
                             "PopGetMessage into 10 bytes");
                Assert.Equal((uint)Content(2).Length, size, "size needed");
                int before = server.Received.Count(l => l == "RETR 2");
                byte[] exact = new byte[size];
                Assert.Equal(0u, NativeMethods.PopGetMessage(raw, 2, exact, ref size), "PopGetMessage into its size");
                Assert.Equal(before, server.Received.Count(l => l == "RETR 2"), "the retry did not send RETR again");
                AssertBytes(Content(2), exact, "raw PopGetMessage");

                // A message above MaxMemoryMessage must go to a file or a stream.
                client.Config("MaxMemoryMessage", "100000");
                Assert.ThrowsInet(InetErrorCode.ResponseTooLarge, () => client.Retrieve(4), "Retrieve above MaxMemoryMessage");
                client.Config("MaxMemoryMessage", "67108864");
                AssertBytes(Content(4), client.Retrieve(4), "Retrieve(4) with the default limit");
                client.Quit();
                server.CheckFailures();
            }
        }

        [Test]
        public static void PopMessageStream()
        {
            using (PopServer server = PopServer.Start())
            using (PopClient client = LoginAlice(server))
            {
                MemoryStream collected = new MemoryStream();
                using (Stream stream = client.OpenMessage(2))
                {
                    Assert.True(stream.CanRead && !stream.CanSeek && !stream.CanWrite, "a read-only stream");
                    Assert.Throws<NotSupportedException>(() => { long l = stream.Length; }, "Length");
                    Assert.Throws<NotSupportedException>(() => stream.Write(new byte[1], 0, 1), "Write");
                    byte[] buffer = new byte[9];
                    int n;
                    while ((n = stream.Read(buffer, 2, 7)) > 0)
                    {
                        collected.Write(buffer, 2, n);
                    }
                    Assert.Equal(0, stream.Read(buffer, 0, 9), "Read after the end");
                    Assert.Throws<InetInvalidStateException>(() => client.Stat(), "STAT while a message is open");
                    Assert.Throws<InetInvalidStateException>(() => client.Retrieve(1), "RETR while a message is open");
                    Assert.Throws<InetInvalidStateException>(() => client.Command("NOOP"), "a command while a message is open");
                    Assert.Throws<InetInvalidStateException>(() => client.OpenMessage(1).Dispose(), "a second message");
                }
                AssertBytes(Content(2), collected.ToArray(), "OpenMessage(2) read in 7-byte pieces");
                client.Noop();

                // Disposed half-way: the rest is drained and the session stays in step.
                using (Stream stream = client.OpenMessage(4))
                {
                    byte[] head = new byte[1000];
                    Assert.True(stream.Read(head, 0, head.Length) > 0, "read a little of message 4");
                }
                AssertBytes(Content(1), client.Retrieve(1), "Retrieve after a half-read stream");

                // TOP through a stream.
                using (Stream stream = client.OpenMessage(1, 0))
                {
                    MemoryStream top = new MemoryStream();
                    stream.CopyTo(top);
                    AssertBytes(PopServer.HeaderPart(Content(1)), top.ToArray(), "OpenMessage(1, 0)");
                }
                // Disposing on a thread that may not use the session is misuse: it
                // throws and the message stays open.
                Stream open = client.OpenMessage(2);
                Exception wrongThread = Helpers.RunOnOtherThread(() => open.Dispose());
                Assert.True(wrongThread is InetWrongThreadException, "Dispose on another thread: " + wrongThread);
                Assert.Throws<InetInvalidStateException>(() => client.Stat(), "the message is still open");
                open.Dispose();
                client.Noop();
                Stream closed = client.OpenMessage(3);
                closed.Dispose();
                closed.Dispose();
                Assert.Throws<ObjectDisposedException>(() => closed.Read(new byte[4], 0, 4), "Read after Dispose");
                client.Quit();
            }
        }

        [Test]
        public static void PopLineBreakOption()
        {
            using (PopServer server = PopServer.Start())
            using (PopClient client = LoginAlice(server, PopOptions.LineBreak))
            {
                List<string> lines = new List<string>();
                client.Retrieve(1, piece => { lines.Add(Encoding.ASCII.GetString(piece)); return true; });
                string[] split = Encoding.ASCII.GetString(Content(1)).Split(new[] { "\r\n" }, StringSplitOptions.None);
                string[] expected = split.Take(split.Length - 1).Select(l => l + "\r\n").ToArray();   // the last is ""
                Assert.Equal(7, expected.Length, "lines of message 1");
                Assert.True(lines.SequenceEqual(expected), "one line per piece: " + string.Join("|", lines));
                using (Stream stream = client.OpenMessage(2))
                {
                    byte[] buffer = new byte[4096];
                    List<string> read = new List<string>();
                    int n;
                    while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
                    {
                        read.Add(Encoding.ASCII.GetString(buffer, 0, n));
                    }
                    Assert.Equal(".\r\n", read[2], "the first body line, unstuffed");
                    Assert.True(read.All(l => l.EndsWith("\r\n", StringComparison.Ordinal) && l.IndexOf('\n') == l.Length - 1),
                                "one line per Read: " + string.Join("|", read));
                    Assert.Equal(Encoding.ASCII.GetString(Content(2)), string.Concat(read), "the lines make the message");
                }
                client.Quit();
            }
        }

        [Test]
        public static void PopStoreStoreManyStoreNew()
        {
            string directory = TempDirectory();
            try
            {
                using (PopServer server = PopServer.Start())
                {
                    using (PopClient client = LoginAlice(server))
                    {
                        string single = Path.Combine(directory, "single.eml");
                        client.Store(3, single);
                        AssertBytes(Content(3), File.ReadAllBytes(single), "Store(3)");
                        client.Store(1, single);
                        AssertBytes(Content(1), File.ReadAllBytes(single), "Store replaces the file");

                        string all = Path.Combine(directory, "all");
                        Directory.CreateDirectory(all);
                        Assert.Equal(4, client.StoreMany(all), "StoreMany of every message");
                        string[] names = Directory.GetFiles(all).Select(Path.GetFileName).OrderBy(s => s, StringComparer.Ordinal).ToArray();
                        // Bytes unsafe in a file name are percent-encoded, so ids never share a file.
                        Assert.Equal("uid%2Funsafe.eml,uid-big.eml,uid-dots.eml,uid-one.eml", string.Join(",", names), "file names");
                        AssertBytes(Content(1), File.ReadAllBytes(Path.Combine(all, "uid-one.eml")), "uid-one.eml");
                        AssertBytes(Content(2), File.ReadAllBytes(Path.Combine(all, "uid-dots.eml")), "uid-dots.eml");
                        AssertBytes(Content(3), File.ReadAllBytes(Path.Combine(all, "uid%2Funsafe.eml")), "uid%2Funsafe.eml (the uid, encoded)");
                        AssertBytes(Content(4), File.ReadAllBytes(Path.Combine(all, "uid-big.eml")), "uid-big.eml");

                        string some = Path.Combine(directory, "some");
                        Directory.CreateDirectory(some);
                        Assert.Equal(0, client.StoreMany(some, new int[0]), "an empty list stores nothing");
                        Assert.Equal(0, Directory.GetFiles(some).Length, "no file for an empty list");
                        Assert.Equal(2, client.StoreMany(some, new[] { 4, 2 }), "StoreMany of two");
                        Assert.Equal(2, Directory.GetFiles(some).Length, "two files");
                        InetException missing = Assert.Throws<InetNotFoundException>(
                            () => client.StoreMany(Path.Combine(directory, "missing")), "StoreMany into a missing directory");
                        Assert.Equal(0, (int)missing.Data["Stored"], "Data[\"Stored\"]");

                        string fresh = Path.Combine(directory, "new");
                        Directory.CreateDirectory(fresh);
                        string seen = Path.Combine(directory, "seen.txt");
                        Assert.Equal(4, client.StoreNew(seen, fresh), "StoreNew, first time");
                        Assert.Equal(0, client.StoreNew(seen, fresh), "StoreNew, second time");
                        Assert.Equal("uid-big,uid-dots,uid-one,uid/unsafe",
                                     string.Join(",", File.ReadAllLines(seen).OrderBy(s => s, StringComparer.Ordinal)), "seen file");
                        Assert.Equal(4, Directory.GetFiles(fresh).Length, "four new files");
                        client.Quit();
                    }
                    // A new session with one more message: only that one is new.
                    using (PopClient client = LoginAlice(server))
                    {
                        Assert.Equal(0, client.StoreNew(Path.Combine(directory, "seen.txt"), Path.Combine(directory, "new")),
                                     "StoreNew in a new session");
                        client.Quit();
                    }
                    Assert.True(!Directory.GetFiles(directory, "*.part*", SearchOption.AllDirectories).Any(), "no temporary files left");
                    server.CheckFailures();
                }
            }
            finally
            {
                Directory.Delete(directory, true);
            }
        }

        [Test]
        public static void PopDeleteResetAndCommit()
        {
            using (PopServer server = PopServer.Start())
            {
                using (PopClient client = LoginAlice(server))
                {
                    // The listing is taken first: the marks below are the library's
                    // own (the server's LIST leaves deleted messages out).
                    Assert.True(!client.List()[0].IsDeleted, "IsDeleted before Delete");
                    client.Delete(1);
                    Assert.True(client.List()[0].IsDeleted, "IsDeleted after Delete");
                    Assert.True(client.GetInfo(1).IsDeleted && client.GetInfo(1).Uid == "uid-one", "GetInfo after Delete");
                    PopServerException e = Assert.Throws<PopServerException>(() => client.Retrieve(1), "RETR of a deleted message");
                    Assert.Equal(InetErrorCode.ServerError, e.ErrorCode, "code");
                    Assert.True(e.Message.Contains("already deleted"), "the message quotes the server: " + e.Message);
                    Assert.True(!client.LastReply.IsOk && client.LastReply.Line.StartsWith("-ERR", StringComparison.Ordinal),
                                "LastReply " + client.LastReply);
                    Assert.Throws<PopServerException>(() => client.Delete(1), "DELE twice");
                    client.Reset();
                    Assert.True(!client.List()[0].IsDeleted, "IsDeleted after Reset");
                    AssertBytes(Content(1), client.Retrieve(1), "message 1 back after RSET");

                    Assert.Equal(0, client.DeleteMany(new int[0]), "DeleteMany of nothing");
                    Assert.Equal(2, client.DeleteMany(new[] { 1, 2 }), "DeleteMany");
                    Assert.True(client.List().Select(m => m.IsDeleted).SequenceEqual(new[] { true, true, false, false }), "marks");
                    PopServerException partial = Assert.Throws<PopServerException>(() => client.DeleteMany(new[] { 2, 3 }),
                                                                                    "DeleteMany with one already deleted");
                    Assert.Equal(1, (int)partial.Data["Deleted"], "Data[\"Deleted\"]");
                    Assert.Equal(4, server.Mailbox.Length, "nothing removed before QUIT");
                    // Dispose on the owning thread sends QUIT: the deletions take effect.
                }
                Assert.True(server.WaitForSessionsEnded(1), "the session ended");
                Assert.Equal(1, server.Quits, "QUIT sent by Dispose");
                Assert.Equal("uid-big", string.Join(",", server.Mailbox.Select(m => m.Uid)), "messages 1-3 removed");
                using (PopClient client = LoginAlice(server))
                {
                    Assert.Equal(1, client.Stat().Count, "STAT in a new session");
                    Assert.Equal("uid-big", client.GetUid(1), "the remaining message");
                    client.Quit();
                }
                server.CheckFailures();
            }
        }

        [Test]
        public static void PopRawCommand()
        {
            using (PopServer server = PopServer.Start())
            using (PopClient client = LoginAlice(server))
            {
                Assert.Equal(0, client.Command("NOOP").Length, "single-line reply");
                Assert.True(client.LastReply.IsOk, "NOOP +OK");
                byte[] uidl = client.Command("UIDL", true);
                Assert.Equal("1 uid-one\r\n2 uid-dots\r\n3 uid/unsafe\r\n4 uid-big\r\n", Encoding.ASCII.GetString(uidl), "UIDL");
                AssertBytes(PopServer.TopPart(Content(2), 2), client.Command("TOP 2 2", true), "TOP 2 2, dot-unstuffed");
                Assert.Equal("+OK 2 " + Content(2).Length, Encoding.ASCII.GetString(client.Command("list 2")) + client.LastReply.Line,
                             "LIST 2 status line");
                PopServerException e = Assert.Throws<PopServerException>(() => client.Command("XYZZY"), "an unknown command");
                Assert.Equal("-ERR unknown command", client.LastReply.Line, "LastReply after -ERR");
                Assert.True(e.NativeMessage.Contains("-ERR unknown command"), "message: " + e.NativeMessage);
                foreach (string reserved in new[] { "USER bob", "pass x", "QUIT", "STLS", "APOP a b", "AUTH PLAIN", "UTF8" })
                {
                    Assert.ThrowsInet(InetErrorCode.InvalidParameter, () => client.Command(reserved), "Command(" + reserved + ")");
                }
                Assert.ThrowsInet(InetErrorCode.InvalidParameter, () => client.Command("NOOP\r\nQUIT"), "a command holding CR LF");
                Assert.ThrowsInet(InetErrorCode.InvalidParameter, () => client.Command(""), "an empty command");
                Assert.True(!server.Received.Contains("USER bob") && !server.Received.Contains("QUIT"), "refused commands not sent");
                client.Noop();
                client.Quit();
                server.CheckFailures();
            }
        }

        [Test]
        public static void PopConfigSettings()
        {
            using (PopServer server = PopServer.Start())
            using (PopClient client = LoginAlice(server))
            {
                client.Config("Pipelining", "off");
                client.Config("Timeout", "5000");
                client.Config("Deadline", "0");
                client.Config("MaxLineLength", "4096");
                Assert.ThrowsInet(InetErrorCode.InvalidParameter, () => client.Config("Bogus", "1"), "an unknown setting");
                Assert.ThrowsInet(InetErrorCode.InvalidParameter, () => client.Config("Pipelining", "maybe"), "a bad value");
                Assert.ThrowsInet(InetErrorCode.InvalidParameter, () => client.Config("Timeout", "-1"), "a negative number");
                Assert.Throws<ArgumentException>(() => client.Config("A=B", "1"), "a name holding '='");
                // Without pipelining the listing still works (LIST, then UIDL).
                Assert.Equal(4, client.List().Count, "List without pipelining");
                client.Quit();
            }
        }

        // ---- errors ------------------------------------------------------------------------

        [Test]
        public static void PopExceptionsMapping()
        {
            using (PopServer server = PopServer.Start())
            {
                using (PopClient client = Connect(server))
                {
                    PopAuthenticationException bad = Assert.Throws<PopAuthenticationException>(
                        () => client.Login("alice", "wrong", PopAuth.Pass), "a wrong password");
                    Assert.Equal(InetErrorCode.AuthFailed, bad.ErrorCode, "AuthFailed");
                    Assert.True(client.LastReply.Line.StartsWith("-ERR [AUTH]", StringComparison.Ordinal), "LastReply " + client.LastReply);
                    Assert.True(!bad.Message.Contains("wrong"), "the password is not in the message: " + bad.Message);
                    PopMailboxInUseException busy = Assert.Throws<PopMailboxInUseException>(
                        () => client.Login("busy", "x", PopAuth.Pass), "[IN-USE]");
                    Assert.Equal(InetErrorCode.MailboxInUse, busy.ErrorCode, "MailboxInUse");
                    Assert.True(client.LastReply.Line.Contains("[IN-USE]"), "LastReply " + client.LastReply);
                    Assert.Equal(InetErrorCode.LoginDelay,
                                 Assert.Throws<PopLoginDelayException>(() => client.Login("later", "x", PopAuth.Pass), "[LOGIN-DELAY]").ErrorCode,
                                 "LoginDelay");
                    PopServerException temporary = Assert.Throws<PopServerException>(() => client.Login("temp", "x", PopAuth.Pass), "[SYS/TEMP]");
                    Assert.True(temporary.IsTemporary && temporary.ErrorCode == InetErrorCode.ServerTemporary, "ServerTemporary");
                    Assert.ThrowsInet(InetErrorCode.InvalidParameter, () => client.Login("alice", "pass\rword", PopAuth.Pass),
                                      "a password holding CR");
                    Assert.ThrowsInet(InetErrorCode.InvalidParameter, () => client.Login("", "x"), "an empty user name");
                    Assert.Throws<ArgumentException>(() => client.Login("alice", "nul\0inside"), "a password holding NUL");
                    // After all that, the right password still logs in on the same session.
                    client.Login("alice", PopServer.Password, PopAuth.Pass);
                    Assert.Equal(4, client.Stat().Count, "logged in after the failures");
                    Assert.ThrowsInet(InetErrorCode.InvalidParameter, () => client.Retrieve(99), "Retrieve(99)");
                    Assert.ThrowsInet(InetErrorCode.InvalidParameter, () => client.Retrieve(0), "Retrieve(0)");
                    client.Quit();
                }
                Assert.True(!server.Received.Any(l => l.Contains("pass\rword")), "the refused password was never sent");

                // No APOP timestamp and no SASL on a plain session: nothing keeps the password secret.
                server.Greeting = "+OK no timestamp here";
                using (PopClient client = Connect(server))
                {
                    PopException e = Assert.Throws<PopException>(() => client.Login("alice", PopServer.Password), "Login(Default)");
                    Assert.Equal(InetErrorCode.AuthUnavailable, e.ErrorCode, "AuthUnavailable");
                    Assert.Equal(typeof(PopException), e.GetType(), "AuthUnavailable is a plain PopException");
                    Assert.ThrowsInet(InetErrorCode.AuthUnavailable, () => client.Login("alice", PopServer.Password, PopAuth.Apop),
                                      "APOP without a timestamp");
                    client.Login("alice", PopServer.Password, PopAuth.Pass);
                    client.Quit();
                }

                // STLS required but not offered: the connect fails, nothing goes in plaintext.
                int before = server.Received.Length;
                PopTlsRequiredException tls = Assert.Throws<PopTlsRequiredException>(
                    () => PopClient.Connect("127.0.0.1", server.Port, 10, PopOptions.SecureExplicit).Dispose(), "SecureExplicit");
                Assert.Equal(InetErrorCode.TlsRequired, tls.ErrorCode, "TlsRequired");
                Assert.True(server.Received.Skip(before).All(l => l == "CAPA"), "only CAPA was sent: " +
                            string.Join("|", server.Received.Skip(before)));
                // Credentials on a plain session are refused.
                Assert.ThrowsInet(InetErrorCode.InvalidParameter,
                                  () => PopClient.Connect("127.0.0.1", server.Port, 10, PopOptions.None, new InetCredentials()).Dispose(),
                                  "credentials without TLS");
                server.CheckFailures();
            }

            // A greeting of -ERR, and a port nobody listens on.
            using (PopServer refusing = PopServer.Start())
            {
                refusing.Greeting = "-ERR [SYS/TEMP] go away";
                Assert.ThrowsInet(InetErrorCode.ServerError, () => PopClient.Connect("127.0.0.1", refusing.Port, 10).Dispose(),
                                  "a -ERR greeting");
                int port = refusing.Port;
                refusing.Dispose();
                Assert.Throws<InetConnectionException>(() => PopClient.Connect("127.0.0.1", port, 5).Dispose(), "connection refused");
            }
        }

        [Test]
        public static void PopMessageIncomplete()
        {
            string directory = TempDirectory();
            try
            {
                using (PopServer server = PopServer.Start())
                {
                    server.TruncateRetrOf = 4;
                    using (PopClient client = LoginAlice(server))
                    {
                        PopMessageIncompleteException e = Assert.Throws<PopMessageIncompleteException>(() => client.Retrieve(4),
                                                                                                     "a truncated RETR");
                        Assert.Equal(InetErrorCode.MessageIncomplete, e.ErrorCode, "MessageIncomplete");
                        InetException after = Assert.ThrowsInet(InetErrorCode.NotConnected, () => client.Noop(), "NOOP afterwards");
                        Assert.True(after is InetConnectionException, "NotConnected is an InetConnectionException");
                    }
                    using (PopClient client = LoginAlice(server))
                    {
                        string path = Path.Combine(directory, "four.eml");
                        Assert.Throws<PopMessageIncompleteException>(() => client.Store(4, path), "Store of a truncated message");
                        Assert.True(!File.Exists(path), "no file for an incomplete message");
                        Assert.Equal(0, Directory.GetFiles(directory).Length, "no temporary file either");
                    }
                    using (PopClient client = LoginAlice(server))
                    {
                        Stream stream = client.OpenMessage(4);
                        Assert.Throws<PopMessageIncompleteException>(() => stream.CopyTo(Stream.Null), "a truncated stream");
                        stream.Dispose();   // does not throw: the library has dropped the message
                        Assert.ThrowsInet(InetErrorCode.NotConnected, () => client.Noop(), "NOOP after the stream");
                    }
                    using (PopClient client = LoginAlice(server))
                    {
                        string seen = Path.Combine(directory, "seen.txt");
                        InetException e = Assert.Throws<PopMessageIncompleteException>(() => client.StoreNew(seen, directory),
                                                                                      "StoreNew meets the truncated message");
                        Assert.Equal(3, (int)e.Data["Stored"], "the three before it were stored");
                        Assert.Equal(3, File.ReadAllLines(seen).Length, "and recorded as seen");
                    }
                    server.CheckFailures();
                }
            }
            finally
            {
                Directory.Delete(directory, true);
            }
        }

        // ---- callbacks ---------------------------------------------------------------------

        [Test]
        public static void PopTraceNeverShowsThePassword()
        {
            string directory = TempDirectory();
            try
            {
                using (PopServer server = PopServer.Start())
                {
                    foreach (PopAuth auth in new[] { PopAuth.Pass, PopAuth.Apop })
                    {
                        List<string> trace = new List<string>();
                        int testThread = Thread.CurrentThread.ManagedThreadId;
                        int wrongThread = 0;
                        string traceFile = Path.Combine(directory, auth + ".trace");
                        using (PopClient client = Connect(server))
                        {
                            client.SetTrace((direction, line) =>
                            {
                                if (Thread.CurrentThread.ManagedThreadId != testThread)
                                {
                                    wrongThread++;
                                }
                                trace.Add((direction == PopTraceDirection.Command ? "C: " : "S: ") + line);
                            });
                            client.Config("TraceFile", traceFile);
                            client.Login("alice", PopServer.Password, auth);
                            client.Stat();
                            client.Retrieve(1);
                            client.SetTrace(null);
                            client.Noop();
                            client.Config("TraceFile", "");
                            client.Quit();
                        }
                        string expectedLogin = auth == PopAuth.Pass ? "C: PASS <redacted>" : "C: APOP alice <redacted>";
                        Assert.True(trace.Contains(expectedLogin), auth + " traced as " + expectedLogin + ": " + string.Join(" | ", trace));
                        Assert.True(trace.Contains("C: STAT") && trace.Contains("C: RETR 1"), "commands traced: " + string.Join(" | ", trace));
                        Assert.True(trace.Contains("S: +OK maildrop locked and ready"), "replies traced");
                        Assert.True(!trace.Contains("C: NOOP"), "nothing traced after SetTrace(null)");
                        Assert.True(!trace.Any(l => l.Contains("Hello alice")), "message bodies are not traced");
                        Assert.Equal(0, wrongThread, "trace callbacks on another thread");
                        string file = File.ReadAllText(traceFile, Encoding.UTF8);
                        Assert.True(file.Contains(expectedLogin) && file.Contains("C: NOOP") && !file.Contains("C: QUIT"),
                                    "the trace file: " + file);
                        foreach (string text in trace.Concat(new[] { file }))
                        {
                            Assert.True(!text.Contains("s3cret") && !text.Contains(PopServer.ApopDigest(PopServer.Password)),
                                        auth + ": a trace shows the password: " + text);
                        }
                    }
                    // ... although the server did receive it.
                    Assert.True(server.Received.Contains("PASS " + PopServer.Password), "the password went to the server");
                    Assert.True(server.Received.Contains("APOP alice " + PopServer.ApopDigest(PopServer.Password)), "the APOP digest too");
                    server.CheckFailures();
                }
            }
            finally
            {
                Directory.Delete(directory, true);
            }
        }

        [Test]
        public static void PopTraceExceptionAndReentrancy()
        {
            using (PopServer server = PopServer.Start())
            using (PopClient client = LoginAlice(server))
            {
                List<InetErrorCode> codes = new List<InetErrorCode>();
                client.SetTrace((direction, line) =>
                {
                    try
                    {
                        client.Noop();
                    }
                    catch (InetException e)
                    {
                        codes.Add(e.ErrorCode);
                    }
                });
                client.Noop();
                Assert.True(codes.Count == 2 && codes.All(c => c == InetErrorCode.ReentrantCall), "codes: " + string.Join(",", codes));
                client.SetTrace((direction, line) => { throw new InvalidOperationException("trace boom"); });
                Assert.Equal("trace boom", Assert.Throws<InvalidOperationException>(() => client.Noop(), "NOOP").Message, "rethrown");
                client.SetTrace(null);
                client.Noop();   // the NOOP above completed; the session is in step
                client.Quit();
            }
        }

        [Test]
        public static void PopProgressAndCancelFromCallbacks()
        {
            using (PopServer server = PopServer.Start())
            {
                long size = Content(4).Length;
                using (PopClient client = LoginAlice(server))
                {
                    List<long[]> calls = new List<long[]>();
                    client.SetProgress((message, done, expected) =>
                    {
                        calls.Add(new[] { message, done, expected });
                        return true;
                    });
                    AssertBytes(Content(4), client.Retrieve(4), "Retrieve with progress");
                    Assert.True(calls.Count >= 2, "progress calls: " + calls.Count);
                    Assert.True(calls.All(c => c[0] == 4 && c[2] == size), "message and expected: " +
                                string.Join(" ", calls.Select(c => string.Join("/", c))));
                    Assert.True(calls.Zip(calls.Skip(1), (a, b) => a[1] <= b[1]).All(x => x), "done never decreases");
                    Assert.Equal(size, calls[calls.Count - 1][1], "done reaches the size");

                    client.SetProgress(null);
                    calls.Clear();
                    client.Retrieve(1);
                    Assert.Equal(0, calls.Count, "no progress after SetProgress(null)");

                    // Cancel from the progress callback: the session is over.
                    client.SetProgress((message, done, expected) => done < 100000);
                    Assert.Throws<InetCanceledException>(() => client.Retrieve(4), "cancelled by progress");
                    Assert.ThrowsInet(InetErrorCode.NotConnected, () => client.Noop(), "NOOP after the cancel");
                }
                using (PopClient client = LoginAlice(server))
                {
                    client.SetProgress((message, done, expected) => { throw new InvalidOperationException("progress boom"); });
                    Assert.Equal("progress boom", Assert.Throws<InvalidOperationException>(() => client.Retrieve(4), "progress throws").Message,
                                 "the callback's exception");
                }
                using (PopClient client = LoginAlice(server))
                {
                    int pieces = 0;
                    Assert.Throws<InetCanceledException>(() => client.Retrieve(4, piece => ++pieces < 2), "the data callback stops");
                    Assert.Equal(2, pieces, "two pieces, then stop");
                }
                using (PopClient client = LoginAlice(server))
                {
                    Assert.Throws<IOException>(() => client.Retrieve(4, piece => { throw new IOException("disk full"); }),
                                               "the data callback throws");
                }
                server.CheckFailures();
            }
        }

        [Test]
        public static void PopCallbacksSurviveGarbageCollection()
        {
            using (PopServer server = PopServer.Start())
            using (PopClient client = LoginAlice(server))
            {
                List<string> trace = new List<string>();
                List<long> progress = new List<long>();
                RegisterCallbacks(client, trace, progress);
                for (int i = 0; i < 3; i++)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                }
                client.Retrieve(4);
                Assert.True(trace.Contains("RETR 4"), "traced after collections");
                Assert.True(progress.Count > 0, "progress after collections");
                client.Quit();
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void RegisterCallbacks(PopClient client, List<string> trace, List<long> progress)
        {
            client.SetTrace((direction, line) => trace.Add(line));
            client.SetProgress((message, done, expected) => { progress.Add(done); return true; });
        }

        // ---- threads and handles -------------------------------------------------------------

        [Test]
        public static void PopCancelFromAnotherThread()
        {
            using (PopServer server = PopServer.Start())
            {
                server.StallRetrOf = 2;
                using (PopClient client = LoginAlice(server))
                {
                    Thread canceller = Helpers.StartThread(() =>
                    {
                        Helpers.WaitFor(() => server.Received.Contains("RETR 2"), 10000);
                        Thread.Sleep(200);
                        client.Cancel();
                    }, "canceller");
                    Stopwatch watch = Stopwatch.StartNew();
                    Assert.Throws<InetCanceledException>(() => client.Retrieve(2), "a stalled RETR");
                    Assert.True(watch.ElapsedMilliseconds < 8000, "cancelled in " + watch.ElapsedMilliseconds + " ms");
                    Assert.True(canceller.Join(5000), "canceller finished");
                    Assert.ThrowsInet(InetErrorCode.NotConnected, () => client.Noop(), "the session is over");
                }
                server.CheckFailures();
            }
        }

        [Test]
        public static void PopThreadOwnership()
        {
            using (PopServer server = PopServer.Start())
            {
                using (PopClient client = LoginAlice(server))
                {
                    Exception e = Helpers.RunOnOtherThread(() => client.Noop());
                    Assert.True(e is InetWrongThreadException, "NOOP from another thread: " + e);
                    uint owner = InetLibrary.CurrentThreadId;
                    e = Helpers.RunOnOtherThread(() =>
                    {
                        Assert.Equal(owner, client.AttachThread(0), "previous owner");
                        client.Noop();
                        client.AttachThread(owner);
                    });
                    Assert.True(e == null, "work on the other thread: " + e);
                    client.Noop();
                    client.Quit();
                }
                using (PopClient client = LoginAlice(server, PopOptions.FreeThread))
                {
                    Exception e = Helpers.RunOnOtherThread(() => Assert.Equal(4, client.Stat().Count, "STAT from another thread"));
                    Assert.True(e == null, "a FreeThread session on another thread: " + e);
                    client.Quit();
                }
                server.CheckFailures();
            }
        }

        [Test]
        public static void PopFinalizerReleasesTheSession()
        {
            using (PopServer server = PopServer.Start())
            {
                IntPtr raw = IntPtr.Zero;
                Exception caught = Helpers.RunOnOtherThread(() => raw = MakeAbandonedSession(server.Port));
                Assert.True(caught == null, "creating the session failed: " + caught);
                Assert.Equal(0u, NativeMethods.PopCancel(raw), "the handle lives before collection");
                bool released = false;
                for (int i = 0; i < 20 && !released; i++)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    released = NativeMethods.PopCancel(raw) == (uint)InetErrorCode.InvalidHandle;
                }
                Assert.True(released, "the finalizer did not release the session");
                Assert.True(server.WaitForSessionsEnded(1), "the server saw the connection close");
                Assert.True(server.Received.Contains("DELE 1"), "the deletion was sent");
                // Released on the finalizer thread: no QUIT, so the server dropped the deletion.
                Assert.Equal(0, server.Quits, "QUITs");
                Assert.Equal(4, server.Mailbox.Length, "the mailbox keeps message 1");
                Assert.Equal((uint)InetErrorCode.InvalidHandle, NativeMethods.PopDisconnect(raw), "PopDisconnect again");
                server.CheckFailures();
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static IntPtr MakeAbandonedSession(int port)
        {
            PopClient client = PopClient.Connect("127.0.0.1", port, 10);
            client.Login("alice", PopServer.Password, PopAuth.Pass);
            client.Delete(1);
            client.SetTrace((direction, line) => { });
            client.SetProgress((message, done, expected) => true);
            return client.SafeHandle.DangerousGetHandle();
        }

        [Test]
        public static void PopDisposeTwiceAndUseAfterDispose()
        {
            using (PopServer server = PopServer.Start())
            {
                PopClient client = LoginAlice(server);
                IntPtr raw = client.SafeHandle.DangerousGetHandle();
                client.Dispose();
                client.Dispose();
                Assert.True(client.SafeHandle.IsClosed, "closed");
                Assert.Throws<ObjectDisposedException>(() => client.Noop(), "NOOP after Dispose");
                Assert.Equal((uint)InetErrorCode.InvalidHandle, NativeMethods.PopNoop(raw), "the raw handle is gone");
                Assert.True(server.WaitForSessionsEnded(1), "session ended");
                Assert.Equal(1, server.Quits, "Dispose sent QUIT");
            }
        }

        // ---- Dovecot -------------------------------------------------------------------------------

        // A real server: tests/pop/dovecot.sh starts a private Dovecot (users
        // alice/alice-pass ...). Skipped when the script or Dovecot is missing.
        [Test]
        public static void PopDovecotStlsSession()
        {
            string repo = Environment.GetEnvironmentVariable("INETKIT_REPO");
            string script = repo == null ? null : Path.Combine(repo, "tests", "pop", "dovecot.sh");
            if (script == null || !File.Exists(script))
            {
                throw new SkipException("tests/pop/dovecot.sh is not in the repository");
            }
            if (!File.Exists("/usr/sbin/dovecot") && !OnPath("dovecot"))
            {
                throw new SkipException("dovecot is not installed");
            }
            if (!File.Exists("/usr/lib/dovecot/pop3"))
            {
                throw new SkipException("dovecot's pop3 service is not installed (dovecot-pop3d)");
            }
            // Dovecot's socket paths limit the directory to 60 characters.
            string directory = Path.Combine("/tmp", "ikdn-" + Guid.NewGuid().ToString("N").Substring(0, 10));
            try
            {
                Run(script, "start", directory);
                Run(script, "fill", directory, "alice", "small");
                Dictionary<string, int> ports = File.ReadAllLines(Path.Combine(directory, "ports"))
                    .Select(l => l.Split('=')).ToDictionary(p => p[0], p => int.Parse(p[1]));
                string[][] manifest = File.ReadAllLines(Path.Combine(directory, "alice.manifest"))
                    .Select(l => l.Split(' ')).ToArray();
                InetCredentials trust = new InetCredentials { CaFile = Path.Combine(directory, "pki", "ca.pem") };
                string firstUid;
                List<string> trace = new List<string>();
                using (PopClient client = PopClient.Connect("localhost", ports["plain"], 20, PopOptions.SecureExplicit, trust))
                {
                    client.SetTrace((direction, line) => trace.Add(line));
                    Assert.True(client.IsSecure, "STLS made the session secure: " + client.SecurityInfo);
                    Assert.True(client.SecurityInfo.Protocol >= InetProtocol.Tls12, "protocol " + client.SecurityInfo);
                    Assert.True(client.HasCapability("SASL") && !client.HasCapability("STLS"), "capabilities asked again after TLS: " +
                                string.Join("|", client.Capabilities));
                    client.Login("alice", "alice-pass");
                    Assert.True(trace.Any(l => l.StartsWith("AUTH SCRAM-SHA-256", StringComparison.Ordinal)),
                                "Default picked SCRAM-SHA-256: " + string.Join(" | ", trace));
                    Assert.True(!trace.Any(l => l.Contains("alice-pass")), "the password is not traced");
                    IReadOnlyList<PopMessageInfo> list = client.List();
                    Assert.Equal(manifest.Length, list.Count, "List count against the manifest");
                    using (SHA256 sha = SHA256.Create())
                    {
                        foreach (string[] entry in manifest)
                        {
                            int number = int.Parse(entry[0]);
                            byte[] message = client.Retrieve(number);
                            Assert.Equal(long.Parse(entry[1]), (long)message.Length, "size of " + entry[3]);
                            Assert.Equal(entry[2], string.Concat(sha.ComputeHash(message).Select(b => b.ToString("x2"))),
                                         "SHA-256 of " + entry[3]);
                            // LIST is the server's count, which may differ a little from
                            // what RETR delivers (Dovecot's for a file without a final
                            // line end leaves out the CR LF it adds in RETR).
                            Assert.True(Math.Abs(long.Parse(entry[1]) - list[number - 1].Size) <= 2,
                                        "listed size of " + entry[3] + ": " + list[number - 1].Size + ", served " + entry[1]);
                        }
                    }
                    firstUid = list[0].Uid;
                    Assert.True(firstUid.Length > 0, "Dovecot gives unique ids");
                    client.Delete(1);
                    client.Quit();
                    Assert.True(client.LastReply.IsOk, "QUIT answered " + client.LastReply);
                }
                // Implicit TLS on the other port: message 1 is gone.
                using (PopClient client = PopClient.Connect("localhost", ports["tls"], 20, PopOptions.SecureImplicit, trust))
                {
                    Assert.True(client.IsSecure, "implicit TLS");
                    client.Login("alice", "alice-pass", PopAuth.Plain);
                    Assert.Equal(manifest.Length - 1, client.Stat().Count, "one message fewer after DELE and QUIT");
                    Assert.Equal(null, client.Find(firstUid), "the deleted message's id");
                    client.Quit();
                }
                using (PopClient client = PopClient.Connect("localhost", ports["plain"], 20, PopOptions.SecureExplicit, trust))
                {
                    Assert.Throws<PopAuthenticationException>(() => client.Login("alice", "wrong-pass"), "a wrong password at Dovecot");
                }
            }
            finally
            {
                try
                {
                    Run(script, "stop", directory);
                }
                finally
                {
                    if (Directory.Exists(directory))
                    {
                        Directory.Delete(directory, true);
                    }
                }
            }
        }

        private static bool OnPath(string tool)
        {
            return (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':')
                .Any(dir => dir.Length > 0 && File.Exists(Path.Combine(dir, tool)));
        }

        private static void Run(string script, params string[] args)
        {
            ProcessStartInfo start = new ProcessStartInfo("bash", "\"" + script + "\" " + string.Join(" ", args.Select(a => "\"" + a + "\"")));
            start.UseShellExecute = false;
            start.RedirectStandardOutput = true;
            start.RedirectStandardError = true;
            using (Process process = Process.Start(start))
            {
                System.Threading.Tasks.Task<string> stdout = process.StandardOutput.ReadToEndAsync();
                System.Threading.Tasks.Task<string> stderr = process.StandardError.ReadToEndAsync();
                Assert.True(process.WaitForExit(50000), "dovecot.sh " + args[0] + " did not finish");
                process.WaitForExit();
                Assert.True(process.ExitCode == 0, "dovecot.sh " + string.Join(" ", args) + " failed (" + process.ExitCode + "): " +
                            stdout.Result + stderr.Result);
            }
        }
    }
}
