"""Inno Slam planning: which regions a research topic should visit, and with which talks.

An *Inno Slam* brings four to six scientists to a region to present research to local
KMU and start-ups. Three questions, all answered over a ``Radar`` with the same ranking
(and the same explanations) as a partner search:

* ``audience``: topic (free text or a research profile) -> Saxon districts ranked by how
  many firms match well and how well, the firms to invite and a venue town.
* ``programme``: region (district, or town + radius) -> research profiles ranked by how
  well they match the region's firms, and a programme of N talks on different subjects.
* ``tour``: signed-up scientists + number of events -> districts and a full programme for
  each, by linear-sum assignment (one round per programme slot) and pairwise swaps.

A firm *matches well* when its score is at least ``RELATIVE_SCORE`` of the best firm's
score in all of Saxony and at least a floor: the gap between real matches and the long
tail is large (≈ 65–95 against ≈ 15–35 for a topic on the demo data), so a relative cut
follows it on both sharp and vague topics. A research profile as the query ("partners
for this organisation") ranks flatter, its tail reaches ≈ 35-40, hence the higher floor.
A region's *match* is the sum of its well-matching firms' scores / 100: it grows with
their number and with how well each matches.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from index.embedding import same_subject_cosine
from ingest.geo import haversine_km, normalise_district
from matcher.request import BadRequest, SearchRequest

#: Who sits in an Inno Slam audience.
FIRM_KINDS = ["kmu", "startup"]
#: Who gives the talks.
SPEAKER_KINDS = ["research"]
MIN_SCORE_TOPIC = 30
MIN_SCORE_PROFILE = 40
RELATIVE_SCORE = 0.6
#: Firms ranked per question; well-matching firms come first, so this only bounds the tail.
MAX_FIRMS = 500
#: A venue's catchment: matching firms within this distance count for it.
VENUE_RADIUS_KM = 20.0
#: Research profiles whose mean vectors are as similar as the model's same-subject cosine
#: (index.embedding.same_subject_cosine), or that share this many of their most distinctive
#: terms, talk about the same subject.
SAME_SUBJECT_TERMS = 3
SUBJECT_TERMS = 8
#: Research profiles scored exactly for a programme (after a cheap pre-selection).
PROGRAMME_CANDIDATES = 60
TALKS_MIN, TALKS_MAX = 1, 10
EVENTS_MAX = 13
SPEAKERS_MAX = 60


def well_matching(hits: list[dict], floor: int = MIN_SCORE_TOPIC) -> list[dict]:
    """The hits of a Saxony-wide ranking that match well (see module docstring), best first."""
    if not hits:
        return []
    cut = max(floor, RELATIVE_SCORE * max(h["score"] for h in hits))
    return [h for h in hits if h["score"] >= cut]


def match_of(hits: list[dict]) -> float:
    return round(sum(h["score"] for h in hits) / 100.0, 2)


# -- topic -> audience ------------------------------------------------------------------

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
    from ingest.geo import haversine_km_many

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


# -- subjects ---------------------------------------------------------------------------

@dataclass
class Subject:
    """What a research profile talks about: its mean vector and most distinctive terms."""
    vector: np.ndarray
    terms: set[str]
    threshold: float = 0.80    # cosine from which two subjects are the same (model-dependent)


def subject_of(radar, profile_id: str) -> Subject:
    passages = radar.store.passages_for(profile_id)
    vector = np.mean([p["vector"] for p in passages], axis=0) if passages else np.zeros(1)
    norm = float(np.linalg.norm(vector)) or 1.0
    row = radar.index.profiles.row_of.get(profile_id)
    terms = set(radar.index.lexical.profile_terms(row, top=SUBJECT_TERMS)) if row is not None else set()
    return Subject(vector / norm, terms, same_subject_cosine(radar.settings.model))


def same_subject(a: Subject, b: Subject) -> bool:
    if a.vector.shape == b.vector.shape and float(a.vector @ b.vector) >= max(a.threshold, b.threshold):
        return True
    return len(a.terms & b.terms) >= SAME_SUBJECT_TERMS


# -- region -> programme ----------------------------------------------------------------

@dataclass
class Region:
    district: str = ""
    town: str = ""
    radius_km: float | None = None

    def filters(self) -> dict:
        if self.district:
            return {"landkreis": self.district}
        return {"near": self.town, "radius_km": self.radius_km}

    def label(self) -> str:
        return self.district or f"{self.town} (Umkreis {self.radius_km:g} km)"


def region_of(radar, district: str = "", town: str = "", radius_km=None) -> Region:
    district, town = (district or "").strip(), (town or "").strip()
    if bool(district) == bool(town):
        raise BadRequest("Bitte entweder einen Landkreis (district) oder einen Ort mit Umkreis "
                         "(town, radius_km) angeben.")
    if district:
        canonical = normalise_district(district)
        if canonical is None:
            raise BadRequest(f"Unbekannter Landkreis „{district}“ (erlaubt: "
                             f"{', '.join(radar.gazetteer.districts())}).")
        return Region(district=canonical)
    if radius_km is None:
        radius_km = 30.0
    if isinstance(radius_km, bool) or not isinstance(radius_km, (int, float)) or not 0 < radius_km <= 200:
        raise BadRequest("radius_km muss eine Zahl zwischen 0 und 200 sein.")
    if radar.gazetteer.locate(town) is None:
        raise BadRequest(f"Unbekannter Ort „{town}“: bitte eine sächsische Stadt oder Postleitzahl angeben.")
    return Region(town=town, radius_km=float(radius_km))


def programme(radar, region: Region, n: int = 5, candidates: list[str] | None = None) -> dict:
    """The ``n`` research profiles that best match the region's firms, on different subjects."""
    if isinstance(n, bool) or not isinstance(n, int) or not TALKS_MIN <= n <= TALKS_MAX:
        raise BadRequest(f"n muss eine ganze Zahl zwischen {TALKS_MIN} und {TALKS_MAX} sein.")
    firms = region_firms(radar, region)
    pool = _preselect(radar, _speakers(radar, candidates), firms)
    scored = []
    for pid in pool:
        hits = [h for h in scientist_hits(radar, pid) if h["id"] in firms]
        if hits:
            scored.append((match_of(hits), pid, hits))
    scored.sort(key=lambda t: (-t[0], t[1]))

    talks, subjects, skipped = [], [], []
    audience_ids: set[str] = set()
    for match, pid, hits in scored:
        if len(talks) == n:
            break
        subject = subject_of(radar, pid)
        talk = _talk(radar, pid, match, hits, subject)
        # The programme's reader sees the headline words: two talks both announced with
        # "Leichtbau" read as one subject, even when their texts differ.
        twin = next((t for t, other in zip(talks, subjects)
                     if same_subject(subject, other) or set(t["subject"]) & set(talk["subject"])), None)
        if twin is not None:
            skipped.append({"id": pid, "name": radar.store.get_profile(pid)["name"],
                            "same_subject_as": twin["id"]})
            continue
        subjects.append(subject)
        talks.append(talk)
        audience_ids.update(h["id"] for h in hits)
    return {"region": region.label(), "firms_in_region": len(firms),
            "expected_audience": len(audience_ids), "talks": talks, "same_subject_skipped": skipped}


