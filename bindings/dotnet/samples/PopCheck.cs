// PopCheck.cs - the .NET twin of samples/popcheck.c: connect to a POP3 server
// with any security mode, log in, list unique ids and sizes, show headers,
// save messages, optionally delete them.
//
//   POP_PASSWORD=secret mono PopCheck.exe [options] HOST USER
//
// Build with samples/build.sh OUTDIR; run with libinetkit.so on LD_LIBRARY_PATH.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Inetkit;

internal static class PopCheck
{
    private const string Usage =
        "usage: PopCheck [options] HOST USER\n" +
        "  --port N            server port (default 110, or 995 with --implicit)\n" +
        "  --stls | --implicit TLS by STLS (required, never falls back) or from the first byte\n" +
        "  --ca FILE           trust this CA file too; --trusted-site skips verification\n" +
        "  --auth MECH         default|pass|apop|login|plain|cram-md5|scram-sha-1|scram-sha-256|xoauth2|oauthbearer\n" +
        "  --headers N         show the headers of the first N messages (default 3)\n" +
        "  --save DIR          save every message into DIR (one file each, complete or absent)\n" +
        "  --new SEEN          with --save: only messages whose unique id is not in the file SEEN\n" +
        "  --delete            delete the messages saved (committed by QUIT)\n" +
        "  --help              this text\n" +
        "The password is read from the environment variable POP_PASSWORD.\n" +
        "Exit status: 0 success, 1 failure, 2 bad usage.";

    // The --auth names, in the order of the POP_AUTH_* values.
    private static readonly string[] AuthNames =
    {
        "default", "pass", "apop", "login", "plain", "cram-md5", "scram-sha-1", "scram-sha-256", "xoauth2", "oauthbearer",
    };

    // What the program was doing, for the error line ("PopCheck: Login failed: ...").
    private static string step = "setup";

    private sealed class UsageException : Exception
    {
        public UsageException(string message) : base(message) { }
    }

