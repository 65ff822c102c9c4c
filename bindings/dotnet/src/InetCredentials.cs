// InetCredentials.cs - TLS credentials and settings (SECURITYCREDENTIALS).
//
// InetCredentials holds managed values only. Each call that takes credentials
// gets a fresh native SECURITYCREDENTIALS block (NativeCredentials): every
// string member is a UTF-8 buffer allocated with AllocHGlobal, and the block
// and the buffers are wiped and freed as soon as that call returns (the
// library copies what it needs and keeps no pointer into them). The only
// things the library keeps are the function pointers of the verify and PSK
// callbacks, so their delegates are kept alive by every handle made or
// secured with these credentials.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;

namespace Inetkit
{
    /// <summary>Security credentials and settings for TLS: our certificate and
    /// key, the CAs to trust, how to verify the peer, protocol versions and
    /// ciphers (SECURITYCREDENTIALS). null strings and 0 numbers mean the
    /// library's default.</summary>
    /// <remarks>Pass them to <see cref="InetConnection.Connect(string, int, int, InetOptions, InetCredentials)"/>,
    /// <see cref="InetListener.Listen(string, int, int, InetOptions, InetCredentials)"/> or
    /// <see cref="InetConnection.StartTls"/>; they are read during that call
    /// only, so one object may serve many connections and may be changed
    /// between calls. <see cref="Dispose"/> clears the secrets it holds
    /// (password, private key text, PSK key).</remarks>
    public sealed class InetCredentials : IDisposable
    {
        private readonly object callbackLock = new object();
        private Func<InetVerifyError, bool> verifyCallback;
        private NativeMethods.INETVERIFYPROC verifyProc;
        private Func<string, byte[]> pskCallback;
        private NativeMethods.INETPSKPROC pskProc;
        private int verifyDepth;
        private bool disposed;

        /// <summary>Empty credentials: every setting at its default.</summary>
        public InetCredentials()
        {
        }

        /// <summary>Credentials with our certificate (a PEM file, which may hold
        /// the key and the chain too, or a PKCS#12 file), an optional separate PEM
        /// key file and the passphrase of the key or PKCS#12 file. Nothing is
        /// loaded until they are used or <see cref="Check"/>ed.</summary>
        public InetCredentials(string certificateFile, string privateKeyFile = null, string password = null)
        {
            CertificateFile = certificateFile;
            PrivateKeyFile = privateKeyFile;
            Password = password;
        }

        /// <summary>Lowest protocol version accepted; default TLS 1.2 (TLS 1.0 with
        /// <see cref="InetOptions.SecureFallback"/>).</summary>
        public InetProtocol ProtocolMin { get; set; }

        /// <summary>Highest protocol version offered; default TLS 1.3.</summary>
        public InetProtocol ProtocolMax { get; set; }

        /// <summary>How the peer is verified; default <see cref="InetVerifyMode.Auto"/>.</summary>
        public InetVerifyMode VerifyMode { get; set; }

        /// <summary>The most certificates the peer's chain may hold, its own and
        /// the trusted root included; a longer one fails with
        /// <see cref="InetErrorCode.CertificateChainTooLong"/>. 0 = OpenSSL's default limit.</summary>
        public int VerifyDepth
        {
            get { return verifyDepth; }
            set
            {
                if (value < 0)
                {
                    throw new ArgumentOutOfRangeException("value", value, "The verify depth cannot be negative.");
                }
                verifyDepth = value;
            }
        }

        /// <summary>Ciphers for TLS 1.2 and older, OpenSSL syntax; default: a modern forward-secret AEAD list.</summary>
        public string CipherList { get; set; }

        /// <summary>TLS 1.3 cipher suites, OpenSSL syntax; default: OpenSSL's.</summary>
        public string CipherSuites { get; set; }

        /// <summary>Our certificate: a PEM file (the chain; it may hold the key
        /// too) or a PKCS#12 file.</summary>
        public string CertificateFile { get; set; }

        /// <summary>Our PEM key file, when the key is not in <see cref="CertificateFile"/>.</summary>
        public string PrivateKeyFile { get; set; }

        /// <summary>Our certificate chain as PEM text (instead of a file).</summary>
        public string CertificatePem { get; set; }

        /// <summary>Our private key as PEM text (instead of a file).</summary>
        public string PrivateKeyPem { get; set; }

        /// <summary>The passphrase of the key or of the PKCS#12 file.</summary>
        public string Password { get; set; }

