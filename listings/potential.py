"""A region's potential: every matching offer–request pair inside a Landkreis (or within a
radius of a town), totals per flow and a network picture — the "Analyse der Stoff- und
Energieströme" a manager starts from.

Pairs are found with the same matcher and constraints as a single listing's matches, for
every open offer in the region against the requests in the region. Totals per flow:
the number of pairs, and what could flow at most — for each offer that has partners,
the smaller of what it offers and what its partners need together (so an offer paired
with three demands is not counted three times): kW for heat, t/Jahr for materials (mass
only), h/Monat for capacity; know-how is counted in pairs only.
"""
from __future__ import annotations

import math
import time

from geo import haversine_km
from listings.model import de_number, normalised_quantity
from listings.types import FLOWS, TYPES

#: Bounded cost: at most this many offers are matched for one region, each with this many hits.
MAX_OFFERS = 2000
HITS_PER_OFFER = 100
UNITS = {"heat": "kW", "material": "t/Jahr", "capacity": "h/Monat"}


class RegionError(ValueError):
    """The region asked for does not exist (German message)."""


def resolve_region(radar, landkreis: str = "", town: str = "", radius_km=None) -> dict:
    """{'label', 'landkreis'} or {'label', 'lat', 'lon', 'radius_km'}; RegionError otherwise."""
    from geo import normalise_district

    if landkreis:
        district = normalise_district(landkreis)
        if district is None:
            raise RegionError(f"Unbekannter Landkreis „{landkreis}“ (erlaubt: "
                              f"{', '.join(radar.gazetteer.districts())})")
        return {"label": district, "landkreis": district}
    if town:
        place = radar.gazetteer.locate(town)
        if place is None:
            raise RegionError(f"Den Ort „{town}“ kennen wir nicht: bitte eine sächsische Stadt oder "
                              "eine Postleitzahl angeben.")
        radius = 20.0 if radius_km in (None, "") else float(radius_km)
        if not 0 < radius <= 300:
            raise RegionError("Der Umkreis muss zwischen 1 und 300 km liegen.")
        return {"label": f"{place.town or town} und {de_number(radius)} km Umkreis", "lat": place.lat,
                "lon": place.lon, "radius_km": radius}
    raise RegionError("Bitte einen Landkreis oder einen Ort (mit Umkreis) angeben.")


def _inside(region: dict, listing: dict) -> bool:
    if "landkreis" in region:
        return listing["landkreis"] == region["landkreis"]
    if listing["lat"] is None or listing["lon"] is None:
        return False
    return haversine_km(region["lat"], region["lon"], listing["lat"], listing["lon"]) <= region["radius_km"]


def potential(service, region: dict, now: float | None = None) -> dict:
    """Pairs (offer, request) inside the region, totals per flow, and the network's geometry."""
    now = now or time.time()
    table = service.matcher.table
    inside = [r for r in table.records
              if r["status"] != "done" and r["expires_at"] > now and _inside(region, r)]
    inside_ids = {r["id"] for r in inside}
    offers = [r for r in inside if TYPES[r["type"]].is_offer][:MAX_OFFERS]
    pairs = []
    for offer in offers:
        vector = table.vectors[table.row_of[offer["id"]]]
        for hit in service.matcher.match(offer, vector, limit=HITS_PER_OFFER, now=now):
            if hit.listing["id"] in inside_ids:
                pairs.append({"offer": offer, "request": hit.listing, "hit": hit})
    pairs.sort(key=lambda p: (list(FLOWS).index(TYPES[p["offer"]["type"]].flow), not p["hit"].mutual,
                              -p["hit"].score))
    return {"region": region["label"], "listings": len(inside), "offers": len(offers), "pairs": pairs,
            "totals": totals(pairs)}


def _amount(flow: str, listing: dict) -> float | None:
    """What one listing adds to its flow's total (``Flow.total_field``); materials in t/Jahr."""
    field = FLOWS[flow].total_field
    if field == "quantity":
        q = normalised_quantity(listing)
        return q[1] if q and q[0] == "mass" else None
    return listing.get(field) if field else None


def totals(pairs: list[dict]) -> list[dict]:
    out = []
    for key, flow in FLOWS.items():
        mine = [p for p in pairs if TYPES[p["offer"]["type"]].flow == key]
        if not mine:
            continue
        amount = 0.0
        by_offer: dict[str, list[dict]] = {}
        for p in mine:
            by_offer.setdefault(p["offer"]["id"], []).append(p)
        for group in by_offer.values():
            offered = _amount(key, group[0]["offer"])
            needed = [a for a in (_amount(key, p["request"]) for p in group) if a is not None]
            if offered is None and not needed:
                continue
            amount += min(offered, sum(needed)) if offered is not None and needed else (offered or sum(needed))
        out.append({"flow": key, "label": flow.label, "count": len(mine),
                    "amount": round(amount, 1) if UNITS.get(key) else None, "unit": UNITS.get(key, ""),
                    "text": total_text(key, len(mine), amount)})
    return out


