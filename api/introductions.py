"""Introductions over HTTP: the JSON API (``/api/v1/introductions``) and the German pages.

A thin layer over ``introductions.runner.Introductions``; who may do what is decided in
``introductions.store`` (``can_view``, ``can_manage``, ``may_request``), so the CLI and
these views agree. Nothing here talks to an SMTP server: every mail goes into the outbox,
which ``partnerradar remind`` delivers. A signed answer link (``/anbahnung/<token>``)
speaks for one side of one introduction; its form posts back with the page's CSRF token.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from werkzeug.exceptions import Forbidden

from api.auth import can_edit, current_principal, require_role
from api.params import int_arg
from introductions.mails import LinkError
from introductions.model import (ACCEPTED, INTRODUCED, LABELS, MAX_MESSAGE_CHARS, REFUSED, STATES,
                                 TRANSITIONS, IntroductionError)
from introductions.store import SideActor, can_manage, side_of
from matcher.request import BadRequest

bp = Blueprint("introductions", __name__)
ANSWERS = {"accept": ACCEPTED, "decline": REFUSED, "zusagen": ACCEPTED, "absagen": REFUSED}


def service():
    found = current_app.extensions.get("introductions")
    if found is None:
        from introductions.runner import Introductions

        found = current_app.extensions["introductions"] = Introductions(
            current_app.extensions["radar"], current_app.extensions["settings"].mail)
    return found


def _ip() -> str:
    return request.remote_addr or ""


def _json() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("Erwartet wird ein JSON-Objekt (Content-Type: application/json)")
    return data


def _is_api() -> bool:
    return request.path.startswith("/api/")


@bp.errorhandler(IntroductionError)
def _introduction_error(exc: IntroductionError):
    if _is_api():
        return jsonify(error=exc.code, message=str(exc)), exc.status
    if exc.status == 401:
        return redirect(url_for("login.login", weiter=request.full_path.rstrip("?")))
    return _page("anbahnung/fehler.html", exc.status, message=str(exc))


@bp.errorhandler(Forbidden)
def _forbidden(exc):
    if _is_api():
        return jsonify(error="forbidden", message=exc.description), 403
    return _page("anbahnung/fehler.html", 403, message=exc.description)


@bp.errorhandler(LinkError)
def _link_error(exc: LinkError):
    if _is_api():
        return jsonify(error="forbidden", message=str(exc)), 403
    return _page("anbahnung/fehler.html", 403, message=str(exc))


def _page(template: str, status: int = 200, **context):
    return render_template(template, labels=LABELS, **context), status


# -- JSON API ------------------------------------------------------------------------

@bp.post("/api/v1/introductions")
def create():
    body = _json()
    unknown = set(body) - {"seeker_id", "partner_id", "message"}
    if unknown:
        raise BadRequest(f"Unbekannte(s) Feld(er): {', '.join(sorted(unknown))} (erlaubt: seeker_id, partner_id, message)")
    who = current_principal()
    seeker = body.get("seeker_id") or (who.profile_id if who.role == "member" else "")
    for key in ("seeker_id", "partner_id"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise BadRequest(f"{key} muss eine Profil-ID (Text) sein")
    intro = service().store.request(who, seeker, body.get("partner_id"), body.get("message"), _ip())
    return jsonify(service().store.as_dict(intro, who)), 201


@bp.get("/api/v1/introductions")
def list_():
    who = current_principal()
    if who.role == "anonymous":
        raise IntroductionError("Anmeldung erforderlich.", 401, "unauthorized")
    state = request.args.get("state") or None
    if state and state not in STATES:
        raise BadRequest(f"state muss einer der Werte {', '.join(STATES)} sein")
    limit, offset = int_arg("limit", 50, 1, 100), int_arg("offset", 0, 0, 10**9)
    store = service().store
    return jsonify(introductions=[store.as_dict(i, who) for i in store.list_for(who, state, limit, offset)],
                   limit=limit, offset=offset)


@bp.get("/api/v1/introductions/<intro_id>")
def show(intro_id):
    who = current_principal()
    if who.role == "anonymous":
        raise IntroductionError("Anmeldung erforderlich.", 401, "unauthorized")
    store = service().store
    return jsonify(store.as_dict(store.visible(who, intro_id), who))


@bp.post("/api/v1/introductions/<intro_id>/state")
def change_state(intro_id):
    who = current_principal()
    if who.role == "anonymous":
        raise IntroductionError("Anmeldung erforderlich.", 401, "unauthorized")
    body = _json()
    state = body.get("state")
    if state not in STATES:
        raise BadRequest(f"state muss einer der Werte {', '.join(STATES)} sein")
    store = service().store
    intro = store.change_state(who, intro_id, state, body.get("note"), body.get("next_step"), _ip())
    return jsonify(store.as_dict(intro, who))


def _answer_value(value) -> str:
    if value not in ANSWERS:
        raise BadRequest("answer muss accept (zusagen) oder decline (absagen) sein")
    return ANSWERS[value]


@bp.post("/api/v1/introductions/<intro_id>/answer")
def answer_as_member(intro_id):
    """A member answers for its own side (with its login or key instead of the mailed link)."""
    who = current_principal()
    if who.role == "anonymous":
        raise IntroductionError("Anmeldung erforderlich.", 401, "unauthorized")
    store = service().store
    intro = store.visible(who, intro_id, with_events=False)
    side = side_of(who, intro)
    if side is None:
        raise IntroductionError("Zusagen oder absagen kann nur eine der beiden Seiten.", 403, "forbidden")
    intro = store.answer(intro.id, side, _answer_value(_json().get("answer")), who, _ip())
    return jsonify(store.as_dict(intro, who))


def _link_actor(token: str):
    intro_id, side = service().links.read(token)
    store = service().store
    intro = store.get(intro_id, with_events=True)
    if intro is None:
        raise IntroductionError("Diese Anbahnung gibt es nicht mehr.", 404, "not_found")
    return intro, SideActor(side, f"Link {'anfragende' if side == 'seeker' else 'angefragte'} Seite {intro_id}")


@bp.get("/api/v1/introductions/answer/<token>")
def link_show(token):
    intro, actor = _link_actor(token)
    return jsonify(service().store.as_dict(intro, actor))


@bp.post("/api/v1/introductions/answer/<token>")
def link_answer(token):
    intro, actor = _link_actor(token)
    store = service().store
    intro = store.answer(intro.id, actor.side, _answer_value(_json().get("answer")), actor, _ip())
    return jsonify(store.as_dict(intro, actor))


def _may_pause(profile_id: str) -> dict:
    who = current_principal()
    if who.role == "anonymous":
        raise IntroductionError("Anmeldung erforderlich.", 401, "unauthorized")
    profile = current_app.extensions["radar"].store.get_profile(profile_id)
    if profile is None or not (profile["listed"] or who.is_staff or who.profile_id == profile_id):
        raise IntroductionError(f"Profil „{profile_id[:200]}“ nicht gefunden", 404, "not_found")
    if not can_edit(who, profile):
        raise IntroductionError("Kontaktanfragen pausieren kann nur die Firma selbst oder ihr "
                                "Innovationsmanager.", 403, "forbidden")
    return profile


@bp.put("/api/v1/introductions/pause/<profile_id>")
def pause(profile_id):
    _may_pause(profile_id)
    paused = _json().get("paused")
    if not isinstance(paused, bool):
        raise BadRequest("paused muss true oder false sein")
    service().store.set_paused(current_principal(), profile_id, paused, _ip())
    return jsonify(profile_id=profile_id, paused=paused)


# -- pages ---------------------------------------------------------------------------

@bp.app_template_filter("de_date")
def de_date(value) -> str:
    """'2026-12-01' (or an ISO timestamp) -> '01.12.2026'."""
    text = str(value or "")[:10]
    parts = text.split("-")
    return f"{parts[2]}.{parts[1]}.{parts[0]}" if len(parts) == 3 else text


@bp.app_template_global("intro_principal")
def intro_principal():
    """The principal, for macros (imported macros don't see the page's context)."""
    return current_principal()


@bp.app_template_global("answer_label")
def answer_label(answer) -> str:
    from introductions.model import ANSWER_LABELS
    return ANSWER_LABELS.get(answer, str(answer))


@bp.app_template_global("introduction_facts")
def introduction_facts(profile: dict) -> dict:
    """For the profile page: may this visitor ask for an introduction, the organisation's
    known cooperations (for staff and the organisation itself) and how often it answered."""
    who = current_principal()
    store = service().store
    own = who.role == "member" and who.profile_id == profile["id"]
    facts = {"can_request": (who.is_staff or (who.role == "member" and not own)),
             "paused": store.is_paused(profile["id"]), "known": None}
    answered, asked = store.responsiveness(profile["id"])
    facts["responsiveness"] = (answered, asked) if asked else None
    if who.is_staff or own:
        radar = current_app.extensions["radar"]
        known = radar.store.known_partners(profile["id"])
        names = radar.store.get_profiles(list(known))
        facts["known"] = [{"id": pid, "name": names[pid]["name"], "titles": list(dict.fromkeys(titles))}
                          for pid, titles in known.items() if pid in names]
    return facts


@bp.route("/anbahnen", methods=["GET", "POST"])
@require_role("member", "manager")
def request_page():
    who = current_principal()
    radar = current_app.extensions["radar"]
    values = request.values
    partner_id = (values.get("partner") or "")[:200]
    seeker_id = (values.get("fuer") or (who.profile_id if who.role == "member" else "") or "")[:200]
    partner = radar.store.get_profile(partner_id) if partner_id else None
    if partner is None or not (partner["listed"] or who.is_staff):
        return _page("anbahnung/fehler.html", 404, message="Diese Organisation gibt es nicht (mehr).")
    seeker = radar.store.get_profile(seeker_id) if seeker_id else None
    error, message = None, (values.get("nachricht") or "")
    if request.method == "POST":
        try:
            intro = service().store.request(who, seeker_id, partner_id, message[:MAX_MESSAGE_CHARS * 2], _ip())
            return redirect(url_for("introductions.overview", neu=intro.id))
        except IntroductionError as exc:
            error = str(exc)
    return _page("anbahnung/anfrage.html", 400 if error else 200, partner=partner, seeker=seeker,
                 seeker_id=seeker_id, message=message, error=error, max_chars=MAX_MESSAGE_CHARS,
                 paused=service().store.is_paused(partner_id))


def _cards(intros, who):
    store = service().store
    return [store.as_dict(i, who) for i in intros]


@bp.get("/anbahnungen")
@require_role("member", "manager")
def overview():
    """A firm's page: its introductions, with accept/decline and (once both accepted) contacts."""
    who = current_principal()
    if who.is_staff:
        return redirect(url_for("introductions.pipeline"))
    store = service().store
    return _page("anbahnung/meine.html", intros=_cards(store.list_for(who), who), new=request.args.get("neu"),
                 paused=store.is_paused(who.profile_id), profile_id=who.profile_id)