        /// <summary>A PEM file of CAs to trust, in addition to the system's.</summary>
        public string CaFile { get; set; }

        /// <summary>A directory of CAs to trust (OpenSSL hashed directory).</summary>
        public string CaPath { get; set; }

        /// <summary>CAs to trust as PEM text.</summary>
        public string CaPem { get; set; }

        /// <summary>The name (or IP address) to verify the peer against, instead
        /// of the host given to Connect.</summary>
        public string VerifyName { get; set; }

        /// <summary>Verify errors to accept, each for one certificate:
        /// "ERROR:FINGERPRINT[,...]" (X509_V_ERR_* number, SHA-256 in hex). Build it
        /// with <see cref="Ignore"/> from <see cref="InetConnection.VerifyErrors"/>.</summary>
        public string IgnoreErrors { get; set; }

        /// <summary>"sha256//BASE64[;sha256//BASE64...]": the peer's public key must
        /// be one of these (see <see cref="InetCertificate.PublicKeyPin"/>).</summary>
        public string PinnedPublicKey { get; set; }

        /// <summary>TLS-PSK identity (client); a server accepts only this identity.</summary>
        public string PskIdentity { get; set; }

        /// <summary>TLS-PSK key in hex.</summary>
        public string PskKey { get; set; }

        /// <summary>Called for each problem found in the peer's chain that
        /// <see cref="IgnoreErrors"/> does not already cover, on the thread doing
        /// the handshake (inside Connect, Accept or StartTls). Return
        /// true to accept that problem, false to fail the handshake. An exception
        /// it throws fails the handshake and is rethrown by the call that ran it.
        /// Inetkit calls on the connection being verified are not allowed from
        /// inside it.</summary>
        public Func<InetVerifyError, bool> VerifyCallback
        {
            get { return verifyCallback; }
            set
            {
                lock (callbackLock)
                {
                    verifyCallback = value;
                    verifyProc = value == null ? null : new NativeMethods.INETVERIFYPROC(new VerifyThunk(value).Invoke);
                }
            }
        }

        /// <summary>Servers only: looks up the TLS-PSK key for the identity a
        /// client offers, instead of the single <see cref="PskIdentity"/> /
        /// <see cref="PskKey"/> pair; a server with it needs no certificate.
        /// Return the key (1 to 256 bytes), or null to refuse the identity.
        /// It runs on the thread doing the handshake (inside Accept or
        /// StartTls) and must not call inetkit on that connection. An identity
        /// that is not valid UTF-8 is refused without calling it. An exception
        /// it throws refuses the identity and is rethrown by the call that ran
        /// it, as for <see cref="VerifyCallback"/>; so is an
        /// <see cref="InvalidOperationException"/> for a key that is empty or
        /// longer than 256 bytes. Client credentials with a PSK callback are
        /// refused with <see cref="InetErrorCode.InvalidParameter"/>.</summary>
        public Func<string, byte[]> PskCallback
        {
            get { return pskCallback; }
            set
            {
                lock (callbackLock)
                {
                    pskCallback = value;
                    pskProc = value == null ? null : new NativeMethods.INETPSKPROC(new PskThunk(value).Invoke);
                }
            }
        }

        /// <summary>Appends <paramref name="errors"/> (typically
        /// <see cref="InetConnection.VerifyErrors"/> of a connection made with
        /// <see cref="InetVerifyMode.Query"/>) to <see cref="IgnoreErrors"/>.</summary>
        public void Ignore(IEnumerable<InetVerifyError> errors)
        {
            if (errors == null)
            {
                throw new ArgumentNullException("errors");
            }
            List<string> entries = string.IsNullOrEmpty(IgnoreErrors)
                ? new List<string>()
                : IgnoreErrors.Split(',').Select(e => e.Trim()).Where(e => e.Length > 0).ToList();
            foreach (InetVerifyError error in errors)
            {
                if (error == null)
                {
                    throw new ArgumentException("The list holds a null entry.", "errors");
                }
                if (!entries.Contains(error.IgnoreEntry))
                {
                    entries.Add(error.IgnoreEntry);
                }
            }
            IgnoreErrors = entries.Count == 0 ? null : string.Join(",", entries);
        }

