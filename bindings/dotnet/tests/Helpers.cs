// Helpers.cs - a server on its own thread, and small utilities for the tests.
using System;
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
        private Exception error;

        private ServerThread(string address, Action<InetListener> body)
        {
            this.address = address;
            this.body = body;
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
            ServerThread server = new ServerThread(address, body);
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
                using (InetListener listener = InetListener.Listen(address, 0))
                {
                    Port = listener.LocalEndPoint.Port;
                    ready.Set();
                    body(listener);
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
