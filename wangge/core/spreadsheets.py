"""Spreadsheet writing that never turns data into a formula (CSV/formula injection).

A person named `=HYPERLINK("http://…","click")`, a case titled `+cmd|…` or an answer starting
with `@SUM(…)` must reach the reader of an export as text. Every xlsx and CSV writer of the
project goes through this module:

- xlsx: `new_workbook()` turns off xlsxwriter's guessing (a string starting with `=` would
  become a formula, one starting with `http://` a link, one that looks like a number a number),
  and `write_cells()` writes each value with the typed method (`write_string` for text), after
  `safe_cell()` has made it a plain str, int, float or bool.
- CSV: `csv_safe_cell()` puts an apostrophe before a value starting with `=`, `+`, `-`, `@`, a
  tab or a carriage return, which spreadsheet programs show as text (OWASP's advice).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import IO, Any

import xlsxwriter

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def new_workbook(target: IO[bytes] | str, options: dict | None = None) -> xlsxwriter.Workbook:
    """An xlsxwriter Workbook that writes every str as a string cell, whatever it starts with."""
    return xlsxwriter.Workbook(target, {**(options or {}), **WORKBOOK_OPTIONS})


def safe_cell(value: Any) -> str | int | float | bool:
    """A value an export may write: numbers and booleans as they are, everything else as text.

    Dates become ISO text; None an empty string. Strings are returned unchanged: written with
    `write_cells` (or `new_workbook`'s options) they are string cells, never formulas.
    """
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return str(value)


def starts_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def csv_safe_cell(value: Any) -> str | int | float | bool:
    """`safe_cell`, and text that a spreadsheet would read as a formula gets a leading `'`."""
    cell = safe_cell(value)
    if isinstance(cell, str) and starts_like_formula(cell):
        return "'" + cell
    return cell


def write_cells(sheet, row: int, col: int, values, cell_format=None) -> None:
    """Write one row, each value through `safe_cell` and the write method of its type."""
    for offset, value in enumerate(values):
        cell = safe_cell(value)
        if isinstance(cell, bool):
            sheet.write_boolean(row, col + offset, cell, cell_format)
        elif isinstance(cell, int | float):
            sheet.write_number(row, col + offset, cell, cell_format)
        elif cell == "":
            sheet.write_blank(row, col + offset, None, cell_format)
        else:
            sheet.write_string(row, col + offset, cell, cell_format)
