"""``partnerradar introduction`` (list, show, state, pause) and ``partnerradar remind``.

Thin wrappers over ``introductions.runner.Introductions``, as the blueprint is. The CLI acts
as the operator (role admin, named in the audit log as ``cli:<user>``). ``remind`` is for
cron, like ``digest send``: exit 0 when everything is delivered, 3 when some mails could not
be delivered yet (the next run tries again), 1 when the run stopped (SMTP server
unreachable, or another run is going on).
"""
from __future__ import annotations

import getpass
import sys
import time
from datetime import datetime

import click

from partnerradar.cli_common import (EXIT_ABORTED, EXIT_DEFERRED, EXIT_OK, _fail, _mail_settings, _radar, db_option,
                                     echo_json)

def _service(ctx):
    from introductions.runner import Introductions

    radar = _radar(ctx)
    return Introductions(radar, _mail_settings(radar))


def _operator():
    from introductions.store import Actor

    try:
        user = getpass.getuser()
    except Exception:   # no user name in a container: still an operator
        user = "unbekannt"
    return Actor(f"cli:{user}", "admin")


def _now(value: str | None) -> float | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y"):
        try:
            return datetime.strptime(value, fmt).timestamp()
        except ValueError:
            pass
    _fail(f"--now „{value}“ ist kein Datum (erwartet: JJJJ-MM-TT oder JJJJ-MM-TTTHH:MM)")


@click.group()
def introduction():
    """Anbahnungen („Kontakt anbahnen“) verwalten.

    Auflisten, ansehen, Stand ändern, Kontaktanfragen pausieren.
    """


@introduction.command("list")
@click.option("--state", default=None, help="Nur diesen Stand (z. B. requested oder „angefragt“).")
@click.option("--json", "as_json", is_flag=True, help="Als JSON ausgeben (wie die API).")
@db_option
@click.pass_context
def list_(ctx, state, as_json):
    """Alle Anbahnungen, die neuesten zuerst."""
    from introductions.model import IntroductionError, parse_state

    service, who = _service(ctx), _operator()
    try:
        state = parse_state(state) if state else None
    except IntroductionError as exc:
        _fail(str(exc))
    items = [service.store.as_dict(i, who) for i in service.store.list_for(who, state, limit=10**6)]
    if as_json:
        echo_json(items)
        return
    for i in items:
        click.echo(f"{i['id']}  {i['state_label']:<22} {i['seeker']['name']} → {i['partner']['name']}"
                   f"  ({i['created_at'][:10]})")
    if not items:
        click.echo("Keine Anbahnungen.", err=True)


@introduction.command()
@click.argument("intro_id")
@click.option("--json", "as_json", is_flag=True, help="Als JSON ausgeben (wie die API).")
@db_option
@click.pass_context
def show(ctx, intro_id, as_json):
    """Eine Anbahnung mit ihrem Verlauf."""
    from introductions.model import IntroductionError

    service, who = _service(ctx), _operator()
    try:
        item = service.store.as_dict(service.store.visible(who, intro_id), who)
    except IntroductionError as exc:
        _fail(str(exc), 1)
    if as_json:
        echo_json(item)
        return
    click.echo(f"{item['seeker']['name']} → {item['partner']['name']} ({item['region'] or 'ohne Landkreis'})")
    click.echo(f"Stand: {item['state_label']}" + (f", nächster Schritt {item['next_step']}" if item["next_step"] else ""))
    click.echo(f"Nachricht: {item['message']}")
    click.echo(f"Antworten: anfragende Seite {item['answers']['seeker'] or 'offen'}, "
               f"angefragte Seite {item['answers']['partner'] or 'offen'}")
    for e in item.get("history", []):
        click.echo(f"  {e['at'][:16]}  {e['to_label']:<22} {e['by']}" + (f" – {e['note']}" if e["note"] else ""))


