"""Find organisations that are probably the same, with rapidfuzz.

"TU Dresden" and "Technische Universität Dresden", or "Fraunhofer IWS" and
"Fraunhofer-Institut für Werkstoff- und Strahltechnik IWS", should not be two
partners. We only report pairs; merging is the user's decision (``--merge``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

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
#: Capitals that mark a branch or a unit of an organisation (Niederlassung, Fachbereich,
#: Arbeitsgruppe, a numbered faculty), not the organisation itself.
UNIT_ACRONYMS = re.compile(r"^(NL|ZN|FIL|FB|AG|[IVX]+)$")
#: Reasons people read in the ingest report and the duplicates list.
SIMILAR_NAMES = "ähnliche Namen"


@dataclass(frozen=True)
class DuplicatePair:
    a: str            # profile id
    b: str
    score: float      # 0..100
    reason: str


@lru_cache(maxsize=1 << 20)
def normalise_name(name: str) -> str:
    text = LEGAL_FORMS.sub(" ", name.replace("&", " "))
    text = re.sub(r"[-–/,.()]", " ", text.lower())
    words = [ABBREVIATIONS.get(w, w) for w in text.split()]
    return fold(" ".join(words))


def acronyms(name: str) -> set[str]:
    return set(_acronyms(name))


@lru_cache(maxsize=1 << 20)
def _acronyms(name: str) -> frozenset[str]:
    """Cached: every API write compares one name with all stored ones (issue 17: 100k
    names normalised again per write were most of a write's cost)."""
    return frozenset(a for a in _ACRONYM.findall(name) if a not in {"GMBH", "AG", "KG", "UG", "EV", "TU", "HS"})


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
    # Not when the acronym *is* the first word: "GVG Diagnostics GmbH" and "GVG Genetic
    # Monitoring GmbH" are sister firms, and "ICM GmbH" and "ICM e.V." two bodies; nor for
    # a branch marker ("LASuV NL Bautzen" ~ "LASuV, NL Plauen" are two branch offices).
    by_key: dict[tuple[str, str], list[str]] = {}
    wanted_keys = None if wanted is None else {k for pid in wanted if pid in names for k in _keys(names[pid])}
    for pid in ids:
        for key in _keys(names[pid]):
            if wanted_keys is None or key in wanted_keys:
                by_key.setdefault(key, []).append(pid)
    for (_, acro), members in by_key.items():
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                if wanted is not None and members[x] not in wanted and members[y] not in wanted:
                    continue
                a, b = sorted((members[x], members[y]))
                if (a, b) not in pairs:
                    pairs[(a, b)] = DuplicatePair(a, b, 95.0, f"gleiches Kürzel {acro}")
    position = {pid: n for n, pid in enumerate(ids)}
    result = [p for p in pairs.values()
              if not _units_of_one_body(names[p.a], names[p.b])
              and _numbers(names[p.a]) == _numbers(names[p.b])
              and (p.reason != SIMILAR_NAMES
                   or not _distinct_units(normal[position[p.a]], normal[position[p.b]]))]
    if towns:
        # The same name in two different towns is usually two branches, not a duplicate;
        # a shared acronym in two towns is usually two firms ("ADZ Lüftungsbau Leipzig" ~
        # "ADZ NAGANO" near Dresden).
        result = [p for p in result
                  if not (towns.get(p.a) and towns.get(p.b) and fold(towns[p.a]) != fold(towns[p.b])
                          and p.score < 100)]
    return sorted(result, key=lambda p: -p.score)


@lru_cache(maxsize=1 << 20)
def _keys(name: str) -> tuple[tuple[str, str], ...]:
    """(first word, acronym) keys under which a name meets its duplicates."""
    norm = normalise_name(name)
    first = norm.split()[0] if norm else ""
    return tuple((first, acro) for acro in sorted(_acronyms(name))
                 if not (UNIT_ACRONYMS.match(acro) or fold(acro.lower()) == first))


_UNIT_MARK = re.compile(r"^(\d+|[ivx]+|[a-z])$")
#: Words that differ between two spellings of one name are this similar (a typo, a
#: broken hyphen), words that differ between two units of one body are not.
SPELLING_SIMILARITY = 85
#: Two spellings of one unit's name ("Institut für Theoretische Physik" is not
#: "… Teilchenphysik", 90 apart).
SAME_UNIT_SIMILARITY = 95


def _distinct_units(a: str, b: str) -> bool:
    """Two names of one body's different units: "Institut für Physik I" ~ "… IV",
    "Landestalsperrenverwaltung 20" ~ "… 40", "Lehrstuhl A" ~ "Lehrstuhl B".

    Both names have words the other lacks and those words are not one spelling of the
    same thing, or one name adds a unit number, numeral or letter to the other."""
    words_a, words_b = set(a.split()), set(b.split())
    only_a, only_b = words_a - words_b, words_b - words_a
    if only_a and only_b:
        return fuzz.ratio(" ".join(sorted(only_a)), " ".join(sorted(only_b))) < SPELLING_SIMILARITY
    return any(_UNIT_MARK.match(word) for word in only_a | only_b)


def _numbers(name: str) -> set[str]:
    """Unit numbers: "Landestalsperrenverwaltung 20" is not "… 40", "JCNS-1" not "JCNS-2"."""
    return set(re.findall(r"\d+", name))


def _units_of_one_body(a: str, b: str) -> bool:
    """"Universität X - Fakultät Y" and "Universität X - Fakultät Y - Institut Z", or
    "KIT - Institut A" and "KIT - Institut B": a body and its units, or two of its units
    (the funding catalogue names executing bodies as such paths)."""
    parts_a = [normalise_name(part) for part in a.split(" - ")]
    parts_b = [normalise_name(part) for part in b.split(" - ")]
    common = 0
    while (common < min(len(parts_a), len(parts_b))
           and fuzz.ratio(parts_a[common], parts_b[common]) >= SAME_UNIT_SIMILARITY):
        common += 1
    return common >= 1 and not common == len(parts_a) == len(parts_b)


def _sorted_tokens(normal: str) -> str:
    """What ``fuzz.token_sort_ratio`` compares: the words sorted, joined by one space."""
    return " ".join(sorted(normal.split()))


class NameTable:
    """Every stored name prepared once, so that a few new names are compared with all of
    them for the cost of one rapidfuzz pass (issue 17: an API write normalised and
    token-sorted 100k names again, ~1 s of its ~1.3 s beyond embedding at 100k).

    ``duplicates(among)`` is ``find_duplicates(names, towns, among=among)`` over the whole
    table: the table only finds the names that can pair with ``among`` (a token-sorted
    ratio at or above the threshold, or a shared first word and acronym) and hands those,
    in table order, to ``find_duplicates``, which decides as it always does."""

    def __init__(self, rows=()):
        self.names: dict[str, str] = {}
        self.towns: dict[str, str | None] = {}
        self._slot: dict[str, int] = {}        # id -> its place in the lists below (table order)
        self._ids: list[str | None] = []       # None: a deleted profile's place
        self._prepared: list[str] = []
        self._by_key: dict[tuple[str, str], set[str]] = {}
        self.update(rows)

    def __len__(self) -> int:
        return len(self.names)

    def update(self, rows, removed=()) -> None:
        """``rows`` of (id, name, town) in or replaced; ``removed`` ids gone."""
        for pid in removed:
            self._forget(pid)
        for pid, name, town in rows:
            if pid in self._slot:
                self._forget_keys(pid)
                slot = self._slot[pid]
            else:
                slot = self._slot[pid] = len(self._ids)
                self._ids.append(pid)
                self._prepared.append("")
            self.names[pid], self.towns[pid] = name, town
            self._prepared[slot] = _sorted_tokens(normalise_name(name))
            for key in _keys(name):
                self._by_key.setdefault(key, set()).add(pid)

    def _forget_keys(self, pid: str) -> None:
        for key in _keys(self.names[pid]):
            members = self._by_key.get(key)
            if members is not None:
                members.discard(pid)
                if not members:
                    del self._by_key[key]

    def _forget(self, pid: str) -> None:
        slot = self._slot.pop(pid, None)
        if slot is None:
            return
        self._forget_keys(pid)
        del self.names[pid], self.towns[pid]
        self._ids[slot], self._prepared[slot] = None, ""

    def duplicates(self, among, threshold: float = THRESHOLD) -> list[DuplicatePair]:
        wanted = [pid for pid in dict.fromkeys(among) if pid in self.names]
        if not wanted:
            return []
        candidates = set(wanted)
        matrix = process.cdist([self._prepared[self._slot[pid]] for pid in wanted], self._prepared,
                               scorer=fuzz.ratio, score_cutoff=threshold, workers=1)
        candidates.update(self._ids[j] for j in matrix.nonzero()[1])
        for pid in wanted:
            for key in _keys(self.names[pid]):
                candidates.update(self._by_key.get(key, ()))
        candidates.discard(None)
        ordered = sorted(candidates, key=self._slot.__getitem__)
        return find_duplicates({pid: self.names[pid] for pid in ordered},
                               {pid: self.towns[pid] for pid in ordered}, threshold=threshold, among=wanted)
