// InetSecurity.cs - what a secured connection reports: session details,
// verification problems and certificates.
using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography.X509Certificates;

namespace Inetkit
{
    /// <summary>Session details of a connection (InetGetSecurityInfo). On a
    /// plain connection <see cref="IsSecure"/> is false and the rest is empty.</summary>
    public sealed class InetSecurityInfo
    {
        internal InetSecurityInfo(NativeMethods.INETSECURITYINFO info)
        {
            Protocol = (InetProtocol)info.dwProtocol;
            ProtocolName = Utf8.DecodeFixed(info.szProtocol);
            CipherName = Utf8.DecodeFixed(info.szCipher);
            CipherBits = (int)Math.Min(info.dwCipherBits, (uint)int.MaxValue);
            Resumed = info.bResumed != 0;
            VerifyResult = unchecked((int)info.dwVerifyResult);
            VerifyErrorCount = (int)Math.Min(info.dwVerifyErrors, (uint)int.MaxValue);
            PeerCertificateCount = (int)Math.Min(info.dwPeerCertificates, (uint)int.MaxValue);
            HasLocalCertificate = info.bLocalCertificate != 0;
        }

        /// <summary>True once TLS is established.</summary>
        public bool IsSecure
        {
            get { return Protocol != InetProtocol.Default; }
        }

        /// <summary>The protocol version (<see cref="InetProtocol.Default"/> on a plain connection).</summary>
        public InetProtocol Protocol { get; private set; }

        /// <summary>OpenSSL's name of the protocol, e.g. "TLSv1.3".</summary>
        public string ProtocolName { get; private set; }

        /// <summary>The cipher, e.g. "TLS_AES_256_GCM_SHA384".</summary>
        public string CipherName { get; private set; }

        /// <summary>Secret bits of the cipher.</summary>
        public int CipherBits { get; private set; }

        /// <summary>The session was resumed from an earlier one.</summary>
        public bool Resumed { get; private set; }

        /// <summary>OpenSSL's X509_V_* result for the peer (0 = OK).</summary>
        public int VerifyResult { get; private set; }

        /// <summary>The number of problems seen during verification (see <see cref="InetConnection.VerifyErrors"/>).</summary>
        public int VerifyErrorCount { get; private set; }

        /// <summary>The number of certificates the peer sent (0 if none).</summary>
        public int PeerCertificateCount { get; private set; }

        /// <summary>We presented a certificate.</summary>
        public bool HasLocalCertificate { get; private set; }

        /// <summary>"TLSv1.3 TLS_AES_256_GCM_SHA384 (256 bits)", or "plain".</summary>
        public override string ToString()
        {
            return IsSecure
                ? string.Format(CultureInfo.InvariantCulture, "{0} {1} ({2} bits)", ProtocolName, CipherName, CipherBits)
                : "plain";
        }
    }

    /// <summary>One problem found while verifying the peer's certificate chain:
    /// an entry of <see cref="InetConnection.VerifyErrors"/>, or the argument of
    /// <see cref="InetCredentials.VerifyCallback"/>.</summary>
    public sealed class InetVerifyError
    {
        /// <summary>Creates an entry.</summary>
        public InetVerifyError(int code, string fingerprint, int depth, string description)
        {
            if (fingerprint == null)
            {
                throw new ArgumentNullException("fingerprint");
            }
            Code = code;
            Fingerprint = fingerprint;
            Depth = depth;
            Description = description ?? string.Empty;
        }

        /// <summary>OpenSSL's X509_V_ERR_* number (e.g. 18, self-signed certificate).</summary>
        public int Code { get; private set; }

        /// <summary>The SHA-256 fingerprint of the certificate concerned, upper-case hex.</summary>
        public string Fingerprint { get; private set; }

        /// <summary>The certificate's place in the chain (0 = the peer's own).</summary>
        public int Depth { get; private set; }

        /// <summary>OpenSSL's description of the problem (empty in a verify callback).</summary>
        public string Description { get; private set; }

