"""The leave-one-joint-project-out yardstick: metrics, masking, and the command's output.

The harness runs end to end on the invented fixture exports with a real Radar and the
real embedding model (loaded once per module).
"""
import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from evaluation import harness, metrics
from evaluation.baselines import max_sim
from evaluation.harness import ABLATIONS, Case, Corpus, load_corpus, product_query
from matcher.ranker import Ranker
from partnerradar.cli import main
from partnerradar.config import Settings
from partnerradar.radar import Radar

FIXTURES = Path(__file__).parent / "fixtures"
SENSOR = "efre:muster-sensorik-gmbh"
TU = "efre:technische-universitaet-musterstadt"
BEISPIEL = "efre:beispiel-produktionstechnik-gmbh"
FRAUNHOFER = "efre:fraunhofer-gesellschaft-zur-foerderung-der-angewandten-forschung-e-v"
SENSWIND = "sensorsystem-fuer-windkraftanlagen-senswind"


# --------------------------------------------------------------------------- metrics

def test_recall_counts_the_partners_found_in_the_top_k():
    assert metrics.recall_at_k(["a", "x", "b"], {"a", "b"}, k=2) == 0.5
    assert metrics.recall_at_k(["a", "x", "b"], {"a", "b"}, k=3) == 1.0
    assert metrics.recall_at_k([], {"a"}) == 0.0


def test_ndcg_discounts_late_hits_against_the_ideal_order():
    # hits at ranks 1 and 3: (1 + 1/log2 4) / (1 + 1/log2 3)
    assert metrics.ndcg_at_k(["a", "x", "b"], {"a", "b"}) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    assert metrics.ndcg_at_k(["x", "a"], {"a"}) == pytest.approx(1 / math.log2(3))
    assert metrics.ndcg_at_k(["a", "b"], {"a", "b"}) == pytest.approx(1.0)
    # more partners than places: the ideal fills the top k
    assert metrics.ndcg_at_k(list("abcdefghij"), set("abcdefghijkl")) == pytest.approx(1.0)
    assert metrics.ndcg_at_k(list("x" * 10) + ["a"], {"a"}) == 0.0


def test_reciprocal_rank_of_the_first_partner_within_the_depth():
    assert metrics.reciprocal_rank(["x", "a", "b"], {"a", "b"}) == 0.5
    assert metrics.reciprocal_rank(["x"] * 5 + ["a"], {"a"}, depth=5) == 0.0
    assert metrics.score(["a"], {"a"}) == {"recall@10": 1.0, "ndcg@10": 1.0, "mrr": 1.0}


def test_a_query_without_relevant_answers_is_an_error():
    with pytest.raises(ValueError):
        metrics.recall_at_k(["a"], set())


def test_bootstrap_interval_is_seeded_and_surrounds_the_mean():
    values = np.random.default_rng(1).random(200)
    low, high = metrics.bootstrap_ci(values, seed=7)
    assert low < values.mean() < high and high - low < 0.2
    assert metrics.bootstrap_ci(values, seed=7) == (low, high)
    assert metrics.bootstrap_ci([0.5] * 10) == (0.5, 0.5)


def test_summary_has_means_counts_and_intervals():
    summary = metrics.summarize([{"recall@10": 1.0, "ndcg@10": 1.0, "mrr": 1.0},
                                 {"recall@10": 0.0, "ndcg@10": 0.0, "mrr": 0.0}])
    assert summary["recall@10"] == 0.5 and summary["queries"] == 2
    assert summary["ci95"]["mrr"][0] <= 0.5 <= summary["ci95"]["mrr"][1]
    assert metrics.summarize([])["ndcg@10"] is None   # JSON has no NaN


# --------------------------------------------------------------------------- harness

def radar_at(path, encoder):
    return Radar(Settings(db_path=path / "eval.db"), encoder=encoder)


@pytest.fixture(scope="module")
def efre(encoder, tmp_path_factory) -> Corpus:
    return load_corpus(radar_at(tmp_path_factory.mktemp("efre"), encoder), FIXTURES, "efre")


@pytest.fixture(scope="module")
def senswind(efre):
    return next(c for c in efre.cases() if c.project == SENSWIND)


def test_every_joint_project_with_two_partners_is_a_case_with_the_first_as_seeker(efre, senswind):
    assert {c.project for c in efre.cases()} == {SENSWIND, next(p for p in efre.dataset.projects if "filtrab" in p)}
    assert senswind.title == "Sensorsystem für Windkraftanlagen (SENSWIND)"
    assert senswind.seeker == SENSOR and senswind.partners == [TU, BEISPIEL]


def test_the_held_out_project_is_gone_from_profiles_cooperations_and_counts(efre, senswind):
    base, view = efre.radar.index, efre.view(senswind)
    assert not any("SENSWIND" in text for text in view.passage_texts)
    assert any("SENSWIND" in text for text in efre.passage_texts)
    # The TU did nothing else: without SENSWIND it has no profile and can't be an answer.
    assert TU in base.profiles.row_of and TU not in view.index.profiles.row_of
    assert efre.keywords.text(TU, exclude=[SENSWIND]) == ""
    row, base_row = view.index.profiles.row_of[BEISPIEL], base.profiles.row_of[BEISPIEL]
    assert view.index.profiles.activity[row] == base.profiles.activity[base_row] - 1
    assert view.joint_projects[row] == 1   # FILTRAB is left


