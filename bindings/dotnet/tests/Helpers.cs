// Helpers.cs - a server on its own thread, and small utilities for the tests.
using System;
using System.Collections.Generic;
using System.Text;
using System.Threading;

namespace Inetkit.Tests
{
    /// <summary>A listener created and used on a thread of its own: a handle
    /// belongs to the thread that created it, so the server side of a test
    /// lives entirely on this thread.</summary>
    public sealed class ServerThread
    {
        private readonly ManualResetEvent ready = new ManualResetEvent(false);
        private readonly Thread thread;
        private readonly string address;
        private readonly Action<InetListener> body;
        private readonly InetOptions options;
        private InetCredentials credentials;
        private volatile InetListener listener;
        private volatile bool stopping;
        private Exception error;

        private ServerThread(string address, Action<InetListener> body)
            : this(address, InetOptions.None, null, body)
        {
        }

        private ServerThread(string address, InetOptions options, InetCredentials credentials, Action<InetListener> body)
        {
            this.address = address;
            this.body = body;
            this.options = options;
            this.credentials = credentials;
            thread = new Thread(Run);
            thread.IsBackground = true;
            thread.Name = "server";
        }

        public int Port { get; private set; }

        public static ServerThread Start(Action<InetListener> body)
        {
            return Start("127.0.0.1", body);
        }

        public static ServerThread Start(string address, Action<InetListener> body)
        {
            return Start(new ServerThread(address, body));
        }

        /// <summary>A listener made with <paramref name="options"/> and
        /// <paramref name="credentials"/> (InetOptions.Secure for TLS at accept).
        /// The server drops its reference to the credentials once it listens.</summary>
        public static ServerThread Start(string address, InetOptions options, InetCredentials credentials,
                                         Action<InetListener> body)
        {
            return Start(new ServerThread(address, options, credentials, body));
        }

        /// <summary>True once <see cref="Stop"/> has been called: loops in the
        /// server body end.</summary>
        public bool Stopping
        {
            get { return stopping; }
        }

        /// <summary>Ends a server body that loops on Accept (see
        /// <see cref="StartAcceptLoop"/>): sets <see cref="Stopping"/>, cancels the
        /// blocked Accept, and joins like <see cref="Join"/>.</summary>
        public void Stop()
        {
            stopping = true;
            DateTime end = DateTime.UtcNow.AddSeconds(20);
            while (!thread.Join(50) && DateTime.UtcNow < end)
            {
                InetListener current = listener;
                if (current != null)
                {
                    try
                    {
                        current.Cancel();
                    }
                    catch (ObjectDisposedException)
                    {
                    }
                    catch (InetException)
                    {
                    }
                }
            }
            Join();
        }

        /// <summary>A server that accepts clients one after the other until
        /// <see cref="Stop"/>: runs <paramref name="onAccepted"/> (if any) on each
        /// connection, then echoes its lines until "quit" or the end of the
        /// stream. Failed accepts (a TLS client refused in the handshake) and
        /// failures inside a connection go to <paramref name="failures"/>.</summary>
        public static ServerThread StartAcceptLoop(string address, InetOptions options, InetCredentials credentials,
                                                   List<Exception> failures, Action<InetConnection> onAccepted = null)
        {
            ServerThread server = null;
            server = new ServerThread(address, options, credentials,
                                      AcceptLoop(() => server.Stopping, failures, onAccepted));
            return Start(server);
        }

        private static Action<InetListener> AcceptLoop(Func<bool> stopping, List<Exception> failures,
                                                       Action<InetConnection> onAccepted)
        {
            return listener =>
            {
                while (!stopping())
                {
                    InetConnection connection;
                    try
                    {
                        connection = listener.Accept(20);
                    }
                    catch (InetCanceledException)
                    {
                        continue;   // Stop, checked by the loop
                    }
                    catch (InetException e)
                    {
                        lock (failures)
                        {
                            failures.Add(e);
                        }
                        continue;
                    }
                    using (connection)
                    {
                        try
                        {
                            if (onAccepted != null)
                            {
                                onAccepted(connection);
                            }
                            string line;
                            while ((line = Helpers.ReadLineOrNull(connection)) != null && line != "quit")
                            {
                                connection.WriteLine(line);
                            }
                        }
                        catch (Exception e)
                        {
                            lock (failures)
                            {
                                failures.Add(e);
                            }
                        }
                    }
                }
            };
        }

