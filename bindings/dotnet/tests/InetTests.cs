// InetTests.cs - the .NET binding through the real library, loopback only.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;

namespace Inetkit.Tests
{
    public static class InetTests
    {
        // ---- library ------------------------------------------------------------

        [Test]
        public static void Version()
        {
            Assert.Equal(InetLibrary.BindingVersionNumber, InetLibrary.VersionNumber, "InetGetVersion");
            Assert.Equal(new System.Version(1, 0, 0), InetLibrary.Version, "InetLibrary.Version");
        }

        [Test]
        public static void ErrorString()
        {
            Assert.Equal("The operation timed out", InetLibrary.ErrorString(InetErrorCode.TimedOut), "TimedOut text");
            Assert.Equal("The operation completed successfully", InetLibrary.ErrorString(InetErrorCode.None), "None text");
            Assert.Equal("The connection was refused", InetLibrary.ErrorString(InetErrorCode.ConnectionRefused),
                         "ConnectionRefused text");
            Assert.Throws<ArgumentOutOfRangeException>(() => InetLibrary.ErrorString((InetErrorCode)9999u), "unknown code");
        }

        [Test]
        public static void ErrorEnumMatchesHeader()
        {
            string path = Environment.GetEnvironmentVariable("INETKIT_ERRORS_H");
            Assert.True(!string.IsNullOrEmpty(path) && File.Exists(path),
                        "INETKIT_ERRORS_H must name include/inetkit/errors.h (run-tests.sh sets it)");
            MatchCollection rows = Regex.Matches(File.ReadAllText(path),
                                                 "X\\(([A-Z0-9_]+),\\s*([0-9]+),\\s*\"([^\"]*)\"\\)");
            Assert.True(rows.Count > 50, "too few rows parsed from " + path + ": " + rows.Count);
            HashSet<string> expectedNames = new HashSet<string>();
            foreach (Match row in rows)
            {
                string name = string.Concat(row.Groups[1].Value.Split('_')
                    .Select(w => w.Substring(0, 1) + w.Substring(1).ToLowerInvariant()));
                uint number = uint.Parse(row.Groups[2].Value);
                expectedNames.Add(name);
                Assert.True(Enum.IsDefined(typeof(InetErrorCode), name), "InetErrorCode lacks " + name);
                InetErrorCode code = (InetErrorCode)Enum.Parse(typeof(InetErrorCode), name);
                Assert.Equal(number, (uint)code, "InetErrorCode." + name);
                Assert.Equal(row.Groups[3].Value, InetLibrary.ErrorString(code), "InetGetErrorString(" + name + ")");
            }
            foreach (string name in Enum.GetNames(typeof(InetErrorCode)))
            {
                Assert.True(expectedNames.Contains(name), "InetErrorCode." + name + " is not in errors.h");
            }
        }

        [Test]
        public static void ErrorEnumMatchesLibraryCatalogue()
        {
            // Every code the library knows is in the enum, and the other way round.
            int known = 0;
            for (uint code = 0; code < 20000; code++)
            {
                bool inLibrary = InetLibrary.TryGetErrorString(code) != null;
                bool inEnum = Enum.IsDefined(typeof(InetErrorCode), code);
                Assert.Equal(inEnum, inLibrary, "code " + code + " known to the library");
                if (inLibrary)
                {
                    known++;
                }
            }
            Assert.Equal(Enum.GetValues(typeof(InetErrorCode)).Length, known, "number of codes");
        }

        [Test]
        public static void InitializeUninitializePair()
        {
            InetLibrary.Initialize();
            InetLibrary.Uninitialize();
            // The binding's own reference keeps the family alive.
            using (InetListener listener = InetListener.Listen("127.0.0.1", 0))
            {
                Assert.True(listener.LocalEndPoint.Port > 0, "listener works after Initialize/Uninitialize");
            }
        }

        // ---- connections -------------------------------------------------------

        [Test]
        public static void EchoIPv4()
        {
            EchoOver("127.0.0.1", IPAddress.Loopback);
        }

        [Test]
        public static void EchoIPv6()
        {
            EchoOver("::1", IPAddress.IPv6Loopback);
        }

