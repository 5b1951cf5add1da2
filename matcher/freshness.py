"""Profiles kept alive (issue 15): a profile unconfirmed past its grace period ranks lower.

One small adjustment after the ranking, kept apart from the ranker's signals: among the
first candidates, the score of a profile whose owner has not confirmed it (or changed it)
for ``UNCONFIRMED_AFTER_DAYS`` is multiplied by ``DEMOTION`` and the candidates re-sorted.
It is never hidden, and its explanation says why it moved down. The yearly "still
correct?" mail (``confirmations``) goes out after a year; the grace period gives the owner
time to answer it before the profile moves down.
"""
from __future__ import annotations

import time
from datetime import datetime

import numpy as np

CONFIRM_EVERY_DAYS = 365
GRACE_DAYS = 90
UNCONFIRMED_AFTER_DAYS = CONFIRM_EVERY_DAYS + GRACE_DAYS
DEMOTION = 0.8
#: Only the first candidates are looked at (bounded cost per query); demoting only ever
#: moves a profile down, so beyond this window the order is the ranker's. The window does not
#: depend on the request's limit (at most 100): a longer list extends a shorter one.
WINDOW = 200


def demote_unconfirmed(found, ids, last_confirmed_of, now: float | None = None) -> dict[str, float]:
    """Re-order ``found`` (``matcher.ranker.Candidates``) in place; returns the demoted
    profiles' ids with their last-confirmed time. ``last_confirmed_of(ids) -> {id: time}``."""
    if found.fused is None or not len(found.rows):
        return {}
    window = min(len(found.rows), WINDOW)
    head = [ids[r] for r in found.rows[:window]]
    cutoff = (now or time.time()) - UNCONFIRMED_AFTER_DAYS * 86400
    last = last_confirmed_of(head)
    stale = np.array([last.get(pid) is not None and last[pid] <= cutoff for pid in head])
    if not stale.any():
        return {}
    fused = found.fused[:window] * np.where(stale, DEMOTION, 1.0)
    # Within its support tier: a demoted profile never falls below a less supported one's place,
    # nor does an unsupported one rise above a supported one.
    order = np.lexsort((-fused, found.tiers[:window]))
    found.rows[:window] = found.rows[:window][order]
    found.fused[:window] = fused[order]
    found.tiers[:window] = found.tiers[:window][order]
    for name, values in found.signals.items():
        values[:window] = values[:window][order]
    if found.distance_km is not None:
        found.distance_km[:window] = found.distance_km[:window][order]
    return {pid: last[pid] for pid, s in zip(head, stale) if s}


def reason(last_confirmed: float) -> str:
    """The German line in a hit's reasons."""
    day = datetime.fromtimestamp(last_confirmed).strftime("%d.%m.%Y")
    return (f"Profil seit {day} nicht bestätigt: weiter unten eingeordnet (Wertung × "
            f"{str(DEMOTION).replace('.', ',')}), bis die Organisation es bestätigt oder ändert")
