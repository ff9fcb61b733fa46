import io

import pytest
from django.contrib.auth.models import Permission
from python_calamine import CalamineWorkbook

from wangge.core.errors import PermissionDenied, ValidationFailed
from wangge.core.models import AuditEvent
from wangge.orgs.actors import actor_for
from wangge.orgs.tests.factories import grid_worker, login_as
from wangge.registry.export import person_list_export
from wangge.registry.tests.factories import make_household_with_members

pytestmark = pytest.mark.django_db


def sheet_rows(content: bytes) -> list[list]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return book.get_sheet_by_index(0).to_python()


def test_export_is_masked_by_default_and_only_in_scope(street):
    make_household_with_members(street.grid_a1)
    make_household_with_members(street.grid_b1, "9-901")
    worker = actor_for(grid_worker(street))
    content, rows = person_list_export(actor=worker, filters={})
    table = sheet_rows(content)
    assert rows == 3 and len(table) == 4
    names = {row[0] for row in table[1:]}
    assert names == {"张伟", "李娜", "张小明"}
    assert "138****8000" in [row[4] for row in table[1:]]
    assert all("*" in row[3] for row in table[1:])
    audit = AuditEvent.objects.get(action="registry.person_export")
    assert audit.detail["rows"] == 3 and audit.detail["unmasked"] is False


def test_unmasked_export_needs_the_permission_and_a_reason(street):
    make_household_with_members(street.grid_a1)
    user = grid_worker(street)
    with pytest.raises(PermissionDenied):
        person_list_export(actor=actor_for(user), filters={}, unmasked=True, reason="民政核对")
    assert AuditEvent.objects.get(action="registry.person_export").result == "denied"
    user.user_permissions.add(Permission.objects.get(codename="export_unmasked"))
    allowed = actor_for(type(user).objects.get(pk=user.pk))
    with pytest.raises(ValidationFailed) as no_reason:
        person_list_export(actor=allowed, filters={}, unmasked=True, reason="")
    assert no_reason.value.field == "reason"
    content, _rows = person_list_export(actor=allowed, filters={}, unmasked=True, reason="民政核对")
    phones = [row[4] for row in sheet_rows(content)[1:]]
    assert "13800138000" in phones
    last = AuditEvent.objects.filter(action="registry.person_export").latest("id")
    assert last.detail["unmasked"] is True and last.detail["reason"] == "民政核对"


def test_export_page_posts_the_filters(client, street):
    make_household_with_members(street.grid_a1)
    login_as(client, grid_worker(street))
    response = client.post("/register/persons/export/", {"grid": street.grid_a1.code})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="persons-')
    assert len(sheet_rows(response.content)) == 4
