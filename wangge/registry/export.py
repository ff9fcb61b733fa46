"""Export of a filtered person list to xlsx: masked by default; unmasked only with the
`registry.export_unmasked` permission and a stated reason. Every export is audited (the filters
and the row count, never the values).

The rows are exactly the person list's (same scope, filters and sensitive-tag rules), read page
by page, and written with xlsxwriter in constant-memory mode, so a large export does not hold
the whole register in memory.
"""

import io

import xlsxwriter
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.errors import PermissionDenied, ValidationFailed
from wangge.core.models import AuditResult

from .identity import decrypted_identifiers
from .models import Person
from .permissions import audit_register, has_register_permission
from .selectors import PERSON_LIST_MAX, person_list

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


def person_list_export(
    *, actor, filters: dict, unmasked: bool = False, reason: str = ""
) -> tuple[bytes, int]:
    """The xlsx bytes and the number of rows."""
    reason = (reason or "").strip()
    if unmasked:
        if not has_register_permission(actor, "export_unmasked"):
            audit_register(
                actor,
                "registry.person_export",
                object_type="person",
                object_id="",
                detail={"unmasked": True, "refused": "not_allowed"},
                result=AuditResult.DENIED,
            )
            raise PermissionDenied(
                _("You may not export full ID numbers and phones."), field="unmasked"
            )
        if len(reason) < 4:
            raise ValidationFailed(
                _("State the reason for an unmasked export (at least 4 characters)."),
                code="required",
                field="reason",
            )
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": False})
    sheet = workbook.add_worksheet(_("Persons"))
    columns = _columns()
    sheet.write_row(0, 0, [label for _key, label in columns])
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
            sheet.write_row(written, 0, [_cell(values.get(key)) for key, _label in columns])
        if cursor is None:
            break
    workbook.close()
    audit_register(
        actor,
        "registry.person_export",
        object_type="person",
        object_id="",
        detail={
            "unmasked": unmasked,
            "reason": reason[:200] if unmasked else "",
            "rows": written,
            "filters": sorted(filters),
        },
    )
    return buffer.getvalue(), written


def dated_name(stem: str) -> str:
    """The download's file name: what it holds and the day it was made."""
    return f"{stem}-{timezone.localdate():%Y%m%d}.xlsx"


def _plain_identifiers(person_ids: list[int]) -> dict[int, dict]:
    people = Person.objects.filter(id__in=person_ids).only(
        "id", "id_number_encrypted", "phone_encrypted", "registered_address_encrypted"
    )
    return {person.id: decrypted_identifiers(person) for person in people}


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, (int, float, str)):
        return value
    return str(value)
