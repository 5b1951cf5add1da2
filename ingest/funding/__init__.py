"""Adapters that turn public funding exports into organisation profiles and cooperations.

Two sources, both read at run time from the shared data folder (never copied into
the repository):

* EFRE: Saxony's list of ERDF beneficiaries. One row = one beneficiary in one
  project; rows of the guideline "Verbundprojektförderung" that share a project
  title form one joint project.
* PT-DESY: an export of the federal funding catalogue. One row = one grant; rows
  sharing a ``Verbundprojekt`` value form one joint project. The executing body
  (``Ausführende Stelle``, chair/institute level) is the organisation.

Each loader returns a ``FundingDataset``: organisations as raw profile dicts for
``validate_record``, projects, who took part in what, and the known cooperations
(pairs of partners of a joint project) that the evaluation uses as ground truth.

One module per job: ``efre`` and ``ptdesy`` (the two adapters), ``rows`` (their common
row), ``build`` (rows -> projects and profiles), ``joining`` (fields within the schema's
limits), ``kinds`` (the kind guessed from a name), ``model`` (the dataset), ``files``
(finding and recognising an export). ``python -m ingest.funding [DATA_DIR]`` prints
statistics and load times.
"""
from ingest.funding.efre import load_efre
from ingest.funding.files import DEFAULT_DATA_DIR, SNIFF_BYTES, SOURCES, find_funding_file, load_funding, sniff_format
from ingest.funding.kinds import guess_kind
from ingest.funding.model import FundingDataset, FundingOrg, Part, Project
from ingest.funding.ptdesy import clean_topic, load_ptdesy

__all__ = ["DEFAULT_DATA_DIR", "SNIFF_BYTES", "SOURCES", "FundingDataset", "FundingOrg", "Part", "Project",
           "clean_topic", "find_funding_file", "guess_kind", "load_efre", "load_funding", "load_ptdesy",
           "sniff_format"]
