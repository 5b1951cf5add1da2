"""Why a partner was suggested, in terms a person checks at a glance.

For each hit: the words both sides share (as the user wrote them and as the partner
wrote them), the partner's sentence that matched best, the query sentence it
answered, what the partner offers and seeks, the distance, each ranking signal,
and short German reasons: first what the texts show (shared words, the matching
statement, a match in meaning alone), then what each ranking signal says for the hit
(its ``reason``, ``matcher/signals/``), then the partner's offer.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from index.analyzer import GermanAnalyzer, split_sentences
from ingest.passages import WHOLE_FIELD
from matcher.ranker import CONTENT_FLOOR
from matcher.signals import CONTENT_SIGNALS, SIGNALS, SUPPORTED, Evidence, support_tiers

MAX_TERMS = 8
SNIPPET_CHARS = 300
#: What a sentence of each field is, for the reader: the firm's offer, its need, or how it
#: describes itself.
FIELD_LABELS = {"description": "Beschreibung", "offers": "Angebot", "seeks": "Bedarf", "keywords": "Schlagworte"}
#: Words that both sides use without saying what they do: true of any firm, so noise as
#: evidence (analyzer terms; the ranking's lexical signal weighs them by idf anyway).
NOISE_TERMS = frozenset({
    "betrieb", "arbeit", "erkenn", "ergebnis", "ziel", "einsatz", "nutz", "neu", "hoch", "gross",
    "klein", "mittler", "region", "regional", "sachs", "sachsisch", "deutsch", "gmbh", "ug", "kg",
    "ag", "mbh", "co", "ev", "projekt", "vorhab", "verbund", "teilprojekt", "forder", "umsetz",
    "moglich", "basis", "art", "weis", "thema", "fokus", "bereit", "schaff", "stell", "biet",
    "such", "helf", "hilf", "unterstutz", "partn", "kooperation", "zusammenarbeit"})


@lru_cache(maxsize=50_000)
def _term_map(analyzer: GermanAnalyzer, text: str) -> dict[str, str]:
    """term (and compound-part term) -> first surface word carrying it (read-only: cached,
    because every hit of a search re-reads the same query sentences and popular passages)."""
    return {term: surface for term, (surface, _) in _term_kinds(analyzer, text).items()}


@lru_cache(maxsize=50_000)
def _term_kinds(analyzer: GermanAnalyzer, text: str) -> dict[str, tuple[str, bool]]:
    """term -> (first surface word carrying it, whether some word IS the term rather than
    only containing it as a compound part)."""
    out: dict[str, tuple[str, bool]] = {}
    for token in analyzer.tokens(text):
        surface, whole = out.get(token.term, (token.surface, False))
        out[token.term] = (surface, True)
        for part in token.parts:
            out.setdefault(part, (token.surface, False))
    return out


def _without_name(text: str, name: str) -> str:
    """The keywords passage starts with the organisation's name ("Name: keywords"): a word
    of a name ("Muldentaler", "Lichtstrahl") is no evidence of what the firm does."""
    return text[len(name) + 2:] if name and text.startswith(name + ": ") else text


def shorten(text: str, limit: int = SNIPPET_CHARS) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


class Explainer:
    def __init__(self, analyzer: GermanAnalyzer, idf_of=lambda term: 0.0, place_terms=frozenset()):
        self.analyzer = analyzer
        self.idf_of = idf_of     # term -> idf, to show the most telling shared terms first
        # Terms of place names ("Chemnitzer" -> chemnitz): where a firm is, not what it does.
        self.place_terms = place_terms

    def explain(self, *, query_texts: list[str], query_vectors: np.ndarray, profile: dict,
                passages: list[dict], signals: dict[str, float], distance_km: float | None,
                seeker_name: str = "", shared_projects: list[str] | None = None,
                joint_projects: int = 0, need: bool = True, supported: bool | None = None) -> dict:
        """``need``: the query is a need (a search), not an organisation's whole profile;
        ``supported``: the ranker found the hit supported by its text (its support tier),
        else judged from ``signals`` at the default floor."""
        query_terms, query_whole = self._terms(_without_name(t, seeker_name) for t in query_texts)
        # The whole-profile vector's text repeats the passages: evidence comes from these.
        passages = [p for p in passages if p["field"] != WHOLE_FIELD]
        partner_terms, partner_whole = self._terms(_without_name(p["text"], profile.get("name", ""))
                                                   for p in passages)
        # A compound part counts when the other side has it as a word of its own
        # ("Schweißen" ~ "Laserstrahlschweißen"), not when both only contain it
        # ("Laserstrahlschweißen" !~ "Elektronenstrahlschmelzen", "Lichtstrahl").
        shared = [t for t in query_terms if t in partner_terms and (t in query_whole or t in partner_whole)
                  and t not in NOISE_TERMS and t not in self.place_terms]
        # German capitalises nouns: the nouns both sides share name the topic; shared
        # verbs and adjectives ("stellt", "festen") are noise to a reader.
        nouns = [t for t in shared if query_terms[t][:1].isupper() or partner_terms[t][:1].isupper()]
        if len(nouns) >= 2 or len(nouns) == len(shared):
            shared = nouns
        shared.sort(key=lambda t: -self.idf_of(t))
        shared = _dedupe_surfaces(shared, query_terms)[:MAX_TERMS]

        best, best_query = self._best_passage(query_texts, query_vectors, passages, set(shared),
                                              need=need)
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
            "best_sentence_label": FIELD_LABELS.get(field, "Beschreibung") if sentence else "",
            "query_sentence": best_query,
            "semantic_match": self._semantic_match(query_texts, query_vectors, passages, set(shared)),
            "offers": shorten(profile.get("offers", "")),
            "seeks": shorten(profile.get("seeks", "")),
            "distance_km": None if distance_km is None or np.isnan(distance_km) else round(float(distance_km), 1),
            "signals": {k: round(float(v), 3) for k, v in signals.items()},
            "joint_projects": int(joint_projects),
        }
        known = any(name in signals for name in CONTENT_SIGNALS)     # not when called without signals
        if supported is None:
            supported = not known or int(support_tiers(
                {k: np.asarray(v) for k, v in signals.items()}, CONTENT_FLOOR)) == SUPPORTED
        explanation["weak_evidence"] = known and not shared and not supported
        projects = list(dict.fromkeys(shared_projects or ()))
        # The project on the query's topic first: it is why this known partner ranks here.
        projects.sort(key=lambda title: -len(query_terms.keys() & _term_map(self.analyzer, title).keys()))
        explanation["reasons"] = self._reasons(explanation, profile, seeker_name, projects)
        return explanation

    def _terms(self, texts) -> tuple[dict[str, str], set[str]]:
        surfaces: dict[str, str] = {}
        whole: set[str] = set()
        for text in texts:
            for term, (surface, is_word) in _term_kinds(self.analyzer, text).items():
                surfaces.setdefault(term, surface)
                if is_word:
                    whole.add(term)
        return surfaces, whole

    def _semantic_match(self, query_texts, query_vectors, passages, shared: set[str]) -> dict | None:
        """The model's own evidence: the partner passage closest in meaning to a query
        sentence, that sentence, the cosine, and whether the two share a word at all
        (when not, the match is by meaning alone: "inhaltlich ähnlich")."""
        prose = [p for p in passages if p["field"] != "keywords"] or passages
        if not prose or not len(query_texts):
            return None
        sims = np.atleast_2d(query_vectors) @ np.vstack([p["vector"] for p in prose]).T
        q, j = np.unravel_index(int(np.argmax(sims)), sims.shape)
        q = q if q < len(query_texts) else 0
        passage = prose[j]
        sentence = self._best_sentence(passage["text"], shared)
        words = set(_term_map(self.analyzer, sentence)) & set(_term_map(self.analyzer, query_texts[q]))
        words -= NOISE_TERMS
        return {"partner_sentence": sentence, "partner_field": passage["field"],
                "partner_label": FIELD_LABELS.get(passage["field"], "Beschreibung"),
                "query_sentence": shorten(query_texts[q]), "similarity": round(float(sims[q, j]), 3),
                "shares_words": bool(words)}

    def _best_passage(self, query_texts, query_vectors, passages, shared: set[str], need: bool = True):
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
        if need:
            # For a need, what the partner offers or does is the evidence; its own needs are
            # the statement of last resort (a firm that seeks the same is no helper).
            score -= np.array([0.5 if p["field"] == "seeks" else 0.0 for p in passages])
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
        if expl["weak_evidence"]:
            reasons.append("Nur schwach belegt: kein gemeinsamer Begriff, geringe inhaltliche Ähnlichkeit")
        if expl["shared_terms"]:
            reasons.append("Gemeinsame Begriffe: " + ", ".join(expl["shared_terms"]))
        if expl["best_sentence"]:
            # Weakly supported: the closest statement there is, not one that fits.
            label = "Nächstliegende Aussage" if expl["weak_evidence"] else "Passende Aussage"
            reasons.append(f"{label} ({expl['best_sentence_label']}): „{expl['best_sentence']}“")
        match = expl.get("semantic_match")
        if match and not match["shares_words"] and not expl["shared_terms"] and not expl["weak_evidence"]:
            reasons.append(f"Inhaltlich ähnlich ({match['partner_label']}): „{match['partner_sentence']}“ "
                           f"– zu „{match['query_sentence']}“")
        # Then what each ranking signal says for this hit (distance, known partners, ...),
        # in the registry's order; the content signals speak through the evidence above.
        evidence = Evidence(signals=expl["signals"], profile=profile, distance_km=expl["distance_km"],
                            seeker_name=seeker_name, shared_projects=list(shared_projects),
                            joint_projects=expl["joint_projects"])
        for signal in SIGNALS:
            line = signal.reason(evidence)
            if line:
                reasons.append(line)
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
