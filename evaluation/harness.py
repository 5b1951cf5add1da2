"""Leave-one-joint-project-out evaluation of the partner ranking on real funding data.

Protocol (the issue's yardstick)
--------------------------------
For every joint project P with two or more partners:

* P is removed from every profile (its sentence in the description, the keywords only
  P contributed, one from the project count) and from the known cooperations;
* the query is P's topic (mode ``title``) or the seeker's own remaining profile (mode
  ``profile``), issued on behalf of the seeker, P's *first listed* partner (as in the
  reference implementation), who is excluded from the ranking;
* the relevant answers are P's other partners that still have a profile.

Queries without a relevant answer are skipped; mode ``profile`` also skips a seeker with
nothing left to describe it. In mode ``title`` such a seeker searches without a profile,
like a newcomer. The seeker's known partners (from other projects) stay rankable
(``include_known``): a repeat partner is a right answer.

How, and why this way
---------------------
Re-ingesting per held-out project would re-embed everything. Instead each dataset is
ingested once through the product (``import_funding`` -> ``Radar``: validate, passages,
analyzer, encoder, store, index). For a held-out P only P's partners change: their
masked records go through the product's ``ProfilePreparer`` again (with an encoder memo,
so unchanged passages keep their stored vectors), and the masked index is assembled
from the stored passages with the product's own classes (``VectorIndex``,
``LexicalIndex``, ``ProfileTable``, ``SearchIndex``), as ``build_search_index`` does
from the store. The product's ``Ranker`` ranks on it, and the baselines score the very
same masked data.
"""
from __future__ import annotations

import sys
import tempfile
import zlib
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evaluation import metrics
from evaluation.baselines import Baselines, BaselineQuery, ordered
from index.embedding import create_embedder
from index.search_index import ProfileTable, SearchIndex, assemble_index
from index.vectors import VectorIndex
from ingest.funding import FundingDataset, clean_topic, find_funding_file
from ingest.funding.joining import _dedupe, _join_limited
from ingest.passages import WHOLE_FIELD
from ingest.pipeline import ProfilePreparer
from ingest.schema import MAX_FIELD_CHARS, RecordError, validate_record
from matcher.ranker import CONTENT_FLOOR, Query, Ranker, Weights
from matcher.request import SearchRequest
from matcher.signals import SIGNALS
from partnerradar.config import Settings, load_settings
from partnerradar.funding_import import load_dataset, store_dataset
from vocabulary.profile import Profile

DATASETS = ("efre", "ptdesy")
MODES = ("title", "profile")
#: Ablation key per ranking signal. Proximity is left out: evaluation queries name no place.
ABLATIONS = {s.name: s.ablation for s in SIGNALS if s.ablation}
ABLATIONS["content_floor"] = "default-no-content-floor"


@dataclass
class Case:
    """One held-out joint project."""
    project: str
    title: str           # the topic without Verbund/Teilprojekt boilerplate
    seeker: str          # the first listed partner
    partners: list[str]  # the other partners (relevant if they keep a profile)


@dataclass
class MaskedView:
    """The index as it would be had P never been funded, plus what the baselines need."""
    index: SearchIndex
    passage_texts: list[str]     # aligned with index.passage_ids
    passage_vectors: np.ndarray  # aligned with index.passage_ids
    passage_terms: list[str]     # aligned with index.passage_ids
    profile_texts: list[str]     # per profile row: its passages joined (the whole profile)

    @property
    def joint_projects(self) -> np.ndarray:
        """Per profile row: joint projects other than P."""
        return self.index.profiles.joint

    @property
    def shared(self) -> dict[int, Counter]:
        """Row -> partner row -> joint projects together, P left out."""
        return self.index.neighbours

    def seeker_row(self, case: Case) -> int:
        return self.index.profiles.row_of.get(case.seeker, -1)


class MemoEmbedder:
    """An ``Embedder`` with a text -> vector memo per side (queries, passages), so unchanged
    passages are not embedded again; otherwise the product's embedder as it is."""

    def __init__(self, embedder):
        self.embedder = embedder
        self.name, self.dimension, self.max_tokens = embedder.name, embedder.dimension, embedder.max_tokens
        self.similarity_range = embedder.similarity_range
        self.passage_memo: dict[str, np.ndarray] = {}
        self.query_memo: dict[str, np.ndarray] = {}

    def count_tokens(self, text: str) -> int:
        return self.embedder.count_tokens(text)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._memo(texts, self.query_memo, self.embedder.embed_queries)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._memo(texts, self.passage_memo, self.embedder.embed_passages)

    def _memo(self, texts, memo, embed) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in memo]
        if missing:
            memo.update(zip(missing, embed(missing)))
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.vstack([memo[t] for t in texts])


