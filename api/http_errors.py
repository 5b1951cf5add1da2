"""German messages for the HTTP errors Werkzeug raises with its own English text.

Werkzeug answers an unknown URL, a wrong method or an oversized body with English
descriptions ("The requested URL was not found on the server. ..."). Errors the
project raises itself carry their own German message, which is kept as it is.
"""
from __future__ import annotations

from flask import current_app, request
from werkzeug.exceptions import HTTPException

GERMAN = {
    400: "Die Anfrage ist fehlerhaft.",
    401: "Anmeldung erforderlich.",
    403: "Dafür fehlt Ihnen die Berechtigung.",
    404: "Diese Adresse gibt es nicht; bitte die URL prüfen (alle Adressen: /api/v1/openapi.json).",
    406: "Die gewünschte Antwortform kann nicht geliefert werden; die API antwortet mit JSON.",
    408: "Die Anfrage hat zu lange gedauert.",
    409: "Die Anfrage widerspricht dem jetzigen Stand.",
    410: "Diese Adresse gibt es nicht mehr.",
    411: "Die Länge des Inhalts (Content-Length) fehlt.",
    414: "Die URL ist zu lang.",
    415: "Dieses Inhaltsformat wird nicht unterstützt.",
    422: "Der Inhalt ist nicht verwertbar.",
    429: "Zu viele Anfragen; bitte kurz warten.",
    431: "Die Kopfzeilen der Anfrage sind zu groß.",
    500: "Interner Fehler; der Vorfall wurde protokolliert.",
    501: "Das kann der Server nicht.",
    503: "Der Dienst ist gerade nicht verfügbar; bitte später noch einmal versuchen.",
}


def german_message(exc: HTTPException) -> str:
    """The message for the JSON error body: ours if we wrote one, else German for the code."""
    if exc.description and exc.description != type(exc).description:
        return exc.description     # raised with a message of our own
    if exc.code == 405:
        allowed = ", ".join(sorted(getattr(exc, "valid_methods", None) or ()))
        return (f"Die Methode {request.method} ist für diese Adresse nicht erlaubt"
                + (f" (erlaubt: {allowed})." if allowed else "."))
    if exc.code == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        if not limit:
            return "Der Inhalt der Anfrage ist zu groß."
        size = f"{limit // 2**20} MiB" if limit % 2**20 == 0 else f"{limit // 1024} KiB"
        return f"Der Inhalt der Anfrage ist zu groß (höchstens {size})."
    return GERMAN.get(exc.code, f"HTTP-Fehler {exc.code}.")


_UNITS = {"second": ("Sekunde", "Sekunden"), "minute": ("Minute", "Minuten"),
          "hour": ("Stunde", "Stunden"), "day": ("Tag", "Tage"), "month": ("Monat", "Monate"),
          "year": ("Jahr", "Jahre")}


def rate_limit_text(item) -> str:
    """A ``limits`` rate ("3 per 1 minute") in German: "3 pro Minute"."""
    one, many = _UNITS.get(item.GRANULARITY.name, (item.GRANULARITY.name, item.GRANULARITY.name))
    return f"{item.amount} pro {one if item.multiples == 1 else f'{item.multiples} {many}'}"
