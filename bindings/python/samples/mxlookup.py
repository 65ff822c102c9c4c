#!/usr/bin/env python3
"""mxlookup.py: where does mail for an address or a domain go? Prints the
whole delivery plan inetkit's MX resolver finds for each name: the
exchangers in the order to try them, with preference, TTL and flags,
optionally their addresses, or the error, its name and its message.

The Python twin of samples/mxlookup.c:

    mxlookup.py --server 127.0.0.1:5300 --addresses user@example.org bücher.example
    mxlookup.py --async -f names.txt

Synchronously (the default), each name is resolved in turn
(MxResolver.lookup). With --async the resolver's timeout is 0: every name is
submitted at once and the results are taken in the order they finish
(MxResolver.results).

Exit status: 0 every name resolved, 1 some failed, 2 bad usage.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

try:
    import inetkit
except ImportError:  # run from a source tree without installing: the package is one level up
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import inetkit

from inetkit import ErrorCode, InetError, MxResolver, MxResult, MxStatus

PROG = "mxlookup.py"
RCODE_TEXT = {MxStatus.OK: "Ok", MxStatus.FORMAT_ERROR: "Format error",
              MxStatus.SERVER_FAILURE: "Server failure", MxStatus.NAME_ERROR: "Name error",
              MxStatus.NOT_IMPLEMENTED: "Not implemented", MxStatus.REFUSED: "Refused",
              MxStatus.NO_ANSWER: "no answer"}


def bounded(low: int, high: int, what: str):
    """argparse type: an integer in [low, high]."""
    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what} takes {low}-{high}, not {value}")
        return value
    return convert


def setting(text: str) -> Tuple[str, str]:
    """argparse type: NAME=VALUE."""
    name, equals, value = text.partition("=")
    if not equals or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, not {text!r}")
    return name, value


def read_names(path: str) -> List[str]:
    """One name a line; blank lines and lines starting with # are skipped. "-": stdin."""
    text = sys.stdin.read() if path == "-" else Path(path).read_text("utf-8")
    names = (line.strip() for line in text.splitlines())
    return [name for name in names if name and not name.startswith("#")]


