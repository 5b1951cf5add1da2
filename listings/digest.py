"""New listings for the weekly digest: what others posted since a firm's last digest that
matches one of the firm's own open listings (same matcher, constraints and reasons).

The digest recipient is a firm, not staff: an anonymous listing (or one of an unlisted
profile) appears without its owner's name. Deterministic for a window (since, until], so a
restarted run renders the same mail.
"""
from __future__ import annotations

from listings.types import TYPES

MATCHES_PER_LISTING = 50


def new_matches(service, profile_id: str, since: float, until: float, top: int = 5,
                base_url: str = "") -> list[dict]:
    """Up to ``top`` of the listings new or renewed in (since, until] that match the firm's own."""
    store = service.store
    mine = [l for l in store.list(profile_id=profile_id, active_at=until, limit=100)[0]]
    if not mine:
        return []
    fresh = set(store.created_between(since, until))
    if not fresh:
        return []
    table = service.matcher.table
    found: dict[str, dict] = {}
    for own in mine:
        row = table.row_of.get(own["id"])
        if row is None:
            continue
        for hit in service.matcher.match(own, table.vectors[row], limit=MATCHES_PER_LISTING, now=until):
            other = hit.listing
            if other["id"] in fresh and (other["id"] not in found or found[other["id"]]["score"] < hit.score):
                found[other["id"]] = {"hit": hit, "own": own, "score": hit.score}
    picked = sorted(found.values(), key=lambda f: (not f["hit"].mutual, -f["score"], f["hit"].listing["id"]))[:top]
    owners = service.owners([p["hit"].listing for p in picked])
    out = []
    for p in picked:
        view = service.view(p["hit"].listing, owners.get(p["hit"].listing["profile_id"]), reveal_owner=False)
        out.append({"id": view["id"], "title": view["title"], "type": TYPES[view["type"]].label,
                    "owner": view["owner_label"], "for_own": p["own"]["title"], "score": p["score"],
                    "why": p["hit"].criteria[:6], "url": f"{base_url}/angebote/{view['id']}"})
    return out
