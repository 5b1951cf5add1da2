"""The profile record every reader, adapter, store and matcher agrees on.

A profile is one organisation (firm, research group, startup, ...). Turning a raw row into
one (and refusing a bad row with a German reason) is ingest's job: ``ingest/schema.py``.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field

TEXT_FIELDS = ("description", "offers", "seeks", "keywords")
FIELDS = (
    "id", "name", "kind", "description", "offers", "seeks", "keywords",
    "street", "postcode", "town", "website", "contact_name", "contact_email", "listed",
)


@dataclass
class Profile:
    id: str
    name: str
    kind: str
    description: str = ""
    offers: str = ""
    seeks: str = ""
    keywords: str = ""
    street: str = ""
    postcode: str = ""
    town: str = ""
    website: str = ""
    contact_name: str = ""
    contact_email: str = ""
    listed: bool = True
    # Filled by geocoding, not by the user.
    landkreis: str = ""
    lat: float | None = None
    lon: float | None = None
    # Free-form extras from adapters (e.g. number of funded projects).
    extra: dict = field(default_factory=dict)

    def content_hash(self) -> str:
        """Hash of everything a user supplied: equal hash means re-ingest changes nothing."""
        payload = "\x1f".join(str(getattr(self, f)) for f in FIELDS) + repr(sorted(self.extra.items()))
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict:
        return asdict(self)
