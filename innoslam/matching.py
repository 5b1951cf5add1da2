"""What counts as a match in Inno Slam planning.

A firm *matches well* when its score is at least ``RELATIVE_SCORE`` of the best firm's
score in all of Saxony and at least a floor: the gap between real matches and the long
tail is large (≈ 65–95 against ≈ 15–35 for a topic on the demo data), so a relative cut
follows it on both sharp and vague topics. A research profile as the query ("partners
for this organisation") ranks flatter, its tail reaches ≈ 35-40, hence the higher floor.
Only firms whose text supports the topic count (``supported``: ``matcher.signals``).
A region's *match* is the sum of its well-matching firms' scores / 100: it grows with
their number and with how well each matches.
"""
from __future__ import annotations

#: Who sits in an Inno Slam audience.
FIRM_KINDS = ["kmu", "startup"]
#: Who gives the talks.
SPEAKER_KINDS = ["research"]
MIN_SCORE_TOPIC = 30
MIN_SCORE_PROFILE = 40
RELATIVE_SCORE = 0.6


def well_matching(hits: list[dict], floor: int = MIN_SCORE_TOPIC) -> list[dict]:
    """The hits of a Saxony-wide ranking that match well (see module docstring), best first."""
    if not hits:
        return []
    cut = max(floor, RELATIVE_SCORE * max(h["score"] for h in hits))
    # A firm whose text only weakly supports the topic is not worth an invitation.
    return [h for h in hits if h["score"] >= cut and h["supported"]]


def match_of(hits: list[dict]) -> float:
    return round(sum(h["score"] for h in hits) / 100.0, 2)
