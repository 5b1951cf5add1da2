"""The fusion's promise (issue 13): activity orders the partners the text supports and
cannot carry one it does not. Checked on the one fusion the ranker and the tuning share."""
from __future__ import annotations

import numpy as np

from matcher.ranker import CONTENT_FLOOR, Weights, fuse, order


def ranked(signals: dict[str, list[float]], weights=None) -> list[int]:
    fused, tiers = fuse({k: np.asarray(v, dtype=np.float32) for k, v in signals.items()},
                        weights or Weights())
    return list(order(fused, tiers))


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


def test_a_hub_matched_in_meaning_alone_ranks_after_every_partner_whose_words_fit():
    # 0: a hub in 38 % of all joint projects whose best sentence is near the need in meaning
    #    only (above the floor, below the weak-evidence bar, no shared word);
    # 1: a small firm that shares the need's words, with a modest match in meaning.
    signals = {"semantic": [0.48, 0.35], "whole": [0.30, 0.20], "lexical": [0.0, 0.45],
               "activity": [0.38, 0.0], "network": [1.0, 0.0]}
    assert ranked(signals) == [1, 0]


def test_activity_neither_orders_nor_scores_a_weakly_supported_hit():
    # 0 and 1: the same weak match in meaning; 0 is a hub in 38 % of all joint projects.
    # 2: a firm sharing the need's words.
    signals = {"semantic": [0.48, 0.48, 0.60], "whole": [0.3, 0.3, 0.3], "lexical": [0.0, 0.0, 0.45],
               "activity": [0.38, 0.0, 0.0]}
    fused, tiers = fuse({k: np.asarray(v, dtype=np.float32) for k, v in signals.items()}, Weights())
    assert fused[0] == fused[1]
    assert list(order(fused, tiers)) == [2, 0, 1]


def test_the_seekers_own_history_still_orders_the_weakly_supported_hits():
    # Two weak matches; the seeker worked with 0 on the query's topic.
    signals = {"semantic": [0.45, 0.47], "whole": [0.2, 0.2], "lexical": [0.0, 0.0],
               "network": [0.3, 0.0], "shared_topic": [1.0, 0.0]}
    assert ranked(signals) == [0, 1]


def test_a_shared_word_in_a_text_about_something_else_supports_no_hit():
    # 0: "Lärm von Maschinen mindern" meets a firm named "… Minds" on a stem, its texts
    #    being about eye tracking; 1: a firm whose text is close in meaning.
    signals = {"semantic": [0.12, 0.55], "whole": [0.05, 0.3], "lexical": [0.54, 0.0]}
    assert ranked(signals) == [1, 0]
