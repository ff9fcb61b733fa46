"""Intake's per-process caches and its one-statement case numbers.

The caches follow the DIRECTORY revision: a change made through the org services is seen by the
next intake of the same process at once, even when the revision is only re-read rarely
(WANGGE_CACHE_RECHECK_SECONDS set high below), and by other processes once they re-read it.
"""

from datetime import datetime

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from wangge.cases import numbers
from wangge.cases.enums import HandlingLevel
from wangge.cases.models import Case, CaseNumberSequence
from wangge.core.calendar import LOCAL_TZ
from wangge.core.models import Revision
from wangge.core.revisions import DIRECTORY
from wangge.core.scope import Actor
from wangge.orgs.enums import OrgUnitKind
from wangge.orgs.service_hours import service_hours_set
from wangge.orgs.services import org_unit_create

from .factories import category, crew, report

pytestmark = pytest.mark.django_db

RARELY = override_settings(WANGGE_CACHE_RECHECK_SECONDS=3600.0)


@pytest.fixture
def c():
    team = crew()
    category()
    return team


def local(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=LOCAL_TZ)


@RARELY
def test_new_service_hours_apply_to_the_next_intake_at_once(c):
    before = report(c.resident, now=local(2, 9))
    assert before.due_at is not None and before.due_at.astimezone(LOCAL_TZ).hour == 17
    service_hours_set(
        actor=Actor.system(),
        org_unit_code=c.street.community_a.code,
        morning_start="08:30",
        morning_end="12:00",
        afternoon_start="14:00",
        afternoon_end="18:00",
    )
    after = report(c.resident, now=local(2, 9))
    assert after.due_at is not None and after.due_at.astimezone(LOCAL_TZ).hour == 18


@RARELY
def test_a_new_department_takes_department_cases_at_once(c):
    category("T04", "噪音", handling_level=HandlingLevel.DEPARTMENT, default_department="环保")
    assert report(c.resident, category_code="T04").handler_unit == c.street.street
    unit = org_unit_create(
        actor=Actor.system(),
        code="511402001000D09",
        name="环保所",
        kind=OrgUnitKind.DEPARTMENT,
        parent_code=c.street.street.code,
    )
    assert report(c.resident, category_code="T04").handler_unit == unit


@RARELY
def test_a_directory_change_in_another_process_is_seen_once_the_revision_is_read(c):
    category("T04", "噪音", handling_level=HandlingLevel.DEPARTMENT, default_department="环保")
    assert report(c.resident, category_code="T04").handler_unit == c.street.street
    from wangge.orgs.tests.factories import org_unit

    # Another process made the unit and bumped the revision: only the database row changed.
    unit = org_unit("511402001000D09", "环保所", OrgUnitKind.DEPARTMENT, c.street.street)
    Revision.objects.update_or_create(name=DIRECTORY, defaults={"number": 99})
    assert report(c.resident, category_code="T04").handler_unit == c.street.street
    with override_settings(WANGGE_CACHE_RECHECK_SECONDS=0.0):
        assert report(c.resident, category_code="T04").handler_unit == unit


@RARELY
def test_a_warm_intake_reads_no_directory_category_or_hours_rows(c):
    report(c.resident)
    with CaptureQueriesContext(connection) as captured:
        case = report(c.resident)
    tables = ("orgs_orgunit", "cases_casecategory", "orgs_servicehours", "orgs_roleassignment")
    read = [q["sql"] for q in captured if any(f'"{t}"' in q["sql"] for t in tables)]
    assert read == []
    assert case.grid == c.street.grid_a1 and case.handler_unit == c.street.community_a
    # One statement takes the number.
    sequence = [q["sql"] for q in captured if "cases_casenumbersequence" in q["sql"]]
    assert len(sequence) == 1 and "RETURNING" in sequence[0]


def test_the_returning_path_and_the_locking_path_share_one_counter(c, monkeypatch):
    day = local(2, 9)
    first = report(c.resident, now=day)  # no row for the day yet: made by the locking path
    second = report(c.resident, now=day)  # one UPDATE ... RETURNING
    monkeypatch.setattr(numbers, "_returning_supported", lambda: False)
    third = report(c.resident, now=day)
    assert [first.number, second.number, third.number] == [
        "SJ20261102000001",
        "SJ20261102000002",
        "SJ20261102000003",
    ]
    assert CaseNumberSequence.objects.get().last == 3


def test_cached_rows_are_copies(c):
    """A request that changes the objects it was given cannot change the next request's."""
    first = report(c.resident)
    assert first.grid is not None
    first.grid.name = "changed"
    first.category.name = "changed"
    second = report(c.resident)
    assert second.grid is not None and second.grid.name == c.street.grid_a1.name
    assert second.category.name == "路灯损坏"
    assert Case.objects.count() == 2
