"""The ranking signals in one registry: each one's component and default weight.

Everything that lists signals reads this tuple: ``Weights`` (one weight per signal), the
ranker (each signal proposes candidates and scores them; the content signals make the
content floor), the explainer (each signal's reason, in this order), the radar (which
signals make up a score of 100) and the evaluation (one ablation per signal). A signal is
one module implementing the contract of ``matcher/signals/base.py`` (candidates, a score
0..1 per candidate, the reason a user reads); a new one is that module plus one line here.
The order is the order of the fusion's sum and of the reasons.

The default weights were tuned on one half of the joint projects of both funding data sets
(leave one project out, ``evaluation/``) and checked on the other half; with the
multilingual e5 (issue 13) only ``whole`` was re-chosen, on the EFRE dumps
(``evaluation/tune.py``); see README "Qualität".
"""
from __future__ import annotations

import numpy as np

from matcher.signals.activity import Activity
from matcher.signals.base import Evidence, RankContext, Signal
from matcher.signals.complement import Complement
from matcher.signals.lexical import Lexical
from matcher.signals.network import Network
from matcher.signals.proximity import Proximity
from matcher.signals.semantic import Semantic
from matcher.signals.shared_topic import SharedTopic
from matcher.signals.whole import Whole

SIGNALS: tuple[Signal, ...] = (
    # best cosine between a query sentence and a partner passage (max-sim)
    Semantic(weight=0.4),
    # cosine between the query and the partner's whole-profile vector
    Whole(weight=0.1),
    # German lemma/compound overlap (idf-weighted coverage and BM25)
    Lexical(weight=0.6),
    # closeness to the "near" place, else to the seeker's own address
    Proximity(weight=0.2),
    # known partner of the seeker (by projects together) or partner of its partners
    Network(weight=0.5),
    # a known partner from a joint project on the query's topic
    SharedTopic(weight=0.5),
    # the share of all known joint projects an organisation took part in (a share, 0.4 at
    # most in practice, hence the large weight)
    Activity(weight=1.5),
    # kinds that complete each other (KMU <-> research)
    Complement(weight=0.3),
)
SIGNAL_NAMES = tuple(s.name for s in SIGNALS)
#: The content signals; everything else (proximity, network, activity, ...) only orders.
CONTENT_SIGNALS = tuple(s.name for s in SIGNALS if s.content)
#: The signals that count times the content evidence (``Signal.scaled_by_content``).
SCALED_BY_CONTENT = tuple(s.name for s in SIGNALS if s.scaled_by_content)


def content_evidence(signals: dict):
    """Per candidate: its strongest content signal (0..1), the "does the text support it";
    of arrays (the ranker's candidates) or of one hit's floats (its explanation)."""
    present = [signals[name] for name in CONTENT_SIGNALS if name in signals]
    return np.maximum.reduce(present) if present else np.zeros(0)


__all__ = ["SIGNALS", "SIGNAL_NAMES", "CONTENT_SIGNALS", "SCALED_BY_CONTENT", "content_evidence", "Signal", "RankContext", "Evidence"]
