"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for tests to read."""

import asyncio
import re
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


class _Handler:
    def __init__(self, box: "Mailbox"):
        self.box = box

    async def handle_DATA(self, server, session, envelope):
        if self.box.delay:
            await asyncio.sleep(self.box.delay)
        self.box.attempts.append(message_from_bytes(envelope.content, policy=policy.default)["Message-ID"])
        if self.box.refuse_next > 0:
            self.box.refuse_next -= 1
            return "451 4.3.0 Try again later"
        self.box.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


class Mailbox:
    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.attempts: list[str] = []  # the Message-ID of every mail offered, accepted or not
        self.refuse_next = 0  # answer "try again later" to this many mails
        self.delay = 0.0  # seconds the server takes to accept each mail
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def start(self):
        self.controller.start()

    def stop(self):
        self.controller.stop()

    def clear(self):
        self.messages.clear()
        self.attempts.clear()
        self.refuse_next, self.delay = 0, 0.0

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def last_to(self, address: str) -> EmailMessage:
        found = self.to(address)
        assert found, f"no mail to {address}; mail went to {[m['To'] for m in self.messages]}"
        return found[-1]

    @staticmethod
    def body(message: EmailMessage) -> str:
        return message.get_body(("plain",)).get_content()

    def link_in(self, message: EmailMessage) -> str:
        match = re.search(r"https?://\S+", self.body(message))
        assert match, "no link in the message"
        return match.group(0)
