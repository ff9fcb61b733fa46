"""我的事件: a resident's own cases in full, rating (不满意 reopens) and reopening; nobody
else's."""

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wangge.cases.attachments import photos_stored
from wangge.cases.enums import CaseState
from wangge.cases.models import Case, CaseEvent
from wangge.cases.tests.factories import category, report
from wangge.cases.tests.photos import upload
from wangge.cases.views.attachments import photo_url
from wangge.core.calendar import LOCAL_TZ

from .conftest import closed, new_resident, resident_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def own(team):
    category()
    with photos_stored([upload()]) as keys:
        case = report(team.resident, description="路灯整晚不亮", photos=keys)
    return case, keys[0]


def state(case: Case) -> tuple:
    fresh = Case.objects.get(pk=case.pk)
    return fresh.state, fresh.version, fresh.rating, CaseEvent.objects.filter(case=case).count()


def test_my_cases_lists_only_my_own(client, team, own):
    case, _key = own
    other = report(team.resident2, title="别人的")
    html = resident_client(client, team.resident).get(reverse("portal_mine")).content.decode()
    assert f'data-case="{case.number}"' in html and other.number not in html


def test_my_case_shows_my_description_and_photo(client, team, own):
    case, key = own
    resident_client(client, team.resident)
    html = client.get(reverse("portal_my_case", args=[case.number])).content.decode()
    assert "路灯整晚不亮" in html
    assert photo_url(case.number, key, thumb=True) in html
    assert client.get(photo_url(case.number, key)).status_code == 200


def test_my_case_marks_a_date_whose_holidays_are_not_confirmed(client, team):
    category()
    confirmed = report(team.resident, now=datetime(2026, 11, 2, 9, 0, tzinfo=LOCAL_TZ))
    provisional = report(team.resident, now=datetime(2027, 3, 1, 9, 0, tzinfo=LOCAL_TZ))
    resident_client(client, team.resident)
    html = client.get(reverse("portal_my_case", args=[provisional.number])).content.decode()
    assert "To be done by" in html and "data-holidays-unconfirmed" in html
    html = client.get(reverse("portal_my_case", args=[confirmed.number])).content.decode()
    assert "To be done by" in html and "data-holidays-unconfirmed" not in html


@pytest.mark.parametrize("who", ["resident2", "community_b"])
def test_someone_elses_case_is_not_found(client, team, own, who):
    case, key = own
    client.force_login(getattr(team, who).user)
    assert client.get(reverse("portal_my_case", args=[case.number])).status_code == 404
    assert client.get(photo_url(case.number, key)).status_code == 404


def test_a_visitor_is_sent_to_the_resident_sign_in(client, team, own):
    response = client.get(reverse("portal_mine"))
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("resident_login")
    )


def test_rating_dissatisfied_reopens_the_case(client, team, own):
    case, _key = own
    case = closed(team, case)
    resident_client(client, team.resident)
    page = client.get(reverse("portal_my_case", args=[case.number])).content.decode()
    assert 'data-form="rate"' in page and 'data-form="reopen"' in page
    assert "灯泡已更换" in page  # the handling result is the reporter's to read
    response = client.post(
        reverse("portal_rate", args=[case.number]),
        {"version": case.version, "rating": 2, "comment": "还是不亮"},
    )
    assert response.status_code == 302
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.rating, fresh.reopens) == (CaseState.IN_PROGRESS, 2, 1)


def test_rating_satisfied_rates_the_case(client, team, own):
    case = closed(team, own[0])
    resident_client(client, team.resident)
    client.post(reverse("portal_rate", args=[case.number]), {"version": case.version, "rating": 5})
    assert Case.objects.get(pk=case.pk).state == CaseState.RATED


def test_another_resident_may_not_rate_and_nothing_changes(client, team, own):
    case = closed(team, own[0])
    before = state(case)
    stranger = new_resident("stranger")
    resident_client(client, stranger)
    response = client.post(
        reverse("portal_rate", args=[case.number]), {"version": case.version, "rating": 1}
    )
    assert response.status_code == 404
    assert state(case) == before


def test_staff_in_scope_may_not_rate_through_the_portal(client, team, own):
    case = closed(team, own[0])
    before = state(case)
    client.force_login(team.community_a.user)
    response = client.post(
        reverse("portal_rate", args=[case.number]), {"version": case.version, "rating": 1}
    )
    assert response.status_code == 404
    assert state(case) == before


def test_reopen_with_a_reason_and_a_photo(client, team, own, _media_and_index):
    case = closed(team, own[0])
    resident_client(client, team.resident)
    response = client.post(
        reverse("portal_reopen", args=[case.number]),
        {"version": case.version, "note": "又坏了", "photos": [upload()]},
    )
    assert response.status_code == 302
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.state == CaseState.IN_PROGRESS
    event = fresh.events.get(action="reopen")
    assert event.note == "又坏了" and len(event.attachments) == 1
    html = client.get(reverse("portal_my_case", args=[case.number])).content.decode()
    assert photo_url(case.number, event.attachments[0], thumb=True) in html


def test_reopen_without_a_reason_is_refused(client, team, own):
    case = closed(team, own[0])
    before = state(case)
    resident_client(client, team.resident)
    response = client.post(reverse("portal_reopen", args=[case.number]), {"version": case.version})
    assert response.status_code == 422
    assert state(case) == before


def test_a_stale_rating_is_refused_with_a_message(client, team, own):
    case = closed(team, own[0])
    resident_client(client, team.resident)
    client.post(reverse("portal_rate", args=[case.number]), {"version": case.version, "rating": 5})
    before = state(case)
    response = client.post(
        reverse("portal_rate", args=[case.number]), {"version": case.version, "rating": 1}
    )
    assert response.status_code in (409, 422)
    assert 'id="refusal"' in response.content.decode()
    assert state(case) == before


def test_my_cases_costs_the_same_for_one_case_or_many(client, team, own):
    resident_client(client, team.resident)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("portal_mine")).status_code == 200
        return len(captured)

    one = queries()
    for _ in range(4):
        report(team.resident, title="又一盏")
    assert queries() == one
