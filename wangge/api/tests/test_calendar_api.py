"""The calendar API: adding working days and listing a year's days; every 4xx names the field."""

import pytest

from wangge.core.calendar import calendar_cache_clear
from wangge.orgs.tests.factories import grid_worker, make_street

ADD = "/api/v1/calendar/add-working-days"
DAYS = "/api/v1/calendar/days"


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    calendar_cache_clear()
    yield
    calendar_cache_clear()


@pytest.fixture
def api_client(client, db):
    client.force_login(grid_worker(make_street()))
    return client


def test_three_working_days_after_30_september_2026(api_client):
    response = api_client.get(ADD, {"date": "2026-09-30", "days": 3})
    assert response.status_code == 200
    assert response.json() == {"date": "2026-10-10", "provisional": False}
    assert api_client.get(ADD, {"date": "2026-10-01", "days": 0}).json() == {
        "date": "2026-10-08",
        "provisional": False,
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"date": "2027-03-05", "days": 1}, "2027-03-08"),
        # Into 2027, whose holidays are not imported: 1 January counts as a working day.
        ({"date": "2026-12-30", "days": 2}, "2027-01-01"),
    ],
)
def test_a_year_without_its_schedule_answers_provisionally(api_client, params, expected):
    response = api_client.get(ADD, params)
    assert response.status_code == 200
    assert response.json() == {"date": expected, "provisional": True}


def test_a_date_the_calendar_cannot_count_in_is_a_422_naming_the_year(api_client):
    response = api_client.get(ADD, {"date": "1999-12-31", "days": 1})
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["field"]) == ("calendar_not_covered", "date")
    assert "1999" in body["message"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date": "2026-13-01", "days": 1}, "date"),
        ({"date": "tomorrow", "days": 1}, "date"),
        ({"days": 1}, "date"),
        ({"date": "2026-10-01", "days": -1}, "days"),
        ({"date": "2026-10-01", "days": "three"}, "days"),
        ({"date": "2026-10-01"}, "days"),
    ],
)
def test_bad_parameters_are_a_422_naming_the_field(api_client, params, field):
    response = api_client.get(ADD, params)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["field"] == field
    assert field in body["message"]


def test_anonymous_callers_are_refused(client, db):
    response = client.get(ADD, {"date": "2026-09-30", "days": 3})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_days_of_a_year(api_client):
    response = api_client.get(DAYS, {"year": 2026})
    assert response.status_code == 200
    body = response.json()
    assert body["year"] == 2026 and len(body["days"]) == 365
    national_day = next(day for day in body["days"] if day["date"] == "2026-10-01")
    assert national_day == {"date": "2026-10-01", "kind": "holiday", "name": "National Day"}


def test_days_of_an_uncovered_year_is_a_422(api_client):
    response = api_client.get(DAYS, {"year": 2027})
    assert response.status_code == 422
    assert response.json()["code"] == "calendar_not_covered"
    assert response.json()["field"] == "year"
