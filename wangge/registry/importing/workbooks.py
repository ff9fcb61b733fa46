"""The xlsx files an import hands out: a template per kind, and the error workbook."""

from __future__ import annotations

import io
from collections import defaultdict

from django.utils.translation import gettext as _

from wangge.core.spreadsheets import new_workbook, write_cells

from .columns import ALLOWED_VALUES, KIND_COLUMNS
from .reader import _raw_rows

ERROR_HEADER = "错误"


def template_workbook(kind: str) -> bytes:
    """Chinese headers (required ones bold and marked *), one example row, and a notes sheet."""
    columns = KIND_COLUMNS[kind]
    buffer = io.BytesIO()
    workbook = new_workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(_("Data"))
    required = workbook.add_format({"bold": True, "bg_color": "#FDE9D9"})
    optional = workbook.add_format({"bold": True, "bg_color": "#EEEEEE"})
    example = workbook.add_format({"italic": True, "font_color": "#808080"})
    as_text = workbook.add_format({"num_format": "@"})
    for position, column in enumerate(columns):
        sheet.write_string(0, position, column.header, required if column.required else optional)
        if isinstance(column.example, int | float):
            sheet.write_number(1, position, column.example, example)
        else:
            sheet.write_string(1, position, str(column.example), example)
        # ID numbers, phones and codes must stay text, or Excel rounds them into numbers.
        sheet.set_column(position, position, max(12, len(column.header) * 3), as_text)
    sheet.freeze_panes(1, 0)
    notes = workbook.add_worksheet(_("Notes"))
    write_cells(notes, 0, 0, [_("Column"), _("Required"), _("Allowed values")], optional)
    for line, column in enumerate(columns, start=1):
        write_cells(
            notes,
            line,
            0,
            [
                column.header,
                _("yes") if column.required else _("no"),
                ALLOWED_VALUES.get(column.header, ""),
            ],
        )
    notes.write_string(
        len(columns) + 2,
        0,
        _("Row 2 of the data sheet is an example: replace it with your own rows."),
    )
    notes.set_column(0, 2, 24)
    workbook.close()
    return buffer.getvalue()


def error_workbook(file_name: str, content: bytes, errors: list[dict]) -> bytes:
    """Every row of the uploaded file as it was, plus a last column 错误: "column: rule" for each
    error of that row, so the user fixes the rows in place and uploads the whole file again."""
    by_row: dict[int, list[str]] = defaultdict(list)
    for error in errors:
        by_row[int(error["row"])].append(f"{error['column']}: {error['message']}")
    buffer = io.BytesIO()
    workbook = new_workbook(buffer, {"in_memory": True, "constant_memory": True})
    sheet = workbook.add_worksheet()
    marked = workbook.add_format({"font_color": "#C00000"})
    width = 0  # the header's width: the 错误 column goes right after it
    for number, cells in enumerate(_raw_rows(file_name, content), start=1):
        values = ["" if cell is None else cell for cell in cells]
        while values and values[-1] == "":
            values.pop()
        for position, value in enumerate(values):
            if isinstance(value, bool):
                sheet.write_boolean(number - 1, position, value)
            elif isinstance(value, int | float):
                sheet.write_number(number - 1, position, value)
            else:
                sheet.write_string(number - 1, position, str(value))
        if not width and values:
            width = len(values)
            sheet.write_string(number - 1, width, ERROR_HEADER, marked)
        elif number in by_row:
            sheet.write_string(
                number - 1, max(width, len(values)), "；".join(by_row[number]), marked
            )
    workbook.close()
    return buffer.getvalue()