        private static void EchoOver(string address, IPAddress expected)
        {
            ServerThread server = ServerThread.Start(address, ServerThread.Echo);
            using (InetConnection client = InetConnection.Connect(address, server.Port, 10))
            {
                client.WriteLine("hello");
                Assert.Equal("hello", client.ReadLine(), "echoed line");
                string unicode = "h\u00e9llo \u20ac \U0001F600";
                client.WriteLine(unicode);
                Assert.Equal(unicode, client.ReadLine(), "echoed UTF-8 line");
                byte[] raw = Helpers.Ascii("raw bytes\r\n");
                client.Write(new byte[] { 0, 0 }.Concat(raw).ToArray(), 2, raw.Length);
                Assert.Equal("raw bytes", client.ReadLine(), "echo of Write with an offset");

                IPEndPoint remote = client.RemoteEndPoint;
                IPEndPoint local = client.LocalEndPoint;
                Assert.Equal(expected, remote.Address, "RemoteEndPoint address");
                Assert.Equal(server.Port, remote.Port, "RemoteEndPoint port");
                Assert.Equal(expected, local.Address, "LocalEndPoint address");
                Assert.True(local.Port > 0 && local.Port != server.Port, "LocalEndPoint port " + local.Port);
                client.WriteLine("quit");
            }
            server.Join();
        }

        [Test]
        public static void ServerSideEndPoints()
        {
            int peerPort = 0;
            IPEndPoint listenerEndPoint = null;
            ServerThread server = ServerThread.Start(listener =>
            {
                listenerEndPoint = listener.LocalEndPoint;
                using (InetConnection connection = listener.Accept(10))
                {
                    peerPort = connection.RemoteEndPoint.Port;
                    connection.WriteLine(connection.LocalEndPoint.Port.ToString());
                }
            });
            using (InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 10))
            {
                Assert.Equal(server.Port.ToString(), client.ReadLine(), "server's local port");
                server.Join();
                Assert.Equal(client.LocalEndPoint.Port, peerPort, "server's view of the client port");
                Assert.Equal(new IPEndPoint(IPAddress.Loopback, server.Port), listenerEndPoint, "listener endpoint");
            }
        }