class PartKeywords:
    """An organisation's keywords without those only a held-out project contributed.

    ``FundingDataset`` keeps the description per (organisation, project) but not the
    keywords (EFRE: guideline and subject, e.g. "Verbundprojektförderung"; PT-DESY: the
    subject label), so they would leak P. Interim: this replays the adapter's row parsing
    and project grouping with ``ingest.funding``'s private helpers, until ``Part`` carries
    its keywords. The replay is checked against the adapter's profiles, so a change there
    fails loudly instead of leaking.
    """

    def __init__(self, path, fmt: str, dataset: FundingDataset):
        self.sequence = self._replay(Path(path), fmt)
        for org_id, org in dataset.orgs.items():
            if self.text(org_id) != org.profile["keywords"]:
                raise RuntimeError(f"keyword replay disagrees with ingest.funding for {org_id}")

    def text(self, org_id: str, exclude=()) -> str:
        words = _dedupe(k for pid, k in self.sequence.get(org_id, ()) if pid not in exclude)
        return _join_limited(words, ", ", MAX_FIELD_CHARS["keywords"])

    @staticmethod
    def _replay(path: Path, fmt: str) -> dict[str, list[tuple[str, str]]]:
        from ingest.funding import efre, ptdesy
        from ingest.funding.build import _unique
        from ingest.funding.rows import _read_table, _slug_id

        if fmt == "efre":
            table = _read_table(path, ",")
            col = efre._numbered_columns(table[0])
            rows = [r for r in (efre._efre_row(efre._NumberedCells(c, col)) for c in table[1:]) if r]
            efre._merge_truncated_titles([r for r in rows if r.joint])
        else:
            table = _read_table(path, "\t")
            col, width = ptdesy._ptdesy_columns(table[0]), len(table[0])
            rows = [r for r in (ptdesy._ptdesy_row(c + [""] * (width - len(c)), col) for c in table[1:]) if r]
        project_of: dict = {}
        taken: dict = {}
        sequence: dict[str, list[tuple[str, str]]] = {}
        for row in rows:   # the grouping of ingest.funding._build
            key = (row.joint, row.group)
            if key not in project_of:
                project_of[key] = _unique(row.project_id, taken)
                taken[project_of[key]] = True
            org_id = f"{fmt}:{_slug_id(row.org)}"
            sequence.setdefault(org_id, []).extend((project_of[key], k) for k in row.keywords)
        return sequence


