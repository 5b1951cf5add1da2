"""Funding exports become organisation profiles and known cooperations.

The fixtures are invented rows in the formats of the real files: the EFRE
beneficiary list (comma-separated, numbered German columns) and a PT-DESY
Förderkatalog export (tab-separated, place columns twice).
"""
import shutil
from pathlib import Path

import pytest

from ingest.funding import (
    DEFAULT_DATA_DIR, FundingDataset, clean_topic, guess_kind, load_efre, load_funding,
    load_ptdesy,
)
from ingest.schema import validate_record

from tests.funding_fixtures import BEISPIEL, EFRE, FIXTURES, FRAUNHOFER, LONER, PTDESY, SENSOR, TU  # noqa: F401


@pytest.fixture(scope="module")
def efre() -> FundingDataset:
    return load_efre(EFRE)


@pytest.fixture(scope="module")
def ptdesy() -> FundingDataset:
    return load_ptdesy(PTDESY)


def project_of(dataset, title_start):
    return next(p for p in dataset.projects.values() if p.title.startswith(title_start))


# --------------------------------------------------------------------------- EFRE

def test_beneficiaries_of_one_verbundprojekt_become_cooperations(efre):
    senswind = project_of(efre, "Sensorsystem für Windkraftanlagen")
    assert senswind.joint and senswind.source == "efre"
    assert efre.participants[senswind.id] == [SENSOR, TU, BEISPIEL]
    assert {(a, b) for a, b, pid in efre.cooperations() if pid == senswind.id} == {
        (BEISPIEL, SENSOR), (BEISPIEL, TU), (SENSOR, TU)}


def test_titles_differing_in_case_and_spacing_are_one_project(efre):
    # Row 2 doubles a space, row 3 is lower case: still the same Verbund.
    ids = [p.id for p in efre.projects.values() if "windkraftanlagen" in p.title.lower()]
    assert ids == ["sensorsystem-fuer-windkraftanlagen-senswind"]


def test_a_title_cut_off_by_the_pdf_joins_its_joint_project(efre):
    filtrab = project_of(efre, "Entwicklung eines selbstreinigenden Filtersystems")
    assert filtrab.title.endswith("(FILTRAB)")
    assert efre.participants[filtrab.id] == [BEISPIEL, FRAUNHOFER]


def test_a_verbund_with_one_listed_partner_is_joint_but_no_cooperation(efre):
    chuck = project_of(efre, "Neuartiges Spannfutter")
    assert chuck.joint
    assert chuck not in efre.joint_projects()
    assert chuck in efre.joint_projects(min_partners=1)
    assert all(pid != chuck.id for _, _, pid in efre.cooperations())


def test_a_shared_trade_fair_stand_is_not_a_cooperation(efre):
    fair = project_of(efre, "Hannover Messe 2015")
    stand = project_of(efre, "Gemeinschaftsstand: Sensor+Test")
    # Several firms share the title, even under the Verbund guideline ...
    assert len(efre.participants[fair.id]) == 2 and len(efre.participants[stand.id]) == 2
    # ... but sharing a stand is no joint project.
    assert not fair.joint and not stand.joint
    cooperating_projects = {pid for _, _, pid in efre.cooperations()}
    assert fair.id not in cooperating_projects and stand.id not in cooperating_projects


def test_cooperations_are_ordered_pairs_per_joint_project(efre):
    pairs = efre.cooperations()
    assert all(a < b for a, b, _ in pairs)
    assert len(pairs) == 3 + 1  # SENSWIND (3 partners) and FILTRAB (2 partners)


def test_an_orgs_projects_become_its_profile_text(efre):
    profile = efre.orgs[SENSOR].profile
    assert profile["description"] == (
        "Sensorsystem für Windkraftanlagen (SENSWIND); "
        "Hannover Messe 2015, Hannover, 13.-17.04.2015; "
        "Gemeinschaftsstand: Sensor+Test 2016, Nürnberg.")
    assert efre.orgs[SENSOR].projects == [p.id for p in efre.projects.values()
                                          if SENSOR in efre.participants[p.id]]