def test_a_link_only_the_held_out_project_made_is_not_known(efre, senswind):
    # SENSWIND is the only cooperation of the seeker with its partner.
    base, view = efre.radar.index, efre.view(senswind)
    assert base.profiles.row_of[BEISPIEL] in base.neighbours[base.profiles.row_of[SENSOR]]
    seeker = view.index.profiles.row_of[SENSOR]
    assert not view.index.neighbours.get(seeker)
    assert view.shared.get(seeker, {}) == {}
    query, req = product_query(efre, view, senswind, "title")
    found = Ranker(view.index, efre.radar.weights, efre.radar.gazetteer).rank(query, req)
    position = list(found.rows).index(view.index.profiles.row_of[BEISPIEL])
    assert found.signals["network"][position] == 0.0
    # ... and the title's own words match nothing of the partner any more.
    terms = efre.radar.analyzer.terms("SENSWIND")
    assert base.lexical.profile_scores(terms)[base.profiles.row_of[BEISPIEL]] > 0
    assert not view.index.lexical.profile_scores(terms).any()


def test_masking_equals_ingesting_the_data_without_the_project(efre, senswind, encoder, tmp_path):
    """The masked index is what the product builds from data in which P never happened."""
    view = efre.view(senswind)
    radar = radar_at(tmp_path, encoder)
    records = []
    for org_id, org in efre.dataset.orgs.items():
        if org_id in efre.dataset.participants[SENSWIND]:
            profile = efre.masked_profile(org_id, SENSWIND)
            if profile is not None:
                records.append(profile.to_dict())
        else:
            records.append(org.profile)
    radar.save(records, source="efre")
    radar.add_cooperations((a, b, pid, "", "efre") for a, b, pid in efre.dataset.cooperations() if pid != SENSWIND)
    fresh = radar.index
    assert fresh.profiles.ids == view.index.profiles.ids
    assert np.array_equal(fresh.profiles.activity, view.index.profiles.activity)
    assert fresh.neighbours == view.index.neighbours
    texts = lambda index, source: sorted(zip(index.passage_rows.tolist(), source))  # noqa: E731
    assert texts(fresh, [p[2] for p in radar.store.passage_texts(fresh.passage_ids).values()]) == \
        texts(view.index, view.passage_texts)
    terms = efre.radar.analyzer.terms("Filtersystem Abwasserbehandlung Sensor Messe Spannfutter")
    assert np.allclose(fresh.lexical.profile_scores(terms), view.index.lexical.profile_scores(terms))
    vectors = np.vstack([fresh.vectors.reconstruct([i]) for i in fresh.passage_ids])
    question = encoder.embed_queries(["Filter für Brauereien"])
    n = len(fresh.profiles.ids)
    assert np.allclose(max_sim(question, vectors, fresh.passage_rows, n),
                       max_sim(question, view.passage_vectors, view.index.passage_rows, n), atol=1e-5)


def test_profile_mode_asks_with_the_seekers_remaining_profile(efre, senswind):
    view = efre.view(senswind)
    query, req = product_query(efre, view, senswind, "profile")
    assert req.seeker == SENSOR and req.include_known and not req.query
    assert query.seeker_row == view.index.profiles.row_of[SENSOR]
    assert query.sentences and not any("SENSWIND" in s for s in query.sentences)
    # A seeker with nothing left can't ask with its profile; by title it asks as a newcomer.
    newcomer = Case(SENSWIND, senswind.title, TU, [SENSOR, BEISPIEL])
    assert product_query(efre, view, newcomer, "profile") is None
    query, req = product_query(efre, view, newcomer, "title")
    assert query.seeker_row == -1 and req.seeker == "" and req.query == senswind.title


def test_the_command_prints_every_ranker_per_dataset_and_mode_as_json(tmp_path, monkeypatch, encoder):
    monkeypatch.setattr(harness, "create_embedder", lambda *args, **kwargs: encoder)   # loaded once per session
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["evaluate", "--data", str(FIXTURES), "--json", "--out", str(out),
                                       "--workdir", str(tmp_path / "work")])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert set(printed) == {"efre", "ptdesy"}
    for modes in printed.values():
        assert set(modes) == {"title", "profile"}
    rankers = printed["efre"]["title"]
    assert {"default", "default-no-graph", "random", "activity", "graph", "bm25", "char-tfidf",
            "dense-profile", "dense-maxsim", "rrf"} <= set(rankers)
    assert set(ABLATIONS.values()) <= set(rankers)
    assert all(name == "default" or not name.startswith("default") or name.startswith("default-")
               for name in rankers)
    for values in rankers.values():
        assert set(values) == {"recall@10", "ndcg@10", "mrr", "queries"}
        assert values["queries"] == 1 and 0.0 <= values["ndcg@10"] <= 1.0
    # SENSWIND's partner is found; FILTRAB's only partner has no profile left (skipped).
    assert rankers["default"]["recall@10"] == 1.0
    saved = json.loads((out / "results.json").read_text())
    assert saved["results"]["efre"]["title"]["default"]["ci95"]["ndcg@10"]
    assert "| **default** |" in (out / "results.md").read_text()


def test_the_command_rejects_unknown_datasets():
    result = CliRunner().invoke(main, ["evaluate", "--datasets", "esf"])
    assert result.exit_code == 2
    assert "Fehler: Unbekannter Wert für --datasets: „esf“ (erlaubt: efre, ptdesy)" in result.output
