#!/usr/bin/env python3
"""A real SMTP server for the e-mail tests (aiosmtpd).

    smtp_server.py serve --port PORT --dir DIR [--mode accept|reject|tempfail]
        Listens on 127.0.0.1:PORT and writes each received message as DIR/<n>.eml (the raw
        DATA) with DIR/<n>.json beside it (the envelope: mail_from, rcpt_tos). Both are
        written under a temporary name and renamed, the .json first, so a reader that sees
        the .eml sees a complete pair. The message is on disk before the server answers 250.

        Recipients whose local part is `reject` get 550, `tempfail` 451, `badmailbox` 553;
        --mode reject / tempfail answers every recipient so.

    smtp_server.py parse FILE
        Parses a raw message with Python's own e-mail package (an independent MIME parser)
        and prints JSON: decoded From/To/Subject, Message-ID, Date, the defects found, and
        every leaf part (content type, filename, decoded text, and the decoded bytes as
        base64).
"""

import argparse
import asyncio
import base64
import json
import os
import signal
import sys
import uuid


def write_atomically(path, data):
    tmp = f"{path}.{uuid.uuid4().hex}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Handler:
    def __init__(self, directory, mode):
        self.directory = directory
        self.mode = mode
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if self.mode == "reject" or local == "reject":
            return "550 5.1.1 Mailbox unavailable"
        if self.mode == "tempfail" or local == "tempfail":
            return "451 4.3.0 Temporary local problem, try again later"
        if local == "badmailbox":
            return "553 5.1.3 Mailbox name not allowed"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        name = f"{self.count:04d}-{uuid.uuid4().hex[:8]}"
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            # The client's address and port: messages sent over one connection share it.
            "peer": "%s:%s" % tuple(session.peer[:2]),
        }
        base = os.path.join(self.directory, name)
        write_atomically(base + ".json", json.dumps(meta).encode())
        write_atomically(base + ".eml", envelope.original_content or envelope.content)
        return f"250 2.0.0 Ok: queued as {name}"


def serve(args):
    from aiosmtpd.smtp import SMTP

    os.makedirs(args.dir, exist_ok=True)
    handler = Handler(args.dir, args.mode)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(
        loop.create_server(
            lambda: SMTP(handler, hostname="wspolnota-test-smtp", decode_data=False),
            host="127.0.0.1",
            port=args.port,
        )
    )
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    print(f"listening on 127.0.0.1:{args.port}", flush=True)
    loop.run_until_complete(stop)
    server.close()
    loop.run_until_complete(server.wait_closed())


def parse(args):
    import email
    import email.policy

    with open(args.file, "rb") as f:
        msg = email.message_from_bytes(f.read(), policy=email.policy.default)

    def defects(m):
        return [type(d).__name__ for d in m.defects]

    parts = []
    all_defects = defects(msg)
    for part in msg.walk():
        all_defects += defects(part) if part is not msg else []
        if part.is_multipart():
            parts.append({"content_type": part.get_content_type(), "multipart": True})
            continue
        payload = part.get_payload(decode=True) or b""
        entry = {
            "content_type": part.get_content_type(),
            "multipart": False,
            "filename": part.get_filename(),
            "disposition": part.get_content_disposition(),
            "transfer_encoding": part.get("Content-Transfer-Encoding"),
            "data_b64": base64.b64encode(payload).decode(),
        }
        if part.get_content_maintype() == "text":
            entry["text"] = part.get_content()
        parts.append(entry)

    out = {
        "from": str(msg["From"]),
        "from_display_name": msg["From"].addresses[0].display_name if msg["From"] else None,
        "from_address": msg["From"].addresses[0].addr_spec if msg["From"] else None,
        "to": str(msg["To"]),
        "subject": str(msg["Subject"]),
        "message_id": str(msg["Message-ID"]),
        "date": str(msg["Date"]) if msg["Date"] else None,
        "content_type": msg.get_content_type(),
        "defects": all_defects,
        "parts": parts,
    }
    json.dump(out, sys.stdout, ensure_ascii=False)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--dir", required=True)
    s.add_argument("--mode", choices=["accept", "reject", "tempfail"], default="accept")
    r = sub.add_parser("parse")
    r.add_argument("file")
    args = p.parse_args()
    if args.command == "serve":
        serve(args)
    else:
        parse(args)


if __name__ == "__main__":
    main()
