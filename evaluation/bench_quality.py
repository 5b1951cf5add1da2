"""Benchmark section "quality": the leave-one-joint-project-out protocol of issue 3
(``evaluation.harness``) on the real EFRE organisations, for Partnerradar and for txtai on
the same profiles."""
from __future__ import annotations

from pathlib import Path

from evaluation.bench_common import timed
from evaluation.bench_txtai import txtai_embeddings, txtai_index, txtai_rank
from partnerradar.config import Settings


def bench_quality(encoder, data_dir: Path, workdir: Path, max_queries: int | None) -> dict:
    """Issue 3's protocol on EFRE: Partnerradar's ranking and txtai's on the same profiles."""
    from evaluation import metrics
    from evaluation.harness import evaluate_corpus, load_corpus
    from ingest.passages import passages_of
    from partnerradar.radar import Radar

    radar = Radar(Settings(db_path=workdir / "quality-efre.db"), encoder=encoder)
    corpus = load_corpus(radar, data_dir, "efre")
    modes = ("title", "profile")
    ours = evaluate_corpus(corpus, modes, max_queries)
    cases = corpus.cases()[:max_queries] if max_queries else corpus.cases()

    owner_of = {str(i): o for i, o in zip(corpus.passage_ids, corpus.passage_owners)}
    text_of = {str(i): t for i, t in zip(corpus.passage_ids, corpus.passage_texts)}
    passages_of_org: dict[str, list[str]] = {}
    for pid, owner in owner_of.items():
        passages_of_org.setdefault(owner, []).append(pid)
    embeddings = txtai_embeddings()
    embeddings.index([("w", "Aufwärmen", None)])
    txtai_build, _ = timed(txtai_index, [(str(i), t) for i, t in zip(corpus.passage_ids, corpus.passage_texts)],
                           None, embeddings)
    next_id = int(corpus.passage_ids.max()) + 1
    per_mode: dict[str, list[dict]] = {m: [] for m in modes}
    for case in cases:
        changed = [o for o in corpus.dataset.participants[case.project] if o in corpus.table.row_of]
        # Mask P: each partner's passages become those of its profile without P. Passages
        # whose text stays are kept (txtai would embed them again for nothing).
        removed, added, masked_text = [], [], {}
        for org in changed:
            profile = corpus.masked_profile(org, case.project)
            texts = [t for _, t in passages_of(profile)] if profile is not None else []
            if texts:
                masked_text[org] = " ".join(texts)
            kept = set(texts)
            original = {text_of[pid]: pid for pid in passages_of_org.get(org, [])}
            removed += [pid for text, pid in original.items() if text not in kept]
            for t in dict.fromkeys(texts):
                if t not in original:
                    added.append((str(next_id), t))
                    owner_of[str(next_id)] = org
                    next_id += 1
        if removed:
            embeddings.delete(removed)
        if added:
            embeddings.upsert([(i, t, None) for i, t in added])
        relevant = {p for p in case.partners if p in masked_text}
        if relevant:
            for mode in modes:
                if mode == "title":
                    query = case.title
                else:
                    query = masked_text.get(case.seeker)
                    if not query:
                        continue
                ranking = txtai_rank(embeddings, query, owner_of, metrics.MRR_DEPTH, exclude={case.seeker})
                per_mode[mode].append(metrics.score(ranking, relevant))
        if added:
            embeddings.delete([i for i, _ in added])
        if removed:
            embeddings.upsert([(pid, text_of[pid], None) for pid in removed])
    out = {"dataset": "efre", "profiles": len(corpus.table.ids), "cases": len(cases), "txtai_build_s": round(txtai_build, 1)}
    for mode in modes:
        mine = ours["results"][mode]["default"]
        theirs = metrics.summarize(per_mode[mode]) if per_mode[mode] else {}
        keys = ("recall@10", "ndcg@10", "queries", "ci95")
        out[mode] = {"ours": {k: mine[k] for k in keys if k in mine},
                     "txtai": {k: theirs[k] for k in keys if k in theirs}}
    radar.store.close()
    return out