def total_text(flow: str, count: int, amount: float) -> str:
    """'12 mögliche Abwärme-Partnerschaften, zusammen ≈ 3,4 MW'."""
    label = FLOWS[flow].label
    head = f"{count} mögliche {label if count != 1 else label[:-2]}"
    if flow == "heat" and amount:
        size = f"{de_number(round(amount / 1000, 1))} MW" if amount >= 1000 else f"{de_number(round(amount))} kW"
        return f"{head}, zusammen ≈ {size}"
    if flow == "material" and amount:
        return f"{head}, zusammen ≈ {de_number(round(amount))} t/Jahr"
    if flow == "capacity" and amount:
        return f"{head}, zusammen ≈ {de_number(round(amount))} Maschinenstunden im Monat"
    return head


FLOW_COLOURS = {"heat": "#c0392b", "material": "#1e7b4b", "capacity": "#1f5fa8", "technology": "#7a4fa3"}


def network(pairs: list[dict], owners: dict[str, dict], reveal, width: int = 760, height: int = 520) -> dict:
    """Geometry of the network picture: organisations at their sites (projected), one line per pair.

    ``reveal(profile_id)`` says whether an organisation may be named; otherwise the node
    says "Anonym". Nodes that share a site are spread on a small circle so each stays visible.
    """
    nodes: dict[str, dict] = {}
    for p in pairs:
        for side in ("offer", "request"):
            listing = p[side]
            key = listing["profile_id"] + "|" + ("a" if listing["visibility"] == "anonymous" else "p")
            if key in nodes or listing["lat"] is None:
                continue
            owner = owners.get(listing["profile_id"]) or {}
            named = reveal(listing["profile_id"]) or (listing["visibility"] != "anonymous"
                                                       and owner.get("listed", False))
            nodes[key] = {"key": key, "lat": listing["lat"], "lon": listing["lon"],
                          "label": owner.get("name", "") if named else "Anonym"}
    if not nodes:
        return {"width": width, "height": height, "nodes": [], "edges": [], "legend": []}
    margin = 60
    lats = [n["lat"] for n in nodes.values()]
    lons = [n["lon"] for n in nodes.values()]
    mid_lat = math.radians(sum(lats) / len(lats))
    xs = [lon * math.cos(mid_lat) for lon in lons]
    span = max(max(xs) - min(xs), max(lats) - min(lats), 0.01)
    scale = min(width, height) - 2 * margin
    seen: dict[tuple[int, int], int] = {}
    for node, x in zip(nodes.values(), xs):
        px = margin + (x - min(xs)) / span * scale + (width - scale - 2 * margin) / 2
        py = height - margin - (node["lat"] - min(lats)) / span * scale
        spot = (round(px / 12), round(py / 12))
        k = seen.get(spot, 0)
        seen[spot] = k + 1
        if k:
            angle = k * 2.4
            px, py = px + 22 * math.cos(angle), py + 22 * math.sin(angle)
        node["x"], node["y"] = round(px, 1), round(py, 1)
    edges = []
    for p in pairs:
        ka = p["offer"]["profile_id"] + "|" + ("a" if p["offer"]["visibility"] == "anonymous" else "p")
        kb = p["request"]["profile_id"] + "|" + ("a" if p["request"]["visibility"] == "anonymous" else "p")
        if ka in nodes and kb in nodes:
            flow = TYPES[p["offer"]["type"]].flow
            edges.append({"x1": nodes[ka]["x"], "y1": nodes[ka]["y"], "x2": nodes[kb]["x"], "y2": nodes[kb]["y"],
                          "colour": FLOW_COLOURS[flow], "flow": flow, "mutual": p["hit"].mutual,
                          "title": f"{p['offer']['title']} → {p['request']['title']}"})
    legend = [{"label": FLOWS[f].label, "colour": c} for f, c in FLOW_COLOURS.items()
              if any(e["flow"] == f for e in edges)]
    return {"width": width, "height": height, "nodes": list(nodes.values()), "edges": edges, "legend": legend}


CSV_HEADER = ["Fluss", "Angebot", "Typ Angebot", "Anbieter", "Ort Angebot", "Gesuch", "Typ Gesuch",
              "Suchender", "Ort Gesuch", "Entfernung (km)", "Score", "wechselseitig", "Begründung"]


def csv_rows(pairs: list[dict], owners: dict[str, dict], reveal):
    for p in pairs:
        offer, request, hit = p["offer"], p["request"], p["hit"]

        def who(listing):
            owner = owners.get(listing["profile_id"]) or {}
            hidden = listing["visibility"] == "anonymous" or not owner.get("listed", False)
            if not owner or (hidden and not reveal(listing["profile_id"])):
                return "Anonym", listing["landkreis"]
            return owner.get("name", ""), listing["town"] or listing["landkreis"]

        (oname, otown), (rname, rtown) = who(offer), who(request)
        yield (FLOWS[TYPES[offer["type"]].flow].label, offer["title"], TYPES[offer["type"]].label, oname, otown,
               request["title"], TYPES[request["type"]].label, rname, rtown,
               "" if hit.distance_km is None else de_number(hit.distance_km), hit.score,
               "ja" if hit.mutual else "nein", hit.explanation)
