// MxLookup.cs - the .NET twin of samples/mxlookup.c: where does mail for an
// address or a domain go? Prints the delivery plan MxResolver finds for each
// name: the exchangers in the order to try them, with preference, TTL and
// flags, optionally their addresses, or the error with its code and message.
//
//   mono MxLookup.exe [options] NAME...
//   mono MxLookup.exe [options] -f FILE
//
// Synchronously (the default) Lookup blocks for each name in turn. With
// --async the resolver's TimeoutSeconds is 0: every name is submitted at once
// and the results are taken with NextResult in the order they finish.
using System;
using System.Collections.Generic;
using System.IO;
using Inetkit;

internal static class MxLookup
{
    private const string Usage =
        "usage: MxLookup [options] NAME...\n" +
        "       MxLookup [options] -f FILE\n" +
        "Finds the mail exchangers of each NAME: an address (user@example.com,\n" +
        "user@[192.0.2.1], user@[IPv6:2001:db8::1]) or a domain, internationalised\n" +
        "names included, and prints the delivery plan in the order to try it.\n" +
        "  --server ADDR[:PORT]  DNS server(s) to ask, comma-separated (\"127.0.0.1:5300\",\n" +
        "                        \"[::1]:53\"); default: those of /etc/resolv.conf\n" +
        "  --port N              port of the servers given without one (default 53)\n" +
        "  --async               submit every name at once, print results as they finish\n" +
        "  --addresses           also look up each exchanger's A and AAAA addresses\n" +
        "  --timeout S           seconds allowed for each name (default 10)\n" +
        "  --seed N              repeatable order among equal preferences (0, the default: random)\n" +
        "  --config NAME=VALUE   any other resolver setting (repeatable), e.g. ImplicitMX=off\n" +
        "  -f FILE               read names from FILE, one a line (\"-\": stdin; blank lines\n" +
        "                        and lines starting with # are skipped)\n" +
        "  --help                this text\n" +
        "Exit status: 0 every name resolved, 1 some failed, 2 bad usage.";

    private sealed class UsageException : Exception
    {
        public UsageException(string message, bool showUsage = true) : base(message)
        {
            ShowUsage = showUsage;
        }

        // False when the library refused a well-formed option: its message says enough.
        public bool ShowUsage { get; private set; }
    }

    private static int Main(string[] args)
    {
        try
        {
            return Run(args);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine("MxLookup: " + e.Message);
            if (e.ShowUsage)
            {
                Console.Error.WriteLine(Usage);
            }
            return 2;
        }
        catch (InetException e)
        {
            Console.Error.WriteLine("MxLookup: error {0} ({1}): {2}", (uint)e.ErrorCode, e.ErrorCode, e.Message);
            return 1;
        }
        catch (DllNotFoundException e)
        {
            Console.Error.WriteLine("MxLookup: cannot load libinetkit (put its directory on LD_LIBRARY_PATH): " + e.Message);
            return 1;
        }
    }

    private static int Run(string[] args)
    {
        string server = null;
        int port = 0, timeout = 10;
        uint? seed = null;
        bool async = false, addresses = false;
        List<string> configs = new List<string>();
        List<string> names = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            switch (a)
            {
                case "--help":
                case "-h":
                    Console.WriteLine(Usage);
                    return 0;
                case "--server":
                    server = Value(args, ref i);
                    break;
                case "--port":
                    port = Number(args, ref i, 1, 65535);
                    break;
                case "--timeout":
                    timeout = Number(args, ref i, 1, 3600);
                    break;
                case "--seed":
                    uint parsed;
                    if (!uint.TryParse(Value(args, ref i), out parsed))
                    {
                        throw new UsageException("--seed takes a number");
                    }
                    seed = parsed;
                    break;
                case "--config":
                    configs.Add(Value(args, ref i));
                    break;
                case "--async":
                    async = true;
                    break;
                case "--addresses":
                    addresses = true;
                    break;
                case "-f":
                    ReadNames(Value(args, ref i), names);
                    break;
                case "--":
                    names.AddRange(new ArraySegment<string>(args, i + 1, args.Length - i - 1));
                    i = args.Length;
                    break;
                default:
                    if (a.StartsWith("-", StringComparison.Ordinal) && a.Length > 1)
                    {
                        throw new UsageException("unknown or incomplete option " + a);
                    }
                    names.Add(a);
                    break;
            }
        }
        if (names.Count == 0)
        {
            throw new UsageException("no name to look up");
        }

