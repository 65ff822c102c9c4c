// ThreadingTests.cs - the .NET threading contract of issue 7: handles released
// by the finalizer thread whatever their options, sessions used from await
// continuations (FreeThread, or a thread-affine one handed over with
// AttachThread), and callback delegates that outlive every managed reference
// but the handle's.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace Inetkit.Tests
{
    public static class ThreadingTests
    {
        private static PopClient LoginAlice(PopServer server, PopOptions options)
        {
            PopClient client = PopClient.Connect("127.0.0.1", server.Port, 10, options);
            client.Login("alice", PopServer.Password);
            return client;
        }

        // Collects until probe says the native handle is gone (at most 20 rounds).
        private static bool CollectUntil(Func<bool> released)
        {
            for (int i = 0; i < 20; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                if (released())
                {
                    return true;
                }
            }
            return false;
        }

        [Test]
        public static void FreeThreadPopSessionReleasedByFinalizer()
        {
            // A FreeThread session may be used by the finalizer thread, so PopDisconnect
            // there is a legal call on a usable handle: it must still release it.
            using (PopServer server = PopServer.Start())
            {
                IntPtr raw = IntPtr.Zero;
                Exception caught = Helpers.RunOnOtherThread(() => raw = AbandonSession(server.Port, PopOptions.FreeThread));
                Assert.True(caught == null, "creating the session failed: " + caught);
                Assert.Equal(0u, NativeMethods.PopCancel(raw), "the handle lives before collection");
                Assert.True(CollectUntil(() => NativeMethods.PopCancel(raw) == (uint)InetErrorCode.InvalidHandle),
                            "the finalizer did not release the FreeThread session");
                Assert.True(server.WaitForSessionsEnded(1), "the server saw the connection close");
                // pop.h: PopDisconnect sends QUIT when the calling thread may use the
                // handle, and the finalizer thread may use a FreeThread one (a
                // thread-affine session is closed without it: PopTests).
                Assert.Equal(1, server.Quits, "QUITs sent from the finalizer thread");
                uint count;
                ulong octets;
                Assert.Equal((uint)InetErrorCode.InvalidHandle, NativeMethods.PopGetMessageCount(raw, out count, out octets),
                             "a later call on the copied raw handle value");
                Assert.Equal((uint)InetErrorCode.InvalidHandle, NativeMethods.PopDisconnect(raw), "PopDisconnect again");
                server.CheckFailures();
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static IntPtr AbandonSession(int port, PopOptions options)
        {
            PopClient client = PopClient.Connect("127.0.0.1", port, 10, options);
            client.Login("alice", PopServer.Password, PopAuth.Pass);
            client.SetTrace((direction, line) => { });
            return client.SafeHandle.DangerousGetHandle();
        }

        [Test]
        public static void FreeThreadPopSessionAcrossAwait()
        {
            using (PopServer server = PopServer.Start())
            using (PopClient client = LoginAlice(server, PopOptions.FreeThread))
            {
                uint creator = InetLibrary.CurrentThreadId;
                HashSet<uint> used = UseAcrossAwaits(client).GetAwaiter().GetResult();
                Assert.True(used.Any(id => id != creator),
                            "a continuation ran on another thread (threads: " + string.Join(",", used) + ")");
                // And back on the creating thread, as if the await had resumed here.
                Assert.Equal(4, client.Stat().Count, "STAT on the creating thread afterwards");
                client.Quit();
                server.CheckFailures();
            }
        }

        // Every step after an await resumes on a pool thread (no synchronization context).
        private static async Task<HashSet<uint>> UseAcrossAwaits(PopClient client)
        {
            HashSet<uint> threads = new HashSet<uint>();
            await Task.Delay(20).ConfigureAwait(false);
            threads.Add(InetLibrary.CurrentThreadId);
            Assert.Equal(4, client.Stat().Count, "STAT after Task.Delay");
            byte[] first = await Task.Run(() =>
            {
                lock (threads) threads.Add(InetLibrary.CurrentThreadId);
                return client.Retrieve(1);
            }).ConfigureAwait(false);
            Assert.Equal(PopServer.StandardMailbox()[0].Content.Length, first.Length, "RETR 1 from Task.Run");
            await Task.Yield();
            threads.Add(InetLibrary.CurrentThreadId);
            client.Noop();
            // Several pool threads at once: the library serialises the calls on a FreeThread handle.
            long[] sizes = await Task.WhenAll(Enumerable.Range(1, 4).Select(n => Task.Run(() => client.GetSize(n))));
            Assert.Equal(4, sizes.Length, "four concurrent LIST n");
            return threads;
        }

        [Test]
        public static void AffinePopSessionHandedOverInContinuation()
        {
            using (PopServer server = PopServer.Start())
            using (PopClient client = LoginAlice(server, PopOptions.None))
            {
                uint creator = InetLibrary.CurrentThreadId;
                uint continuation = HandOverAndBack(client, creator).GetAwaiter().GetResult();
                Assert.True(continuation != creator, "the continuation ran on another thread");
                // The continuation attached it back to us before finishing.
                client.Noop();
                client.Quit();
                server.CheckFailures();
            }
        }

        private static async Task<uint> HandOverAndBack(PopClient client, uint creator)
        {
            await Task.Delay(20).ConfigureAwait(false);
            uint me = InetLibrary.CurrentThreadId;
            if (me == creator)
            {
                return me;   // the assertion in the caller reports it
            }
            // A thread-affine session refuses the continuation's thread ...
            Assert.Throws<InetWrongThreadException>(() => client.Noop(), "NOOP before the hand-over");
            // ... until it is attached to it (AttachThread works from any thread).
            Assert.Equal(creator, client.AttachThread(), "previous owner");
            Assert.Equal(4, client.Stat().Count, "STAT after the hand-over");
            client.AttachThread(creator);
            Assert.Throws<InetWrongThreadException>(() => client.Noop(), "NOOP after handing it back");
            return me;
        }

        [Test]
        public static void CallbacksKeptAliveOnlyByTheHandle()
        {
            using (PopServer server = PopServer.Start())
            using (PopClient client = LoginAlice(server, PopOptions.None))
            {
                int traced = 0;
                int progressed = 0;
                WeakReference[] delegates = Register(client, () => Interlocked.Increment(ref traced),
                                                     () => Interlocked.Increment(ref progressed));
                for (int i = 0; i < 5; i++)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                }
                Assert.True(delegates.All(d => d.IsAlive), "the handle keeps the registered delegates alive");
                for (int n = 1; n <= 4; n++)
                {
                    client.Retrieve(n);
                    GC.Collect();
                }
                Assert.True(traced >= 8, "trace callback after collections: " + traced + " lines");
                Assert.True(progressed >= 4, "progress callback after collections: " + progressed + " calls");

                // Unregistered, the native side must not call them again. (Whether they
                // are collected then is not checked: Mono scans stacks conservatively.)
                client.SetTrace(null);
                client.SetProgress(null);
                int tracedBefore = traced;
                GC.Collect();
                GC.WaitForPendingFinalizers();
                client.Retrieve(2);
                Assert.Equal(tracedBefore, traced, "no trace after SetTrace(null)");
                client.Quit();
                server.CheckFailures();
            }
        }

        // The lambdas live only as delegates registered on the handle; the caller
        // keeps nothing but weak references to them and to the native thunks
        // whose function pointers the library holds.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static WeakReference[] Register(PopClient client, Action onTrace, Action onProgress)
        {
            Action<PopTraceDirection, string> trace = (direction, line) => onTrace();
            Func<int, long, long, bool> progress = (message, done, expected) => { onProgress(); return true; };
            client.SetTrace(trace);
            client.SetProgress(progress);
            return new[]
            {
                new WeakReference(trace), new WeakReference(progress),
                new WeakReference(client.SafeHandle.TraceProc), new WeakReference(client.SafeHandle.ProgressProc),
            };
        }
    }
}
