"""Signed links for subscribers: confirm (expires), manage and unsubscribe (last as long as the subscription).

A link carries only the subscription id, signed with the server's secret and a salt per
purpose, so a confirmation link can't be used to unsubscribe and nobody can forge one.
itsdangerous (already installed with Flask) does the signing and the timestamp check;
hand-written HMAC code would have to get the same constant-time compare and encoding right.

The secret comes from ``PARTNERRADAR_SECRET_KEY`` (or ``secret_key`` in the config file);
without one it is generated once and kept in the database's meta table, so no secret is
ever in the repository and links survive restarts.
"""
from __future__ import annotations

import secrets

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

PURPOSES = ("confirm", "manage")
_META_KEY = "digest_secret_key"


class TokenError(ValueError):
    """A link that can't be used; the message is German, it is shown on a page."""


def secret_for(store, configured: str = "") -> str:
    if configured:
        return configured
    store.conn.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (_META_KEY, secrets.token_urlsafe(32)))
    return store.get_meta(_META_KEY)


class Tokens:
    def __init__(self, secret: str, confirm_max_age_s: int):
        self._serializer = URLSafeTimedSerializer(secret, salt="partnerradar.digest")
        self.confirm_max_age_s = confirm_max_age_s

    def make(self, subscription_id: str, purpose: str) -> str:
        assert purpose in PURPOSES
        return self._serializer.dumps({"s": subscription_id, "p": purpose})

    def read(self, token: str, purpose: str) -> str:
        max_age = self.confirm_max_age_s if purpose == "confirm" else None
        try:
            data = self._serializer.loads(token, max_age=max_age)
        except SignatureExpired:
            raise TokenError("Dieser Bestätigungslink ist abgelaufen. Bitte melden Sie sich erneut an.") from None
        except BadSignature:
            raise TokenError("Dieser Link ist ungültig oder unvollständig.") from None
        if not isinstance(data, dict) or data.get("p") != purpose or not isinstance(data.get("s"), str):
            raise TokenError("Dieser Link ist ungültig oder unvollständig.")
        return data["s"]
