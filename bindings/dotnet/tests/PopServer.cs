// PopServer.cs - a small scripted POP3 server for the PopClient tests, written
// on System.Net.Sockets so that it shares no code with the library under test.
//
// One TcpListener on 127.0.0.1:0 and a thread per session. It speaks enough
// of RFC 1939/2449: a greeting with an APOP timestamp, CAPA (USER, TOP, UIDL,
// PIPELINING, RESP-CODES, AUTH-RESP-CODE, IMPLEMENTATION), USER/PASS, APOP,
// STAT, LIST, UIDL, RETR and TOP with dot-stuffing, DELE, RSET, NOOP, QUIT
// (deletions are committed only on QUIT). Pipelined commands are answered in
// order. Special users fail PASS with response codes: "busy" [IN-USE],
// "later" [LOGIN-DELAY], "temp" [SYS/TEMP]; a wrong password gets [AUTH].
// Every command line received is logged (Received) so that the tests can
// tell what really went over the wire.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading;

namespace Inetkit.Tests
{
    public sealed class PopServer : IDisposable
    {
        public const string Timestamp = "<1896.697170952@inetkit.test>";
        public const string Password = "s3cret-p\u00e4ss word";

        public sealed class Message
        {
            public Message(string uid, byte[] content)
            {
                Uid = uid;
                Content = content;
            }

            public string Uid { get; private set; }
            public byte[] Content { get; private set; }
        }

        private readonly object gate = new object();
        private readonly List<Message> mailbox;
        private readonly List<string> received = new List<string>();
        private readonly List<Exception> failures = new List<Exception>();
        private readonly List<TcpClient> clients = new List<TcpClient>();
        private readonly List<Thread> threads = new List<Thread>();
        private readonly TcpListener listener;
        private readonly Thread acceptThread;
        private volatile bool stopping;
        private int sessionsStarted;
        private int sessionsEnded;
        private int quits;

        private PopServer(IEnumerable<Message> messages)
        {
            mailbox = messages.ToList();
            Pipelining = true;
            Greeting = "+OK inetkit scripted POP3 server ready " + Timestamp;
            listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            Port = ((IPEndPoint)listener.LocalEndpoint).Port;
            acceptThread = new Thread(AcceptLoop);
            acceptThread.IsBackground = true;
            acceptThread.Name = "pop-server";
        }

        /// <summary>A server with <see cref="StandardMailbox"/>, or the messages given.</summary>
        public static PopServer Start(IEnumerable<Message> messages = null)
        {
            PopServer server = new PopServer(messages ?? StandardMailbox());
            server.acceptThread.Start();
            return server;
        }

        public int Port { get; private set; }

        /// <summary>The first line sent; without a &lt;...@...&gt; there is no APOP.</summary>
        public string Greeting { get; set; }

        /// <summary>Whether CAPA lists PIPELINING.</summary>
        public bool Pipelining { get; set; }

        /// <summary>RETR of this message number sends half the message, then closes.</summary>
        public int TruncateRetrOf { get; set; }

        /// <summary>RETR of this message number sends the reply line and some data,
        /// then waits (until the client goes away).</summary>
        public int StallRetrOf { get; set; }

        /// <summary>The command lines received so far, in order, from every session.</summary>
        public string[] Received
        {
            get { lock (gate) { return received.ToArray(); } }
        }

        /// <summary>The committed mailbox (deletions are applied at QUIT).</summary>
        public Message[] Mailbox
        {
            get { lock (gate) { return mailbox.ToArray(); } }
        }

        public int Quits
        {
            get { lock (gate) { return quits; } }
        }

        public int SessionsEnded
        {
            get { lock (gate) { return sessionsEnded; } }
        }

        public int SessionsStarted
        {
            get { lock (gate) { return sessionsStarted; } }
        }

        /// <summary>Waits until <paramref name="count"/> sessions have ended.</summary>
        public bool WaitForSessionsEnded(int count, int milliseconds = 10000)
        {
            return Helpers.WaitFor(() => SessionsEnded >= count, milliseconds);
        }

        /// <summary>Fails the test if a session thread hit an unexpected error.</summary>
        public void CheckFailures()
        {
            lock (gate)
            {
                if (failures.Count > 0)
                {
                    throw new AssertionException("POP3 server: " + string.Join("; ", failures.Select(e => e.GetType().Name + ": " + e.Message)));
                }
            }
        }

