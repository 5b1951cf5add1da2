"""evaluation/ranking_snapshot.py: its comparison is what tells a maintainer that a
refactoring changed the ranking, so it must notice every kind of change (nothing embedded)."""
from __future__ import annotations

import copy

from evaluation.ranking_snapshot import compare


def _snapshot() -> list[dict]:
    hit = {"id": "b", "score": 71, "explanation": {"reasons": ["Gemeinsame Begriffe: Laser", "12 km entfernt"]}}
    return [{
        "database": "demo", "kind": "text", "request": {"query": "Laser"}, "ablation": None,
        "ranked": {"ids": ["b", "a"], "fused": [0.71, 0.5], "signals": {"semantic": [0.9, 0.4]},
                   "distance_km": [12.0, None]},
        "results": [hit],
    }, {
        "database": "demo", "kind": "partners", "request": {"seeker": "a"}, "ablation": "activity",
        "ranked": {"ids": ["b"], "fused": [0.3], "signals": {"semantic": [0.3]}, "distance_km": None},
        "results": [],
    }]


def test_the_same_ranking_in_another_order_of_requests_is_equal():
    before = _snapshot()
    assert compare(before, list(reversed(copy.deepcopy(before)))) == []


def test_scores_may_differ_by_rounding_only():
    after = _snapshot()
    after[0]["ranked"]["fused"][0] += 1e-12
    assert compare(_snapshot(), after) == []
    after[0]["ranked"]["fused"][0] += 1e-6
    assert any("fused" in line for line in compare(_snapshot(), after))


def test_a_new_order_a_changed_signal_a_changed_reason_and_a_missing_request_are_reported():
    reordered = _snapshot()
    reordered[0]["ranked"]["ids"].reverse()
    signal = _snapshot()
    signal[0]["ranked"]["signals"]["semantic"][1] = 0.41
    reason = _snapshot()
    reason[0]["results"][0]["explanation"]["reasons"][1] = "13 km entfernt"
    missing = _snapshot()[:1]

    assert any("order differs" in line for line in compare(_snapshot(), reordered))
    assert any("signal semantic" in line for line in compare(_snapshot(), signal))
    assert any("explanations" in line for line in compare(_snapshot(), reason))
    assert compare(_snapshot(), missing)
