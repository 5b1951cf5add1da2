"""Topic -> audience: the Saxon districts whose firms match a research topic, whom to invite, where."""
from __future__ import annotations

import math

import numpy as np

from geo import haversine_km
from innoslam.matching import FIRM_KINDS, MIN_SCORE_PROFILE, MIN_SCORE_TOPIC, match_of, well_matching
from matcher.request import BadRequest, SearchRequest

#: Firms ranked per question; well-matching firms come first, so this only bounds the tail.
MAX_FIRMS = 500
#: A venue's catchment: matching firms within this distance count for it.
VENUE_RADIUS_KM = 20.0


def audience(radar, topic: str = "", profile_id: str = "", top_districts: int = 13,
             firms_per_district: int = 8) -> dict:
    """Districts ranked for a topic, each with the firms to invite and a venue town."""
    topic = (topic or "").strip()
    if bool(topic) == bool(profile_id):
        raise BadRequest("Bitte entweder ein Thema (topic) oder ein Forschungsprofil (profile_id) angeben.")
    if not 1 <= top_districts <= 13:
        raise BadRequest("top_districts muss zwischen 1 und 13 liegen.")
    if not 1 <= firms_per_district <= 50:
        raise BadRequest("firms_per_district muss zwischen 1 und 50 liegen.")

    ranked = _rank_firms(radar, topic, profile_id, explain=False)
    good = well_matching(ranked, MIN_SCORE_PROFILE if profile_id else MIN_SCORE_TOPIC)
    by_district: dict[str, list[dict]] = {d: [] for d in radar.gazetteer.districts()}
    for hit in good:
        if hit["landkreis"] in by_district:
            by_district[hit["landkreis"]].append(hit)
    order = sorted(by_district, key=lambda d: (-match_of(by_district[d]), -len(by_district[d]), d))
    order = order[:top_districts]

    # The shown firms get their explanations (one more ranking pass, explaining only them).
    shown = {h["id"] for d in order for h in by_district[d][:firms_per_district]}
    explained = {h["id"]: h for h in _rank_firms(radar, topic, profile_id, explain=shown,
                                                 limit=_depth(ranked, shown))}
    coordinates = _coordinates(radar, [h["id"] for h in good])
    districts = []
    for name in order:
        hits = by_district[name]
        venue = _venue(radar, name, hits, good, coordinates)
        firms = []
        for hit in hits[:firms_per_district]:
            firm = dict(explained.get(hit["id"], hit))
            where = coordinates.get(hit["id"])
            firm["venue_distance_km"] = (round(haversine_km(*where, venue["lat"], venue["lon"]), 1)
                                         if where and venue else None)
            firms.append(firm)
        districts.append({
            "name": name, "score": match_of(hits), "matching_firms": len(hits),
            "venue": venue["town"] if venue else None,
            "venue_firms_nearby": venue["firms_nearby"] if venue else 0,
            "firms": firms,
        })
    return {"districts": districts}


def _rank_firms(radar, topic: str, profile_id: str, explain, limit: int = MAX_FIRMS,
                **filters) -> list[dict]:
    req = SearchRequest(query=topic, kinds=list(FIRM_KINDS), limit=limit, **filters)
    if profile_id:
        _research_profile(radar, profile_id)
        req.include_known = True      # known partners are welcome in the audience
        return radar.partners(profile_id, req, explain=explain)
    return radar.search(req, explain=explain)


def _depth(ranked: list[dict], ids: set[str]) -> int:
    positions = [i for i, h in enumerate(ranked) if h["id"] in ids]
    return max(positions, default=0) + 1


def _coordinates(radar, ids: list[str]) -> dict[str, tuple[float, float] | None]:
    table = radar.index.profiles
    out = {}
    for pid in ids:
        row = table.row_of.get(pid)
        lat, lon = (table.lat[row], table.lon[row]) if row is not None else (math.nan, math.nan)
        out[pid] = None if math.isnan(lat) or math.isnan(lon) else (float(lat), float(lon))
    return out


def _venue(radar, district: str, hits: list[dict], everyone: list[dict],
           coordinates: dict) -> dict | None:
    """The district's town with the most matching firms (of any district) within reach.

    Candidates are the district's towns where one of its matching firms sits (a venue
    among the invited), else all its towns; firms across the border count too.
    """
    if not hits:
        return None
    towns = [t for t in radar.gazetteer.towns() if t.landkreis == district]
    hosts = {h["town"] for h in hits}
    towns = [t for t in towns if t.town in hosts] or towns
    firm_points = [coordinates[h["id"]] for h in everyone if coordinates.get(h["id"])]
    if not towns or not firm_points:
        return None
    lats = np.array([p[0] for p in firm_points])
    lons = np.array([p[1] for p in firm_points])
    from geo import haversine_km_many

    best, best_key = None, None
    for town in towns:
        km = haversine_km_many(town.lat, town.lon, lats, lons)
        near = int((km <= VENUE_RADIUS_KM).sum())
        # More firms nearby first; then the town the firms are closest to on average.
        key = (near, -float(np.sort(km)[:max(near, 1)].sum()))
        if best_key is None or key > best_key:
            best, best_key = town, key
    return {"town": best.town, "lat": best.lat, "lon": best.lon, "firms_nearby": best_key[0]}


def _research_profile(radar, profile_id: str) -> dict:
    from vocabulary.errors import NotFound

    profile = radar.store.get_profile(profile_id)
    if profile is None or not profile["listed"]:
        raise NotFound.profile(profile_id)
    return profile
