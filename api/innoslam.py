"""Inno Slam planning over HTTP: audience, programme and tour (the functions of ``innoslam``).

Planning is an innovation manager's job (issue 6): manager or admin only.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

import innoslam
from api.auth import require_role
from matcher.request import BadRequest

bp = Blueprint("innoslam", __name__, url_prefix="/api/v1/innoslam")

AUDIENCE_FIELDS = {"topic", "profile_id", "top_districts", "firms_per_district"}
PROGRAMME_FIELDS = {"district", "town", "radius_km", "n", "candidates"}
TOUR_FIELDS = {"scientist_ids", "n_events", "talks_per_event", "districts"}


def _radar():
    return current_app.extensions["radar"]


def body(allowed: set[str]) -> dict:
    data = request.get_json(silent=True)
    if data is None:
        raise BadRequest("Erwartet wird ein JSON-Inhalt (Content-Type: application/json).")
    if not isinstance(data, dict):
        raise BadRequest("Der Inhalt muss ein JSON-Objekt sein.")
    unknown = set(data) - allowed
    if unknown:
        raise BadRequest(f"Unbekannte Felder: {', '.join(sorted(unknown))} "
                         f"(erlaubt: {', '.join(sorted(allowed))}).")
    return data


def text(data: dict, name: str, max_chars: int = 2000) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRequest(f"{name} muss ein Text sein.")
    if len(value) > max_chars:
        raise BadRequest(f"{name} ist zu lang ({len(value)} Zeichen, höchstens {max_chars}).")
    return value.strip()


def integer(data: dict, name: str, default):
    value = data.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"{name} muss eine ganze Zahl sein.")
    return value


def id_list(data: dict, name: str) -> list[str] | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value):
        raise BadRequest(f"{name} muss eine Liste von Profil-IDs sein.")
    return [x.strip() for x in value]


def audience_args(data: dict) -> dict:
    return {"topic": text(data, "topic"), "profile_id": text(data, "profile_id"),
            "top_districts": integer(data, "top_districts", 13),
            "firms_per_district": integer(data, "firms_per_district", 8)}


def programme_args(data: dict) -> dict:
    radius = data.get("radius_km")
    if radius is not None and (isinstance(radius, bool) or not isinstance(radius, (int, float))):
        raise BadRequest("radius_km muss eine Zahl sein.")
    return {"district": text(data, "district"), "town": text(data, "town"), "radius_km": radius,
            "n": integer(data, "n", 5), "candidates": id_list(data, "candidates")}


def tour_args(data: dict) -> dict:
    return {"scientist_ids": id_list(data, "scientist_ids") or [],
            "n_events": integer(data, "n_events", None),
            "talks_per_event": integer(data, "talks_per_event", None),
            "districts": id_list(data, "districts")}


@bp.post("/audience")
@require_role("manager")
def audience():
    return jsonify(innoslam.audience(_radar(), **audience_args(body(AUDIENCE_FIELDS))))


@bp.post("/programme")
@require_role("manager")
def programme():
    return jsonify(innoslam.plan_programme(_radar(), **programme_args(body(PROGRAMME_FIELDS))))


@bp.post("/tour")
@require_role("manager")
def tour():
    return jsonify(innoslam.plan_tour(_radar(), **tour_args(body(TOUR_FIELDS))))
