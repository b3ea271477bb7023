"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for the e-mail tests."""
import asyncio
import re
import socket
import threading
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """The server's handler: every accepted message, parsed. `hold_after(n)` makes the server stall on
    message n+1 without accepting it, as a server does whose client went away mid-message."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()
        self.hold_at = None
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            hold = self.hold_at is not None and len(self.messages) >= self.hold_at
        if hold:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 Try again later"
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(parsed)
        return "250 Message accepted"

    def hold_after(self, count: int) -> None:
        self.hold_at = count

    def to(self, address: str) -> list:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    @property
    def recipients(self) -> list[str]:
        with self.lock:
            return [m["To"] for m in self.messages]


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def link_in(message, path_prefix: str) -> str:
    """The path of the first link in the plain-text body whose path starts with `path_prefix`."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"[^\s]*)", text_of(message))
    assert match, f"no {path_prefix} link in the message"
    return match.group(1)


class MailServer:
    def __init__(self):
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *_exc):
        self.inbox.release.set()
        self.controller.stop()

    @property
    def settings(self) -> dict:
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": self.port, "SMTP_STARTTLS": False,
                "MAIL_FROM": "Sanaly Urpaq <noreply@sanaly.test>"}