class Corpus:
    """One dataset ingested into a Radar, and the masked views of it."""

    def __init__(self, radar, dataset: FundingDataset, keywords: PartKeywords):
        self.radar, self.dataset, self.keywords = radar, dataset, keywords
        index = radar.index
        self.generation, self.table, self.index_type = index.generation, index.profiles, index.vectors.index_type
        ids, owners, fields, terms, vectors = [], [], [], [], []
        for batch_ids, batch_owners, batch_fields, batch_terms, batch_vectors in \
                radar.store.iter_passages(with_vectors=True):
            ids.append(batch_ids)
            owners += batch_owners
            fields += batch_fields
            terms += batch_terms
            vectors.append(batch_vectors)
        self.passage_ids = np.concatenate(ids)
        self.passage_owners = np.array(owners, dtype=object)
        self.passage_rows = np.array([self.table.row_of[o] for o in owners], dtype=np.int64)
        self.passage_fields = np.array(fields, dtype=object)
        self.passage_terms = np.array(terms, dtype=object)
        self.passage_vectors = np.vstack(vectors)
        texts = radar.store.passage_texts(self.passage_ids)
        self.passage_texts = np.array([texts[int(i)][2] for i in self.passage_ids], dtype=object)
        self.profile_texts = self._join_by_row(self.passage_rows, self.passage_texts, len(self.table.ids),
                                               self.passage_fields)
        self.cooperations = radar.store.cooperations()    # (a, b, project, title)
        self.encoder = MemoEmbedder(radar.encoder)
        self.encoder.passage_memo.update(zip(self.passage_texts, self.passage_vectors))
        self.preparer = ProfilePreparer(self.encoder, radar.analyzer, radar.gazetteer)

    @staticmethod
    def _join_by_row(rows: np.ndarray, texts, n_rows: int, fields) -> list[str]:
        """Per profile row: its passages joined (the whole profile, for the baselines), without
        the product's own whole-profile text."""
        parts: list[list[str]] = [[] for _ in range(n_rows)]
        for row, text, field in zip(rows, texts, fields):
            if field != WHOLE_FIELD:
                parts[row].append(text)
        return [" ".join(p) for p in parts]

    def cases(self) -> list[Case]:
        out = []
        for project in self.dataset.joint_projects():
            seeker, *partners = self.dataset.participants[project.id]
            out.append(Case(project.id, clean_topic(project.title), seeker, partners))
        return out

    def warm(self, cases: list[Case], dense) -> None:
        """Embed what the cases will need up front: a few large batches cost a fraction of
        many small ones. ``dense``: the dense-profile baseline, fed the whole profiles."""
        queries, passages, wholes = [], [], list(self.profile_texts)
        for case in cases:
            queries += self.radar.analyzer.sentences(case.title) or [case.title]
            queries.append(case.title)
            for org_id in self.dataset.participants[case.project]:
                profile = self.masked_profile(org_id, case.project) if org_id in self.table.row_of else None
                if profile is not None:
                    pieces = self.preparer.pieces(profile)
                    passages += [text for _, text in pieces]
                    wholes.append(" ".join(text for field, text in pieces if field != WHOLE_FIELD))
        self.encoder.embed_queries(queries)
        self.encoder.embed_passages(passages)
        dense.vectors(wholes)

    def masked_profile(self, org_id: str, project_id: str) -> Profile | None:
        """The organisation's profile without the project; None when nothing is left."""
        record = dict(self.dataset.orgs[org_id].profile)
        record["description"] = self.dataset.description(org_id, exclude=[project_id])
        record["keywords"] = self.keywords.text(org_id, exclude=[project_id])
        extra = dict(record.get("extra") or {})
        extra["projects"] = max(0, int(extra.get("projects", 0)) - 1)
        record["extra"] = extra
        try:
            return validate_record(record)
        except RecordError:   # no text left to match on: no profile
            return None

    def view(self, case: Case) -> MaskedView:
        """The masked index for held-out project ``case.project``."""
        changed: dict[int, Profile | None] = {}
        for org_id in self.dataset.participants[case.project]:
            row = self.table.row_of.get(org_id)
            if row is not None:   # None: rejected at ingest
                changed[row] = self.masked_profile(org_id, case.project)
        profiles = [p for p in changed.values() if p is not None]
        prepared = dict(zip((p.id for p in profiles), self.preparer.passages(profiles)))

        n = len(self.table.ids)
        keep = np.array([r for r in range(n) if changed.get(r, True) is not None], dtype=np.int64)
        old = np.isin(self.passage_rows, list(changed))
        new = [p for profile in profiles for p in prepared[profile.id]]
        first_new = int(self.passage_ids.max()) + 1   # ids only grow, as in the store
        ids = np.concatenate([self.passage_ids[~old], first_new + np.arange(len(new), dtype=np.int64)])
        owners = list(self.passage_owners[~old]) + [p.profile_id for p in new]
        terms = list(self.passage_terms[~old]) + [p.terms for p in new]
        fields = np.concatenate([self.passage_fields[~old], np.array([p.field for p in new], dtype=object)])
        texts = list(self.passage_texts[~old]) + [p.text for p in new]
        vectors = np.vstack([self.passage_vectors[~old]] + [p.vector[None, :] for p in new])

        activity = self.table.activity.copy()
        for row, profile in changed.items():
            if profile is not None:
                activity[row] = float(profile.extra.get("projects", 0) or 0)
        ids_kept = [self.table.ids[r] for r in keep]
        table = ProfileTable(
            ids=ids_kept, row_of={pid: i for i, pid in enumerate(ids_kept)},
            kind=self.table.kind[keep], landkreis=self.table.landkreis[keep], lat=self.table.lat[keep],
            lon=self.table.lon[keep], listed=self.table.listed[keep], activity=activity[keep])
        vector_index = VectorIndex(self.passage_vectors.shape[1], self.index_type)
        vector_index.add(ids, vectors)
        cooperations = [c for c in self.cooperations if c[2] != case.project]
        index = assemble_index(self.generation, vector_index, table, ids, owners, fields, terms,
                               cooperations, self.radar.analyzer)
        return MaskedView(index, texts, vectors, terms,
                          self._join_by_row(index.passage_rows, texts, len(keep), fields))


