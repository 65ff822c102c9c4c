// pop_bench's .NET column: the same session as pop_bench's C child
// "store-pipe", through the P/Invoke binding (bindings/dotnet/src) on Mono,
// timed inside the process from Connect to Dispose so that the runtime's
// start-up and JIT of Main do not count (the binding's own calls are JIT-ed
// inside the timed region, as an application would pay them once).
//
//   mono PopBindBench.exe PORT USER PASS plain|stls CAFILE OUTDIR
//
// Prints "ok SECONDS 0 STORED PROTOCOL CIPHER" (pop_bench counts the stored
// files and their bytes itself) or "err MESSAGE" and exits 1.
using System;
using System.Diagnostics;
using System.Globalization;
using Inetkit;

static class PopBindBench
{
    static int Main(string[] args)
    {
        if (args.Length != 6)
        {
            Console.Error.WriteLine("usage: PopBindBench.exe PORT USER PASS plain|stls CAFILE OUTDIR");
            return 2;
        }
        int port;
        if (!int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535)
        {
            Console.Error.WriteLine("PopBindBench: bad port '{0}'", args[0]);
            return 2;
        }
        bool tls = args[3] == "stls";
        try
        {
            Stopwatch watch = Stopwatch.StartNew();
            int stored;
            string proto = "-", cipher = "-";
            InetCredentials credentials = tls ? new InetCredentials { CaFile = args[4] } : null;
            using (PopClient pop = PopClient.Connect("127.0.0.1", port, 60,
                                                     tls ? PopOptions.SecureExplicit : PopOptions.None, credentials))
            {
                pop.Config("Pipelining", "on");
                pop.Login(args[1], args[2], PopAuth.Pass);
                stored = pop.StoreMany(args[5]);
                if (tls)
                {
                    InetSecurityInfo info = pop.SecurityInfo;
                    proto = info.ProtocolName;
                    cipher = info.CipherName;
                }
                pop.Quit();
            }
            watch.Stop();
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "ok {0:F6} 0 {1} {2} {3}",
                                            watch.Elapsed.TotalSeconds, stored, proto, cipher));
            return 0;
        }
        catch (InetException e)
        {
            Console.WriteLine("err .NET binding: " + e.Message);
            return 1;
        }
    }
}