        public void Dispose()
        {
            stopping = true;
            listener.Stop();
            TcpClient[] open;
            Thread[] running;
            lock (gate)
            {
                open = clients.ToArray();
                running = threads.ToArray();
            }
            foreach (TcpClient client in open)
            {
                client.Close();
            }
            acceptThread.Join(5000);
            foreach (Thread thread in running)
            {
                thread.Join(5000);
            }
        }

        // ---- the standard mailbox --------------------------------------------------

        public static byte[] Bytes(string text)
        {
            // Latin-1, so that "\u00e9" stands for the single byte 0xE9.
            return Encoding.GetEncoding("ISO-8859-1").GetBytes(text);
        }

        /// <summary>Four messages: a simple one, one full of dots at line starts,
        /// one with 8-bit bytes, a long line and a unique id that is not a safe
        /// file name, and a big one (about 300 KB, several 64 KiB pieces).</summary>
        public static List<Message> StandardMailbox()
        {
            List<Message> messages = new List<Message>();
            messages.Add(new Message("uid-one", Bytes(
                "From: Sender <sender@example.org>\r\nTo: alice@example.org\r\nSubject: one\r\n\r\n" +
                "Hello alice.\r\nsecond line\r\nthird line\r\n")));
            messages.Add(new Message("uid-dots", Bytes(
                "Subject: dots\r\n\r\n.\r\n..\r\n.x\r\n...three\r\n. space\r\nmiddle . dot\r\n.\r\n")));
            messages.Add(new Message("uid/unsafe", Bytes(
                "Subject: eight bit\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n" +
                "Gr\u00fc\u00dfe \u00e9t\u00e9 \u00ff\u00fe\u0080\u0081\r\n" + new string('L', 3000) + "\r\n" +
                "." + new string('D', 1500) + "\r\nlone\rcr and lone\nlf\r\n")));
            StringBuilder big = new StringBuilder("Subject: big\r\n\r\n");
            Random random = new Random(42);
            int line = 0;
            while (big.Length < 300000)
            {
                int length = random.Next(0, 200);
                if (line % 7 == 0)
                {
                    big.Append('.');
                }
                for (int i = 0; i < length; i++)
                {
                    big.Append((char)random.Next(0x20, 0xFF));
                }
                big.Append("\r\n");
                line++;
            }
            messages.Add(new Message("uid-big", Bytes(big.ToString())));
            return messages;
        }

        /// <summary>The header block of a message with its blank line.</summary>
        public static byte[] HeaderPart(byte[] content)
        {
            return content.Take(HeaderEnd(content)).ToArray();
        }

        /// <summary>The headers and the first <paramref name="lines"/> body lines (CR LF ends).</summary>
        public static byte[] TopPart(byte[] content, int lines)
        {
            int end = HeaderEnd(content);
            for (int n = 0; n < lines && end < content.Length; n++)
            {
                int next = end;
                while (next + 1 < content.Length && !(content[next] == '\r' && content[next + 1] == '\n'))
                {
                    next++;
                }
                end = Math.Min(content.Length, next + 2);
            }
            return content.Take(end).ToArray();
        }

        private static int HeaderEnd(byte[] content)
        {
            for (int i = 0; i + 3 < content.Length; i++)
            {
                if (content[i] == '\r' && content[i + 1] == '\n' && content[i + 2] == '\r' && content[i + 3] == '\n')
                {
                    return i + 4;
                }
            }
            return content.Length;
        }

        /// <summary>The data lines of a multi-line reply as sent: dot-stuffed, then ".".</summary>
        public static byte[] Stuff(byte[] content)
        {
            MemoryStream output = new MemoryStream(content.Length + 64);
            bool lineStart = true;
            foreach (byte b in content)
            {
                if (lineStart && b == (byte)'.')
                {
                    output.WriteByte((byte)'.');
                }
                output.WriteByte(b);
                lineStart = b == (byte)'\n';
            }
            if (!lineStart)
            {
                output.Write(new byte[] { 13, 10 }, 0, 2);
            }
            output.Write(Bytes(".\r\n"), 0, 3);
            return output.ToArray();
        }

