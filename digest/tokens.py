"""Signed links for subscribers: confirm, manage and unsubscribe -- each expires.

A confirmation link lasts 7 days; a manage link (settings, ``/api/v1/subscriptions/<token>``)
90 days, and the same link still unsubscribes for a year (one-click unsubscribe from an old
mail must keep working). Every digest mail carries fresh links; a subscriber without a recent
digest registers the same address again and gets a mail with fresh links.

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
    store.conn.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT DO NOTHING", (_META_KEY, secrets.token_urlsafe(32)))
    return store.get_meta(_META_KEY)


EXPIRED = {"confirm": "Dieser Bestätigungslink ist abgelaufen. Bitte melden Sie sich erneut an.",
           "manage": "Dieser Link ist abgelaufen. Jeder Digest bringt neue Links mit; oder melden Sie "
                     "dieselbe Adresse noch einmal an, dann schicken wir Ihnen eine E-Mail mit neuen Links."}


class Tokens:
    def __init__(self, secret: str, confirm_max_age_s: int, manage_max_age_s: int = 90 * 86400,
                 unsubscribe_max_age_s: int = 365 * 86400):
        self.secret = secret
        self._serializer = URLSafeTimedSerializer(secret, salt="partnerradar.digest")
        self.confirm_max_age_s = confirm_max_age_s
        self.manage_max_age_s = manage_max_age_s
        self.unsubscribe_max_age_s = unsubscribe_max_age_s

    def make(self, subscription_id: str, purpose: str) -> str:
        assert purpose in PURPOSES
        return self._serializer.dumps({"s": subscription_id, "p": purpose})

    def read(self, token: str, purpose: str, unsubscribe: bool = False) -> str:
        """The subscription id of a valid ``purpose`` link; ``unsubscribe``: a manage link
        used only to unsubscribe, which is honoured for longer."""
        if purpose == "confirm":
            max_age = self.confirm_max_age_s
        else:
            max_age = self.unsubscribe_max_age_s if unsubscribe else self.manage_max_age_s
        try:
            data = self._serializer.loads(token, max_age=max_age)
        except SignatureExpired:
            raise TokenError(EXPIRED[purpose]) from None
        except BadSignature:
            raise TokenError("Dieser Link ist ungültig oder unvollständig.") from None
        if not isinstance(data, dict) or data.get("p") != purpose or not isinstance(data.get("s"), str):
            raise TokenError("Dieser Link ist ungültig oder unvollständig.")
        return data["s"]