        private static ServerThread Start(ServerThread server)
        {
            server.thread.Start();
            Assert.True(server.ready.WaitOne(10000), "the server thread did not start listening");
            if (server.error != null)
            {
                throw new AssertionException("the server could not listen: " + server.error);
            }
            return server;
        }

        /// <summary>Waits for the server body to end and fails the test if it threw.</summary>
        public void Join()
        {
            Assert.True(thread.Join(20000), "the server thread did not finish");
            if (error != null)
            {
                throw new AssertionException("server: " + error.GetType().Name + ": " + error.Message);
            }
        }

        /// <summary>An echo server: accepts one client and sends every line
        /// back until "quit" or the end of the stream.</summary>
        public static void Echo(InetListener listener)
        {
            using (InetConnection connection = listener.Accept(10))
            {
                string line;
                while ((line = Helpers.ReadLineOrNull(connection)) != null && line != "quit")
                {
                    connection.WriteLine(line);
                }
            }
        }

        private void Run()
        {
            try
            {
                InetCredentials listenCredentials = credentials;
                credentials = null;
                using (InetListener listening = listenCredentials == null && options == InetOptions.None
                           ? InetListener.Listen(address, 0)
                           : InetListener.Listen(address, 0, 0, options, listenCredentials))
                {
                    listenCredentials = null;
                    listener = listening;
                    Port = listening.LocalEndPoint.Port;
                    ready.Set();
                    body(listening);
                    listener = null;
                }
            }
            catch (Exception e)
            {
                error = e;
            }
            finally
            {
                ready.Set();
            }
        }
    }

    public static class Helpers
    {
        /// <summary>ReadLine, with null for a clean end of stream.</summary>
        public static string ReadLineOrNull(InetConnection connection)
        {
            try
            {
                return connection.ReadLine();
            }
            catch (InetException e)
            {
                if (e.ErrorCode == InetErrorCode.ConnectionClosed && connection.Available == 0)
                {
                    return null;
                }
                throw;
            }
        }

        public static Thread StartThread(ThreadStart body, string name)
        {
            Thread thread = new Thread(body);
            thread.IsBackground = true;
            thread.Name = name;
            thread.Start();
            return thread;
        }

        /// <summary>Runs <paramref name="body"/> on a new thread and returns what it threw (or null).</summary>
        public static Exception RunOnOtherThread(Action body)
        {
            Exception caught = null;
            Thread thread = StartThread(() =>
            {
                try
                {
                    body();
                }
                catch (Exception e)
                {
                    caught = e;
                }
            }, "other");
            Assert.True(thread.Join(20000), "the other thread did not finish");
            return caught;
        }

        public static byte[] Ascii(string text)
        {
            return Encoding.ASCII.GetBytes(text);
        }

        /// <summary>Reads exactly <paramref name="count"/> bytes (fails on end of stream).</summary>
        public static byte[] ReadExactly(InetConnection connection, int count)
        {
            byte[] buffer = new byte[count];
            int done = 0;
            while (done < count)
            {
                int n = connection.Read(buffer, done, count - done);
                Assert.True(n > 0, "end of stream after " + done + " of " + count + " bytes");
                done += n;
            }
            return buffer;
        }

        /// <summary>Polls until <paramref name="condition"/> holds or the time is up.</summary>
        public static bool WaitFor(Func<bool> condition, int milliseconds)
        {
            DateTime end = DateTime.UtcNow.AddMilliseconds(milliseconds);
            while (!condition())
            {
                if (DateTime.UtcNow > end)
                {
                    return false;
                }
                Thread.Sleep(10);
            }
            return true;
        }
    }
}
