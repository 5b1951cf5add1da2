"""Unconfirmed profiles rank lower after a grace period, and say why (issue 15).

Real SQLite + FAISS and PostgreSQL, and the model, over profile_klein.csv; time passes by moving a profile's
dates back in its database, as a year without an edit or a confirmation would.
"""
from __future__ import annotations

import time

from confirmations.store import Confirmations
from partnerradar.config import load_settings
from matcher.freshness import GRACE_DAYS, UNCONFIRMED_AFTER_DAYS
from tests.both_deployments import small_radar  # noqa: F401  (on both deployments)
from tests.conftest import ids_of, search

QUERY = "Laserstrahlschweißen von Aluminium und zerstörungsfreie Prüfung der Schweißnähte"
DAY = 86400


def age(radar, profile_id, days):
    then = time.time() - days * DAY
    radar.store.conn.execute("UPDATE profiles SET created_at=?, updated_at=? WHERE id=?", (then, then, profile_id))


def test_an_unconfirmed_profile_moves_down_and_its_reasons_say_why(small_radar):
    before = search(small_radar, query=QUERY, limit=5)
    first, second = ids_of(before)[:2]
    gap = before[0]["score"] - before[1]["score"]
    assert gap < 20, "the test needs two close hits"

    # Within the grace period after the yearly mail nothing changes.
    age(small_radar, first, 365 + GRACE_DAYS - 5)
    assert ids_of(search(small_radar, query=QUERY, limit=5))[:2] == [first, second]

    age(small_radar, first, UNCONFIRMED_AFTER_DAYS + 5)
    after = search(small_radar, query=QUERY, limit=5)
    assert ids_of(after).index(first) > ids_of(after).index(second)
    demoted = next(h for h in after if h["id"] == first)
    assert demoted["score"] < before[0]["score"]
    assert any(r.startswith("Profil seit ") and "nicht bestätigt: weiter unten eingeordnet" in r
               for r in demoted["explanation"]["reasons"])
    assert not any("nicht bestätigt" in r for h in after if h["id"] != first for r in h["explanation"]["reasons"])

    # One click on "still correct" and it is back where its content puts it.
    Confirmations(small_radar, load_settings().mail).confirm(first, "Test")
    assert ids_of(search(small_radar, query=QUERY, limit=5))[:2] == [first, second]


def test_an_unconfirmed_profile_moves_down_only_within_its_support_tier():
    """Re-sorting after the demotion keeps the ranker's promise: no hit without content
    evidence rises above a supported one because a supported one was demoted."""
    import numpy as np

    from matcher.ranker import Candidates
    from matcher.freshness import demote_unconfirmed
    from matcher.signals import SUPPORTED, UNSUPPORTED, WEAKLY_SUPPORTED

    # Rank order as the ranker returns it: the supported hit first although the unsupported
    # one has the higher fused score (network and activity of a hub).
    found = Candidates(rows=np.array([0, 1, 2]), signals={"semantic": np.array([0.7, 0.45, 0.1])},
                       fused=np.array([0.5, 0.2, 0.9]),
                       tiers=np.array([SUPPORTED, WEAKLY_SUPPORTED, UNSUPPORTED], dtype=np.int8))
    stale_since = time.time() - (UNCONFIRMED_AFTER_DAYS + 1) * DAY
    demoted = demote_unconfirmed(found, ["a", "b", "c"], lambda ids: {"a": stale_since})
    assert demoted == {"a": stale_since}
    assert list(found.rows) == [0, 1, 2]
    assert list(found.signals["semantic"]) == [0.7, 0.45, 0.1]