    private static int Main(string[] args)
    {
        try
        {
            return Run(args);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine("PopCheck: " + e.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }
        catch (InetException e)
        {
            // Code, its name and the library's message for the call that failed.
            Console.Error.WriteLine("PopCheck: {0} failed: error {1} ({2}): {3}", step, (uint)e.ErrorCode, e.ErrorCode, e.Message);
            return 1;
        }
        catch (IOException e)
        {
            Console.Error.WriteLine("PopCheck: {0} failed: {1}", step, e.Message);
            return 1;
        }
        catch (DllNotFoundException e)
        {
            Console.Error.WriteLine("PopCheck: cannot load libinetkit (put its directory on LD_LIBRARY_PATH): " + e.Message);
            return 1;
        }
    }

    private static int Run(string[] args)
    {
        int port = 0;
        int headers = 3;
        PopOptions options = PopOptions.None;
        PopAuth auth = PopAuth.Default;
        string ca = null, save = null, seen = null;
        bool delete = false;
        List<string> positional = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            switch (a)
            {
                case "--help":
                case "-h":
                    Console.WriteLine(Usage);
                    return 0;
                case "--port":
                    port = Number(args, ref i, 1, 65535);
                    break;
                case "--stls":
                    options |= PopOptions.SecureExplicit;
                    break;
                case "--implicit":
                    options |= PopOptions.SecureImplicit;
                    break;
                case "--trusted-site":
                    options |= PopOptions.TrustedSite;
                    break;
                case "--ca":
                    ca = Value(args, ref i);
                    break;
                case "--auth":
                    int index = Array.IndexOf(AuthNames, Value(args, ref i).ToLowerInvariant());
                    if (index < 0)
                    {
                        throw new UsageException("--auth: unknown mechanism " + args[i]);
                    }
                    auth = (PopAuth)index;
                    break;
                case "--headers":
                    headers = Number(args, ref i, 0, int.MaxValue);
                    break;
                case "--save":
                    save = Value(args, ref i);
                    break;
                case "--new":
                    seen = Value(args, ref i);
                    break;
                case "--delete":
                    delete = true;
                    break;
                default:
                    if (a.StartsWith("-", StringComparison.Ordinal) || positional.Count == 2)
                    {
                        throw new UsageException("unexpected argument " + a);
                    }
                    positional.Add(a);
                    break;
            }
        }
        if (positional.Count != 2)
        {
            throw new UsageException("HOST and USER are required");
        }
        if ((options & PopOptions.SecureExplicit) != 0 && (options & PopOptions.SecureImplicit) != 0)
        {
            throw new UsageException("--stls and --implicit exclude each other");
        }
        if ((seen != null || delete) && save == null)
        {
            throw new UsageException("--new and --delete need --save");
        }
        if (delete && seen != null)
        {
            throw new UsageException("--delete deletes every message saved, so it does not go with --new");
        }
        string password = Environment.GetEnvironmentVariable("POP_PASSWORD");
        if (password == null)
        {
            throw new UsageException("set the password in the environment variable POP_PASSWORD");
        }
        if (save != null && !Directory.Exists(save))
        {
            throw new UsageException("--save: no directory " + save);
        }

        bool secure = (options & (PopOptions.SecureExplicit | PopOptions.SecureImplicit)) != 0;
        InetCredentials trust = secure ? new InetCredentials { CaFile = ca } : null;
        step = "Connect";
        using (PopClient pop = PopClient.Connect(positional[0], port, 10, options, trust))
        {
            InetSecurityInfo info = pop.SecurityInfo;
            if (info.IsSecure)
            {
                Console.WriteLine("connected with {0}, {1}; server certificate verified{2}", info.ProtocolName,
                                  info.CipherName, (options & PopOptions.TrustedSite) != 0 ? " (not: trusted site)" : "");
            }
            else
            {
                Console.WriteLine("connected in plaintext");
            }
            string sasl = pop.GetCapability("SASL");
            if (sasl != null)
            {
                Console.WriteLine("SASL mechanisms: " + sasl);
            }
            step = "Login";
            pop.Login(positional[1], password, auth);
            step = "listing";

            (int count, long octets) = pop.Stat();
            IReadOnlyList<PopMessageInfo> messages = pop.List();
            Console.WriteLine("{0} messages, {1} octets", count, octets);
            foreach (PopMessageInfo m in messages)
            {
                Console.WriteLine("  {0,4}  {1,10}  {2}", m.Number, m.Size, m.Uid);
                if (m.Number <= headers)
                {
                    step = "GetHeaders";
                    ShowHeaders(pop.GetHeaders(m.Number));
                }
            }
            if (save != null)
            {
                step = "storing";
                int stored = seen != null ? pop.StoreNew(seen, save) : pop.StoreMany(save);
                Console.WriteLine("saved {0} message(s) into {1}", stored, save);
                if (delete && messages.Count > 0)
                {
                    step = "DeleteMany";
                    int deleted = pop.DeleteMany(messages.Select(m => m.Number));
                    Console.WriteLine("deleted {0} message(s)", deleted);
                }
            }
            // QUIT commits the deletions; Dispose alone would too on this
            // thread, but a failed QUIT should be reported.
            step = "Quit";
            pop.Quit();
        }
        return 0;
    }

    // Prints the Subject, From and Date lines of a header block (folded lines
    // are shown as their first line, as the C sample does).
    private static void ShowHeaders(byte[] block)
    {
        string text = new UTF8Encoding(false, false).GetString(block);
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.StartsWith("Subject:", StringComparison.OrdinalIgnoreCase)
                || line.StartsWith("From:", StringComparison.OrdinalIgnoreCase)
                || line.StartsWith("Date:", StringComparison.OrdinalIgnoreCase))
            {
                Console.WriteLine("      " + line);
            }
        }
    }

    private static string Value(string[] args, ref int i)
    {
        if (i + 1 >= args.Length)
        {
            throw new UsageException(args[i] + " needs a value");
        }
        return args[++i];
    }

    private static int Number(string[] args, ref int i, int min, int max)
    {
        string option = args[i];
        int value;
        if (!int.TryParse(Value(args, ref i), out value) || value < min || value > max)
        {
            throw new UsageException(string.Format("{0} takes a number from {1} to {2}", option, min, max));
        }
        return value;
    }
}
