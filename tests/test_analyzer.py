"""The German analyzer's tables (spaCy's lemmas, the compound dictionary, stop words) are
derived once and then read from a cache file: a cold ``partnerradar search`` must not pay
for importing spaCy. The cache may never change what the analyzer says."""
from __future__ import annotations

import json
import subprocess
import sys

from index.analyzer import GermanAnalyzer, _tables_cache_path

TEXT = ("Wir bieten Laserstrahlschweißen von Aluminiumbauteilen und die Digitalisierung der "
        "Instandhaltung; gesucht wird ein Partner für Wärmerückgewinnung.")


def test_a_cold_process_reads_the_tables_without_importing_spacy_and_analyses_the_same(tmp_path, monkeypatch):
    monkeypatch.setenv("PARTNERRADAR_CACHE_DIR", str(tmp_path))
    derived = GermanAnalyzer()                       # no cache yet: derived from spaCy, then kept
    assert _tables_cache_path().is_file()
    script = ("import sys, json; from index.analyzer import GermanAnalyzer; "
              f"a = GermanAnalyzer(); print(json.dumps([a.terms({TEXT!r}), 'spacy' in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env={"PARTNERRADAR_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}).stdout
    terms, spacy_imported = json.loads(out)
    assert terms == derived.terms(TEXT)
    assert "schweiss" in terms and "alumini" in " ".join(terms)      # compounds still split
    assert spacy_imported is False


def test_a_broken_cache_file_is_derived_again(tmp_path, monkeypatch):
    monkeypatch.setenv("PARTNERRADAR_CACHE_DIR", str(tmp_path))
    expected = GermanAnalyzer().terms(TEXT)
    _tables_cache_path().write_bytes(b"\x00kaputt")
    assert GermanAnalyzer().terms(TEXT) == expected
    assert GermanAnalyzer().terms(TEXT) == expected          # and written whole again
