"""Place and district names as people write them, folded to keys that compare equal.

"Reichenbach im Vogtland", "Reichenbach/Vogtl." and "Reichenbach i. V." are one town;
"LK Leipzig" and "Leipzig, Landkreis" one district.
"""
from __future__ import annotations

import re
import unicodedata

_UMLAUTS_PLAIN = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})
_UMLAUTS_E = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})

#: Qualifiers people and registers spell in many ways, folded to one token each.
_QUALIFIER_TOKENS = {
    "erzgebirge": "erzgeb", "erzgeb": "erzgeb", "erzgb": "erzgeb", "e": "erzgeb",
    "vogtland": "vogtl", "vogtl": "vogtl", "v": "vogtl", "vogtld": "vogtl",
    "oberlausitz": "ol", "ol": "ol",
    "sachsen": "sa", "sachs": "sa", "sa": "sa",
}
#: Words registers put around a name that are not part of it.
_DECORATIONS = re.compile(
    r"^(landeshauptstadt|universitatsstadt|universitaetsstadt|grosse kreisstadt|"
    r"kreisstadt|stadt|gemeinde|kurort|markt)\s+"
    r"|\s+(kreisfreie stadt|grosse kreisstadt|stadt|gemeinde|kurort)$"
)
#: Small words between a name and its qualifier: "an der Spree", "a. d. Eigen", "i. V.".
_CONNECTORS = re.compile(r"\s+(an der|auf dem|ob der|a d|o d|am|im|in|bei|i|b)(?=\s)")


def _fold(text: str, umlauts=_UMLAUTS_PLAIN) -> str:
    text = unicodedata.normalize("NFC", text).lower().translate(umlauts)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())
    return re.sub(r"\bo l\b", "ol", text)


def _folds(text: str) -> set[str]:
    """Both umlaut spellings (Zwönitz -> zwonitz, zwoenitz)."""
    return {_fold(text, _UMLAUTS_PLAIN), _fold(text, _UMLAUTS_E)}


def _collapse(key: str) -> str:
    """Fold 'ae/oe/ue' to 'a/o/u' so 'Goerlitz' and 'Gorlitz' compare equal."""
    return key.replace("ae", "a").replace("oe", "o").replace("ue", "u")


def _strip_decorations(key: str) -> str:
    previous = None
    while previous != key:
        previous, key = key, _DECORATIONS.sub("", key).strip()
    return key


def _name_keys(name: str) -> tuple[set[str], set[str]]:
    """Full and base keys of a name.

    'Reichenbach im Vogtland', 'Reichenbach/Vogtl.' and 'Reichenbach i. V.' all have the
    full key 'reichenbach vogtl' and the base key 'reichenbach'.
    """
    full, base = set(), set()
    for variant in _folds(name):
        variant = _strip_decorations(variant)
        tokens = _CONNECTORS.sub("", variant).split()
        full.add(" ".join(tokens[:1] + [_QUALIFIER_TOKENS.get(t, t) for t in tokens[1:]]))
    head = re.split(r"[/(,]", name, maxsplit=1)[0]
    for variant in _folds(head):
        variant = _strip_decorations(variant)
        connector = _CONNECTORS.search(variant)
        base.add(variant[:connector.start()] if connector else variant)
    return {k for k in full if k}, {k for k in base if k}


_DISTRICT_ALIASES = {
    "dresden": "Dresden", "leipzig": "Leipzig", "chemnitz": "Chemnitz",
    "bautzen": "Bautzen", "gorlitz": "Görlitz", "meissen": "Meißen", "zwickau": "Zwickau",
    "erzgebirgskreis": "Erzgebirgskreis", "erzgebirge": "Erzgebirgskreis",
    "mittelsachsen": "Mittelsachsen", "nordsachsen": "Nordsachsen",
    "vogtlandkreis": "Vogtlandkreis", "vogtland": "Vogtlandkreis",
    "sachsische schweiz osterzgebirge": "Sächsische Schweiz-Osterzgebirge",
    "sachsische schweiz": "Sächsische Schweiz-Osterzgebirge",
    "osterzgebirge": "Sächsische Schweiz-Osterzgebirge",
    "leipziger land": "Landkreis Leipzig",
}
_DISTRICT_WORDS = re.compile(
    r"\b(landkreis|lkr|lk|kreis|kreisfreie stadt|kreisfreie|landeshauptstadt|stadt|"
    r"sachsen|in)\b")


def normalise_district(name: str) -> str | None:
    """Canonical district name for a user's spelling, or None.

    'Landkreis Leipzig', 'Leipzig, Landkreis', 'LK Leipzig' -> 'Landkreis Leipzig';
    'Leipzig', 'Leipzig, Stadt' -> 'Leipzig'; 'LK Zwickau' -> 'Zwickau'.
    """
    if not name or not name.strip():
        return None
    key = _collapse(_fold(name))
    is_district = bool(re.search(r"\b(landkreis|lkr|lk|kreis)\b", key))
    stripped = " ".join(_DISTRICT_WORDS.sub(" ", key).split())
    district = _DISTRICT_ALIASES.get(stripped) or _DISTRICT_ALIASES.get(key)
    if district == "Leipzig" and is_district:
        return "Landkreis Leipzig"
    if district is None:
        from rapidfuzz import fuzz, process

        hit = process.extractOne(stripped, list(_DISTRICT_ALIASES), scorer=fuzz.ratio,
                                 score_cutoff=88)
        district = _DISTRICT_ALIASES[hit[0]] if hit else None
    return district
