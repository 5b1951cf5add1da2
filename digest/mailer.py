"""Hand messages to an SMTP server (smtplib), with retries and an honest verdict.

One connection is kept for a whole run and reopened after any error. Every failure is
retried with exponential backoff; what is left after the last attempt is sorted into

- ``Refused``: the server rejected the *recipient or message* with a 5xx code: the address
  is paused (retrying next week would only fail again),
- ``Deferred``: a 4xx answer for this recipient: try again in the next run,
- ``Unreachable``: no conversation with the server (refused connection, dropped, timeout,
  login failed): nobody's fault but ours; the run stops after a few in a row.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
import time
from email.message import EmailMessage

log = logging.getLogger(__name__)


class SendFailure(Exception):
    def __init__(self, message: str, code: int | None = None, attempts: int = 0):
        super().__init__(message)
        self.code = code
        self.attempts = attempts


class Refused(SendFailure):
    """Permanent (5xx) refusal of this recipient or message."""


class Deferred(SendFailure):
    """Temporary (4xx) refusal of this recipient or message."""


class Unreachable(SendFailure):
    """No SMTP conversation possible (connection, TLS, login)."""


#: Why a mailbox name with umlauts ("jürgen@…") can't be delivered through this server.
NO_SMTPUTF8 = ("Der Mailserver unterstützt keine Umlaute vor dem @ (SMTPUTF8 fehlt); "
               "bitte eine Adresse ohne Umlaute im Namensteil verwenden")


def classify(exc: BaseException) -> tuple[type[SendFailure], int | None, str]:
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        # Checked before anything is sent: only this address is affected, never the run.
        return Refused, None, NO_SMTPUTF8
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()))
        return (Refused if code >= 500 else Deferred), code, _text(code, text)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return Unreachable, exc.smtp_code, _text(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return Unreachable, None, f"Verbindung abgebrochen: {exc}"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        # Our own From address was refused: a configuration problem, not the recipient's.
        return Unreachable, exc.smtp_code, _text(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, smtplib.SMTPResponseException):
        if exc.smtp_code == 421:   # "service not available, closing channel"
            return Unreachable, exc.smtp_code, _text(exc.smtp_code, exc.smtp_error)
        return (Refused if exc.smtp_code >= 500 else Deferred), exc.smtp_code, _text(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, (OSError, smtplib.SMTPException)):
        return Unreachable, None, f"SMTP-Server nicht erreichbar: {exc}"
    raise exc


def _text(code, text) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


class Mailer:
    def __init__(self, settings, sleep=time.sleep):
        self.settings = settings
        self._sleep = sleep
        self._smtp: smtplib.SMTP | None = None
        #: Whether the server offered SMTPUTF8 when last connected (None: not connected yet).
        self.smtputf8: bool | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.smtp_security == "ssl":
            smtp = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
            if s.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
        if s.smtp_user:
            smtp.login(s.smtp_user, s.smtp_password)
        smtp.ehlo_or_helo_if_needed()
        self.smtputf8 = smtp.has_extn("smtputf8")
        return smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def send(self, msg: EmailMessage) -> int:
        """Deliver ``msg`` to the server; returns the attempts it took, raises ``SendFailure``."""
        attempts = max(1, self.settings.send_attempts)
        delay = self.settings.retry_base_s
        for attempt in range(1, attempts + 1):
            try:
                if self._smtp is None:
                    self._smtp = self._connect()
                self._smtp.send_message(msg)
                return attempt
            except Exception as exc:   # sorted by classify(); anything else propagates
                kind, code, text = classify(exc)
                if isinstance(exc, smtplib.SMTPNotSupportedError):
                    raise kind(text, code, attempt) from exc   # the server won't change its mind
                self._drop()   # a clean connection for the next try or message
                log.warning("send %s to %s: attempt %d/%d failed: %s", msg["Message-ID"], msg["To"],
                            attempt, attempts, text)
                if attempt == attempts:
                    raise kind(text, code, attempt) from exc
                self._sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")
