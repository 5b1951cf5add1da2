"""CSV downloads that are safe to open in a spreadsheet (see ``ingest.csv_safe``)."""
from __future__ import annotations

from typing import Iterable, Sequence

from flask import Response

from ingest.csv_safe import FORMULA_STARTS, csv_text, safe_cell

__all__ = ["FORMULA_STARTS", "csv_response", "csv_text", "safe_cell"]


def csv_response(header: Sequence[str], rows: Iterable[Sequence], filename: str) -> Response:
    # BOM: Excel opens UTF-8 with umlauts correctly only with it.
    body = "\ufeff" + csv_text(header, rows)
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
