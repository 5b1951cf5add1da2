"""``partnerradar digest`` and ``partnerradar subscriber``: the weekly run and the subscriber data.

Mounted in ``partnerradar.cli`` with ``main.add_command``; mirrors ``digest.runner.Digest`` and
``digest.subscriptions.SubscriptionStore``. Exit codes of ``digest send`` (cron-friendly):
0 the week is done, 3 some mails could not be delivered yet (the next run tries again),
1 the run was stopped (SMTP server unreachable, or another run is going on).
"""
from __future__ import annotations

import sys
import time

import click

from partnerradar.cli_common import (EXIT_ABORTED, EXIT_DEFERRED, EXIT_OK, _fail, _mail_settings, _radar, db_option,
                                     echo_json, echo_report)

def _digest(ctx):
    from digest.runner import Digest

    radar = _radar(ctx)
    return Digest(radar, _mail_settings(radar))


@click.group()
def digest():
    """Der wöchentliche Digest: neue passende Partner per E-Mail."""


@digest.command()
@click.option("--week", default=None, help="Kalenderwoche, z. B. 2026-W48 (Standard: die aktuelle).")
@click.option("--dry-run", is_flag=True, help="Nichts verschicken: .eml-Dateien in --out schreiben.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Ordner für --dry-run (Standard: digest-WOCHE).")
@click.option("--json", "as_json", is_flag=True, help="Bericht als JSON ausgeben.")
@db_option
@click.pass_context
def send(ctx, week, dry_run, out_dir, as_json):
    """Den Digest der Woche verschicken.

    An alle bestätigten Abonnenten, genau einmal pro Woche. Exit-Code 0: die Woche ist erledigt,
    3: einige E-Mails noch nicht zugestellt (der nächste Lauf versucht es wieder), 1: Lauf
    abgebrochen (SMTP-Server nicht erreichbar oder ein anderer Lauf ist im Gang).
    """
    from digest.delivery import RunLocked

    service = _digest(ctx)
    try:
        report = service.send_week(week, dry_run=dry_run, out_dir=out_dir)
    except ValueError as exc:
        _fail(str(exc))
    except RunLocked as exc:
        _fail(str(exc), EXIT_ABORTED)
    echo_report(report, as_json)
    if not as_json:
        for path in report.files:
            click.echo(f"  {path}")
    if report.aborted:
        sys.exit(EXIT_ABORTED)
    sys.exit(EXIT_DEFERRED if report.deferred else EXIT_OK)


@digest.command()
@click.option("--json", "as_json", is_flag=True, help="Bericht als JSON ausgeben.")
@db_option
@click.pass_context
def confirmations(ctx, as_json):
    """Wartende Bestätigungsmails verschicken.

    Für cron, z. B. alle 5 Minuten. Anmeldungen über die API werden vom Server im Hintergrund verschickt; was dabei liegen
    blieb (Mailserver nicht erreichbar, Server neu gestartet), schickt dieser Befehl.
    Exit-Code 0: nichts wartet mehr, 3: einige warten noch (späterer Versuch).
    """
    report = _digest(ctx).deliver_registrations(ignore_schedule=True)
    echo_report(report, as_json)
    sys.exit(EXIT_DEFERRED if report.deferred else EXIT_OK)


@digest.command()
@click.argument("firm")
@click.option("--days", type=int, default=None,
              help="Zeitraum in Tagen (Standard: seit dem letzten Digest des Abos, sonst 7).")
@click.option("--html", "html_file", type=click.Path(dir_okay=False), default=None,
              help="Den HTML-Teil zusätzlich in diese Datei schreiben.")