        [Test]
        public static void EndOfStream()
        {
            ServerThread server = ServerThread.Start(listener =>
            {
                using (InetConnection connection = listener.Accept(10))
                {
                    connection.Write(Helpers.Ascii("abc"));
                    connection.Shutdown(InetShutdown.Send);
                    // Wait for the client to close its side.
                    Assert.Equal(0, connection.Read(new byte[16]), "server sees the client's end of stream");
                }
            });
            using (InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 10))
            {
                Assert.Equal("abc", Encoding.ASCII.GetString(Helpers.ReadExactly(client, 3)), "data before the end");
                Assert.Equal(0, client.Read(new byte[16]), "Read at end of stream");
                Assert.Equal(0, client.Read(new byte[16]), "Read again at end of stream");
                client.Shutdown(InetShutdown.Send);
                server.Join();
            }
        }

        [Test]
        public static void ReadLineTooLong()
        {
            string longLine = new string('x', 100);
            ServerThread server = ServerThread.Start(listener =>
            {
                using (InetConnection connection = listener.Accept(10))
                {
                    connection.WriteLine(longLine);
                    connection.ReadLine();
                }
            });
            using (InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 10))
            {
                InetException e = Assert.ThrowsInet(InetErrorCode.LineTooLong, () => client.ReadLine(10), "ReadLine(10)");
                Assert.True(e.NativeMessage.Length > 0, "the exception carries the library's message");
                Assert.True(client.Available >= 102, "the line stays unread (Available " + client.Available + ")");
                Assert.Equal(longLine, client.ReadLine(100), "ReadLine(100) reads the whole line");
                client.WriteLine("done");
            }
            server.Join();
        }

        [Test]
        public static void ReadLineEndingsAndLimit()
        {
            ServerThread server = ServerThread.Start(listener =>
            {
                using (InetConnection connection = listener.Accept(10))
                {
                    connection.Write(Helpers.Ascii("lf only\ncr lf\r\nnul\0inside\n0123456789\n0123456789\n"));
                    connection.ReadLine();
                }
            });
            using (InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 10))
            {
                Assert.Equal("lf only", client.ReadLine(), "line ending in LF");
                Assert.Equal("cr lf", client.ReadLine(), "line ending in CR LF");
                Assert.Equal("nul\0inside", client.ReadLine(), "line holding a NUL byte");
                // A line of exactly maxLength bytes fits (cchLine - 1 bytes); one byte less does not.
                Assert.ThrowsInet(InetErrorCode.LineTooLong, () => client.ReadLine(9), "10-byte line, ReadLine(9)");
                Assert.Equal("0123456789", client.ReadLine(10), "10-byte line, ReadLine(10)");
                uint length;
                byte[] exact = new byte[11];
                Assert.Equal(0u, NativeMethods.InetReadLine(client.SafeHandle.DangerousGetHandle(), exact, 11, out length),
                             "raw InetReadLine, cchLine 11");
                Assert.Equal(10u, length, "raw length");
                Assert.Equal((byte)0, exact[10], "NUL terminator");
                client.WriteLine("done");
            }
            server.Join();
        }

        [Test]
        public static void WriteAfterPeerClosed()
        {
            ServerThread server = ServerThread.Start(listener =>
            {
                using (InetConnection connection = listener.Accept(10))
                {
                }
            });
            using (InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 10))
            {
                server.Join();
                byte[] chunk = new byte[65536];
                InetException e = Assert.Throws<InetException>(() =>
                {
                    for (int i = 0; i < 1000; i++)
                    {
                        client.Write(chunk);
                        Thread.Sleep(1);
                    }
                }, "writing to a closed peer");
                Assert.True(e is InetConnectionException,
                            "an InetConnectionException, got " + e.GetType().Name + " " + e.ErrorCode + ": " + e.Message);
            }
        }

        [Test]
        public static void ReadLineAfterPeerClosedMidLine()
        {
            ServerThread server = ServerThread.Start(listener =>
            {
                using (InetConnection connection = listener.Accept(10))
                {
                    connection.Write(Helpers.Ascii("partial"));
                }
            });
            using (InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 10))
            {
                server.Join();
                InetException e = Assert.ThrowsInet(InetErrorCode.ConnectionClosed, () => client.ReadLine(), "ReadLine");
                Assert.True(e is InetConnectionException, "ConnectionClosed is an InetConnectionException");
                Assert.Equal("partial", Encoding.ASCII.GetString(Helpers.ReadExactly(client, 7)), "partial line kept");
                Assert.Equal(0, client.Read(new byte[8]), "then end of stream");
            }
        }

        [Test]
        public static void PeekAndAvailable()
        {
            ServerThread server = ServerThread.Start(listener =>
            {
                using (InetConnection connection = listener.Accept(10))
                {
                    connection.Write(Helpers.Ascii("hello"));
                    connection.ReadLine();
                }
            });
            using (InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 10))
            {
                byte[] peeked = new byte[16];
                int n = 0;
                Assert.True(Helpers.WaitFor(() => (n = client.Peek(peeked)) == 5, 5000), "Peek sees 5 bytes (saw " + n + ")");
                Assert.Equal("hello", Encoding.ASCII.GetString(peeked, 0, 5), "peeked bytes");
                Assert.Equal(5, client.Available, "Available after Peek");
                byte[] two = new byte[4];
                Assert.Equal(2, client.Peek(two, 1, 2), "Peek with offset");
                Assert.Equal("he", Encoding.ASCII.GetString(two, 1, 2), "Peek with offset bytes");
                Assert.Equal("hello", Encoding.ASCII.GetString(Helpers.ReadExactly(client, 5)), "Read after Peek");
                Assert.Equal(0, client.Available, "Available after Read");
                Assert.Equal(0, client.Peek(peeked), "Peek does not block when nothing is there");
                client.WriteLine("done");
            }
            server.Join();
        }

        [Test]
        public static void LargeTransfer()
        {
            const int size = 1 << 20;
            ServerThread server = ServerThread.Start(listener =>
            {
                using (InetConnection connection = listener.Accept(10))
                {
                    byte[] data = Helpers.ReadExactly(connection, size);
                    for (int i = 0; i < size; i++)
                    {
                        if (data[i] != (byte)(i * 7))
                        {
                            throw new InvalidDataException("byte " + i + " differs");
                        }
                    }
                    connection.WriteLine("ok");
                }
            });
            using (InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 10))
            {
                byte[] data = new byte[size];
                for (int i = 0; i < size; i++)
                {
                    data[i] = (byte)(i * 7);
                }
                client.Write(data);
                Assert.Equal("ok", client.ReadLine(), "server verified 1 MiB");
            }
            server.Join();
        }

        [Test]
        public static void WriteLineWithLineBreakIsRefused()
        {
            string first = null;
            ServerThread server = ServerThread.Start(listener =>
            {
                using (InetConnection connection = listener.Accept(10))
                {
                    first = connection.ReadLine();
                }
            });
            using (InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 10))
            {
                Assert.ThrowsInet(InetErrorCode.InvalidParameter, () => client.WriteLine("a\nb"), "WriteLine with LF");
                Assert.ThrowsInet(InetErrorCode.InvalidParameter, () => client.WriteLine("a\rb"), "WriteLine with CR");
                Assert.Throws<ArgumentException>(() => client.WriteLine("a\0b"), "WriteLine with NUL");
                client.WriteLine("ok");
            }
            server.Join();
            Assert.Equal("ok", first, "nothing of the refused lines was sent");
        }

        [Test]
        public static void ConnectRefused()
        {
            int port;
            using (InetListener listener = InetListener.Listen("127.0.0.1", 0))
            {
                port = listener.LocalEndPoint.Port;
            }
            InetException e = Assert.ThrowsInet(InetErrorCode.ConnectionRefused,
                                                () => InetConnection.Connect("127.0.0.1", port, 5), "Connect");
            Assert.True(e is InetConnectionException, "refused is an InetConnectionException, got " + e.GetType().Name);
            Assert.Equal(10061u, (uint)e.ErrorCode, "Winsock number");
            Assert.True(e.NativeMessage.Length > 0, "the library gave a message");
            Assert.Equal(e.NativeMessage, e.Message, "Message is the library's message");
        }

        [Test]
        public static void ConnectArgumentChecks()
        {
            Assert.Throws<ArgumentNullException>(() => InetConnection.Connect(null, 80), "null host");
            Assert.Throws<ArgumentOutOfRangeException>(() => InetConnection.Connect("127.0.0.1", 70000), "port 70000");
            Assert.Throws<ArgumentException>(() => InetConnection.Connect("127.0.0.1\0evil", 80), "NUL in host");
            Assert.ThrowsInet(InetErrorCode.InvalidParameter, () => InetConnection.Connect("127.0.0.1", 0, 1), "port 0");
        }

        [Test]
        public static void AcceptTimeout()
        {
            using (InetListener listener = InetListener.Listen("127.0.0.1", 0))
            {
                Stopwatch watch = Stopwatch.StartNew();
                InetException e = Assert.ThrowsInet(InetErrorCode.TimedOut, () => listener.Accept(1), "Accept(1)");
                Assert.True(e is InetTimeoutException, "an InetTimeoutException");
                Assert.True(watch.ElapsedMilliseconds >= 800 && watch.ElapsedMilliseconds < 10000,
                            "Accept(1) took " + watch.ElapsedMilliseconds + " ms");
            }
        }

        [Test]
        public static void InactivityTimeout()
        {
            ManualResetEvent done = new ManualResetEvent(false);
            ServerThread server = ServerThread.Start(listener =>
            {
                using (InetConnection connection = listener.Accept(10))
                {
                    done.WaitOne(20000);
                }
            });
            using (InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 10))
            {
                Assert.Equal(10000, client.InactivityTimeout, "inactivity timeout defaults to the connect timeout");
                Assert.Equal(Timeout.Infinite, client.CallTimeout, "call timeout defaults to none");
                client.InactivityTimeout = 300;
                Assert.Equal(300, client.InactivityTimeout, "InactivityTimeout round trip");
                Stopwatch watch = Stopwatch.StartNew();
                InetException e = Assert.ThrowsInet(InetErrorCode.TimedOut, () => client.Read(new byte[8]), "Read");
                Assert.True(e is InetTimeoutException, "an InetTimeoutException");
                Assert.True(watch.ElapsedMilliseconds >= 250 && watch.ElapsedMilliseconds < 5000,
                            "Read timed out after " + watch.ElapsedMilliseconds + " ms");
                client.CallTimeout = 1234;
                Assert.Equal(1234, client.CallTimeout, "CallTimeout round trip");
                client.CallTimeout = Timeout.Infinite;
                Assert.Equal(Timeout.Infinite, client.CallTimeout, "CallTimeout infinite");
                done.Set();
            }
            server.Join();
        }

        // ---- threads -------------------------------------------------------------

        [Test]
        public static void WrongThreadNamesThreadIds()
        {
            ServerThread server = ServerThread.Start(ServerThread.Echo);
            using (InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 10))
            {
                uint owner = InetLibrary.CurrentThreadId;
                Assert.Equal(owner, client.AttachThread(0), "AttachThread(0) on the owner returns the owner");
                uint other = 0;
                Exception caught = Helpers.RunOnOtherThread(() =>
                {
                    other = InetLibrary.CurrentThreadId;
                    int ignored = client.Available;
                });
                Assert.True(caught is InetWrongThreadException,
                            "expected InetWrongThreadException, got " + (caught == null ? "nothing" : caught.ToString()));
                InetException e = (InetException)caught;
                Assert.Equal(InetErrorCode.WrongThread, e.ErrorCode, "ErrorCode");
                Assert.True(owner != other, "two different thread ids");
                Assert.True(Regex.IsMatch(e.Message, "\\b" + owner + "\\b"), "message names the owner " + owner + ": " + e.Message);
                Assert.True(Regex.IsMatch(e.Message, "\\b" + other + "\\b"), "message names the caller " + other + ": " + e.Message);
                // Still fine on the owner.
                client.WriteLine("still mine");
                Assert.Equal("still mine", client.ReadLine(), "owner keeps using the connection");
                client.WriteLine("quit");
            }
            server.Join();
        }

        [Test]
        public static void AttachThreadHandsOver()
        {
            ServerThread server = ServerThread.Start(ServerThread.Echo);
            using (InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 10))
            {
                uint me = InetLibrary.CurrentThreadId;
                uint workerId = 0;
                ManualResetEvent idKnown = new ManualResetEvent(false);
                ManualResetEvent attached = new ManualResetEvent(false);
                string echoed = null;
                Exception workerError = null;
                Thread worker = Helpers.StartThread(() =>
                {
                    try
                    {
                        workerId = InetLibrary.CurrentThreadId;
                        idKnown.Set();
                        attached.WaitOne(10000);
                        client.WriteLine("from worker");
                        echoed = client.ReadLine();
                    }
                    catch (Exception e)
                    {
                        workerError = e;
                    }
                }, "worker");
                Assert.True(idKnown.WaitOne(10000), "worker started");
                Assert.Equal(me, client.AttachThread(workerId), "AttachThread returns the previous owner");
                Assert.ThrowsInet(InetErrorCode.WrongThread, () => { int n = client.Available; }, "old owner after hand-over");
                attached.Set();
                Assert.True(worker.Join(10000), "worker finished");
                Assert.True(workerError == null, "worker failed: " + workerError);
                Assert.Equal("from worker", echoed, "worker used the connection");
                Assert.Equal(workerId, client.AttachThread(0), "taking it back returns the worker id");
                Assert.ThrowsInet(InetErrorCode.InvalidParameter, () => client.AttachThread(0x7ffffff0u), "not a thread of this process");
                client.WriteLine("quit");
            }
            server.Join();
        }

        [Test]
        public static void FreeThreadFromSeveralThreads()
        {
            const int threads = 4;
            const int linesPerThread = 50;
            List<string> received = new List<string>();
            ServerThread server = ServerThread.Start(listener =>
            {
                using (InetConnection connection = listener.Accept(10))
                {
                    for (int i = 0; i < threads * linesPerThread; i++)
                    {
                        received.Add(connection.ReadLine());
                    }
                    connection.WriteLine("all");
                }
            });
            using (InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 10, InetOptions.FreeThread))
            {
                Exception[] errors = new Exception[threads];
                Thread[] workers = new Thread[threads];
                for (int t = 0; t < threads; t++)
                {
                    int id = t;
                    workers[t] = Helpers.StartThread(() =>
                    {
                        try
                        {
                            for (int j = 0; j < linesPerThread; j++)
                            {
                                client.WriteLine("thread " + id + " line " + j + " " + new string((char)('a' + id), 200));
                                int available = client.Available;
                                client.InactivityTimeout = 10000;
                            }
                        }
                        catch (Exception e)
                        {
                            errors[id] = e;
                        }
                    }, "free " + t);
                }
                foreach (Thread worker in workers)
                {
                    Assert.True(worker.Join(20000), "writer finished");
                }
                for (int t = 0; t < threads; t++)
                {
                    Assert.True(errors[t] == null, "thread " + t + " failed: " + errors[t]);
                }
                Assert.Equal("all", client.ReadLine(), "server got every line");
            }
            server.Join();
            HashSet<string> expected = new HashSet<string>();
            for (int t = 0; t < threads; t++)
            {
                for (int j = 0; j < linesPerThread; j++)
                {
                    expected.Add("thread " + t + " line " + j + " " + new string((char)('a' + t), 200));
                }
            }
            Assert.Equal(expected.Count, received.Count, "line count");
            foreach (string line in received)
            {
                Assert.True(expected.Remove(line), "unexpected or interleaved line: " + line);
            }
        }

        [Test]
        public static void CancelFromAnotherThread()
        {
            ManualResetEvent canceled = new ManualResetEvent(false);
            ServerThread server = ServerThread.Start(listener =>
            {
                using (InetConnection connection = listener.Accept(10))
                {
                    canceled.WaitOne(20000);
                    connection.WriteLine("after cancel");
                    connection.ReadLine();
                }
            });
            using (InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 20))
            {
                bool readReturned = false;
                Thread canceller = Helpers.StartThread(() =>
                {
                    Thread.Sleep(300);
                    // InetCancel has no effect when no call is in progress: repeat
                    // until the read has returned, so the test cannot race.
                    while (!Volatile.Read(ref readReturned))
                    {
                        client.Cancel();
                        Thread.Sleep(50);
                    }
                }, "canceller");
                Stopwatch watch = Stopwatch.StartNew();
                InetException e;
                try
                {
                    e = Assert.ThrowsInet(InetErrorCode.Canceled, () => client.Read(new byte[8]), "blocked Read");
                }
                finally
                {
                    Volatile.Write(ref readReturned, true);
                }
                Assert.True(e is InetCanceledException, "an InetCanceledException");
                Assert.True(watch.ElapsedMilliseconds < 10000, "canceled after " + watch.ElapsedMilliseconds + " ms");
                Assert.True(canceller.Join(5000), "canceller finished");
                canceled.Set();
                Assert.Equal("after cancel", client.ReadLine(), "the connection stays usable after Cancel");
                client.WriteLine("bye");
            }
            server.Join();
        }

        [Test]
        public static void DisposeFromAnotherThread()
        {
            ManualResetEvent clientGone = new ManualResetEvent(false);
            ServerThread server = ServerThread.Start(listener =>
            {
                using (InetConnection connection = listener.Accept(10))
                {
                    clientGone.WaitOne(20000);
                }
            });
            InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 20);
            IntPtr raw = client.SafeHandle.DangerousGetHandle();
            Thread disposer = Helpers.StartThread(() =>
            {
                Thread.Sleep(500);
                client.Dispose();
            }, "disposer");
            Stopwatch watch = Stopwatch.StartNew();
            InetException e = Assert.ThrowsInet(InetErrorCode.Canceled, () => client.Read(new byte[8]), "blocked Read");
            Assert.True(e is InetCanceledException, "an InetCanceledException");
            Assert.True(watch.ElapsedMilliseconds < 10000, "returned after " + watch.ElapsedMilliseconds + " ms");
            Assert.True(disposer.Join(5000), "disposer finished");
            Assert.True(client.SafeHandle.IsClosed, "SafeHandle closed");
            Assert.Throws<ObjectDisposedException>(() => client.Read(new byte[8]), "Read after Dispose");
            client.Dispose();
            uint available;
            Assert.Equal((uint)InetErrorCode.InvalidHandle, NativeMethods.InetGetBytesAvailable(raw, out available),
                         "raw handle after Dispose");
            clientGone.Set();
            server.Join();
        }

        [Test]
        public static void CancelBlockedAcceptFromAnotherThread()
        {
            using (InetListener listener = InetListener.Listen("127.0.0.1", 0))
            {
                bool returned = false;
                Thread canceller = Helpers.StartThread(() =>
                {
                    Thread.Sleep(300);
                    while (!Volatile.Read(ref returned))
                    {
                        listener.Cancel();
                        Thread.Sleep(50);
                    }
                }, "canceller");
                try
                {
                    Assert.ThrowsInet(InetErrorCode.Canceled, () => listener.Accept(20), "blocked Accept");
                }
                finally
                {
                    Volatile.Write(ref returned, true);
                }
                Assert.True(canceller.Join(5000), "canceller finished");
            }
        }

        [Test]
        public static void DisposeListenerDuringAccept()
        {
            InetListener listener = InetListener.Listen("127.0.0.1", 0);
            IntPtr raw = listener.SafeHandle.DangerousGetHandle();
            Thread disposer = Helpers.StartThread(() =>
            {
                Thread.Sleep(300);
                listener.Dispose();
            }, "disposer");
            Assert.ThrowsInet(InetErrorCode.Canceled, () => listener.Accept(20), "blocked Accept");
            Assert.True(disposer.Join(5000), "disposer finished");
            Assert.Equal((uint)InetErrorCode.InvalidHandle, NativeMethods.InetCancel(raw), "raw handle after Dispose");
        }

        [Test]
        public static void AttachThreadWhileBusy()
        {
            ManualResetEvent release = new ManualResetEvent(false);
            ServerThread server = ServerThread.Start(listener =>
            {
                using (InetConnection connection = listener.Accept(10))
                {
                    release.WaitOne(20000);
                    connection.WriteLine("go");
                    connection.ReadLine();
                }
            });
            using (InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 20))
            {
                string line = null;
                Exception readerError = null;
                uint owner = InetLibrary.CurrentThreadId;
                ManualResetEvent attached = new ManualResetEvent(false);
                Thread reader = Helpers.StartThread(() =>
                {
                    try
                    {
                        client.AttachThread(0);
                        attached.Set();
                        line = client.ReadLine();
                    }
                    catch (Exception e)
                    {
                        readerError = e;
                    }
                }, "reader");
                Assert.True(attached.WaitOne(10000), "reader took the connection");
                Thread.Sleep(300);   // let the reader block in ReadLine
                Assert.ThrowsInet(InetErrorCode.Busy, () => client.AttachThread(0), "AttachThread during a call");
                release.Set();
                Assert.True(reader.Join(10000), "reader finished");
                Assert.True(readerError == null, "reader failed: " + readerError);
                Assert.Equal("go", line, "reader's line");
                Assert.True(client.AttachThread(owner) != 0, "AttachThread(owner id) once idle");
                client.WriteLine("bye");
            }
            server.Join();
        }

        [Test]
        public static void GarbageCollectionDuringBlockedRead()
        {
            // The runtime suspends threads for a collection with signals; a
            // blocked read must ride out the EINTRs.
            ServerThread server = ServerThread.Start(listener =>
            {
                using (InetConnection connection = listener.Accept(10))
                {
                    Thread.Sleep(1500);
                    connection.WriteLine("late");
                    connection.ReadLine();
                }
            });
            using (InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 10))
            {
                bool stop = false;
                Thread collector = Helpers.StartThread(() =>
                {
                    while (!Volatile.Read(ref stop))
                    {
                        GC.Collect();
                        Thread.Sleep(5);
                    }
                }, "collector");
                try
                {
                    Assert.Equal("late", client.ReadLine(), "ReadLine across collections");
                }
                finally
                {
                    Volatile.Write(ref stop, true);
                }
                collector.Join(5000);
                client.WriteLine("bye");
            }
            server.Join();
        }

        // ---- handles ---------------------------------------------------------------

        [Test]
        public static void FinalizerReleasesHandles()
        {
            // Create both handles on a thread that then ends, so that no stack
            // slot (Mono scans stacks conservatively) keeps them reachable.
            IntPtr rawListener = IntPtr.Zero;
            IntPtr rawConnection = IntPtr.Zero;
            Exception caught = Helpers.RunOnOtherThread(() => MakeGarbage(out rawListener, out rawConnection));
            Assert.True(caught == null, "creating the handles failed: " + caught);
            Assert.True(rawListener != IntPtr.Zero && rawConnection != IntPtr.Zero, "raw handles recorded");
            // InetCancel works from any thread: 0 while the handle lives.
            Assert.Equal(0u, NativeMethods.InetCancel(rawListener), "listener handle alive before collection");
            Assert.Equal(0u, NativeMethods.InetCancel(rawConnection), "connection handle alive before collection");
            bool released = false;
            for (int i = 0; i < 20 && !released; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                released = NativeMethods.InetCancel(rawConnection) == (uint)InetErrorCode.InvalidHandle
                           && NativeMethods.InetCancel(rawListener) == (uint)InetErrorCode.InvalidHandle;
            }
            Assert.True(released, "the finalizer did not release the handles");
            uint available;
            Assert.Equal((uint)InetErrorCode.InvalidHandle, NativeMethods.InetGetBytesAvailable(rawConnection, out available),
                         "raw call on the finalized connection");
            Assert.Equal((uint)InetErrorCode.InvalidHandle, NativeMethods.InetGetLastError(), "last error after the raw call");
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void MakeGarbage(out IntPtr rawListener, out IntPtr rawConnection)
        {
            InetListener listener = InetListener.Listen("127.0.0.1", 0);
            // The kernel completes the handshake from the backlog; no Accept needed.
            InetConnection connection = InetConnection.Connect("127.0.0.1", listener.LocalEndPoint.Port, 10);
            rawListener = listener.SafeHandle.DangerousGetHandle();
            rawConnection = connection.SafeHandle.DangerousGetHandle();
        }

        [Test]
        public static void InvalidHandles()
        {
            uint available;
            IntPtr forged = new IntPtr(0x12345678);
            Assert.Equal((uint)InetErrorCode.InvalidHandle, NativeMethods.InetGetBytesAvailable(forged, out available),
                         "forged handle");
            Assert.Equal((uint)InetErrorCode.InvalidHandle, NativeMethods.InetGetLastError(), "last error");
            Assert.True(InetException.LastErrorMessage().Length > 0, "a message for the invalid handle");
            InetException e = InetException.FromLastError(NativeMethods.InetGetBytesAvailable(forged, out available));
            Assert.True(e is InetInvalidHandleException, "an InetInvalidHandleException");

            // A listener handle is not a connection handle.
            using (InetListener listener = InetListener.Listen("127.0.0.1", 0))
            {
                Assert.Equal((uint)InetErrorCode.InvalidHandle,
                             NativeMethods.InetGetBytesAvailable(listener.SafeHandle.DangerousGetHandle(), out available),
                             "listener passed as a connection");
            }

            // Disconnect twice: the second one is refused.
            InetListener second = InetListener.Listen("127.0.0.1", 0);
            IntPtr raw = second.SafeHandle.DangerousGetHandle();
            second.Dispose();
            second.Dispose();
            Assert.Equal((uint)InetErrorCode.InvalidHandle, NativeMethods.InetDisconnect(raw), "second disconnect");
            Assert.Throws<ObjectDisposedException>(() => { IPEndPoint p = second.LocalEndPoint; }, "use after Dispose");
        }

        [Test]
        public static void LastErrorClearedBySuccess()
        {
            uint available;
            NativeMethods.InetGetBytesAvailable(new IntPtr(0x1234), out available);
            Assert.Equal((uint)InetErrorCode.InvalidHandle, NativeMethods.InetGetLastError(), "set by the failure");
            using (InetListener listener = InetListener.Listen("127.0.0.1", 0))
            {
                Assert.Equal(0u, NativeMethods.InetGetLastError(), "cleared by the success");
                Assert.Equal("", InetException.LastErrorMessage(), "empty message after a success");
            }
        }

        // ---- trace ---------------------------------------------------------------

        [Test]
        public static void TraceCallback()
        {
            ServerThread server = ServerThread.Start(ServerThread.Echo);
            using (InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 10))
            {
                int testThread = Thread.CurrentThread.ManagedThreadId;
                MemoryStream sent = new MemoryStream();
                MemoryStream received = new MemoryStream();
                int wrongThread = 0;
                client.SetTrace((direction, data) =>
                {
                    if (Thread.CurrentThread.ManagedThreadId != testThread)
                    {
                        wrongThread++;
                    }
                    (direction == InetTraceDirection.Send ? sent : received).Write(data, 0, data.Length);
                });
                client.WriteLine("ping");
                Assert.Equal("ping", client.ReadLine(), "echo");
                Assert.Equal("ping\r\n", Encoding.ASCII.GetString(sent.ToArray()), "traced send");
                Assert.Equal("ping\r\n", Encoding.ASCII.GetString(received.ToArray()), "traced receive");
                Assert.Equal(0, wrongThread, "callbacks on another thread");

                client.SetTrace(null);
                client.WriteLine("pong");
                Assert.Equal("pong", client.ReadLine(), "echo without trace");
                Assert.Equal(6L, sent.Length, "nothing traced after SetTrace(null)");
                client.WriteLine("quit");
            }
            server.Join();
        }

        [Test]
        public static void TraceDelegateSurvivesGarbageCollection()
        {
            ServerThread server = ServerThread.Start(ServerThread.Echo);
            using (InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 10))
            {
                MemoryStream sent = new MemoryStream();
                RegisterTrace(client, sent);
                for (int i = 0; i < 3; i++)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                }
                client.WriteLine("ping");
                Assert.Equal("ping", client.ReadLine(), "echo");
                Assert.Equal("ping\r\n", Encoding.ASCII.GetString(sent.ToArray()), "traced after collections");
                client.WriteLine("quit");
            }
            server.Join();
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void RegisterTrace(InetConnection client, MemoryStream sent)
        {
            client.SetTrace((direction, data) =>
            {
                if (direction == InetTraceDirection.Send)
                {
                    sent.Write(data, 0, data.Length);
                }
            });
        }

        [Test]
        public static void ReentrantCallFromTraceGivesReentrantCall()
        {
            ServerThread server = ServerThread.Start(ServerThread.Echo);
            using (InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 10))
            {
                List<InetErrorCode> codes = new List<InetErrorCode>();
                List<string> unexpected = new List<string>();
                client.SetTrace((direction, data) =>
                {
                    try
                    {
                        int n = client.Available;
                        unexpected.Add("Available returned " + n);
                    }
                    catch (InetException e)
                    {
                        codes.Add(e.ErrorCode);
                    }
                    catch (Exception e)
                    {
                        unexpected.Add(e.ToString());
                    }
                });
                client.WriteLine("ping");
                Assert.Equal("ping", client.ReadLine(), "the outer calls succeed");
                Assert.True(unexpected.Count == 0, "unexpected: " + string.Join("; ", unexpected));
                Assert.True(codes.Count >= 2, "callback ran for send and receive (" + codes.Count + ")");
                Assert.True(codes.All(c => c == InetErrorCode.ReentrantCall), "codes: " + string.Join(",", codes));
                client.SetTrace(null);
                client.WriteLine("quit");
            }
            server.Join();
        }

        [Test]
        public static void TraceCallbackExceptionIsRethrown()
        {
            ServerThread server = ServerThread.Start(ServerThread.Echo);
            using (InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 10))
            {
                client.SetTrace((direction, data) => { throw new InvalidOperationException("boom"); });
                InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => client.WriteLine("ping"),
                                                                                        "WriteLine");
                Assert.Equal("boom", e.Message, "the callback's exception");
                client.SetTrace(null);
                Assert.Equal("ping", client.ReadLine(), "the write itself completed");
                client.WriteLine("quit");
            }
            server.Join();
        }

        [Test]
        public static void DisposeFromTraceCallback()
        {
            ServerThread server = ServerThread.Start(ServerThread.Echo);
            InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 10);
            client.SetTrace((direction, data) =>
            {
                if (direction == InetTraceDirection.Receive)
                {
                    client.Dispose();
                }
            });
            client.WriteLine("ping");
            Exception caught = null;
            try
            {
                client.ReadLine();
            }
            catch (Exception e)
            {
                caught = e;
            }
            // The read that ran the callback may complete or report the cancel;
            // either way the connection is closed afterwards.
            Assert.True(caught == null || (caught is InetException && ((InetException)caught).ErrorCode == InetErrorCode.Canceled),
                        "ReadLine: " + caught);
            Assert.True(client.SafeHandle.IsClosed, "closed from inside the callback");
            Assert.Throws<ObjectDisposedException>(() => client.WriteLine("x"), "use after Dispose");
            server.Join();
        }
    }
}
