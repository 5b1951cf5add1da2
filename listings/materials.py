"""Which materials are the same: families of names people write for one material.

A residue offer and a request for a secondary raw material match only when they name
the same material: the same AVV waste code, or a common family below ("PA6-Mahlgut" and
"Polyamid 6 Regranulat" are both PA6; "Polypropylen" is not). Names are folded
(lowercase, umlauts spelt out); a short key (≤ 4 letters: "pp", "pa6", "holz") must be a
whole word, a longer one may sit inside a compound ("Aluminiumspäne", "Altholz").
When neither side names a known family, the materials must share an analyzer term.
"""
from __future__ import annotations

import re
from functools import lru_cache

from index.analyzer import fold

FAMILIES = {
    "Polyamid 6 (PA6)": ("pa6", "pa 6", "polyamid 6", "polyamid-6", "nylon 6", "pa6-mahlgut"),
    "Polyamid 66 (PA66)": ("pa66", "pa 66", "pa 6.6", "polyamid 66", "polyamid 6.6"),
    "Polypropylen (PP)": ("pp", "polypropylen"),
    "Polyethylen (PE)": ("pe", "hdpe", "ldpe", "pe-hd", "pe-ld", "polyethylen"),
    "PET": ("pet", "polyethylenterephthalat"),
    "ABS": ("abs",),
    "Polycarbonat (PC)": ("pc", "polycarbonat"),
    "Polystyrol (PS)": ("ps", "eps", "polystyrol", "styropor"),
    "PVC": ("pvc",),
    "Aluminium": ("alu", "aluminium", "aluminum"),
    "Stahl": ("stahl", "eisenschrott", "stahlschrott", "blechabfall", "stanzabfall", "stanzgitter"),
    "Kupfer": ("kupfer",),
    "Messing": ("messing",),
    "Holz": ("holz", "altholz", "restholz", "holzreste", "holzspaene", "saegespaene", "hackschnitzel",
             "holzstaub", "holzabfall", "rinde"),
    "Papier und Pappe": ("papier", "pappe", "karton", "wellpappe", "zellstoff"),
    "Glas": ("glas", "altglas", "glasbruch", "glasscherben", "flachglas", "behaelterglas"),
    "Glasfaser": ("glasfaser", "gfk"),
    "Carbonfaser": ("carbonfaser", "carbonfasern", "kohlenstofffaser", "cfk"),
    "Gießereisand": ("formsand", "altsand", "giessereisand", "kernsand", "quarzsand"),
    "Schlacke": ("schlacke", "schlacken"),
    "Biogene Reststoffe": ("biomasse", "treber", "trester", "gruenschnitt", "bioabfall", "speisereste",
                           "obstreste", "gemueseabfall", "gemuesereste", "kaffeesatz", "spelzen", "kleie"),
    "Molke": ("molke", "sauermolke", "suessmolke"),
    "Textilfasern": ("textil", "textilabfall", "textilreste", "garnreste", "baumwolle", "wolle",
                     "textilfasern", "webkanten", "stoffreste"),
    "Keramik": ("keramik", "porzellan", "bruchkeramik", "keramikbruch"),
    "Gips": ("gips", "gipsabfall"),
    "Bauschutt und Beton": ("beton", "bauschutt", "betonbruch", "ziegel", "recyclingbaustoff"),
    "Altöl": ("altoel", "schmieroel", "hydraulikoel"),
    "Lösemittel": ("loesemittel", "aceton", "isopropanol", "ethanol"),
    "Silizium": ("silizium", "siliziumstaub", "wafer", "sägeschlamm"),
    "Glykol": ("glykol", "kuehlschmierstoff"),
}
_WORD = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*")


def _keys() -> list[tuple[str, str, bool]]:
    out = []
    for family, names in FAMILIES.items():
        for name in names:
            key = fold(name)
            out.append((family, key, len(key.replace(" ", "")) <= 4 or " " in key))
    return out


_KEYS = _keys()


@lru_cache(maxsize=20_000)
def families(material: str) -> frozenset[str]:
    """The families a material name belongs to (empty when it names none we know)."""
    return frozenset(_families(material))


def _families(material: str) -> set[str]:
    text = fold(material or "")
    if not text:
        return set()
    words = set(_WORD.findall(text))
    parts = {p for w in words for p in re.split(r"[.-]", w)}
    found = set()
    for family, key, whole in _KEYS:
        if " " in key:
            if re.search(r"\b" + re.escape(key) + r"\b", text):
                found.add(family)
        elif whole:
            if key in words or key in parts:
                found.add(family)
        elif any(key in w for w in words):
            found.add(family)
    return found


def same_material(a: dict, b: dict, terms_a: set[str], terms_b: set[str]) -> tuple[bool, str]:
    """Do two listings name the same material? (answer, German reason)."""
    if a.get("waste_code") and b.get("waste_code") and \
            a["waste_code"].rstrip("*") == b["waste_code"].rstrip("*"):
        return True, f"gleicher Abfallschlüssel {a['waste_code']}"
    fa, fb = families(a.get("material", "")), families(b.get("material", ""))
    if fa and fb:
        common = sorted(fa & fb)
        if common:
            return True, "gleiches Material: " + ", ".join(common)
        return False, f"anderes Material ({', '.join(sorted(fa))} ≠ {', '.join(sorted(fb))})"
    shared = terms_a & terms_b
    if shared:
        return True, "Material passt: " + a.get("material", "")
    return False, "anderes Material"
