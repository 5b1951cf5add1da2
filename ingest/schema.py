"""Checking a raw row and turning it into the profile record (``vocabulary/profile.py``).

Readers turn
rows into ``dict``s with the keys of ``FIELDS``; ``validate_record`` turns such a
dict into a clean ``Profile`` or raises ``RecordError`` with a reason a person
understands: a short German sentence, because innovation managers read it in the
reject report next to the file name and line number (field names stay English).
"""
from __future__ import annotations

import hashlib
import re
import unicodedata

from vocabulary.kinds import KIND_ALIASES, KINDS
from vocabulary.profile import FIELDS, TEXT_FIELDS, Profile

#: Caps keep one hostile row from bloating the store or the encoder's work.
MAX_FIELD_CHARS = {"name": 300, "description": 20000, "offers": 5000, "seeks": 5000,
                   "keywords": 2000}
DEFAULT_MAX_CHARS = 500

#: Characters that reorder or hide text: bidi embeddings/overrides/isolates and marks
#: ("Firma\u202egnalf" shows as "Firmaflang"), and control characters that are not
#: whitespace (whitespace becomes a plain space in ``clean_text``).
HIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f"
                               "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: UTF-8 read as Windows-1252 or Latin-1: "Ã¼" for "ü", "ÃŸ" for "ß", "â€ž" for "„".
_CP1252_CONTINUATION = "\x80-\xbf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc" \
                       "\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a" \
                       "\u20ac\u2122"
MOJIBAKE = re.compile(f"[ÃÂ][{_CP1252_CONTINUATION}]|â€[{_CP1252_CONTINUATION}]")
_POSTCODE = re.compile(r"^\d{5}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class RecordError(ValueError):
    """A row that cannot become a profile; the message is the reason shown to the user."""


def clean_text(value) -> str:
    """NFC-normalise and collapse whitespace; None becomes ''."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value))
    text = text.replace("\x00", "")
    return re.sub(r"\s+", " ", text).strip()


def slugify(text: str) -> str:
    text = clean_text(text).lower()
    for src, dst in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(src, dst)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def derive_id(name: str, postcode: str = "") -> str:
    """A stable id for rows without one: the same name and postcode give the same id."""
    base = slugify(name)[:60] or "profil"
    digest = hashlib.sha1(f"{slugify(name)}|{postcode}".encode()).hexdigest()[:8]
    return f"{base}-{digest}"


def parse_kind(value) -> str:
    raw = clean_text(value).lower()
    if not raw:
        raise RecordError("kind fehlt (erwartet: " + ", ".join(KINDS) + ")")
    kind = KIND_ALIASES.get(raw)
    if kind is None:
        raise RecordError(f"Unbekannte Art „{raw}“ in kind (erwartet: {', '.join(KINDS)})")
    return kind


def parse_postcode(value) -> str:
    raw = clean_text(value)
    if not raw:
        return ""
    # Spreadsheets drop the leading zero of Saxon postcodes (01067 -> 1067) and add ".0".
    raw = re.sub(r"\.0$", "", raw.replace(" ", ""))
    if raw.upper().startswith("D-"):
        raw = raw[2:]
    if raw.isdigit() and len(raw) == 4:
        raw = "0" + raw
    if not _POSTCODE.match(raw):
        raise RecordError(f"Unlesbare Postleitzahl „{clean_text(value)}“ (erwartet: fünf Ziffern)")
    return raw


def parse_listed(value) -> bool:
    raw = clean_text(value).lower()
    if raw in ("", "1", "true", "ja", "yes", "j", "y"):
        return True
    if raw in ("0", "false", "nein", "no", "n"):
        return False
    raise RecordError(f"Unlesbarer Wert „{raw}“ in listed (erwartet: ja oder nein)")


def check_visible_text(key: str, value: str) -> None:
    """Refuse text that hides or reorders characters, or that is mis-decoded UTF-8.

    Mojibake is refused, not stored: a UTF-8 row read as Windows-1252 ("NachrÃ¼stsensorik")
    would otherwise overwrite a correct profile and make a duplicate of every name."""
    hidden = HIDDEN_CHARACTERS.search(value)
    if hidden:
        code = f"U+{ord(hidden.group()):04X}"
        name = unicodedata.name(hidden.group(), "Steuerzeichen")
        raise RecordError(f"Feld {key} enthält ein unsichtbares Steuerzeichen ({code} {name}) an "
                          f"Stelle {hidden.start() + 1}; es kann Text verstecken oder umdrehen, bitte entfernen")
    garbled = MOJIBAKE.search(value)
    if garbled:
        raise RecordError(f"Feld {key} enthält „{garbled.group()}“: das sieht nach falsch dekodiertem "
                          f"UTF-8 aus (Zeichensalat wie „Ã¼“ statt „ü“); bitte die Datei einheitlich "
                          f"als UTF-8 speichern")


def validate_record(record: dict) -> Profile:
    """Turn one raw row into a Profile, or raise RecordError with the first problem found."""
    values = {key: clean_text(record.get(key)) for key in FIELDS if key != "listed"}
    if not values["name"]:
        raise RecordError("name fehlt")
    for key, value in values.items():
        limit = MAX_FIELD_CHARS.get(key, DEFAULT_MAX_CHARS)
        if len(value) > limit:
            raise RecordError(f"Feld {key} ist zu lang ({len(value)} Zeichen, höchstens {limit})")
        check_visible_text(key, value)
    kind = parse_kind(record.get("kind"))
    postcode = parse_postcode(record.get("postcode"))
    email = values["contact_email"]
    if email and not _EMAIL.match(email):
        raise RecordError(f"Ungültige E-Mail-Adresse „{email}“ in contact_email")
    if not any(values[f] for f in TEXT_FIELDS):
        raise RecordError("Kein Text zum Abgleichen (description, offers, seeks und keywords sind alle leer)")
    profile_id = values["id"] or derive_id(values["name"], postcode)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}", profile_id):
        raise RecordError(f"Ungültige id „{profile_id}“ (erlaubt: Buchstaben ohne Umlaute, Ziffern, "
                          f"„.“, „_“, „:“ und „-“; höchstens 128 Zeichen)")
    extra = record.get("extra") or {}
    if not isinstance(extra, dict):
        raise RecordError("extra muss ein Objekt sein")
    return Profile(
        id=profile_id, name=values["name"], kind=kind,
        description=values["description"], offers=values["offers"], seeks=values["seeks"],
        keywords=values["keywords"], street=values["street"], postcode=postcode,
        town=values["town"], website=values["website"], contact_name=values["contact_name"],
        contact_email=email, listed=parse_listed(record.get("listed")), extra=dict(extra),
    )
