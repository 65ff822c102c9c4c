// Pki.cs - a throw-away PKI for the TLS tests, made once per run in a
// temporary directory: with the repository's tests/tls/make-pki.sh when it
// exists (INETKIT_REPO, set by run-tests.sh), otherwise with the openssl
// command line. INETKIT_TEST_PKI_DIR names a directory to make it in and keep
// instead. Either way the directory holds:
//   ca.pem                          the CA that issues the others
//   server.pem/.key                 for localhost, 127.0.0.1 and ::1
//   wronghost.pem/.key              from the CA, for another name
//   selfsigned.pem/.key             self-signed, for localhost, 127.0.0.1, ::1
//   client.pem/.key                 a client certificate from the CA
//   client.p12                      the same as PKCS#12, password "p12pass"
//   client-encrypted.key            client.key encrypted with "keypass"
//   other.key                       a key that matches none of the certificates
using System;
using System.Diagnostics;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Inetkit.Tests
{
    public static class Pki
    {
        public const string P12Password = "p12pass";
        public const string KeyPassword = "keypass";

        private static readonly string[] RequiredFiles =
        {
            "ca.pem", "server.pem", "server.key", "wronghost.pem", "wronghost.key", "selfsigned.pem",
            "selfsigned.key", "client.pem", "client.key", "client.p12", "client-encrypted.key", "other.key",
        };

        private static readonly object Lock = new object();
        private static string directory;

        /// <summary>How the PKI was made ("make-pki.sh" or "openssl").</summary>
        public static string Source { get; private set; }

        /// <summary>The full path of a PKI file, making the PKI on first use.</summary>
        public static string Path(string name)
        {
            lock (Lock)
            {
                if (directory == null)
                {
                    directory = Generate();
                }
                return System.IO.Path.Combine(directory, name);
            }
        }

        /// <summary>The DER bytes of the first certificate in a PEM file.</summary>
        public static byte[] FirstCertificateDer(string name)
        {
            Match m = Regex.Match(File.ReadAllText(Path(name)),
                                  "-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", RegexOptions.Singleline);
            Assert.True(m.Success, name + " holds no certificate");
            return Convert.FromBase64String(Regex.Replace(m.Groups[1].Value, "\\s", ""));
        }

        /// <summary>SHA-256 in upper-case hex.</summary>
        public static string Sha256Hex(byte[] data)
        {
            using (SHA256 sha = SHA256.Create())
            {
                return BitConverter.ToString(sha.ComputeHash(data)).Replace("-", "");
            }
        }

        private static string Generate()
        {
            // INETKIT_TEST_PKI_DIR: make the PKI there and keep it (for debugging).
            string dir = Environment.GetEnvironmentVariable("INETKIT_TEST_PKI_DIR");
            if (string.IsNullOrEmpty(dir))
            {
                dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "inetkit-dotnet-pki-" + Guid.NewGuid().ToString("N"));
                AppDomain.CurrentDomain.ProcessExit += delegate
                {
                    try
                    {
                        Directory.Delete(dir, true);
                    }
                    catch (Exception)
                    {
                    }
                };
            }
            Directory.CreateDirectory(dir);
            string repo = Environment.GetEnvironmentVariable("INETKIT_REPO");
            string script = string.IsNullOrEmpty(repo) ? null : System.IO.Path.Combine(repo, "tests/tls/make-pki.sh");
            if (script != null && File.Exists(script))
            {
                Run("bash", Quote(script) + " " + Quote(dir), repo);
                Source = "make-pki.sh";
            }
            else
            {
                GenerateWithOpenSsl(dir);
                Source = "openssl";
            }
            foreach (string file in RequiredFiles)
            {
                Assert.True(File.Exists(System.IO.Path.Combine(dir, file)), "the PKI (" + Source + ") lacks " + file);
            }
            return dir;
        }

        // EC P-256 keys: fast to make, and every TLS version supports them.
        private static void GenerateWithOpenSsl(string dir)
        {
            const string newKey = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
            const string localNames = "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1";
            OpenSsl(dir, "req -x509 " + newKey + " -keyout ca.key -out ca.pem -days 3650 -subj \"/CN=inetkit test CA\"" +
                         " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign");
            Issue(dir, "server", "/CN=localhost", localNames + "\nextendedKeyUsage=serverAuth\n");
            Issue(dir, "wronghost", "/CN=wrong.example", "subjectAltName=DNS:wrong.example\nextendedKeyUsage=serverAuth\n");
            Issue(dir, "client", "/CN=inetkit test client", "extendedKeyUsage=clientAuth\n");
            OpenSsl(dir, "req -x509 " + newKey + " -keyout selfsigned.key -out selfsigned.pem -days 825" +
                         " -subj /CN=localhost -addext " + localNames);
            OpenSsl(dir, "pkcs12 -export -in client.pem -inkey client.key -certfile ca.pem -out client.p12" +
                         " -passout pass:" + P12Password);
            OpenSsl(dir, "pkey -in client.key -aes256 -passout pass:" + KeyPassword + " -out client-encrypted.key");
            OpenSsl(dir, "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other.key");
        }

        private static void Issue(string dir, string name, string subject, string extensions)
        {
            File.WriteAllText(System.IO.Path.Combine(dir, name + ".ext"),
                              "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n" + extensions);
            OpenSsl(dir, "req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + name + ".key -out " + name +
                         ".csr -subj \"" + subject + "\"");
            OpenSsl(dir, "x509 -req -in " + name + ".csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 -sha256" +
                         " -extfile " + name + ".ext -out " + name + ".pem");
        }

        private static void OpenSsl(string dir, string arguments)
        {
            Run("openssl", arguments, dir);
        }

        private static void Run(string program, string arguments, string workingDirectory)
        {
            ProcessStartInfo start = new ProcessStartInfo(program, arguments);
            start.UseShellExecute = false;
            start.RedirectStandardOutput = true;
            start.RedirectStandardError = true;
            start.WorkingDirectory = workingDirectory;
            using (Process process = Process.Start(start))
            {
                StringBuilder output = new StringBuilder();
                process.OutputDataReceived += (sender, e) => { if (e.Data != null) { lock (output) { output.AppendLine(e.Data); } } };
                process.ErrorDataReceived += (sender, e) => { if (e.Data != null) { lock (output) { output.AppendLine(e.Data); } } };
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                Assert.True(process.WaitForExit(60000), program + " " + arguments + " did not finish");
                process.WaitForExit();
                if (process.ExitCode != 0)
                {
                    throw new AssertionException(program + " " + arguments + " failed (" + process.ExitCode + "): " + output);
                }
            }
        }

        private static string Quote(string argument)
        {
            return "\"" + argument.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
        }
    }
}
