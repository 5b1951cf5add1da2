"""Which partners go into one subscriber's digest.

Profiles new or changed in the subscriber's window (since its last digest) that the product
itself would suggest as partners for the firm: ``Radar.partners`` ranks over *all* profiles
(so a score means the same as on the partner page: new profiles are not graded on a
curve among themselves), then only the new ones at or above the threshold are kept.
Ranking runs from stored vectors, nothing is embedded; a subscriber with no new candidate
after the cheap filters (kind, radius, left-out topics) costs no ranking at all.
Explanations are computed only for the partners that go into the mail.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from matcher.request import BadRequest, SearchRequest

log = logging.getLogger(__name__)

#: Score points a partner gains for each stressed topic it mentions (capped at 100).
STRESS_POINTS = 10

@dataclass
class Pick:
    """A partner for the e-mail: the API's hit plus what the digest adds."""
    hit: dict
    score: int
    is_new: bool
    topics: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.hit["id"]


class Changes:
    """Profiles created or updated in a window, read once per run (listed ones only)."""

    def __init__(self, store, since: float, until: float):
        rows = store.conn.execute(
            "SELECT id, created_at, updated_at FROM profiles WHERE updated_at > ? AND updated_at <= ? AND listed = 1",
            (since, until)).fetchall()
        self.until = until
        self.created = {r[0]: r[1] for r in rows}
        self.updated = {r[0]: r[2] for r in rows}

    def between(self, since: float) -> list[str]:
        return [pid for pid, t in self.updated.items() if t > since]


class Selector:
    def __init__(self, radar, top: int = 5, min_score: int = 40):
        self.radar = radar
        self.top = top
        self.min_score = min_score
        self._topic_terms: dict[str, list[str]] = {}

    # -- topics -------------------------------------------------------------------
    def _terms(self, topic: str) -> list[str]:
        if topic not in self._topic_terms:
            self._topic_terms[topic] = list(dict.fromkeys(t.term for t in self.radar.analyzer.tokens(topic)))
        return self._topic_terms[topic]

    def mentions(self, index, profile_id: str, topic: str) -> bool:
        """Does the profile use every content word of the topic (lemmas, compound parts count)?"""
        terms = self._terms(topic)
        row = index.profiles.row_of.get(profile_id)
        if row is None or not terms:
            return False
        return index.lexical.has_terms(row, terms)

    # -- selection ------------------------------------------------------------------
    def request(self, subscription) -> SearchRequest:
        """The firm's partner request with the subscriber's kinds and radius."""
        prefs = subscription.preferences
        req = SearchRequest(kinds=list(prefs.kinds), seeker=subscription.profile_id)
        profile = self.radar.store.get_profile(subscription.profile_id) or {}
        near = profile.get("postcode") or profile.get("town") or ""
        if near and self.radar.gazetteer.locate(near) is not None:
            req.near = near    # distances in the mail, and the radius if one is set
            req.radius_km = prefs.radius_km
        return req

    def select(self, subscription, candidates: list[str], explain: bool = True) -> list[Pick]:
        """The top partners among ``candidates`` (profile ids new in the window) for one subscriber."""
        index = self.radar.index
        prefs = subscription.preferences
        candidates = [pid for pid in candidates if pid != subscription.profile_id and pid in index.profiles.row_of]
        if prefs.kinds:
            kinds = set(prefs.kinds)
            candidates = [pid for pid in candidates
                          if index.profiles.kind[index.profiles.row_of[pid]] in kinds]
        if prefs.exclude_topics:
            candidates = [pid for pid in candidates
                          if not any(self.mentions(index, pid, t) for t in prefs.exclude_topics)]
        if not candidates or subscription.profile_id not in index.profiles.row_of:
            return []
        req = self.request(subscription)
        # A stressed topic can lift a partner by STRESS_POINTS, so look that far below the bar.
        floor = self.min_score - (STRESS_POINTS * len(prefs.topics) if prefs.topics else 0)
        # Only the new profiles are ranked, each scored exactly as in the firm's full partner
        # list (``SearchRequest.only``): one small ranking per subscriber, not one of everyone.
        req.only = candidates
        req.limit = len(candidates)
        # A partner the texts only weakly support is no news worth a mail, whatever its score.
        scored = {hit["id"]: hit for hit in self.radar.partners(subscription.profile_id, req, explain=False)
                  if hit["score"] >= floor and hit["supported"]}
        picks = []
        for pid, hit in scored.items():
            topics = [t for t in prefs.topics if self.mentions(index, pid, t)]
            score = min(100, hit["score"] + STRESS_POINTS * len(topics))
            if score >= self.min_score:
                picks.append(Pick(hit=hit, score=score, is_new=False, topics=topics))
        picks.sort(key=lambda p: (-p.score, p.hit["name"]))
        picks = picks[: self.top]
        if explain and picks:
            self._explain(subscription, req, picks)
        return picks

    def _explain(self, subscription, req: SearchRequest, picks: list[Pick]) -> None:
        """Explanations for the chosen few only (they don't depend on the other candidates)."""
        req.only = [p.id for p in picks]
        req.limit = len(picks)
        explained = {h["id"]: h for h in self.radar.partners(subscription.profile_id, req, explain=True)}
        for pick in picks:
            hit = explained.get(pick.id)
            if hit is not None:
                pick.hit = {**hit, "score": pick.hit["score"]}

    def picks_for_ids(self, subscription, partner_ids: list[str]) -> list[Pick]:
        """Re-render a digest recorded earlier (a restart): the same partners, if they still exist."""
        index = self.radar.index
        alive = [pid for pid in partner_ids if pid in index.profiles.row_of]
        if not alive or subscription.profile_id not in index.profiles.row_of:
            return []
        req = self.request(subscription)
        req.radius_km = None
        req.kinds = []
        req.only = alive
        req.limit = len(alive)
        try:
            hits = {h["id"]: h for h in self.radar.partners(subscription.profile_id, req, explain=True)}
        except BadRequest:
            return []
        prefs = subscription.preferences
        picks = []
        for pid in alive:
            if pid in hits:
                topics = [t for t in prefs.topics if self.mentions(index, pid, t)]
                picks.append(Pick(hit=hits[pid], score=min(100, hits[pid]["score"] + STRESS_POINTS * len(topics)),
                                  is_new=False, topics=topics))
        return picks