        /// <summary>Loads and checks the credentials without any network traffic
        /// (InetCheckCredentials): files and PEM text parse, the passphrase opens
        /// the key, the key matches the certificate, CA sources load, the ignore
        /// list, pins and PSK key are well formed.</summary>
        /// <param name="server">True when they are meant for a server, which then
        /// needs a certificate or a PSK.</param>
        /// <exception cref="InetCredentialsException">CertificateLoad (unreadable,
        /// wrong passphrase) or SecurityCredentials (key/certificate mismatch, ...).</exception>
        /// <exception cref="InetException">InvalidParameter: a malformed setting.</exception>
        public void Check(bool server)
        {
            InetLibrary.EnsureInitialized();
            using (NativeCredentials native = NativeCredentials.From(this))
            {
                InetException.VerifySuccess(NativeMethods.InetCheckCredentials(native.Pointer, server ? 1 : 0));
            }
        }

        /// <summary>Credentials made and checked by the library
        /// (InetCreateCredentials): the certificate file (PEM or PKCS#12), key file
        /// and passphrase, checked as by <see cref="Check"/>(false). The library's
        /// structure is copied into the new object and freed at once
        /// (InetDeleteCredentials).</summary>
        public static InetCredentials Create(string certificateFile, string privateKeyFile = null, string password = null)
        {
            byte[] nativeCertificate = Utf8.ToNative(certificateFile, "certificateFile");
            byte[] nativeKey = Utf8.ToNative(privateKeyFile, "privateKeyFile");
            byte[] nativePassword = Utf8.ToNative(password, "password");
            InetLibrary.EnsureInitialized();
            IntPtr created;
            InetException.VerifySuccess(NativeMethods.InetCreateCredentials(nativeCertificate, nativeKey, nativePassword,
                                                                            out created));
            try
            {
                NativeMethods.SECURITYCREDENTIALS c =
                    (NativeMethods.SECURITYCREDENTIALS)Marshal.PtrToStructure(created, typeof(NativeMethods.SECURITYCREDENTIALS));
                InetCredentials result = new InetCredentials();
                result.ProtocolMin = (InetProtocol)c.dwProtocolMin;
                result.ProtocolMax = (InetProtocol)c.dwProtocolMax;
                result.VerifyMode = (InetVerifyMode)c.dwVerifyMode;
                result.VerifyDepth = (int)Math.Min(c.dwVerifyDepth, (uint)int.MaxValue);
                result.CipherList = Utf8.FromNative(c.lpszCipherList);
                result.CipherSuites = Utf8.FromNative(c.lpszCipherSuites);
                result.CertificateFile = Utf8.FromNative(c.lpszCertificateFile);
                result.PrivateKeyFile = Utf8.FromNative(c.lpszPrivateKeyFile);
                result.CertificatePem = Utf8.FromNative(c.lpszCertificatePem);
                result.PrivateKeyPem = Utf8.FromNative(c.lpszPrivateKeyPem);
                result.Password = Utf8.FromNative(c.lpszPassword);
                result.CaFile = Utf8.FromNative(c.lpszCaFile);
                result.CaPath = Utf8.FromNative(c.lpszCaPath);
                result.CaPem = Utf8.FromNative(c.lpszCaPem);
                result.VerifyName = Utf8.FromNative(c.lpszVerifyName);
                result.IgnoreErrors = Utf8.FromNative(c.lpszIgnoreErrors);
                result.PinnedPublicKey = Utf8.FromNative(c.lpszPinnedPublicKey);
                result.PskIdentity = Utf8.FromNative(c.lpszPskIdentity);
                result.PskKey = Utf8.FromNative(c.lpszPskKey);
                return result;
            }
            finally
            {
                NativeMethods.InetDeleteCredentials(created);
            }
        }

        /// <summary>Clears the password, the private key text, the PSK key and the
        /// callbacks. Handles already made keep working; the object cannot be used
        /// for new ones.</summary>
        public void Dispose()
        {
            Password = null;
            PrivateKeyPem = null;
            PskKey = null;
            VerifyCallback = null;
            PskCallback = null;
            disposed = true;
        }

        internal void ThrowIfDisposed()
        {
            if (disposed)
            {
                throw new ObjectDisposedException(GetType().FullName);
            }
        }

        internal NativeMethods.INETVERIFYPROC VerifyProc
        {
            get
            {
                lock (callbackLock)
                {
                    return verifyProc;
                }
            }
        }

        internal NativeMethods.INETPSKPROC PskProc
        {
            get
            {
                lock (callbackLock)
                {
                    return pskProc;
                }
            }
        }