def scientist_hits(radar, profile_id: str) -> list[dict]:
    """The firms in all of Saxony that match a research profile well, best first."""
    return well_matching(_rank_firms(radar, "", profile_id, explain=False), MIN_SCORE_PROFILE)


def region_firms(radar, region: Region) -> set[str]:
    """Ids of the listed firms in a region (the matcher's own filter decides)."""
    from matcher.ranker import Ranker

    req = SearchRequest(kinds=list(FIRM_KINDS), **region.filters())
    ranker = Ranker(radar.index, radar.weights, radar.gazetteer, radar.similarity_range)
    mask, _ = ranker.allowed_rows(req, ranker.origin(req.near))
    return {radar.index.profiles.ids[r] for r in np.flatnonzero(mask)}


def _talk(radar, pid: str, match: float, hits: list[dict], subject: Subject) -> dict:
    profile = radar.store.get_profile(pid)
    return {"id": pid, "name": profile["name"], "town": profile["town"], "landkreis": profile["landkreis"],
            "score": match, "expected_audience": len(hits),
            "subject": _subject_words(radar, profile, subject),
            "firms": [{"id": h["id"], "name": h["name"], "town": h["town"], "score": h["score"]}
                      for h in hits[:5]]}


def _subject_words(radar, profile: dict, subject: Subject) -> list[str]:
    """The profile's keywords as written (or its distinctive terms when it has none)."""
    keywords = [k.strip() for k in (profile.get("keywords") or "").split(";") if k.strip()]
    return keywords[:5] or sorted(subject.terms)[:5]