def product_query(corpus: Corpus, view: MaskedView, case: Case, mode: str) -> tuple[Query, SearchRequest] | None:
    """The query as ``Radar.search`` (title) or ``Radar.partners`` (profile) builds it."""
    row = view.seeker_row(case)
    req = SearchRequest(query=case.title if mode == "title" else "",
                        seeker=case.seeker if row >= 0 else "", include_known=True)
    if mode == "title":
        return Query.for_text(case.title, corpus.radar.analyzer, corpus.encoder, row), req
    if row < 0:
        return None
    own = np.flatnonzero(view.index.passage_rows == row)
    passages = [{"field": view.index.passage_fields[i], "text": view.passage_texts[i],
                 "terms": view.passage_terms[i], "vector": view.passage_vectors[i]} for i in own]
    return Query.for_profile(passages, view.index.lexical.profile_terms(row), row), req


def half_of(project_id: str) -> str:
    """"A" or "B": the fixed split of joint projects that weights are tuned on (A) and
    reported on (B), the same for every run and data set."""
    return "AB"[zlib.crc32(project_id.encode("utf-8")) % 2]


def rank_case(corpus: Corpus, view: MaskedView, case: Case, mode: str, baselines: Baselines,
              weights: Weights, rng: np.random.Generator, guard: dict | None = None,
              dump: list | None = None) -> dict[str, list[str]] | None:
    """Every ranker's ranking (profile ids, best first) for one query; None if it can't be asked.

    ``guard`` gets, per product ranker, the share of its top 10 whose content evidence is
    below ``CONTENT_FLOOR``; ``dump`` the default ranker's candidates with their signals."""
    built = product_query(corpus, view, case, mode)
    if built is None:
        return None
    query, req = built
    ids = view.index.profiles.ids
    rankings = {}
    variants = {"default": weights, **{key: weights.without(signal) for signal, key in ABLATIONS.items()}}
    ranker = Ranker(view.index, weights, corpus.radar.gazetteer, corpus.encoder.similarity_range)
    for name, variant in variants.items():
        found = ranker.rank(query, req, variant)
        rankings[name] = [ids[r] for r in found.rows[:metrics.MRR_DEPTH]]
        if guard is not None:
            top = found.content[:10]
            guard[name] = float(np.mean(top < CONTENT_FLOOR)) if len(top) else 0.0
        if dump is not None and name == "default":
            dump.append({"dataset": corpus.dataset.name, "mode": mode, "project": case.project,
                         "relevant": [view.index.profiles.row_of[p] for p in case.partners
                                      if p in view.index.profiles.row_of],
                         "rows": found.rows.astype(np.int32),
                         "signals": {k: np.asarray(v, dtype=np.float32) for k, v in found.signals.items()}})
    allowed, _ = ranker.allowed_rows(req, None, query.seeker_row)
    text = case.title if mode == "title" else view.profile_texts[query.seeker_row]
    bq = BaselineQuery(text=text, vectors=query.vectors, terms=query.terms, seeker_row=query.seeker_row)
    tiebreak = rng.permutation(len(ids))
    for name, scores in baselines.scores(view, bq, allowed, tiebreak).items():
        rankings[name] = [ids[r] for r in ordered(scores, allowed, tiebreak)[:metrics.MRR_DEPTH]]
    return rankings