        // Turns the native callback into the managed one. No exception may
        // unwind into the library: it is parked for the call that ran it, and
        // the problem is refused.
        private sealed class VerifyThunk
        {
            private readonly Func<InetVerifyError, bool> callback;

            internal VerifyThunk(Func<InetVerifyError, bool> callback)
            {
                this.callback = callback;
            }

            internal int Invoke(IntPtr hClient, uint error, uint depth, IntPtr fingerprint, IntPtr param)
            {
                InetSafeHandle.EnterCallback();
                try
                {
                    InetVerifyError problem = new InetVerifyError(unchecked((int)error), Utf8.FromNative(fingerprint) ?? string.Empty,
                                                                  unchecked((int)depth), string.Empty);
                    return callback(problem) ? 1 : 0;
                }
                catch (Exception exception)
                {
                    InetSafeHandle.SetPendingCallbackException(exception);
                    return 0;
                }
                finally
                {
                    InetSafeHandle.LeaveCallback();
                }
            }
        }

        // The PSK lookup, as VerifyThunk: no exception unwinds into the library;
        // it is parked for the call that ran it, and the identity is refused.
        private sealed class PskThunk
        {
            private const int MaxKey = 256;   // the library's buffer
            private static readonly Encoding StrictUtf8 = new UTF8Encoding(false, true);
            private readonly Func<string, byte[]> callback;

            internal PskThunk(Func<string, byte[]> callback)
            {
                this.callback = callback;
            }

            internal int Invoke(IntPtr hClient, IntPtr lpszIdentity, IntPtr lpKey, IntPtr lpcbKey, IntPtr param)
            {
                InetSafeHandle.EnterCallback();
                try
                {
                    if (lpKey == IntPtr.Zero || lpcbKey == IntPtr.Zero)
                    {
                        return 0;
                    }
                    string identity = Identity(lpszIdentity);
                    if (identity == null)
                    {
                        return 0;   // not UTF-8: no managed string stands for it faithfully
                    }
                    byte[] key = callback(identity);
                    if (key == null)
                    {
                        return 0;
                    }
                    int room = (int)Math.Min((uint)Marshal.ReadInt32(lpcbKey), (uint)MaxKey);
                    if (key.Length == 0 || key.Length > room)
                    {
                        throw new InvalidOperationException("PskCallback returned a key of " + key.Length +
                                                            " bytes; it must hold 1 to " + room + ".");
                    }
                    Marshal.Copy(key, 0, lpKey, key.Length);
                    Marshal.WriteInt32(lpcbKey, key.Length);
                    return 1;
                }
                catch (Exception exception)
                {
                    InetSafeHandle.SetPendingCallbackException(exception);
                    return 0;
                }
                finally
                {
                    InetSafeHandle.LeaveCallback();
                }
            }

            private static string Identity(IntPtr value)
            {
                if (value == IntPtr.Zero)
                {
                    return string.Empty;
                }
                int length = 0;
                while (Marshal.ReadByte(value, length) != 0)
                {
                    length++;
                }
                byte[] bytes = new byte[length];
                Marshal.Copy(value, bytes, 0, length);
                try
                {
                    return StrictUtf8.GetString(bytes);
                }
                catch (DecoderFallbackException)
                {
                    return null;
                }
            }
        }
    }

    /// <summary>One native SECURITYCREDENTIALS block for the length of one call.
    /// <see cref="Pointer"/> is IntPtr.Zero for null credentials. Dispose wipes
    /// and frees the block and every string buffer.</summary>
    internal sealed class NativeCredentials : IDisposable
    {
        private readonly List<KeyValuePair<IntPtr, int>> buffers = new List<KeyValuePair<IntPtr, int>>();
        private IntPtr block;
        private int blockSize;

        private NativeCredentials()
        {
        }

        /// <summary>The SECURITYCREDENTIALS pointer to pass, or IntPtr.Zero.</summary>
        internal IntPtr Pointer
        {
            get { return block; }
        }

        /// <summary>The verify delegate whose pointer is in the block (or null):
        /// whoever keeps a handle made with it must keep this alive too.</summary>
        internal NativeMethods.INETVERIFYPROC VerifyProc { get; private set; }

        /// <summary>The PSK delegate whose pointer is in the block (or null),
        /// kept alive like <see cref="VerifyProc"/>.</summary>
        internal NativeMethods.INETPSKPROC PskProc { get; private set; }

