"""``Radar``: the store, the embedding model, the index and the matcher behind one object.

The CLI and the HTTP API are thin layers over this class, so both behave the same.
Writes take a cross-process lock, commit to SQLite first (the source of truth), then
bring the FAISS index to the new generation and save it under that generation's name.
Readers notice a new generation and reload, so servers pick up ingests without restart.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np

from geo import Gazetteer
from index.analyzer import get_analyzer
from index.backend import PassageVectors, backend_for
from index.embedding import Embedder, canonical_name, create_embedder, similarity_range
from index.search_index import SearchIndex, StaleIndex, build_search_index, choose_index_type, write_lock
from ingest.dedupe import NameTable, find_duplicates
from ingest.passages import TERMS_VERSION, passage_terms
from ingest.pipeline import IngestReport, ProfilePreparer, RejectKeeper, StoredHashes, ingest_stream, store_profiles
from ingest.readers import Row, read_rows
from ingest.schema import validate_record
from matcher.explain import Explainer
from matcher.freshness import demote_unconfirmed
from matcher.freshness import reason as unconfirmed_reason
from matcher.ranker import Query, Ranker, Weights
from matcher.request import BadRequest, SearchRequest
from matcher.signals import SIGNALS, SUPPORTED
from partnerradar.config import Settings, load_settings
from store.db import CONTACT_FIELDS, Store
from vocabulary.errors import NotFound
from vocabulary.profile import Profile

log = logging.getLogger(__name__)
#: Profiles re-embedded per batch by ``reindex --reembed`` (one progress step).
REEMBED_BATCH = 64
#: Passages above which a write's vectors are saved by a background thread (150 MB and
#: more: ~1 s of writing and fsync here) instead of before the write returns.
BACKGROUND_SAVE_PASSAGES = 100_000
#: Up to this many records a save looks up their stored content hashes one by one.
FEW_RECORDS = 64


class MergeRefused(ValueError):
    """Two probable duplicates that must not become one; the message (German) says why.

    Left for a person to decide: profiles of different owners (member logins, creators) or
    of different visibility. Merging those would hand one owner the other's profile, or
    fold a profile that did not consent to be listed into a listed one.
    """


class ModelMismatch(RuntimeError):
    """The stored vectors come from another embedding model than this process uses.

    Vectors of two models are not comparable: the radar refuses to search rather than
    mix them, and says how to switch (German, for whoever runs it)."""

    @classmethod
    def between(cls, stored: str, stored_dim: str | None, current: str, current_dim: int) -> "ModelMismatch":
        dims = (f" ({stored_dim} statt {current_dim} Dimensionen)"
                if stored_dim and current_dim and int(stored_dim) != current_dim else "")
        return cls(f"Die gespeicherten Vektoren stammen vom Einbettungsmodell „{stored}“{dims}, eingestellt "
                   f"ist „{current}“. Vektoren zweier Modelle lassen sich nicht vergleichen: zum Wechseln "
                   "'partnerradar reindex --reembed' ausführen (bzw. das alte Modell wieder einstellen) "
                   "und laufende Server danach neu starten.")


def open_store(settings: Settings) -> Store:
    """The store the settings name: PostgreSQL when ``database_url`` is set, else SQLite."""
    if settings.database_url:
        from store.postgres import PgStore
        return PgStore(settings.db_path, settings.database_url)
    return Store(settings.db_path)


class Radar:
    def __init__(self, settings: Settings | None = None, encoder: Embedder | None = None,
                 weights: Weights | None = None, mmap: bool = False):
        self.settings = settings or load_settings()
        self.store = open_store(self.settings)
        self._encoder = encoder
        self.weights = weights or Weights()
        self.gazetteer = Gazetteer()
        self.mmap = mmap
        self._index: SearchIndex | None = None
        self._lock = threading.RLock()
        self._save_lock = threading.Lock()
        self._pending_save: SearchIndex | None = None
        self._saver: threading.Thread | None = None
        self._names: NameTable | None = None     # stored names for the duplicate check of writes
        self._names_seen = 0                     # the newest passage id the table has followed
        self._names_lock = threading.Lock()

    # -- components -------------------------------------------------------------
    @property
    def encoder(self) -> Embedder:
        """The embedder of the ``model`` setting (``index/embedding.py``), loaded once."""
        with self._lock:
            if self._encoder is None:
                self._encoder = create_embedder(self.settings.model, self.settings.threads)
            return self._encoder

    def check_model(self, passages: int | None = None) -> None:
        """Raise ``ModelMismatch`` unless the stored vectors come from this process's model.

        An empty store takes the model on (its first vectors are this model's); one model's
        vectors are never searched with another's query vectors. ``passages``: how many the
        caller's index holds, when it has one; otherwise they are counted, and only when
        the models differ (a count costs 20–30 ms at 100k profiles, per request and write)."""
        stored, stored_dim = self.store.get_meta("model"), self.store.get_meta("dim")
        name = self._encoder.name if self._encoder is not None else canonical_name(self.settings.model)
        if stored is None:
            return
        dim_differs = self._encoder is not None and stored_dim and int(stored_dim) != self._encoder.dimension
        if (stored != name or dim_differs) and (self.store.count_passages() if passages is None else passages):
            raise ModelMismatch.between(stored, stored_dim,
                                        name, self._encoder.dimension if self._encoder else 0)

    def _record_model(self) -> None:
        stored = self.store.get_meta("model")
        if stored == self.encoder.name and self.store.get_meta("dim") == str(self.encoder.dimension):
            return            # already this model's (no count of every passage per write)
        if stored is None or not self.store.count_passages():
            self.store.set_meta("model", self.encoder.name)
            self.store.set_meta("dim", str(self.encoder.dimension))
            self.store.set_meta("terms_version", str(TERMS_VERSION))     # its first terms are this version's

    def terms_outdated(self) -> bool:
        """Whether the stored passages' lexical terms were derived by an older version
        (``ingest.passages.TERMS_VERSION``; a store from before the version was kept is 1):
        ``reindex`` derives them again, without embedding anything."""
        stored = self.store.get_meta("terms_version")
        if stored == str(TERMS_VERSION):
            return False
        return bool(self.store.count_passages())

    @property
    def similarity_range(self) -> tuple[float, float]:
        """The cosine range the ranker maps to 0..1, known without loading a model."""
        if self._encoder is not None:
            return self._encoder.similarity_range
        return similarity_range(self.settings.model)

    @property
    def analyzer(self):
        return get_analyzer()

    @property
    def place_terms(self) -> frozenset:
        """Analyzer terms of Saxon towns and districts ("Chemnitzer" -> chemnitz): shared by a
        query and a partner they say where, not what, so explanations leave them out."""
        cached = getattr(self, "_place_terms", None)
        if cached is None:
            names = [p.town for p in self.gazetteer.towns()] + list(self.gazetteer.districts())
            terms = set()
            for name in names:
                words = self.analyzer.terms(max(name.replace("-", " ").split(), key=len, default=""))
                terms.update(words[:1])   # the word itself, not its compound parts
            cached = self._place_terms = frozenset(terms)
        return cached

    @property
    def preparer(self) -> ProfilePreparer:
        """For writes: the store's vectors and the new ones must come from one model."""
        self.check_model()
        self._record_model()
        return ProfilePreparer(self.encoder, self.analyzer, self.gazetteer)

    @property
    def index(self) -> SearchIndex:
        """The search index of the store's current generation (reloaded when it moved on)."""
        generation = self.store.generation()
        current = self._index
        if current is None or current.generation != generation:
            with self._lock:
                if self._index is None:
                    self._index = self._load_index()
                elif self._index.generation != self.store.generation():
                    # Another process wrote: follow its changes (it saved the vectors, or
                    # will); a store written behind every index gets its file from us.
                    self._index = self._advanced(self._index, save=not self._saved(self.store.generation()))
            current = self._index
        return current

    @property
    def vectors_backend(self):
        """The class that keeps this radar's passage vectors (``index/backend.backend_for``)."""
        return backend_for(self.store, self.settings.vector_backend)

    def _saved(self, generation: int) -> bool:
        """Whether the vectors of ``generation`` are saved (a backend that keeps no file of
        its own, pgvector, has nothing to save)."""
        backend = self.vectors_backend
        path = backend.saved_file(self.settings.index_dir, generation)
        delta = getattr(backend, "saved_delta_file", None)
        return path is None or path.exists() or (delta is not None and delta(self.settings.index_dir, generation) is not None)

    def _advanced(self, before: SearchIndex, save: bool) -> SearchIndex:
        """``before`` brought to the store's generation by the changes alone (a full build
        when they can't be followed: another index type, an outgrown IVF, HNSW removals)."""
        def fits(vectors, total: int) -> bool:
            # Vectors kept in the store itself (pgvector) have one index type, their own.
            wanted = (choose_index_type(self.settings.index_type, total, self.settings.approximate_above)
                      if vectors.keeps_files else vectors.index_type)
            return wanted == vectors.index_type and not vectors.outgrown(total)

        if self.store.get_meta("terms_version") != before.terms_version:
            return self._load_index()       # terms derived anew in place (``reindex``): no change to follow
        index = None
        # Decided on the count before the change, checked on the count after it (which the
        # advance has counted and verified): no count of every passage per write for it.
        if fits(before.vectors, before.vectors.ntotal):
            try:
                index = before.advance(self.store, self.settings.index_dir, self.mmap)
            except StaleIndex as exc:
                log.info("index rebuilt instead of advanced: %s", exc)
            if index is not None and not fits(index.vectors, index.vectors.ntotal):
                index = None
        if index is None:
            return self._load_index()
        if save and index.generation != before.generation:
            self._save_vectors(index)
        return index

    def _save_vectors(self, index: SearchIndex) -> None:
        """The vectors of a new generation to disk, for processes that start later. Small
        collections are written at once; above ``BACKGROUND_SAVE_PASSAGES`` (a second or
        more of writing) a background thread writes the newest generation while the write
        returns. Until then a starting process rebuilds from the store, which stays the
        source of truth either way. A save of the delta alone (``saves_as_delta``: a few MB)
        is written at once at any size."""
        saves_as_delta = getattr(index.vectors, "saves_as_delta", None)
        if index.vectors.ntotal < BACKGROUND_SAVE_PASSAGES or (
                saves_as_delta is not None and saves_as_delta(self.settings.index_dir)):
            index.vectors.save(self.settings.index_dir, index.generation)
            return
        with self._save_lock:
            self._pending_save = index
            if self._saver is None or not self._saver.is_alive():
                self._saver = threading.Thread(target=self._save_in_background, name="index-save", daemon=True)
                self._saver.start()

    def _save_in_background(self) -> None:
        while True:
            with self._save_lock:
                index, self._pending_save = self._pending_save, None
                if index is None:
                    self._saver = None
                    return
            try:
                index.vectors.save(self.settings.index_dir, index.generation)
            except Exception:     # the store is the truth: a later start rebuilds from it
                log.exception("saving the index of generation %s failed", index.generation)

    def wait_for_saves(self) -> None:
        """Block until the background save (if any) has written the newest generation."""
        saver = self._saver
        if saver is not None:
            saver.join()

    def _load_index(self, vectors: PassageVectors | None = None) -> SearchIndex:
        terms_version = self.store.get_meta("terms_version")
        index = build_search_index(
            self.store, self.settings.index_dir, self._dim(), self.settings.index_type,
            self.settings.approximate_above, vectors=vectors, mmap=self.mmap,
            backend=self.settings.vector_backend)
        index.terms_version = terms_version
        return index

    def _dim(self) -> int:
        dim = self.store.get_meta("dim")
        if dim is None:
            dim = str(self.encoder.dimension)
            self.store.set_meta("dim", dim)
        return int(dim)

    # -- writes -----------------------------------------------------------------
    def ingest(self, path: str | Path, merge_duplicates: bool = False, progress: bool = False,
               source: str | None = None) -> IngestReport:
        path = Path(path)
        report = IngestReport(file=str(path))
        rows = read_rows(path)   # raises UnusableFile before anything is written
        return self.ingest_rows(rows, report, source or path.name, merge_duplicates, progress)

    def ingest_rows(self, rows, report: IngestReport, source: str, merge_duplicates: bool = False,
                    progress: bool = False, lock_per_batch: bool = False, hashes=None) -> IngestReport:
        preparer = self.preparer
        rejects = RejectKeeper(self.store, self.settings.db_path.with_suffix(".rejects"),
                               report.file or source, report)
        bar = None
        if progress:
            from partnerradar.progress import progress_for
            # Rows are streamed: a file's line count (an upper bound of its rows) stands in
            # for the number of profiles; the bar advances by rows read.
            total = getattr(rows, "lines", None)
            bar = progress_for(total if total is not None else len(rows), "Einlesen", "Profilen")
        try:
            # Rows are read, checked and saved batch by batch (bounded memory). A file goes
            # in under one hold of the writers' lock (one index update at the end); the API's
            # few records are embedded before the lock and only saved under it.
            if lock_per_batch:
                ingest_stream(self.store, preparer, rows, report, rejects, source, bar, write=self._write,
                              hashes=hashes)
            else:
                self._write(lambda: ingest_stream(self.store, preparer, rows, report, rejects, source, bar,
                                                  hashes=hashes))
        finally:
            rejects.close()
            if bar is not None:
                bar.close()
        report.duplicates = self.duplicates(among=report.ids)
        if merge_duplicates:
            gone: set[str] = set()
            for pair in report.duplicates:
                if pair.a in gone or pair.b in gone:
                    continue          # one of them was already folded into a third profile
                try:
                    kept, removed = self.merge(pair.a, pair.b)
                except MergeRefused as exc:
                    report.merge_refused.append((pair.a, pair.b, str(exc)))
                    continue
                gone.add(removed)
                report.merged.append((kept, removed))
        return report

    def save(self, records: list[dict], source: str = "api") -> IngestReport:
        """Create or update profiles from dicts (the API's path); same rules as a file."""
        report = IngestReport(file=source)
        rows = [Row(i + 1, record=r) for i, r in enumerate(records)]
        # A few records: their stored hashes one by one, not every stored profile's.
        hashes = StoredHashes(self.store) if len(records) <= FEW_RECORDS else None
        return self.ingest_rows(rows, report, source, lock_per_batch=True, hashes=hashes)

    def delete(self, ids: list[str]) -> int:
        return self._write(lambda: self.store.delete_profiles(ids))

    def add_cooperations(self, rows) -> int:
        return self._write(lambda: self.store.add_cooperations(rows))

    def merge_refusal(self, pa: dict, pb: dict) -> str | None:
        """Why two profiles must not be merged (German), or None when they may."""
        if bool(pa["listed"]) != bool(pb["listed"]):
            return (f"„{pa['id']}“ und „{pb['id']}“ nicht zusammengeführt: nur eines ist gelistet "
                    f"(gelistet und nicht gelistet bleiben getrennt); bitte von Hand prüfen")
        if self.store.owners_of(pa["id"]) != self.store.owners_of(pb["id"]):
            return (f"„{pa['id']}“ und „{pb['id']}“ nicht zusammengeführt: sie gehören verschiedenen "
                    f"Konten (Mitglieds-Anmeldung oder angelegt von verschiedenen Personen); "
                    f"bitte von Hand prüfen")
        return None

    def merge(self, a: str, b: str) -> tuple[str, str]:
        """Fold the smaller of two duplicate profiles into the larger; returns (kept, removed).

        Raises ``MergeRefused`` for profiles of different owners or visibility. Accounts
        never move: a merge only ever joins profiles that have the same owners (usually
        none), so the kept profile's logins and creator are the removed one's too.
        """
        pa, pb = self.store.get_profile(a), self.store.get_profile(b)
        if pa is None or pb is None:
            raise NotFound.profile(a if pa is None else b)
        refusal = self.merge_refusal(pa, pb)
        if refusal:
            raise MergeRefused(refusal)
        size = lambda p: sum(len(p[f] or "") for f in ("description", "offers", "seeks", "keywords"))
        keep, drop = (pa, pb) if size(pa) >= size(pb) else (pb, pa)
        merged = {k: keep[k] for k in ("id", "name", "kind", "street", "postcode", "town", "website",
                                       "contact_name", "contact_email", "listed")}
        for f in ("description", "offers", "seeks", "keywords"):
            parts = [keep[f] or ""]
            if drop[f] and drop[f] not in parts[0]:
                parts.append(drop[f])
            merged[f] = " ".join(p for p in parts if p)
        merged["extra"] = {**drop["extra"], **keep["extra"], "merged_from": drop["id"]}
        profile = validate_record(merged)
        preparer = self.preparer
        preparer.geocode(profile)
        report = IngestReport()

        def apply():
            # Again under the writers' lock: an owner may have been added since the check.
            refusal = self.merge_refusal(pa, pb)
            if refusal:
                raise MergeRefused(refusal)
            store_profiles(self.store, preparer, [profile], report, keep["source"] or "merge")
            partners = self.store.known_partners(drop["id"])
            self.store.move_references(drop["id"], keep["id"])
            self.store.delete_profiles([drop["id"]])
            self.store.add_cooperations((keep["id"], other, f"merged:{drop['id']}", "; ".join(titles), "merge")
                                        for other, titles in partners.items() if other != keep["id"])
        self._write(apply)
        return keep["id"], drop["id"]

    def _write(self, action):
        """Run a store write under the lock, then bring the index to the new generation."""
        with write_lock(self.settings.index_dir):
            before = self.index
            try:
                return action()
            finally:
                self._refresh_after_write(before)

    def _refresh_after_write(self, before: SearchIndex) -> None:
        """Bring the index to the write's generation by its changes and save the vectors
        (searches go on using the old index until the new one is in place)."""
        if self.store.generation() == before.generation:
            return
        index = self._advanced(before, save=True)
        with self._lock:
            self._index = index

    def reindex(self, reembed: bool = False, progress=None) -> int:
        """Rebuild the index from the store; with ``reembed`` also recompute every vector.

        Re-embedding runs in one store transaction: until it commits, every reader (a
        running server) keeps searching the old generation with the old vectors; the
        commit switches vectors, model name and generation at once. ``progress`` gets
        ``update(profiles)`` after each batch (a tqdm bar, or ``ProgressLog``)."""
        with write_lock(self.settings.index_dir):
            if reembed:
                self._reembed(progress)
            elif self.terms_outdated():
                self.store.rewrite_terms(lambda name, field, text: passage_terms(self.analyzer, name, field, text),
                                         meta={"terms_version": str(TERMS_VERSION)})
            for old in self.vectors_backend.saved_files(self.settings.index_dir):
                old.unlink()
            with self._lock:
                self._index = self._load_index()
            return self._index.vectors.ntotal

    def _reembed(self, progress) -> None:
        preparer = ProfilePreparer(self.encoder, self.analyzer, self.gazetteer)
        ids = [r[0] for r in self.store.profile_table()]

        def fresh_passages():
            for start in range(0, len(ids), REEMBED_BATCH):
                batch = []
                for pid in ids[start:start + REEMBED_BATCH]:
                    record = self.store.get_profile(pid)
                    profile = validate_record(record)
                    batch.append(profile)
                yield from zip((p.id for p in batch), preparer.passages(batch))
                if progress is not None:
                    progress.update(len(batch))

        self.store.replace_passages(fresh_passages(),
                                    meta={"model": self.encoder.name, "dim": str(self.encoder.dimension),
                                          "terms_version": str(TERMS_VERSION)})

    # -- reads ------------------------------------------------------------------
    def search(self, req: SearchRequest, weights: Weights | None = None, explain: bool = True) -> list[dict]:
        index = self.index
        self.check_model(len(index.passage_ids))
        query = Query.for_text(req.query, self.analyzer, self.encoder)
        if req.seeker:
            row = index.profiles.row_of.get(req.seeker)
            if row is None:
                raise NotFound.profile(req.seeker)
            query.seeker_row = row
        return self._results(index, query, req, weights, explain)

    def partners(self, profile_id: str, req: SearchRequest | None = None,
                 weights: Weights | None = None, explain: bool = True) -> list[dict]:
        """Partners for an existing organisation, from its stored vectors (nothing is embedded)."""
        index = self.index
        row = index.profiles.row_of.get(profile_id)
        if row is None:
            raise NotFound.profile(profile_id)
        req = req or SearchRequest()
        req.seeker = profile_id
        query = Query.for_profile(self.store.passages_for(profile_id), index.lexical.profile_terms(row), row)
        return self._results(index, query, req, weights, explain)

    def _results(self, index: SearchIndex, query: Query, req: SearchRequest, weights, explain) -> list[dict]:
        used = weights or self.weights
        if req.seeker:
            # Introductions (issue 15): a pair declined there is not suggested to that seeker again.
            blocked = self.store.not_suggested(req.seeker)
            if blocked:
                req = replace(req, exclude=list(dict.fromkeys([*req.exclude, *blocked])))
        found = Ranker(index, used, self.gazetteer, self.similarity_range).rank(query, req)
        # Issue 15: unconfirmed past the grace period ranks lower (matcher/freshness.py).
        unconfirmed = demote_unconfirmed(found, index.profiles.ids, self.store.last_confirmed)
        top = found.rows[: req.limit]
        ids = [index.profiles.ids[r] for r in top]
        profiles = self.store.get_profiles(ids)
        seeker = self.store.get_profile(req.seeker) if req.seeker else None
        known = self.store.known_partners(req.seeker) if req.seeker else {}
        explainer = Explainer(self.analyzer, index.lexical.idf_of, self.place_terms) if explain else None
        # ``explain`` may name the ids worth explaining (Inno Slam ranks many, shows few).
        explained = {pid for pid in ids if explain is True or (explain and pid in explain)}
        passages = self.store.passages_for_many(explained) if explained else {}
        # 100 = a perfect match in content (and place, when there is one); the seeker-side
        # signals (network, complement, activity) lift a hit towards 100 but are no part of it.
        scale = sum(getattr(used, s.name) for s in SIGNALS if s.in_score and (s.content or s.name in found.signals))
        fused = found.fused[: len(top)] if found.fused is not None else []
        scores = [int(round(100 * min(1.0, f / scale))) if scale > 0 else 0 for f in fused]
        # Scores fall down the list, as a reader expects: a weakly supported hit after a
        # supported one shows no more than that one (it counts its content only, which can
        # still come out a little higher). Only hits after a better-supported one are capped,
        # and the first ones of a list are the same whatever its length.
        scores = [int(v) for v in np.minimum.accumulate(scores)] if scores else []
        results = []
        for i, pid in enumerate(ids):
            profile = profiles.get(pid)
            if profile is None:      # deleted by another process after this index was taken
                continue
            distance = None if found.distance_km is None else float(found.distance_km[i])
            hit = {
                "id": pid, "name": profile["name"], "kind": profile["kind"], "town": profile["town"],
                "landkreis": profile["landkreis"],
                "distance_km": None if distance is None or np.isnan(distance) else round(distance, 1),
                "score": scores[i],
                "supported": found.tiers is None or bool(found.tiers[i] == SUPPORTED),
            }
            if pid in explained:
                hit["explanation"] = explainer.explain(
                    query_texts=query.sentences, query_vectors=query.vectors, profile=profile,
                    passages=passages.get(pid, []),
                    signals={k: v[i] for k, v in found.signals.items()}, distance_km=distance,
                    seeker_name=seeker["name"] if seeker else "", shared_projects=known.get(pid),
                    joint_projects=int(index.profiles.joint[top[i]]), need=query.asks_for_offers,
                    supported=None if found.tiers is None else bool(found.tiers[i] == SUPPORTED))
                if pid in unconfirmed:
                    hit["explanation"]["reasons"].append(unconfirmed_reason(unconfirmed[pid]))
            results.append(hit)
        return results

    def get_profile(self, profile_id: str, with_contact: bool = True) -> dict:
        profile = self.store.get_profile(profile_id)
        if profile is None:
            raise NotFound.profile(profile_id)
        if not with_contact:
            for key in CONTACT_FIELDS:
                profile.pop(key, None)
        return profile

    def duplicates(self, among=None):
        """Probable duplicate organisations; with ``among``, only pairs involving those ids
        (compared with every stored name through ``NameTable``, kept current write by write)."""
        # The table follows the passages the store lists as added (``passages_since``).
        if among is not None:
            with self._names_lock:       # one thread at a time reads and updates the table
                return self._name_table().duplicates(among)
        rows = self.store.conn.execute("SELECT id, name, town FROM profiles").fetchall()
        return find_duplicates({r[0]: r[1] for r in rows}, {r[0]: r[2] for r in rows}, among=among)

    def _name_table(self) -> NameTable:
        """The stored names as of now: built once, then brought forward by the profiles
        whose passages were written since (every save writes them anew); when the count
        says profiles went that this can't name (a deletion), built again. Called holding
        ``_names_lock``."""
        with self.store.snapshot():
            table, seen = self._names, self._names_seen
            if table is not None:
                added = self.store.passages_since(seen)
                touched = {a[1] for a in added}
                if touched:
                    stored = self.store.get_profiles(touched)
                    table.update([(pid, p["name"], p["town"]) for pid, p in stored.items()], touched - set(stored))
                    seen = max(int(a[0]) for a in added)
                if len(table) != self.store.count_profiles():
                    table = None
            if table is None:
                stored_ids = self.store.passage_ids()
                seen = int(stored_ids[-1]) if len(stored_ids) else 0
                table = NameTable(self.store.conn.execute("SELECT id, name, town FROM profiles").fetchall())
            self._names, self._names_seen = table, seen
            return table

    def health(self) -> dict:
        state = {"database": "ok", "index": "ok", "model": "ok"}
        try:
            state["profiles"] = self.store.count_profiles()
            state["generation"] = self.store.generation()
        except Exception as exc:  # report, don't crash the health check
            state["database"] = f"error: {exc}"
        try:
            index = self.index
            state["passages"] = index.vectors.ntotal
            state["index_kind"] = index.vectors.index_type
        except Exception as exc:
            state["index"] = f"error: {exc}"
        state["model_name"] = self.settings.model
        state["model"] = "loaded" if self._encoder is not None else "not loaded"
        state["ok"] = state["database"] == "ok" and state["index"] == "ok"
        return state


__all__ = ["Radar", "MergeRefused", "NotFound", "ModelMismatch", "BadRequest", "SearchRequest", "Profile"]