def evaluate_corpus(corpus: Corpus, modes=MODES, max_queries: int | None = None, seed: int = 0,
                    weights: Weights | None = None, progress: bool = False, dump: list | None = None) -> dict:
    """{mode: {ranker: summary}} and counts for one dataset.

    Each product ranker's summary also has ``unsupported@10`` (the guard: share of top-10
    hits without content evidence) and ``half_b`` (its metrics on the joint projects of
    half B, which the weights were not tuned on)."""
    weights = weights or corpus.radar.weights
    baselines = Baselines(corpus.encoder, corpus.profile_texts)
    cases = corpus.cases()[:max_queries] if max_queries else corpus.cases()
    corpus.warm(cases, baselines.dense)
    per_query: dict[str, dict[str, list]] = {mode: {} for mode in modes}
    guards: dict[str, dict[str, list]] = {mode: {} for mode in modes}
    halves: dict[str, list[str]] = {mode: [] for mode in modes}
    skipped = {mode: 0 for mode in modes}
    bar = _progress(len(cases), corpus.dataset.name) if progress else None
    for number, case in enumerate(cases):
        view = corpus.view(case)
        relevant = {p for p in case.partners if p in view.index.profiles.row_of}
        for mode in modes:
            rng = np.random.default_rng([seed, number, MODES.index(mode)])
            guard: dict[str, float] = {}
            rankings = (rank_case(corpus, view, case, mode, baselines, weights, rng, guard, dump)
                        if relevant else None)
            if rankings is None:
                skipped[mode] += 1
                continue
            halves[mode].append(half_of(case.project))
            for name, ranking in rankings.items():
                per_query[mode].setdefault(name, []).append(metrics.score(ranking, relevant))
            for name, share in guard.items():
                guards[mode].setdefault(name, []).append(share)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    results = {mode: {name: metrics.summarize(values, seed=seed) for name, values in per_mode.items()}
               for mode, per_mode in per_query.items()}
    for mode, per_ranker in guards.items():
        for name, shares in per_ranker.items():
            results[mode][name]["unsupported@10"] = round(float(np.mean(shares)), 4)
            in_b = [q for q, half in zip(per_query[mode][name], halves[mode]) if half == "B"]
            results[mode][name]["half_b"] = {k: v for k, v in metrics.summarize(in_b, seed=seed).items()
                                             if k in ("recall@10", "ndcg@10", "mrr", "queries")}
    return {"results": results, "cases": len(cases), "skipped": skipped}


def _progress(total: int, label: str):
    from tqdm import tqdm
    return tqdm(total=total, desc=label, unit="Verbund", leave=False, file=sys.stderr)


def load_corpus(radar, data_dir, name: str) -> Corpus:
    """Find, load and ingest dataset ``name`` into ``radar`` (unchanged profiles are skipped)."""
    path = find_funding_file(data_dir, name)
    dataset = load_dataset(path, name)
    keywords = PartKeywords(path, name, dataset)
    store_dataset(radar, dataset, str(path))
    return Corpus(radar, dataset, keywords)


def evaluate(data_dir, datasets=DATASETS, modes=MODES, max_queries: int | None = None, seed: int = 0,
             workdir=None, settings: Settings | None = None, progress: bool = False, echo=None,
             dump_path=None) -> dict:
    """Run the protocol on each dataset; returns {"results": {dataset: {mode: {ranker: ...}}}, "meta": ...}.

    The evaluation databases live in ``workdir`` (kept, so a rerun skips the embedding of
    unchanged profiles) or in a temporary folder.
    """
    from partnerradar.radar import Radar

    echo = echo or (lambda message: None)
    settings = settings or load_settings()
    started = time.perf_counter()
    encoder = create_embedder(settings.model, settings.threads)
    dump = [] if dump_path else None
    results, meta = {}, {"data": str(data_dir), "model": encoder.name, "seed": seed,
                         "seeker": "first listed partner", "datasets": {}}
    with tempfile.TemporaryDirectory(prefix="partnerradar-eval-") as tmp:
        base = Path(workdir) if workdir else Path(tmp)
        for name in datasets:
            t0 = time.perf_counter()
            radar = Radar(settings.with_db(base / f"{name}.db"), encoder=encoder)
            corpus = load_corpus(radar, data_dir, name)
            t1 = time.perf_counter()
            echo(f"{name}: {len(corpus.table.ids)} Profile, {len(corpus.passage_ids)} Passagen "
                 f"eingelesen in {t1 - t0:.0f} s")
            outcome = evaluate_corpus(corpus, modes, max_queries, seed, progress=progress, dump=dump)
            results[name] = outcome["results"]
            meta["datasets"][name] = {
                "profiles": len(corpus.table.ids), "passages": len(corpus.passage_ids),
                "joint_projects": outcome["cases"], "skipped": outcome["skipped"],
                "ingest_s": round(t1 - t0, 1), "queries_s": round(time.perf_counter() - t1, 1)}
            echo(f"{name}: {outcome['cases']} gemeinsame Projekte ausgewertet in {time.perf_counter() - t1:.0f} s")
            radar.store.close()
    meta["total_s"] = round(time.perf_counter() - started, 1)
    if dump_path:
        import pickle

        with open(dump_path, "wb") as handle:   # the evaluator's own file, read by tuning scripts
            pickle.dump(dump, handle)
    return {"results": results, "meta": meta}