        /// <summary>"ERROR:FINGERPRINT", the form <see cref="InetCredentials.IgnoreErrors"/> takes.</summary>
        public string IgnoreEntry
        {
            get { return Code.ToString(CultureInfo.InvariantCulture) + ":" + Fingerprint; }
        }

        /// <summary>Parses the lines of InetGetVerifyErrors, "ERROR:FINGERPRINT:DEPTH:description".</summary>
        internal static IList<InetVerifyError> ParseList(string text)
        {
            List<InetVerifyError> list = new List<InetVerifyError>();
            foreach (string raw in (text ?? string.Empty).Split('\n'))
            {
                string line = raw.TrimEnd('\r');
                if (line.Length == 0)
                {
                    continue;
                }
                string[] parts = line.Split(new[] { ':' }, 4);
                int code;
                int depth;
                if (parts.Length < 3
                    || !int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out code)
                    || !int.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out depth))
                {
                    throw new FormatException("inetkit returned a verify error line that does not parse: " + line);
                }
                list.Add(new InetVerifyError(code, parts[1], depth, parts.Length > 3 ? parts[3] : string.Empty));
            }
            return new ReadOnlyCollection<InetVerifyError>(list);
        }

        /// <summary>"ERROR:FINGERPRINT:DEPTH:description".</summary>
        public override string ToString()
        {
            return string.Format(CultureInfo.InvariantCulture, "{0}:{1}:{2}:{3}", Code, Fingerprint, Depth, Description);
        }
    }

    /// <summary>A certificate of a secured connection, read with
    /// InetGetCertificateInfo when it was requested (see
    /// <see cref="InetConnection.GetPeerCertificate"/>). A snapshot: it stays
    /// valid after the connection is closed.</summary>
    public sealed class InetCertificate
    {
        private readonly byte[] der;

        internal InetCertificate(string subject, string issuer, string serial, string notBefore, string notAfter,
                                 string subjectAltNames, string fingerprint, string pem, byte[] der, string publicKeyPin)
        {
            Subject = subject;
            Issuer = issuer;
            Serial = serial;
            NotBefore = ParseTime(notBefore);
            NotAfter = ParseTime(notAfter);
            SubjectAltNames = new ReadOnlyCollection<string>(
                (subjectAltNames ?? string.Empty).Split(',').Select(s => s.Trim()).Where(s => s.Length > 0).ToList());
            Fingerprint = fingerprint;
            Pem = pem;
            this.der = der;
            PublicKeyPin = publicKeyPin;
        }

        /// <summary>The subject's distinguished name (RFC 2253).</summary>
        public string Subject { get; private set; }

        /// <summary>The issuer's distinguished name (RFC 2253).</summary>
        public string Issuer { get; private set; }

        /// <summary>The serial number, upper-case hex.</summary>
        public string Serial { get; private set; }

        /// <summary>Start of validity (UTC).</summary>
        public DateTime NotBefore { get; private set; }

        /// <summary>End of validity (UTC).</summary>
        public DateTime NotAfter { get; private set; }

        /// <summary>The subject alternative names, e.g. "DNS:localhost", "IP:127.0.0.1".</summary>
        public IList<string> SubjectAltNames { get; private set; }

        /// <summary>SHA-256 of the DER encoding, upper-case hex.</summary>
        public string Fingerprint { get; private set; }

        /// <summary>The certificate in PEM.</summary>
        public string Pem { get; private set; }

        /// <summary>The certificate in DER (a copy on every read).</summary>
        public byte[] Der
        {
            get { return (byte[])der.Clone(); }
        }

        /// <summary>"sha256//BASE64" of the public key, the form
        /// <see cref="InetCredentials.PinnedPublicKey"/> takes.</summary>
        public string PublicKeyPin { get; private set; }

        /// <summary>The certificate as an <see cref="X509Certificate2"/>.</summary>
        public X509Certificate2 ToX509Certificate2()
        {
            return new X509Certificate2(der);
        }

        /// <summary>The subject.</summary>
        public override string ToString()
        {
            return Subject;
        }

        private static DateTime ParseTime(string text)
        {
            return DateTime.ParseExact(text, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture,
                                       DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
        }
    }
}
