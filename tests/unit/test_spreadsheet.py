"""The one CSV writer: formula-looking cells are neutralised, everything else is kept."""
from __future__ import annotations

import csv
import io

import pytest

from services.common.spreadsheet import csv_text, safe_cell


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1",
                                  '=HYPERLINK("http://evil","x")'])
def test_a_cell_a_spreadsheet_would_run_gets_a_leading_quote(cell):
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell,text", [("Ana Popescu", "Ana Popescu"), ("a=b", "a=b"),
                                       (None, ""), (12, "12"), ("", ""),
                                       ("'=1", "'=1"), ("Ediția I, Revizia 0",
                                                        "Ediția I, Revizia 0")])
def test_other_cells_are_kept_as_they_are(cell, text):
    assert safe_cell(cell) == text


def test_csv_text_reads_back_with_quotes_commas_and_line_breaks():
    rows = [['=A1,"x"', "linie\nnouă"], ["a,b", "ș ț"]]
    assert list(csv.reader(io.StringIO(csv_text(["@h", "b"], rows)))) == [
        ["'@h", "b"], ["'=A1,\"x\"", "linie\nnouă"], ["a,b", "ș ț"]]
