// TestRunner.cs - a tiny self-contained test runner (no NUnit).
//
// Every public static method marked [Test] in this assembly runs on a thread
// of its own (the thread that owns the handles the test creates), with a time
// limit. One line per test, then "N passed, M failed" (", K skipped" when a
// test threw SkipException because something it needs is missing); exit code 1
// on failure. Arguments, if any, select tests by name.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Reflection;
using System.Threading;

namespace Inetkit.Tests
{
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class TestAttribute : Attribute
    {
    }

    public sealed class AssertionException : Exception
    {
        public AssertionException(string message) : base(message) { }
    }

    /// <summary>Thrown by a test that cannot run here (a tool or server is not
    /// installed): reported as SKIP, neither passed nor failed.</summary>
    public sealed class SkipException : Exception
    {
        public SkipException(string reason) : base(reason) { }
    }

    public static class Assert
    {
        public static void True(bool condition, string message)
        {
            if (!condition)
            {
                throw new AssertionException(message);
            }
        }

        public static void Equal<T>(T expected, T actual, string what)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
            {
                throw new AssertionException(string.Format("{0}: expected <{1}>, got <{2}>", what, expected, actual));
            }
        }

        public static T Throws<T>(Action action, string what) where T : Exception
        {
            try
            {
                action();
            }
            catch (T expected)
            {
                return expected;
            }
            catch (Exception other)
            {
                throw new AssertionException(string.Format("{0}: expected {1}, got {2}: {3}",
                    what, typeof(T).Name, other.GetType().Name, other.Message));
            }
            throw new AssertionException(string.Format("{0}: expected {1}, nothing was thrown", what, typeof(T).Name));
        }

        /// <summary>Expects an InetException (or subclass) with the given code.</summary>
        public static InetException ThrowsInet(InetErrorCode code, Action action, string what)
        {
            InetException e = Throws<InetException>(action, what);
            if (e.ErrorCode != code)
            {
                throw new AssertionException(string.Format("{0}: expected error {1} ({2}), got {3} ({4}): {5}",
                    what, code, (uint)code, e.ErrorCode, (uint)e.ErrorCode, e.Message));
            }
            return e;
        }
    }

    public static class TestRunner
    {
        private const int TestTimeoutMilliseconds = 60000;

        public static int Main(string[] args)
        {
            List<MethodInfo> tests = typeof(TestRunner).Assembly.GetTypes()
                .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
                .Where(m => m.GetCustomAttributes(typeof(TestAttribute), false).Length > 0)
                .Where(m => args.Length == 0 || args.Contains(m.Name) || args.Contains(m.DeclaringType.Name + "." + m.Name))
                .OrderBy(m => m.MetadataToken)
                .ToList();

            int passed = 0;
            int failed = 0;
            int skipped = 0;
            foreach (MethodInfo test in tests)
            {
                string name = test.DeclaringType.Name + "." + test.Name;
                Exception error = null;
                Stopwatch watch = Stopwatch.StartNew();
                Thread thread = new Thread(() =>
                {
                    try
                    {
                        test.Invoke(null, null);
                    }
                    catch (TargetInvocationException e)
                    {
                        error = e.InnerException;
                    }
                    catch (Exception e)
                    {
                        error = e;
                    }
                });
                thread.IsBackground = true;
                thread.Name = name;
                thread.Start();
                if (!thread.Join(TestTimeoutMilliseconds))
                {
                    error = new TimeoutException("the test did not finish within " + TestTimeoutMilliseconds / 1000 + " s");
                }
                watch.Stop();
                if (error is SkipException)
                {
                    skipped++;
                    Console.WriteLine("SKIP {0} ({1} ms): {2}", name, watch.ElapsedMilliseconds, error.Message);
                }
                else if (error == null)
                {
                    passed++;
                    Console.WriteLine("PASS {0} ({1} ms)", name, watch.ElapsedMilliseconds);
                }
                else
                {
                    failed++;
                    Console.WriteLine("FAIL {0} ({1} ms): {2}", name, watch.ElapsedMilliseconds, Describe(error));
                }
            }
            Console.WriteLine(skipped == 0 ? "{0} passed, {1} failed" : "{0} passed, {1} failed, {2} skipped",
                              passed, failed, skipped);
            Console.Out.Flush();
            // Background threads of a failed test may still be blocked; do not wait for them.
            int code = failed == 0 && passed > 0 ? 0 : 1;
            Environment.Exit(code);
            return code;
        }

        private static string Describe(Exception error)
        {
            if (error is AssertionException)
            {
                return error.Message;
            }
            return error.GetType().Name + ": " + error.Message + Environment.NewLine + error.StackTrace;
        }
    }
}
