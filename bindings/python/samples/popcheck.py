#!/usr/bin/env python3
"""popcheck.py: connect to a POP3 server in any security mode, log in, list
the unique ids and sizes, show who each message is from and what it is
about, save the messages, optionally delete them.

The Python twin of samples/popcheck.c:

    POP_PASSWORD=... popcheck.py --stls --ca ca.pem --save mail/ pop.example.org alice

Exit status: 0 success, 1 failure (the message names the step, the error
code, its name and the library's message), 2 bad usage.
"""

from __future__ import annotations

import argparse
import email.parser
import email.policy
import os
import sys
from pathlib import Path
from typing import List, Optional, Sequence

try:
    import inetkit
except ImportError:  # run from a source tree without installing: the package is one level up
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import inetkit

PROG = "popcheck.py"
MECHANISMS = ["default", "pass", "apop", "login", "plain", "cram-md5", "scram-sha-1",
              "scram-sha-256", "xoauth2", "oauthbearer"]
SHOWN_HEADERS = ("From", "Subject", "Date")


def port_number(text: str) -> int:
    """argparse type: a TCP port, 1-65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not in 1-65535")
    return port


def parse_arguments(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Log in to a POP3 server, list the messages (unique id, size, From, "
                    "Subject, Date) and optionally save and delete them.",
        epilog="The password is read from the environment variable POP_PASSWORD. "
               "Exit status: 0 success, 1 failure, 2 bad usage.")
    parser.add_argument("host", metavar="HOST", help="server name or address")
    parser.add_argument("user", metavar="USER", help="mailbox user name")
    parser.add_argument("--port", type=port_number, default=0,
                        help="server port (default 110, or 995 with --implicit)")
    security = parser.add_mutually_exclusive_group()
    security.add_argument("--stls", action="store_true",
                          help="TLS by STLS: required, never falls back to plaintext")
    security.add_argument("--implicit", action="store_true", help="TLS from the first byte")
    parser.add_argument("--ca", metavar="FILE", help="trust the CAs in FILE too (PEM)")
    parser.add_argument("--trusted-site", action="store_true",
                        help="do not verify the server's certificate")
    parser.add_argument("--auth", choices=MECHANISMS, default="default", metavar="MECH",
                        help="login mechanism: " + ", ".join(MECHANISMS) + " (default: the "
                             "strongest offered that does not send the password in the clear)")
    parser.add_argument("--save", metavar="DIR",
                        help="save every message into DIR, one file each, complete or absent")
    parser.add_argument("--new", metavar="SEEN",
                        help="with --save: only the messages whose unique id is not in the file "
                             "SEEN (which is updated)")
    parser.add_argument("--delete", action="store_true",
                        help="with --save: delete the messages saved (with --new: every message "
                             "recorded in SEEN); committed by QUIT")
    arguments = parser.parse_args(argv)
    if (arguments.ca or arguments.trusted_site) and not (arguments.stls or arguments.implicit):
        parser.error("--ca and --trusted-site need --stls or --implicit")
    if arguments.ca and not Path(arguments.ca).is_file():
        parser.error(f"--ca: {arguments.ca} is not a file")
    if (arguments.new or arguments.delete) and not arguments.save:
        parser.error("--new and --delete need --save")
    arguments.password = os.environ.get("POP_PASSWORD")
    if arguments.password is None:
        parser.error("set the password in the environment variable POP_PASSWORD")
    return arguments


def describe(error: inetkit.InetError) -> str:
    """'error 702 AUTH_FAILED: <the library's message>'."""
    code = error.code
    name = code.name if isinstance(code, inetkit.ErrorCode) else "unknown error"
    return f"error {int(code)} {name}: {error.message}"


def show_headers(block: bytes) -> None:
    """Print From, Subject and Date of a header block, RFC 2047 words decoded."""
    headers = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(block)
    for name in SHOWN_HEADERS:
        value = headers.get(name)  # broken headers become defects, not exceptions
        if value is not None:
            print(f"      {name}: {value}")


def run(arguments: argparse.Namespace) -> int:
    secure = "explicit" if arguments.stls else "implicit" if arguments.implicit else None
    credentials = inetkit.Credentials(ca_file=arguments.ca) if secure else None
    step = "connect"
    try:
        with inetkit.PopClient.connect(arguments.host, arguments.port, timeout=10, secure=secure,
                                       trusted_site=arguments.trusted_site,
                                       credentials=credentials) as pop:
            security = pop.security
            if security is not None:
                checked = "not verified (trusted site)" if arguments.trusted_site else "verified"
                print(f"connected with {security.protocol_name}, {security.cipher}; "
                      f"server certificate {checked}")
            else:
                print("connected in plaintext")
            mechanisms = pop.capability("SASL")
            if mechanisms is not None:
                print(f"SASL mechanisms: {mechanisms}")

            step = "login"
            pop.login(arguments.user, arguments.password, arguments.auth)

            step = "listing"
            count, octets = pop.stat()
            print(f"{count} messages, {octets} octets")
            infos: List[inetkit.MessageInfo] = []
            # TOP n 0 for each message, fetched one at a time.
            for info, headers in pop.messages(lines=0):
                infos.append(info)
                print(f"  {info.number:4}  {info.octets:10}  {info.uid or '-'}")
                show_headers(headers)

            if arguments.save:
                step = "saving"
                Path(arguments.save).mkdir(parents=True, exist_ok=True)
                try:
                    if arguments.new:
                        stored = pop.store_new(arguments.new, arguments.save)
                    else:
                        stored = pop.store_many(arguments.save)
                except inetkit.InetError as error:
                    # The messages before the failure are saved: say how many.
                    print(f"saved {getattr(error, 'count', 0)} message(s) into {arguments.save}")
                    raise
                print(f"saved {stored} message(s) into {arguments.save}")
            if arguments.delete:
                step = "deleting"
                if arguments.new:
                    seen_file = Path(arguments.new)
                    seen = set(seen_file.read_text("utf-8").split()) if seen_file.exists() else set()
                    numbers = [info.number for info in infos if info.uid in seen]
                else:
                    numbers = [info.number for info in infos]
                deleted = pop.delete_many(numbers)
                print(f"deleted {deleted} message(s)")

            step = "quit"
            pop.quit()
    except inetkit.InetError as error:
        print(f"{PROG}: {step} failed: {describe(error)}", file=sys.stderr)
        return 1
    except inetkit.LibraryNotFoundError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # --new's file could not be read, --save's directory not made
        print(f"{PROG}: {step} failed: {error}", file=sys.stderr)
        return 1
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    return run(parse_arguments(argv))


if __name__ == "__main__":
    sys.exit(main())
