// TlsTests.cs - TLS through the real library, loopback only: an inetkit TLS
// server on its own thread, an inetkit client on the test thread, and the
// throw-away PKI of Pki.cs.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;

namespace Inetkit.Tests
{
    public static class TlsTests
    {
        private static InetCredentials ServerCredentials(string name = "server")
        {
            return new InetCredentials(Pki.Path(name + ".pem"), Pki.Path(name + ".key"));
        }

        private static InetCredentials TrustingCa()
        {
            return new InetCredentials { CaFile = Pki.Path("ca.pem") };
        }

        private static ServerThread StartTlsServer(string certificate, List<Exception> failures,
                                                   Action<InetConnection> onAccepted = null)
        {
            return ServerThread.StartAcceptLoop("127.0.0.1", InetOptions.Secure, ServerCredentials(certificate), failures,
                                                onAccepted);
        }

        private static void Echo(InetConnection client, string text)
        {
            client.WriteLine(text);
            Assert.Equal(text, client.ReadLine(), "echo of " + text);
        }

        private static string Describe(IEnumerable<Exception> failures)
        {
            return string.Join("; ", failures.Select(e => e.GetType().Name + ": " + e.Message));
        }

        // ---- library and ABI ------------------------------------------------------

        [Test]
        public static void LibraryInfo()
        {
            Assert.Equal("1.0.0", InetLibrary.GetInfo(InetLibraryInfo.Version), "INET_LIBRARY_VERSION");
            string openssl = InetLibrary.GetInfo(InetLibraryInfo.OpenSslVersion);
            Assert.True(openssl.StartsWith("OpenSSL ", StringComparison.Ordinal), "OpenSSL version: " + openssl);
            string built = InetLibrary.GetInfo(InetLibraryInfo.OpenSslBuilt);
            Assert.True(built.Contains("OpenSSL"), "OpenSSL built: " + built);
            string cares = InetLibrary.GetInfo(InetLibraryInfo.CaresVersion);
            Assert.True(Regex.IsMatch(cares, "^[0-9]+\\.[0-9]+\\.[0-9]+"), "c-ares version: " + cares);
            Assert.ThrowsInet(InetErrorCode.InvalidParameter, () => InetLibrary.GetInfo((InetLibraryInfo)99), "unknown info");
            // Size-query idiom: a buffer of exactly the length fails and reports length + 1.
            uint size = 5;
            byte[] small = new byte[5];
            Assert.Equal((uint)InetErrorCode.InsufficientBuffer,
                         NativeMethods.InetGetLibraryInfo(NativeMethods.INET_LIBRARY_VERSION, small, ref size), "5-byte buffer");
            Assert.Equal(6u, size, "size needed for \"1.0.0\"");
        }

        [Test]
        public static void NativeStructureLayout()
        {
            int p = IntPtr.Size;
            Type credentials = typeof(NativeMethods.SECURITYCREDENTIALS);
            int strings = (int)Marshal.OffsetOf(credentials, "lpszCipherList");
            Assert.Equal(p == 8 ? 24 : 20, strings, "offset of lpszCipherList");
            Assert.Equal(strings + 15 * p, (int)Marshal.OffsetOf(credentials, "lpfnVerify"), "offset of lpfnVerify");
            Assert.Equal(strings + 17 * p, (int)Marshal.OffsetOf(credentials, "lpfnPsk"), "offset of lpfnPsk");
            Assert.Equal(strings + 18 * p, (int)Marshal.OffsetOf(credentials, "lpPskParam"), "offset of lpPskParam");
            Assert.Equal(strings + 19 * p, Marshal.SizeOf(credentials), "sizeof(SECURITYCREDENTIALS)");
            Type info = typeof(NativeMethods.INETSECURITYINFO);
            Assert.Equal(32, (int)Marshal.OffsetOf(info, "szProtocol"), "offset of szProtocol");
            Assert.Equal(48, (int)Marshal.OffsetOf(info, "szCipher"), "offset of szCipher");
            Assert.Equal(112, Marshal.SizeOf(info), "sizeof(INETSECURITYINFO)");

            InetLibrary.EnsureInitialized();
            // dwSize 0 is refused.
            IntPtr block = Marshal.AllocHGlobal(Marshal.SizeOf(credentials));
            try
            {
                Marshal.StructureToPtr(new NativeMethods.SECURITYCREDENTIALS(), block, false);
                Assert.Equal((uint)InetErrorCode.InvalidParameter, NativeMethods.InetCheckCredentials(block, 0),
                             "InetCheckCredentials with dwSize 0");
            }
            finally
            {
                Marshal.FreeHGlobal(block);
            }
            Assert.Equal(0u, NativeMethods.InetDeleteCredentials(IntPtr.Zero), "InetDeleteCredentials(NULL)");

            // A plain connection: security info reads "plain"; a short dwSize is refused.
            ServerThread server = ServerThread.Start(ServerThread.Echo);
            using (InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 10))
            {
                InetSecurityInfo plain = client.SecurityInfo;
                Assert.True(!plain.IsSecure && plain.Protocol == InetProtocol.Default, "plain: " + plain);
                Assert.Equal("", plain.CipherName, "no cipher on a plain connection");
                Assert.True(!client.IsSecure, "IsSecure on a plain connection");
                NativeMethods.INETSECURITYINFO raw = NativeMethods.NewSecurityInfo();
                raw.dwSize = 4;
                Assert.Equal((uint)InetErrorCode.InvalidParameter,
                             NativeMethods.InetGetSecurityInfo(client.SafeHandle.DangerousGetHandle(), ref raw), "dwSize 4");
                client.WriteLine("quit");
            }
            server.Join();
        }

        // ---- implicit TLS -----------------------------------------------------------