@bp.post("/anbahnungen/<intro_id>/antwort")
@require_role("member")
def answer_page(intro_id):
    who = current_principal()
    store = service().store
    intro = store.visible(who, intro_id, with_events=False)
    side = side_of(who, intro)
    if side is None:
        raise IntroductionError("Zusagen oder absagen kann nur eine der beiden Seiten.", 403, "forbidden")
    store.answer(intro.id, side, ANSWERS.get(request.form.get("antwort"), "?"), who, _ip())
    return redirect(url_for("introductions.overview"))


@bp.post("/anbahnungen/pause")
@require_role("member")
def pause_page():
    who = current_principal()
    service().store.set_paused(who, who.profile_id, request.form.get("pause") == "ja", _ip())
    return redirect(url_for("introductions.overview"))


@bp.get("/anbahnungen/verwalten")
@require_role("manager")
def pipeline():
    """The manager's pipeline: introductions of its region, by state, with the next moves."""
    who = current_principal()
    store = service().store
    intros = store.list_for(who, limit=500)
    cards = {state: [] for state in STATES}
    for intro in intros:
        item = store.as_dict(store.get(intro.id, with_events=True), who)
        item["moves"] = [(s, LABELS[s]) for s in TRANSITIONS.get(intro.state, ())] if can_manage(who, intro) else []
        cards[intro.state].append(item)
    return _page("anbahnung/pipeline.html", columns=[(s, LABELS[s], cards[s]) for s in STATES],
                 total=len(intros), changed=request.args.get("geaendert"))