@db_option
@click.pass_context
def preview(ctx, firm, days, html_file):
    """Den nächsten Digest für FIRM ansehen (ohne zu senden).

    Zeigt, was der nächste Digest für das Profil FIRM enthielte.
    """
    from digest.selection import Changes
    from digest.subscriptions import Preferences, Subscription
    from vocabulary.errors import NotFound

    service = _digest(ctx)
    try:
        profile = service.radar.get_profile(firm)
    except NotFound:
        _fail(f"Profil „{firm}“ nicht gefunden")
    subs = [s for s in service.subscriptions.of_profile(firm) if s.status != "unsubscribed"]
    now = time.time()
    if subs:
        sub = subs[0]
    else:   # no subscriber yet: what a new one with default settings would get
        sub = Subscription(id="vorschau", profile_id=firm, email="vorschau@partnerradar.invalid",
                           status="confirmed", preferences=Preferences(), created_at=now - 7 * 86400,
                           updated_at=now)
    if days is not None:
        sub.last_cutoff = now - days * 86400
    picks = service.picks(sub, Changes(service.radar.store, sub.since, now))
    since = time.strftime("%d.%m.%Y %H:%M", time.localtime(sub.since))
    if not picks:
        click.echo(f"Keine neuen passenden Partner für {profile['name']} seit {since} – es ginge keine E-Mail raus.")
        return
    from digest.render import current_week

    msg = service.renderer.digest(sub, profile, picks, current_week())
    click.echo(f"Betreff: {msg['Subject']}")
    click.echo(f"Zeitraum: seit {since}\n")
    click.echo(msg.get_body(("plain",)).get_content())
    if html_file:
        with open(html_file, "w", encoding="utf-8") as handle:
            handle.write(msg.get_body(("html",)).get_content())
        click.echo(f"HTML-Teil geschrieben: {html_file}", err=True)


@click.group()
def subscriber():
    """Abonnenten des Digests verwalten.

    Anmelden, auflisten, gespeicherte Daten ausgeben, löschen.
    """


@subscriber.command("add")
@click.argument("firm")
@click.argument("email")
@click.option("--radius-km", type=float, default=None, help="Umkreis um den Standort der Firma.")
@click.option("--kind", "kinds", multiple=True, help="kmu, research, startup, other (wiederholbar).")
@click.option("--topic", "topics", multiple=True, help="Schwerpunkt (wiederholbar).")
@click.option("--exclude-topic", "exclude_topics", multiple=True, help="Ausgeschlossenes Thema (wiederholbar).")
@db_option
@click.pass_context
def add(ctx, firm, email, radius_km, kinds, topics, exclude_topics):
    """FIRM mit EMAIL für den Digest anmelden.

    Verschickt die Bestätigungsmail (Double-Opt-in); das Abo gilt erst nach der Bestätigung.
    Ist die Adresse schon bestätigt, bekommt sie eine E-Mail mit neuen Links.
    """
    from digest.subscriptions import Preferences
    from matcher.request import BadRequest
    from vocabulary.errors import NotFound

    service = _digest(ctx)
    try:
        prefs = Preferences.from_dict({"radius_km": radius_km, "kinds": list(kinds), "topics": list(topics),
                                       "exclude_topics": list(exclude_topics)})
        service.radar.get_profile(firm)
        service.subscriptions.request_registration(firm, email, prefs)
    except NotFound:
        _fail(f"Profil „{firm}“ nicht gefunden")
    except BadRequest as exc:
        _fail(str(exc))
    # The same way as a registration over HTTP (and the same limit of mails per address).
    report = service.deliver_registrations(ignore_schedule=True)
    for line in report.summary():
        click.echo(line, err=True)
    if report.unreachable:
        _fail(f"Bestätigungsmail nicht verschickt: {report.unreachable} (wird später wiederholt: "
              f"'partnerradar digest confirmations')", EXIT_ABORTED)
    click.echo(f"{firm}: angemeldet; das Abo gilt erst nach der Bestätigung")


@subscriber.command("list")
@click.option("--json", "as_json", is_flag=True, help="Als JSON ausgeben.")
@db_option
@click.pass_context
def list_(ctx, as_json):
    """Alle Abos (Adressen nur gekürzt)."""
    service = _digest(ctx)
    rows = service.subscriptions.conn.execute("SELECT id FROM subscriptions ORDER BY profile_id, created_at")
    subs = [service.subscriptions.get(r[0]).public() for r in rows.fetchall()]
    if as_json:
        echo_json(subs)
        return
    for s in subs:
        click.echo(f"{s['id']}  {s['profile_id']}  {s['status']:<12} {s['email']}")
    if not subs:
        click.echo("Keine Abos.", err=True)


@subscriber.command()
@click.argument("firm")
@db_option
@click.pass_context
def export(ctx, firm):
    """Alles, was über die Abonnenten von FIRM gespeichert ist, als JSON."""
    echo_json(_digest(ctx).subscriptions.export_profile(firm))


@subscriber.command()
@click.argument("firm")
@db_option
@click.pass_context
def erase(ctx, firm):
    """Abos von FIRM samt Versandprotokoll löschen (das Profil bleibt)."""
    n = _digest(ctx).subscriptions.erase_profile(firm)
    click.echo(f"{n} Abo(s) von {firm} gelöscht", err=True)
