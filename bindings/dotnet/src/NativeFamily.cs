// NativeFamily.cs - one family's reference count and error texts, shared by
// PopLibrary and MxLibrary (each native family exports the same five calls).
namespace Inetkit
{
    /// <summary>The lifetime and error calls of one native family.</summary>
    internal sealed class NativeFamily
    {
        internal delegate uint Call();
        internal delegate uint ErrorStringCall(uint code, byte[] buffer, ref uint size);

        private readonly Call initialize;
        private readonly Call uninitialize;
        private readonly Call lastError;
        private readonly Utf8.SizeQuery lastErrorMessage;
        private readonly ErrorStringCall errorString;
        private readonly object initLock = new object();
        private volatile bool implicitReference;

        internal NativeFamily(Call initialize, Call uninitialize, Call lastError,
                              Utf8.SizeQuery lastErrorMessage, ErrorStringCall errorString)
        {
            this.initialize = initialize;
            this.uninitialize = uninitialize;
            this.lastError = lastError;
            this.lastErrorMessage = lastErrorMessage;
            this.errorString = errorString;
        }

        internal void Initialize() { InetException.VerifySuccess(initialize()); }

        internal void Uninitialize() { InetException.VerifySuccess(uninitialize()); }

        /// <exception cref="System.ArgumentOutOfRangeException">The library does not know the code.</exception>
        internal string ErrorString(InetErrorCode errorCode)
        {
            string text;
            uint rc = Utf8.Query(delegate(byte[] buffer, ref uint size)
            {
                return errorString((uint)errorCode, buffer, ref size);
            }, 128, out text);
            if (rc != 0)
            {
                throw new System.ArgumentOutOfRangeException("errorCode", errorCode, "Not an inetkit error code.");
            }
            return text;
        }

        internal uint LastError { get { return lastError(); } }

        /// <summary>The last error message ("" when there is none); does not change the store.</summary>
        internal string LastErrorMessage()
        {
            string message;
            uint rc = Utf8.Query(lastErrorMessage, 1024, out message);
            return rc == 0 ? message : string.Empty;
        }

        /// <summary>Takes the binding's own reference once per process; cheap after the first time.</summary>
        internal void EnsureInitialized()
        {
            if (implicitReference)
            {
                return;
            }
            lock (initLock)
            {
                if (!implicitReference)
                {
                    InetException.VerifySuccess(initialize());
                    implicitReference = true;
                }
            }
        }
    }
}
