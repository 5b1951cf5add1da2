"""Inno Slam planning: which regions a research topic should visit, and with which talks.

An *Inno Slam* brings four to six scientists to a region to present research to local
KMU and start-ups. Three questions, all answered over a ``Radar`` with the same ranking
(and the same explanations) as a partner search:

* ``audience``: topic (free text or a research profile) -> Saxon districts ranked by how
  many firms match well and how well, the firms to invite and a venue town.
* ``programme``: region (district, or town + radius) -> research profiles ranked by how
  well they match the region's firms, and a programme of N talks on different subjects.
* ``tour``: signed-up scientists + number of events -> districts and a full programme for
  each, by linear-sum assignment (one round per programme slot) and pairwise swaps.

One module per question (``plan_audience``, ``plan_programme``, ``plan_tour``), over what
they share: ``matching`` (who matches well) and ``subjects`` (which talks are on one
subject). The CLI (``partnerradar innoslam``) and the API (``/api/v1/innoslam``) are thin
wrappers over the functions below.
"""
from innoslam.matching import match_of, well_matching
from innoslam.plan_audience import audience
from innoslam.plan_programme import TALKS_MAX, TALKS_MIN, Region, plan_programme, programme, region_of, scientist_hits
from innoslam.plan_tour import EVENTS_MAX, plan_tour, tour

__all__ = ["EVENTS_MAX", "Region", "TALKS_MAX", "TALKS_MIN", "audience", "match_of", "plan_programme", "plan_tour",
           "programme", "region_of", "scientist_hits", "tour", "well_matching"]
