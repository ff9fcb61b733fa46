"""The person list as an xlsx workbook: masked by default, full ID numbers and phones only in an
unmasked export (whose permission, reason and re-authentication export_jobs.py checks).

The rows are exactly the person list's (same scope, filters and sensitive-tag rules), read page
by page and written with xlsxwriter in constant-memory mode, so a large export does not hold the
whole register in memory. Every cell goes through core.spreadsheets: a name such as
`=HYPERLINK(…)` is written as text, never as a formula. The workbook is written by the
background worker (export_jobs.py), never inside a request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.spreadsheets import new_workbook, write_cells

from .identity import decrypted_identifiers
from .models import Person
from .person_list import PERSON_LIST_MAX, person_list

EXPORT_MAX_ROWS = 200_000


def _columns() -> list[tuple[str, str]]:
    return [
        ("name", _("Name")),
        ("gender_label", _("Gender")),
        ("age", _("Age")),
        ("id_number", _("ID number")),
        ("phone", _("Phone")),
        ("residence_status_label", _("Residence status")),
        ("grid_code", _("Grid")),
        ("building_name", _("Building")),
        ("dwelling_number", _("Dwelling")),
        ("household_number", _("Household number")),
        ("relationship_label", _("Relationship to the head")),
        ("tags", _("Key populations")),
    ]


def person_list_workbook(
    *,
    actor,
    filters: dict,
    target: IO[bytes],
    unmasked: bool = False,
    tmpdir: str | None = None,
    progress: Callable[[int], object] | None = None,
) -> int:
    """Write the actor's filtered person list into `target`; returns the number of rows.

    The caller has checked the right to an unmasked export. `progress(rows)` is called after
    each page; `tmpdir` is where xlsxwriter keeps its row files while writing.
    """
    options: dict = {"constant_memory": True, "in_memory": False}
    if tmpdir:
        options["tmpdir"] = tmpdir
    workbook = new_workbook(target, options)
    sheet = workbook.add_worksheet(_("Persons"))
    columns = _columns()
    write_cells(sheet, 0, 0, [label for _key, label in columns])
    written, cursor = 0, None
    while written < EXPORT_MAX_ROWS:
        rows, cursor = person_list(
            actor=actor, filters=filters, after=cursor, limit=PERSON_LIST_MAX
        )
        plain = _plain_identifiers([row["id"] for row in rows]) if unmasked else {}
        for row in rows:
            values = {
                **row,
                "id_number": plain.get(row["id"], {}).get("id_number", row["id_number_masked"]),
                "phone": plain.get(row["id"], {}).get("phone", row["phone_masked"]),
                "tags": "、".join(tag["name"] for tag in row.get("tags", [])),
            }
            written += 1
            write_cells(sheet, written, 0, [values.get(key) for key, _label in columns])
        if progress is not None:
            progress(written)
        if cursor is None:
            break
    workbook.close()
    return written


def dated_name(stem: str) -> str:
    """The download's file name: what it holds and the day it was made."""
    return f"{stem}-{timezone.localdate():%Y%m%d}.xlsx"


def _plain_identifiers(person_ids: list[int]) -> dict[int, dict]:
    people = Person.objects.filter(id__in=person_ids).only(
        "id", "id_number_encrypted", "phone_encrypted", "registered_address_encrypted"
    )
    return {person.id: decrypted_identifiers(person) for person in people}
