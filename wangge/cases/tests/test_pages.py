"""Case pages through Django's test client: the queues, the case page with only the actions the
actor may take, the whole loop through the forms, and every refusal changing nothing."""

from datetime import datetime

import pytest
from django.urls import reverse

from wangge.cases.enums import CaseState
from wangge.cases.models import Case, CaseEvent
from wangge.core.calendar import LOCAL_TZ
from wangge.orgs.grid_index import grid_index_reset

from .factories import POINT_A1, category, crew, report

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_grid_index():
    grid_index_reset()
    yield
    grid_index_reset()


@pytest.fixture
def c():
    team = crew()
    category()
    return team


def login(client, actor):
    client.force_login(actor.user)
    # English messages for the tests that check wording (the pages follow Accept-Language).
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def act(client, case: Case, action: str, **data):
    data.setdefault("version", case.version)
    return client.post(reverse("cases_act", args=[case.number, action]), data)


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def shown_actions(response) -> list[str]:
    html = response.content.decode()
    return [part.split('"', 1)[0] for part in html.split('data-action="')[1:]]


def test_queue_page_lists_the_cases_to_accept(client, c):
    case = report(c.resident)
    response = login(client, c.community_a).get(reverse("cases_queue") + "?queue=to_accept")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert f'data-case="{case.number}"' in response.content.decode()
    # Community b does not hold it.
    client.logout()
    response = login(client, c.community_b).get(reverse("cases_queue") + "?queue=to_accept")
    assert case.number not in response.content.decode()


def test_queue_page_pages_by_id_and_marks_overdue(client, c, monkeypatch):
    monkeypatch.setattr("wangge.cases.views.pages.PAGE_SIZE", 1)
    first, second = report(c.resident), report(c.resident, title="井盖缺失")
    Case.objects.filter(pk=first.pk).update(card="yellow")
    login(client, c.community_a)
    response = client.get(reverse("cases_queue"), {"queue": "to_accept"})
    html = response.content.decode()
    assert first.number in html and second.number not in html
    assert 'data-badge="yellow"' in html
    assert f"after={first.pk}" in html
    response = client.get(reverse("cases_queue"), {"queue": "to_accept", "after": first.pk})
    html = response.content.decode()
    assert second.number in html and first.number not in html


def test_unknown_queue_is_refused(client, c):
    response = login(client, c.community_a).get(reverse("cases_queue"), {"queue": "nope"})
    assert response.status_code == 422
    assert "Unknown queue nope" in response.content.decode()


def test_nav_links_to_the_cases(client, c):
    response = login(client, c.community_a).get(reverse("cases_queue"))
    assert f'href="{reverse("cases_queue")}" aria-current="page"' in response.content.decode()


def test_case_page_shows_only_the_allowed_actions(client, c):
    case = report(c.resident)
    response = login(client, c.community_a).get(reverse("cases_case", args=[case.number]))
    assert response.status_code == 200
    assert sorted(shown_actions(response)) == ["accept", "merge", "reject"]
    client.logout()
    # A grid worker sees the case (its place) but may not accept it.
    response = login(client, c.grid_worker).get(reverse("cases_case", args=[case.number]))
    assert response.status_code == 200
    assert shown_actions(response) == []


def test_case_page_shows_the_calendar_warning(client, c):
    case = report(c.resident)
    Case.objects.filter(pk=case.pk).update(calendar_warning=True, stage_due_at=None, due_at=None)
    response = login(client, c.community_a).get(reverse("cases_case", args=[case.number]))
    assert "data-calendar-warning" in response.content.decode()


def test_deadlines_without_confirmed_holidays_are_marked_on_the_case_and_in_the_queue(client, c):
    confirmed = report(c.resident, now=datetime(2026, 11, 2, 9, 0, tzinfo=LOCAL_TZ))
    provisional = report(c.resident, now=datetime(2027, 3, 1, 9, 0, tzinfo=LOCAL_TZ))
    login(client, c.community_a)
    page = client.get(reverse("cases_case", args=[provisional.number])).content.decode()
    assert page.count("data-holidays-unconfirmed") == 2  # the stage's and the case's
    assert "Holidays not yet confirmed" in page
    assert "data-calendar-warning" not in page  # the deadlines are there
    page = client.get(reverse("cases_case", args=[confirmed.number])).content.decode()
    assert "data-holidays-unconfirmed" not in page
    queue = client.get(reverse("cases_queue"), {"queue": "to_accept"}).content.decode()
    rows = {
        part.split('"', 1)[0]: part.split("</li>", 1)[0] for part in queue.split('data-case="')[1:]
    }
    assert "data-holidays-unconfirmed" in rows[provisional.number]
    assert "data-holidays-unconfirmed" not in rows[confirmed.number]