def _speakers(radar, candidates: list[str] | None) -> list[str]:
    table = radar.index.profiles
    if candidates is None:
        return [pid for i, pid in enumerate(table.ids)
                if table.listed[i] and table.kind[i] in SPEAKER_KINDS]
    missing = [pid for pid in candidates if pid not in table.row_of or not table.listed[table.row_of[pid]]]
    if missing:
        raise BadRequest(f"Unbekannte Profile: {', '.join(missing)}.")
    return list(dict.fromkeys(candidates))


def _preselect(radar, pool: list[str], firms: set[str]) -> list[str]:
    """Bound the exact scoring: keep the speakers nearest to the mean of the region's firms."""
    if len(pool) <= PROGRAMME_CANDIDATES or not firms:
        return pool
    centre = np.mean([subject_of(radar, f).vector for f in sorted(firms)], axis=0)
    sims = np.array([float(subject_of(radar, pid).vector @ centre) for pid in pool])
    return [pool[i] for i in np.argsort(-sims, kind="stable")[:PROGRAMME_CANDIDATES]]


# -- tour -------------------------------------------------------------------------------

#: Cost of giving one event two talks on the same subject, in units of match.
SUBJECT_PENALTY = 5.0
#: Cost of a scientist giving one talk more than their fair share (high: everyone who
#: signed up should get a stage before anyone talks twice).
OVERUSE_PENALTY = 2.0
_FORBIDDEN = 1e6


