"""The introduction mails (German, plain text) and the signed answer links.

A link carries the introduction id and the side (``seeker``/``partner``), signed with the
digest's secret (``digest.tokens.secret_for``) under a salt of its own, so a digest link
can't answer an introduction and one side's link can't answer for the other. Mails are
rendered when they are sent, from the introduction as it is then: a mail whose reason has
gone (the request was declined meanwhile, a profile deleted) is dropped, and contact data
is read only for a mail that may carry it.
"""
from __future__ import annotations

import hashlib
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from jinja2 import Environment, PackageLoader, StrictUndefined

from digest.subscriptions import ascii_domain
from digest.tokens import secret_for
from introductions.model import ACCEPTED, INTRODUCED, MEETING, OPEN, SIDES, label

SUBJECTS = {
    "new_request": "Neue Kontaktanfrage: {seeker} möchte {partner} kennenlernen",
    "introduction": "Partnerradar stellt vor: {other}",
    "contacts": "Beide Seiten haben zugesagt: Kontaktdaten von {other}",
    "reminder": "Erinnerung: Ihre Antwort zur Vorstellung von {other}",
    "stuck": "Anbahnung ohne Bewegung: {seeker} – {partner} ({state})",
}


class LinkError(ValueError):
    """A link that can't be used; German, shown on a page."""


class AnswerLinks:
    def __init__(self, store, secret_key: str = "", max_age_days: int = 60):
        self._serializer = URLSafeTimedSerializer(secret_for(store, secret_key), salt="partnerradar.introduction")
        self.max_age_s = max_age_days * 86400

    def make(self, intro_id: str, side: str) -> str:
        assert side in SIDES
        return self._serializer.dumps({"i": intro_id, "s": side})

    def read(self, token: str) -> tuple[str, str]:
        try:
            data = self._serializer.loads(str(token)[:1000], max_age=self.max_age_s)
        except SignatureExpired:
            raise LinkError("Dieser Link ist abgelaufen. Bitte wenden Sie sich an Ihren Innovationsmanager.") from None
        except BadSignature:
            raise LinkError("Dieser Link ist ungültig oder unvollständig.") from None
        if not isinstance(data, dict) or data.get("s") not in SIDES or not isinstance(data.get("i"), str):
            raise LinkError("Dieser Link ist ungültig oder unvollständig.")
        return data["i"], data["s"]


def _recipient(email: str) -> Address:
    user, domain = email.rsplit("@", 1)
    return Address(username=user, domain=ascii_domain(domain))


class MailRenderer:
    def __init__(self, mail_settings, links: AnswerLinks, intro_settings):
        self.settings = mail_settings
        self.links = links
        self.intro_settings = intro_settings
        self.env = Environment(loader=PackageLoader("introductions", "templates"), undefined=StrictUndefined,
                               trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)

    def message_id(self, mail_id: int, dedupe: str) -> str:
        """One outbox row always goes out under one Message-ID: a resent copy is recognisable."""
        digest = hashlib.sha256(f"{mail_id}\x1f{dedupe}".encode()).hexdigest()[:20]
        return f"<intro.{mail_id}.{digest}@{self.settings.sender.domain}>"

    def render(self, mail: dict, intro, profiles: dict) -> EmailMessage | None:
        """The mail for one outbox row, or None when it no longer applies."""
        kind, side = mail["kind"], mail["side"]
        seeker, partner = profiles.get(intro.seeker_id), profiles.get(intro.partner_id)
        if seeker is None or partner is None:
            return None
        if kind in ("introduction", "reminder") and (intro.state != INTRODUCED or intro.answer_of(side)):
            return None
        if kind == "contacts" and not (intro.answers.both_accepted and intro.state in (INTRODUCED, MEETING,
                                                                                        "cooperation")):
            return None
        if kind == "stuck" and intro.state not in OPEN:
            return None
        own, other = (seeker, partner) if side == "seeker" else (partner, seeker)
        context = {"seeker": seeker["name"], "partner": partner["name"], "own": own["name"],
                   "other": other["name"], "other_town": other.get("town") or "",
                   "other_kind": other.get("kind") or "", "message": intro.message, "side": side,
                   "state": label(intro.state), "intro_id": intro.id,
                   "days": self.intro_settings.give_up_after_days,
                   "pipeline_url": self.settings.url("/anbahnungen/verwalten"),
                   "other_url": self.settings.url(f"/profil/{other['id']}")}
        if kind in ("introduction", "reminder", "contacts"):
            context["answer_url"] = self.settings.url(f"/anbahnung/{self.links.make(intro.id, side)}")
        if kind == "contacts":
            context["contact"] = {"name": other.get("contact_name") or "",
                                  "email": other.get("contact_email") or intro.email_of(
                                      "partner" if side == "seeker" else "seeker"),
                                  "street": other.get("street") or "",
                                  "place": " ".join(x for x in (other.get("postcode"), other.get("town")) if x),
                                  "website": other.get("website") or ""}
        subject = SUBJECTS[kind].format(**context)
        msg = EmailMessage()
        msg["From"] = self.settings.sender
        msg["To"] = _recipient(mail["recipient"])
        msg["Subject"] = subject
        msg["Date"] = formatdate(localtime=True)
        msg["Message-ID"] = self.message_id(mail["id"], mail["dedupe"])
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(self.env.get_template(f"{kind}.txt").render(context), charset="utf-8",
                        cte="quoted-printable")
        return msg


def accepted(answer) -> bool:
    return answer == ACCEPTED
