"""German abbreviations and the words they stand for, in one place.

A manager writes "KI", a funded project's description "künstliche Intelligenz"; the
lexical signal must see one thing in both. The list is small and curated: an entry is
an abbreviation used in Saxon funding and innovation texts that names one thing (no
"IT" that is also an English word, no "AR" that is also a country code in addresses).
The query side reads it both ways (``index.analyzer.GermanAnalyzer.alternatives``): a
need with the abbreviation also matches the spelled-out words, and the other way round.
"""
from __future__ import annotations

#: Abbreviation as written (case matters: "KI", "IoT") -> the words it stands for.
ABBREVIATIONS: dict[str, str] = {
    "KI": "künstliche Intelligenz",
    "IoT": "Internet der Dinge",
    "KMU": "kleine und mittlere Unternehmen",
    "ML": "maschinelles Lernen",
    "VR": "virtuelle Realität",
    "PV": "Photovoltaik",
    "CFK": "kohlenstofffaserverstärkter Kunststoff",
    "GFK": "glasfaserverstärkter Kunststoff",
    "ZfP": "zerstörungsfreie Prüfung",
    "QS": "Qualitätssicherung",
    "FuE": "Forschung und Entwicklung",
    "BHKW": "Blockheizkraftwerk",
    "KWK": "Kraft-Wärme-Kopplung",
    "WRG": "Wärmerückgewinnung",
    "EMV": "elektromagnetische Verträglichkeit",
    "MRT": "Magnetresonanztomographie",
    "TGA": "technische Gebäudeausrüstung",
    "ÖPNV": "öffentlicher Personennahverkehr",
    "SPS": "speicherprogrammierbare Steuerung",
    "BIM": "Building Information Modeling",
    "LCA": "Ökobilanz",
}

for _short, _long in ABBREVIATIONS.items():
    assert _short.strip() == _short and " " not in _short and _long.strip(), _short
