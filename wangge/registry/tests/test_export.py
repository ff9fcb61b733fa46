"""Person list exports: a background job (request → worker → progress → file), downloaded by the
requester only, throttled, audited with the row count; unmasked only with the permission, a
reason and a fresh authentication; every cell written as data, never as a formula."""

import datetime as dt
import io
import json
import stat
import zipfile

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client
from python_calamine import CalamineWorkbook

from wangge.core.models import AuditEvent, AuditResult
from wangge.core.tokens import api_token_issue
from wangge.orgs.actors import actor_for
from wangge.orgs.tests.factories import PASSWORD, grid_worker, login_as
from wangge.registry import export as export_module
from wangge.registry.enums import ExportState
from wangge.registry.export import person_list_workbook
from wangge.registry.export_jobs import export_jobs_run_pending
from wangge.registry.models import ExportJob
from wangge.registry.tests.factories import make_household_with_members, make_person

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def sheet_rows(content: bytes) -> list[list]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return book.get_sheet_by_index(0).to_python()


def api_client(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user)[0]}")


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def audit(action, result=None):
    rows = AuditEvent.objects.filter(action=action)
    return rows.filter(result=result) if result else rows


def test_a_page_export_is_queued_written_by_the_worker_and_downloaded_by_its_requester(
    client, street, var_dir
):
    make_household_with_members(street.grid_a1)
    make_household_with_members(street.grid_b1, "9-901")  # another community: not exported
    user = grid_worker(street)
    login_as(client, user)
    queued = client.post("/register/persons/export/", {"grid": street.grid_a1.code})
    job = ExportJob.objects.get()
    assert queued.status_code == 302 and queued.url == f"/register/exports/{job.pk}/"
    assert (job.state, job.total_rows, job.filters) == ("queued", 3, {"grid": street.grid_a1.code})
    assert not (var_dir / "exports").exists() or not any((var_dir / "exports").iterdir())
    page = client.get(f"/register/exports/{job.pk}/")
    assert page.status_code == 200 and 'id="export-status"' in page.content.decode()
    polling = client.get(f"/register/exports/{job.pk}/", HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 2s"' in polling.content.decode()
    assert client.get(f"/register/exports/{job.pk}/file/").status_code == 422  # not ready

    call_command("wangge_run_jobs")

    job.refresh_from_db()
    assert (job.state, job.processed_rows, job.total_rows) == ("done", 3, 3)
    stored = var_dir / "exports" / job.stored_file
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert not stored.read_bytes().startswith(b"PK")  # encrypted at rest, not a bare xlsx
    assert [p.name for p in (var_dir / "exports").iterdir()] == [job.stored_file]
    done_page = client.get(f"/register/exports/{job.pk}/", HTTP_HX_REQUEST="true")
    assert "hx-trigger" not in done_page.content.decode()
    download = client.get(f"/register/exports/{job.pk}/file/")
    assert download.status_code == 200 and download["Cache-Control"] == "no-store"
    assert download["Content-Disposition"].startswith('attachment; filename="persons-')
    table = sheet_rows(download.content)
    assert {row[0] for row in table[1:]} == {"张伟", "李娜", "张小明"}
    assert "138****8000" in [row[4] for row in table[1:]]

    # Anyone else: 404, audited, nothing sent.
    other = Client()
    login_as(other, grid_worker(street, "gw_other"))
    for url in (f"/register/exports/{job.pk}/", f"/register/exports/{job.pk}/file/"):
        refused = other.get(url)
        assert refused.status_code == 404 and b"PK" not in refused.content[:2]
    assert audit("access.denied").count() == 2

    request_row = audit("registry.person_export_request").get()
    assert request_row.detail == {
        "unmasked": False,
        "filters": ["grid"],
        "reason": "",
        "total": 3,
    }
    done_row = audit("registry.person_export").get()
    assert done_row.result == "ok" and done_row.detail["rows"] == 3
    assert audit("registry.person_export_download").get().detail["rows"] == 3


def test_progress_is_recorded_page_by_page(street, monkeypatch):
    make_household_with_members(street.grid_a1)
    monkeypatch.setattr(export_module, "PERSON_LIST_MAX", 2)
    seen: list[int] = []
    rows = person_list_workbook(
        actor=actor_for(grid_worker(street)), filters={}, target=io.BytesIO(), progress=seen.append
    )
    assert rows == 3 and seen == [2, 3]


def test_the_api_queues_and_serves_the_export_to_the_requester_only(street):
    make_household_with_members(street.grid_a1)
    owner = api_client(grid_worker(street))
    queued = post(owner, "/api/v1/persons/export", {"grid": street.grid_a1.code})
    assert queued.status_code == 202
    body = queued.json()
    assert body["state"] == "queued" and body["download"] is None and body["total_rows"] == 3
    export_jobs_run_pending()
    status = owner.get(f"/api/v1/exports/{body['id']}").json()
    assert status["state"] == "done" and status["processed_rows"] == 3
    download = owner.get(status["download"])
    assert download.status_code == 200 and len(sheet_rows(download.content)) == 4
    stranger = api_client(grid_worker(street, "gw_other"))
    assert stranger.get(f"/api/v1/exports/{body['id']}").status_code == 404
    assert stranger.get(status["download"]).status_code == 404
    assert audit("registry.person_export_download").count() == 1


def test_unmasked_needs_the_permission_a_reason_and_a_fresh_authentication(street):
    make_household_with_members(street.grid_a1)
    user = grid_worker(street)
    client = api_client(user)
    body = {"unmasked": True, "reason": "民政核对"}
    refused = post(client, "/api/v1/persons/export", body)
    assert refused.status_code == 403 and refused.json()["field"] == "unmasked"
    user.user_permissions.add(Permission.objects.get(codename="export_unmasked"))
    no_reason = post(client, "/api/v1/persons/export", {**body, "reason": ""})
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    no_reauth = post(client, "/api/v1/persons/export", body)
    assert no_reauth.status_code == 403
    assert no_reauth.json()["code"] == "reauthentication_required"
    wrong = post(client, "/api/v1/persons/export", {**body, "password": "nope"})
    assert wrong.status_code == 422 and wrong.json()["field"] == "password"
    assert not ExportJob.objects.exists()
    refusals = audit("registry.person_export_request").order_by("id")
    assert [row.detail["refused"] for row in refusals] == [
        "not_allowed",
        "required",
        "reauthentication_required",
        "reauthentication_failed",
    ]
    assert [row.result for row in refusals] == ["denied", "failed", "denied", "failed"]

    accepted = post(client, "/api/v1/persons/export", {**body, "password": PASSWORD})
    assert accepted.status_code == 202 and accepted.json()["unmasked"] is True
    export_jobs_run_pending()
    content = client.get(f"/api/v1/exports/{accepted.json()['id']}/file").content
    assert "13800138000" in [row[4] for row in sheet_rows(content)[1:]]
    done = audit("registry.person_export", AuditResult.OK).get()
    assert done.detail["unmasked"] is True and done.detail["reason"] == "民政核对"
    assert "13800138000" not in str(list(AuditEvent.objects.values_list("detail", flat=True)))


def test_the_worker_checks_the_permission_again(street):
    make_household_with_members(street.grid_a1)
    user = grid_worker(street)
    permission = Permission.objects.get(codename="export_unmasked")
    user.user_permissions.add(permission)
    client = api_client(user)
    body = {"unmasked": True, "reason": "民政核对", "password": PASSWORD}
    assert post(client, "/api/v1/persons/export", body).status_code == 202
    user.user_permissions.remove(permission)
    export_jobs_run_pending()
    job = ExportJob.objects.get()
    assert job.state == ExportState.FAILED and job.stored_file == ""
    assert audit("registry.person_export", AuditResult.FAILED).count() == 1


def test_exports_are_throttled_per_user(street, settings):
    settings.WANGGE_EXPORT_RATE = "2/h"
    make_household_with_members(street.grid_a1)
    client = api_client(grid_worker(street))
    with time_machine.travel(START, tick=False):
        assert post(client, "/api/v1/persons/export", {}).status_code == 202
        busy = post(client, "/api/v1/persons/export", {})
        assert busy.status_code == 429 and busy.json()["code"] == "export_in_progress"
        export_jobs_run_pending()
        assert post(client, "/api/v1/persons/export", {}).status_code == 202
        export_jobs_run_pending()
        limited = post(client, "/api/v1/persons/export", {})
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    assert int(limited["Retry-After"]) > 0
    assert ExportJob.objects.count() == 2
    refused = audit("registry.person_export_request", AuditResult.DENIED)
    assert sorted(row.detail["refused"] for row in refused) == [
        "export_in_progress",
        "rate_limited",
    ]


def test_a_finished_export_expires_and_its_file_is_deleted(street, var_dir):
    make_household_with_members(street.grid_a1)
    client = api_client(grid_worker(street))
    with time_machine.travel(START, tick=False) as clock:
        job_id = post(client, "/api/v1/persons/export", {}).json()["id"]
        export_jobs_run_pending()
        stored = var_dir / "exports" / ExportJob.objects.get().stored_file
        assert stored.exists()
        clock.shift(dt.timedelta(hours=25))
        gone = client.get(f"/api/v1/exports/{job_id}/file")
        assert gone.status_code == 422 and gone.json()["code"] == "expired"
        export_jobs_run_pending()
    assert ExportJob.objects.get().state == ExportState.EXPIRED
    assert not stored.exists()


def test_the_old_worker_command_runs_exports_too(street):
    make_household_with_members(street.grid_a1)
    post(api_client(grid_worker(street)), "/api/v1/persons/export", {})
    call_command("wangge_run_imports")
    assert ExportJob.objects.get().state == ExportState.DONE


def test_a_name_that_looks_like_a_formula_is_exported_as_text(street):
    name = '=HYPERLINK("http://evil.example","点这里")'
    make_person(name, grid=street.grid_a1)
    buffer = io.BytesIO()
    person_list_workbook(actor=actor_for(grid_worker(street)), filters={}, target=buffer)
    assert sheet_rows(buffer.getvalue())[1][0] == name
    sheet_xml = zipfile.ZipFile(buffer).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml


def test_the_list_page_offers_the_export_and_unmasked_only_with_the_permission(client, street):
    make_household_with_members(street.grid_a1)
    user = grid_worker(street)
    login_as(client, user)
    page = client.get("/register/persons/", {"grid": street.grid_a1.code}).content.decode()
    assert 'action="/register/persons/export/"' in page
    assert f'name="grid" value="{street.grid_a1.code}"' in page
    assert 'name="unmasked"' not in page
    user.user_permissions.add(Permission.objects.get(codename="export_unmasked"))
    page = client.get("/register/persons/").content.decode()
    assert 'name="unmasked"' in page and 'name="password"' in page