def parse_arguments(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Find the mail exchangers of each NAME: an address (user@example.com, "
                    "user@[192.0.2.1], user@[IPv6:2001:db8::1]) or a domain, internationalised "
                    "names included, and print the delivery plan in the order to try it.",
        epilog="Exit status: 0 every name resolved, 1 some failed, 2 bad usage.")
    parser.add_argument("names", nargs="*", metavar="NAME", help="address or domain")
    parser.add_argument("--server", metavar="ADDR[:PORT]",
                        help='DNS server(s) to ask, comma-separated ("127.0.0.1:5300", '
                             '"[::1]:53"); default: those of /etc/resolv.conf')
    parser.add_argument("--port", type=bounded(1, 65535, "--port"),
                        help="port of the servers given without one (default 53)")
    parser.add_argument("--async", dest="asynchronous", action="store_true",
                        help="submit every name at once, print results as they finish")
    parser.add_argument("--addresses", action="store_true",
                        help="also look up each exchanger's A and AAAA addresses")
    parser.add_argument("--timeout", type=bounded(1, 3600, "--timeout"), default=10,
                        help="seconds allowed for each name (default 10)")
    parser.add_argument("--seed", type=bounded(0, 0xFFFFFFFF, "--seed"),
                        help="repeatable order among equal preferences (0: random)")
    parser.add_argument("--config", type=setting, action="append", default=[],
                        metavar="NAME=VALUE",
                        help="any other resolver setting (repeatable), e.g. ImplicitMX=off")
    parser.add_argument("-f", dest="file", metavar="FILE",
                        help='read names from FILE, one a line ("-": stdin)')
    arguments = parser.parse_args(argv)
    if arguments.file:
        try:
            arguments.names += read_names(arguments.file)
        except (OSError, UnicodeDecodeError) as error:
            parser.error(f"-f: {error}")
    if not arguments.names:
        parser.error("no name to look up")
    return arguments


def code_name(code: int) -> str:
    """'11001 HOST_NOT_FOUND'."""
    try:
        return f"{int(code)} {ErrorCode(code).name}"
    except ValueError:
        return f"{int(code)} unknown error"


def print_refused(name: str, error: InetError) -> None:
    """A name the library refused before asking anything (malformed, ...)."""
    print(f"{name}\n  REFUSED: error {code_name(error.code)}\n  {error.message}\n")


def print_result(name: str, result: MxResult) -> bool:
    """Print the plan, or why there is none; True when there is one."""
    print(name)
    if result.domain != name:
        print(f"  domain: {result.domain}")
    if result.canonical_name:
        print(f"  alias of: {result.canonical_name}")
    rcode = RCODE_TEXT.get(result.status, "other RCODE")  # type: ignore[call-overload]
    if not result.ok:
        print(f"  FAILED: error {code_name(result.error)} (RCODE {rcode})\n  {result.message}\n")
        return False
    count = len(result.records)
    line = f"  {count} exchanger{'' if count == 1 else 's'}, "
    if result.dns_server:
        authoritative = "authoritative, " if result.authoritative else ""
        line += f"answer from {result.dns_server} ({authoritative}RCODE {rcode})"
    else:
        line += "no DNS query needed"
    print(f"{line}, {round(result.elapsed * 1000)} ms")
    if result.flags & inetkit.MxResultFlags.TRUNCATED:
        print("  the UDP answer was truncated; fetched again over TCP")
    if result.flags & inetkit.MxResultFlags.RECORDS_DROPPED:
        print("  some exchangers were left out: invalid host names, or more than MaxRecords")
    for record in result.records:
        notes = ""
        if record.implicit:
            notes += "  [implicit: the domain itself, it has no MX]"
        if record.literal:
            notes += "  [literal: no lookup]"
        if record.alias:
            notes += "  [alias: a CNAME, which RFC 2181 forbids here]"
        if record.no_address:
            notes += "  [no address]"
        print(f"  #{record.index + 1:<2} preference {record.preference:<5} ttl {record.ttl:<7} "
              f"{'AA' if record.authoritative else '--'}  {record.mail_server}{notes}")
        for address in record.addresses:
            print(f"        IPv{address.family} {address.address:<39} ttl {address.ttl}")
    print()
    return True


@contextlib.contextmanager
def option(name: str) -> Iterator[None]:
    """A setting the library refuses is a usage error that names the option."""
    try:
        yield
    except InetError as error:
        raise UsageError(f"{name}: {error.message}") from error


def configure(resolver: MxResolver, arguments: argparse.Namespace) -> None:
    """Apply the options.

    Raises:
        UsageError: the library refused one.
    """
    if arguments.port is not None:
        with option("--port"):
            resolver.dns_port = arguments.port
    if arguments.server is not None:
        with option("--server"):
            resolver.dns_server = arguments.server
    if arguments.addresses:
        with option("--addresses"):
            resolver.config("ResolveAddresses", True)
    if arguments.seed is not None:
        with option("--seed"):
            resolver.config("ShuffleSeed", arguments.seed)
    for name, value in arguments.config:
        with option(f"--config {name}={value}"):
            resolver.config(name, value)
    # Synchronous: the timeout bounds each lookup. Asynchronous: timeout 0
    # makes submit() queue the request, and AbsoluteTimeout bounds each one.
    with option("--timeout"):
        if arguments.asynchronous:
            resolver.timeout = 0
            resolver.config("AbsoluteTimeout", arguments.timeout * 1000)
        else:
            resolver.timeout = arguments.timeout


class UsageError(Exception):
    """An option the library refused: exit status 2."""


def lookup_all(resolver: MxResolver, names: List[str]) -> bool:
    """One name after the other; True when every one has a plan."""
    ok = True
    for name in names:
        try:
            result = resolver.lookup(name)  # the request's outcome, failed or not
        except InetError as error:  # refused before it became a request
            print_refused(name, error)
            ok = False
            continue
        ok &= print_result(name, result)
    return ok


def submit_all(resolver: MxResolver, names: List[str], timeout: int) -> bool:
    """Submit every name, then print the results as they finish."""
    ok = True
    pending: Dict[int, str] = {}
    for name in names:
        try:
            pending[resolver.submit(name)] = name
        except InetError as error:  # refused: no result will come
            print_refused(name, error)
            ok = False
    # Each request has its own deadline (AbsoluteTimeout); the wait is a backstop.
    for result in resolver.results(timeout + 5):
        name = pending.pop(result.request_id, "(unknown request)")
        ok &= print_result(name, result)
    if pending:
        print(f"{PROG}: {len(pending)} request(s) without a result", file=sys.stderr)
        ok = False
    return ok


def run(arguments: argparse.Namespace) -> int:
    try:
        with MxResolver() as resolver:
            configure(resolver, arguments)
            servers = resolver.dns_server
            plural = "s" if "," in servers else ""
            mode = "; asynchronous, results in the order they finish" if arguments.asynchronous else ""
            print(f"; DNS server{plural}: {servers or '(none found)'}{mode}\n")
            if arguments.asynchronous:
                ok = submit_all(resolver, arguments.names, arguments.timeout)
            else:
                ok = lookup_all(resolver, arguments.names)
    except UsageError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2
    except InetError as error:
        print(f"{PROG}: error {code_name(error.code)}: {error.message}", file=sys.stderr)
        return 1
    except inetkit.LibraryNotFoundError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 1
    return 0 if ok else 1


def main(argv: Optional[Sequence[str]] = None) -> int:
    return run(parse_arguments(argv))


if __name__ == "__main__":
    sys.exit(main())