def tour(radar, scientist_ids: list[str], n_events: int, talks_per_event: int | None = None,
         districts: list[str] | None = None) -> dict:
    """Events in ``n_events`` districts, each with a full programme of signed-up scientists.

    Match of scientist s for district d = sum of the scores of d's well-matching firms
    for s (as in ``audience``). Events go to the districts where the best
    ``talks_per_event`` scientists match most, unless ``districts`` are given. Programme
    slots are filled round by round: each round is one linear-sum assignment of
    scientists to events (cost = -match, plus penalties for a second talk on a subject
    already on that event's programme and for talking more often than the fair share;
    a scientist never talks twice at one event). Pairwise swaps between events then
    raise the total further where they can.
    """
    scientists = list(dict.fromkeys(scientist_ids or []))
    if not scientists:
        raise BadRequest("Bitte die angemeldeten Wissenschaftler (scientist_ids) angeben.")
    if len(scientists) > SPEAKERS_MAX:
        raise BadRequest(f"Höchstens {SPEAKERS_MAX} Wissenschaftler je Tour.")
    if isinstance(n_events, bool) or not isinstance(n_events, int) or not 1 <= n_events <= EVENTS_MAX:
        raise BadRequest(f"n_events muss eine ganze Zahl zwischen 1 und {EVENTS_MAX} sein.")
    for pid in scientists:
        _research_profile(radar, pid)
    if talks_per_event is None:
        talks_per_event = min(len(scientists), max(4, min(6, len(scientists) // n_events)))
    if isinstance(talks_per_event, bool) or not isinstance(talks_per_event, int) or not 1 <= talks_per_event <= TALKS_MAX:
        raise BadRequest(f"talks_per_event muss eine ganze Zahl zwischen 1 und {TALKS_MAX} sein.")
    if talks_per_event > len(scientists):
        raise BadRequest(f"Für {talks_per_event} Vorträge je Veranstaltung braucht es mindestens "
                         f"{talks_per_event} Wissenschaftler (angemeldet: {len(scientists)}).")

    all_districts = radar.gazetteer.districts()
    hits = {pid: scientist_hits(radar, pid) for pid in scientists}
    match = np.array([[match_of([h for h in hits[pid] if h["landkreis"] == d]) for d in all_districts]
                      for pid in scientists])
    if districts:
        chosen = []
        for name in districts:
            canonical = normalise_district(name)
            if canonical is None:
                raise BadRequest(f"Unbekannter Landkreis „{name}“.")
            chosen.append(all_districts.index(canonical))
        if len(set(chosen)) != len(chosen) or len(chosen) != n_events:
            raise BadRequest("districts muss n_events verschiedene Landkreise nennen.")
    else:
        value = -np.sort(-match, axis=0)[:talks_per_event].sum(axis=0)
        chosen = list(np.argsort(-value, kind="stable")[:n_events])
    m = match[:, chosen]                                    # scientists x events
    subjects = [subject_of(radar, pid) for pid in scientists]
    same = np.array([[i != j and same_subject(a, b) for j, b in enumerate(subjects)]
                     for i, a in enumerate(subjects)])
    plan = _assign(m, same, talks_per_event)

    events = []
    for e, d in enumerate(chosen):
        name = all_districts[d]
        talks = sorted(plan[e], key=lambda s: -m[s, e])
        events.append({
            "district": name,
            "venue": _event_venue(radar, name, [hits[scientists[s]] for s in talks]),
            "score": round(float(sum(m[s, e] for s in talks)), 2),
            "talks": [{"id": scientists[s], "name": radar.store.get_profile(scientists[s])["name"],
                       "score": round(float(m[s, e]), 2),
                       "expected_audience": sum(1 for h in hits[scientists[s]] if h["landkreis"] == name)}
                      for s in talks],
        })
    used = {scientists[s] for e in plan for s in e}
    return {"events": events, "total_score": round(sum(ev["score"] for ev in events), 2),
            "talks_per_event": talks_per_event,
            "not_assigned": [pid for pid in scientists if pid not in used]}


def _event_venue(radar, district: str, talk_hits: list[list[dict]]) -> str | None:
    audience = list({h["id"]: h for hits in talk_hits for h in hits}.values())
    local = [h for h in audience if h["landkreis"] == district]
    venue = _venue(radar, district, local, audience, _coordinates(radar, [h["id"] for h in audience]))
    return venue["town"] if venue else None


def _objective(m: np.ndarray, same: np.ndarray, plan: list[list[int]], fair: int) -> float:
    total = 0.0
    uses = np.zeros(m.shape[0], dtype=int)
    for e, talks in enumerate(plan):
        total += sum(m[s, e] for s in talks)
        total -= SUBJECT_PENALTY * sum(same[a, b] for i, a in enumerate(talks) for b in talks[i + 1:])
        for s in talks:
            uses[s] += 1
    return total - OVERUSE_PENALTY * np.maximum(uses - fair, 0).sum()


def _assign(m: np.ndarray, same: np.ndarray, k: int) -> list[list[int]]:
    """Round-by-round linear-sum assignment, then improving swaps (see ``tour``)."""
    n_sci, n_events = m.shape
    # Everyone signed up should talk: more than the fair share of talks costs extra.
    fair = max(1, (n_events * k) // n_sci)
    plan: list[list[int]] = [[] for _ in range(n_events)]
    uses = np.zeros(n_sci, dtype=int)
    copies = math.ceil(n_events / n_sci)      # so every event can get a talk in every round
    for _ in range(k):
        cost = np.empty((n_sci * copies, n_events))
        for c in range(copies):
            for s in range(n_sci):
                for e in range(n_events):
                    if s in plan[e]:
                        cost[c * n_sci + s, e] = _FORBIDDEN
                        continue
                    clash = sum(same[s, t] for t in plan[e])
                    over = max(0, uses[s] + 1 + c - fair)
                    cost[c * n_sci + s, e] = -m[s, e] + SUBJECT_PENALTY * clash + OVERUSE_PENALTY * over
        rows, cols = linear_sum_assignment(cost)
        for r, e in zip(rows, cols):
            s = r % n_sci
            plan[e].append(s)
            uses[s] += 1
    # Swaps: a talk of event a and a talk of event b change places (or a talk goes to an
    # unused scientist) whenever that raises the objective.
    best = _objective(m, same, plan, fair)
    improved = True
    while improved:
        improved = False
        for a in range(n_events):
            for i in range(len(plan[a])):
                for b in range(n_events):
                    options = range(len(plan[b])) if b != a else ()
                    for j in options:
                        s, t = plan[a][i], plan[b][j]
                        if s == t or t in plan[a] or s in plan[b]:
                            continue
                        plan[a][i], plan[b][j] = t, s
                        value = _objective(m, same, plan, fair)
                        if value > best + 1e-9:
                            best, improved = value, True
                        else:
                            plan[a][i], plan[b][j] = s, t
                for t in range(n_sci):
                    s = plan[a][i]
                    if t in plan[a]:
                        continue
                    plan[a][i] = t
                    value = _objective(m, same, plan, fair)
                    if value > best + 1e-9:
                        best, improved = value, True
                    else:
                        plan[a][i] = s
    return plan