@introduction.command()
@click.argument("intro_id")
@click.argument("new_state")
@click.option("--note", default="", help="Notiz zur Änderung.")
@click.option("--next-step", default="", help="Datum des nächsten Schritts (TT.MM.JJJJ oder JJJJ-MM-TT).")
@db_option
@click.pass_context
def state(ctx, intro_id, new_state, note, next_step):
    """Den Stand einer Anbahnung ändern.

    NEW_STATE: introduced (vorgestellt), meeting (Gespräch vereinbart), cooperation
    (Kooperation / Projekt), declined (abgelehnt), no_response (keine Rückmeldung).
    """
    from introductions.model import IntroductionError, parse_state

    service = _service(ctx)
    try:
        intro = service.store.change_state(_operator(), intro_id, parse_state(new_state), note, next_step)
    except IntroductionError as exc:
        _fail(str(exc), 1)
    from introductions.model import label
    click.echo(f"{intro.id}: jetzt „{label(intro.state)}“")


@introduction.command()
@click.argument("firm")
@click.option("--off", is_flag=True, help="Die Pause beenden.")
@db_option
@click.pass_context
def pause(ctx, firm, off):
    """Kontaktanfragen an FIRM pausieren (oder mit --off wieder zulassen)."""
    from introductions.model import IntroductionError

    service = _service(ctx)
    try:
        service.store.set_paused(_operator(), firm, not off)
    except IntroductionError as exc:
        _fail(str(exc), 1)
    click.echo(f"{firm}: Kontaktanfragen " + ("wieder zugelassen" if off else "pausiert"))


@click.command()
@click.option("--now", "now_text", default=None,
              help="So tun, als wäre es dieser Zeitpunkt (JJJJ-MM-TT[THH:MM]); zum Testen und Nachholen.")
@click.option("--json", "as_json", is_flag=True, help="Bericht als JSON ausgeben.")
@db_option
@click.pass_context
def remind(ctx, now_text, as_json):
    """Anbahnungs-Mails senden und erinnern (für cron).

    Verschickt, was Seiten und Manager bekommen sollen, genau einmal; erinnert Seiten, die nach
    14 Tagen nicht geantwortet haben, und Manager an Anbahnungen ohne Bewegung; nach 30 Tagen
    ohne Antwort wird eine Vorstellung „keine Rückmeldung“. Profile, die seit einem Jahr niemand
    bestätigt oder geändert hat, bekommen einmal im Jahr die Bitte um Bestätigung. Ein zweiter
    Lauf verschickt nichts.
    Exit-Code 0: alles zugestellt, 3: einige E-Mails noch nicht (der nächste Lauf versucht es
    wieder), 1: Lauf abgebrochen.
    """
    from digest.delivery import RunLocked

    from confirmations.store import Confirmations
    from digest.mailer import Mailer

    service = _service(ctx)
    now = _now(now_text)
    started = time.perf_counter()
    try:
        report = service.remind(now=now)
    except RunLocked as exc:
        _fail(str(exc), EXIT_ABORTED)
    confirmed = None
    if not report.aborted:
        # Profiles kept alive: the yearly "still correct?" mail, exactly once per profile and year.
        with service._lock(), Mailer(service.mail_settings) as mailer:
            confirmed = Confirmations(service.radar, service.mail_settings).run(mailer, now)
    if as_json:
        echo_json({**report.to_dict(), "profile_confirmations": {
            "sent": len(confirmed.sent) if confirmed else 0, "resent": confirmed.resent if confirmed else [],
            "deferred": len(confirmed.deferred) if confirmed else 0,
            "refused": len(confirmed.refused) if confirmed else 0,
            "aborted": (confirmed.aborted or None) if confirmed else None},
            "seconds": round(time.perf_counter() - started, 2)})
    else:
        for line in report.summary() + (confirmed.summary() if confirmed else []):
            click.echo(line)
    if report.aborted or (confirmed and confirmed.aborted):
        sys.exit(EXIT_ABORTED)
    sys.exit(EXIT_DEFERRED if report.deferred or (confirmed and confirmed.deferred) else EXIT_OK)
