"""Import a public funding export (EFRE beneficiary list, Förderkatalog PT-DESY) into a Radar.

``ingest.funding`` turns the export into organisation profiles and joint projects.
Here the profiles are stored like any other profile (``Radar.ingest_rows``: validate,
geocode, split into passages, embed), and every pair of partners of a joint project
becomes a known cooperation, which feeds the matcher's network signal.
"""
from __future__ import annotations

from pathlib import Path

from ingest.funding import FundingDataset, load_efre, load_ptdesy
from ingest.pipeline import IngestReport
from ingest.readers import Row, UnusableFile

LOADERS = {"efre": load_efre, "ptdesy": load_ptdesy}


def load_dataset(path, fmt: str) -> FundingDataset:
    """The export at ``path`` read by the adapter for ``fmt`` ('efre' | 'ptdesy')."""
    if fmt not in LOADERS:
        raise ValueError(f"Unbekanntes Förderformat „{fmt}“ (erwartet: {', '.join(LOADERS)})")
    path = Path(path)
    if not path.is_file():
        raise UnusableFile(f"{path}: Datei nicht gefunden")
    try:
        return LOADERS[fmt](path)
    except (ValueError, UnicodeError) as exc:   # empty file, columns of another format
        raise UnusableFile(f"{path}: {exc}") from exc


def import_funding(radar, path, fmt: str, merge_duplicates: bool = False) -> IngestReport:
    """Load the export and store its organisations (source ``fmt``) and cooperations."""
    return store_dataset(radar, load_dataset(path, fmt), str(path), merge_duplicates)


#: What the command line calls each export when it recognises one.
FORMAT_LABELS = {"efre": "EFRE-Begünstigtenliste", "ptdesy": "Export des Förderkatalogs"}


def grouping_summary(dataset: FundingDataset) -> str:
    """Why an export of 2,256 rows gives 1,325 profiles, in a German sentence."""
    joint = len(dataset.joint_projects())
    return (f"{dataset.source_rows} Zeilen des Exports zu {len(dataset.orgs)} Organisationen "
            f"zusammengefasst ({len(dataset.projects)} Vorhaben, davon {joint} Verbundprojekte "
            f"mit mehreren Partnern)")


def store_dataset(radar, dataset: FundingDataset, label: str = "",
                  merge_duplicates: bool = False, progress: bool = False, guard=None) -> IngestReport:
    """Store an already loaded dataset; ``label`` names it in the report. ``guard`` (rows ->
    rows) may turn rows its caller must not write into rejected ones (a manager's upload)."""
    report = IngestReport(file=label or dataset.name)
    # An organisation has no line of its own in the export: number them in order.
    rows = [Row(n, record=org.profile, raw=org_id)
            for n, (org_id, org) in enumerate(dataset.orgs.items(), start=1)]
    if guard is not None:
        rows = list(guard(rows))
    radar.ingest_rows(rows, report, source=dataset.name, progress=progress)
    stored = set(report.ids)
    radar.add_cooperations(
        (a, b, pid, dataset.projects[pid].title, dataset.name)
        for a, b, pid in dataset.cooperations() if a in stored and b in stored)
    if merge_duplicates:
        # Merged only now, so that ``Radar.merge`` carries the cooperations over.
        from partnerradar.radar import MergeRefused

        for pair in report.duplicates:
            if radar.store.get_profile(pair.a) and radar.store.get_profile(pair.b):
                try:
                    report.merged.append(radar.merge(pair.a, pair.b))
                except MergeRefused as exc:        # left for a person, reported in German
                    report.merge_refused.append((pair.a, pair.b, str(exc)))
    return report
