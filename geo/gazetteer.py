"""``Gazetteer``: postcodes and place names in and around Saxony to coordinates and district, offline.

The tables behind it (and where they come from) are in ``geo/tables.py``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from geo.distance import haversine_km, haversine_km_many
from geo.names import _fold, _folds, _name_keys, _strip_decorations, normalise_district
from geo.tables import CITY_POSTCODES, DISTRICTS, SAXON_POSTCODE_RANGES, _data

#: Beyond this distance from every Saxon place a point is not in Saxony.
_MAX_KM_INSIDE = 12.0
#: Of equally named places, the bigger kind of place is the likelier meaning.
_KIND_RANK = {"Kreisfreie Stadt": 0, "Stadt": 1, "Gemeinde": 2, "Ortsteil": 3}
#: A town this far from the centre of a Saxon postcode given with it is not in it: in the
#: official postcode-place table of Saxony no town lies more than 19.3 km from its postcodes'.
_MAX_KM_TOWN_FROM_POSTCODE = 25.0
#: Only town names are telling: villages share names across Saxony (Gersdorf, Hilbersdorf,
#: Bärenstein …), and the hand-written table knows one of them at most.
_TELLING_KINDS = ("Kreisfreie Stadt", "Stadt")


@dataclass(frozen=True)
class Place:
    postcode: str
    town: str
    lat: float
    lon: float
    landkreis: str


def is_saxon_postcode(postcode: str) -> bool:
    """Whether a postcode lies (at least partly) in Saxony."""
    return any(lo <= postcode <= hi for lo, hi in SAXON_POSTCODE_RANGES)


def _postcode_key(postcode: str) -> str:
    postcode = (postcode or "").strip()
    if re.fullmatch(r"\d{4}", postcode):
        postcode = "0" + postcode  # spreadsheets drop the leading zero of 01067
    return postcode


_POSTCODE_IN_TEXT = re.compile(r"(?<!\d)(?:D\s*-\s*)?(\d{5})(?!\d)")


class Gazetteer:
    """Resolve postcodes and place names in and around Saxony, offline.

    Construction is free after the first one in a process: all instances share one
    lazily loaded table.
    """

    def __init__(self) -> None:
        self._d = _data()

    # public API -------------------------------------------------------------------

    def resolve(self, postcode: str = "", town: str = "") -> Place | None:
        """A place from a postcode and/or town name; the postcode wins when it is known."""
        postcode = _postcode_key(postcode)
        town = (town or "").strip()
        if self.knows_postcode(postcode):
            return self._from_postcode(postcode, town)
        if town:
            return self._from_town(town)
        return None

    def knows_postcode(self, postcode: str) -> bool:
        """Whether ``postcode`` is a German postcode the gazetteer has a centre for."""
        postcode = _postcode_key(postcode)
        return bool(re.fullmatch(r"\d{5}", postcode)) and postcode in self._d.postcodes

    def town_far_from_postcode(self, postcode: str, town: str) -> tuple[Place, float] | None:
        """(where ``postcode`` lies, km to ``town``) when ``town`` names a Saxon town that lies
        too far from the Saxon postcode's centre to be in it: one of the two is wrong.

        None when they fit, and when the gazetteer cannot tell: a postcode it does not know
        or outside Saxony (it knows no names there), a name it knows only by a guess at a
        slip of the keyboard, or a village's name (those are shared).
        """
        postcode = _postcode_key(postcode)
        if not (self.knows_postcode(postcode) and is_saxon_postcode(postcode) and (town or "").strip()):
            return None
        hits = self._town_hits(town)
        places = self._d.places
        if not hits or any(places[i][0].kind not in _TELLING_KINDS for i in hits):
            return None
        lat, lon = self._d.postcodes[postcode]
        km = min(haversine_km(lat, lon, places[i][1], places[i][2]) for i in hits)
        if km <= _MAX_KM_TOWN_FROM_POSTCODE:
            return None
        return self._from_postcode(postcode, ""), km

    def locate(self, text: str) -> Place | None:
        """What someone types into a 'near' field: '09111', 'Chemnitz', '09111 Chemnitz'.

        A district name ('Erzgebirgskreis') that is not also a town gives the district
        centre.
        """
        text = (text or "").strip()
        if not text:
            return None
        match = _POSTCODE_IN_TEXT.search(text)
        if match:
            rest = (text[:match.start()] + " " + text[match.end():]).strip(" ,;-")
            place = self.resolve(match.group(1))
            if place is not None:
                # Outside Saxony we know no town names; keep the one typed.
                return place if place.town else replace(place, town=rest)
            text = rest
        # "Leipzig, Landkreis" means the district, not the city in it.
        says_district = re.search(r"\b(landkreis|lkr|lk|kreis)\b", _fold(text))
        place = None if says_district else self.resolve(town=text)
        if place is None:
            district = normalise_district(text)
            if district is not None:
                lat, lon = self._d.centres[district]
                place = Place("", "", lat, lon, district)
        return place

    def landkreis_of(self, lat: float, lon: float) -> str:
        """District of a point, '' outside Saxony."""
        d = self._d
        i, km = self._nearest(lat, lon)
        district = d.places[i][0].landkreis
        # A city is more than its centre: its postcodes' centres reach out to its edges.
        to_city = haversine_km_many(lat, lon, d.city_lats, d.city_lons)
        j = int(np.argmin(to_city))
        if to_city[j] < km:
            km, district = float(to_city[j]), d.city_names[j]
        if km > _MAX_KM_INSIDE:
            return ""
        to_foreign = haversine_km_many(lat, lon, d.foreign_lats, d.foreign_lons)
        if to_foreign.size and float(to_foreign.min()) < km:
            return ""
        return district

    def districts(self) -> list[str]:
        return list(DISTRICTS)

    def district_centre(self, name: str) -> tuple[float, float]:
        """Mean position of a district's municipalities (the city itself for a city)."""
        district = normalise_district(name)
        if district is None:
            raise KeyError(f"unknown district: {name!r}")
        return self._d.centres[district]

    def towns(self, include_parts: bool = False) -> list[Place]:
        """Hand-written places with coordinates; Ortsteile only if asked for."""
        return [self._place(i) for i, (row, _, _) in enumerate(self._d.places)
                if include_parts or row.kind != "Ortsteil"]

    # internals --------------------------------------------------------------------

    def _place(self, i: int) -> Place:
        row, lat, lon = self._d.places[i]
        return Place("", row.name, lat, lon, row.landkreis)

    def _nearest(self, lat: float, lon: float, cities: bool = True) -> tuple[int, float]:
        dist = haversine_km_many(lat, lon, self._d.lats, self._d.lons)
        if not cities:
            dist = np.where(self._d.is_city, np.inf, dist)
        i = int(np.argmin(dist))
        return i, float(dist[i])

    def _from_postcode(self, postcode: str, town: str) -> Place:
        lat, lon = self._d.postcodes[postcode]
        city = next((c for c, codes in CITY_POSTCODES.items() if postcode in codes), None)
        if city is not None:
            return Place(postcode, town or city, lat, lon, city)
        if not is_saxon_postcode(postcode):
            return Place(postcode, town, lat, lon, "")
        i, _ = self._nearest(lat, lon, cities=False)
        row = self._d.places[i][0]
        return Place(postcode, town or row.part_of or row.name, lat, lon, row.landkreis)

    def _from_town(self, town: str) -> Place | None:
        i = self._match_town(town)
        return None if i is None else self._place(i)

    def _match_town(self, town: str) -> int | None:
        hits = self._town_hits(town)
        if hits:
            return self._best(hits)
        full, base = _name_keys(town)
        return self._fuzzy(full | base)

    def _town_hits(self, town: str) -> set[int]:
        """The places ``town`` names, without guessing at slips (empty: none by that name)."""
        d = self._d
        full, base = _name_keys(town)
        for keys, indexes in (
            (full, (d.full_index,)),                       # the exact name
            (full | base, (d.full_index, d.base_index)),   # the name without qualifiers
            (full | base, (d.part_index,)),                # half of a merged name
        ):
            hits = {i for key in keys for index in indexes for i in index.get(key, [])}
            if hits:
                return hits
        # Longest leading words that name a place: 'Dresden-Neustadt', 'Chemnitz Zentrum'.
        for variant in _folds(town):
            tokens = _strip_decorations(variant).split()
            for n in range(len(tokens) - 1, 0, -1):
                hits = set(d.full_index.get(" ".join(tokens[:n]), []))
                if hits:
                    return hits
        return set()

    def _fuzzy(self, keys: set[str]) -> int | None:
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        best: tuple[int, set[int]] | None = None
        for key in keys:
            # One slip per short name, two in long ones ("Zwickaw", "Hohenstein-Ernsttal");
            # names under five letters are too close to each other to guess at all.
            allowed = 0 if len(key) < 5 else 1 if len(key) < 10 else 2
            for candidate, dist, _ in process.extract(
                    key, self._d.fuzzy_keys, scorer=Levenshtein.distance,
                    score_cutoff=allowed, limit=5):
                hits = set(self._d.full_index.get(candidate, [])) | set(
                    self._d.base_index.get(candidate, []))
                if best is None or dist < best[0]:
                    best = (dist, hits)
                elif dist == best[0]:
                    best[1].update(hits)
        return None if best is None else self._best(best[1])

    def _best(self, hits: set[int]) -> int:
        # Of equally named places the bigger kind (town before village) is the likelier
        # meaning; after that, the order of the CSV decides.
        return min(hits, key=lambda i: (_KIND_RANK.get(self._d.places[i][0].kind, 9), i))
