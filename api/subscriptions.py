"""Digest subscriptions over HTTP: register (double opt-in), read/change/cancel with the signed link,
and the small German pages the links in the e-mails lead to.

- ``POST /api/v1/subscriptions`` is open to anyone: it only queues the registration (one row,
  the same work for every address) and answers 202; it never talks to the mail server, so
  neither its time nor its status tells whether the address was known or the mail server is
  up. A background sender (``digest.runner.RegistrationSender``) sends the confirmation
  mail (or, to a confirmed subscriber, fresh links), at most one per subscription and three
  per address a day.
- Everything else needs a signed link (token) from a mail; the token *is* the authorisation.
  Role checks (``require_role``) can be stacked on these views without changing them.
- The subscriber's e-mail address never appears in an answer (only masked to the token holder).
"""
from __future__ import annotations

import logging
import threading

from flask import Blueprint, current_app, jsonify, render_template, request

from api.auth import can_see_profile, csrf_exempt_when, current_principal
from api.search import json_body
from digest.mailer import NO_SMTPUTF8
from digest.render import describe_preferences
from digest.subscriptions import Preferences, normalise_email
from digest.tokens import TokenError
from matcher.request import BadRequest
from vocabulary.errors import NotFound
from vocabulary.kinds import KIND_CHOICES

log = logging.getLogger(__name__)
bp = Blueprint("subscriptions", __name__)
REGISTERED = ("Wir haben eine E-Mail an die angegebene Adresse geschickt. Der Digest startet, "
              "sobald der Link darin bestätigt ist.")


_digest_lock = threading.Lock()


def digest():
    """The app's ``Digest`` (made on first use, so mail settings are read at run time)."""
    service = current_app.extensions.get("digest")
    if service is None:
        from digest.runner import Digest

        with _digest_lock:   # gunicorn threads: one Digest (and one schema check) per app
            service = current_app.extensions.get("digest")
            if service is None:
                service = current_app.extensions["digest"] = Digest(current_app.extensions["radar"],
                                                                     current_app.extensions["settings"].mail)
    return service


def _subscription(token: str, purpose: str, unsubscribe: bool = False):
    sub = digest().subscriptions.get(digest().tokens.read(token, purpose, unsubscribe))
    if sub is None:
        raise TokenError("Zu diesem Link gibt es kein Abo (mehr).")
    return sub


# -- JSON API ---------------------------------------------------------------------------

@bp.post("/api/v1/subscriptions")
def register():
    body = json_body()
    if not isinstance(body, dict):
        raise BadRequest("erwartet ein JSON-Objekt")
    unknown = set(body) - {"profile_id", "email", "preferences"}
    if unknown:
        raise BadRequest(f"unbekannte(s) Feld(er): {', '.join(sorted(unknown))}")
    profile_id = body.get("profile_id")
    if not isinstance(profile_id, str) or not profile_id.strip():
        raise BadRequest("profile_id fehlt: für welches Profil soll der Digest kommen?")
    if "email" not in body:
        raise BadRequest("email fehlt")
    prefs = Preferences.from_dict(body.get("preferences"))
    email = normalise_email(body["email"])
    profile = current_app.extensions["radar"].get_profile(profile_id.strip())   # 404 for an unknown profile
    if not can_see_profile(current_principal(), profile):
        # An unlisted profile is answered like a missing one (as everywhere in the API):
        # otherwise the confirmation mail would tell anyone its name.
        raise NotFound.profile(profile_id.strip())
    if digest().refuses_mailbox(email):      # the spelling alone decides, not the subscription
        return jsonify(error="address_refused",
                       message=f"An diese Adresse kann keine E-Mail zugestellt werden: {NO_SMTPUTF8}"), 422
    digest().subscriptions.request_registration(profile["id"], email, prefs)
    digest().background_sender().wake()
    return jsonify(status="pending", message=REGISTERED), 202


@bp.post("/api/v1/subscriptions/<token>/confirm")
def confirm_api(token):
    sub = _subscription(token, "confirm")
    if sub.status == "unsubscribed":
        raise TokenError("Dieses Abo wurde abgemeldet. Bitte melden Sie sich erneut an.")
    sub = digest().subscriptions.confirm(sub.id)
    return jsonify(sub.public() | {"manage_token": digest().tokens.make(sub.id, "manage")})


@bp.get("/api/v1/subscriptions/<token>")
def read(token):
    return jsonify(_subscription(token, "manage").public())


