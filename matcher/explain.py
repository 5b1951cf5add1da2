"""Why a partner was suggested, in terms a person checks at a glance.

For each hit: the words both sides share (as the user wrote them and as the partner
wrote them), the partner's sentence that matched best, the query sentence it
answered, what the partner offers and seeks, the distance, each ranking signal,
and short German reasons built from those signals.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from index.analyzer import GermanAnalyzer, split_sentences

MAX_TERMS = 8
SNIPPET_CHARS = 300
FIELD_LABELS = {"description": "Profil", "offers": "Angebot", "seeks": "Bedarf", "keywords": "Schlagworte"}
KIND_LABELS = {"kmu": "KMU", "research": "Forschung", "startup": "Start-up", "other": "Sonstige"}


@lru_cache(maxsize=50_000)
def _term_map(analyzer: GermanAnalyzer, text: str) -> dict[str, str]:
    """term (and compound-part term) -> first surface word carrying it (read-only: cached,
    because every hit of a search re-reads the same query sentences and popular passages)."""
    out: dict[str, str] = {}
    for token in analyzer.tokens(text):
        out.setdefault(token.term, token.surface)
        for part in token.parts:
            out.setdefault(part, token.surface)
    return out


def shorten(text: str, limit: int = SNIPPET_CHARS) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


class Explainer:
    def __init__(self, analyzer: GermanAnalyzer, idf_of=lambda term: 0.0):
        self.analyzer = analyzer
        self.idf_of = idf_of     # term -> idf, to show the most telling shared terms first

    def explain(self, *, query_texts: list[str], query_vectors: np.ndarray, profile: dict,
                passages: list[dict], signals: dict[str, float], distance_km: float | None,
                seeker_name: str = "", shared_projects: list[str] | None = None,
                joint_projects: int = 0) -> dict:
        query_terms: dict[str, str] = {}
        for text in query_texts:
            for term, surface in _term_map(self.analyzer, text).items():
                query_terms.setdefault(term, surface)
        partner_terms: dict[str, str] = {}
        for passage in passages:
            for term, surface in _term_map(self.analyzer, passage["text"]).items():
                partner_terms.setdefault(term, surface)
        shared = [t for t in query_terms if t in partner_terms]
        # German capitalises nouns: the nouns both sides share name the topic; shared
        # verbs and adjectives ("stellt", "festen") are noise to a reader.
        nouns = [t for t in shared if query_terms[t][:1].isupper() or partner_terms[t][:1].isupper()]
        if len(nouns) >= 2 or len(nouns) == len(shared):
            shared = nouns
        shared.sort(key=lambda t: -self.idf_of(t))
        shared = _dedupe_surfaces(shared, query_terms)[:MAX_TERMS]

        best, best_query = self._best_passage(query_texts, query_vectors, passages, set(shared))
        sentence = ""
        field = ""
        if best is not None:
            field = best["field"]
            sentence = self._best_sentence(best["text"], set(shared))
        explanation = {
            "shared_terms": [query_terms[t] for t in shared],
            "partner_terms": list(dict.fromkeys(partner_terms[t] for t in shared)),
            "best_sentence": sentence,
            "best_sentence_field": field,
            "query_sentence": best_query,
            "offers": shorten(profile.get("offers", "")),
            "seeks": shorten(profile.get("seeks", "")),
            "distance_km": None if distance_km is None or np.isnan(distance_km) else round(float(distance_km), 1),
            "signals": {k: round(float(v), 3) for k, v in signals.items()},
            "joint_projects": int(joint_projects),
        }
        projects = list(dict.fromkeys(shared_projects or ()))
        # The project on the query's topic first: it is why this known partner ranks here.
        projects.sort(key=lambda title: -len(query_terms.keys() & _term_map(self.analyzer, title).keys()))
        explanation["reasons"] = self._reasons(explanation, profile, seeker_name, projects)
        return explanation

    def _best_passage(self, query_texts, query_vectors, passages, shared: set[str]):
        # A reader wants a statement, not the keyword list (its words show as shared terms).
        prose = [p for p in passages if p["field"] != "keywords"]
        passages = prose or passages
        if not passages:
            return None, ""
        vectors = np.vstack([p["vector"] for p in passages])
        sims = np.atleast_2d(query_vectors) @ vectors.T                  # (m, passages)
        overlap = np.array([len(shared & set(p["terms"].split())) for p in passages], dtype=float)
        overlap = overlap / overlap.max() if overlap.max() > 0 else overlap
        score = sims.max(axis=0) + 0.3 * overlap
        j = int(np.argmax(score))
        q = int(np.argmax(sims[:, j])) if len(query_texts) > 1 else 0
        return passages[j], (query_texts[q] if query_texts else "")

    def _best_sentence(self, text: str, shared: set[str]) -> str:
        sentences = split_sentences(text) or [text]
        if len(sentences) == 1 or not shared:
            return shorten(sentences[0])
        counts = [len(shared & set(_term_map(self.analyzer, s))) for s in sentences]
        return shorten(sentences[int(np.argmax(counts))])

    @staticmethod
    def _reasons(expl: dict, profile: dict, seeker_name: str, shared_projects) -> list[str]:
        reasons = []
        if expl["shared_terms"]:
            reasons.append("Gemeinsame Begriffe: " + ", ".join(expl["shared_terms"]))
        if expl["best_sentence"]:
            label = FIELD_LABELS.get(expl["best_sentence_field"], "Profil")
            reasons.append(f"Passende Aussage ({label}): „{expl['best_sentence']}“")
        if expl["distance_km"] is not None:
            where = profile.get("town") or ""
            reasons.append(f"{expl['distance_km']:.0f} km entfernt" + (f" ({where})" if where else ""))
        signals = expl["signals"]
        if signals.get("network", 0) > 0 and not shared_projects:
            reasons.append("Hat bereits mit Partnern von " + (seeker_name or "Ihnen") + " zusammengearbeitet")
        if shared_projects and signals.get("shared_topic", 0) > 0:
            first, *others = shared_projects
            reasons.append(f"Bekannter Partner aus einem Projekt zu diesem Thema: „{first}“"
                           + (f"; außerdem: {'; '.join(others[:2])}" if others else ""))
        elif shared_projects:
            reasons.append("Bekannter Partner aus: " + "; ".join(shared_projects[:3]))
        if signals.get("activity", 0) > 0 and expl["joint_projects"]:
            n = expl["joint_projects"]
            reasons.append("Erfahren in Kooperationen: " + ("ein gemeinsames Förderprojekt" if n == 1
                                                           else f"{n} gemeinsame Förderprojekte"))
        if signals.get("complement", 0) >= 1.0:
            reasons.append(f"Ergänzt Sie als {KIND_LABELS.get(profile.get('kind'), 'Partner')}")
        if profile.get("offers"):
            reasons.append("Bietet: " + shorten(profile["offers"], 160))
        return reasons


def _dedupe_surfaces(terms: list[str], surfaces: dict[str, str]) -> list[str]:
    """Keep one term per surface word (a compound and its part share one)."""
    seen, out = set(), []
    for term in terms:
        surface = surfaces[term].lower()
        if surface not in seen:
            seen.add(surface)
            out.append(term)
    return out
