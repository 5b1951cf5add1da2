"""Reminders before a listing expires: one German mail per listing and renewal.

``partnerradar listing remind --send`` (for cron, daily) mails the owner profile's contact
address about each open listing that expires within 14 days; the listing is marked as
reminded in the same step, so a second run sends nothing until it is renewed (renewal
starts six months again). Without ``--send`` it only lists them.
"""
from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from digest.mailer import Mailer, SendFailure
from listings.types import TYPES


def reminder_message(settings, listing: dict, owner: dict) -> EmailMessage:
    expires = datetime.fromtimestamp(listing["expires_at"]).strftime("%d.%m.%Y")
    label = TYPES[listing["type"]].label
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = owner["contact_email"]
    msg["Subject"] = f"Ihr Eintrag „{listing['title']}“ läuft am {expires} ab"
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=settings.sender.domain)
    msg["Auto-Submitted"] = "auto-generated"
    url = settings.url(f"/angebote/{listing['id']}")
    msg.set_content(
        f"Guten Tag,\n\nIhr Eintrag bei Partnerradar ({label}) „{listing['title']}“ für {owner['name']} "
        f"läuft am {expires} ab. Danach wird er nicht mehr vorgeschlagen.\n\n"
        f"Wenn er noch gilt, verlängern Sie ihn bitte um sechs Monate: {url}\n"
        f"Ist er erledigt, setzen Sie dort den Status auf „erledigt“.\n\n"
        "Partnerradar – Kooperationspartner für regionale Innovation in Sachsen\n",
        charset="utf-8", cte="quoted-printable")
    return msg


def remind(service, settings, send: bool = False) -> list[dict]:
    """The listings due for a reminder, each with ``sent``/``skipped``/``error`` (German)."""
    due = service.expiring()
    owners = service.owners(due)
    out = []
    mailer = Mailer(settings) if send else None
    try:
        for listing in due:
            owner = owners.get(listing["profile_id"])
            entry = {"id": listing["id"], "title": listing["title"], "profile_id": listing["profile_id"],
                     "expires_at": listing["expires_at"], "state": "fällig"}
            if send:
                if owner is None or not owner.get("contact_email"):
                    entry["state"] = "keine E-Mail-Adresse im Profil"
                else:
                    try:
                        mailer.send(reminder_message(settings, listing, owner))
                        service.mark_reminded(listing["id"])
                        entry["state"] = "erinnert"
                    except SendFailure as exc:
                        entry["state"] = f"nicht zugestellt: {exc}"
            out.append(entry)
    finally:
        if mailer is not None:
            mailer.close()
    return out
