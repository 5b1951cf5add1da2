"""What a user asks: validated search and partner requests."""
from __future__ import annotations

from dataclasses import dataclass, field

from ingest.schema import KINDS


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
            raise BadRequest("request body must be a JSON object")
        known = {f for f in cls.__dataclass_fields__ if f not in ("include_unlisted", "only")}
        unknown = set(data) - known
        if unknown:
            raise BadRequest(f"unknown field(s): {', '.join(sorted(unknown))}")
        req = cls()
        req.query = _text(data.get("query"), "query")
        if len(req.query) > max_query_chars:
            raise BadRequest(f"query too long ({len(req.query)} characters, at most {max_query_chars})")
        kinds = data.get("kinds") or []
        if isinstance(kinds, str):
            kinds = [kinds]
        if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
            raise BadRequest("kinds must be a list of strings")
        bad = [k for k in kinds if k not in KINDS]
        if bad:
            raise BadRequest(f"unknown kind(s) {', '.join(bad)} (allowed: {', '.join(KINDS)})")
        req.kinds = kinds
        req.near = _text(data.get("near"), "near")
        radius = data.get("radius_km")
        if radius is not None:
            if isinstance(radius, bool) or not isinstance(radius, (int, float)) or not 0 < radius <= 1000:
                raise BadRequest("radius_km must be a number between 0 and 1000")
            if not req.near:
                raise BadRequest("radius_km needs near (a postcode or town)")
            req.radius_km = float(radius)
        req.landkreis = _text(data.get("landkreis"), "landkreis")
        exclude = data.get("exclude") or []
        if not isinstance(exclude, list) or not all(isinstance(x, str) for x in exclude):
            raise BadRequest("exclude must be a list of profile ids")
        req.exclude = exclude
        limit = data.get("limit", 10)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= max_limit:
            raise BadRequest(f"limit must be an integer between 1 and {max_limit}")
        req.limit = limit
        req.seeker = _text(data.get("seeker"), "seeker")
        include_known = data.get("include_known", False)
        if not isinstance(include_known, bool):
            raise BadRequest("include_known must be true or false")
        req.include_known = include_known
        if not req.query and not req.seeker:
            raise BadRequest("query is empty: describe what you are looking for")
        return req


def _text(value, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be a string")
    return value.strip()
