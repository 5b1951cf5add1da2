"""Repairs for text damaged by PDF extraction: each case is one rule, read as an example."""
import pytest

from ingest.repair import clean_place, parse_amount, repair_name, repair_text


@pytest.mark.parametrize("broken, repaired", [
    # A line break inside the cell glued two words together.
    ("Technische UniversitätDresden", "Technische Universität Dresden"),
    ("A & E - Applikation undEntwicklung GmbH", "A & E - Applikation und Entwicklung GmbH"),
    ("StadtverwaltungAdorf", "Stadtverwaltung Adorf"),
    ("GEMAC - Gesellschaft fürMikroelektronikanwendungChemnitz mbH",
     "GEMAC - Gesellschaft für Mikroelektronikanwendung Chemnitz mbH"),
    # ... also around legal forms.
    ("AEL Apparatebau GmbHLeisnig", "AEL Apparatebau GmbH Leisnig"),
    ("Apogepha ArzneimittelGmbH", "Apogepha Arzneimittel GmbH"),
    ("Dietmar Huster GmbH & Co.KGSondermaschinen", "Dietmar Huster GmbH & Co.KG Sondermaschinen"),
    ("Zaprado UG(haftungsbeschränkt)", "Zaprado UG (haftungsbeschränkt)"),
    ("Zentrum für angewandte Forschung und Technologiee.V.",
     "Zentrum für angewandte Forschung und Technologie e.V."),
    ("Fraunhofer-Gesellschaftzur Förderung", "Fraunhofer-Gesellschaft zur Förderung"),
    ("C.A. Götz jr. Gesellschaftmit beschränkterHaftung",
     "C.A. Götz jr. Gesellschaft mit beschränkter Haftung"),
    ("Advanced Machinery &Technology Chemnitz GmbH", "Advanced Machinery & Technology Chemnitz GmbH"),
    # A word-wrap hyphen stayed in the word.
    ("Beispiel Produktions-technik GmbH", "Beispiel Produktionstechnik GmbH"),
    ("ABX CRO advanced pharmaceu-tical services", "ABX CRO advanced pharmaceutical services"),
    ("ERMAFA Sondermaschinen-und Anlagenbau GmbH", "ERMAFA Sondermaschinen- und Anlagenbau GmbH"),
])
def test_pdf_damage_in_names_is_repaired(broken, repaired):
    assert repair_name(broken) == repaired


@pytest.mark.parametrize("name", [
    # Legal forms and abbreviations are not "glued words".
    "Muster Sensorik GmbH", "NaMLab gGmbH", "Seiffener Volkskunst eG", "DeskCenter Solutions AG",
    "Wohnbau GmbH & Co. KG", "Direkt Form Projektgesellschaft mbH",
    "Fraunhofer-Institut für Werkstoff- und Strahltechnik IWS",
    # Brand names in camel case keep their spelling (short parts, see MIN_GLUED_WORD).
    "123 SmartEnergy GmbH", "TechniSat Digital GmbH", "MasterSolution AG", "appPlant UG",
    # An elision hyphen ("Forschungs- und") and real compounds stay.
    "inotec Forschungs- und Entwicklungsgesellschaft mbH", "Otto-von-Guericke-Universität Magdeburg",
    "Chemisch-Technische Gesellschaft mbH", "Lipsia-e-motion UG",
    # Short lowercase prefixes are words of their own, not wrap fragments.
    "afr-consulting GmbH", "pro-beam systems GmbH",
    # Lists of lowercase words are kept as written.
    "Eberhard Rink sanitär-heizung-elektro GmbH",
])
def test_sound_names_are_left_alone(name):
    assert repair_name(name) == name


def test_repair_name_collapses_whitespace():
    assert repair_name("  Muster\n Sensorik   GmbH ") == "Muster Sensorik GmbH"
    assert repair_name(None) == ""


def test_repair_text_keeps_real_hyphens_and_camel_case():
    title = "Multiparametrisches In-vitro-Diagnostikum für die InnoTrans (TopBePro)"
    assert repair_text(title) == title


def test_repair_text_removes_extraction_artefacts():
    assert repair_text("Produktions-\n technik  für\u00adKMU ") == "Produktionstechnik fürKMU"
    assert repair_text(None) == ""


@pytest.mark.parametrize("raw, amount", [
    ("3,000.00", 3000.0),        # English notation in the EFRE list
    ("1580,38", 1580.38),        # German decimal comma in the ESF list
    ("1.234.567,89", 1234567.89),
    ("1,234,567.89", 1234567.89),
    ("3,000", 3000.0),           # a lone separator before three digits groups thousands
    ("4.000 €", 4000.0),
    ("12,5", 12.5),
    ("511292", 511292.0),
    ("-250,00 EUR", -250.0),
])
def test_amounts_in_both_notations(raw, amount):
    assert parse_amount(raw) == pytest.approx(amount)


def test_blank_amount_is_none_and_garbage_raises():
    assert parse_amount("") is None
    assert parse_amount(None) is None
    with pytest.raises(ValueError):
        parse_amount("ca. 3 Mio")


@pytest.mark.parametrize("raw, place", [
    ("Dresden, Stadt", "Dresden"),
    ("Freiberg, Stadt, Universitätsstadt", "Freiberg"),
    ("Seiffen/Erzgeb., Kurort", "Seiffen/Erzgeb."),
    ("Oelsnitz/Vogtl., Stadt", "Oelsnitz/Vogtl."),
    ("Bad Brambach", "Bad Brambach"),
    ("", ""),
])
def test_place_suffixes_are_dropped(raw, place):
    assert clean_place(raw) == place
