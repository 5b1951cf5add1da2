"""``partnerradar innoslam …``: Inno Slam planning on the command line (mirrors /api/v1/innoslam)."""
from __future__ import annotations


import click

from matcher.request import BadRequest
from partnerradar.cli_common import _fail, _radar, db_option, echo_json


def _run(action):
    from vocabulary.errors import NotFound

    try:
        return action()
    except (BadRequest, NotFound) as exc:
        _fail(str(exc))


def _num(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def _firms(count: int) -> str:
    return "1 passende Firma" if count == 1 else f"{count} passende Firmen"


@click.group()
def innoslam():
    """Inno Slam planen: Publikum, Programm und Tour."""


@innoslam.command()
@click.argument("topic", required=False, default="")
@click.option("--profile", "profile_id", default="", help="ID eines Forschungsprofils statt eines Themas.")
@click.option("--districts", "top_districts", type=int, default=13, show_default=True,
              help="Wie viele Landkreise aufgelistet werden.")
@click.option("--firms", "firms_per_district", type=int, default=8, show_default=True,
              help="Einzuladende Firmen je Landkreis.")
@click.option("--json", "as_json", is_flag=True, help="Genau den JSON-Body der API ausgeben.")
@db_option
@click.pass_context
def audience(ctx, topic, profile_id, top_districts, firms_per_district, as_json):
    """Landkreise mit dem passendsten Publikum für ein Thema.

    Entweder TOPIC beschreibt das Thema auf Deutsch, oder --profile nennt ein
    Forschungsprofil, für das ein Publikum gesucht wird.
    """
    import innoslam

    radar = _radar(ctx)
    body = _run(lambda: innoslam.audience(radar, topic=topic, profile_id=profile_id,
                                         top_districts=top_districts, firms_per_district=firms_per_district))
    if as_json:
        return echo_json(body)
    shown = [d for d in body["districts"] if d["matching_firms"]]
    if not shown:
        click.echo("In keinem Landkreis passen Firmen gut zu diesem Thema.")
    for n, d in enumerate(shown, 1):
        venue = f"; Veranstaltungsort: {d['venue']}" if d["venue"] else ""
        click.echo(f"{n:2d}. {d['name']}: {_num(d['score'])} ({_firms(d['matching_firms'])}{venue})")
        for firm in d["firms"]:
            terms = ", ".join(firm.get("explanation", {}).get("shared_terms", [])[:4])
            click.echo(f"      [{firm['score']:3d}] {firm['name']} ({firm['town']})  id={firm['id']}"
                       + (f"  – {terms}" if terms else ""))


@innoslam.command()
@click.option("--district", default="", help="Landkreis, z. B. Erzgebirgskreis.")
@click.option("--town", default="", help="Ort oder Postleitzahl (mit --radius-km) statt eines Landkreises.")
@click.option("--radius-km", type=float, default=None, help="Umkreis um --town in km (Standard: 30).")
@click.option("-n", "--talks", "n", type=int, default=5, show_default=True,
              help="Anzahl der Vorträge im Programm.")
@click.option("--candidate", "candidates", multiple=True, help="Nur diese Forschungsprofile (wiederholbar).")
@click.option("--json", "as_json", is_flag=True, help="Genau den JSON-Body der API ausgeben.")
@db_option
@click.pass_context
def programme(ctx, district, town, radius_km, n, candidates, as_json):
    """Ein Programm aus N Vorträgen für eine Region.

    Die Vorträge behandeln verschiedene Themen. Die Region ist ein Landkreis (--district) oder
    der Umkreis um einen Ort (--town, --radius-km).
    """
    import innoslam

    radar = _radar(ctx)
    body = _run(lambda: innoslam.plan_programme(radar, district, town, radius_km, n, list(candidates) or None))
    if as_json:
        return echo_json(body)
    click.echo(f"Programm für {body['region']}: erwartetes Publikum {body['expected_audience']} "
               f"von {body['firms_in_region']} Firmen")
    if not body["talks"]:
        click.echo("Keine Forschungsprofile passen zu den Firmen dieser Region.")
    for i, talk in enumerate(body["talks"], 1):
        click.echo(f"{i:2d}. {talk['name']} ({talk['town']}): {_num(talk['score'])}, "
                   f"{_firms(talk['expected_audience'])} – {', '.join(talk['subject'][:3])}  id={talk['id']}")
    for skipped in body["same_subject_skipped"]:
        click.echo(f"    ausgelassen (gleiches Thema wie {skipped['same_subject_as']}): {skipped['name']}")


@innoslam.command()
@click.argument("scientist_ids", nargs=-1, required=True)
@click.option("--events", "n_events", type=int, required=True, help="Anzahl der Veranstaltungen.")
@click.option("--talks-per-event", type=int, default=None,
              help="Vorträge je Veranstaltung (Standard: 4–6, je nach Anmeldungen).")
@click.option("--district", "districts", multiple=True,
              help="Landkreise der Veranstaltungen festlegen (wiederholbar).")
@click.option("--json", "as_json", is_flag=True, help="Genau den JSON-Body der API ausgeben.")
@db_option
@click.pass_context
def tour(ctx, scientist_ids, n_events, talks_per_event, districts, as_json):
    """Angemeldete Wissenschaftler auf Veranstaltungen verteilen.

    SCIENTIST_IDS sind die Profil-IDs der Angemeldeten; die Veranstaltungen finden in den
    Landkreisen statt, deren Firmen am besten passen (oder in denen von --district).
    """
    import innoslam

    radar = _radar(ctx)
    body = _run(lambda: innoslam.plan_tour(radar, list(scientist_ids), n_events, talks_per_event, list(districts) or None))
    if as_json:
        return echo_json(body)
    for i, event in enumerate(body["events"], 1):
        venue = f" in {event['venue']}" if event["venue"] else ""
        click.echo(f"Veranstaltung {i}: {event['district']}{venue} (Summe {_num(event['score'])})")
        for talk in event["talks"]:
            click.echo(f"    {talk['name']}: {_num(talk['score'])}, {_firms(talk['expected_audience'])}"
                       f"  id={talk['id']}")
    if body["not_assigned"]:
        click.echo("Nicht eingeplant: " + ", ".join(body["not_assigned"]))
