// InetLibrary.cs - library lifetime, version and error texts.
using System;
using System.Runtime.InteropServices;

namespace Inetkit
{
    /// <summary>The Inet family of the native inetkit library as a whole.</summary>
    /// <remarks>
    /// <see cref="InetConnection"/> and <see cref="InetListener"/> take a
    /// reference on the library (InetInitialize) the first time they are used
    /// and keep it for the life of the process, so calling
    /// <see cref="Initialize"/> is optional. <see cref="Initialize"/> and
    /// <see cref="Uninitialize"/> map directly to the native reference count;
    /// when the count drops to zero every open handle is disconnected.
    /// </remarks>
    public static class InetLibrary
    {
        /// <summary>The version of the headers this binding was written
        /// against (INETKIT_VERSION_NUMBER: major * 1000000 + minor * 1000 + patch).</summary>
        public const uint BindingVersionNumber = NativeMethods.INETKIT_VERSION_NUMBER;

        private static readonly object InitLock = new object();
        private static volatile bool implicitReference;

        /// <summary>Takes a reference on the Inet family (InetInitialize).
        /// Thread-safe; may be called any number of times.</summary>
        public static void Initialize()
        {
            InetException.VerifySuccess(NativeMethods.InetInitialize());
        }

        /// <summary>Drops a reference taken by <see cref="Initialize"/>
        /// (InetUninitialize).</summary>
        public static void Uninitialize()
        {
            InetException.VerifySuccess(NativeMethods.InetUninitialize());
        }

        /// <summary>The library's version number (InetGetVersion):
        /// major * 1000000 + minor * 1000 + patch.</summary>
        public static uint VersionNumber
        {
            get { return NativeMethods.InetGetVersion(); }
        }

        /// <summary>The library's version as major.minor.patch.</summary>
        public static Version Version
        {
            get
            {
                uint n = VersionNumber;
                return new Version((int)(n / 1000000), (int)(n / 1000 % 1000), (int)(n % 1000));
            }
        }

        /// <summary>A version string of inetkit or of a library it uses
        /// (InetGetLibraryInfo). Needs no initialisation.</summary>
        public static string GetInfo(InetLibraryInfo what)
        {
            string value;
            InetException.VerifySuccess(Utf8.Query(delegate(byte[] buffer, ref uint size)
            {
                return NativeMethods.InetGetLibraryInfo((uint)what, buffer, ref size);
            }, 128, out value));
            return value;
        }

        /// <summary>The static description of an error code (InetGetErrorString).</summary>
        /// <exception cref="ArgumentOutOfRangeException">The library does not know the code.</exception>
        public static string ErrorString(InetErrorCode errorCode)
        {
            string text = TryGetErrorString((uint)errorCode);
            if (text == null)
            {
                throw new ArgumentOutOfRangeException("errorCode", errorCode, "Not an inetkit error code.");
            }
            return text;
        }

        /// <summary>The operating-system id of the calling thread, the id that
        /// the library uses for handle ownership (gettid() on Linux,
        /// GetCurrentThreadId() on Windows). Pass it to
        /// <see cref="InetConnection.AttachThread"/> from another thread.</summary>
        public static uint CurrentThreadId
        {
            get { return OsThread.CurrentId(); }
        }

        /// <summary>InetGetErrorString, or null for an unknown code. Leaves the
        /// last-error store alone, so it may run before a message is read.</summary>
        internal static string TryGetErrorString(uint errorCode)
        {
            string text;
            uint rc = Utf8.Query(delegate(byte[] buffer, ref uint size)
            {
                return NativeMethods.InetGetErrorString(errorCode, buffer, ref size);
            }, 128, out text);
            return rc == 0 ? text : null;
        }

        /// <summary>Takes the binding's own reference once per process. Called by
        /// every constructor of a handle; cheap after the first time.</summary>
        internal static void EnsureInitialized()
        {
            if (implicitReference)
            {
                return;
            }
            lock (InitLock)
            {
                if (!implicitReference)
                {
                    InetException.VerifySuccess(NativeMethods.InetInitialize());
                    implicitReference = true;
                }
            }
        }

        private static class OsThread
        {
            [DllImport("kernel32", EntryPoint = "GetCurrentThreadId")]
            private static extern uint Win32GetCurrentThreadId();

            // glibc 2.30 and later export gettid().
            [DllImport("libc", EntryPoint = "gettid")]
            private static extern int LinuxGetTid();

            internal static uint CurrentId()
            {
                switch (Environment.OSVersion.Platform)
                {
                    case PlatformID.Win32NT:
                        return Win32GetCurrentThreadId();
                    case PlatformID.Unix:
                        return unchecked((uint)LinuxGetTid());
                    default:
                        throw new PlatformNotSupportedException("No thread id query for this platform.");
                }
            }
        }
    }
}
