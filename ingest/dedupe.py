"""Find organisations that are probably the same, with rapidfuzz.

"TU Dresden" and "Technische Universität Dresden", or "Fraunhofer IWS" and
"Fraunhofer-Institut für Werkstoff- und Strahltechnik IWS", should not be two
partners. We only report pairs; merging is the user's decision (``--merge``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from index.analyzer import fold

LEGAL_FORMS = re.compile(
    r"\b(gmbh|mbh|ag|kg|co|ug|haftungsbeschränkt|e\s?v|e\s?k|gbr|ohg|eg|se|kgaa|inc|ltd)\b\.?", re.I)
ABBREVIATIONS = {
    "tu": "technische universität", "hs": "hochschule", "htw": "hochschule für technik und wirtschaft",
    "htwk": "hochschule für technik wirtschaft und kultur", "uni": "universität",
    "univ": "universität", "inst": "institut", "fh": "fachhochschule", "ba": "berufsakademie",
}
_ACRONYM = re.compile(r"\b[A-ZÄÖÜ]{2,6}\b")
THRESHOLD = 92
#: Reasons people read in the ingest report and the duplicates list.
SIMILAR_NAMES = "ähnliche Namen"


@dataclass(frozen=True)
class DuplicatePair:
    a: str            # profile id
    b: str
    score: float      # 0..100
    reason: str


def normalise_name(name: str) -> str:
    text = LEGAL_FORMS.sub(" ", name.replace("&", " "))
    text = re.sub(r"[-–/,.()]", " ", text.lower())
    words = [ABBREVIATIONS.get(w, w) for w in text.split()]
    return fold(" ".join(words))


def acronyms(name: str) -> set[str]:
    return {a for a in _ACRONYM.findall(name) if a not in {"GMBH", "AG", "KG", "UG", "EV", "TU", "HS"}}


def find_duplicates(names: dict[str, str], towns: dict[str, str] | None = None,
                    threshold: float = THRESHOLD, among=None) -> list[DuplicatePair]:
    """Pairs of ids whose names probably denote one organisation, best first.

    ``among``: only pairs with at least one of these ids (a new file against the store
    costs incoming x all comparisons, not all x all); the same pairs, in the same order,
    as filtering the full result.
    """
    ids = list(names)
    normal = [normalise_name(names[i]) for i in ids]
    wanted = None if among is None else set(among)
    rows = range(len(ids)) if wanted is None else [i for i, pid in enumerate(ids) if pid in wanted]
    pairs: dict[tuple[str, str], DuplicatePair] = {}
    if len(ids) >= 2 and rows:
        # token_sort_ratio is symmetric: score (i, j) once, with i before j as in the full matrix.
        matrix = process.cdist([normal[i] for i in rows], normal, scorer=fuzz.token_sort_ratio,
                               score_cutoff=threshold, workers=1)
        found = {(min(rows[r], j), max(rows[r], j)): float(matrix[r, j])
                 for r, j in zip(*matrix.nonzero()) if rows[r] != j}
        for i, j in sorted(found):
            pairs[(ids[i], ids[j])] = DuplicatePair(ids[i], ids[j], found[(i, j)], SIMILAR_NAMES)
    # Same acronym and same first word: "Fraunhofer IWS" ~ "Fraunhofer-Institut ... IWS".
    by_key: dict[tuple[str, str], list[str]] = {}
    for pid, norm in zip(ids, normal):
        first = norm.split()[0] if norm else ""
        for acro in acronyms(names[pid]):
            by_key.setdefault((first, acro), []).append(pid)
    for (_, acro), members in by_key.items():
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                if wanted is not None and members[x] not in wanted and members[y] not in wanted:
                    continue
                a, b = sorted((members[x], members[y]))
                if (a, b) not in pairs:
                    pairs[(a, b)] = DuplicatePair(a, b, 95.0, f"gleiches Kürzel {acro}")
    result = list(pairs.values())
    if towns:
        # The same name in two different towns is usually two branches, not a duplicate.
        result = [p for p in result
                  if not (towns.get(p.a) and towns.get(p.b) and fold(towns[p.a]) != fold(towns[p.b])
                          and p.reason == SIMILAR_NAMES and p.score < 100)]
    return sorted(result, key=lambda p: -p.score)
