"""A real SMTP server for the e-mail tests and benchmarks (aiosmtpd), run as its own
process.

Every message it accepts is appended to a mailbox file (one JSON object a line);
`--refuse N` answers the first N messages with a temporary failure (451), as a mail
server that is overloaded or greylisting would.

    python -m devenv.mailserver --port 2525 --mailbox /tmp/box.jsonl --refuse 2
"""
from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Handler:
    def __init__(self, mailbox: str, refuse: int):
        self.mailbox, self.refuse = mailbox, refuse

    async def handle_DATA(self, server, session, envelope):
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 Mail server busy, try again later"
        record = {"from": envelope.mail_from, "to": envelope.rcpt_tos,
                  "data": envelope.content.decode("utf-8", "replace")}
        with open(self.mailbox, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        return "250 OK"


def main() -> None:
    from aiosmtpd.smtp import SMTP

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mailbox", required=True)
    parser.add_argument("--refuse", type=int, default=0)
    args = parser.parse_args()
    handler = Handler(args.mailbox, args.refuse)
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(
        lambda: SMTP(handler, enable_SMTPUTF8=True), "127.0.0.1", args.port))
    try:
        loop.run_forever()
    finally:
        server.close()


class MailServer:
    """Start the server above in a process of its own; read what it received."""

    def __init__(self, port: int, mailbox: Path, refuse: int = 0):
        self.port, self.mailbox, self.refuse = port, Path(mailbox), refuse
        self.process: subprocess.Popen | None = None

    def start(self) -> "MailServer":
        self.mailbox.parent.mkdir(parents=True, exist_ok=True)
        self.mailbox.write_text("")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "devenv.mailserver", "--port", str(self.port),
             "--mailbox", str(self.mailbox), "--refuse", str(self.refuse)],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the test SMTP server did not start: "
                                       + self.process.stderr.read().decode()[-2000:])
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def messages(self) -> list[dict]:
        """Each received message: `to`, `subject`, `body` (decoded), `message`."""
        out = []
        for line in self.mailbox.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            message = email.message_from_string(record["data"], policy=email.policy.default)
            out.append({"to": record["to"], "subject": str(message["Subject"]),
                        "body": message.get_body(("plain",)).get_content(),
                        "message": message})
        return out


if __name__ == "__main__":
    main()