        /// <summary>Makes <paramref name="handle"/> keep the callback delegates
        /// of this block alive (the library may call them as long as it lives).</summary>
        internal void KeepCallbacksAlive(InetSafeHandle handle)
        {
            handle.KeepAlive(VerifyProc);
            handle.KeepAlive(PskProc);
        }

        internal static NativeCredentials From(InetCredentials credentials)
        {
            NativeCredentials native = new NativeCredentials();
            if (credentials == null)
            {
                return native;
            }
            credentials.ThrowIfDisposed();
            try
            {
                NativeMethods.SECURITYCREDENTIALS c = new NativeMethods.SECURITYCREDENTIALS();
                c.dwSize = (uint)Marshal.SizeOf(typeof(NativeMethods.SECURITYCREDENTIALS));
                c.dwProtocolMin = (uint)credentials.ProtocolMin;
                c.dwProtocolMax = (uint)credentials.ProtocolMax;
                c.dwVerifyMode = (uint)credentials.VerifyMode;
                c.dwVerifyDepth = (uint)credentials.VerifyDepth;
                c.lpszCipherList = native.String(credentials.CipherList, "CipherList");
                c.lpszCipherSuites = native.String(credentials.CipherSuites, "CipherSuites");
                c.lpszCertificateFile = native.String(credentials.CertificateFile, "CertificateFile");
                c.lpszPrivateKeyFile = native.String(credentials.PrivateKeyFile, "PrivateKeyFile");
                c.lpszCertificatePem = native.String(credentials.CertificatePem, "CertificatePem");
                c.lpszPrivateKeyPem = native.String(credentials.PrivateKeyPem, "PrivateKeyPem");
                c.lpszPassword = native.String(credentials.Password, "Password");
                c.lpszCaFile = native.String(credentials.CaFile, "CaFile");
                c.lpszCaPath = native.String(credentials.CaPath, "CaPath");
                c.lpszCaPem = native.String(credentials.CaPem, "CaPem");
                c.lpszVerifyName = native.String(credentials.VerifyName, "VerifyName");
                c.lpszIgnoreErrors = native.String(credentials.IgnoreErrors, "IgnoreErrors");
                c.lpszPinnedPublicKey = native.String(credentials.PinnedPublicKey, "PinnedPublicKey");
                c.lpszPskIdentity = native.String(credentials.PskIdentity, "PskIdentity");
                c.lpszPskKey = native.String(credentials.PskKey, "PskKey");
                native.VerifyProc = credentials.VerifyProc;
                c.lpfnVerify = native.VerifyProc == null ? IntPtr.Zero : Marshal.GetFunctionPointerForDelegate(native.VerifyProc);
                c.lpVerifyParam = IntPtr.Zero;
                native.PskProc = credentials.PskProc;
                c.lpfnPsk = native.PskProc == null ? IntPtr.Zero : Marshal.GetFunctionPointerForDelegate(native.PskProc);
                c.lpPskParam = IntPtr.Zero;
                native.blockSize = (int)c.dwSize;
                native.block = Marshal.AllocHGlobal(native.blockSize);
                Marshal.StructureToPtr(c, native.block, false);
            }
            catch
            {
                native.Dispose();
                throw;
            }
            return native;
        }

        private IntPtr String(string value, string name)
        {
            byte[] bytes = Utf8.ToNative(value, name);
            if (bytes == null)
            {
                return IntPtr.Zero;
            }
            IntPtr buffer = Marshal.AllocHGlobal(bytes.Length);
            buffers.Add(new KeyValuePair<IntPtr, int>(buffer, bytes.Length));
            Marshal.Copy(bytes, 0, buffer, bytes.Length);
            Array.Clear(bytes, 0, bytes.Length);
            return buffer;
        }

        public void Dispose()
        {
            foreach (KeyValuePair<IntPtr, int> buffer in buffers)
            {
                Wipe(buffer.Key, buffer.Value);
                Marshal.FreeHGlobal(buffer.Key);
            }
            buffers.Clear();
            if (block != IntPtr.Zero)
            {
                Wipe(block, blockSize);
                Marshal.FreeHGlobal(block);
                block = IntPtr.Zero;
            }
            // The function pointers must stay valid until the native call has
            // returned, which it has when Dispose runs.
            GC.KeepAlive(VerifyProc);
            GC.KeepAlive(PskProc);
        }

        private static void Wipe(IntPtr memory, int size)
        {
            if (size > 0)
            {
                Marshal.Copy(new byte[size], 0, memory, size);
            }
        }
    }
}