def test_the_same_project_twice_is_one_sentence(efre):
    # The TU has two rows (two sub-grants) in SENSWIND.
    assert efre.orgs[TU].profile["description"] == "Sensorsystem für Windkraftanlagen (SENSWIND)."
    assert efre.orgs[TU].profile["extra"]["projects"] == 1


def test_a_summary_that_says_more_than_the_title_is_used(efre):
    mep = project_of(efre, "MEP-Zuschuss")
    assert mep.text == "Herstellung marktfähiger Serienmuster eines neuartigen Spannfutters"
    assert "Herstellung marktfähiger Serienmuster" in efre.orgs[LONER].profile["description"]


def test_description_can_leave_out_a_held_out_project(efre):
    senswind = project_of(efre, "Sensorsystem für Windkraftanlagen")
    text = efre.description(SENSOR, exclude=[senswind.id])
    assert "SENSWIND" not in text and "Hannover Messe" in text


def test_efre_profiles_have_repaired_names_places_and_amounts(efre):
    tu = efre.orgs[TU].profile
    assert tu["name"] == "Technische Universität Musterstadt"
    assert tu["kind"] == "research"
    assert tu["town"] == "Freiberg"                               # "Freiberg, Stadt, Universitätsstadt"
    assert tu["extra"]["funding_eur"] == pytest.approx(21580.38)  # "1580,38" + "20,000.00"
    assert efre.orgs[LONER].profile["town"] == "Seiffen/Erzgeb."  # "Seiffen/Erzgeb., Kurort"
    assert efre.orgs[BEISPIEL].profile["name"] == "Beispiel Produktionstechnik GmbH"
    assert efre.orgs[BEISPIEL].profile["kind"] == "kmu"
    assert "Verbundprojektförderung" in efre.orgs[SENSOR].profile["keywords"]
    assert efre.orgs["efre:stadtverwaltung-musterhausen"].profile["kind"] == "other"


def test_every_profile_passes_validation(efre, ptdesy):
    for dataset in (efre, ptdesy):
        for org_id, org in dataset.orgs.items():
            profile = validate_record(org.profile)
            assert profile.id == org_id
            assert profile.extra["source"] == dataset.name


def test_a_file_in_cp1252_is_read_too(tmp_path):
    legacy = tmp_path / "efre_cp1252.csv"
    legacy.write_bytes(EFRE.read_text(encoding="utf-8").encode("cp1252"))
    assert load_efre(legacy).orgs[TU].profile["name"] == "Technische Universität Musterstadt"


# --------------------------------------------------------------------------- PT-DESY

TUI = "ptdesy:technische-universitaet-dresden-fakultaet-physik-institut-fuer-festkoerper-und-materialphysik"
MPI = "ptdesy:max-planck-institut-fuer-chemische-physik-fester-stoffe"
HH = "ptdesy:universitaet-hamburg-fachbereich-physik-institut-fuer-experimentalphysik"


def test_long_names_get_short_stable_ids(ptdesy):
    leipzig = next(o for o in ptdesy.orgs if "leipzig" in o)
    assert len(leipzig) <= 110 and leipzig == load_ptdesy(PTDESY).orgs[leipzig].profile["id"]


def test_rows_sharing_a_verbundprojekt_value_are_one_joint_project(ptdesy):
    nanospin = ptdesy.projects["05k2099-nanospin"]
    assert nanospin.joint and nanospin.source == "ptdesy"
    # The TU institute has two sub-grants; it is one partner.
    assert ptdesy.participants[nanospin.id] == [TUI, MPI, HH]


