"""What the web pages share when they read a form: the error a person must correct, and
the fields several pages ask for in the same words."""
from __future__ import annotations


class PageError(Exception):
    """Something the person must correct; shown on the page (German), not as a stack trace."""


def radius_km(text: str) -> float | None:
    """A form's "Umkreis" in kilometres ("25" or "12,5"); None when left empty."""
    if not text:
        return None
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise PageError("Der Umkreis muss eine Zahl in Kilometern sein.") from None
