"""Region -> programme: the research profiles that best match a region's firms, on different subjects."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geo import normalise_district
from innoslam.matching import FIRM_KINDS, MIN_SCORE_PROFILE, SPEAKER_KINDS, match_of, well_matching
from innoslam.plan_audience import _rank_firms
from innoslam.subjects import Subject, same_subject, subject_of
from matcher.request import BadRequest, SearchRequest

#: Research profiles scored exactly for a programme (after a cheap pre-selection).
PROGRAMME_CANDIDATES = 60
TALKS_MIN, TALKS_MAX = 1, 10


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


def plan_programme(radar, district: str = "", town: str = "", radius_km=None, n: int = 5,
                   candidates: list[str] | None = None) -> dict:
    """``programme`` for a region given as the CLI and the API take it."""
    return programme(radar, region_of(radar, district=district, town=town, radius_km=radius_km),
                     n=n, candidates=candidates)
