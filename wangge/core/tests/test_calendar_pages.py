"""Calendar pages: the month grid, editing a day, uploading a schedule, and the November banner."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from wangge.core.calendar import calendar_cache_clear
from wangge.core.models import AuditEvent, CalendarDay, CalendarYear
from wangge.orgs.tests.factories import grid_worker

from .helpers import sign_in


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    calendar_cache_clear()
    yield
    calendar_cache_clear()


@pytest.fixture
def admin_client(client, admin, admin_device):
    sign_in(client, admin, device=admin_device)
    return client


@pytest.fixture
def worker_client(client, street):
    client.force_login(grid_worker(street))
    return client


def day_row(day: date):
    return CalendarDay.objects.values_list("kind", "name", "source").get(date=day)


@pytest.mark.django_db
def test_admin_sees_the_year_as_a_month_grid_with_edit_links(admin_client):
    response = admin_client.get(reverse("calendar"), {"year": 2026})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-date="2026-10-01" data-kind="holiday"' in html
    assert 'data-date="2026-10-10" data-kind="adjusted_workday"' in html
    assert html.count("data-date=") == 365
    assert reverse("calendar_day", args=["2026-10-01"]) in html
    assert reverse("calendar_import") in html


@pytest.mark.django_db
def test_an_uncovered_year_says_it_is_provisional_until_its_schedule_is_uploaded(admin_client):
    response = admin_client.get(reverse("calendar"), {"year": 2027})
    assert response.status_code == 200
    assert "data-date=" not in response.content.decode()
    assert 'data-provisional-year="2027"' in response.content.decode()
    upload = SimpleUploadedFile("2027.csv", "日期,类型,名称\n2027-01-01,节假日,元旦\n".encode())
    admin_client.post(reverse("calendar_import"), {"file": upload, "year": "2027"})
    response = admin_client.get(reverse("calendar"), {"year": 2027})
    assert "data-provisional-year" not in response.content.decode()
    assert 'data-date="2027-01-01"' in response.content.decode()


@pytest.mark.django_db
def test_other_staff_may_look_but_get_no_edit_controls(worker_client):
    response = worker_client.get(reverse("calendar"), {"year": 2026})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-kind="holiday"' in html
    assert reverse("calendar_day", args=["2026-10-01"]) not in html
    assert reverse("calendar_import") not in html


@pytest.mark.django_db
def test_admin_edits_a_day(admin_client):
    url = reverse("calendar_day", args=["2026-11-23"])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"kind": "holiday", "name": "本地节日"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("calendar") + "?year=2026")
    assert day_row(date(2026, 11, 23)) == ("holiday", "本地节日", "admin")


@pytest.mark.django_db
def test_a_bad_day_edit_shows_the_rule_and_changes_nothing(admin_client):
    url = reverse("calendar_day", args=["2026-11-23"])
    response = admin_client.post(url, {"kind": "weekend", "name": ""})
    assert response.status_code == 422
    assert "周一至周五放假应设为节假日" in response.content.decode()
    english = admin_client.post(url, {"kind": "weekend", "name": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert "weekday off is a holiday" in english.content.decode()
    assert day_row(date(2026, 11, 23)) == ("workday", "", "chinesecalendar")


@pytest.mark.django_db
def test_a_non_admin_cannot_edit_a_day(worker_client):
    url = reverse("calendar_day", args=["2026-11-23"])
    assert worker_client.get(url).status_code == 404
    assert worker_client.post(url, {"kind": "holiday", "name": ""}).status_code == 404
    assert day_row(date(2026, 11, 23)) == ("workday", "", "chinesecalendar")


@pytest.mark.django_db
def test_admin_uploads_a_schedule(admin_client):
    upload = SimpleUploadedFile("2027.csv", "日期,类型,名称\n2027-01-01,节假日,元旦\n".encode())
    response = admin_client.post(reverse("calendar_import"), {"file": upload, "year": "2026"})
    assert response.status_code == 302
    assert response.url == reverse("calendar") + "?year=2027"
    assert CalendarYear.objects.filter(year=2027).exists()
    assert day_row(date(2027, 1, 1)) == ("holiday", "元旦", "import")


@pytest.mark.django_db
def test_a_bad_upload_lists_each_row_and_imports_nothing(admin_client):
    upload = SimpleUploadedFile(
        "2027.csv", b"date,kind,name\n2027-01-01,holiday,\n2027-01-32,holiday,\n2027-01-05,x,\n"
    )
    response = admin_client.post(reverse("calendar_import"), {"file": upload, "year": "2026"})
    assert response.status_code == 422
    html = response.content.decode()
    assert '<td class="num">3</td><td>date</td>' in html
    assert '<td class="num">4</td><td>kind</td>' in html
    assert not CalendarYear.objects.filter(year=2027).exists()


@pytest.mark.django_db
def test_a_non_admin_cannot_upload(worker_client):
    upload = SimpleUploadedFile("2027.csv", "日期,类型\n2027-01-01,节假日\n".encode())
    response = worker_client.post(reverse("calendar_import"), {"file": upload})
    assert response.status_code == 404
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not AuditEvent.objects.filter(action="calendar.import", result="ok").exists()


@pytest.mark.django_db
def test_admins_see_the_banner_from_november_while_next_year_is_missing(admin_client, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: date(2026, 11, 22))
    response = admin_client.get(reverse("calendar"), {"year": 2026})
    assert response.context["calendar_warning"]
    assert "2027" in response.context["calendar_warning"]
    assert 'class="banner banner-warning"' in response.content.decode()

    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: date(2026, 10, 31))
    assert admin_client.get(reverse("calendar")).context["calendar_warning"] is None


@pytest.mark.django_db
def test_admins_see_the_banner_all_year_while_this_years_holidays_are_missing(
    admin_client, monkeypatch
):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: date(2027, 3, 1))
    warning = admin_client.get(reverse("home")).context["calendar_warning"]
    assert warning and "2027" in warning
    upload = SimpleUploadedFile("2027.csv", "日期,类型,名称\n2027-01-01,节假日,元旦\n".encode())
    admin_client.post(reverse("calendar_import"), {"file": upload, "year": "2027"})
    assert admin_client.get(reverse("calendar")).context["calendar_warning"] is None


@pytest.mark.django_db
def test_other_staff_do_not_see_the_banner(worker_client, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: date(2026, 11, 22))
    response = worker_client.get(reverse("calendar"))
    assert response.context["calendar_warning"] is None
