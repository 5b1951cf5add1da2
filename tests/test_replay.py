"""The replay's bookkeeping (evaluation/replay.py) on the invented Förderkatalog sample."""
from __future__ import annotations

from datetime import date

from evaluation.replay import outcome_rows, start_dates
from ingest.funding import load_ptdesy
from tests.funding_fixtures import PTDESY


def test_a_joint_project_starts_with_its_earliest_row_and_single_grants_have_no_start(tmp_path):
    lines = PTDESY.read_text("utf-8").splitlines(keepends=True)
    # One partner of NANOSPIN started half a year before the others.
    lines[2] = lines[2].replace("01.07.2020", "01.01.2020", 1)
    sample = tmp_path / "foerderkatalog.tsv"
    sample.write_text("".join(lines), "utf-8")
    starts = start_dates(sample)
    assert starts == {"05k2099-nanospin": date(2020, 1, 1), "roentgenholographie": date(2020, 7, 1)}
    dataset = load_ptdesy(sample)
    assert set(starts) == {p.id for p in dataset.joint_projects()}    # the same ids as the import's


def test_a_replayed_outcome_is_written_as_an_introduction_would_write_it():
    dataset = load_ptdesy(PTDESY)
    rows = list(outcome_rows(dataset, ["05k2099-nanospin"]))
    assert len(rows) == 3                                              # every pair of its three partners
    assert {(r[3], r[4]) for r in rows} == {("über Partnerradar vermittelt", "partnerradar")}
    assert all(a < b for a, b, *_ in rows)