@pytest.mark.parametrize("thema, topic", [
    ("Verbundprojekt: Röntgenholographie an Oberflächen - Teilprojekt: Detektorentwicklung",
     "Röntgenholographie an Oberflächen"),
    ("Verbundprojekt 05K2099 - NANOSPIN: Spinwellen. Teilprojekt 1: Probenherstellung",
     "NANOSPIN: Spinwellen"),
    ("Verbundprojekt 05P2018 (ErUM-FSP T01) - Ausbau von ALICE am LHC: Hydrodynamik",
     "Ausbau von ALICE am LHC: Hydrodynamik"),
    ("Verbundprojekt 05K2020 - 2019-06075 Protein-Dyn: Dynamik von Proteinen (Teilprojekt 1)",
     "Protein-Dyn: Dynamik von Proteinen"),
    ("DESY-FEL: Verbund Ausbau eines Messstandes. Teilprojekt 2", "DESY-FEL: Ausbau eines Messstandes"),
    ("Zentimeterwellenlängenbereich.Teilprojekt 1", "Zentimeterwellenlängenbereich"),
    ("FAIR-NUSTAR: NuSTAR.DA GESAMTVORHABEN mehrerer Teilprojekte",
     "FAIR-NUSTAR: NuSTAR.DA GESAMTVORHABEN mehrerer Teilprojekte"),
    ("ATLAS: Datenanalyse am LHC", "ATLAS: Datenanalyse am LHC"),
])
def test_teilprojekt_boilerplate_is_stripped_from_the_title(thema, topic):
    assert clean_topic(thema) == topic


def test_project_text_keeps_the_part_and_the_subject_label(ptdesy):
    holo = ptdesy.projects["roentgenholographie"]
    assert holo.title == "Röntgenholographie an Oberflächen"
    assert holo.text == ("Verbundprojekt: Röntgenholographie an Oberflächen - Teilprojekt: "
                         "Detektorentwicklung. Erforschung kondensierter Materie - Synchrotronstrahlen")
    tu_part = ptdesy.parts[(TUI, holo.id)]
    assert "Rekonstruktionsalgorithmen" in tu_part.text


def test_the_executing_body_not_the_recipient_is_the_organisation(ptdesy):
    # Recipient: the Max-Planck-Gesellschaft in München; executing body: its institute in Dresden.
    mpi = ptdesy.orgs[MPI].profile
    assert mpi["name"] == "Max-Planck-Institut für Chemische Physik fester Stoffe"
    assert mpi["town"] == "Dresden" and mpi["postcode"] == ""
    assert mpi["extra"]["bundesland"] == "Sachsen"
    assert mpi["extra"]["gemeindekennziffer"] == "14612000"
    assert mpi["extra"]["recipient"].startswith("Max-Planck-Gesellschaft")
    assert not any("max-planck-gesellschaft" in org_id for org_id in ptdesy.orgs)


def test_an_empty_verbund_marker_means_a_single_project(ptdesy):
    lmu = "ptdesy:ludwig-maximilians-universitaet-muenchen-fakultaet-fuer-physik"
    singles = [ptdesy.projects[pid] for pid in ptdesy.orgs[lmu].projects]
    assert [p.id for p in singles] == ["05h20mu1", "05h20mu2"]  # the FKZ ('="' and '')
    assert not any(p.joint for p in singles)


def test_withheld_organisations_are_skipped(ptdesy):
    assert not any("keine-anzeige" in org_id for org_id in ptdesy.orgs)


def test_org_profile_from_ptdesy(ptdesy):
    tui = ptdesy.orgs[TUI].profile
    assert tui["kind"] == "research"
    assert tui["description"] == (
        "NANOSPIN: Spinwellen in magnetischen Nanostrukturen; Röntgenholographie an Oberflächen.")
    assert tui["keywords"] == "Erforschung kondensierter Materie - Synchrotronstrahlen"
    assert tui["extra"]["projects"] == 2
    assert tui["extra"]["funding_eur"] == 412000 + 120000 + 180000