        [Test]
        public static void EchoWithVerification()
        {
            List<Exception> failures = new List<Exception>();
            InetSecurityInfo serverInfo = null;
            InetCertificate serverLocal = null;
            int serverPeerCertificates = -1;
            ServerThread server = StartTlsServer("server", failures, connection =>
            {
                serverInfo = connection.SecurityInfo;
                serverLocal = connection.GetLocalCertificate();
                serverPeerCertificates = (int)connection.GetSecurityValue(InetSecurityValue.PeerCertificates);
            });
            InetCertificate peer;
            IList<InetCertificate> chain;
            using (InetConnection client = InetConnection.ConnectSecure("localhost", server.Port, TrustingCa(), 10))
            {
                Echo(client, "hello over TLS");
                Echo(client, "h\u00e9llo \u20ac \U0001F600");
                // 256 KiB in 64 lines of 4 KiB, many TLS records each way.
                Random random = new Random(7);
                for (int i = 0; i < 64; i++)
                {
                    byte[] chunk = new byte[3072];
                    random.NextBytes(chunk);
                    string line = Convert.ToBase64String(chunk);
                    client.WriteLine(line);
                    Assert.True(line == client.ReadLine(), "4 KiB line " + i);
                }

                Assert.True(client.IsSecure, "IsSecure");
                InetSecurityInfo info = client.SecurityInfo;
                Assert.Equal(InetProtocol.Tls13, info.Protocol, "Protocol (default max TLS 1.3)");
                Assert.Equal("TLSv1.3", info.ProtocolName, "ProtocolName");
                Assert.True(info.CipherName.StartsWith("TLS_", StringComparison.Ordinal), "CipherName " + info.CipherName);
                Assert.True(info.CipherBits >= 128, "CipherBits " + info.CipherBits);
                Assert.True(!info.Resumed, "Resumed");
                Assert.Equal(0, info.VerifyResult, "VerifyResult");
                Assert.Equal(0, info.VerifyErrorCount, "VerifyErrorCount");
                Assert.True(info.PeerCertificateCount >= 1, "PeerCertificateCount " + info.PeerCertificateCount);
                Assert.True(!info.HasLocalCertificate, "HasLocalCertificate");
                Assert.Equal((uint)info.Protocol, client.GetSecurityValue(InetSecurityValue.Protocol), "value Protocol");
                Assert.Equal((uint)info.CipherBits, client.GetSecurityValue(InetSecurityValue.CipherBits), "value CipherBits");
                Assert.Equal(0u, client.GetSecurityValue(InetSecurityValue.Resumed), "value Resumed");
                Assert.Equal(0u, client.GetSecurityValue(InetSecurityValue.VerifyResult), "value VerifyResult");
                Assert.Equal((uint)info.PeerCertificateCount, client.GetSecurityValue(InetSecurityValue.PeerCertificates),
                             "value PeerCertificates");
                Assert.ThrowsInet(InetErrorCode.InvalidParameter, () => client.GetSecurityValue((InetSecurityValue)77),
                                  "unknown security value");
                Assert.Equal(0, client.VerifyErrors.Count, "VerifyErrors");

                peer = client.GetPeerCertificate(0);
                chain = client.GetPeerCertificates();

                // The size-query idiom underneath: text sizes count the NUL, DER sizes do not.
                IntPtr raw = client.SafeHandle.DangerousGetHandle();
                uint size = 4;
                byte[] small = new byte[4];
                Assert.Equal((uint)InetErrorCode.InsufficientBuffer,
                             NativeMethods.InetGetCertificateInfo(raw, 0, NativeMethods.INET_CERT_FINGERPRINT, small, ref size),
                             "fingerprint into 4 bytes");
                Assert.Equal(65u, size, "size needed for the fingerprint");
                size = 4;
                Assert.Equal((uint)InetErrorCode.InsufficientBuffer,
                             NativeMethods.InetGetCertificateInfo(raw, 0, NativeMethods.INET_CERT_DER, small, ref size),
                             "DER into 4 bytes");
                Assert.Equal((uint)peer.Der.Length, size, "size needed for the DER");
                byte[] exact = new byte[size];
                Assert.Equal(0u, NativeMethods.InetGetCertificateInfo(raw, 0, NativeMethods.INET_CERT_DER, exact, ref size),
                             "DER into exactly its size");
                Assert.True(exact.SequenceEqual(peer.Der), "DER read with an exact buffer");
                Assert.ThrowsInet(InetErrorCode.InvalidParameter, () =>
                    InetException.VerifySuccess(NativeMethods.InetGetCertificateInfo(raw, 0, 99, small, ref size)), "unknown field");
                Assert.Equal(info.PeerCertificateCount, chain.Count, "GetPeerCertificates");
                Assert.ThrowsInet(InetErrorCode.InvalidParameter, () => client.GetPeerCertificate(info.PeerCertificateCount),
                                  "a certificate past the chain");
                Assert.ThrowsInet(InetErrorCode.InvalidParameter, () => client.GetLocalCertificate(),
                                  "local certificate when we presented none");
                client.WriteLine("quit");
            }
            server.Stop();
            Assert.True(failures.Count == 0, "server failures: " + Describe(failures));

            // The certificate against the file the server used.
            byte[] der = Pki.FirstCertificateDer("server.pem");
            Assert.True(der.SequenceEqual(peer.Der), "Der is server.pem's certificate");
            Assert.Equal(Pki.Sha256Hex(der), peer.Fingerprint, "Fingerprint is SHA-256 of the DER");
            Match pem = Regex.Match(peer.Pem, "-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", RegexOptions.Singleline);
            Assert.True(pem.Success && Convert.FromBase64String(Regex.Replace(pem.Groups[1].Value, "\\s", "")).SequenceEqual(der),
                        "Pem encodes the same certificate");
            Assert.True(peer.SubjectAltNames.Contains("DNS:localhost"), "SAN: " + string.Join(",", peer.SubjectAltNames));
            Assert.True(peer.SubjectAltNames.Contains("IP:127.0.0.1"), "SAN: " + string.Join(",", peer.SubjectAltNames));
            Assert.True(Regex.IsMatch(peer.Fingerprint, "^[0-9A-F]{64}$"), "Fingerprint format " + peer.Fingerprint);
            Assert.True(Regex.IsMatch(peer.Serial, "^[0-9A-F]+$"), "Serial format " + peer.Serial);
            Assert.Equal(DateTimeKind.Utc, peer.NotBefore.Kind, "NotBefore kind");
            Assert.Equal(DateTimeKind.Utc, peer.NotAfter.Kind, "NotAfter kind");
            Assert.True(peer.NotBefore < DateTime.UtcNow && DateTime.UtcNow < peer.NotAfter,
                        "valid now: " + peer.NotBefore.ToString("o") + " .. " + peer.NotAfter.ToString("o"));
            Assert.True(peer.PublicKeyPin.StartsWith("sha256//", StringComparison.Ordinal), "pin " + peer.PublicKeyPin);
            Assert.Equal(32, Convert.FromBase64String(peer.PublicKeyPin.Substring(8)).Length, "pin is a SHA-256");

            X509Certificate2 x509 = peer.ToX509Certificate2();
            Assert.Equal(x509.NotAfter.ToUniversalTime(), peer.NotAfter, "NotAfter against X509Certificate2");
            Assert.Equal(x509.NotBefore.ToUniversalTime(), peer.NotBefore, "NotBefore against X509Certificate2");
            Assert.Equal(x509.SerialNumber.TrimStart('0').ToUpperInvariant(), peer.Serial.TrimStart('0'), "Serial");
            Assert.True(peer.Subject.Contains("CN="), "Subject " + peer.Subject);
            // The chain as sent: each certificate issued by the next, the last by the CA.
            Assert.Equal(peer.Fingerprint, chain[0].Fingerprint, "chain[0] is the peer's own");
            for (int i = 0; i + 1 < chain.Count; i++)
            {
                Assert.Equal(chain[i + 1].Subject, chain[i].Issuer, "issuer of chain[" + i + "]");
            }
            string caName = new X509Certificate2(Pki.FirstCertificateDer("ca.pem")).GetNameInfo(X509NameType.SimpleName, false);
            string lastIssuer = chain[chain.Count - 1].Issuer;
            Assert.True(lastIssuer.Contains("CN=" + caName), "Issuer " + lastIssuer + " names the CA " + caName);

            // The server's side of the same session.
            Assert.True(serverInfo != null && serverInfo.IsSecure, "server side secure: " + serverInfo);
            Assert.True(serverInfo.HasLocalCertificate, "server presented a certificate");
            Assert.Equal(0, serverInfo.PeerCertificateCount, "no client certificate");
            Assert.Equal(0, serverPeerCertificates, "value PeerCertificates on the server");
            Assert.Equal(peer.Fingerprint, serverLocal.Fingerprint, "server's local certificate is the client's peer certificate");
        }

