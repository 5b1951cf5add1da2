"""The kinds of organisation and every German word for them, in one place.

Ingest accepts the spellings of ``KIND_ALIASES``; the API's schema lists ``KINDS``; pages,
explanations and mails take their words from the tables below, so a new kind is one line
in each table here.
"""
from __future__ import annotations

KINDS = ("kmu", "research", "startup", "other")

#: Spellings people actually put in spreadsheets, mapped to the canonical kind.
KIND_ALIASES = {
    "kmu": "kmu", "sme": "kmu", "unternehmen": "kmu", "firma": "kmu", "company": "kmu",
    "research": "research", "forschung": "research", "hochschule": "research",
    "institut": "research", "forschungseinrichtung": "research", "universität": "research",
    "startup": "startup", "start-up": "startup", "gründung": "startup",
    "other": "other", "sonstige": "other", "sonstiges": "other", "verband": "other",
}

#: The short label of result lists, filters and explanations ("Ergänzt Sie als Forschung").
KIND_LABELS = {"kmu": "KMU", "research": "Forschung", "startup": "Start-up", "other": "Sonstige"}
#: One organisation of the kind, in a sentence of the digest mail.
KIND_NAMES = {"kmu": "KMU", "research": "Forschungseinrichtung", "startup": "Start-up", "other": "Organisation"}
#: Several of the kind, in a list of the digest's preferences ("Partnerarten: KMU, Start-ups").
KIND_PLURALS = {"kmu": "KMU", "research": "Forschungseinrichtungen", "startup": "Start-ups", "other": "sonstige"}
#: The choices of the subscription form, in the order of ``KINDS``.
KIND_CHOICES = (("kmu", "KMU"), ("research", "Forschungseinrichtungen"), ("startup", "Start-ups"),
                ("other", "Sonstige Organisationen"))

for _table in (KIND_LABELS, KIND_NAMES, KIND_PLURALS, dict(KIND_CHOICES)):
    assert tuple(_table) == KINDS, "every table names every kind, in the order of KINDS"
