"""Last-confirmed dates and the yearly "Ist Ihr Profil noch aktuell?" mail.

A profile counts as confirmed when it was created, changed (``updated_at``) or confirmed
through the mailed link, whichever is latest. A profile unconfirmed for ``max_age_days``
(365) gets one mail per period (the year of the run), sent exactly once like the digest:
the row is ``sending`` before the mail leaves and ``sent`` after; a killed run resends that
row with the same Message-ID. The link (signed, salt of its own, 60 days) opens a page whose
one button confirms; a GET changes nothing, so a mail scanner that follows links confirms
nothing.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from jinja2 import Environment, PackageLoader, StrictUndefined

from digest.delivery import Send, send_each
from digest.subscriptions import ascii_domain
from digest.tokens import secret_for
from store.users import Users

DAY_S = 86400
SCHEMA = """
CREATE TABLE IF NOT EXISTS profile_confirmations (
    profile_id TEXT PRIMARY KEY REFERENCES profiles(id) ON DELETE CASCADE,
    confirmed_at REAL NOT NULL,
    actor TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS confirmation_mails (
    profile_id TEXT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    recipient TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'refused')),
    error TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    PRIMARY KEY (profile_id, period));
"""


class LinkError(ValueError):
    """A link that can't be used; German, shown on a page."""


@dataclass
class ConfirmReport:
    sent: list[str] = field(default_factory=list)
    resent: list[str] = field(default_factory=list)
    deferred: list[tuple[str, str]] = field(default_factory=list)     # tried again by the next run
    refused: list[tuple[str, str]] = field(default_factory=list)      # the server refused the address
    without_address: int = 0
    aborted: str = ""

    def summary(self) -> list[str]:
        lines = [f"Profilpflege: {len(self.sent)} Bitte(n) um Bestätigung verschickt"
                 + (f", {self.without_address} Profil(e) ohne E-Mail-Adresse" if self.without_address else "")]
        for pid, error in self.deferred:
            lines.append(f"Nicht zugestellt, nächster Lauf versucht es wieder: {pid}: {error}")
        for pid, error in self.refused:
            lines.append(f"Adresse abgelehnt: {pid}: {error}")
        if self.aborted:
            lines.append(f"Profilpflege abgebrochen: {self.aborted}. Ein neuer Lauf verschickt den Rest.")
        return lines


