"""Signed-up scientists -> a tour: events in the best-matching districts, each with a full programme."""
from __future__ import annotations

import math

import numpy as np
from scipy.optimize import linear_sum_assignment

from geo import normalise_district
from innoslam.matching import match_of
from innoslam.plan_audience import _coordinates, _research_profile, _venue
from innoslam.plan_programme import TALKS_MAX, scientist_hits
from innoslam.subjects import same_subject, subject_of
from matcher.request import BadRequest

EVENTS_MAX = 13
SPEAKERS_MAX = 60


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


def plan_tour(radar, scientist_ids, n_events, talks_per_event=None, districts=None) -> dict:
    """``tour`` as the CLI and the API take it (the API may leave out ``n_events``)."""
    if n_events is None:
        raise BadRequest("Bitte die Zahl der Veranstaltungen (n_events) angeben.")
    return tour(radar, scientist_ids, n_events, talks_per_event, districts)
