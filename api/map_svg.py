"""A server-rendered map of Saxony (SVG, no script, no tiles): each Landkreis as the hull of
its municipalities, the three cities as circles, and numbered markers for hits.

Simple on purpose: the hull of a district's municipalities is close enough to see where
hits lie; no geodata files are needed beyond the gazetteer the ingest already has.
"""
from __future__ import annotations

import functools
import math

WIDTH, HEIGHT, PAD = 640, 460, 16
#: Saxony's extent with a margin (degrees).
LAT_MIN, LAT_MAX, LON_MIN, LON_MAX = 50.15, 51.70, 11.85, 15.10
CITY_RADIUS = 14
MAX_MARKERS = 100


def _project(lat: float, lon: float) -> tuple[float, float]:
    # Equirectangular, longitudes shrunk by cos(latitude) so Saxony keeps its shape.
    scale_x = math.cos(math.radians((LAT_MIN + LAT_MAX) / 2))
    span_x = (LON_MAX - LON_MIN) * scale_x
    span_y = LAT_MAX - LAT_MIN
    k = min((WIDTH - 2 * PAD) / span_x, (HEIGHT - 2 * PAD) / span_y)
    return (round(PAD + (lon - LON_MIN) * scale_x * k, 1), round(PAD + (LAT_MAX - lat) * k, 1))


def _hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Convex hull (Andrew's monotone chain), counter-clockwise."""
    pts = sorted(set(points))
    if len(pts) <= 2:
        return pts

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower, upper = [], []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


@functools.lru_cache(maxsize=1)
def _districts(gazetteer) -> tuple[dict, ...]:
    by_district: dict[str, list[tuple[float, float]]] = {}
    for place in gazetteer.towns():
        if place.landkreis:
            by_district.setdefault(place.landkreis, []).append(_project(place.lat, place.lon))
    shapes = []
    for name, points in sorted(by_district.items(), key=lambda item: -len(item[1])):
        cx = round(sum(p[0] for p in points) / len(points), 1)
        cy = round(sum(p[1] for p in points) / len(points), 1)
        if len(points) < 3:
            shapes.append({"name": name, "city": True, "x": cx, "y": cy, "r": CITY_RADIUS, "points": ""})
        else:
            hull = _hull(points)
            shapes.append({"name": name, "city": False, "x": cx, "y": cy,
                           "points": " ".join(f"{x},{y}" for x, y in hull)})
    return tuple(shapes)


def saxony_map(gazetteer, hits: list[dict], first_rank: int = 1) -> dict:
    """Geometry for the template: district shapes and a marker per hit with coordinates."""
    markers = []
    for rank, hit in enumerate(hits[:MAX_MARKERS], start=first_rank):
        if hit.get("lat") is None or hit.get("lon") is None:
            continue
        x, y = _project(hit["lat"], hit["lon"])
        markers.append({"rank": rank, "x": x, "y": y, "name": hit["name"], "town": hit.get("town") or ""})
    return {"width": WIDTH, "height": HEIGHT, "districts": _districts(gazetteer), "markers": markers,
            "without_place": sum(1 for h in hits[:MAX_MARKERS] if h.get("lat") is None)}
