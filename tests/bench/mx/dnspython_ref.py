#!/usr/bin/python3
"""dnspython contender of the MX benchmark (see ../mx_bench.c and ../README.md).

    dnspython_ref.py --server ADDR --port N --names FILE --mode sync|asyncio
                     [--window N] [--zone ZONE]

sync:    dns.resolver.Resolver(configure=False).resolve(name, "MX"), one at a time.
asyncio: dns.asyncresolver.Resolver(configure=False).resolve(name, "MX"), at most
         --window (default 64) in flight, held by a semaphore; one task per name.

No cache (dnspython has none unless one is set), no search list, EDNS(0) with a
1232-byte payload as inetkit and the c-ares reference offer. Every answer is
checked against the rule mx_bench used to write the zone; the last line of
stdout is "RESULT total=N correct=C failed=F secs=S", S timed from the first
query to the last answer. Exit status 0 when every answer is correct, else 1.
"""

import argparse
import asyncio
import sys
import time

import dns.asyncresolver
import dns.exception
import dns.resolver


def expected(zone, name):
    """(pref1, exchanger1, pref2, exchanger2) of d<i>.<zone>, or None."""
    head, _, rest = name.partition(".")
    if rest != zone or not head.startswith("d") or not head[1:].isdigit():
        return None
    i = int(head[1:])
    return (10 + i % 10, "mx-%d.%s" % (i, zone), 20 + i % 10, "backup%d.example.net" % (i % 3))


class Checker:
    def __init__(self, zone):
        self.zone = zone
        self.correct = 0
        self.failed = 0
        self.reported = 0

    def wrong(self, name, why):
        if self.reported < 5:
            print("dnspython_ref: %s: %s" % (name, why), file=sys.stderr)
        self.reported += 1

    def check(self, name, answer):
        records = sorted((r.preference, r.exchange.to_text(omit_final_dot=True).lower()) for r in answer)
        want = expected(self.zone, name)
        if want and records == [(want[0], want[1]), (want[2], want[3])]:
            self.correct += 1
        else:
            self.wrong(name, "unexpected exchangers %r" % (records,))

    def fail(self, name, error):
        self.failed += 1
        self.wrong(name, "%s: %s" % (type(error).__name__, error))


def configure(resolver, args):
    resolver.nameservers = [args.server]
    resolver.port = args.port
    resolver.timeout = 2.0  # per try, as inetkit's QueryTimeout default
    resolver.lifetime = 10.0
    resolver.use_edns(0, 0, 1232)
    resolver.use_search_by_default = False
    return resolver


def run_sync(args, names, checker):
    resolver = configure(dns.resolver.Resolver(configure=False), args)
    start = time.monotonic()
    for name in names:
        try:
            checker.check(name, resolver.resolve(name, "MX", search=False))
        except dns.exception.DNSException as error:
            checker.fail(name, error)
    return time.monotonic() - start


async def run_asyncio(args, names, checker):
    resolver = configure(dns.asyncresolver.Resolver(configure=False), args)
    window = asyncio.Semaphore(args.window)

    async def one(name):
        async with window:
            try:
                checker.check(name, await resolver.resolve(name, "MX", search=False))
            except dns.exception.DNSException as error:
                checker.fail(name, error)

    start = time.monotonic()
    await asyncio.gather(*(one(name) for name in names))
    return time.monotonic() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--port", type=int, default=53)
    parser.add_argument("--names", required=True)
    parser.add_argument("--mode", choices=("sync", "asyncio"), required=True)
    parser.add_argument("--window", type=int, default=64)
    parser.add_argument("--zone", default="mxbench.test")
    args = parser.parse_args()
    with open(args.names, encoding="ascii") as f:
        names = [line.strip() for line in f if line.strip()]
    checker = Checker(args.zone)
    if args.mode == "sync":
        secs = run_sync(args, names, checker)
    else:
        secs = asyncio.run(run_asyncio(args, names, checker))
    print("RESULT total=%d correct=%d failed=%d secs=%.6f" % (len(names), checker.correct, checker.failed, secs))
    return 0 if checker.correct == len(names) else 1


if __name__ == "__main__":
    sys.exit(main())
