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
        private static readonly NativeFamily Family = new NativeFamily(
            NativeMethods.MxInitialize, NativeMethods.MxUninitialize, NativeMethods.MxGetLastError,
            NativeMethods.MxGetLastErrorMessage, NativeMethods.MxGetErrorString);

        /// <summary>Takes a reference on the Mx family (MxInitialize).
        /// Thread-safe; may be called any number of times.</summary>
        public static void Initialize() { Family.Initialize(); }

        /// <summary>Drops a reference taken by <see cref="Initialize"/> (MxUninitialize).</summary>
        public static void Uninitialize() { Family.Uninitialize(); }

        /// <summary>The static description of an error code (MxGetErrorString).</summary>
        /// <exception cref="System.ArgumentOutOfRangeException">The library does not know the code.</exception>
        public static string ErrorString(InetErrorCode errorCode) { return Family.ErrorString(errorCode); }

        /// <summary>The calling thread's last error code (MxGetLastError).</summary>
        internal static uint LastError { get { return Family.LastError; } }

        /// <summary>MxGetLastErrorMessage ("" when there is none); does not change the store.</summary>
        internal static string LastErrorMessage() { return Family.LastErrorMessage(); }

        /// <summary>Takes the binding's own reference once per process; called before a
        /// MxResolver makes its handle.</summary>
        internal static void EnsureInitialized() { Family.EnsureInitialized(); }
    }
}