class Confirmations:
    def __init__(self, radar, mail_settings, max_age_days: int = 365, link_days: int = 60):
        self.radar = radar
        self.store = radar.store
        self.mail_settings = mail_settings
        self.max_age_s = max_age_days * DAY_S
        self.store.conn.executescript(SCHEMA)
        # The audit log the confirmations write to (its table is made by Users): without it
        # a confirmation failed on a database where no server or account had made it yet.
        self._audit = Users(self.store)
        self._links = URLSafeTimedSerializer(secret_for(self.store, mail_settings.secret_key),
                                             salt="partnerradar.confirm-profile")
        self._link_age_s = link_days * DAY_S
        self.env = Environment(loader=PackageLoader("confirmations", "templates"), undefined=StrictUndefined,
                               trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)

    @property
    def conn(self):
        return self.store.conn

    # -- dates ---------------------------------------------------------------------------
    def last_confirmed(self, profile_id: str) -> float | None:
        row = self.conn.execute(
            "SELECT max(p.created_at, p.updated_at, coalesce(c.confirmed_at, 0)) FROM profiles p "
            "LEFT JOIN profile_confirmations c ON c.profile_id = p.id WHERE p.id=?", (profile_id,)).fetchone()
        return row[0] if row else None

    def is_stale(self, profile_id: str, now: float | None = None) -> bool:
        last = self.last_confirmed(profile_id)
        return last is not None and (now or time.time()) - last >= self.max_age_s

    def confirm(self, profile_id: str, actor: str, role: str = "link", now: float | None = None) -> None:
        now = now or time.time()
        with self.store.transaction(bump_generation=False) as conn:
            conn.execute("INSERT INTO profile_confirmations VALUES (?,?,?) ON CONFLICT (profile_id) DO UPDATE "
                         "SET confirmed_at=excluded.confirmed_at, actor=excluded.actor", (profile_id, now, actor))
            self._audit.audit(actor, role, "profile.confirm", profile_id, at=now)

    # -- links ---------------------------------------------------------------------------
    def link(self, profile_id: str) -> str:
        return self._links.dumps({"c": profile_id})

    def read(self, token: str) -> str:
        try:
            data = self._links.loads(str(token)[:1000], max_age=self._link_age_s)
        except SignatureExpired:
            raise LinkError("Dieser Link ist abgelaufen; die nächste Erinnerung bringt einen neuen.") from None
        except BadSignature:
            raise LinkError("Dieser Link ist ungültig oder unvollständig.") from None
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            raise LinkError("Dieser Link ist ungültig oder unvollständig.")
        return data["c"]

    # -- the yearly run --------------------------------------------------------------------
    def _address(self, profile: dict) -> str:
        row = self.conn.execute("SELECT email FROM users WHERE role='member' AND disabled=0 AND profile_id=? "
                                "ORDER BY id LIMIT 1", (profile["id"],)).fetchone() \
            if "users" in self.store.table_names() else None
        return row[0] if row else (profile.get("contact_email") or "")

    def message(self, profile: dict, recipient: str, period: str) -> EmailMessage:
        s = self.mail_settings
        last = self.last_confirmed(profile["id"])
        context = {"name": profile["name"], "confirm_url": s.url(f"/profil/bestaetigen/{self.link(profile['id'])}"),
                   "profile_url": s.url(f"/profil/{profile['id']}"),
                   "last": datetime.fromtimestamp(last).strftime("%d.%m.%Y") if last else "–"}
        msg = EmailMessage()
        msg["From"] = s.sender
        user, domain = recipient.rsplit("@", 1)
        msg["To"] = Address(username=user, domain=ascii_domain(domain))
        msg["Subject"] = f"Ist Ihr Partnerradar-Profil noch aktuell? {profile['name']}"
        msg["Date"] = formatdate(localtime=True)
        digest = hashlib.sha256(f"{profile['id']}\x1f{period}".encode()).hexdigest()[:20]
        msg["Message-ID"] = f"<confirm-profile.{period}.{digest}@{s.sender.domain}>"
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(self.env.get_template("confirm.txt").render(context), charset="utf-8", cte="quoted-printable")
        return msg

    def run(self, mailer, now: float | None = None) -> ConfirmReport:
        """This year's mails, each exactly once (``digest.delivery.send_each``)."""
        report = ConfirmReport()
        send_each(self._due_mails(report, now or time.time()), mailer, self.mail_settings, report)
        return report

    def _due_mails(self, report: ConfirmReport, now: float):
        period = str(datetime.fromtimestamp(now).year)
        rows = self.conn.execute(
            "SELECT p.id, m.status FROM profiles p LEFT JOIN profile_confirmations c ON c.profile_id = p.id "
            "LEFT JOIN confirmation_mails m ON m.profile_id = p.id AND m.period = ? "
            "WHERE max(p.created_at, p.updated_at, coalesce(c.confirmed_at, 0)) <= ? "
            "AND (m.status IS NULL OR m.status IN ('sending', 'failed')) ORDER BY p.id",
            (period, now - self.max_age_s)).fetchall()
        for profile_id, state in rows:
            profile = self.store.get_profile(profile_id)
            recipient = self._address(profile) if profile else ""
            if not recipient:
                report.without_address += 1
                continue
            msg = self.message(profile, recipient, period)
            self.conn.execute("INSERT INTO confirmation_mails VALUES (?,?,?,?,?,?) ON CONFLICT (profile_id, period) "
                              "DO UPDATE SET status='sending'", (profile_id, period, recipient, "sending", "", now))

            def finish(status, attempts, error, unreachable, profile_id=profile_id):
                self.conn.execute("UPDATE confirmation_mails SET status=?, error=? WHERE profile_id=? AND period=?",
                                  (status, error[:500], profile_id, period))

            yield Send(profile_id, msg, state == "sending", finish)
