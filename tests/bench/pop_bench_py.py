"""pop_bench's Python column: the same session as pop_bench's C child
"store-pipe", through the ctypes binding (bindings/python), timed inside the
process from connect to close so that Python's start-up does not count.

    python3 pop_bench_py.py PORT USER PASS plain|stls CAFILE OUTDIR

Prints "ok SECONDS 0 STORED PROTOCOL CIPHER" (pop_bench counts the stored
files and their bytes itself) or "err MESSAGE" and exits 1.
"""
import sys
import time

import inetkit


def main() -> int:
    if len(sys.argv) != 7:
        print("usage: pop_bench_py.py PORT USER PASS plain|stls CAFILE OUTDIR", file=sys.stderr)
        return 2
    port, user, password, mode, ca, outdir = sys.argv[1:]
    tls = mode == "stls"
    try:
        start = time.perf_counter()
        pop = inetkit.PopClient.connect("127.0.0.1", int(port), 60, secure="explicit" if tls else None,
                                        credentials=inetkit.Credentials(ca_file=ca) if tls else None)
        try:
            pop.config("Pipelining", "on")
            pop.login(user, password, inetkit.PopAuth.PASS)
            stored = pop.store_many(outdir)
            info = pop.security if tls else None
            pop.quit()
        finally:
            pop.close()
        elapsed = time.perf_counter() - start
    except inetkit.InetError as e:
        print(f"err python binding: {e}")
        return 1
    proto = info.protocol_name if info else "-"
    cipher = info.cipher if info else "-"
    print(f"ok {elapsed:.6f} 0 {stored} {proto} {cipher}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