def test_the_whole_loop_through_the_pages(client, c):
    case = report(c.resident)
    login(client, c.community_a)
    assert act(client, case, "accept").status_code == 302
    case = fresh(case)
    page = client.get(reverse("cases_case", args=[case.number]))
    assert f'value="{c.street.community_a.code}"' in page.content.decode()
    response = act(client, case, "dispatch", unit_code=c.street.community_a.code)
    assert response.status_code == 302
    assert response["Location"] == reverse("cases_case", args=[case.number])
    case = fresh(case)
    assert act(client, case, "handle", note="已修复").status_code == 302
    client.logout()
    login(client, c.grid_worker)
    assert act(client, fresh(case), "verify").status_code == 302
    client.logout()
    login(client, c.community_a)
    assert act(client, fresh(case), "close").status_code == 302
    case = fresh(case)
    assert case.state == CaseState.CLOSED
    actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions == ["report", "accept", "dispatch", "handle", "verify", "close"]
    page = client.get(reverse("cases_case", args=[case.number])).content.decode()
    assert "已修复" in page and 'data-event="close"' in page


def test_a_stale_version_shows_the_conflict_and_changes_nothing(client, c):
    case = report(c.resident)
    login(client, c.community_a)
    response = act(client, case, "accept", version=case.version + 5)
    assert response.status_code == 409
    assert "Someone else changed case" in response.content.decode()
    after = fresh(case)
    assert (after.state, after.version) == (CaseState.REPORTED, case.version)
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_another_community_gets_404_and_changes_nothing(client, c):
    case = report(c.resident)
    login(client, c.community_b)
    assert client.get(reverse("cases_case", args=[case.number])).status_code == 404
    assert act(client, case, "accept").status_code == 404
    after = fresh(case)
    assert (after.state, after.version) == (CaseState.REPORTED, case.version)


def test_an_action_the_actor_may_not_take_is_403_and_changes_nothing(client, c):
    case = report(c.resident)
    response = act(login(client, c.grid_worker), case, "accept")
    assert response.status_code == 403
    assert fresh(case).state == CaseState.REPORTED


def test_reject_without_a_note_shows_the_error_on_note(client, c):
    case = report(c.resident)
    response = act(login(client, c.community_a), case, "reject", note="  ")
    assert response.status_code == 422
    html = response.content.decode()
    form = html.split('data-action="reject"', 1)[1].split("</form>", 1)[0]
    assert "Give a note" in form.split('for="id_reject_note"', 1)[1]
    assert fresh(case).state == CaseState.REPORTED


def test_dispatch_to_a_unit_outside_the_scope_is_refused(client, c):
    case = report(c.resident)
    login(client, c.community_a)
    act(client, case, "accept")
    case = fresh(case)
    response = act(client, case, "dispatch", unit_code=c.street.department.code)
    assert response.status_code == 422
    assert fresh(case).state == CaseState.ACCEPTED


def test_staff_report_form(client, c):
    login(client, c.grid_worker)
    page = client.get(reverse("cases_report"))
    assert page.status_code == 200 and 'value="T0101"' in page.content.decode()
    response = client.post(
        reverse("cases_report"),
        {
            "category_code": "T0101",
            "title": "路灯不亮",
            "lng": POINT_A1[0],
            "lat": POINT_A1[1],
            "address": "三苏路 1 号",
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases_case", args=[case.number])
    assert case.source == "grid_worker"


def test_window_report_form_refuses_a_missing_title(client, c):
    login(client, c.community_a)
    response = client.post(reverse("cases_report"), {"category_code": "T0101", "title": ""})
    assert response.status_code == 422
    assert Case.objects.count() == 0


def test_residents_do_not_get_the_pages(client, c):
    case = report(c.resident)
    login(client, c.resident)
    assert client.get(reverse("cases_case", args=[case.number])).status_code == 404
    assert client.get(reverse("cases_queue")).status_code == 404


def test_case_page_puts_the_point_on_a_map(client, c):
    case = report(c.resident)
    html = login(client, c.community_a).get(reverse("cases_case", args=[case.number]))
    html = html.content.decode()
    assert 'id="case-map"' in html and 'id="case-point"' in html and "case_map.js" in html
