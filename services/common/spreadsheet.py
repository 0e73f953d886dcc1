"""The one way Procedura writes CSV (the register, acknowledgement reports, the audit
trail): a cell that a spreadsheet program would take for a formula is neutralised.

A title such as `=HYPERLINK("http://evil","x")` typed into a document would otherwise run
as a formula on the quality office's computer when the report is opened (CSV injection).
As OWASP recommends, a cell starting with `=`, `+`, `-`, `@`, tab or carriage return gets
a single quote in front: spreadsheets then show it as the text it is. Cells holding the
delimiter, quotes or line breaks are quoted by the csv module, so no formula can start
mid-cell either."""
from __future__ import annotations

import csv
import io
from typing import Any, Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """The cell's text, with a leading quote when a spreadsheet would read a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_text(columns: Iterable[Any], rows: Iterable[Iterable[Any]]) -> str:
    """A header line and one line per row, every cell through safe_cell."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(c) for c in columns])
    writer.writerows([safe_cell(c) for c in row] for row in rows)
    return out.getvalue()
