"""Intake: validation, placing, numbers, idempotency, deadlines, duplicates, on-spot resolution."""

from datetime import UTC, datetime, timedelta

import pytest

from wangge.cases.enums import CaseState, HandlingLevel
from wangge.cases.intake import duplicate_candidates
from wangge.cases.models import REPORTER_PHONE_AAD, Case, CaseEvent
from wangge.core.calendar import LOCAL_TZ
from wangge.core.crypto import decrypt
from wangge.core.errors import Conflict, PermissionDenied, ValidationFailed
from wangge.core.models import AuditEvent
from wangge.orgs.models import ServiceHours

from .factories import (
    POINT_A1,
    POINT_A1_NEAR,
    POINT_B1,
    POINT_OUTSIDE,
    category,
    crew,
    report,
)

pytestmark = pytest.mark.django_db


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ)


def shown(value: datetime | None) -> datetime:
    assert value is not None
    return value.astimezone(LOCAL_TZ)


@pytest.fixture
def c():
    team = crew()
    category()
    return team


# --- placing -----------------------------------------------------------------------------------


def test_a_resident_report_lands_in_the_grid_and_with_its_community(c):
    case = report(c.resident)
    assert case.grid == c.street.grid_a1
    assert case.path == c.street.grid_a1.path
    assert case.handler_unit == c.street.community_a
    assert case.handler_path == c.street.community_a.path
    assert case.state == CaseState.REPORTED
    assert case.reporter == c.resident.user
    assert case.version == 1
    event = CaseEvent.objects.get(case=case)
    assert (event.action, event.to_state) == ("report", CaseState.REPORTED)


def test_street_and_department_levels_pick_the_street_and_the_named_department(c):
    category("T02", "占道经营", handling_level=HandlingLevel.STREET)
    category("T03", "违章搭建", handling_level=HandlingLevel.DEPARTMENT, default_department="城管")
    category("T04", "噪音", handling_level=HandlingLevel.DEPARTMENT, default_department="环保")
    assert report(c.resident, category_code="T02").handler_unit == c.street.street
    assert report(c.resident, category_code="T03").handler_unit == c.street.department
    # No department of that name: the street holds it.
    assert report(c.resident, category_code="T04").handler_unit == c.street.street


