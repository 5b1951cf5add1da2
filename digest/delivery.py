"""Runs that send mails exactly once: one run at a time, and the send loop they share.

The weekly digest (``digest.runner``), the introductions' reminder run
(``introductions.runner``) and the yearly confirmation mails (``confirmations.store``) keep
an outbox of their own; what they share is how a run holds
its lock and how it sends: the caller marks an item ``sending`` before it yields it (a crash
after the server's "250" leaves it there, and the next run sends it again with the same
Message-ID, so a second copy is recognisable as one), ``send_each`` sends it and hands the
outcome back to the item's ``finish``. After ``MAX_UNREACHABLE_IN_A_ROW`` items in a row
without any SMTP conversation the run stops; a new run sends the rest.
"""
from __future__ import annotations

import fcntl
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Callable, Iterable

from digest.mailer import Deferred, Refused, Unreachable

#: After this many items in a row without any SMTP conversation the run stops.
MAX_UNREACHABLE_IN_A_ROW = 3


class RunLocked(RuntimeError):
    """Another run of the same kind holds the lock; the message is German."""


@contextmanager
def run_lock(directory: Path, name: str, busy_message: str):
    """Hold ``directory/name`` for this run, or raise ``RunLocked(busy_message)`` at once."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / name, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLocked(busy_message) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class Send:
    """One mail of a run, already marked ``sending`` in the caller's outbox."""
    key: object                 # what the report names: a subscription id, a mail id
    message: EmailMessage
    resend: bool                # it was left at ``sending`` by a run that did not finish
    #: Records the outcome: (status "sent" | "refused" | "failed", attempts, error,
    #: whether the server could not be reached at all).
    finish: Callable[[str, int, str, bool], None]


def send_each(sends: Iterable[Send], mailer, settings, report) -> None:
    """Send each item once and record it; ``report`` has the lists ``sent``, ``resent``,
    ``deferred`` and ``refused`` and the German ``aborted`` (set when the run stops early).

    A refused address is not tried again; a deferred one is, by the next run.
    """
    unreachable = 0
    for send in sends:
        try:
            attempts = mailer.send(send.message)
        except Refused as exc:
            send.finish("refused", exc.attempts, str(exc), False)
            report.refused.append((send.key, str(exc)))
            unreachable = 0
        except (Deferred, Unreachable) as exc:
            down = isinstance(exc, Unreachable)
            send.finish("failed", exc.attempts, str(exc), down)
            report.deferred.append((send.key, str(exc)))
            unreachable = unreachable + 1 if down else 0
            if unreachable >= MAX_UNREACHABLE_IN_A_ROW:
                report.aborted = (f"SMTP-Server {settings.smtp_host}:{settings.smtp_port} "
                                  f"{unreachable}-mal in Folge nicht erreichbar ({exc})")
                break
        else:
            send.finish("sent", attempts, "", False)
            report.sent.append(send.key)
            if send.resend:
                report.resent.append(send.key)
            unreachable = 0