        public static string ApopDigest(string password)
        {
            using (MD5 md5 = MD5.Create())
            {
                byte[] hash = md5.ComputeHash(Encoding.UTF8.GetBytes(Timestamp + password));
                return string.Concat(hash.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
            }
        }

        // ---- sessions --------------------------------------------------------------------

        private void AcceptLoop()
        {
            while (!stopping)
            {
                TcpClient client;
                try
                {
                    client = listener.AcceptTcpClient();
                }
                catch (SocketException)
                {
                    return;   // Stop
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                Thread thread = new Thread(() => Session(client));
                thread.IsBackground = true;
                thread.Name = "pop-session";
                lock (gate)
                {
                    clients.Add(client);
                    threads.Add(thread);
                    sessionsStarted++;
                }
                thread.Start();
            }
        }

        private sealed class State
        {
            public string User;
            public bool Transaction;
            public List<Message> Messages;   // the maildrop as of the login
            public HashSet<int> Deleted = new HashSet<int>();
        }

        private void Session(TcpClient client)
        {
            try
            {
                client.ReceiveTimeout = 30000;
                client.SendTimeout = 30000;
                NetworkStream network = client.GetStream();
                Stream input = new BufferedStream(network);
                Send(network, Greeting);
                State state = new State();
                string line;
                while ((line = ReadLine(input)) != null)
                {
                    lock (gate)
                    {
                        received.Add(line);
                    }
                    if (!Answer(network, state, line))
                    {
                        break;
                    }
                }
            }
            catch (IOException)
            {
                // The client went away (or Dispose closed the socket).
            }
            catch (ObjectDisposedException)
            {
            }
            catch (Exception e)
            {
                lock (gate)
                {
                    failures.Add(e);
                }
            }
            finally
            {
                client.Close();
                lock (gate)
                {
                    sessionsEnded++;
                }
            }
        }

        // Answers one command; false ends the session.
        private bool Answer(NetworkStream network, State state, string line)
        {
            string[] words = line.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
            string verb = words.Length > 0 ? words[0].ToUpperInvariant() : string.Empty;
            string[] args = words.Skip(1).ToArray();
            switch (verb)
            {
                case "CAPA":
                    List<string> capabilities = new List<string> { "USER", "TOP", "UIDL" };
                    if (Pipelining)
                    {
                        capabilities.Add("PIPELINING");
                    }
                    capabilities.AddRange(new[] { "RESP-CODES", "AUTH-RESP-CODE", "EXPIRE NEVER", "IMPLEMENTATION inetkit-scripted" });
                    SendMulti(network, "+OK Capability list follows", Encoding.ASCII.GetBytes(string.Join("\r\n", capabilities) + "\r\n"));
                    return true;
                case "QUIT":
                    if (state.Transaction)
                    {
                        lock (gate)
                        {
                            foreach (int number in state.Deleted)
                            {
                                mailbox.Remove(state.Messages[number - 1]);
                            }
                            quits++;
                        }
                    }
                    else
                    {
                        lock (gate)
                        {
                            quits++;
                        }
                    }
                    Send(network, "+OK bye");
                    return false;
                case "NOOP":
                    Send(network, "+OK");
                    return true;
            }
            if (!state.Transaction)
            {
                switch (verb)
                {
                    case "USER":
                        state.User = args.Length == 1 ? args[0] : null;
                        Send(network, state.User == null ? "-ERR USER takes one argument" : "+OK send PASS");
                        return true;
                    case "PASS":
                        // The password may hold spaces: everything after "PASS ".
                        return Authorize(network, state, state.User, line.Length > 5 ? line.Substring(5) : string.Empty, false);
                    case "APOP":
                        return Authorize(network, state, args.Length == 2 ? args[0] : null, args.Length == 2 ? args[1] : null, true);
                    default:
                        Send(network, "-ERR unknown command or not logged in");
                        return true;
                }
            }
            int message = 0;
            bool haveNumber = args.Length >= 1 && int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out message);
            bool valid = haveNumber && message >= 1 && message <= state.Messages.Count && !state.Deleted.Contains(message);
            switch (verb)
            {
                case "STAT":
                {
                    List<int> live = Live(state);
                    Send(network, string.Format(CultureInfo.InvariantCulture, "+OK {0} {1}", live.Count,
                                                live.Sum(n => (long)state.Messages[n - 1].Content.Length)));
                    return true;
                }
                case "LIST":
                case "UIDL":
                {
                    Func<int, string> describe = n => n.ToString(CultureInfo.InvariantCulture) + " " +
                        (verb == "LIST" ? state.Messages[n - 1].Content.Length.ToString(CultureInfo.InvariantCulture) : state.Messages[n - 1].Uid);
                    if (args.Length == 0)
                    {
                        SendMulti(network, "+OK", Encoding.ASCII.GetBytes(string.Concat(Live(state).Select(n => describe(n) + "\r\n"))));
                    }
                    else
                    {
                        Send(network, valid ? "+OK " + describe(message) : "-ERR no such message");
                    }
                    return true;
                }
                case "RETR":
                {
                    if (!valid)
                    {
                        Send(network, state.Deleted.Contains(message) ? "-ERR message " + message + " already deleted" : "-ERR no such message");
                        return true;
                    }
                    byte[] content = state.Messages[message - 1].Content;
                    string status = "+OK " + content.Length.ToString(CultureInfo.InvariantCulture) + " octets";
                    if (message == TruncateRetrOf)
                    {
                        byte[] stuffed = Stuff(content);
                        byte[] head = Encoding.ASCII.GetBytes(status + "\r\n");
                        network.Write(head, 0, head.Length);
                        network.Write(stuffed, 0, stuffed.Length / 2);
                        network.Flush();
                        return false;   // and close
                    }
                    if (message == StallRetrOf)
                    {
                        byte[] head = Encoding.ASCII.GetBytes(status + "\r\nsome data\r\n");
                        network.Write(head, 0, head.Length);
                        network.Flush();
                        // Wait for the client to go away: a read returns 0 then.
                        network.ReadTimeout = 30000;
                        while (network.Read(new byte[256], 0, 256) > 0)
                        {
                        }
                        return false;
                    }
                    SendMulti(network, status, content);
                    return true;
                }
                case "TOP":
                {
                    int lines;
                    if (!valid || args.Length != 2 || !int.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out lines))
                    {
                        Send(network, "-ERR TOP needs a message and a line count");
                        return true;
                    }
                    SendMulti(network, "+OK top of message follows", TopPart(state.Messages[message - 1].Content, lines));
                    return true;
                }
                case "DELE":
                    if (!valid)
                    {
                        Send(network, state.Deleted.Contains(message) ? "-ERR message " + message + " already deleted" : "-ERR no such message");
                        return true;
                    }
                    state.Deleted.Add(message);
                    Send(network, "+OK message " + message + " deleted");
                    return true;
                case "RSET":
                    state.Deleted.Clear();
                    Send(network, "+OK maildrop has " + state.Messages.Count + " messages");
                    return true;
                case "USER":
                case "PASS":
                case "APOP":
                    Send(network, "-ERR already logged in");
                    return true;
                default:
                    Send(network, "-ERR unknown command");
                    return true;
            }
        }