def test_a_point_in_no_grid_is_refused_on_lng_and_nothing_is_written(c):
    with pytest.raises(ValidationFailed) as caught:
        report(c.resident, point=POINT_OUTSIDE)
    assert (caught.value.code, caught.value.field) == ("outside_grids", "lng")
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"category_code": "NOPE"}, "category_code", "unknown_category"),
        ({"title": "  "}, "title", "required"),
        ({"title": "长" * 101}, "title", "too_long"),
        ({"point": (181.0, 30.0)}, "lng", "out_of_range"),
        ({"point": (104.0, 91.0)}, "lat", "out_of_range"),
        ({"anonymous": True}, "anonymous", "anonymous_not_allowed"),
        ({"reporter_phone": "12345"}, "reporter_phone", "invalid"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(c, changes, field, code):
    with pytest.raises(ValidationFailed) as caught:
        report(c.resident, **changes)
    assert (caught.value.field, caught.value.code) == (field, code)
    assert not Case.objects.exists()
    assert not CaseEvent.objects.exists()


def test_an_inactive_category_is_refused(c):
    category("T05", "停用", is_active=False)
    with pytest.raises(ValidationFailed) as caught:
        report(c.resident, category_code="T05")
    assert caught.value.code == "unknown_category"


def test_required_attributes_must_be_given_and_choices_respected(c):
    category(
        "T06",
        "井盖",
        attributes=[
            {
                "code": "kind",
                "required": True,
                "datatype": "singlevaluelist",
                "values": [{"key": "water", "name": "水"}, {"key": "power", "name": "电"}],
            },
            {"code": "note", "required": False, "datatype": "string"},
        ],
    )
    with pytest.raises(ValidationFailed) as missing:
        report(c.resident, category_code="T06")
    assert missing.value.field == "attributes.kind"
    with pytest.raises(ValidationFailed) as wrong:
        report(c.resident, category_code="T06", attributes={"kind": "gas"})
    assert wrong.value.code == "invalid_choice"
    case = report(c.resident, category_code="T06", attributes={"kind": "water", "other": "x"})
    assert case.attributes == {"kind": "water"}


def test_anonymous_reports_where_allowed_hide_the_reporter_in_the_timeline(c):
    category("T07", "乱扔垃圾", anonymous_allowed=True)
    from wangge.core.scope import Actor

    case = report(Actor(user=None), category_code="T07", anonymous=True)
    assert case.anonymous and case.reporter is None
    assert CaseEvent.objects.get(case=case).actor_name == ""


def test_a_resident_source_needs_a_resident_or_an_anonymous_report(c):
    with pytest.raises(PermissionDenied):
        report(c.command, source="resident")
    with pytest.raises(PermissionDenied):
        report(c.resident, source="grid_worker")
    with pytest.raises(PermissionDenied):
        # Community b's staff cannot take a window report for community a's place.
        report(c.community_b, source="window")
    assert not Case.objects.exists()
    assert report(c.grid_worker, source="grid_worker").source == "grid_worker"
    assert report(c.community_a, source="window").source == "window"


def test_the_reporter_phone_is_encrypted_and_kept_out_of_the_audit_trail(c):
    case = report(c.resident, reporter_phone="13800138000", hotline_number="12345-001")
    assert case.reporter_phone_encrypted is not None
    assert decrypt(case.reporter_phone_encrypted, aad=REPORTER_PHONE_AAD) == "13800138000"
    row = AuditEvent.objects.get(action="cases.case_report")
    assert "13800138000" not in str(row.detail)
    assert row.object_id == case.number


# --- numbers and idempotency -------------------------------------------------------------------


def test_numbers_are_the_day_and_a_counter(c):
    first = report(c.resident, now=local(2026, 11, 2, 9, 0))
    second = report(c.resident, now=local(2026, 11, 2, 9, 5))
    other_day = report(c.resident, now=local(2026, 11, 3, 9, 0))
    assert first.number == "SJ20261102000001"
    assert second.number == "SJ20261102000002"
    assert other_day.number == "SJ20261103000001"
    assert sorted([other_day.number, second.number, first.number])[0] == first.number


def test_the_local_day_names_the_number_not_utc(c):
    # 23:30 UTC on 1 November is 07:30 on 2 November in Shanghai.
    case = report(c.resident, now=datetime(2026, 11, 1, 23, 30, tzinfo=UTC))
    assert case.number.startswith("SJ20261102")


def test_the_same_idempotency_key_twice_makes_one_case(c):
    first = report(c.resident, idempotency_key="k-1")
    again = report(c.resident, idempotency_key="k-1", title="another title")
    assert again.pk == first.pk
    assert Case.objects.count() == 1
    assert CaseEvent.objects.count() == 1


def test_another_reporter_cannot_replay_someone_elses_key(c):
    report(c.resident, idempotency_key="k-2")
    with pytest.raises(Conflict) as caught:
        report(c.resident2, idempotency_key="k-2")
    assert caught.value.code == "idempotency_key_reused"


def test_a_racing_duplicate_key_returns_the_first_case(c, monkeypatch):
    """The second request passed the first lookup before the first one committed."""
    first = report(c.resident, idempotency_key="k-3")
    real_filter = Case.objects.filter
    skipped = {"done": False}

    def blind_first_lookup(*args, **kwargs):
        if "idempotency_key" in kwargs and not skipped["done"]:
            skipped["done"] = True
            return Case.objects.none()
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(Case.objects, "filter", blind_first_lookup)
    again = report(c.resident, idempotency_key="k-3")
    assert skipped["done"]
    assert again.pk == first.pk
    assert Case.objects.count() == 1
    # The number taken by the losing insert was rolled back with it.
    assert report(c.resident).number[-6:] == "000002"


# --- deadlines ---------------------------------------------------------------------------------


def test_national_day_and_the_adjusted_saturday(c):
    """30 Sep 2026 + 3 working days: 8 Oct, 9 Oct, then Saturday 10 Oct (a working day)."""
    case = report(c.resident, now=local(2026, 9, 30, 16, 0))
    assert shown(case.due_at) == local(2026, 10, 10, 17, 30)
    # Accept within 4 working hours: 16:00-17:30 on 30 Sep, then 2.5 h on 8 Oct.
    assert shown(case.stage_due_at) == local(2026, 10, 8, 11, 0)
    assert case.calendar_warning is False


def test_a_deadline_in_a_year_without_its_schedule_counts_weekends_only_and_is_flagged(c):
    """Thursday 30 Dec 2027 + 3 working days: Friday 31 Dec, then Monday 3 and Tuesday 4 Jan
    (2028's New Year holiday is not known yet)."""
    case = report(c.resident, now=local(2027, 12, 30, 10, 0))
    assert case.calendar_warning is True
    assert shown(case.due_at) == local(2028, 1, 4, 17, 30)
    assert shown(case.stage_due_at) == local(2027, 12, 30, 16, 0)
    event = AuditEvent.objects.get(action="cases.case_report", object_id=case.number)
    assert event.detail["calendar_warning"] is True


def test_a_deadline_running_into_a_year_without_its_schedule_is_flagged(c):
    # From Wednesday 30 Dec 2026: 31 Dec, Friday 1 Jan 2027 (no holiday known yet), Monday 4 Jan.
    case = report(c.resident, now=local(2026, 12, 30, 10, 0))
    assert case.calendar_warning is True
    assert shown(case.due_at) == local(2027, 1, 4, 17, 30)


def test_the_handler_units_service_hours_set_the_end_of_the_day(c):
    ServiceHours.objects.create(org_unit=c.street.community_a, afternoon_end="18:00")
    case = report(c.resident, now=local(2026, 11, 2, 9, 0))
    assert shown(case.due_at) == local(2026, 11, 5, 18, 0)


# --- duplicates --------------------------------------------------------------------------------


def test_duplicate_candidates_are_near_recent_open_and_of_the_same_category(c):
    now = local(2026, 11, 2, 9, 0)
    near = report(c.resident, now=now)
    report(c.resident, point=POINT_B1, now=now)  # 2 km away
    category("T08", "其他")
    report(c.resident, category_code="T08", now=now)  # other category
    report(c.resident, now=now - timedelta(days=5))  # outside the 3-day window
    params = {
        "category_code": "T0101",
        "lng": POINT_A1_NEAR[0],
        "lat": POINT_A1_NEAR[1],
        "now": now + timedelta(hours=1),
    }
    assert duplicate_candidates(actor=c.community_a, case_or_params=params) == [near]
    # Community b does not see community a's cases, so it is offered none of them.
    assert duplicate_candidates(actor=c.community_b, case_or_params=params) == []
    newer = report(c.resident, point=POINT_A1_NEAR, now=now + timedelta(hours=1))
    assert duplicate_candidates(actor=c.community_a, case_or_params=newer) == [near]


# --- on the spot -------------------------------------------------------------------------------


def test_a_grid_worker_resolves_an_allowed_category_on_the_spot(c):
    category("T09", "小广告", grid_may_resolve=True)
    case = report(
        c.grid_worker,
        category_code="T09",
        source="grid_worker",
        resolve_on_spot=True,
        now=local(2026, 11, 2, 9, 0),
    )
    assert case.state == CaseState.HANDLED
    assert case.handler_unit == c.street.grid_a1
    actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions == ["report", "handle"]
    # Still to be verified, within the verification hours.
    assert shown(case.stage_due_at) == local(2026, 11, 3, 10, 0)


def test_on_the_spot_needs_an_allowed_category_and_a_grid_worker(c):
    with pytest.raises(ValidationFailed) as caught:
        report(c.grid_worker, source="grid_worker", resolve_on_spot=True)
    assert caught.value.field == "resolve_on_spot"
    category("T10", "小广告", grid_may_resolve=True)
    with pytest.raises(PermissionDenied):
        report(c.community_a, category_code="T10", source="window", resolve_on_spot=True)
    assert not Case.objects.exists()


def test_reports_stay_inside_the_grid_of_the_point(c):
    assert report(c.resident, point=POINT_B1).handler_unit == c.street.community_b
    assert POINT_A1 != POINT_B1
