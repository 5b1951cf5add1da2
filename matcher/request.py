"""What a user asks: validated search and partner requests."""
from __future__ import annotations

from dataclasses import dataclass, field

from vocabulary.kinds import KINDS


class BadRequest(ValueError):
    """A request a person must correct; the message says how."""


@dataclass
class SearchRequest:
    query: str = ""
    kinds: list[str] = field(default_factory=list)
    near: str = ""                  # postcode, town or "09111 Chemnitz"
    radius_km: float | None = None
    landkreis: str = ""
    exclude: list[str] = field(default_factory=list)
    limit: int = 10
    seeker: str = ""                # profile on whose behalf we search: excluded, enables graph signals
    include_known: bool = False     # show the seeker's known partners too
    include_unlisted: bool = False  # only for roles that may see unlisted profiles
    # Rank only these profiles, each scored exactly as in a ranking of all (the weekly
    # digest scores a week's new profiles for each subscriber). Internal: not in the API.
    only: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict, max_limit: int = 100, max_query_chars: int = 2000) -> "SearchRequest":
        if not isinstance(data, dict):
            raise BadRequest("Der Inhalt muss ein JSON-Objekt sein")
        known = [f for f in cls.__dataclass_fields__ if f not in ("include_unlisted", "only")]
        unknown = set(data) - set(known)
        if unknown:
            raise BadRequest(f"Unbekannte(s) Feld(er): {', '.join(sorted(unknown))} "
                             f"(erlaubt: {', '.join(known)})")
        req = cls()
        req.query = _text(data.get("query"), "query")
        if len(req.query) > max_query_chars:
            raise BadRequest(f"query ist zu lang ({len(req.query)} Zeichen, höchstens {max_query_chars})")
        kinds = data.get("kinds") or []
        if isinstance(kinds, str):
            kinds = [kinds]
        if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
            raise BadRequest("kinds muss eine Liste von Texten sein")
        bad = [k for k in kinds if k not in KINDS]
        if bad:
            raise BadRequest(f"Unbekannte Art(en) {', '.join(bad)} (erlaubt: {', '.join(KINDS)})")
        req.kinds = kinds
        req.near = _text(data.get("near"), "near")
        radius = data.get("radius_km")
        if radius is not None:
            if isinstance(radius, bool) or not isinstance(radius, (int, float)) or not 0 < radius <= 1000:
                raise BadRequest("radius_km muss eine Zahl zwischen 0 und 1000 sein")
            if not req.near:
                raise BadRequest("radius_km braucht near (eine Postleitzahl oder einen Ort)")
            req.radius_km = float(radius)
        req.landkreis = _text(data.get("landkreis"), "landkreis")
        exclude = data.get("exclude") or []
        if not isinstance(exclude, list) or not all(isinstance(x, str) for x in exclude):
            raise BadRequest("exclude muss eine Liste von Profil-IDs sein")
        req.exclude = exclude
        limit = data.get("limit", 10)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= max_limit:
            raise BadRequest(f"limit muss eine ganze Zahl zwischen 1 und {max_limit} sein")
        req.limit = limit
        req.seeker = _text(data.get("seeker"), "seeker")
        include_known = data.get("include_known", False)
        if not isinstance(include_known, bool):
            raise BadRequest("include_known muss true oder false sein")
        req.include_known = include_known
        if not req.query and not req.seeker:
            raise BadRequest("query ist leer: bitte beschreiben Sie, was Sie suchen")
        return req


def _text(value, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRequest(f"{name} muss ein Text sein")
    return value.strip()
