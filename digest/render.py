"""The e-mails: German, plain text and HTML from the same Jinja context, one-click unsubscribe.

Both parts come from ``digest/templates``; the HTML is auto-escaped (partner texts are user
input). Headers follow RFC 8058 (List-Unsubscribe + List-Unsubscribe-Post), so mail clients
offer their own "Abbestellen" button that POSTs to our unsubscribe page.
"""
from __future__ import annotations

import hashlib
import re
from datetime import date
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from digest.subscriptions import ascii_domain
from vocabulary.kinds import KIND_LABELS, KIND_NAMES, KIND_PLURALS

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_week(week: str) -> tuple[int, int]:
    match = _WEEK.match(week or "")
    if not match:
        raise ValueError(f"Kalenderwoche „{week}“ hat nicht die Form 2026-W48")
    year, number = int(match.group(1)), int(match.group(2))
    try:
        date.fromisocalendar(year, number, 1)
    except ValueError:
        raise ValueError(f"Kalenderwoche „{week}“ gibt es nicht") from None
    return year, number


def current_week(today: date | None = None) -> str:
    year, number, _ = (today or date.today()).isocalendar()
    return f"{year}-W{number:02d}"


def week_label(week: str) -> str:
    year, number = parse_week(week)
    monday = date.fromisocalendar(year, number, 1)
    sunday = date.fromisocalendar(year, number, 7)
    return f"KW {number}/{year} ({monday:%d.%m.} – {sunday:%d.%m.%Y})"


def message_id(subscription_id: str, week: str, sender_domain: str) -> str:
    """The same (subscriber, week) always gets the same Message-ID: a second copy is recognisable."""
    digest = hashlib.sha256(f"{subscription_id}\x1f{week}".encode()).hexdigest()[:24]
    return f"<digest.{week}.{digest}@{sender_domain}>"


def _recipient(email: str) -> Address:
    """A mailbox name with umlauts stays as it is (the server must speak SMTPUTF8); the
    domain goes out in its ASCII form, which every server accepts."""
    user, domain = email.rsplit("@", 1)
    return Address(username=user, domain=ascii_domain(domain))


def _why(hit: dict, topics: list[str]) -> list[str]:
    """The explanation's German reasons, without the distance (shown next to the town)."""
    reasons = [f"Erwähnt Ihren Schwerpunkt „{t}“" for t in topics]
    for reason in hit.get("explanation", {}).get("reasons", []):
        if " km entfernt" in reason:
            continue
        reasons.append(reason)
    return reasons[:4]


class Renderer:
    def __init__(self, settings, tokens):
        self.settings = settings
        self.tokens = tokens
        self.env = Environment(loader=PackageLoader("digest", "templates"),
                               autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                               trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)

    def _message(self, to: str, subject: str, template: str, context: dict, unsubscribe_url: str | None,
                 msg_id: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.settings.sender
        msg["To"] = _recipient(to)
        msg["Subject"] = subject
        msg["Date"] = formatdate(localtime=True)
        msg["Message-ID"] = msg_id
        msg["Auto-Submitted"] = "auto-generated"
        if unsubscribe_url:
            msg["List-Id"] = f"Partnerradar-Digest <digest.{self.settings.sender.domain}>"
            msg["List-Unsubscribe"] = f"<{unsubscribe_url}>"
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        context = {**context, "subject": subject}
        msg.set_content(self.env.get_template(f"{template}.txt").render(context), charset="utf-8",
                        cte="quoted-printable")
        msg.add_alternative(self.env.get_template(f"{template}.html").render(context), subtype="html",
                            charset="utf-8", cte="quoted-printable")
        return msg

    def links(self, subscription_id: str) -> dict:
        manage = self.tokens.make(subscription_id, "manage")
        return {"unsubscribe_url": self.settings.url(f"/abo/abmelden/{manage}"),
                "settings_url": self.settings.url(f"/abo/einstellungen/{manage}")}

    def confirmation(self, subscription, profile: dict) -> EmailMessage:
        token = self.tokens.make(subscription.id, "confirm")
        days = max(1, round(self.settings.confirm_max_age_s / 86400))
        context = {"firm": profile["name"], "confirm_url": self.settings.url(f"/abo/bestaetigen/{token}"),
                   "days": days, "preferences": describe_preferences(subscription.preferences),
                   "subscription_id": subscription.id}
        subject = f"Bitte bestätigen: wöchentlicher Partnerradar-Digest für {profile['name']}"
        return self._message(subscription.email, subject, "confirm", context, None,
                             f"<confirm.{subscription.id}.{token[-12:]}@{self.settings.sender.domain}>")

    def fresh_links(self, subscription, profile: dict) -> EmailMessage:
        """To a subscriber whose address was registered again: new settings and unsubscribe
        links (the way to get a fresh link when the last digest is long ago). Not a list
        mail: no List-Unsubscribe header."""
        links = self.links(subscription.id)
        context = {"firm": profile["name"], "subscription_id": subscription.id,
                   "manage_days": max(1, round(self.tokens.manage_max_age_s / 86400)), **links}
        subject = f"Ihr Partnerradar-Digest für {profile['name']}: neue Links zu Einstellungen und Abmelden"
        token = links["settings_url"].rsplit("/", 1)[1]
        return self._message(subscription.email, subject, "links", context, None,
                             f"<links.{subscription.id}.{token[-12:]}@{self.settings.sender.domain}>")

    def digest(self, subscription, profile: dict, picks, week: str, listings=()) -> EmailMessage:
        links = self.links(subscription.id)
        partners = []
        for pick in picks:
            hit = pick.hit
            partners.append({
                "name": hit["name"], "kind": KIND_NAMES.get(hit["kind"], KIND_LABELS.get(hit["kind"], hit["kind"])),
                "town": hit.get("town") or "", "landkreis": hit.get("landkreis") or "",
                "distance": None if hit.get("distance_km") is None else f"{hit['distance_km']:.0f} km",
                "status": "neu" if pick.is_new else "aktualisiert",
                "why": _why(hit, pick.topics),
                "url": self.settings.url(f"/profil/{hit['id']}"),
            })
        n = len(partners)
        count = "ein neuer passender Partner" if n == 1 else f"{n} neue passende Partner"
        if not partners:     # only new offers and requests for the firm's own listings
            count = ("ein neues passendes Angebot oder Gesuch" if len(listings) == 1
                     else f"{len(listings)} neue passende Angebote und Gesuche")
        subject = f"Partnerradar {week_label(week).split(' (')[0]}: {count} für {profile['name']}"
        if partners:
            subject += f" – u. a. {partners[0]['name']}"
        context = {"firm": profile["name"], "week": week_label(week), "partners": partners,
                   "listings": list(listings),
                   "preferences": describe_preferences(subscription.preferences),
                   "subscription_id": subscription.id, **links}
        return self._message(subscription.email, subject, "digest", context, links["unsubscribe_url"],
                             message_id(subscription.id, week, self.settings.sender.domain))


def describe_preferences(prefs) -> list[str]:
    """The preferences in one German line each, for the mails and pages."""
    lines = [f"Umkreis: {prefs.radius_km:.0f} km um Ihren Standort" if prefs.radius_km else "Umkreis: ganz Sachsen"]
    lines.append("Partnerarten: " + (", ".join(KIND_PLURALS.get(k, k) for k in prefs.kinds) if prefs.kinds else "alle"))
    if prefs.topics:
        lines.append("Schwerpunkte: " + ", ".join(prefs.topics))
    if prefs.exclude_topics:
        lines.append("Ausgeschlossen: " + ", ".join(prefs.exclude_topics))
    return lines
