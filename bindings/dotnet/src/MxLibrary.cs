// MxLibrary.cs - the Mx family's lifetime and error texts.
namespace Inetkit
{
    /// <summary>The Mx family of the native inetkit library as a whole.</summary>
    /// <remarks>
    /// <see cref="MxResolver"/> takes a reference on the family (MxInitialize)
    /// the first time it is used and keeps it for the life of the process, so
    /// calling <see cref="Initialize"/> is optional. <see cref="Initialize"/>
    /// and <see cref="Uninitialize"/> map directly to the native reference
    /// count; when it drops to zero every open Mx handle is closed. All
    /// families share one last-error store per thread.
    /// </remarks>
    public static class MxLibrary
    {
        private static readonly object InitLock = new object();
        private static volatile bool implicitReference;

        /// <summary>Takes a reference on the Mx family (MxInitialize).
        /// Thread-safe; may be called any number of times.</summary>
        public static void Initialize()
        {
            InetException.VerifySuccess(NativeMethods.MxInitialize());
        }

        /// <summary>Drops a reference taken by <see cref="Initialize"/> (MxUninitialize).</summary>
        public static void Uninitialize()
        {
            InetException.VerifySuccess(NativeMethods.MxUninitialize());
        }

        /// <summary>The static description of an error code (MxGetErrorString).</summary>
        /// <exception cref="System.ArgumentOutOfRangeException">The library does not know the code.</exception>
        public static string ErrorString(InetErrorCode errorCode)
        {
            string text;
            uint rc = Utf8.Query(delegate(byte[] buffer, ref uint size)
            {
                return NativeMethods.MxGetErrorString((uint)errorCode, buffer, ref size);
            }, 128, out text);
            if (rc != 0)
            {
                throw new System.ArgumentOutOfRangeException("errorCode", errorCode, "Not an inetkit error code.");
            }
            return text;
        }

        /// <summary>The calling thread's last error code (MxGetLastError).</summary>
        internal static uint LastError
        {
            get { return NativeMethods.MxGetLastError(); }
        }

        /// <summary>MxGetLastErrorMessage with the size-query idiom ("" when
        /// there is none). Does not change the last-error store.</summary>
        internal static string LastErrorMessage()
        {
            string message;
            uint rc = Utf8.Query(delegate(byte[] buffer, ref uint size)
            {
                return NativeMethods.MxGetLastErrorMessage(buffer, ref size);
            }, 1024, out message);
            return rc == 0 ? message : string.Empty;
        }

        /// <summary>Takes the binding's own reference once per process. Called
        /// before every MxCreate; cheap after the first time.</summary>
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
                    InetException.VerifySuccess(NativeMethods.MxInitialize());
                    implicitReference = true;
                }
            }
        }
    }
}
