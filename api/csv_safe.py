"""CSV downloads that are safe to open in a spreadsheet.

The rule itself lives in ``ingest.csv_safe`` (``safe_cell``, ``csv_text``); this module only
wraps its text in a Flask response."""
from __future__ import annotations

from typing import Iterable, Sequence

from flask import Response

from ingest.csv_safe import csv_text


def csv_response(header: Sequence[str], rows: Iterable[Sequence], filename: str) -> Response:
    # BOM: Excel opens UTF-8 with umlauts correctly only with it.
    body = "\ufeff" + csv_text(header, rows)
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
