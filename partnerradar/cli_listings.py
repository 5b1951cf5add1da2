"""``partnerradar listing …``: offers and requests on the command line (mirrors /api/v1/listings).

The command line is the operator's: it shows every owner, also of anonymous listings.
"""
from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from ingest.readers import UnusableFile
from partnerradar.cli_common import (EXIT_OK, EXIT_REJECTED, EXIT_UNUSABLE, _fail, _radar, _settings, db_option,
                                     echo_file_report, echo_json, file_exit_code)


def _service(ctx):
    from listings.service import Listings

    return Listings(_radar(ctx))


def _date(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%d.%m.%Y")


def load_demo_listings(radar) -> None:
    """The bundled fictitious offers and requests (``partnerradar demo`` calls this)."""
    from listings.importer import import_demo
    from listings.service import Listings
    from partnerradar.config import DEMO_LISTINGS

    report = import_demo(Listings(radar), DEMO_LISTINGS)
    click.echo(f"Demo-Angebote und -Gesuche: {report.inserted} neu, {report.updated} geändert, "
               f"{report.unchanged} unverändert, {len(report.rejected)} abgelehnt", err=True)
    for rejected in report.rejected:
        click.echo(str(rejected), err=True)


@click.group()
def listing():
    """Angebote und Gesuche einstellen und abgleichen."""


@listing.command()
@click.option("--profile", "profile_id", required=True, help="ID des Profils, dem der Eintrag gehört.")
@click.option("--type", "type_", required=True,
              help="Typ, z. B. „Abwärme verfügbar“, „Wärme gesucht“, „Reststoff/Nebenprodukt“, heat_offer.")
@click.option("--title", required=True, help="Kurzer Titel.")
@click.option("--text", default="", help="Beschreibung auf Deutsch.")
@click.option("--material", default="", help="Material (bei Reststoffen und Sekundärrohstoffen).")
@click.option("--waste-code", default="", help="Abfallschlüssel nach AVV, sechs Ziffern (z. B. 07 02 13).")
@click.option("--quantity", default="", help="Menge, z. B. 20 oder 2,5.")
@click.option("--unit", default="", help="Einheit: t, kg, m³, l, Stück (auch „t/Jahr“).")
@click.option("--period", default="", help="Zeitraum: Jahr, Monat, Woche, Tag, einmalig.")
@click.option("--temperature", "temperature_c", default="", help="Temperatur in °C (Wärme).")
@click.option("--power", "power_kw", default="", help="Leistung in kW (Wärme).")
@click.option("--process", default="", help="Verfahren oder Maschine (Fertigungskapazität).")
@click.option("--hours", "hours_per_month", default="", help="Maschinenstunden pro Monat.")
@click.option("--postcode", default="", help="Postleitzahl des Standorts (Standard: der des Profils).")
@click.option("--town", default="", help="Ort des Standorts (Standard: der des Profils).")
@click.option("--anonymous", is_flag=True, help="Besitzer nur dem Innovationsmanagement zeigen.")
@click.option("--json", "as_json", is_flag=True, help="Genau den JSON-Body der API ausgeben.")
@db_option
@click.pass_context
def add(ctx, as_json, anonymous, **fields):
    """Ein Angebot oder Gesuch einstellen.

    Danach zeigt der Befehl die fünf besten Gegenstücke mit Begründung.
    """
    from listings.model import ListingError

    service = _service(ctx)
    record = {**fields, "type": fields.pop("type_"), "visibility": "anonymous" if anonymous else "public"}
    try:
        created = service.create(record, source="cli")
    except ListingError as exc:
        _fail(str(exc))
    owner = service.radar.store.get_profile(created["profile_id"])
    if as_json:
        return echo_json(service.view(created, owner, True))
    click.echo(f"Eingestellt: {created['id']} ({_label(created)}), gültig bis {_date(created['expires_at'])}")
    _print_hits(service, service.matches(created["id"], limit=5))


def _label(listing: dict) -> str:
    from listings.types import TYPES

    return TYPES[listing["type"]].label


@listing.command("list")
@click.option("--profile", "profile_id", default=None, help="Nur Einträge dieses Profils.")
@click.option("--type", "type_", default=None, help="Nur dieser Typ (z. B. heat_offer).")
@click.option("--landkreis", default=None, help="Nur Einträge in diesem Landkreis.")
@click.option("--limit", type=int, default=50, show_default=True, help="Höchstens so viele Einträge.")
@click.option("--json", "as_json", is_flag=True, help="Genau den JSON-Body der API ausgeben.")
@db_option
@click.pass_context
def list_(ctx, profile_id, type_, landkreis, limit, as_json):
    """Angebote und Gesuche auflisten (neueste zuerst)."""
    from geo import normalise_district
    from listings.model import parse_type, ListingError

    service = _service(ctx)
    try:
        type_ = parse_type(type_) if type_ else None
    except ListingError as exc:
        _fail(str(exc))
    if landkreis and normalise_district(landkreis) is None:
        _fail(f"Unbekannter Landkreis „{landkreis}“")
    rows, total = service.store.list(profile_id=profile_id, type_=type_,
                                     landkreis=normalise_district(landkreis) if landkreis else None,
                                     limit=max(1, min(limit, 1000)))
    owners = service.owners(rows)
    if as_json:
        return echo_json({"total": total, "listings": [service.view(r, owners.get(r["profile_id"]), True)
                                                        for r in rows]})
    if not rows:
        click.echo("Keine Einträge gefunden.")
    for r in rows:
        owner = owners.get(r["profile_id"]) or {}
        anonymous = " (anonym)" if r["visibility"] == "anonymous" else ""
        click.echo(f"{r['id']}  {_label(r)}: {r['title']} – {owner.get('name', r['profile_id'])}{anonymous}, "
                   f"{r['town'] or r['landkreis']}; Status: {_status(r)}; gültig bis {_date(r['expires_at'])}")
    if total > len(rows):
        click.echo(f"… {total - len(rows)} weitere (--limit)")


def _status(listing: dict) -> str:
    from listings.types import STATUSES

    return STATUSES[listing["status"]]


def _print_hits(service, hits) -> None:
    if not hits:
        click.echo("Keine passenden Angebote oder Gesuche gefunden.")
    owners = service.owners([h.listing for h in hits])
    for n, hit in enumerate(hits, 1):
        owner = owners.get(hit.listing["profile_id"]) or {}
        anonymous = " (anonym)" if hit.listing["visibility"] == "anonymous" else ""
        click.echo(f"{n:2d}. [{hit.score:3d}] {hit.listing['title']} – {owner.get('name', '')}{anonymous} "
                   f"({_label(hit.listing)})  id={hit.listing['id']}")
        click.echo(f"      {hit.explanation}")


@listing.command()
@click.argument("listing_id")
@click.option("--top", type=int, default=10, show_default=True, help="Höchstens so viele Treffer.")
@click.option("--json", "as_json", is_flag=True, help="Genau den JSON-Body der API ausgeben.")
@db_option
@click.pass_context
def matches(ctx, listing_id, top, as_json):
    """Passende Gegenstücke zu einem Eintrag zeigen.

    Zu einem Angebot die Gesuche, zu einem Gesuch die Angebote, je mit Begründung.
    """
    from listings.service import ListingNotFound

    service = _service(ctx)
    try:
        hits = service.matches(listing_id, limit=top)
    except ListingNotFound as exc:
        _fail(str(exc), 1)
    if as_json:
        listing = service.store.get(listing_id)
        return echo_json({"listing": service.view(listing, service.radar.store.get_profile(listing["profile_id"]),
                                                   True), "matches": service.hits_view(hits, True)})
    _print_hits(service, hits)


@listing.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Bericht als JSON ausgeben.")
@db_option
@click.pass_context
def import_(ctx, files, as_json):
    """Angebote und Gesuche aus Dateien einlesen.

    FILES sind CSV- oder JSON-Lines-Dateien.
    Exit-Code 0: alle Zeilen übernommen, 3: einzelne Zeilen abgelehnt (je eine Zeile
    DATEI:ZEILE: Grund), 1: eine Datei ist unbrauchbar.
    """
    from listings.importer import import_listings

    service = _service(ctx)
    rejects_dir = service.radar.settings.db_path.with_suffix(".rejects")
    code = EXIT_OK
    for file in files:
        try:
            report = import_listings(service, file, rejects_dir=rejects_dir)
        except UnusableFile as exc:
            click.echo(str(exc), err=True)
            code = EXIT_UNUSABLE
            continue
        if as_json:
            echo_json(report.to_dict(), indent=None)
        else:
            echo_file_report(report, f"{file}: {report.read} Zeilen gelesen, {report.inserted} neu, "
                                     f"{report.updated} geändert, {len(report.rejected)} abgelehnt")
        code = file_exit_code(code, report)
    sys.exit(code)


@listing.command()
@click.argument("listing_id")
@click.argument("status", type=click.Choice(["offen", "in Gesprächen", "erledigt"]))
@db_option
@click.pass_context
def status(ctx, listing_id, status):
    """Den Status eines Eintrags setzen.

    STATUS ist offen, „in Gesprächen“ oder erledigt.
    """
    from listings.service import ListingNotFound

    try:
        _service(ctx).update(listing_id, {"status": status})
    except ListingNotFound as exc:
        _fail(str(exc), 1)
    click.echo(f"{listing_id}: Status „{status}“", err=True)


@listing.command()
@click.argument("listing_id")
@db_option
@click.pass_context
def renew(ctx, listing_id):
    """Einen Eintrag um sechs Monate verlängern."""
    from listings.service import ListingNotFound

    try:
        renewed = _service(ctx).renew(listing_id)
    except ListingNotFound as exc:
        _fail(str(exc), 1)
    click.echo(f"{listing_id}: gültig bis {_date(renewed['expires_at'])}", err=True)


@listing.command()
@click.argument("ids", nargs=-1, required=True)
@db_option
@click.pass_context
def delete(ctx, ids):
    """Einträge löschen."""
    removed = _service(ctx).delete(list(ids))
    click.echo(f"{removed} Eintrag/Einträge gelöscht", err=True)
    if removed < len(set(ids)):
        _fail("nicht alle gefunden", 1)


@listing.command()
@click.option("--send", is_flag=True, help="Erinnerungen wirklich per E-Mail verschicken (sonst nur auflisten).")
@click.option("--json", "as_json", is_flag=True, help="Ergebnis als JSON ausgeben.")
@db_option
@click.pass_context
def remind(ctx, send, as_json):
    """An bald ablaufende Einträge erinnern (für cron).

    Einträge, die in den nächsten 14 Tagen ablaufen: auflisten, mit --send die Besitzer per
    E-Mail erinnern (einmal je Verlängerung).
    """
    from listings.reminders import remind as run

    result = run(_service(ctx), _settings(ctx).mail, send=send)
    if as_json:
        return echo_json({"reminders": result})
    if not result:
        click.echo("Keine Einträge laufen in den nächsten 14 Tagen ab.")
    for entry in result:
        click.echo(f"{entry['id']}  „{entry['title']}“ ({entry['profile_id']}) läuft am {_date(entry['expires_at'])} "
                   f"ab: {entry['state']}")
    if any(e["state"].startswith("nicht zugestellt") for e in result):
        sys.exit(EXIT_REJECTED)


@listing.command()
@click.option("--landkreis", default="", help="Landkreis, z. B. Mittelsachsen.")
@click.option("--town", default="", help="Ort oder Postleitzahl (mit --radius-km) statt eines Landkreises.")
@click.option("--radius-km", type=float, default=None, help="Umkreis um --town in km (Standard: 20).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None,
              help="Alle Paare als CSV in diese Datei schreiben.")
@click.option("--json", "as_json", is_flag=True, help="Ergebnis als JSON ausgeben.")
@db_option
@click.pass_context
def region(ctx, landkreis, town, radius_km, csv_path, as_json):
    """Das Potenzial einer Region zeigen.

    Alle passenden Paare aus Angebot und Gesuch in einem Landkreis oder Umkreis, mit Summen je
    Stoff- und Energiestrom.
    """
    from ingest.csv_safe import csv_text
    from listings.potential import CSV_HEADER, RegionError, csv_rows, potential, resolve_region

    service = _service(ctx)
    try:
        area = resolve_region(service.radar, landkreis, town, radius_km)
    except RegionError as exc:
        _fail(str(exc))
    result = potential(service, area)
    owners = service.owners([p[s] for p in result["pairs"] for s in ("offer", "request")])
    if csv_path:
        Path(csv_path).write_text("\ufeff" + csv_text(CSV_HEADER, csv_rows(result["pairs"], owners, lambda _p: True)),
                                  encoding="utf-8")
    if as_json:
        return echo_json({"region": result["region"], "totals": result["totals"],
                           "pairs": [{"offer": p["offer"]["id"], "request": p["request"]["id"],
                                      "score": p["hit"].score, "mutual": p["hit"].mutual,
                                      "explanation": p["hit"].explanation} for p in result["pairs"]]})
    click.echo(f"Potenzial {result['region']}: {result['listings']} aktive Einträge, "
               f"{len(result['pairs'])} mögliche Partnerschaften")
    for total in result["totals"]:
        click.echo(f"  {total['text']}")
    for p in result["pairs"]:
        click.echo(f"  {p['offer']['title']} → {p['request']['title']}: {p['hit'].explanation}")