def test_saxony_only_keeps_saxon_executing_bodies(ptdesy):
    saxon = load_ptdesy(PTDESY, saxony_only=True)
    names = {org.profile["name"] for org in saxon.orgs.values()}
    assert names == {
        "Technische Universität Dresden - Fakultät Physik - Institut für Festkörper- und Materialphysik",
        "Max-Planck-Institut für Chemische Physik fester Stoffe",
        "Universität Leipzig - Fakultät für Physik und Geowissenschaften - "
        "Felix-Bloch-Institut für Festkörperphysik"}
    assert saxon.participants["05k2099-nanospin"] == [TUI, MPI]
    assert len(saxon.cooperations()) == 2
    assert len(ptdesy.cooperations()) == 3 + 1


# --------------------------------------------------------------------------- kinds, files

@pytest.mark.parametrize("name, kind", [
    ("Technische Universität Dresden", "research"),
    ("Hochschule Mittweida", "research"),
    ("Helmholtz-Zentrum für Umweltforschung GmbH - UFZ", "research"),
    ("Leibniz-Institut für Polymerforschung Dresden e.V.", "research"),
    ("Sächsisches Textilforschungsinstitut e.V.", "research"),
    ("Zentrum für angewandte Forschung und Technologie e.V.", "research"),
    ("Argomotive GmbH Institut für effiziente Antriebstechnik", "kmu"),
    ("Muster Sensorik GmbH", "kmu"),
    ("forcont business technology gmbh", "kmu"),
    ("Beispiel AG", "kmu"),
    ("Datengut Leipzig GmbH + Co KG", "kmu"),
    ("appPlant UG (haftungsbeschränkt)", "kmu"),
    ("Stadtverwaltung Adorf", "other"),
    ("FSV Oschatz e.V.", "other"),
    ("Andrea Muster", "other"),
    ("Leipzig School of Design GmbH", "kmu"),                    # a private school run as a firm
    ("HHL Leipzig Graduate School of Management", "research"),   # a private university
    ("Constructor University Bremen gGmbH - School of Engineering and Science", "research"),
])
def test_kind_is_guessed_from_the_name(name, kind):
    assert guess_kind(name) == kind


def test_load_funding_finds_the_file_in_the_data_dir_or_its_funding_folder(tmp_path):
    (tmp_path / "funding").mkdir()
    shutil.copy(EFRE, tmp_path / "funding" / "EFRE_2014-2020_Verzeichnis.csv")
    shutil.copy(PTDESY, tmp_path / "foerderkatalog_pt-desy.tsv")
    assert load_funding(tmp_path, "efre").name == "efre"
    assert load_funding(tmp_path / "funding", "efre").orgs.keys() == load_efre(EFRE).orgs.keys()
    assert len(load_funding(tmp_path, "ptdesy", saxony_only=True).orgs) == 3


def test_load_funding_explains_what_is_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="efre"):
        load_funding(tmp_path, "efre")
    with pytest.raises(ValueError, match="unknown funding source"):
        load_funding(tmp_path, "esf")


# --------------------------------------------------------------------------- real data

REAL_DATA = Path(__file__).resolve().parents[1] / DEFAULT_DATA_DIR


@pytest.mark.skipif(not REAL_DATA.is_dir(), reason="shared funding data not available")
def test_real_files_match_the_documented_ground_truth():
    efre = load_funding(REAL_DATA, "efre")
    # README (exact titles): 121 joint projects, 83 with 2+ partners. Merging titles
    # that differ only in case/spacing or were cut off gives 115 and 88.
    assert len(efre.joint_projects(min_partners=1)) == 115
    assert len(efre.joint_projects()) == 88
    ptdesy = load_funding(REAL_DATA, "ptdesy")
    multi = ptdesy.joint_projects()
    assert len(multi) == 537  # README: 537 with several executing bodies, ~3.9 partners
    assert sum(len(ptdesy.participants[p.id]) for p in multi) / len(multi) == pytest.approx(3.86, abs=0.05)
    for dataset in (efre, ptdesy):
        for org in dataset.orgs.values():
            validate_record(org.profile)
