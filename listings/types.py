"""The listing types: one entry per type, everything the rest of the package needs to know.

A type is an *offer* or a *request* of one *flow* (technology, R&D, capacity, material,
heat). Matching pairs an offer with a request of a counterpart type only (never offer with
offer), and the flow decides which structured fields count and how far a partner may be:
heat travels a few kilometres through a pipe, materials go by lorry, know-how and
manufacturing capacity travel across Saxony. A new type is one ``ListingType`` here plus
its name in the counterparts of the types it pairs with.
"""
from __future__ import annotations

from dataclasses import dataclass

#: Saxony is about 230 km across (Plauen–Görlitz); 300 km reaches everywhere in it.
SAXONY_KM = 300.0


@dataclass(frozen=True)
class Flow:
    key: str
    label: str            # German, plural: "Abwärme-Partnerschaften"
    max_km: float         # the farthest two sites of this flow may be apart
    total_field: str      # which quantity is summed in a region's totals ('' for none)


FLOWS = {
    # A local heating network carries heat a few kilometres; a lorry carries material far.
    "heat": Flow("heat", "Abwärme-Partnerschaften", 5.0, "power_kw"),
    "material": Flow("material", "Stoffstrom-Partnerschaften", 150.0, "quantity"),
    "capacity": Flow("capacity", "Fertigungs-Partnerschaften", SAXONY_KM, "hours_per_month"),
    "technology": Flow("technology", "Technologie-Partnerschaften", SAXONY_KM, ""),
}


@dataclass(frozen=True)
class ListingType:
    key: str
    label: str                  # German, as users read it
    side: str                   # "offer" or "request"
    flow: str                   # key of FLOWS
    counterparts: tuple[str, ...]
    required: tuple[str, ...] = ()     # structured fields this type must state
    fields: tuple[str, ...] = ()       # structured fields shown in its form

    @property
    def is_offer(self) -> bool:
        return self.side == "offer"

    @property
    def flow_info(self) -> Flow:
        return FLOWS[self.flow]


_MATERIAL = ("material", "waste_code", "quantity", "unit", "period")
_HEAT = ("temperature_c", "power_kw")
_CAPACITY = ("process", "hours_per_month")

TYPES: dict[str, ListingType] = {t.key: t for t in (
    ListingType("technology_offer", "Technologieangebot", "offer", "technology",
                ("technology_request", "rnd_request")),
    ListingType("technology_request", "Technologiegesuch", "request", "technology", ("technology_offer",)),
    ListingType("rnd_request", "F&E-Kooperation gesucht", "request", "technology", ("technology_offer",)),
    ListingType("capacity_offer", "freie Fertigungskapazität", "offer", "capacity", ("capacity_request",),
                required=("process",), fields=_CAPACITY),
    # Not in the list: without it free capacity had no counterpart to pair with.
    ListingType("capacity_request", "Fertigungskapazität gesucht", "request", "capacity", ("capacity_offer",),
                required=("process",), fields=_CAPACITY),
    ListingType("residue_offer", "Reststoff/Nebenprodukt", "offer", "material", ("secondary_request",),
                required=("material",), fields=_MATERIAL),
    ListingType("secondary_request", "Sekundärrohstoff gesucht", "request", "material", ("residue_offer",),
                required=("material",), fields=_MATERIAL),
    ListingType("heat_offer", "Abwärme verfügbar", "offer", "heat", ("heat_request",),
                required=("temperature_c", "power_kw"), fields=_HEAT),
    ListingType("heat_request", "Wärme gesucht", "request", "heat", ("heat_offer",),
                required=("temperature_c",), fields=_HEAT),
)}

#: Spellings people put into a spreadsheet's "Typ" column.
TYPE_ALIASES = {**{t.key: t.key for t in TYPES.values()},
                **{t.label.lower(): t.key for t in TYPES.values()},
                "abwärme": "heat_offer", "wärmebedarf": "heat_request", "reststoff": "residue_offer",
                "nebenprodukt": "residue_offer", "sekundärrohstoff": "secondary_request",
                "fertigungskapazität": "capacity_offer", "freie kapazität": "capacity_offer",
                "f&e-kooperation": "rnd_request", "technologie-angebot": "technology_offer",
                "technologie-gesuch": "technology_request"}

STATUSES = {"open": "offen", "in_talks": "in Gesprächen", "done": "erledigt"}
STATUS_ALIASES = {"open": "open", "offen": "open", "in_talks": "in_talks", "in gesprächen": "in_talks",
                  "in gespraechen": "in_talks", "done": "done", "erledigt": "done"}
VISIBILITIES = {"public": "öffentlich", "anonymous": "anonym"}
VISIBILITY_ALIASES = {"public": "public", "öffentlich": "public", "oeffentlich": "public", "": "public",
                      "anonymous": "anonymous", "anonym": "anonymous"}

#: German names of the structured fields (forms, errors, explanations).
FIELD_LABELS = {"material": "Material", "waste_code": "Abfallschlüssel (AVV)", "quantity": "Menge",
                "unit": "Einheit", "period": "Zeitraum", "temperature_c": "Temperatur (°C)",
                "power_kw": "Leistung (kW)", "process": "Verfahren/Maschine",
                "hours_per_month": "Stunden pro Monat", "title": "Titel", "text": "Beschreibung",
                "type": "Typ", "profile_id": "Profil", "postcode": "Postleitzahl", "town": "Ort",
                "status": "Status", "visibility": "Sichtbarkeit"}
