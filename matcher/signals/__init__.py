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

#: How close in meaning (semantic or whole-profile) a hit must be to be supported without
#: shared words: 0.5 is a cosine of 0.85 with e5, one step above the ranker's floor (0.4,
#: the 95th percentile of unrelated German texts), where a hub's best of hundreds of
#: passages lands for almost any need ("Innovative Silikonprothese" for "Lackieren ohne
#: Lösemittel").
WEAK_EVIDENCE = 0.5
#: Shared words support a hit only where its text is not about something else entirely:
#: its closest passage or whole profile at least this close in meaning (a cosine of 0.81
#: with e5). Below it the words are a coincidence of stems or a generic term ("mindern" and
#: a firm called "Minds": "European Conference on Eye Movement" for "Lärm von Maschinen
#: mindern"; "Produktion" in a digitalisation project for heat recovery from production).
WORDS_NEED_MEANING = 0.25
#: Support tiers of a candidate, in the order they rank: its text supports it (in meaning
#: at ``WEAK_EVIDENCE``, or by words at the floor with ``WORDS_NEED_MEANING``), only weakly
#: (else above the floor), or not at all (below the floor).
SUPPORTED, WEAKLY_SUPPORTED, UNSUPPORTED = 0, 1, 2


def content_evidence(signals: dict):
    """Per candidate: its strongest content signal (0..1), the "does the text support it";
    of arrays (the ranker's candidates) or of one hit's floats (its explanation)."""
    present = [signals[name] for name in CONTENT_SIGNALS if name in signals]
    return np.maximum.reduce(present) if present else np.zeros(0)


def support_tiers(signals: dict[str, np.ndarray], floor: float) -> np.ndarray:
    """Per candidate: ``SUPPORTED``, ``WEAKLY_SUPPORTED`` or ``UNSUPPORTED`` (see there);
    of arrays (the ranker's candidates) or of one hit's floats (its explanation)."""
    content = np.asarray(content_evidence(signals))
    zeros = np.zeros_like(content)
    meaning = np.maximum(np.asarray(signals.get("semantic", zeros)), np.asarray(signals.get("whole", zeros)))
    by_words = (np.asarray(signals.get("lexical", zeros)) >= floor) & (meaning >= WORDS_NEED_MEANING)
    tiers = np.where(by_words | (meaning >= WEAK_EVIDENCE), SUPPORTED, WEAKLY_SUPPORTED)
    return np.where(content < floor, UNSUPPORTED, tiers).astype(np.int8)


__all__ = ["SIGNALS", "SIGNAL_NAMES", "CONTENT_SIGNALS", "SCALED_BY_CONTENT", "WEAK_EVIDENCE", "WORDS_NEED_MEANING",
           "SUPPORTED", "WEAKLY_SUPPORTED", "UNSUPPORTED", "content_evidence", "support_tiers",
           "Signal", "RankContext", "Evidence"]
