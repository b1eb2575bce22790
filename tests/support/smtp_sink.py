#!/usr/bin/python3
"""A real SMTP server for tests (aiosmtpd), recording every accepted message as one JSON line.

Run with Debian's interpreter (/usr/bin/python3: the pyenv python3 on PATH cannot import aiosmtpd).
It binds port 0 itself and prints "listening on 127.0.0.1:PORT" to stderr once it accepts
connections, so a test reads the port instead of guessing a free one.

  smtp_sink.py --record out.jsonl [--tlscert C --tlskey K [--require-starttls | --smtps]]
               [--auth USER:PASSWORD] [--reject-rcpt ADDRESS=REPLY ...] [--data-reply REPLY]

Each line of --record: {"mail_from", "rcpt_tos", "data" (the message as received, UTF-8 with
replacement characters), "data_b64" (exact bytes), "tls" (STARTTLS was active), "auth_user"
(the login that authenticated, or null), "parsed" (Python's e-mail parser's reading: decoded
subject, from, to, date, message-id, date_utc, body, content_type, charset, defects)}. --reject-rcpt answers RCPT TO for ADDRESS with REPLY
(e.g. "450 4.2.1 Mailbox busy"); --data-reply answers DATA with REPLY instead of 250. --smtps
speaks TLS from the first byte (implicit TLS, as on port 465) instead of offering STARTTLS.
"""

import argparse
import asyncio
import base64
import datetime
import email
import email.policy
import email.utils
import json
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class RecordingHandler:
    def __init__(self, record_path, reject_rcpt, data_reply):
        self.record_path = record_path
        self.reject_rcpt = reject_rcpt
        self.data_reply = data_reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.reject_rcpt.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        raw = envelope.original_content or b""
        auth_user = None
        if session.authenticated and isinstance(session.auth_data, LoginPassword):
            auth_user = session.auth_data.login.decode("utf-8", "replace")
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "data": raw.decode("utf-8", "replace"),
            "data_b64": base64.b64encode(raw).decode("ascii"),
            "tls": session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
            "auth_user": auth_user,
        }
        record["parsed"] = parse_message(raw)
        with open(self.record_path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
        return "250 2.0.0 Message accepted for delivery"


def parse_message(raw):
    """What Python's own e-mail parser makes of the message: an independent reading of it."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    parsed = {name.lower(): str(msg[name]) for name in ("Subject", "From", "To", "Date", "Message-ID")
              if msg[name] is not None}
    try:
        date = email.utils.parsedate_to_datetime(msg["Date"])
        parsed["date_utc"] = date.astimezone(datetime.timezone.utc).isoformat() if date.tzinfo else None
    except Exception as e:  # noqa: BLE001 - reported to the test instead
        parsed["date_error"] = repr(e)
    try:
        parsed["body"] = msg.get_content()
    except Exception as e:  # noqa: BLE001
        parsed["body_error"] = repr(e)
    parsed["content_type"] = msg.get_content_type()
    parsed["charset"] = msg.get_content_charset()
    parsed["defects"] = [repr(d) for d in msg.defects]
    return parsed


def make_authenticator(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user.encode() and auth_data.password == password.encode())
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)
    return authenticate


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--record", required=True)
    p.add_argument("--tlscert")
    p.add_argument("--tlskey")
    p.add_argument("--require-starttls", action="store_true")
    p.add_argument("--smtps", action="store_true", help="implicit TLS with --tlscert/--tlskey")
    p.add_argument("--auth", help="USER:PASSWORD accepted by AUTH PLAIN/LOGIN (only over TLS)")
    p.add_argument("--reject-rcpt", action="append", default=[], help="ADDRESS=REPLY")
    p.add_argument("--data-reply")
    return p.parse_args()


async def main():
    args = parse_args()
    reject = {}
    for item in args.reject_rcpt:
        address, _, reply = item.partition("=")
        reject[address.lower()] = reply
    handler = RecordingHandler(args.record, reject, args.data_reply)

    tls_context = None
    if args.tlscert:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(args.tlscert, args.tlskey)
    authenticator = None
    if args.auth:
        user, _, password = args.auth.partition(":")
        authenticator = make_authenticator(user, password)

    loop = asyncio.get_running_loop()

    def factory():
        # With implicit TLS the whole connection is encrypted, so STARTTLS is not offered and AUTH
        # needs no further TLS.
        return SMTP(handler, hostname="sink.test", tls_context=None if args.smtps else tls_context,
                    require_starttls=args.require_starttls and not args.smtps, authenticator=authenticator,
                    auth_require_tls=not args.smtps, loop=loop)

    server = await loop.create_server(factory, host=args.host, port=0,
                                      ssl=tls_context if args.smtps else None)
    port = server.sockets[0].getsockname()[1]
    host = args.host if ":" not in args.host else "[" + args.host + "]"
    print(f"listening on {host}:{port}", file=sys.stderr, flush=True)

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()


if __name__ == "__main__":
    asyncio.run(main())
