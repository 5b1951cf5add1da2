"""Query-string parameters shared by the JSON endpoints."""
from __future__ import annotations

from flask import request

from matcher.request import BadRequest


def int_arg(name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within [low, high], or a 400 that says which."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} muss eine ganze Zahl sein") from None
    if not low <= value <= high:
        raise BadRequest(f"{name} muss zwischen {low} und {high} liegen")
    return value


def bool_arg(name: str) -> bool:
    """A yes/no query parameter: 1, true or ja mean yes."""
    return request.args.get(name, "false").lower() in ("1", "true", "ja")
