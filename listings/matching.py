"""Matching listings: hard constraints first, then text similarity, then explanations.

For a listing L of organisation X the candidates are the other organisations' listings of a
counterpart type (offer↔request only) that are neither done nor expired. A candidate stays
only if every hard constraint holds:

- **distance** within the flow's limit (``types.FLOWS``: heat 5 km, materials 150 km,
  capacity and know-how 300 km = all of Saxony); heat with an unknown site is dropped;
- **heat**: the offered temperature ≥ the temperature needed;
- **material**: the same waste code or the same material family (``materials``);
- **quantities of the same order**: where both sides state an amount of one dimension
  (mass, volume, pieces per year after unit and period normalisation; power in kW;
  machine hours per month), the larger is at most ``SAME_ORDER`` (10) × the smaller.

The rest are ranked by text similarity through the radar's own model (cosine of one vector
per listing) and lexical overlap (idf-weighted analyzer terms, lemmas and compound parts),
with a small part for how well place and amount fit. A pair where each organisation can
also serve the other (another of Y's listings passes the constraints against one of X's,
in the other direction) is *wechselseitig* and ranks first. Every hit explains each
criterion in German.

Cost is bounded: texts are capped before embedding, the candidate masks are vector
operations over one in-memory table (rebuilt when either generation moves), the
wechselseitig check looks at the best ``MUTUAL_CHECKED`` candidates only.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from geo import haversine_km_many
from listings.materials import same_material
from listings.model import de_number, normalised_quantity, quantity_label
from listings.types import FLOWS, TYPES

SAME_ORDER = 10.0
MAX_EMBED_CHARS = 1500
MUTUAL_CHECKED = 300
MAX_LIMIT = 100
WEIGHTS = {"semantic": 0.5, "lexical": 0.3, "fit": 0.2}
MAX_TERMS_SHOWN = 6


def embed(radar, texts: list[str]) -> np.ndarray:
    """The one place listings are embedded: through the model the radar searches with.

    Both sides of a match are listings, so both are embedded alike (as passages)."""
    return radar.encoder.embed_passages(texts)


#: Words every listing of a kind uses ("freie Kapazität", "wir suchen"): they say nothing
#: about which counterpart fits.
LISTING_STOP_WORDS = ("frei", "freie", "kapazität", "kapazitäten", "suchen", "gesucht", "bieten", "anbieten",
                      "angebot", "gesuch", "nachbar", "nachbarn", "nachbarschaft", "verfügbar", "bisher")
_stop_terms: set[str] | None = None


def stop_terms(analyzer) -> set[str]:
    global _stop_terms
    if _stop_terms is None:
        _stop_terms = {t for w in LISTING_STOP_WORDS for t in analyzer.terms(w)}
    return _stop_terms


def listing_terms(analyzer, listing: dict) -> list[str]:
    """The analyzer's terms of the listing's text, without the words every listing uses."""
    stops = stop_terms(analyzer)
    return [t for t in analyzer.terms(listing_text(listing)) if t not in stops]


def listing_text(listing: dict) -> str:
    """What is embedded and analysed: title, text and the named material or process."""
    parts = [listing.get("title") or "", listing.get("text") or "", listing.get("material") or "",
             listing.get("process") or ""]
    return ". ".join(p for p in parts if p)[:MAX_EMBED_CHARS]


@dataclass
class Hit:
    listing: dict
    score: int
    mutual: bool
    distance_km: float | None
    criteria: list[str]
    shared_terms: list[str]
    signals: dict

    @property
    def explanation(self) -> str:
        return " · ".join(self.criteria)


class ListingTable:
    """All listings in memory: records, vectors, and the arrays the constraints need."""

    def __init__(self, records: list[dict], vectors: np.ndarray | None, analyzer, generation):
        self.generation = generation
        self.records = records
        self.row_of = {r["id"]: i for i, r in enumerate(records)}
        n = len(records)
        self.vectors = vectors if vectors is not None else np.zeros((0, 1), np.float32)
        self.types = np.array([r["type"] for r in records], dtype=object)
        self.owners = np.array([r["profile_id"] for r in records], dtype=object)
        self.lat = np.array([np.nan if r["lat"] is None else r["lat"] for r in records], dtype=float)
        self.lon = np.array([np.nan if r["lon"] is None else r["lon"] for r in records], dtype=float)
        self.expires = np.array([r["expires_at"] for r in records], dtype=float)
        self.done = np.array([r["status"] == "done" for r in records], dtype=bool)
        self.temperature = np.array([_num(r["temperature_c"]) for r in records], dtype=float)
        self.power = np.array([_num(r["power_kw"]) for r in records], dtype=float)
        self.hours = np.array([_num(r["hours_per_month"]) for r in records], dtype=float)
        self.by_owner: dict[str, list[int]] = {}
        for i, r in enumerate(records):
            self.by_owner.setdefault(r["profile_id"], []).append(i)
        self.vectorizer = CountVectorizer(analyzer=str.split, binary=True, dtype=np.float32)
        terms = [r["terms"] or "" for r in records]
        if n and any(terms):
            self.tf = self.vectorizer.fit_transform(terms).tocsr()
        else:
            self.vectorizer.fit(["_"])
            self.tf = sparse.csr_matrix((n, 1), dtype=np.float32)
        df = np.asarray(self.tf.sum(axis=0)).ravel()
        self.idf = np.log1p((n + 1) / (df + 1)).astype(np.float32)
        self.idf_sum = np.asarray(self.tf @ self.idf).ravel()
        self.analyzer = analyzer

    def __len__(self) -> int:
        return len(self.records)

    def query_terms(self, terms: str) -> sparse.csr_matrix:
        return self.vectorizer.transform([terms or ""]).tocsr()


def _num(value) -> float:
    return np.nan if value is None else float(value)


class Matcher:
    """Matches listings; one per process and database (the table is shared by threads)."""

    def __init__(self, listing_store, analyzer, similarity_range: tuple[float, float] = (0.2, 0.8)):
        self.listing_store = listing_store
        self.analyzer = analyzer
        self.similarity_range = similarity_range
        self._table: ListingTable | None = None
        self._lock = threading.Lock()
        self._terms_of: dict[str, frozenset[str]] = {}

    @property
    def table(self) -> ListingTable:
        generation = self.listing_store.generation()
        table = self._table
        if table is None or table.generation != generation:
            with self._lock:
                if self._table is None or self._table.generation != generation:
                    records, vectors = self.listing_store.all_with_vectors()
                    self._table = ListingTable(records, vectors, self.analyzer, generation)
                table = self._table
        return table

    # -- the constraints ---------------------------------------------------------------
    def candidates(self, table: ListingTable, listing: dict, now: float) -> tuple[np.ndarray, np.ndarray]:
        """Rows that pass the vectorised constraints, and their distances (nan: unknown)."""
        kind = TYPES[listing["type"]]
        flow = FLOWS[kind.flow]
        mask = np.isin(table.types, list(kind.counterparts)) if len(table) else np.zeros(0, bool)
        mask &= table.owners != listing["profile_id"]
        mask &= ~table.done & (table.expires > now)
        own = table.row_of.get(listing.get("id"))
        if own is not None:
            mask[own] = False
        distance = np.full(len(table), np.nan)
        if listing.get("lat") is not None and listing.get("lon") is not None:
            distance = haversine_km_many(listing["lat"], listing["lon"], table.lat, table.lon)
            mask &= ~(distance > flow.max_km)          # nan (unknown site) passes here …
        if kind.flow == "heat":
            mask &= ~np.isnan(distance)                # … except for heat, which needs a pipe
            temp = listing.get("temperature_c")
            if temp is not None:
                mask &= (table.temperature <= temp) if kind.is_offer else (table.temperature >= temp)
            mask &= _same_order(listing.get("power_kw"), table.power)
        if kind.flow == "capacity":
            mask &= _same_order(listing.get("hours_per_month"), table.hours)
        rows = np.flatnonzero(mask)
        return rows, distance[rows]

    def _material_terms(self, material: str) -> frozenset[str]:
        found = self._terms_of.get(material)
        if found is None:
            if len(self._terms_of) > 50_000:
                self._terms_of.clear()
            found = self._terms_of[material] = frozenset(self.analyzer.terms(material))
        return found

    def _scalar_checks(self, table: ListingTable, listing: dict, row: int) -> tuple[bool, list[str]]:
        """The constraints that need Python per pair (materials, quantities): (passes, criteria)."""
        other = table.records[row]
        if TYPES[listing["type"]].flow != "material":
            return True, []
        criteria = []
        ok, reason = same_material(listing, other, self._material_terms(listing.get("material", "")),
                                   self._material_terms(other.get("material", "")))
        if not ok:
            return False, [reason]
        criteria.append(reason)
        qa, qb = normalised_quantity(listing), normalised_quantity(other)
        if qa and qb and qa[0] == qb[0]:
            if qa[1] <= 0 or qb[1] <= 0 or max(qa[1], qb[1]) / min(qa[1], qb[1]) > SAME_ORDER:
                return False, [f"Mengen passen nicht ({quantity_label(listing)} / {quantity_label(other)})"]
        return True, criteria

    # -- ranking -----------------------------------------------------------------------
    def match(self, listing: dict, vector: np.ndarray, limit: int = 10, text_only: bool = False,
              now: float | None = None) -> list[Hit]:
        """The best counterparts for ``listing`` (a stored or a new one with its ``vector``)."""
        table = self.table
        now = now or time.time()
        limit = max(1, min(int(limit), MAX_LIMIT))
        if not len(table):
            return []
        if text_only:
            rows = np.flatnonzero((table.owners != listing["profile_id"]))
            own = table.row_of.get(listing.get("id"))
            rows = rows[rows != own] if own is not None else rows
            distances = np.full(len(rows), np.nan)
            if listing.get("lat") is not None:
                distances = haversine_km_many(listing["lat"], listing["lon"], table.lat[rows], table.lon[rows])
        else:
            rows, distances = self.candidates(table, listing, now)
        if not len(rows):
            return []
        semantic = table.vectors[rows] @ np.asarray(vector, dtype=np.float32)
        # Each model has its own cosine scale (e5's unrelated texts meet at 0.8, MiniLM's at 0.2).
        floor, ceil = self.similarity_range
        sem_norm = np.clip((semantic - floor) / (ceil - floor), 0.0, 1.0)
        query = table.query_terms(listing.get("terms", ""))
        shared_idf = np.asarray(table.tf[rows] @ (query.multiply(table.idf).T.toarray().ravel())).ravel() \
            if query.nnz else np.zeros(len(rows))
        query_idf = float(query.multiply(table.idf).sum()) if query.nnz else 0.0
        denominator = np.maximum(np.minimum(table.idf_sum[rows], query_idf), 1e-6)
        lexical = np.clip(shared_idf / denominator, 0.0, 1.0) if query_idf else np.zeros(len(rows))
        if text_only:
            fit = np.zeros(len(rows))
            fused = (WEIGHTS["semantic"] * sem_norm + WEIGHTS["lexical"] * lexical) / \
                (WEIGHTS["semantic"] + WEIGHTS["lexical"])
        else:
            fit = self._fit(table, listing, rows, distances)
            fused = WEIGHTS["semantic"] * sem_norm + WEIGHTS["lexical"] * lexical + WEIGHTS["fit"] * fit
        order = np.argsort(-fused, kind="stable")
        hits: list[tuple[int, float, list[str]]] = []
        for j in order:
            row = int(rows[j])
            if text_only:
                hits.append((j, fused[j], []))
            else:
                ok, extra = self._scalar_checks(table, listing, row)
                if ok:
                    hits.append((j, fused[j], extra))
            if len(hits) >= MUTUAL_CHECKED or (text_only and len(hits) >= limit):
                break
        mutual: set[str] = set()
        if not text_only and hits:
            mutual = self._mutual_owners(table, listing, {table.owners[rows[j]] for j, _, _ in hits}, now)
        hits.sort(key=lambda h: (table.owners[rows[h[0]]] not in mutual, -h[1]))
        mine = self._term_surfaces(listing)
        out = []
        for j, score, extra in hits[:limit]:
            row = int(rows[j])
            other = table.records[row]
            is_mutual = other["profile_id"] in mutual
            distance = None if np.isnan(distances[j]) else float(distances[j])
            shared = self._shared_terms(mine, other, table)
            criteria = [] if text_only else self.criteria(listing, other, distance, extra, shared, is_mutual)
            if text_only and shared:
                criteria = ["gemeinsame Begriffe: " + ", ".join(shared)]
            out.append(Hit(listing=other, score=int(round(100 * float(score))), mutual=is_mutual,
                           distance_km=None if distance is None else round(distance, 1), criteria=criteria,
                           shared_terms=shared,
                           signals={"semantic": round(float(semantic[j]), 3),
                                    "lexical": round(float(lexical[j]), 3), "fit": round(float(fit[j]), 3)}))
        return out

    def _fit(self, table, listing, rows, distances) -> np.ndarray:
        """0..1: closer sites and closer amounts fit better (only what both sides state)."""
        flow = FLOWS[TYPES[listing["type"]].flow]
        near = np.where(np.isnan(distances), 0.5, 1.0 - np.clip(distances / flow.max_km, 0, 1))
        amounts = {"heat": (listing.get("power_kw"), table.power),
                   "capacity": (listing.get("hours_per_month"), table.hours)}.get(flow.key)
        if amounts is None or amounts[0] is None:
            return near
        theirs = amounts[1][rows]
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.abs(np.log10(np.maximum(theirs, 1e-9) / max(amounts[0], 1e-9)))
        closeness = np.where(np.isnan(theirs), 0.5, 1.0 - np.clip(ratio, 0, 1))
        return 0.5 * near + 0.5 * closeness

    def _mutual_owners(self, table, listing, owners: set[str], now) -> set[str]:
        """Which of ``owners`` can also serve the listing's organisation, the other way round?

        One candidate mask per listing of that organisation in the other direction (not one
        per owner), so the check costs a few vector operations however many hits there are.
        """
        serves_forward = TYPES[listing["type"]].is_offer     # X serves Y in this pair
        found: set[str] = set()
        wanted = np.array(sorted(owners), dtype=object)
        for i in table.by_owner.get(listing["profile_id"], []):
            a = table.records[i]
            if TYPES[a["type"]].is_offer == serves_forward or a["status"] == "done" or a["expires_at"] <= now:
                continue            # same direction as this pair (or not active): not the other way round
            rows, _ = self.candidates(table, a, now)
            rows = rows[np.isin(table.owners[rows], wanted)]
            for b in rows:
                owner = table.owners[b]
                if owner not in found and self._scalar_checks(table, a, int(b))[0]:
                    found.add(owner)
        return found

    def _term_surfaces(self, listing: dict) -> dict[str, str]:
        """term (and compound-part term) -> the word of ``listing`` that carries it."""
        mine: dict[str, str] = {}
        for token in self.analyzer.tokens(listing_text(listing)):
            mine.setdefault(token.term, token.surface)
            for part in token.parts:
                mine.setdefault(part, token.surface)
        return mine

    def _shared_terms(self, mine: dict[str, str], b: dict, table: ListingTable) -> list[str]:
        """Words both listings use (as the asking listing wrote them), most telling first."""
        theirs = set((b.get("terms") or "").split())
        stops = stop_terms(self.analyzer)
        shared = [t for t in mine if t in theirs and t not in stops]
        vocab = table.vectorizer.vocabulary_
        shared.sort(key=lambda t: -float(table.idf[vocab[t]]) if t in vocab else 0.0)
        out, seen = [], set()
        for term in shared:
            surface = mine[term]
            if surface.lower() not in seen:
                seen.add(surface.lower())
                out.append(surface)
        return out[:MAX_TERMS_SHOWN]

    # -- explanations ------------------------------------------------------------------
    @staticmethod
    def criteria(listing: dict, other: dict, distance: float | None, extra: list[str], shared: list[str],
                 mutual: bool) -> list[str]:
        """One German phrase per criterion, offer side first where it matters."""
        offer, request = (listing, other) if TYPES[listing["type"]].is_offer else (other, listing)
        flow = FLOWS[TYPES[listing["type"]].flow]
        out = []
        if mutual:
            out.append("wechselseitig: beide Seiten können einander etwas bieten")
        if flow.key == "heat":
            if request.get("temperature_c") is not None:
                out.append(f"Abwärme {de_number(offer['temperature_c'])} °C ≥ benötigt "
                           f"{de_number(request['temperature_c'])} °C")
            else:
                out.append(f"Abwärme {de_number(offer['temperature_c'])} °C")
        if distance is not None and distance < 0.05:
            out.append("gleicher Standort (0 km)")
        elif distance is not None:
            out.append(f"{de_number(round(distance, 1))} km")
        else:
            out.append("Entfernung unbekannt")
        if flow.key == "heat":
            if offer.get("power_kw") is not None and request.get("power_kw") is not None:
                out.append(f"{de_number(offer['power_kw'])} kW für {de_number(request['power_kw'])} kW Bedarf")
            elif offer.get("power_kw") is not None:
                out.append(f"{de_number(offer['power_kw'])} kW verfügbar")
        if flow.key == "material":
            out.extend(extra)
            qo, qr = quantity_label(offer), quantity_label(request)
            if qo and qr:
                same = normalised_quantity(offer)[0] == normalised_quantity(request)[0]
                out.append(f"{qo} angeboten für {qr} Bedarf" + ("" if same else " (Einheiten nicht vergleichbar)"))
            elif qo or qr:
                out.append(f"{qo} angeboten" if qo else f"Bedarf {qr}")
        if flow.key == "capacity":
            if offer.get("process"):
                out.append(f"Verfahren: {offer['process']}")
            if offer.get("hours_per_month") is not None and request.get("hours_per_month") is not None:
                out.append(f"{de_number(offer['hours_per_month'])} h/Monat frei für "
                           f"{de_number(request['hours_per_month'])} h/Monat Bedarf")
            elif offer.get("hours_per_month") is not None:
                out.append(f"{de_number(offer['hours_per_month'])} h/Monat frei")
        if shared:
            out.append("gemeinsame Begriffe: " + ", ".join(shared))
        return out


def _same_order(value, others: np.ndarray) -> np.ndarray:
    """True where ``others`` is unknown or within a factor SAME_ORDER of ``value``."""
    if value is None or value <= 0:
        return np.ones(len(others), dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.maximum(others / value, value / np.maximum(others, 1e-12))
    return np.isnan(others) | (ratio <= SAME_ORDER)


__all__ = ["Matcher", "Hit", "embed", "listing_text", "listing_terms", "SAME_ORDER"]
