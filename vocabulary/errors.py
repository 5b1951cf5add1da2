"""Errors any layer may raise and every front end (CLI, API, pages) answers the same way."""
from __future__ import annotations


class NotFound(LookupError):
    """Something the user named does not exist; the message says what (in German)."""

    @classmethod
    def profile(cls, profile_id: str) -> "NotFound":
        return cls(f"Profil „{profile_id}“ nicht gefunden")
