"""The fusion's promise (issue 13): activity orders the partners the text supports and
cannot carry one it does not. Checked on the one fusion the ranker and the tuning share."""
from __future__ import annotations

import numpy as np

from matcher.ranker import CONTENT_FLOOR, Weights, fuse


def ranked(signals: dict[str, list[float]], weights=None) -> list[int]:
    _, order_by = fuse({k: np.asarray(v, dtype=np.float32) for k, v in signals.items()},
                       weights or Weights())
    return list(np.argsort(-order_by, kind="stable"))


def test_a_busy_organisation_with_a_weak_match_ranks_after_the_specialist_whose_text_fits():
    # 0: in 38 % of all joint projects, its best sentence only vaguely close;
    # 1: a small firm whose offer is the need, no joint project at all.
    signals = {"semantic": [0.45, 0.70], "whole": [0.30, 0.50], "lexical": [0.0, 0.55],
               "activity": [0.38, 0.0]}
    assert ranked(signals) == [1, 0]


def test_between_equally_supported_partners_the_more_experienced_comes_first():
    signals = {"semantic": [0.6, 0.6], "whole": [0.4, 0.4], "lexical": [0.5, 0.5],
               "activity": [0.0, 0.2]}
    assert ranked(signals) == [1, 0]


def test_no_activity_lifts_a_partner_without_content_evidence_above_one_with_it():
    below = CONTENT_FLOOR - 0.05
    signals = {"semantic": [below, CONTENT_FLOOR], "whole": [0.0, 0.0], "lexical": [0.0, 0.0],
               "activity": [0.40, 0.0], "network": [1.0, 0.0]}
    assert ranked(signals) == [1, 0]
    # With the floor switched off (an ablation), the network may carry it.
    assert ranked(signals, Weights(content_floor=0.0)) == [0, 1]