@bp.post("/anbahnungen/<intro_id>/status")
@require_role("manager")
def state_page(intro_id):
    who = current_principal()
    try:
        service().store.change_state(who, intro_id, request.form.get("status", ""), request.form.get("notiz"),
                                     request.form.get("naechster_schritt"), _ip())
    except IntroductionError as exc:
        if exc.status in (401, 403, 404):
            raise
        return _page("anbahnung/fehler.html", exc.status, message=str(exc),
                     back=url_for("introductions.pipeline"))
    return redirect(url_for("introductions.pipeline", geaendert=intro_id) + f"#anbahnung-{intro_id}")


@bp.route("/anbahnung/<token>", methods=["GET", "POST"])
def link_page(token):
    """The page behind a side's mailed link: the request, accept/decline, and the contacts."""
    intro, actor = _link_actor(token)
    store = service().store
    error = None
    if request.method == "POST":
        try:
            intro = store.answer(intro.id, actor.side, ANSWERS.get(request.form.get("antwort"), "?"), actor, _ip())
            intro = store.get(intro.id, with_events=True)
        except IntroductionError as exc:
            error = str(exc)
    item = store.as_dict(intro, actor)
    return _page("anbahnung/antwort.html", 409 if error else 200, item=item, error=error,
                 open=intro.state == INTRODUCED and intro.answer_of(actor.side) is None)
