// PopLibrary.cs - the Pop family's lifetime and error texts.
namespace Inetkit
{
    /// <summary>The Pop family of the native inetkit library as a whole.</summary>
    /// <remarks>
    /// <see cref="PopClient"/> takes a reference on the family (PopInitialize)
    /// the first time it is used and keeps it for the life of the process, so
    /// calling <see cref="Initialize"/> is optional. <see cref="Initialize"/>
    /// and <see cref="Uninitialize"/> map directly to the native reference
    /// count; when it drops to zero every open Pop handle is closed. The Pop
    /// and Inet families share one last-error store per thread, so the
    /// exceptions of both read it the same way.
    /// </remarks>
    public static class PopLibrary
    {
        private static readonly NativeFamily Family = new NativeFamily(
            NativeMethods.PopInitialize, NativeMethods.PopUninitialize, NativeMethods.PopGetLastError,
            NativeMethods.PopGetLastErrorMessage, NativeMethods.PopGetErrorString);

        /// <summary>Takes a reference on the Pop family (PopInitialize).
        /// Thread-safe; may be called any number of times.</summary>
        public static void Initialize() { Family.Initialize(); }

        /// <summary>Drops a reference taken by <see cref="Initialize"/> (PopUninitialize).</summary>
        public static void Uninitialize() { Family.Uninitialize(); }

        /// <summary>The static description of an error code (PopGetErrorString).</summary>
        /// <exception cref="System.ArgumentOutOfRangeException">The library does not know the code.</exception>
        public static string ErrorString(InetErrorCode errorCode) { return Family.ErrorString(errorCode); }

        /// <summary>The calling thread's last error code (PopGetLastError).</summary>
        internal static uint LastError { get { return Family.LastError; } }

        /// <summary>PopGetLastErrorMessage ("" when there is none); does not change the store.</summary>
        internal static string LastErrorMessage() { return Family.LastErrorMessage(); }

        /// <summary>Takes the binding's own reference once per process; called before a
        /// PopClient makes its handle.</summary>
        internal static void EnsureInitialized() { Family.EnsureInitialized(); }
    }
}
