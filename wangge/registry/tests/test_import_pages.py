"""The import pages through Django's test client: upload → preview with errors → error workbook
→ fixed upload → commit → re-import unchanged; who may import; the background path."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from python_calamine import CalamineWorkbook

from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import grid_worker, login_as, staff_user
from wangge.registry.enums import ImportState
from wangge.registry.importing import jobs
from wangge.registry.models import ImportJob, Person

from .import_factories import (
    PERSON_HEADERS,
    community_register,
    community_staff,
    import_storage,  # noqa: F401 (autouse fixture)
    person_row,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db


def post_file(client, rows, kind="persons", headers=PERSON_HEADERS):
    upload = SimpleUploadedFile("people.xlsx", xlsx_bytes(headers, rows))
    return client.post(reverse("registry_import"), {"kind": kind, "file": upload})


def sheet_rows(content: bytes) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()


def test_template_has_chinese_headers_and_an_example(client, street):
    login_as(client, community_staff(street))
    page = client.get(reverse("registry_import"))
    assert page.status_code == 200
    assert reverse("registry_import_template", args=["persons"]) in page.content.decode()
    response = client.get(reverse("registry_import_template", args=["persons"]))
    assert response.status_code == 200
    header, example = sheet_rows(response.content)[:2]
    for name in (
        "姓名",
        "公民身份号码",
        "人口类型",
        "是否党员",
        "户编号",
        "与户主关系",
        "迁入日期",
    ):
        assert name in header
    assert example[header.index("姓名")] == "张三"
    for kind, column in [
        ("buildings", "单元数"),
        ("dwellings", "用途"),
        ("households", "房号"),
        ("organisations", "统一社会信用代码"),
    ]:
        assert (
            column
            in sheet_rows(client.get(reverse("registry_import_template", args=[kind])).content)[0]
        )


def test_upload_errors_workbook_fix_commit_and_reimport(client, street):
    community_register(street)
    login_as(client, community_staff(street))
    rows = [
        person_row("王芳"),
        person_row("李强", female=False, relationship="配偶"),
        person_row("张敏", relationship="子女"),
        person_row("赵磊", female=False),
    ]
    rows[1][5] = "999"  # bad phone
    rows[2][7] = "常住"  # not a residence status
    rows[3][3] = "1990-13-01"  # not a date
    response = post_file(client, rows)
    assert response.status_code == 302
    job = ImportJob.objects.get()
    page = client.get(response["Location"])
    html = page.content.decode()
    assert job.state == ImportState.INVALID and job.error_count == 3
    assert html.count('data-code="') == 3 and "联系电话" in html and "人口类型" in html
    assert reverse("registry_import_commit", args=[job.pk]) not in html

    workbook = client.get(reverse("registry_import_errors", args=[job.pk]))
    assert workbook.status_code == 200
    table = sheet_rows(workbook.content)
    assert table[0][-1] == "错误" and len(table) == 5
    assert table[1][-1] == ""
    assert table[2][-1].startswith("联系电话") and table[3][-1].startswith("人口类型")
    assert table[4][-1].startswith("出生日期")
    assert Person.objects.count() == 0

    rows[1][5], rows[2][7], rows[3][3] = "13912340000", "流动", rows[3][3].replace("13", "06")
    rows[3] = person_row("赵磊", female=False)
    response = post_file(client, rows)
    fixed = ImportJob.objects.order_by("-id")[0]
    assert fixed.state == ImportState.VALIDATED, fixed.summary
    html = client.get(response["Location"]).content.decode()
    assert 'data-count="created">4<' in html
    assert client.post(reverse("registry_import_commit", args=[fixed.pk])).status_code == 302
    fixed.refresh_from_db()
    assert fixed.state == ImportState.DONE and Person.objects.count() == 4

    post_file(client, rows)
    again = ImportJob.objects.order_by("-id")[0]
    assert again.summary["unchanged"] == 4 and again.summary["created"] == 0
    client.post(reverse("registry_import_commit", args=[again.pk]))
    assert Person.objects.count() == 4


@pytest.mark.parametrize("role,unit", [(Role.GRID_WORKER, "grid_a1"), (Role.CLERK, "street")])
def test_other_roles_cannot_import_and_nothing_changes(client, street, role, unit):
    community_register(street)
    login_as(client, staff_user("someone", role, getattr(street, unit)))
    assert client.get(reverse("registry_import")).status_code == 404
    assert client.get(reverse("registry_import_template", args=["persons"])).status_code == 404
    assert post_file(client, [person_row("王芳")]).status_code == 404
    assert not ImportJob.objects.exists() and Person.objects.count() == 0


def test_another_users_job_is_not_found(client, street):
    community_register(street)
    login_as(client, community_staff(street))
    post_file(client, [person_row("王芳")])
    job = ImportJob.objects.get()
    client.logout()
    login_as(client, grid_worker(street))
    login_as(client, staff_user("cs_other", Role.COMMUNITY_STAFF, street.community_a))
    for name in ("registry_import_job", "registry_import_errors"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    assert client.post(reverse("registry_import_commit", args=[job.pk])).status_code == 404
    job.refresh_from_db()
    assert job.state == ImportState.VALIDATED and Person.objects.count() == 0


def test_large_files_run_in_the_worker_with_a_progress_page(client, street, monkeypatch):
    monkeypatch.setattr(jobs, "INLINE_ROWS", 1)
    community_register(street)
    login_as(client, community_staff(street))
    response = post_file(client, [person_row("王芳"), person_row("李强", female=False)])
    job = ImportJob.objects.get()
    assert job.state == ImportState.UPLOADED
    html = client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 2s"' in html and "<progress" in html
    partial = client.get(response["Location"], headers={"HX-Request": "true"})
    assert partial.content.decode().lstrip().startswith('<div id="import-status"')

    call_command("wangge_run_imports")
    job.refresh_from_db()
    assert job.state == ImportState.VALIDATED and job.processed_rows == 2
    client.post(reverse("registry_import_commit", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == ImportState.COMMITTING and Person.objects.count() == 0
    call_command("wangge_run_imports")
    job.refresh_from_db()
    assert job.state == ImportState.DONE and Person.objects.count() == 2
    assert "hx-trigger" not in client.get(response["Location"]).content.decode()
