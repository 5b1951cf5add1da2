"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for the digest tests.

It can also misbehave on purpose, the way real servers do: refuse one recipient with a
permanent 550, drop the connection when a recipient comes up, or keep a client waiting for
the answer to DATA (so a test can kill the sending process at the worst moment).

Import the fixtures into a test module: ``from tests.smtp_inbox import inbox, mail_env``.
"""
from __future__ import annotations

import asyncio
import collections
import email
import socket
import threading
from email import policy

import idna
import pytest
from aiosmtpd.controller import Controller


class Inbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: set[str] = set()       # recipients answered with 550
        self.drop: set[str] = set()         # recipients whose connection is cut
        self.rcpt_attempts: collections.Counter = collections.Counter()
        self.hold_after: int | None = None  # keep the client waiting after this many messages
        self.holding = threading.Event()
        self.released = False
        self._lock = threading.Lock()

    # -- aiosmtpd handler hooks ---------------------------------------------------
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self._lock:
            self.rcpt_attempts[address] += 1
        if address in self.refuse:
            return "550 5.1.1 Postfach nicht vorhanden"
        if address in self.drop:
            server.transport.close()
            return "421 4.4.2 Verbindung getrennt"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.hold_after is not None and len(self.messages) >= self.hold_after:
            self.holding.set()
            while not self.released:          # the client dies while it waits for our "250"
                await asyncio.sleep(0.05)
            return "451 4.3.0 nicht angenommen"
        if envelope.smtp_utf8:   # headers in raw UTF-8, as a mail client reads them
            message = email.message_from_string(envelope.original_content.decode("utf-8"),
                                                policy=policy.SMTPUTF8)
        else:
            message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    # -- for tests ------------------------------------------------------------------
    def to(self, address: str) -> list:
        """Messages to ``address`` as a user types it (müller.de arrives as xn--mller-kva.de)."""
        local, at, domain = address.partition("@")
        if domain and not domain.isascii():
            address = f"{local}{at}{idna.encode(domain, uts46=True).decode()}"
        return [m for m in self.messages if address in str(m["To"])]

    def recipients(self) -> list[str]:
        return [str(m["To"]) for m in self.messages]

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self.rcpt_attempts.clear()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def inbox(request):
    """A running SMTP server on 127.0.0.1; ``inbox.port`` is where it listens.

    It speaks SMTPUTF8 (mailbox names with umlauts), as Postfix and Exim do; a test marked
    ``@pytest.mark.smtp_ascii_only`` gets an older server that doesn't.
    """
    handler = Inbox()
    utf8 = request.node.get_closest_marker("smtp_ascii_only") is None
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), enable_SMTPUTF8=utf8)
    controller.start()
    handler.port = controller.port
    yield handler
    handler.released = True
    controller.stop()


@pytest.fixture
def mail_env(inbox, monkeypatch):
    """Mail settings pointing at the loopback server, as an operator would set them."""
    env = {"PARTNERRADAR_SMTP_HOST": "127.0.0.1", "PARTNERRADAR_SMTP_PORT": str(inbox.port),
           "PARTNERRADAR_SMTP_SECURITY": "none", "PARTNERRADAR_MAIL_FROM": "Partnerradar Sachsen <digest@partnerradar.example>",
           "PARTNERRADAR_BASE_URL": "https://partnerradar.example", "PARTNERRADAR_SMTP_RETRY_S": "0.01"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("PARTNERRADAR_SECRET_KEY", raising=False)
    return env
