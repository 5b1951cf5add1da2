"""What a hit's explanation shows as evidence: real words both sides use, the model's match."""
from __future__ import annotations

import pytest

from index.analyzer import get_analyzer
from matcher.explain import Explainer


@pytest.fixture(scope="module")
def explain(encoder):
    analyzer = get_analyzer()
    explainer = Explainer(analyzer, place_terms=frozenset({"chemnitz"}))

    def run(query: str, partner: dict[str, str], name: str = "Muster GmbH", seeker_name: str = "",
            signals: dict[str, float] | None = None):
        passages = [{"field": field, "text": text, "terms": " ".join(analyzer.terms(text)),
                     "vector": encoder.embed_passages([text])[0]} for field, text in partner.items()]
        return explainer.explain(query_texts=[query], query_vectors=encoder.embed_queries([query]),
                                 profile={"name": name, "kind": "kmu", **partner}, passages=passages,
                                 signals=signals or {}, distance_km=None, seeker_name=seeker_name)
    return run


def test_a_compound_part_is_shared_only_with_a_word_of_its_own(explain):
    partner = {"offers": "Elektronenstrahlschmelzen von Titanbauteilen"}
    assert explain("Laserstrahlschweißen von Aluminium", partner)["shared_terms"] == []
    assert explain("Laserstrahlschweißen von Aluminium", {"offers": "Schweißnähte prüfen"},
                   name="Lichtstrahl GmbH")["shared_terms"] == []
    shared = explain("Schweißen von Aluminium", {"offers": "Laserstrahlschweißen von Aluminium"})["shared_terms"]
    assert set(shared) == {"Schweißen", "Aluminium"}


def test_generic_words_places_and_firm_names_are_no_evidence(explain):
    partner = {"description": "Unser Betrieb in Chemnitz arbeitet an der Wärmerückgewinnung aus Abwasser; "
                              "das Ergebnis erkennen Kunden an der Heizkostenabrechnung.",
               "keywords": "Muldentaler Wärmetechnik GmbH: Abwärme"}
    expl = explain("Der Chemnitzer Betrieb arbeitet an Ergebnissen: wir wollen Abwärme aus Abwasser "
                   "erkennen und die Wärmerückgewinnung nutzen, wie die Muldentaler", partner,
                   name="Muldentaler Wärmetechnik GmbH")
    assert set(expl["shared_terms"]) == {"Abwärme", "Abwasser", "Wärmerückgewinnung"}


def test_the_matching_statement_says_whether_it_is_an_offer_a_need_or_a_description(explain):
    expl = explain("Wir suchen Hilfe beim Laserstrahlschweißen",
                   {"description": "Wir sind eine Zimmerei.", "offers": "Laserstrahlschweißen von Blechen"})
    assert expl["best_sentence_label"] == "Angebot"
    assert "Passende Aussage (Angebot): „Laserstrahlschweißen von Blechen“" in expl["reasons"]
    expl = explain("Wer braucht Holz?", {"seeks": "Wir brauchen Fichtenholz für Dachstühle."})
    assert expl["best_sentence_label"] == "Bedarf"


def test_a_match_by_meaning_alone_is_marked_inhaltlich_aehnlich(explain):
    """No word in common, and still the right firm: the model's sentence pair is the evidence."""
    expl = explain("KI-gestützte Fehlersuche auf Fotos",
                   {"description": "Wir sind ein Lohnfertiger in Zwickau.",
                    "offers": "Mit künstlicher Intelligenz finden wir Kratzer in Kamerabildern von Blechteilen."})
    match = expl["semantic_match"]
    assert match["partner_sentence"].startswith("Mit künstlicher Intelligenz") and not match["shares_words"]
    assert match["query_sentence"] == "KI-gestützte Fehlersuche auf Fotos"
    assert any(r.startswith("Inhaltlich ähnlich (Angebot): „Mit künstlicher Intelligenz") for r in expl["reasons"])


def test_a_weakly_supported_hit_says_so_and_claims_no_match(explain):
    """A hub's best of hundreds of passages comes close to almost any need by chance
    ("Innovative Silikonprothese" for "Lackieren ohne Lösemittel" on the EFRE list): with no
    shared term and little similarity the card says so, instead of a "passende Aussage"."""
    partner = {"description": "Innovative Silikonprothese für die Handchirurgie."}
    weak = explain("Lackieren ohne Lösemittel", partner, signals={"semantic": 0.42, "whole": 0.2, "lexical": 0.0})
    assert weak["weak_evidence"]
    assert weak["reasons"][0] == "Nur schwach belegt: kein gemeinsamer Begriff, geringe inhaltliche Ähnlichkeit"
    assert any(r.startswith("Nächstliegende Aussage (Beschreibung): „Innovative Silikonprothese") for r in weak["reasons"])
    assert not any(r.startswith(("Passende Aussage", "Inhaltlich ähnlich")) for r in weak["reasons"])

    strong = explain("Lackieren ohne Lösemittel", {"offers": "Wasserbasierte Lacke: lösemittelfrei lackieren."},
                     signals={"semantic": 0.42, "whole": 0.2, "lexical": 0.6})
    assert not strong["weak_evidence"] and strong["shared_terms"]
    by_meaning = explain("KI-gestützte Fehlersuche auf Fotos",
                         {"offers": "Mit künstlicher Intelligenz finden wir Kratzer in Kamerabildern von Blechteilen."},
                         signals={"semantic": 0.8, "lexical": 0.0})
    assert not by_meaning["weak_evidence"]
    assert any(r.startswith("Inhaltlich ähnlich (Angebot)") for r in by_meaning["reasons"])
