"""How well ``geo`` knows Saxony, measured against official tables.

    python -m evaluation.geo_accuracy [--geo-dir ../shared/data/geo] [--misses]

The tables are only read here, at run time, to score the gazetteer; nothing from them
is copied into the repository. Expected files in ``--geo-dir``:

* ``zuordnung_plz_ort_landkreis.csv`` - postcode, place and district per row.
* ``AuszugGV4QAktuell.csv`` - the municipality register (Gemeindeverzeichnis).
* ``zipcodes.de.csv`` - a second postcode list, with the district in ``community``.

Prints a Markdown table: for each test set the share resolved at all and the share
given the right district.
"""
from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from pathlib import Path

from geo import Gazetteer, normalise_district

_DEFAULT_GEO_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "geo"
_SAXONY_STATE = "Sachsen"
_SAXONY_LAND = "14"


def _postcode_districts(path: Path) -> tuple[dict[str, set[str]], set[str], dict[str, set[str]]]:
    """Saxon postcode -> districts, non-Saxon postcodes, Saxon place name -> districts."""
    saxon: dict[str, set[str]] = defaultdict(set)
    foreign: set[str] = set()
    names: dict[str, set[str]] = defaultdict(set)
    with path.open(encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            if row["bundesland"] != _SAXONY_STATE:
                foreign.add(row["plz"])
                continue
            # The kreisfreie Städte have no Landkreis; their own name is the district.
            district = normalise_district(row["landkreis"] or row["ort"]) or "?"
            saxon[row["plz"]].add(district)
            names[row["ort"]].add(district)
    return saxon, foreign - set(saxon), names


def _zipcode_districts(path: Path) -> dict[str, set[str]]:
    """Saxon postcode -> districts from the second postcode list."""
    saxon: dict[str, set[str]] = defaultdict(set)
    with path.open(encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            if row["state"] == _SAXONY_STATE:
                saxon[row["zipcode"]].add(normalise_district(row["community"]) or "?")
    return saxon


def _municipalities(path: Path) -> list[tuple[str, str, float, float]]:
    """(name, district, lat, lon) of every Saxon municipality in the register."""
    districts: dict[str, str] = {}
    rows = []
    with path.open(encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            if row["land"] != _SAXONY_LAND:
                continue
            if row["satzart"] == "40":
                # 41 = kreisfreie Stadt ("Leipzig, Stadt"), 44 = Landkreis ("Leipzig").
                name = row["gemeindename"]
                if row["textkennzeichen"] == "44":
                    name = "Landkreis " + name
                districts[row["kreis"]] = normalise_district(name) or "?"
            elif row["satzart"] == "60":
                lat = float(row["breitengrad"].replace(",", "."))
                lon = float(row["laengengrad"].replace(",", "."))
                rows.append((row["gemeindename"], row["kreis"], lat, lon))
    return [(name, districts[kreis], lat, lon) for name, kreis, lat, lon in rows]


def evaluate(geo_dir: Path, show_misses: bool = False) -> list[tuple[str, int, int, int]]:
    """Rows of (test set, total, resolved, correct district)."""
    gazetteer = Gazetteer()
    saxon, foreign, place_names = _postcode_districts(geo_dir / "zuordnung_plz_ort_landkreis.csv")
    municipalities = _municipalities(geo_dir / "AuszugGV4QAktuell.csv")
    second_list = _zipcode_districts(geo_dir / "zipcodes.de.csv")
    results = []
    misses: dict[str, list[str]] = defaultdict(list)

    def score(label, cases, find):
        resolved = correct = 0
        for shown, expected, query in cases:
            found = find(query)
            if found is None:
                misses[label].append(f"{shown}: not found (want {'/'.join(sorted(expected))})")
                continue
            resolved += 1
            if found in expected:
                correct += 1
            else:
                misses[label].append(f"{shown}: {found or 'outside'} (want {'/'.join(sorted(expected))})")
        results.append((label, len(cases), resolved, correct))

    def district_of_postcode(postcode):
        place = gazetteer.resolve(postcode=postcode)
        return None if place is None else place.landkreis

    def district_of_postcode_centre(postcode):
        place = gazetteer.resolve(postcode=postcode)
        return None if place is None else gazetteer.landkreis_of(place.lat, place.lon)

    def district_of_town(name):
        place = gazetteer.resolve(town=name)
        return None if place is None else place.landkreis

    score("Saxon postcodes",
          [(p, d, p) for p, d in sorted(saxon.items())], district_of_postcode)
    score("Saxon postcodes (second list)",
          [(p, d, p) for p, d in sorted(second_list.items())], district_of_postcode)
    score("Municipality names (register)",
          [(n, {d}, n) for n, d, _, _ in municipalities], district_of_town)
    score("Place names (postcode table)",
          [(n, d, n) for n, d in sorted(place_names.items())], district_of_town)
    score("Postcode centres (landkreis_of)",
          [(p, d, p) for p, d in sorted(saxon.items())],
          district_of_postcode_centre)
    score("Municipality coordinates (landkreis_of)",
          [(n, {d}, (lat, lon)) for n, d, lat, lon in municipalities],
          lambda point: gazetteer.landkreis_of(*point))
    # Outside Saxony the right answer is "no district".
    score("Other states' postcodes -> outside",
          [(p, {""}, p) for p in sorted(foreign)], district_of_postcode)

    if show_misses:
        for label, lines in misses.items():
            print(f"\n{label}: {len(lines)} misses", file=sys.stderr)
            for line in lines:
                print("  " + line, file=sys.stderr)
    return results


def _markdown(results) -> str:
    lines = ["| Test set | n | resolved | correct district | correct of resolved |",
             "|---|---:|---:|---:|---:|"]
    for label, total, resolved, correct in results:
        lines.append(f"| {label} | {total} | {resolved / total:.1%} | {correct / total:.1%} "
                     f"| {correct / max(resolved, 1):.1%} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--geo-dir", type=Path, default=_DEFAULT_GEO_DIR,
                        help="folder with the official tables (default: %(default)s)")
    parser.add_argument("--misses", action="store_true", help="list every miss on stderr")
    args = parser.parse_args(argv)
    print(_markdown(evaluate(args.geo_dir, args.misses)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