        [Test]
        public static void ProtocolCaPemAndPinning()
        {
            List<Exception> failures = new List<Exception>();
            ServerThread server = StartTlsServer("server", failures);
            string pin;
            InetCredentials tls12 = new InetCredentials { CaPem = System.IO.File.ReadAllText(Pki.Path("ca.pem")),
                                                          ProtocolMax = InetProtocol.Tls12 };
            using (InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 10, InetOptions.Secure, tls12))
            {
                InetSecurityInfo info = client.SecurityInfo;
                Assert.Equal(InetProtocol.Tls12, info.Protocol, "ProtocolMax TLS 1.2");
                Assert.Equal("TLSv1.2", info.ProtocolName, "ProtocolName");
                Assert.True(info.CipherName.Length > 0 && info.CipherBits >= 128, "cipher " + info);
                Echo(client, "over TLS 1.2");
                pin = client.GetPeerCertificate().PublicKeyPin;
                client.WriteLine("quit");
            }
            InetCredentials pinned = TrustingCa();
            pinned.PinnedPublicKey = "sha256//" + Convert.ToBase64String(new byte[32]) + ";" + pin;
            using (InetConnection client = InetConnection.ConnectSecure("localhost", server.Port, pinned, 10))
            {
                Echo(client, "pinned");
                client.WriteLine("quit");
            }
            pinned.PinnedPublicKey = "sha256//" + Convert.ToBase64String(Enumerable.Repeat((byte)1, 32).ToArray());
            InetException e = Assert.ThrowsInet(InetErrorCode.PublicKeyMismatch,
                                                () => InetConnection.ConnectSecure("localhost", server.Port, pinned, 10).Dispose(),
                                                "a pin that does not match");
            Assert.True(e is InetCertificateException, "PublicKeyMismatch is an InetCertificateException");
            server.Stop();
        }

        [Test]
        public static void SessionResumption()
        {
            List<Exception> failures = new List<Exception>();
            List<bool> serverResumed = new List<bool>();
            ServerThread server = StartTlsServer("server", failures, connection =>
            {
                lock (serverResumed)
                {
                    serverResumed.Add(connection.SecurityInfo.Resumed);
                }
            });
            // The library keeps client sessions with the TLS context, which lives
            // as long as a connection made with the same settings: keep the first
            // one open while the second connects. A TLS 1.3 session ticket comes
            // after the handshake, so the first connection reads once.
            using (InetConnection first = InetConnection.ConnectSecure("localhost", server.Port, TrustingCa(), 10))
            {
                Echo(first, "first");
                Assert.True(!first.SecurityInfo.Resumed, "first connection resumed");
                first.WriteLine("quit");
                using (InetConnection second = InetConnection.ConnectSecure("localhost", server.Port, TrustingCa(), 10))
                {
                    Echo(second, "second");
                    InetSecurityInfo info = second.SecurityInfo;
                    Assert.True(info.Resumed, "second connection resumed: " + info);
                    Assert.Equal(1u, second.GetSecurityValue(InetSecurityValue.Resumed), "value Resumed");
                    Assert.Equal(0, info.VerifyResult, "VerifyResult of the resumed session");
                    Assert.Equal(Pki.Sha256Hex(Pki.FirstCertificateDer("server.pem")), second.GetPeerCertificate().Fingerprint,
                                 "peer certificate of the resumed session");
                    second.WriteLine("quit");
                }
            }
            server.Stop();
            Assert.True(failures.Count == 0, "server failures: " + Describe(failures));
            Assert.True(serverResumed.SequenceEqual(new[] { false, true }), "server's view: " + string.Join(",", serverResumed));
        }

        [Test]
        public static void PreSharedKey()
        {
            const string key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
            List<Exception> failures = new List<Exception>();
            InetCredentials serverPsk = new InetCredentials { PskIdentity = "inetkit-client", PskKey = key };
            serverPsk.Check(true);
            ServerThread server = ServerThread.StartAcceptLoop("127.0.0.1", InetOptions.Secure, serverPsk, failures);
            using (InetConnection client = InetConnection.ConnectSecure("localhost", server.Port,
                       new InetCredentials { PskIdentity = "inetkit-client", PskKey = key }, 10))
            {
                Echo(client, "over a PSK");
                InetSecurityInfo info = client.SecurityInfo;
                Assert.True(info.IsSecure && info.PeerCertificateCount == 0, "PSK session without certificates: " + info);
                client.WriteLine("quit");
            }
            Assert.Throws<InetSecurityException>(() => InetConnection.ConnectSecure("localhost", server.Port,
                new InetCredentials { PskIdentity = "inetkit-client", PskKey = "ff" + key.Substring(2) }, 10).Dispose(),
                "another key");
            Assert.Throws<InetSecurityException>(() => InetConnection.ConnectSecure("localhost", server.Port,
                new InetCredentials { PskIdentity = "somebody-else", PskKey = key }, 10).Dispose(), "another identity");
            server.Stop();
            Assert.Equal(2, failures.Count, "server failures: " + Describe(failures));
        }

        private static readonly byte[] AliceKey = Enumerable.Range(0xA0, 32).Select(i => (byte)i).ToArray();

        private static string Hex(byte[] bytes)
        {
            return string.Concat(bytes.Select(b => b.ToString("x2")));
        }

        [Test]
        public static void PskCallbackServer()
        {
            List<Exception> failures = new List<Exception>();
            List<string> asked = new List<string>();
            int testThread = Thread.CurrentThread.ManagedThreadId;
            int onTestThread = 0;
            InetCredentials serverPsk = new InetCredentials();
            serverPsk.PskCallback = identity =>
            {
                lock (asked)
                {
                    asked.Add(identity);
                    if (Thread.CurrentThread.ManagedThreadId == testThread)
                    {
                        onTestThread++;
                    }
                }
                return identity == "alice" ? AliceKey : null;
            };
            serverPsk.Check(true);   // the lookup stands in for a certificate
            ServerThread server = ServerThread.StartAcceptLoop("127.0.0.1", InetOptions.Secure, serverPsk, failures);
            using (InetConnection client = InetConnection.ConnectSecure("localhost", server.Port,
                       new InetCredentials { PskIdentity = "alice", PskKey = Hex(AliceKey) }, 10))
            {
                Echo(client, "over a looked-up PSK");
                InetSecurityInfo info = client.SecurityInfo;
                Assert.True(info.IsSecure && info.PeerCertificateCount == 0, "PSK session without certificates: " + info);
                client.WriteLine("quit");
            }
            Assert.Throws<InetSecurityException>(() => InetConnection.ConnectSecure("localhost", server.Port,
                new InetCredentials { PskIdentity = "mallory", PskKey = Hex(AliceKey) }, 10).Dispose(), "mallory");
            server.Stop();
            Assert.Equal(1, failures.Count, "server failures: " + Describe(failures));
            Assert.True(failures[0] is InetSecurityException, "mallory refused at Accept: " + Describe(failures));
            lock (asked)
            {
                Assert.True(asked.Contains("alice") && asked.Contains("mallory"), "identities asked: " + string.Join(",", asked));
                Assert.Equal(0, onTestThread, "lookups on the client's thread");
            }

            // Only servers look keys up.
            InetCredentials client1 = new InetCredentials { PskCallback = identity => AliceKey };
            Assert.ThrowsInet(InetErrorCode.InvalidParameter, () => client1.Check(false), "client with a PSK callback");
            InetCredentials client2 = new InetCredentials { PskIdentity = "alice", PskKey = Hex(AliceKey),
                                                            PskCallback = identity => AliceKey };
            Assert.ThrowsInet(InetErrorCode.InvalidParameter, () => client2.Check(false), "client with both");
            client2.Dispose();
            Assert.True(client2.PskCallback == null, "Dispose forgets the PSK callback");
        }

        [Test]
        public static void PskCallbackThrowsOrReturnsABadKey()
        {
            Func<string, byte[]>[] lookups =
            {
                identity => { throw new InvalidOperationException("lookup failed"); },
                identity => new byte[0],
                identity => new byte[257],
            };
            foreach (Func<string, byte[]> lookup in lookups)
            {
                Exception thrown = null;
                ServerThread server = ServerThread.Start("127.0.0.1", InetOptions.Secure,
                                                         new InetCredentials { PskCallback = lookup },
                                                         listener =>
                {
                    try
                    {
                        listener.Accept(10).Dispose();
                    }
                    catch (Exception e)
                    {
                        thrown = e;
                    }
                });
                Assert.Throws<InetSecurityException>(() => InetConnection.ConnectSecure("localhost", server.Port,
                    new InetCredentials { PskIdentity = "alice", PskKey = Hex(AliceKey) }, 10).Dispose(), "refused");
                server.Join();
                // Accept rethrows what the callback threw (or the binding's complaint about the key).
                Assert.True(thrown is InvalidOperationException, "Accept threw " + thrown);
            }
        }

        [Test]
        public static void ServerPskCallbackSurvivesGarbageCollection()
        {
            List<Exception> failures = new List<Exception>();
            ServerThread server = StartServerWithPskCallback(failures);
            for (int i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
            using (InetConnection client = InetConnection.ConnectSecure("localhost", server.Port,
                       new InetCredentials { PskIdentity = "alice", PskKey = Hex(AliceKey) }, 10))
            {
                Echo(client, "looked up by a collected-looking callback");
                client.WriteLine("quit");
            }
            server.Stop();
            Assert.True(failures.Count == 0, "server failures: " + Describe(failures));
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static ServerThread StartServerWithPskCallback(List<Exception> failures)
        {
            InetCredentials credentials = new InetCredentials();
            credentials.PskCallback = identity => identity == "alice" ? (byte[])AliceKey.Clone() : null;
            return ServerThread.StartAcceptLoop("127.0.0.1", InetOptions.Secure, credentials, failures);
        }

        [Test]
        public static void SecureFallback()
        {
            List<Exception> failures = new List<Exception>();
            ServerThread legacy = ServerThread.StartAcceptLoop("127.0.0.1", InetOptions.Secure | InetOptions.SecureFallback,
                                                               ServerCredentials(), failures);
            InetCredentials tls11 = TrustingCa();
            tls11.ProtocolMax = InetProtocol.Tls11;
            using (InetConnection client = InetConnection.ConnectSecure("localhost", legacy.Port, tls11, 10,
                                                                        InetOptions.SecureFallback))
            {
                Echo(client, "TLS 1.1 with SecureFallback");
                Assert.Equal(InetProtocol.Tls11, client.SecurityInfo.Protocol, "protocol");
                Assert.Equal("TLSv1.1", client.SecurityInfo.ProtocolName, "protocol name");
                client.WriteLine("quit");
            }
            // Without the option the default minimum is TLS 1.2, above this maximum.
            Assert.ThrowsInet(InetErrorCode.InvalidParameter,
                () => InetConnection.ConnectSecure("localhost", legacy.Port, tls11, 10).Dispose(), "TLS 1.1 without SecureFallback");
            legacy.Stop();

            // A server without the option refuses a TLS 1.1 client.
            List<Exception> modernFailures = new List<Exception>();
            ServerThread modern = StartTlsServer("server", modernFailures);
            Assert.ThrowsInet(InetErrorCode.SecurityProtocol,
                () => InetConnection.ConnectSecure("localhost", modern.Port, tls11, 10, InetOptions.SecureFallback).Dispose(),
                "TLS 1.1 client, modern server");
            modern.Stop();
            Assert.Equal(1, modernFailures.Count, "modern server failures: " + Describe(modernFailures));
            Assert.Equal(InetErrorCode.SecurityProtocol, ((InetException)modernFailures[0]).ErrorCode,
                         "modern server: " + Describe(modernFailures));
        }

        [Test]
        public static void SecureListenerDropsPlainClient()
        {
            List<Exception> failures = new List<Exception>();
            ServerThread server = StartTlsServer("server", failures);
            using (InetConnection plain = InetConnection.Connect("127.0.0.1", server.Port, 10))
            {
                plain.WriteLine("this is not a TLS ClientHello");
                Helpers.WaitFor(() => { lock (failures) { return failures.Count > 0; } }, 10000);
            }
            using (InetConnection client = InetConnection.ConnectSecure("localhost", server.Port, TrustingCa(), 10))
            {
                Echo(client, "the next client is served");
                client.WriteLine("quit");
            }
            server.Stop();
            Assert.Equal(1, failures.Count, "failed accepts: " + Describe(failures));
            Assert.True(failures[0] is InetSecurityException, "the plain client's accept: " + Describe(failures));
        }

        // ---- verification failures and how to accept them ----------------------------

        [Test]
        public static void UntrustedCertificate()
        {
            List<Exception> failures = new List<Exception>();
            ServerThread server = StartTlsServer("selfsigned", failures);

            InetException refused = Assert.ThrowsInet(InetErrorCode.CertificateUntrusted,
                () => InetConnection.ConnectSecure("localhost", server.Port, TrustingCa(), 10).Dispose(), "self-signed, verified");
            Assert.True(refused is InetCertificateException, "an InetCertificateException, got " + refused.GetType().Name);
            Assert.True(refused.NativeMessage.Length > 0, "the library explains: " + refused.Message);

            using (InetConnection client = InetConnection.ConnectSecure("localhost", server.Port, TrustingCa(), 10,
                                                                        InetOptions.TrustedSite))
            {
                Echo(client, "trusted site");
                Assert.True(client.IsSecure, "TrustedSite is still TLS");
                client.WriteLine("quit");
            }

            IList<InetVerifyError> errors;
            string fingerprint;
            InetCredentials query = TrustingCa();
            query.VerifyMode = InetVerifyMode.Query;
            using (InetConnection client = InetConnection.ConnectSecure("localhost", server.Port, query, 10))
            {
                Echo(client, "query mode");
                InetSecurityInfo info = client.SecurityInfo;
                errors = client.VerifyErrors;
                fingerprint = client.GetPeerCertificate().Fingerprint;
                Assert.True(errors.Count > 0, "VerifyErrors in QUERY mode");
                Assert.Equal(errors.Count, info.VerifyErrorCount, "VerifyErrorCount");
                Assert.True(info.VerifyResult != 0, "VerifyResult " + info.VerifyResult);
                foreach (InetVerifyError error in errors)
                {
                    Assert.True(error.Code > 0, "error code " + error);
                    Assert.Equal(0, error.Depth, "depth of " + error);
                    Assert.Equal(fingerprint, error.Fingerprint, "fingerprint of " + error);
                    Assert.True(error.Description.Length > 0, "description of " + error);
                }
                Assert.True(errors.Any(x => x.Code == info.VerifyResult), "VerifyResult is one of the errors");
                client.WriteLine("quit");
            }

            // The same problems for another certificate do not help.
            InetCredentials wrongIgnore = TrustingCa();
            wrongIgnore.Ignore(errors.Select(x => new InetVerifyError(x.Code, new string('A', 64), x.Depth, "")));
            Assert.ThrowsInet(InetErrorCode.CertificateUntrusted,
                () => InetConnection.ConnectSecure("localhost", server.Port, wrongIgnore, 10).Dispose(), "ignore entry for another certificate");

            InetCredentials ignore = TrustingCa();
            ignore.Ignore(errors);
            ignore.Ignore(errors);  // no duplicates
            Assert.Equal(string.Join(",", errors.Select(x => x.Code + ":" + fingerprint).Distinct()), ignore.IgnoreErrors,
                         "IgnoreErrors built from VerifyErrors");
            using (InetConnection client = InetConnection.ConnectSecure("localhost", server.Port, ignore, 10))
            {
                Echo(client, "ignored exactly these problems");
                client.WriteLine("quit");
            }
            server.Stop();
            Assert.Equal(2, failures.Count, "server-side failed accepts: " + Describe(failures));
            Assert.True(failures.All(f => f is InetSecurityException), "accept failures are TLS failures: " + Describe(failures));
        }

        [Test]
        public static void ValidityAndChainDepth()
        {
            // expired.pem, notyet.pem and deep.pem come from tests/tls/make-pki.sh only.
            if (!System.IO.File.Exists(Pki.Path("expired.pem")) || !System.IO.File.Exists(Pki.Path("deep.pem")))
            {
                Console.WriteLine("  (skipped: the PKI from " + Pki.Source + " has no expired/notyet/deep certificates)");
                return;
            }
            Tuple<string, InetErrorCode>[] cases =
            {
                Tuple.Create("expired", InetErrorCode.CertificateExpired),
                Tuple.Create("notyet", InetErrorCode.CertificateNotYetValid),
            };
            foreach (Tuple<string, InetErrorCode> c in cases)
            {
                List<Exception> failures = new List<Exception>();
                ServerThread server = StartTlsServer(c.Item1, failures);
                InetException e = Assert.ThrowsInet(c.Item2,
                    () => InetConnection.ConnectSecure("localhost", server.Port, TrustingCa(), 10).Dispose(), c.Item1);
                Assert.True(e is InetCertificateException, c.Item1 + ": an InetCertificateException");
                InetCredentials query = TrustingCa();
                query.VerifyMode = InetVerifyMode.Query;
                using (InetConnection client = InetConnection.ConnectSecure("localhost", server.Port, query, 10))
                {
                    InetCertificate certificate = client.GetPeerCertificate();
                    bool expired = c.Item1 == "expired";
                    Assert.True(expired ? certificate.NotAfter < DateTime.UtcNow : certificate.NotBefore > DateTime.UtcNow,
                                c.Item1 + ": " + certificate.NotBefore.ToString("o") + " .. " + certificate.NotAfter.ToString("o"));
                    Assert.True(client.VerifyErrors.Count > 0, c.Item1 + ": VerifyErrors");
                    client.WriteLine("quit");
                }
                server.Stop();
            }

            List<Exception> deepFailures = new List<Exception>();
            ServerThread deep = StartTlsServer("deep", deepFailures);
            using (InetConnection client = InetConnection.ConnectSecure("localhost", deep.Port, TrustingCa(), 10))
            {
                Assert.Equal(3, client.SecurityInfo.PeerCertificateCount, "deep chain as sent");
                Echo(client, "deep chain, default depth");
                client.WriteLine("quit");
            }
            // deep, intermediate 2, intermediate, root: 4 certificates.
            InetCredentials enough = TrustingCa();
            enough.VerifyDepth = 4;
            using (InetConnection client = InetConnection.ConnectSecure("localhost", deep.Port, enough, 10))
            {
                Echo(client, "deep chain, VerifyDepth 4");
                client.WriteLine("quit");
            }
            InetCredentials shallow = TrustingCa();
            shallow.VerifyDepth = 3;
            InetException tooLong = Assert.ThrowsInet(InetErrorCode.CertificateChainTooLong,
                () => InetConnection.ConnectSecure("localhost", deep.Port, shallow, 10).Dispose(), "VerifyDepth 3");
            Assert.True(tooLong is InetCertificateException, "CertificateChainTooLong is an InetCertificateException");
            deep.Stop();
        }

        [Test]
        public static void NameMismatchAndVerifyName()
        {
            List<Exception> failures = new List<Exception>();
            ServerThread server = StartTlsServer("wronghost", failures);
            InetException e = Assert.ThrowsInet(InetErrorCode.CertificateNameMismatch,
                () => InetConnection.ConnectSecure("localhost", server.Port, TrustingCa(), 10).Dispose(), "wrong host");
            Assert.True(e is InetCertificateException, "an InetCertificateException");

            InetCredentials query = TrustingCa();
            query.VerifyMode = InetVerifyMode.Query;
            string name;
            using (InetConnection client = InetConnection.ConnectSecure("localhost", server.Port, query, 10))
            {
                InetCertificate certificate = client.GetPeerCertificate();
                string dns = certificate.SubjectAltNames.FirstOrDefault(n => n.StartsWith("DNS:", StringComparison.Ordinal));
                name = dns != null ? dns.Substring(4) : Regex.Match(certificate.Subject, "CN=([^,]+)").Groups[1].Value;
                Assert.True(name.Length > 0 && name != "localhost", "the certificate's name: " + name);
                Assert.True(client.VerifyErrors.Count > 0, "QUERY mode reports the mismatch");
                client.WriteLine("quit");
            }
            InetCredentials verifyName = TrustingCa();
            verifyName.VerifyName = name;
            using (InetConnection client = InetConnection.ConnectSecure("localhost", server.Port, verifyName, 10))
            {
                Echo(client, "verified against " + name);
                Assert.Equal(0, client.SecurityInfo.VerifyResult, "VerifyResult with VerifyName");
                client.WriteLine("quit");
            }
            server.Stop();
        }

        // ---- STARTTLS -----------------------------------------------------------------

        [Test]
        public static void StartTlsBothSides()
        {
            string serverState = null;
            ServerThread server = ServerThread.Start(listener =>
            {
                using (InetConnection connection = listener.Accept(10))
                {
                    Assert.Equal("STARTTLS", connection.ReadLine(), "command");
                    connection.WriteLine("220 go ahead");
                    Assert.True(!connection.IsSecure, "server plain before StartTls");
                    connection.StartTls(InetOptions.None, ServerCredentials());
                    serverState = connection.SecurityInfo.ToString() + " local=" + connection.SecurityInfo.HasLocalCertificate;
                    string line;
                    while ((line = Helpers.ReadLineOrNull(connection)) != null && line != "quit")
                    {
                        connection.WriteLine(line);
                    }
                }
            });
            using (InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 10))
            {
                Assert.True(!client.SecurityInfo.IsSecure, "plain before StartTls");
                InetException e = Assert.ThrowsInet(InetErrorCode.SecurityNotEstablished, () => client.GetPeerCertificate(),
                                                    "certificate of a plain connection");
                Assert.True(e is InetSecurityException, "SecurityNotEstablished is an InetSecurityException");
                client.WriteLine("STARTTLS");
                Assert.Equal("220 go ahead", client.ReadLine(), "reply");
                client.StartTls(InetOptions.None, TrustingCa());
                Assert.True(client.IsSecure, "secure after StartTls");
                InetSecurityInfo info = client.SecurityInfo;
                Assert.Equal(InetProtocol.Tls13, info.Protocol, "protocol after StartTls");
                Assert.Equal(0, info.VerifyResult, "verified against 127.0.0.1");
                Assert.True(client.GetPeerCertificate().SubjectAltNames.Contains("IP:127.0.0.1"), "peer certificate");
                Echo(client, "after STARTTLS");
                Assert.ThrowsInet(InetErrorCode.NotSupported, () => client.StartTls(), "StartTls on a secure connection");
                Echo(client, "still fine");
                client.WriteLine("quit");
            }
            server.Join();
            Assert.True(serverState != null && serverState.StartsWith("TLSv1.3", StringComparison.Ordinal) &&
                        serverState.EndsWith("local=True", StringComparison.Ordinal), "server side: " + serverState);
        }

        [Test]
        public static void StartTlsVerifiesTheConnectHost()
        {
            ServerThread server = ServerThread.Start(listener =>
            {
                using (InetConnection connection = listener.Accept(10))
                {
                    connection.ReadLine();
                    connection.WriteLine("220 go ahead");
                    try
                    {
                        connection.StartTls(InetOptions.None, ServerCredentials("wronghost"));
                    }
                    catch (InetException)
                    {
                        // The client refuses the certificate.
                    }
                }
            });
            using (InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 10))
            {
                client.WriteLine("STARTTLS");
                client.ReadLine();
                InetException e = Assert.ThrowsInet(InetErrorCode.CertificateNameMismatch,
                                                    () => client.StartTls(InetOptions.None, TrustingCa()), "StartTls");
                Assert.True(e is InetCertificateException, "an InetCertificateException");
            }
            server.Join();
        }

        [Test]
        public static void PlaintextInjectionOnClient()
        {
            ServerThread server = ServerThread.Start(listener =>
            {
                using (InetConnection connection = listener.Accept(10))
                {
                    Assert.Equal("STARTTLS", connection.ReadLine(), "command");
                    // The reply and an injected command in one segment.
                    connection.Write(Helpers.Ascii("220 go ahead\r\nINJECTED COMMAND\r\n"));
                    Helpers.ReadLineOrNull(connection);
                }
            });
            using (InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 10))
            {
                client.WriteLine("STARTTLS");
                Assert.Equal("220 go ahead", client.ReadLine(), "reply");
                Assert.True(Helpers.WaitFor(() => client.Available >= 18, 5000), "the injected line has arrived");
                InetException e = Assert.ThrowsInet(InetErrorCode.PlaintextInjection,
                                                    () => client.StartTls(InetOptions.None, TrustingCa()), "StartTls");
                Assert.True(e is InetPlaintextInjectionException, "an InetPlaintextInjectionException, got " + e.GetType().Name);
                Assert.True(e is InetSecurityException, "an InetSecurityException too");
                Assert.True(!client.IsSecure, "still plain");
                Assert.Equal("INJECTED COMMAND", client.ReadLine(), "the injected bytes stay readable");
            }
            server.Join();
        }

        [Test]
        public static void PlaintextInjectionOnServer()
        {
            InetException serverError = null;
            string leftOver = null;
            ServerThread server = ServerThread.Start(listener =>
            {
                using (InetConnection connection = listener.Accept(10))
                {
                    Assert.Equal("STARTTLS", connection.ReadLine(), "command");
                    Assert.True(Helpers.WaitFor(() => connection.Available >= 7, 5000), "the injected line has arrived");
                    try
                    {
                        connection.StartTls(InetOptions.None, ServerCredentials());
                    }
                    catch (InetException e)
                    {
                        serverError = e;
                    }
                    leftOver = connection.ReadLine();
                }
            });
            using (InetConnection client = InetConnection.Connect("127.0.0.1", server.Port, 10))
            {
                client.Write(Helpers.Ascii("STARTTLS\r\nextra\r\n"));
                Assert.Equal(null, Helpers.ReadLineOrNull(client), "the server closes without sending anything");
            }
            server.Join();
            Assert.True(serverError is InetPlaintextInjectionException,
                        "server StartTls: " + (serverError == null ? "no exception" : serverError.GetType().Name + " " + serverError.Message));
            Assert.Equal("extra", leftOver, "the injected line stays readable on the server");
        }

        // ---- client certificates --------------------------------------------------------

        [Test]
        public static void ClientCertificateRequired()
        {
            List<Exception> failures = new List<Exception>();
            List<string> clientFingerprints = new List<string>();
            InetCredentials serverCredentials = ServerCredentials();
            serverCredentials.CaFile = Pki.Path("ca.pem");
            serverCredentials.VerifyMode = InetVerifyMode.Peer;
            ServerThread server = ServerThread.StartAcceptLoop("127.0.0.1", InetOptions.Secure, serverCredentials, failures,
                connection =>
                {
                    lock (clientFingerprints)
                    {
                        clientFingerprints.Add(connection.GetPeerCertificate().Fingerprint);
                    }
                });

            // Without a certificate: refused. With TLS 1.3 the client's handshake
            // is over before the server has checked the client's certificate, so
            // the client learns it from the server's alert, at its first read.
            // (It reads before writing: data sent to a server that has already
            // closed would make the kernel answer with a reset, and the alert
            // would be lost.)
            InetException refused = Assert.Throws<InetException>(() =>
            {
                using (InetConnection client = InetConnection.ConnectSecure("localhost", server.Port, TrustingCa(), 10))
                {
                    client.ReadLine();
                }
            }, "a client without a certificate");
            Assert.True(Helpers.WaitFor(() => { lock (failures) { return failures.Count == 1; } }, 5000),
                        "the server's accept failed");
            Assert.Equal(InetErrorCode.CertificateRequired, ((InetException)failures[0]).ErrorCode,
                         "server's error: " + failures[0].Message);
            Assert.True(failures[0] is InetCertificateException, "server: an InetCertificateException");

            // A certificate the server does not trust: refused too.
            InetCredentials untrusted = new InetCredentials(Pki.Path("selfsigned.pem"), Pki.Path("selfsigned.key"))
            {
                CaFile = Pki.Path("ca.pem"),
            };
            InetException untrustedError = Assert.Throws<InetException>(() =>
            {
                using (InetConnection client = InetConnection.ConnectSecure("localhost", server.Port, untrusted, 10))
                {
                    client.ReadLine();
                }
            }, "a client with an untrusted certificate");
            Assert.True(untrustedError is InetSecurityException, "client: an InetSecurityException, got " +
                        untrustedError.GetType().Name + " " + untrustedError.ErrorCode + ": " + untrustedError.Message);
            Assert.True(Helpers.WaitFor(() => { lock (failures) { return failures.Count == 2; } }, 5000),
                        "the server's accept failed");
            Assert.True(failures[1] is InetCertificateException, "server: an InetCertificateException, got " + Describe(failures));

            InetCredentials[] good =
            {
                new InetCredentials(Pki.Path("client.pem"), Pki.Path("client.key")) { CaFile = Pki.Path("ca.pem") },
                new InetCredentials(Pki.Path("client.p12"), null, Pki.P12Password) { CaFile = Pki.Path("ca.pem") },
                new InetCredentials(Pki.Path("client.pem"), Pki.Path("client-encrypted.key"), Pki.KeyPassword) { CaFile = Pki.Path("ca.pem") },
                new InetCredentials { CertificatePem = System.IO.File.ReadAllText(Pki.Path("client.pem")),
                                      PrivateKeyPem = System.IO.File.ReadAllText(Pki.Path("client.key")),
                                      CaFile = Pki.Path("ca.pem") },
            };
            string expected = Pki.Sha256Hex(Pki.FirstCertificateDer("client.pem"));
            for (int i = 0; i < good.Length; i++)
            {
                using (InetConnection client = InetConnection.ConnectSecure("localhost", server.Port, good[i], 10))
                {
                    Echo(client, "client certificate " + i);
                    InetSecurityInfo info = client.SecurityInfo;
                    Assert.True(info.HasLocalCertificate, "HasLocalCertificate, credentials " + i);
                    InetCertificate local = client.GetLocalCertificate();
                    Assert.Equal(expected, local.Fingerprint, "local certificate, credentials " + i);
                    Assert.True(local.Der.SequenceEqual(Pki.FirstCertificateDer("client.pem")), "local DER, credentials " + i);
                    client.WriteLine("quit");
                }
            }
            server.Stop();
            Assert.Equal(2, failures.Count, "server failures: " + Describe(failures));
            Assert.Equal(good.Length, clientFingerprints.Count, "clients the server saw");
            Assert.True(clientFingerprints.All(f => f == expected), "the server saw the client certificate");

            // Last, so that the rest runs whatever this says: the client without a
            // certificate gets INETKIT_ERROR_CERTIFICATE_REQUIRED from its read.
            Assert.Equal(InetErrorCode.CertificateRequired, refused.ErrorCode, "client's error: " + refused.Message);
            Assert.True(refused is InetCertificateException, "an InetCertificateException, got " + refused.GetType().Name);
        }

        // ---- credentials ------------------------------------------------------------------

        [Test]
        public static void CredentialsCheck()
        {
            ServerCredentials().Check(true);
            ServerCredentials().Check(false);
            new InetCredentials().Check(false);
            TrustingCa().Check(false);
            InetException noCertificate = Assert.Throws<InetException>(() => new InetCredentials().Check(true),
                                                                        "server credentials without a certificate");
            Assert.True(noCertificate.ErrorCode == InetErrorCode.SecurityCredentials ||
                        noCertificate.ErrorCode == InetErrorCode.InvalidParameter,
                        "server without a certificate: " + noCertificate.ErrorCode + " " + noCertificate.Message);

            string certificate = Pki.Path("client.pem");
            string encrypted = Pki.Path("client-encrypted.key");
            new InetCredentials(certificate, encrypted, Pki.KeyPassword).Check(false);
            InetException wrong = Assert.ThrowsInet(InetErrorCode.CertificateLoad,
                () => new InetCredentials(certificate, encrypted, "wrong").Check(false), "wrong key passphrase");
            Assert.True(wrong is InetCredentialsException, "an InetCredentialsException, got " + wrong.GetType().Name);
            Assert.ThrowsInet(InetErrorCode.CertificateLoad, () => new InetCredentials(certificate, encrypted).Check(false),
                              "no passphrase for an encrypted key");
            new InetCredentials(Pki.Path("client.p12"), null, Pki.P12Password).Check(true);
            Assert.ThrowsInet(InetErrorCode.CertificateLoad,
                              () => new InetCredentials(Pki.Path("client.p12"), null, "wrong").Check(false), "wrong PKCS#12 password");
            InetException mismatch = Assert.ThrowsInet(InetErrorCode.SecurityCredentials,
                () => new InetCredentials(certificate, Pki.Path("other.key")).Check(false), "key of another certificate");
            Assert.True(mismatch is InetCredentialsException, "an InetCredentialsException");
            Assert.ThrowsInet(InetErrorCode.CertificateLoad,
                              () => new InetCredentials(Pki.Path("missing.pem"), null).Check(false), "no such file");
            Assert.ThrowsInet(InetErrorCode.CertificateLoad,
                              () => new InetCredentials { CertificatePem = "not PEM" }.Check(false), "bad PEM text");
            Assert.ThrowsInet(InetErrorCode.InvalidParameter,
                              () => new InetCredentials { IgnoreErrors = "garbage" }.Check(false), "malformed IgnoreErrors");
            Assert.ThrowsInet(InetErrorCode.InvalidParameter,
                              () => new InetCredentials { PinnedPublicKey = "md5//abc" }.Check(false), "malformed pin");
            Assert.ThrowsInet(InetErrorCode.InvalidParameter,
                              () => new InetCredentials { PskIdentity = "id", PskKey = "not hex" }.Check(false), "malformed PSK key");
            Assert.Throws<ArgumentException>(() => new InetCredentials { CaFile = "a\0b" }.Check(false), "NUL in a string");

            // Listen and Connect check the credentials before any traffic.
            InetCredentials bad = new InetCredentials(certificate, encrypted, "wrong");
            Assert.ThrowsInet(InetErrorCode.CertificateLoad, () => InetListener.ListenSecure("127.0.0.1", 0, bad).Dispose(),
                              "ListenSecure with a wrong passphrase");
            using (InetListener listener = InetListener.Listen("127.0.0.1", 0))
            {
                Assert.ThrowsInet(InetErrorCode.CertificateLoad,
                    () => InetConnection.ConnectSecure("127.0.0.1", listener.LocalEndPoint.Port, bad, 5).Dispose(),
                    "ConnectSecure with a wrong passphrase");
            }

            // Credentials belong with InetOptions.Secure (plain now, StartTls later: no credentials).
            using (InetListener listener = InetListener.Listen("127.0.0.1", 0))
            {
                Assert.ThrowsInet(InetErrorCode.InvalidParameter,
                    () => InetConnection.Connect("127.0.0.1", listener.LocalEndPoint.Port, 5, InetOptions.None, TrustingCa()).Dispose(),
                    "credentials without Secure");
            }

            // InetCreateCredentials / InetDeleteCredentials.
            InetCredentials created = InetCredentials.Create(certificate, encrypted, Pki.KeyPassword);
            Assert.Equal(certificate, created.CertificateFile, "created CertificateFile");
            Assert.Equal(encrypted, created.PrivateKeyFile, "created PrivateKeyFile");
            Assert.Equal(Pki.KeyPassword, created.Password, "created Password");
            Assert.Equal(InetVerifyMode.Auto, created.VerifyMode, "created VerifyMode");
            Assert.True(created.CaFile == null && created.IgnoreErrors == null, "other members empty");
            created.Check(false);
            InetCredentials p12 = InetCredentials.Create(Pki.Path("client.p12"), null, Pki.P12Password);
            Assert.Equal(null, p12.PrivateKeyFile, "PKCS#12 needs no key file");
            Assert.ThrowsInet(InetErrorCode.CertificateLoad, () => InetCredentials.Create(certificate, encrypted, "wrong"),
                              "InetCreateCredentials with a wrong passphrase");

            // Dispose forgets the secrets.
            created.Dispose();
            Assert.Equal(null, created.Password, "Password after Dispose");
            Assert.Throws<ObjectDisposedException>(() => created.Check(false), "Check after Dispose");
        }

        // ---- verify callback ------------------------------------------------------------

        [Test]
        public static void VerifyCallback()
        {
            List<Exception> failures = new List<Exception>();
            ServerThread server = StartTlsServer("selfsigned", failures);
            int testThread = Thread.CurrentThread.ManagedThreadId;
            List<InetVerifyError> seen = new List<InetVerifyError>();
            int wrongThread = 0;
            InetCredentials accepting = TrustingCa();
            accepting.VerifyCallback = problem =>
            {
                if (Thread.CurrentThread.ManagedThreadId != testThread)
                {
                    wrongThread++;
                }
                seen.Add(problem);
                return true;
            };
            using (InetConnection client = InetConnection.ConnectSecure("localhost", server.Port, accepting, 10))
            {
                Echo(client, "accepted by the callback");
                string fingerprint = client.GetPeerCertificate().Fingerprint;
                Assert.True(seen.Count > 0, "the callback ran");
                Assert.Equal(0, wrongThread, "callbacks on another thread");
                Assert.True(seen.All(p => p.Depth == 0 && p.Fingerprint == fingerprint && p.Code > 0),
                            "problems: " + string.Join("; ", seen));
                client.WriteLine("quit");
            }

            InetCredentials refusing = TrustingCa();
            refusing.VerifyCallback = problem => false;
            InetException refused = Assert.Throws<InetException>(
                () => InetConnection.ConnectSecure("localhost", server.Port, refusing, 10).Dispose(), "callback returns false");
            Assert.True(refused is InetCertificateException, "refused by the callback: " + refused.GetType().Name + " " +
                        refused.ErrorCode + " " + refused.Message);

            InetCredentials throwing = TrustingCa();
            throwing.VerifyCallback = problem => { throw new InvalidOperationException("callback says no"); };
            InvalidOperationException thrown = Assert.Throws<InvalidOperationException>(
                () => InetConnection.ConnectSecure("localhost", server.Port, throwing, 10).Dispose(), "callback throws");
            Assert.Equal("callback says no", thrown.Message, "the callback's exception");

            // A trusted chain gives the callback nothing to decide.
            server.Stop();
            List<Exception> failures2 = new List<Exception>();
            ServerThread good = StartTlsServer("server", failures2);
            int calls = 0;
            InetCredentials counting = TrustingCa();
            counting.VerifyCallback = problem => { calls++; return false; };
            using (InetConnection client = InetConnection.ConnectSecure("localhost", good.Port, counting, 10))
            {
                Echo(client, "no problems");
                client.WriteLine("quit");
            }
            Assert.Equal(0, calls, "callback calls for a valid chain");
            good.Stop();
            Assert.Equal(2, failures.Count, "server failures with the self-signed certificate: " + Describe(failures));
        }

        [Test]
        public static void ServerVerifyCallbackSurvivesGarbageCollection()
        {
            List<Exception> failures = new List<Exception>();
            List<InetVerifyError> seen = new List<InetVerifyError>();
            ServerThread server = StartServerWithCallback(failures, seen);
            for (int i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
            // The client presents a self-signed certificate the server's CA did
            // not issue; the server's callback accepts it during Accept.
            InetCredentials selfSigned = new InetCredentials(Pki.Path("selfsigned.pem"), Pki.Path("selfsigned.key"))
            {
                CaFile = Pki.Path("ca.pem"),
            };
            using (InetConnection client = InetConnection.ConnectSecure("localhost", server.Port, selfSigned, 10))
            {
                Echo(client, "accepted by the server's callback");
                client.WriteLine("quit");
            }
            server.Stop();
            Assert.True(failures.Count == 0, "server failures: " + Describe(failures));
            string expected = Pki.Sha256Hex(Pki.FirstCertificateDer("selfsigned.pem"));
            lock (seen)
            {
                Assert.True(seen.Count > 0 && seen.All(p => p.Fingerprint == expected),
                            "the server's callback saw the client certificate: " + string.Join("; ", seen));
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static ServerThread StartServerWithCallback(List<Exception> failures, List<InetVerifyError> seen)
        {
            InetCredentials credentials = ServerCredentials();
            credentials.CaFile = Pki.Path("ca.pem");
            credentials.VerifyMode = InetVerifyMode.Peer;
            credentials.VerifyCallback = problem =>
            {
                lock (seen)
                {
                    seen.Add(problem);
                }
                return true;
            };
            return ServerThread.StartAcceptLoop("127.0.0.1", InetOptions.Secure, credentials, failures);
        }
    }
}