        using (MxResolver mx = new MxResolver())
        {
            // A setting the library refuses is a usage error: say which option and why.
            Apply("--port", () => { if (port != 0) mx.DnsPort = port; });
            Apply("--server", () => { if (server != null) mx.DnsServer = server; });
            Apply("--addresses", () => { if (addresses) mx.Config("ResolveAddresses", true); });
            Apply("--seed", () => { if (seed.HasValue) mx.Config("ShuffleSeed", (long)seed.Value); });
            foreach (string setting in configs)
            {
                int equals = setting.IndexOf('=');
                if (equals <= 0)
                {
                    throw new UsageException("--config takes NAME=VALUE: " + setting);
                }
                Apply("--config " + setting, () => mx.Config(setting.Substring(0, equals), setting.Substring(equals + 1)));
            }
            // Synchronous: TimeoutSeconds bounds each Lookup. Asynchronous: 0 makes
            // Submit queue the request, and AbsoluteTimeout bounds each request.
            Apply("--timeout", () =>
            {
                mx.TimeoutSeconds = async ? 0 : timeout;
                if (async)
                {
                    mx.Config("AbsoluteTimeout", timeout * 1000L);
                }
            });
            string servers = mx.DnsServer;
            Console.WriteLine("; DNS server{0}: {1}{2}", servers.Contains(",") ? "s" : "",
                              servers.Length > 0 ? servers : "(none found)",
                              async ? "; asynchronous, results in the order they finish" : "");
            Console.WriteLine();
            return async ? RunAsynchronous(mx, names, timeout) : RunSynchronous(mx, names);
        }
    }

    private static int RunSynchronous(MxResolver mx, List<string> names)
    {
        bool failed = false;
        foreach (string name in names)
        {
            try
            {
                // Lookup returns failed outcomes as results; it throws only when
                // no request was made (a malformed name, no DNS server).
                failed |= !Print(mx.Lookup(name), name);
            }
            catch (InetException e)
            {
                Refused(name, e);
                failed = true;
            }
        }
        return failed ? 1 : 0;
    }

    private static int RunAsynchronous(MxResolver mx, List<string> names, int timeout)
    {
        bool failed = false;
        Dictionary<uint, string> sent = new Dictionary<uint, string>();
        foreach (string name in names)
        {
            try
            {
                sent[mx.Submit(name)] = name;
            }
            catch (InetException e)
            {
                Refused(name, e);   // refused before anything was sent: no result will come
                failed = true;
            }
        }
        int pending = sent.Count;
        try
        {
            for (; pending > 0; pending--)
            {
                MxResult result = mx.NextResult(timeout * 1000 + 5000);
                if (result == null)
                {
                    break;          // nothing left in flight
                }
                string name;
                failed |= !Print(result, sent.TryGetValue(result.RequestId, out name) ? name : "(unknown request)");
            }
        }
        catch (InetTimeoutException e)
        {
            Console.Error.WriteLine("MxLookup: NextResult: error {0} ({1}): {2}", (uint)e.ErrorCode, e.ErrorCode, e.Message);
        }
        if (pending > 0)
        {
            Console.Error.WriteLine("MxLookup: {0} request(s) without a result", pending);
            failed = true;
        }
        return failed ? 1 : 0;
    }

    // Prints one result: the plan, or why there is none. True when it has a plan.
    private static bool Print(MxResult result, string name)
    {
        Console.WriteLine(name);
        if (name != result.Domain)
        {
            Console.WriteLine("  domain: " + result.Domain);
        }
        if (result.CanonicalName != null)
        {
            Console.WriteLine("  alias of: " + result.CanonicalName);
        }
        if (!result.IsSuccess)
        {
            Console.WriteLine("  FAILED: error {0} {1} (RCODE {2})", (uint)result.Error, result.Error, RcodeText(result.Status));
            Console.WriteLine("  " + result.Message);
            Console.WriteLine();
            return false;
        }
        Console.Write("  {0} exchanger{1}, ", result.Records.Count, result.Records.Count == 1 ? "" : "s");
        if (result.DnsServer.Length > 0)
        {
            Console.Write("answer from {0} ({1}RCODE {2})", result.DnsServer,
                          result.IsAuthoritative ? "authoritative, " : "", RcodeText(result.Status));
        }
        else
        {
            Console.Write("no DNS query needed");
        }
        Console.WriteLine(", {0} ms", (long)result.Elapsed.TotalMilliseconds);
        if ((result.Flags & MxResultFlags.Truncated) != 0)
        {
            Console.WriteLine("  the UDP answer was truncated; fetched again over TCP");
        }
        if ((result.Flags & MxResultFlags.RecordsDropped) != 0)
        {
            Console.WriteLine("  some exchangers were left out: invalid host names, or more than MaxRecords");
        }
        foreach (MxRecord r in result.Records)
        {
            Console.Write("  #{0,-2} preference {1,-5} ttl {2,-7} {3}  {4}", r.Index + 1, r.Preference,
                          (long)r.TimeToLive.TotalSeconds, r.IsAuthoritative ? "AA" : "--", r.MailServer);
            if (r.IsImplicit) Console.Write("  [implicit: the domain itself, it has no MX]");
            if (r.IsLiteral) Console.Write("  [literal: no lookup]");
            if ((r.Flags & MxRecordFlags.Alias) != 0) Console.Write("  [alias: a CNAME, which RFC 2181 forbids here]");
            if ((r.Flags & MxRecordFlags.NoAddress) != 0) Console.Write("  [no address]");
            Console.WriteLine();
            foreach (MxAddress address in r.Addresses)
            {
                Console.WriteLine("        IPv{0} {1,-39} ttl {2}", address.Family, address.Address,
                                  (long)address.TimeToLive.TotalSeconds);
            }
        }
        Console.WriteLine();
        return true;
    }

    private static void Refused(string name, InetException e)
    {
        Console.WriteLine(name);
        Console.WriteLine("  REFUSED: error {0} {1}", (uint)e.ErrorCode, e.ErrorCode);
        Console.WriteLine("  " + e.Message);
        Console.WriteLine();
    }

    // The RCODE texts of MxStatus, as the C sample prints them.
    private static string RcodeText(MxStatus status)
    {
        switch (status)
        {
            case MxStatus.Ok: return "Ok";
            case MxStatus.FormatError: return "Format error";
            case MxStatus.ServerFailure: return "Server failure";
            case MxStatus.NameError: return "Name error";
            case MxStatus.NotImplemented: return "Not implemented";
            case MxStatus.Refused: return "Refused";
            case MxStatus.NoAnswer: return "no answer";
            default: return "other RCODE";
        }
    }

    private static void Apply(string option, Action apply)
    {
        try
        {
            apply();
        }
        catch (InetException e)
        {
            throw new UsageException(option + ": " + e.Message, false);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(option + ": " + e.Message, false);
        }
    }

    private static void ReadNames(string path, List<string> names)
    {
        TextReader reader;
        try
        {
            reader = path == "-" ? Console.In : new StreamReader(path);
        }
        catch (IOException e)
        {
            throw new UsageException(path + ": " + e.Message);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UsageException(path + ": " + e.Message);
        }
        using (reader)
        {
            string line;
            while ((line = reader.ReadLine()) != null)
            {
                line = line.Trim(' ', '\t');
                if (line.Length > 0 && line[0] != '#')
                {
                    names.Add(line);
                }
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
