"""A listing record: validation with German errors, numbers and units normalised.

``validate_listing`` turns a raw dict (API body, form, CSV row) into a clean dict of the
columns in ``FIELDS`` or raises ``ListingError`` with a sentence a person understands.
Locations are resolved by the service (it knows the owner and the gazetteer).
"""
from __future__ import annotations

import re
import secrets

from ingest.schema import clean_text
from listings.types import (FIELD_LABELS, STATUS_ALIASES, STATUSES, TYPE_ALIASES, TYPES, VISIBILITIES,
                            VISIBILITY_ALIASES)

FIELDS = ("id", "profile_id", "type", "title", "text", "material", "waste_code", "quantity", "unit",
          "period", "temperature_c", "power_kw", "process", "hours_per_month", "postcode", "town",
          "status", "visibility")
NUMBER_FIELDS = ("quantity", "temperature_c", "power_kw", "hours_per_month")
#: Caps keep one hostile row from bloating the table or the encoder's work.
MAX_CHARS = {"title": 200, "text": 4000, "material": 200, "process": 200, "town": 100, "id": 64,
             "profile_id": 128}
DEFAULT_MAX_CHARS = 50
RANGES = {"quantity": (0.0, 1e9), "temperature_c": (-50.0, 1500.0), "power_kw": (0.0, 1e6),
          "hours_per_month": (0.0, 744.0)}
#: Unit -> (dimension, factor to the dimension's base unit).
UNITS = {"t": ("mass", 1.0), "kg": ("mass", 0.001), "g": ("mass", 1e-6), "m³": ("volume", 1.0),
         "l": ("volume", 0.001), "stück": ("count", 1.0)}
UNIT_ALIASES = {"t": "t", "tonne": "t", "tonnen": "t", "to": "t", "kg": "kg", "kilogramm": "kg", "g": "g",
                "m3": "m³", "m³": "m³", "kubikmeter": "m³", "cbm": "m³", "l": "l", "liter": "l",
                "stück": "stück", "stk": "stück", "stk.": "stück", "stueck": "stück", "teile": "stück"}
BASE_UNITS = {"mass": "t", "volume": "m³", "count": "Stück"}
#: Period -> factor to "per year"; a one-off lot is compared with a year's amount.
PERIODS = {"jahr": 1.0, "monat": 12.0, "woche": 52.0, "tag": 365.0, "einmalig": 1.0}
PERIOD_ALIASES = {"jahr": "jahr", "a": "jahr", "pro jahr": "jahr", "jährlich": "jahr", "year": "jahr",
                  "monat": "monat", "pro monat": "monat", "monatlich": "monat", "month": "monat",
                  "woche": "woche", "pro woche": "woche", "wöchentlich": "woche", "tag": "tag",
                  "pro tag": "tag", "täglich": "tag", "d": "tag", "einmalig": "einmalig", "einmal": "einmalig",
                  "once": "einmalig", "": "jahr"}
