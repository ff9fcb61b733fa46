"""case_get (timeline and the actor's actions) and the queues with keyset pagination."""

from datetime import datetime

import pytest

from wangge.cases import services as s
from wangge.cases.selectors import case_get, case_queue
from wangge.core.calendar import LOCAL_TZ
from wangge.core.errors import NotFound, ValidationFailed

from .factories import POINT_B1, category, crew, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def c():
    team = crew()
    category()
    return team


def numbers(page) -> list[str]:
    return [case.number for case in page.items]


def test_case_get_gives_the_timeline_and_only_this_actors_actions(c):
    case = report(c.resident)
    detail = case_get(actor=c.community_a, number=case.number)
    assert [event.action for event in detail.timeline] == ["report"]
    assert detail.actions == ["accept", "reject", "merge"]
    assert case_get(actor=c.grid_worker, number=case.number).actions == []
    assert case_get(actor=c.resident, number=case.number).actions == []
    with pytest.raises(NotFound):
        case_get(actor=c.resident2, number=case.number)


def test_the_reporter_is_offered_rate_on_a_closed_case(c):
    case = report(c.resident)
    unit = c.street.community_a.code
    case = s.case_accept(actor=c.community_a, number=case.number, version=1)
    case = s.case_dispatch(actor=c.community_a, number=case.number, version=2, unit_code=unit)
    case = s.case_handle(actor=c.community_a, number=case.number, version=3)
    case = s.case_verify(actor=c.community_a, number=case.number, version=4)
    case = s.case_close(actor=c.community_a, number=case.number, version=5)
    assert case_get(actor=c.resident, number=case.number).actions == ["rate", "reopen"]


def test_queues_follow_the_roles_and_units(c):
    a = report(c.resident)
    b = report(c.resident, point=POINT_B1)
    assert numbers(case_queue(actor=c.community_a, queue="to_accept")) == [a.number]
    assert numbers(case_queue(actor=c.command, queue="to_accept")) == [a.number, b.number]
    assert numbers(case_queue(actor=c.grid_worker, queue="to_accept")) == []
    a = s.case_accept(actor=c.community_a, number=a.number, version=1)
    assert numbers(case_queue(actor=c.community_a, queue="to_dispatch")) == [a.number]
    a = s.case_dispatch(
        actor=c.command, number=a.number, version=a.version, unit_code=c.street.department.code
    )
    assert numbers(case_queue(actor=c.dept, queue="mine")) == [a.number]
    assert numbers(case_queue(actor=c.dept2, queue="mine")) == []
    assert numbers(case_queue(actor=c.resident, queue="mine")) == [a.number, b.number]
    a = s.case_handle(actor=c.dept, number=a.number, version=a.version)
    assert numbers(case_queue(actor=c.grid_worker, queue="to_verify")) == [a.number]
    assert numbers(case_queue(actor=c.community_b, queue="to_verify")) == []


def test_overdue_lists_open_cases_past_their_stage_deadline_in_scope(c):
    late = report(c.resident, now=datetime(2026, 11, 2, 9, 0, tzinfo=LOCAL_TZ))
    report(c.resident, point=POINT_B1, now=datetime(2026, 11, 2, 9, 0, tzinfo=LOCAL_TZ))
    assert late.number in numbers(case_queue(actor=c.community_a, queue="overdue"))
    assert len(case_queue(actor=c.community_a, queue="overdue").items) == 1
    assert len(case_queue(actor=c.command, queue="overdue").items) == 2


def test_keyset_pagination_by_id(c):
    made = [report(c.resident).number for _ in range(5)]
    first = case_queue(actor=c.command, queue="to_accept", limit=2)
    assert numbers(first) == made[:2] and first.next_after is not None
    second = case_queue(actor=c.command, queue="to_accept", limit=2, after_id=first.next_after)
    assert numbers(second) == made[2:4]
    last = case_queue(actor=c.command, queue="to_accept", limit=2, after_id=second.next_after)
    assert numbers(last) == made[4:] and last.next_after is None


def test_an_unknown_queue_is_refused(c):
    with pytest.raises(ValidationFailed) as caught:
        case_queue(actor=c.command, queue="everything")
    assert caught.value.field == "queue"


def test_case_get_makes_a_fixed_number_of_queries(c, django_assert_max_num_queries):
    case = report(c.resident)
    s.case_accept(actor=c.community_a, number=case.number, version=1)
    # The case, its timeline, the current whistle's report-ins and the extension requests.
    with django_assert_max_num_queries(4):
        case_get(actor=c.community_a, number=case.number)
