"""Reading a holiday schedule file (CSV or xlsx) into checked rows for calendar_import.

Columns: date, kind, name (or 日期, 类型, 名称). Every row is checked before anything is written,
and every problem is reported with its row number, field and rule, so that an admin can fix the
whole file in one go.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils.translation import gettext as _

from .errors import ValidationFailed
from .models import CalendarDayKind

MAX_FILE_BYTES = 1024 * 1024
MAX_ROWS = 5000
MIN_YEAR, MAX_YEAR = 2000, 2100
NAME_MAX_LENGTH = 64

HEADERS = {
    "date": "date",
    "日期": "date",
    "kind": "kind",
    "type": "kind",
    "类型": "kind",
    "name": "name",
    "名称": "name",
}
KIND_WORDS = {
    "workday": CalendarDayKind.WORKDAY,
    "working day": CalendarDayKind.WORKDAY,
    "工作日": CalendarDayKind.WORKDAY,
    "weekend": CalendarDayKind.WEEKEND,
    "休息日": CalendarDayKind.WEEKEND,
    "周末": CalendarDayKind.WEEKEND,
    "holiday": CalendarDayKind.HOLIDAY,
    "public holiday": CalendarDayKind.HOLIDAY,
    "节假日": CalendarDayKind.HOLIDAY,
    "法定节假日": CalendarDayKind.HOLIDAY,
    "adjusted_workday": CalendarDayKind.ADJUSTED_WORKDAY,
    "adjusted working day": CalendarDayKind.ADJUSTED_WORKDAY,
    "调休上班": CalendarDayKind.ADJUSTED_WORKDAY,
}
DATE_PATTERN = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
EXCEL_EPOCH = date(1899, 12, 30)


@dataclass(frozen=True)
class ScheduleRow:
    row: int  # the row number as the spreadsheet shows it (the header is row 1)
    date: date
    kind: str
    name: str


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "message": self.message}


def kind_fits_weekday(day: date, kind: str) -> str | None:
    """Why `kind` cannot fall on `day`'s weekday, or None when it can.

    Only a Saturday or Sunday can be a weekend or an adjusted working day; a worked Saturday is an
    adjusted working day, and a weekday off is a holiday.
    """
    is_weekend = day.weekday() >= 5
    if kind == CalendarDayKind.WEEKEND and not is_weekend:
        return _("only a Saturday or Sunday can be a weekend day; a weekday off is a holiday")
    if kind == CalendarDayKind.ADJUSTED_WORKDAY and not is_weekend:
        return _("only a Saturday or Sunday can be an adjusted working day")
    if kind == CalendarDayKind.WORKDAY and is_weekend:
        return _("a Saturday or Sunday that is worked is an adjusted working day")
    return None


def parse_kind(value: object) -> str | None:
    text = str(value or "").strip()
    return KIND_WORDS.get(text.lower()) or KIND_WORDS.get(text)


def parse_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A date typed into an unformatted spreadsheet cell arrives as a serial day number.
        if value == int(value) and 1 <= value < 2958466:
            return EXCEL_EPOCH + timedelta(days=int(value))
        return None
    match = DATE_PATTERN.match(str(value or "").strip())
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _file_error(message: str) -> ValidationFailed:
    return ValidationFailed(message, code="invalid_file", field="file")


def _table(file_name: str, content: bytes) -> list[list]:
    if len(content) > MAX_FILE_BYTES:
        raise _file_error(_("The file is larger than 1 MB; a holiday schedule is far smaller."))
    suffix = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if suffix == "csv":
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise _file_error(
                _('The CSV file is not UTF-8; save it as "CSV UTF-8" and upload it again.')
            ) from None
        return [list(row) for row in csv.reader(io.StringIO(text))]
    if suffix in ("xlsx", "xlsm", "xls", "ods"):
        from python_calamine import CalamineError, CalamineWorkbook

        try:
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
            # Keep leading empty rows so that row numbers match what the admin sees.
            return workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
        except (CalamineError, ValueError, IndexError):
            raise _file_error(_("The spreadsheet cannot be read; upload an .xlsx file.")) from None
    raise _file_error(_("Upload a .csv or .xlsx file."))


def _blank(cell: object) -> bool:
    return cell is None or str(cell).strip() == ""


def read_schedule(file_name: str, content: bytes) -> list[ScheduleRow]:
    """Parse and check every row; raise one ValidationFailed listing every problem found."""
    table = _table(file_name, content)
    header_index = next((i for i, row in enumerate(table) if not all(map(_blank, row))), None)
    if header_index is None:
        raise _file_error(_("The file is empty."))
    columns: dict[str, int] = {}
    for position, cell in enumerate(table[header_index]):
        key = HEADERS.get(str(cell or "").strip().lower())
        if key and key not in columns:
            columns[key] = position
    header_row = header_index + 1
    missing = [name for name in ("date", "kind") if name not in columns]
    if missing:
        raise ValidationFailed(
            _(
                "Row %(row)s: the header needs the columns date and kind (日期, 类型); "
                "name (名称) is optional."
            )
            % {"row": header_row},
            code="invalid_file",
            field="file",
            detail={
                "errors": [
                    RowError(header_row, name, _("column missing")).as_dict() for name in missing
                ]
            },
        )

    def value_at(row: list, key: str) -> object:
        position = columns.get(key)
        return row[position] if position is not None and position < len(row) else None

    rows: list[ScheduleRow] = []
    errors: list[RowError] = []
    seen: dict[date, int] = {}
    data = [
        (header_index + 2 + offset, row)
        for offset, row in enumerate(table[header_index + 1 :])
        if not all(map(_blank, row))
    ]
    if len(data) > MAX_ROWS:
        raise _file_error(_("The file has more than %(max)s rows.") % {"max": MAX_ROWS})
    for number, row in data:
        raw_date, raw_kind = value_at(row, "date"), value_at(row, "kind")
        name = "" if _blank(value_at(row, "name")) else str(value_at(row, "name")).strip()
        day = parse_date(raw_date)
        kind = parse_kind(raw_kind)
        row_errors = []
        if _blank(raw_date):
            row_errors.append(RowError(number, "date", _("required")))
        elif day is None:
            row_errors.append(
                RowError(
                    number,
                    "date",
                    _("%(value)s is not a date like 2027-01-01") % {"value": raw_date},
                )
            )
        elif not MIN_YEAR <= day.year <= MAX_YEAR:
            row_errors.append(
                RowError(
                    number,
                    "date",
                    _("the year must lie between %(min)s and %(max)s")
                    % {"min": MIN_YEAR, "max": MAX_YEAR},
                )
            )
        elif day in seen:
            row_errors.append(
                RowError(
                    number,
                    "date",
                    _("the same date is already on row %(row)s") % {"row": seen[day]},
                )
            )
        if _blank(raw_kind):
            row_errors.append(RowError(number, "kind", _("required")))
        elif kind is None:
            row_errors.append(
                RowError(
                    number,
                    "kind",
                    _(
                        "%(value)s is not one of workday, weekend, holiday, adjusted_workday "
                        "(工作日, 休息日, 节假日, 调休上班)"
                    )
                    % {"value": raw_kind},
                )
            )
        elif day is not None and (reason := kind_fits_weekday(day, kind)):
            row_errors.append(RowError(number, "kind", reason))
        if len(name) > NAME_MAX_LENGTH:
            row_errors.append(
                RowError(number, "name", _("at most %(max)s characters") % {"max": NAME_MAX_LENGTH})
            )
        if day is not None and day not in seen:
            seen[day] = number
        if row_errors:
            errors.extend(row_errors)
        elif day is not None and kind is not None:
            rows.append(ScheduleRow(number, day, kind, name))
    if errors:
        raise ValidationFailed(
            _("%(count)s problem(s) found in the file; nothing was imported.")
            % {"count": len(errors)},
            code="invalid_file",
            field="file",
            detail={"errors": [error.as_dict() for error in errors]},
        )
    if not rows:
        raise _file_error(_("The file has a header but no rows."))
    return rows
