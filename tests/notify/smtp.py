#!/usr/bin/env python3
"""A real SMTP server for the delivery tests (Debian's python3-aiosmtpd).

Each message received is appended to OUT_FILE as one JSON line: mail_from, rcpt_tos, the raw
headers as sent (subject_raw), and as read back by Python's email package (subject, body
decoded, message_id, content_type, transfer_encoding, from, to, date).

Usage: smtp.py PORT_FILE OUT_FILE   (binds 127.0.0.1 on a free port; writes it to PORT_FILE)
"""
import email
import email.policy
import json
import os
import signal
import socket
import sys
import threading

from aiosmtpd.controller import Controller

lock = threading.Lock()


class Handler:
    def __init__(self, out):
        self.out = out

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace")
        subject_raw = ""
        for line in head.split("\r\n"):
            if line.lower().startswith("subject:"):
                subject_raw = line[8:].strip()
            elif subject_raw and line[:1] in (" ", "\t"):
                subject_raw += "\r\n" + line
            elif subject_raw:
                break
        rec = {
            "mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
            "subject_raw": subject_raw, "subject": str(msg["subject"]),
            "message_id": str(msg["message-id"]), "from": str(msg["from"]), "to": str(msg["to"]),
            "date": str(msg["date"]), "content_type": msg.get_content_type(),
            "charset": msg.get_content_charset(), "transfer_encoding": str(msg["content-transfer-encoding"]),
            "body": msg.get_content(),
        }
        with lock, open(self.out, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        return "250 OK"


def main():
    port_file, out = sys.argv[1], sys.argv[2]
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    ctl = Controller(Handler(out), hostname="127.0.0.1", port=port)
    ctl.start()
    with open(port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(port_file + ".tmp", port_file)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    stop.wait()
    ctl.stop()


if __name__ == "__main__":
    main()
