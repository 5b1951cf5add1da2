"""A firm's own page (``/meine-firma``, member role, its own profile only).

Everything here goes through the paths the API uses, so the page cannot do more than the
API would let the same person do: the profile is saved by ``api.profiles.save_profile``
(the file rows' checks, index and database in step, the audit line in the save's
transaction), the digest is subscribed through digest's own double opt-in outbox (the
confirmation mail is sent by the background sender, never inside the request), listings
and introductions are the listings and introductions pages' own.
"""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.exceptions import Forbidden

from api.auth import can_edit, current_principal, require_role
from api.profiles import save_profile
from ingest.schema import FIELDS, KINDS, MAX_FIELD_CHARS, DEFAULT_MAX_CHARS
from matcher.request import BadRequest
from vocabulary.kinds import KIND_LABELS

bp = Blueprint("firm_web", __name__)

#: The form's fields, in the order a person fills them in; ``id`` is the URL's, never the form's.
EDITABLE = ("name", "kind", "description", "offers", "seeks", "keywords", "street", "postcode", "town",
            "website", "contact_name", "contact_email")
assert set(EDITABLE) | {"id", "listed"} == set(FIELDS)
LABELS = {"name": "Name der Organisation", "kind": "Art", "description": "Beschreibung",
          "offers": "Was wir bieten", "seeks": "Was wir suchen", "keywords": "Schlagworte (mit ; getrennt)",
          "street": "Straße und Hausnummer", "postcode": "Postleitzahl", "town": "Ort", "website": "Website",
          "contact_name": "Ansprechpartner", "contact_email": "E-Mail für Kontaktanfragen"}
LONG = ("description", "offers", "seeks")
INTRODUCTIONS_SHOWN = 5
LISTINGS_SHOWN = 50


def _radar():
    return current_app.extensions["radar"]


def own_profile() -> dict:
    """The member's own profile; anyone else (a manager, an admin without a firm) is refused."""
    who = current_principal()
    if who.role != "member" or not who.profile_id:
        raise Forbidden("Diese Seite gehört einer Firma: sie ist für Mitglieder mit eigenem Profil. "
                        "Innovationsmanager finden ihre Profile unter „Meine Region“.")
    profile = _radar().store.get_profile(who.profile_id)
    if profile is None or not can_edit(who, profile):
        raise Forbidden("Zu Ihrer Anmeldung gehört kein Profil (mehr).")
    return profile


@bp.errorhandler(Forbidden)
def _forbidden(exc):
    return _page("arbeitsplatz/fehler.html", 403, message=exc.description)


def _page(template: str, status: int = 200, **context):
    context.setdefault("kinds", [(k, KIND_LABELS.get(k, k)) for k in KINDS])
    return render_template(template, **context), status


def _context(profile: dict, form: dict | None = None, **extra) -> dict:
    from api.introductions import service as introductions
    from api.listings import service as listings
    from api.confirmations import service as confirmations

    who = current_principal()
    store = introductions().store
    intros = [store.as_dict(i, who) for i in store.list_for(who, limit=INTRODUCTIONS_SHOWN)]
    rows, listing_total = listings().store.list(profile_id=profile["id"], limit=LISTINGS_SHOWN)
    own_listings = [listings().view(r, profile, True) for r in rows]
    confirmed = confirmations().last_confirmed(profile["id"])
    from datetime import datetime
    return {"profile": profile, "form": form or {k: profile.get(k) or "" for k in EDITABLE} | {
                "listed": profile.get("listed")},
            "fields": [(k, LABELS[k], MAX_FIELD_CHARS.get(k, DEFAULT_MAX_CHARS)) for k in EDITABLE],
            "long_fields": LONG, "intros": intros, "listings": own_listings, "listing_total": listing_total,
            "paused": store.is_paused(profile["id"]),
            "confirmed": datetime.fromtimestamp(confirmed).strftime("%d.%m.%Y") if confirmed else None,
            "stale": confirmations().is_stale(profile["id"]),
            "digest_email": request.form.get("email", who.email) if request.method == "POST" else who.email,
            **extra}


@bp.get("/meine-firma")
@require_role("member")
def firm_page():
    profile = own_profile()
    return _page("arbeitsplatz/firma.html", **_context(profile, saved=request.args.get("gespeichert"),
                                                        notice=request.args.get("hinweis")))


@bp.post("/meine-firma")
@require_role("member")
def save():
    """The profile form: merged onto the stored profile as the API's PUT does."""
    profile = own_profile()
    form = {k: (request.form.get(k) or "").strip() for k in EDITABLE}
    form["listed"] = request.form.get("listed") == "ja"
    too_long = [LABELS[k] for k in EDITABLE if len(form[k]) > MAX_FIELD_CHARS.get(k, DEFAULT_MAX_CHARS)]
    if too_long:
        return _page("arbeitsplatz/firma.html", 400, **_context(
            profile, form, error=f"Zu lang: {', '.join(too_long)}."))
    if form["kind"] not in KINDS:
        return _page("arbeitsplatz/firma.html", 400, **_context(profile, form, error="Unbekannte Art der Organisation."))
    record = {k: profile.get(k) for k in FIELDS}
    changed = [k for k in EDITABLE if form[k] != (profile.get(k) or "")]
    if form["listed"] != bool(profile.get("listed")):
        changed.append("listed")
    record.update({k: form[k] for k in EDITABLE}, id=profile["id"], listed="ja" if form["listed"] else "nein")
    record["extra"] = profile.get("extra") or {}
    if not changed:
        return redirect(url_for("firm_web.firm_page", hinweis="Nichts geändert."), 303)
    report = save_profile(record, "profile.update", changed)
    if report.rejected:
        return _page("arbeitsplatz/firma.html", 400, **_context(profile, form, error=report.rejected[0].reason))
    return redirect(url_for("firm_web.firm_page", gespeichert="1"), 303)


@bp.post("/meine-firma/digest")
@require_role("member")
def subscribe():
    """The weekly digest for this firm, with double opt-in: queued here, confirmed by the link
    in the mail (digest's own outbox and sender; nothing is mailed inside the request)."""
    from api.subscriptions import REGISTERED, digest
    from digest.mailer import NO_SMTPUTF8
    from digest.subscriptions import Preferences, normalise_email

    profile = own_profile()
    try:
        email = normalise_email((request.form.get("email") or "")[:320])
        prefs = Preferences.from_dict({"radius_km": request.form.get("radius_km", ""),
                                       "kinds": request.form.getlist("kinds")})
    except BadRequest as exc:
        return _page("arbeitsplatz/firma.html", 400, **_context(profile, digest_error=str(exc)))
    if digest().refuses_mailbox(email):
        return _page("arbeitsplatz/firma.html", 422, **_context(
            profile, digest_error=f"An diese Adresse kann keine E-Mail zugestellt werden: {NO_SMTPUTF8}"))
    digest().subscriptions.request_registration(profile["id"], email, prefs)
    digest().background_sender().wake()
    return redirect(url_for("firm_web.firm_page", hinweis=REGISTERED) + "#digest", 303)


@bp.post("/meine-firma/bestaetigen")
@require_role("member")
def confirm():
    """"Still correct": the same confirmation as the yearly mail's link, by the firm itself."""
    from api.confirmations import service as confirmations

    profile = own_profile()
    who = current_principal()
    confirmations().confirm(profile["id"], who.label, who.role)
    return redirect(url_for("firm_web.firm_page", hinweis="Danke: Ihr Profil ist als aktuell bestätigt."), 303)