        private static List<int> Live(State state)
        {
            return Enumerable.Range(1, state.Messages.Count).Where(n => !state.Deleted.Contains(n)).ToList();
        }

        private bool Authorize(NetworkStream network, State state, string user, string secret, bool apop)
        {
            if (user == "busy")
            {
                Send(network, "-ERR [IN-USE] maildrop already locked");
                return true;
            }
            if (user == "later")
            {
                Send(network, "-ERR [LOGIN-DELAY] wait a little longer between logins");
                return true;
            }
            if (user == "temp")
            {
                Send(network, "-ERR [SYS/TEMP] the mail store is offline; try later");
                return true;
            }
            bool ok = user == "alice" && secret != null && (apop ? secret == ApopDigest(Password) : secret == Password);
            if (!ok)
            {
                Send(network, "-ERR [AUTH] invalid user name or password");
                return true;
            }
            state.Transaction = true;
            lock (gate)
            {
                state.Messages = mailbox.ToList();
            }
            Send(network, "+OK maildrop locked and ready");
            return true;
        }

        private static void Send(NetworkStream network, string line)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(line + "\r\n");
            network.Write(bytes, 0, bytes.Length);
        }

        private static void SendMulti(NetworkStream network, string status, byte[] content)
        {
            byte[] head = Encoding.UTF8.GetBytes(status + "\r\n");
            byte[] body = Stuff(content);
            byte[] all = new byte[head.Length + body.Length];
            head.CopyTo(all, 0);
            body.CopyTo(all, head.Length);
            network.Write(all, 0, all.Length);
        }

        // A command line (UTF-8, LF or CR LF), or null at the end of the stream.
        private static string ReadLine(Stream input)
        {
            MemoryStream line = new MemoryStream();
            int b;
            while ((b = input.ReadByte()) >= 0)
            {
                if (b == '\n')
                {
                    byte[] bytes = line.ToArray();
                    int length = bytes.Length > 0 && bytes[bytes.Length - 1] == '\r' ? bytes.Length - 1 : bytes.Length;
                    return Encoding.UTF8.GetString(bytes, 0, length);
                }
                line.WriteByte((byte)b);
                if (line.Length > 65536)
                {
                    throw new InvalidDataException("a command line longer than 64 KiB");
                }
            }
            return null;
        }
    }
}
