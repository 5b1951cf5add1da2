"""Profiles kept alive: the page behind the yearly "still correct" link, and the
last-confirmed date on profile pages (for staff, and the organisation itself)."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, render_template, request

from api.auth import current_principal
from confirmations.store import Confirmations, LinkError

bp = Blueprint("confirmations", __name__)


def service() -> Confirmations:
    found = current_app.extensions.get("confirmations")
    if found is None:
        found = current_app.extensions["confirmations"] = Confirmations(
            current_app.extensions["radar"], current_app.extensions["settings"].mail)
    return found


@bp.app_template_global("confirmation_facts")
def confirmation_facts(profile: dict) -> dict | None:
    who = current_principal()
    if not (who.is_staff or (who.role == "member" and who.profile_id == profile["id"])):
        return None
    last = service().last_confirmed(profile["id"])
    return {"last": datetime.fromtimestamp(last).strftime("%d.%m.%Y") if last else None,
            "stale": service().is_stale(profile["id"])}


@bp.route("/profil/bestaetigen/<token>", methods=["GET", "POST"])
def confirm_page(token):
    try:
        profile_id = service().read(token)
    except LinkError as exc:
        return render_template("anbahnung/fehler.html", message=str(exc)), 403
    profile = current_app.extensions["radar"].store.get_profile(profile_id)
    if profile is None:
        return render_template("anbahnung/fehler.html", message="Dieses Profil gibt es nicht mehr."), 404
    done = False
    if request.method == "POST":     # only the button confirms: a link scanner's GET changes nothing
        service().confirm(profile_id, f"Link Profilbestätigung {profile_id}")
        done = True
    return render_template("confirm_profile.html", profile=profile, done=done)