@bp.patch("/api/v1/subscriptions/<token>")
def change(token):
    sub = _subscription(token, "manage")
    if sub.status == "unsubscribed":
        raise TokenError("Dieses Abo wurde abgemeldet; Einstellungen lassen sich nicht mehr ändern.")
    body = json_body()
    if isinstance(body, dict) and set(body) == {"preferences"}:
        body = body["preferences"]
    prefs = Preferences.from_dict(body, base=sub.preferences)
    return jsonify(digest().subscriptions.update_preferences(sub.id, prefs).public())


@bp.delete("/api/v1/subscriptions/<token>")
def cancel(token):
    sub = _subscription(token, "manage", unsubscribe=True)
    digest().subscriptions.unsubscribe(sub.id)
    return "", 204


@bp.errorhandler(TokenError)
def token_error(exc):
    if request.path.startswith("/api/"):
        status = 410 if "abgelaufen" in str(exc) else 403
        return jsonify(error="invalid_token", message=str(exc)), status
    return _page("abo/fehler.html", 400, message=str(exc))


# -- pages behind the links in the mails ---------------------------------------------------

def _page(template: str, status: int = 200, **context):
    body = render_template(template, **context)
    return body, status, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
                          "Referrer-Policy": "no-referrer"}


def _firm(sub) -> str:
    profile = current_app.extensions["radar"].store.get_profile(sub.profile_id)
    return profile["name"] if profile else ""


@bp.route("/abo/bestaetigen/<token>", methods=["GET", "POST"])
def confirm_page(token):
    """GET shows a button, POST confirms: link scanners that open every URL confirm nothing."""
    sub = _subscription(token, "confirm")
    if sub.status == "unsubscribed":
        raise TokenError("Dieses Abo wurde abgemeldet. Bitte melden Sie sich erneut an.")
    if request.method == "POST":
        sub = digest().subscriptions.confirm(sub.id)
        manage = digest().tokens.make(sub.id, "manage")
        return _page("abo/bestaetigt.html", firm=_firm(sub), manage_token=manage,
                     preferences=describe_preferences(sub.preferences))
    return _page("abo/bestaetigen.html", firm=_firm(sub), token=token, confirmed=sub.status == "confirmed")


@bp.route("/abo/einstellungen/<token>", methods=["GET", "POST"])
def settings_page(token):
    sub = _subscription(token, "manage")
    if sub.status == "unsubscribed":
        raise TokenError("Dieses Abo wurde abgemeldet. Bitte melden Sie sich erneut an.")
    error, saved = "", False
    prefs = sub.preferences
    if request.method == "POST":
        form = request.form
        try:
            prefs = Preferences.from_dict({"radius_km": form.get("radius_km", ""),
                                           "kinds": form.getlist("kinds"),
                                           "topics": form.get("topics", ""),
                                           "exclude_topics": form.get("exclude_topics", "")})
            sub = digest().subscriptions.update_preferences(sub.id, prefs)
            saved = True
        except BadRequest as exc:
            error = str(exc)
    return _page("abo/einstellungen.html", 422 if error else 200, firm=_firm(sub), token=token, prefs=prefs,
                 kinds=KIND_CHOICES, error=error, saved=saved, sub_status=sub.status)


def _one_click() -> bool:
    return request.method == "POST" and request.form.get("List-Unsubscribe") == "One-Click"


@bp.route("/abo/abmelden/<token>", methods=["GET", "POST"])
# RFC 8058: a mail client's one-click unsubscribe is a bare POST with the body
# ``List-Unsubscribe=One-Click`` -- it never loaded our page, so it can't carry a CSRF
# token. It needs none: the signed token in the URL is the authorisation (no session
# is used), and a forged cross-site post could only unsubscribe a link the forger holds.
# Every other POST here (the page's own button) still needs the CSRF token.
@csrf_exempt_when(_one_click)
def unsubscribe_page(token):
    """GET asks, POST unsubscribes; POST is also the RFC 8058 one-click target of mail clients.

    A manage link unsubscribes for a year, longer than it opens the settings (90 days)."""
    sub = _subscription(token, "manage", unsubscribe=True)
    firm = _firm(sub)
    if request.method == "POST" or sub.status == "unsubscribed":
        digest().subscriptions.unsubscribe(sub.id)
        return _page("abo/abgemeldet.html", firm=firm)
    return _page("abo/abmelden.html", firm=firm, token=token)
