"""The statistics tables, shared by the page and the xlsx export (the same figures in both)."""

import io

from django.utils.translation import gettext as _

from wangge.core.spreadsheets import new_workbook, write_cells

from .indicators import INDICATORS, Indicators


def display(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "percent":
        return f"{value:.1f}%"
    if kind == "hours":
        return f"{value:.1f}"
    return str(value)


def stats_sections(stats) -> list[tuple[str, str, list[tuple[str, str, Indicators]]]]:
    """(key, title, rows of (name, unit code or category code, indicators)); empty ones left out."""
    sections = [
        ("total", _("Total"), [(stats.unit.name, stats.unit.code, stats.totals)]),
        ("unit", _("By unit"), [(u.name, u.code, i) for u, i in stats.by_unit]),
        ("department", _("By department"), [(u.name, u.code, i) for u, i in stats.by_department]),
        ("class", _("By category class"), [(c.name, c.code, i) for c, i in stats.by_class]),
        ("category", _("By category"), [(c.name, c.code, i) for c, i in stats.by_category]),
        (
            "period",
            _("By period"),
            [(day.isoformat(), "", i) for day, i in stats.series],
        ),
    ]
    return [section for section in sections if section[2]]


def stats_workbook(stats) -> bytes:
    """One sheet: a heading with the unit, period and category, then each section's table."""
    buffer = io.BytesIO()
    workbook = new_workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(_("Case statistics")[:31])
    bold = workbook.add_format({"bold": True})
    write_cells(sheet, 0, 0, [_("Unit"), stats.unit.name, stats.unit.code], bold)
    write_cells(sheet, 1, 0, [_("Reported from"), stats.start, stats.end])
    category = f"{stats.category.code} {stats.category.name}" if stats.category else _("All")
    write_cells(sheet, 2, 0, [_("Category"), category])
    line = 4
    for _key, title, rows in stats_sections(stats):
        sheet.write_string(line, 0, title, bold)
        line += 1
        write_cells(sheet, line, 0, [_("Name"), _("Code"), *[str(i[1]) for i in INDICATORS]], bold)
        line += 1
        for name, code, figures in rows:
            values = [getattr(figures, key) for key, _label, _kind in INDICATORS]
            write_cells(sheet, line, 0, [name, code, *values])
            line += 1
        line += 1
    sheet.set_column(0, 0, 18)
    workbook.close()
    return buffer.getvalue()