PERIOD_LABELS = {"jahr": "Jahr", "monat": "Monat", "woche": "Woche", "tag": "Tag", "einmalig": "einmalig"}
_WASTE_CODE = re.compile(r"^(\d{2})\s?(\d{2})\s?(\d{2})\s?(\*?)$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


class ListingError(ValueError):
    """A record that cannot become a listing; the message is the reason shown to the user."""


def new_id() -> str:
    """Random, not derived from the owner: an anonymous listing's id must not name its firm."""
    return "lst-" + secrets.token_hex(6)


def parse_number(value, field: str) -> float | None:
    """German or English notation: '2,5', '1.200', '1.200,5', 400 -> float; '' -> None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ListingError(f"{FIELD_LABELS[field]} muss eine Zahl sein")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        raw = clean_text(value).replace(" ", "").replace("\u00a0", "")
        raw = re.sub(r"(°c|kw|h|t|%)$", "", raw, flags=re.I)
        if "," in raw and "." in raw:
            raw = raw.replace(".", "").replace(",", ".")
        elif "," in raw:
            raw = raw.replace(",", ".")
        elif re.fullmatch(r"\d{1,3}(\.\d{3})+", raw):
            raw = raw.replace(".", "")
        try:
            number = float(raw)
        except ValueError:
            raise ListingError(f"{FIELD_LABELS[field]}: „{clean_text(value)}“ ist keine Zahl") from None
    low, high = RANGES[field]
    if not (number == number) or not low <= number <= high:     # NaN fails the first test
        raise ListingError(f"{FIELD_LABELS[field]} muss zwischen {_de(low)} und {_de(high)} liegen")
    return number


def parse_waste_code(value) -> str:
    """AVV-style six digits ('070213', '07 02 13', '17 05 03*') -> '07 02 13' (with '*')."""
    raw = clean_text(value)
    if not raw:
        return ""
    match = _WASTE_CODE.match(raw)
    if not match:
        raise ListingError(f"Abfallschlüssel „{raw}“ ist unlesbar (erwartet: sechs Ziffern nach AVV, "
                           f"z. B. 07 02 13)")
    return f"{match.group(1)} {match.group(2)} {match.group(3)}{match.group(4)}"


def parse_choice(value, aliases: dict, labels: dict, field: str, default: str) -> str:
    raw = clean_text(value).lower()
    if not raw:
        return default
    key = aliases.get(raw)
    if key is None:
        raise ListingError(f"Unbekannter Wert „{clean_text(value)}“ für {FIELD_LABELS[field]} "
                           f"(erlaubt: {', '.join(labels.values())})")
    return key


def parse_type(value) -> str:
    raw = clean_text(value).lower()
    if not raw:
        raise ListingError("Typ fehlt (erlaubt: " + ", ".join(t.label for t in TYPES.values()) + ")")
    key = TYPE_ALIASES.get(raw)
    if key is None:
        raise ListingError(f"Unbekannter Typ „{clean_text(value)}“ (erlaubt: "
                           + ", ".join(t.label for t in TYPES.values()) + ")")
    return key


def split_unit(unit_value, period_value) -> tuple[str, str]:
    """'t/a', 't pro Jahr', 'kg' + 'Monat' -> ('t', 'jahr'), ('kg', 'monat')."""
    unit = clean_text(unit_value).lower()
    period = clean_text(period_value).lower()
    if "/" in unit and not period:
        unit, period = (part.strip() for part in unit.split("/", 1))
    elif " pro " in unit and not period:
        unit, period = (part.strip() for part in unit.split(" pro ", 1))
    if unit and unit not in UNIT_ALIASES:
        raise ListingError(f"Unbekannte Einheit „{clean_text(unit_value)}“ (erlaubt: t, kg, m³, l, Stück)")
    if period not in PERIOD_ALIASES:
        raise ListingError(f"Unbekannter Zeitraum „{clean_text(period_value) or period}“ "
                           f"(erlaubt: Jahr, Monat, Woche, Tag, einmalig)")
    return UNIT_ALIASES.get(unit, ""), PERIOD_ALIASES[period]


def validate_listing(record: dict) -> dict:
    """A clean listing dict (``FIELDS``), or ListingError with the first problem found."""
    if not isinstance(record, dict):
        raise ListingError("Ein Eintrag muss ein Objekt mit Feldern sein")
    values = {}
    for key in ("id", "profile_id", "title", "text", "material", "process", "postcode", "town"):
        value = record.get(key)
        if value is not None and not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ListingError(f"{FIELD_LABELS.get(key, key)} muss ein Text sein")
        values[key] = clean_text(value)
        limit = MAX_CHARS.get(key, DEFAULT_MAX_CHARS)
        if len(values[key]) > limit:
            raise ListingError(f"{FIELD_LABELS.get(key, key)} ist zu lang ({len(values[key])} Zeichen, "
                               f"höchstens {limit})")
    if values["id"] and not _ID.match(values["id"]):
        raise ListingError(f"Ungültige id „{values['id']}“ (erlaubt: Buchstaben ohne Umlaute, Ziffern, "
                           "„.“, „_“, „:“ und „-“)")
    if not values["profile_id"]:
        raise ListingError("profile_id fehlt (welchem Profil gehört der Eintrag?)")
    kind = parse_type(record.get("type"))
    values["type"] = kind
    if not values["title"]:
        raise ListingError("Titel fehlt")
    for key in NUMBER_FIELDS:
        values[key] = parse_number(record.get(key), key)
    values["waste_code"] = parse_waste_code(record.get("waste_code"))
    values["unit"], values["period"] = split_unit(record.get("unit"), record.get("period"))
    if values["quantity"] is not None and not values["unit"]:
        raise ListingError("Zur Menge fehlt die Einheit (t, kg, m³, l oder Stück)")
    if values["postcode"]:
        from ingest.schema import RecordError, parse_postcode
        try:
            values["postcode"] = parse_postcode(values["postcode"])
        except RecordError as exc:
            raise ListingError(str(exc)) from None
    values["status"] = parse_choice(record.get("status"), STATUS_ALIASES, STATUSES, "status", "open")
    values["visibility"] = parse_choice(record.get("visibility"), VISIBILITY_ALIASES, VISIBILITIES,
                                        "visibility", "public")
    listing_type = TYPES[kind]
    missing = [FIELD_LABELS[f] for f in listing_type.required if values.get(f) in (None, "")]
    if missing:
        raise ListingError(f"Für „{listing_type.label}“ fehlt: {', '.join(missing)}")
    if kind == "heat_offer" and values["temperature_c"] is not None and values["temperature_c"] < 20:
        raise ListingError("Abwärme unter 20 °C ist keine nutzbare Wärme (Temperatur prüfen)")
    return values


def normalised_quantity(listing: dict) -> tuple[str, float] | None:
    """(dimension, amount per year in the base unit), or None when no quantity is given."""
    if listing.get("quantity") is None or not listing.get("unit"):
        return None
    dimension, factor = UNITS[listing["unit"]]
    return dimension, listing["quantity"] * factor * PERIODS.get(listing.get("period") or "jahr", 1.0)


def quantity_label(listing: dict) -> str:
    """'20 t/Jahr', '1,5 t einmalig'."""
    if listing.get("quantity") is None:
        return ""
    unit = "Stück" if listing["unit"] == "stück" else listing["unit"]
    period = listing.get("period") or "jahr"
    return f"{_de(listing['quantity'])} {unit}" + (" einmalig" if period == "einmalig"
                                                    else f"/{PERIOD_LABELS[period]}")


def _de(value: float, digits: int = 1) -> str:
    """1234.5 -> '1.234,5'; whole numbers without decimals."""
    if value is None:
        return ""
    if float(value).is_integer():
        text = f"{int(value):,}"
    else:
        text = f"{value:,.{digits}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


de_number = _de
