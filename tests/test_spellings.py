"""One thing written two ways is one thing to the lexical signal: German abbreviations and
their spelled-out forms (issue 13: "KI" never met "künstliche Intelligenz"; the table has
one home, ``vocabulary/abbreviations.py``), and a verb in -ieren and its noun in -ierung
("lackieren" / "Lackierung", which the stemmer keeps apart). A need written one way finds
the words of a profile written the other way."""
from __future__ import annotations

import csv

import pytest

from index.analyzer import get_analyzer
from matcher.query import Query
from matcher.ranker import Ranker
from matcher.request import SearchRequest
from tests.conftest import make_radar

HEADER = ["id", "name", "kind", "description", "offers", "seeks", "keywords", "street", "postcode",
          "town", "website", "contact_name", "contact_email", "listed"]
PROFILES = [
    ("ab-lang", "Gussprüfung Freital GmbH", "kmu",
     "Wir setzen künstliche Intelligenz ein, um Lunker in Gussteilen auf Röntgenbildern zu finden.",
     "Röntgenprüfung von Gussteilen", "", "Gussteile; Röntgen"),
    ("ab-kurz", "Schmelzwerk Riesa GmbH", "kmu",
     "Unsere KI sortiert Schrott nach Legierungen, bevor er in den Ofen geht.",
     "Schrottsortierung", "", "Schrott; Legierungen"),
    ("ab-name", "KI Keramik-Institut GmbH", "research",
     "Das Institut entwickelt Faserverbundwerkstoffe aus Keramik für heiße Bauteile in Turbinen.",
     "Keramische Verbundwerkstoffe", "", "Keramik; Faserverbund"),
    ("ab-lack", "Oberflächen Zwickau GmbH", "kmu",
     "Wir übernehmen die Lackierung von Gehäusen aus Aluminium mit Pulverlack.",
     "Lackierung in Kleinserien", "", "Oberflächen; Pulverlack"),
    ("ab-digital", "Werkstattsoftware Plauen GmbH", "kmu",
     "Mit unserer App digitalisieren Handwerksbetriebe ihre Auftragsmappen.",
     "Apps für das Handwerk", "", "Software; Handwerk"),
    ("ab-holz", "Holzbau Vogtland GmbH", "kmu",
     "Wir bauen mehrgeschossige Häuser aus Brettsperrholz.", "Holzrahmenbau", "", "Holz; Bauen"),
]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def radar(request, tmp_path_factory, encoder):
    """Six profiles ingested on SQLite + FAISS and on PostgreSQL (their terms come from the store)."""
    folder = tmp_path_factory.mktemp("abbreviations")
    path = folder / "profile.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for pid, name, kind, description, offers, seeks, keywords in PROFILES:
            writer.writerow([pid, name, kind, description, offers, seeks, keywords, "Hauptstraße 1",
                             "01067", "Dresden", "", "", "", "1"])
    url = request.getfixturevalue("postgres").create_database() if request.param == "postgresql" else ""
    radar = make_radar(folder / "abk.db", encoder, database_url=url)
    report = radar.ingest(path)
    assert report.rejected == [] and report.inserted == len(PROFILES)
    yield radar
    radar.store.close()
    if url:
        request.getfixturevalue("postgres").drop_database(url)


def lexical_scores(radar, need: str) -> dict[str, float]:
    """Each candidate's lexical signal for ``need``, as the radar's ranker computes it."""
    query = Query.for_text(need, radar.analyzer, radar.encoder)
    found = Ranker(radar.index, radar.weights, radar.gazetteer, radar.similarity_range).rank(
        query, SearchRequest(query=need, limit=10))
    ids = radar.index.profiles.ids
    return {ids[r]: float(v) for r, v in zip(found.rows, found.signals["lexical"])}


def test_ki_in_a_need_meets_kuenstliche_intelligenz_in_a_profile(radar):
    scores = lexical_scores(radar, "KI für Röntgenbilder")
    assert scores["ab-lang"] > 0.5          # both words: KI (spelled out) and Röntgenbilder
    # The abbreviation alone still finds the profile that writes it.
    assert lexical_scores(radar, "KI gesucht")["ab-kurz"] >= 0.75     # all of the need (coverage: three quarters of the score)


def test_kuenstliche_intelligenz_in_a_need_meets_ki_in_a_profile(radar):
    scores = lexical_scores(radar, "Künstliche Intelligenz zum Sortieren von Schrott")
    assert scores["ab-kurz"] >= 0.75          # KI, Sortieren (sortiert) and Schrott: all of it
    assert scores["ab-lang"] > 0.2           # only "künstliche Intelligenz" in common
    assert scores.get("ab-holz", 0.0) == 0.0


def test_words_that_only_look_like_an_abbreviation_are_not_expanded():
    analyzer = get_analyzer()
    assert analyzer.alternatives("KI für die Qualitätskontrolle") == [(("ki",), ("kunstlich", "intelligenz"))]
    assert analyzer.alternatives("Künstliche Intelligenz") == [(("kunstlich", "intelligenz"), ("ki",))]
    assert analyzer.alternatives("IOT-Sensoren")[0][1][:2] == ("internet", "ding")    # in capitals too
    # Case matters: "ki" or "Ki" is nobody's abbreviation; a lone "Intelligenz" is no long form.
    assert analyzer.alternatives("Ki und ki, Intelligenz allein") == []


def test_a_verb_in_ieren_meets_its_noun_in_ierung_both_ways(radar):
    assert lexical_scores(radar, "Gehäuse lackieren")["ab-lack"] >= 0.75      # "Lackierung", "Gehäusen"
    assert lexical_scores(radar, "Digitalisierung von Auftragsmappen")["ab-digital"] >= 0.75
    assert lexical_scores(radar, "Gehäuse lackieren").get("ab-digital", 0.0) == 0.0
    analyzer = get_analyzer()
    assert analyzer.alternatives("Instandhaltung digitalisieren") == [(("digitalisi",), ("digitalisier",))]
    assert analyzer.alternatives("Papier und Klavier") == []      # -ier, but no verb or noun in -ierung


def test_a_firm_whose_name_says_ki_is_no_match_for_ki_by_its_name_alone(radar):
    # "KI Keramik-Institut" makes ceramics: the "KI" of its name is no lexical evidence,
    # written short or spelled out; its own words still are.
    assert lexical_scores(radar, "KI gesucht").get("ab-name", 0.0) == 0.0
    assert lexical_scores(radar, "Künstliche Intelligenz").get("ab-name", 0.0) == 0.0
    assert lexical_scores(radar, "Keramische Verbundwerkstoffe")["ab-name"] >= 0.75
