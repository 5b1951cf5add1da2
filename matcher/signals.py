"""The ranking signals in one registry: name, default weight, and what each one is.

Everything that lists signals reads this tuple: ``Weights`` (one weight per signal),
the ranker (which signals are content evidence), the radar (which signals make up a
score of 100) and the evaluation (one ablation per signal). Each signal is 0..1 per
candidate; the ranker computes it (``matcher/ranker.py``) and the explainer turns it into
the reason a user reads (``matcher/explain.py``).

The default weights were tuned on one half of the joint projects of both funding data sets
(leave one project out, ``evaluation/``) and checked on the other half; with the
multilingual e5 (issue 13) only ``whole`` was re-chosen, on the EFRE dumps
(``evaluation/tune.py``); see README "Qualität".
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Signal:
    name: str
    #: Default weight in the fusion (``Weights``).
    weight: float
    #: Evidence from the text: the content floor and the guard metric count these.
    content: bool = False
    #: Part of a perfect score (100): content, and the place when one is asked for. The
    #: seeker-side signals lift a hit towards 100 but are no part of it.
    in_score: bool = False
    #: The evaluation's variant without this signal (None: it can't be measured there).
    ablation: str | None = None
    #: Counts in proportion to the candidate's content evidence: it orders the candidates
    #: the text supports and cannot carry one the text does not (issue 13).
    scaled_by_content: bool = False


SIGNALS = (
    # best cosine between a query sentence and a partner passage (max-sim)
    Signal("semantic", 0.4, content=True, in_score=True, ablation="default-no-semantic"),
    # cosine between the query and the partner's whole-profile vector
    Signal("whole", 0.1, content=True, in_score=True, ablation="default-no-whole"),
    # German lemma/compound overlap (idf-weighted coverage and BM25)
    Signal("lexical", 0.6, content=True, in_score=True, ablation="default-no-lexical"),
    # closeness to the "near" place, else to the seeker's own address; evaluation queries
    # name no place, so it has no ablation
    Signal("proximity", 0.2, in_score=True),
    # known partner of the seeker (by projects together) or partner of its partners
    Signal("network", 0.5, ablation="default-no-graph"),
    # a known partner from a joint project on the query's topic
    Signal("shared_topic", 0.5, ablation="default-no-shared-topic"),
    # kinds that complete each other (KMU <-> research)
    Signal("complement", 0.3, ablation="default-no-complement"),
    # the share of all known joint projects an organisation took part in. A share (0.4 at
    # most in practice), so its weight is large: an organisation in 40% of all joint
    # projects is a likely partner for any topic, one in 2% only when the content says so:
    # scaled by the content evidence, a hub whose best sentence is noise stays behind the
    # specialist whose text fits (EFRE: Fraunhofer led 18 of 20 everyday needs without it).
    Signal("activity", 1.5, ablation="default-no-activity", scaled_by_content=True),
)
SIGNAL_NAMES = tuple(s.name for s in SIGNALS)
#: The content signals; everything else (proximity, network, activity, ...) only orders.
CONTENT_SIGNALS = tuple(s.name for s in SIGNALS if s.content)
SCALED_BY_CONTENT = tuple(s.name for s in SIGNALS if s.scaled_by_content)
