"""``Listings(radar)``: what the CLI, the API, the pages and the digest do with listings.

Validation (``model``), location (the listing's own postcode or town through the radar's
gazetteer, else its owner's site), embedding (``matching.embed``), storage
(``store.listings``), matching and the views that hide an anonymous listing's owner.
Access decisions (who may post, edit, see matches) stay with the API; the views here only
take ``reveal_owner``, so no caller can forget to hide an owner by building its own dict.
"""
from __future__ import annotations

import time

from listings.matching import Hit, Matcher, embed, listing_terms, listing_text
from listings.model import FIELDS, ListingError, new_id, quantity_label, validate_listing
from listings.types import STATUSES, TYPES, VISIBILITIES
from store.listings import ListingStore

#: A listing expires after six months unless renewed.
VALID_S = 183 * 24 * 3600
#: Reminders go out this long before a listing expires.
REMIND_BEFORE_S = 14 * 24 * 3600
#: What an anonymous listing shows to everyone but staff, instead of its owner.
ANONYMOUS_OWNER = "Anonym (Kontakt über das Innovationsmanagement)"


class ListingNotFound(LookupError):
    """No listing with that id (the message is German)."""


class Listings:
    def __init__(self, radar):
        self.radar = radar
        self.store = ListingStore(radar.store)
        self.matcher = Matcher(self.store, radar.analyzer, radar.similarity_range)

    # -- writes ---------------------------------------------------------------------
    def prepare(self, record: dict, existing: dict | None = None, now: float | None = None) -> dict:
        """A row ready to store (validated, located, analysed; vector still to embed)."""
        now = now or time.time()
        values = validate_listing(record)
        owner = self.radar.store.get_profile(values["profile_id"])
        if owner is None:
            raise ListingError(f"Profil „{values['profile_id']}“ nicht gefunden")
        values["id"] = existing["id"] if existing else (values["id"] or new_id())
        if values["postcode"] or values["town"]:
            place = self.radar.gazetteer.resolve(postcode=values["postcode"], town=values["town"])
            if place is None:
                raise ListingError(f"Den Ort „{values['postcode'] or values['town']}“ kennen wir nicht "
                                   "(bitte Postleitzahl oder sächsischen Ort angeben)")
            values.update(lat=place.lat, lon=place.lon, landkreis=place.landkreis,
                          town=values["town"] or place.town)
        else:   # the owner's site
            values.update(postcode=owner["postcode"] or "", town=owner["town"] or "", lat=owner["lat"],
                          lon=owner["lon"], landkreis=owner["landkreis"] or "")
        values["terms"] = " ".join(listing_terms(self.radar.analyzer, values))
        values["created_at"] = existing["created_at"] if existing else now
        values["renewed_at"] = existing["renewed_at"] if existing else now
        values["expires_at"] = existing["expires_at"] if existing else now + VALID_S
        values["reminded_at"] = existing["reminded_at"] if existing else None
        values["created_by"] = existing["created_by"] if existing else record.get("created_by")
        values["updated_at"] = now
        values["source"] = record.get("source") or (existing or {}).get("source") or ""
        return values

    def save_rows(self, rows: list[dict]) -> list[str]:
        """Embed (one batch) and store prepared rows atomically."""
        if not rows:
            return []
        vectors = embed(self.radar, [listing_text(r) for r in rows])
        for row, vector in zip(rows, vectors):
            row["vector"] = vector
        self.store.save(rows)
        return [r["id"] for r in rows]

    def create(self, record: dict, created_by: int | None = None, source: str = "api") -> dict:
        if record.get("id") and self.store.get(str(record["id"])) is not None:
            raise ListingError(f"Eintrag „{record['id']}“ gibt es schon")
        row = self.prepare({**record, "created_by": created_by, "source": source})
        self.save_rows([row])
        return self.store.get(row["id"])

    def update(self, listing_id: str, changes: dict) -> dict:
        existing = self.require(listing_id)
        merged = {k: existing.get(k) for k in FIELDS}
        if not (changes.get("postcode") or changes.get("town")) and ("postcode" in changes or "town" in changes):
            merged["postcode"] = merged["town"] = ""      # cleared: back to the owner's site
        merged.update(changes)
        merged["id"] = listing_id
        row = self.prepare(merged, existing=existing)
        self.save_rows([row])
        return self.store.get(listing_id)

    def renew(self, listing_id: str, now: float | None = None) -> dict:
        self.require(listing_id)
        now = now or time.time()
        self.store.update_fields(listing_id, renewed_at=now, expires_at=now + VALID_S, updated_at=now)
        return self.store.get(listing_id)

    def delete(self, ids: list[str]) -> int:
        return self.store.delete(ids)

    def require(self, listing_id: str) -> dict:
        listing = self.store.get(listing_id)
        if listing is None:
            raise ListingNotFound(f"Eintrag „{listing_id}“ nicht gefunden")
        return listing

    # -- reads ----------------------------------------------------------------------
    def matches(self, listing_id: str, limit: int = 10, text_only: bool = False) -> list[Hit]:
        listing = self.require(listing_id)
        table = self.matcher.table
        row = table.row_of.get(listing_id)
        vector = table.vectors[row] if row is not None else embed(self.radar, [listing_text(listing)])[0]
        return self.matcher.match(listing, vector, limit=limit, text_only=text_only)

    def owners(self, listings) -> dict[str, dict]:
        return self.radar.store.get_profiles({l["profile_id"] for l in listings})

    # -- views ------------------------------------------------------------------------
    @staticmethod
    def owner_hidden(listing: dict, owner: dict | None, reveal_owner: bool) -> bool:
        """Anonymous listings (and those of unlisted profiles) hide their owner from non-staff."""
        if reveal_owner:
            return False
        return listing["visibility"] == "anonymous" or owner is None or not owner.get("listed", True)

    def view(self, listing: dict, owner: dict | None, reveal_owner: bool, now: float | None = None) -> dict:
        """The listing as API and pages show it; never contact data, never a hidden owner."""
        now = now or time.time()
        kind = TYPES[listing["type"]]
        hidden = self.owner_hidden(listing, owner, reveal_owner)
        body = {
            "id": listing["id"], "type": listing["type"], "type_label": kind.label, "side": kind.side,
            "flow": kind.flow, "title": listing["title"], "text": listing["text"],
            "material": listing["material"], "waste_code": listing["waste_code"],
            "quantity": listing["quantity"], "unit": listing["unit"], "period": listing["period"],
            "quantity_label": quantity_label(listing),
            "temperature_c": listing["temperature_c"], "power_kw": listing["power_kw"],
            "process": listing["process"], "hours_per_month": listing["hours_per_month"],
            "landkreis": listing["landkreis"],
            "status": listing["status"], "status_label": STATUSES[listing["status"]],
            "visibility": listing["visibility"], "visibility_label": VISIBILITIES[listing["visibility"]],
            "created_at": listing["created_at"], "updated_at": listing["updated_at"],
            "expires_at": listing["expires_at"], "expired": listing["expires_at"] <= now,
            "anonymous": hidden,
        }
        if hidden:
            body["owner"] = None
            body["owner_label"] = ANONYMOUS_OWNER
        else:
            body.update(postcode=listing["postcode"], town=listing["town"], lat=listing["lat"], lon=listing["lon"])
            body["owner"] = None if owner is None else {
                "id": owner["id"], "name": owner["name"], "kind": owner["kind"], "town": owner["town"],
                "landkreis": owner["landkreis"]}
            body["owner_label"] = owner["name"] if owner else ""
        return body

    def hit_view(self, hit: Hit, owners: dict[str, dict], reveal_owner: bool) -> dict:
        listing = self.view(hit.listing, owners.get(hit.listing["profile_id"]), reveal_owner)
        return {"listing": listing, "score": hit.score, "mutual": hit.mutual, "distance_km": hit.distance_km,
                "criteria": hit.criteria, "explanation": hit.explanation, "shared_terms": hit.shared_terms,
                "signals": hit.signals}

    def hits_view(self, hits: list[Hit], reveal_owner) -> list[dict]:
        """``reveal_owner``: a bool, or a function of the owner's profile id (staff, own member)."""
        owners = self.owners([h.listing for h in hits])
        decide = reveal_owner if callable(reveal_owner) else (lambda _pid: reveal_owner)
        return [self.hit_view(h, owners, decide(h.listing["profile_id"])) for h in hits]

    # -- validity -----------------------------------------------------------------------
    def expiring(self, now: float | None = None) -> list[dict]:
        now = now or time.time()
        return self.store.expiring(now + REMIND_BEFORE_S, now)

    def mark_reminded(self, listing_id: str, now: float | None = None) -> None:
        self.store.update_fields(listing_id, reminded_at=now or time.time())
