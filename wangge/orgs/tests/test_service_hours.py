"""Service hours: inherited from the nearest ancestor, set only by an admin of the subtree."""

from datetime import datetime, time, timedelta

import pytest

from wangge.core.calendar import DEFAULT_SCHEDULE, LOCAL_TZ, ServiceSchedule, working_time_between
from wangge.core.errors import NotFound, PermissionDenied, ValidationFailed
from wangge.core.models import AuditEvent, AuditResult
from wangge.core.scope import Actor
from wangge.orgs.actors import actor_for
from wangge.orgs.enums import OrgUnitKind, Role
from wangge.orgs.models import ServiceHours
from wangge.orgs.service_hours import service_hours_set, service_schedule_for
from wangge.orgs.tests.factories import grid_worker, make_street, org_unit, staff_user


@pytest.fixture
def street(db):
    return make_street()


@pytest.fixture
def street_admin(street):
    return actor_for(staff_user("admin_street", Role.ADMIN, street.street))


def hours_rows():
    return list(ServiceHours.objects.order_by("org_unit_id").values())


def test_defaults_without_any_row(street):
    assert service_schedule_for(street.grid_a1) == DEFAULT_SCHEDULE
    assert DEFAULT_SCHEDULE.morning == (time(8, 30), time(12))
    assert DEFAULT_SCHEDULE.afternoon == (time(14), time(17, 30))


def test_the_nearest_ancestor_row_wins(street, street_admin):
    service_hours_set(
        actor=street_admin,
        org_unit_code=street.street.code,
        morning_start="09:00",
        morning_end="12:00",
        afternoon_start="13:30",
        afternoon_end="17:00",
    )
    service_hours_set(
        actor=street_admin,
        org_unit_code=street.community_a.code,
        morning_start=time(8),
        morning_end=time(12),
        afternoon_start=time(14),
        afternoon_end=time(18),
        extended_weekdays=[3],
        extended_end=time(20),
    )
    street_hours = ServiceSchedule(morning=(time(9), time(12)), afternoon=(time(13, 30), time(17)))
    assert service_schedule_for(street.grid_b1) == street_hours
    assert service_schedule_for(street.street) == street_hours
    assert service_schedule_for(street.grid_a1) == ServiceSchedule(
        morning=(time(8), time(12)),
        afternoon=(time(14), time(18)),
        extended_weekdays=frozenset({3}),
        extended_end=time(20),
    )
    assert service_schedule_for(street.district) == DEFAULT_SCHEDULE


def test_a_units_schedule_drives_working_time(street, street_admin):
    service_hours_set(
        actor=street_admin,
        org_unit_code=street.community_a.code,
        morning_start="08:30",
        morning_end="12:00",
        afternoon_start="14:00",
        afternoon_end="17:30",
        extended_weekdays=[3],
        extended_end="19:30",
    )
    wednesday = datetime(2026, 11, 25, tzinfo=LOCAL_TZ)
    day = (wednesday, wednesday + timedelta(days=1))
    assert working_time_between(*day, service_schedule_for(street.grid_a2)) == timedelta(hours=9)
    assert working_time_between(*day, service_schedule_for(street.grid_b2)) == timedelta(hours=7)


def test_setting_again_updates_the_row_and_audits_each_write(street, street_admin):
    for end in ("17:30", "18:00"):
        service_hours_set(
            actor=street_admin,
            org_unit_code=street.street.code,
            morning_start="08:30",
            morning_end="12:00",
            afternoon_start="14:00",
            afternoon_end=end,
        )
    assert ServiceHours.objects.get(org_unit=street.street).afternoon_end == time(18)
    events = AuditEvent.objects.filter(action="service_hours.set", result=AuditResult.OK)
    assert events.count() == 2
    assert events.latest("id").detail["afternoon"] == "14:00-18:00"
    assert events.latest("id").org_path == street.street.path


def test_the_system_actor_may_set_hours(street):
    service_hours_set(
        actor=Actor.system(),
        org_unit_code=street.city.code,
        morning_start="08:00",
        morning_end="12:00",
        afternoon_start="14:00",
        afternoon_end="17:00",
    )
    assert service_schedule_for(street.grid_a1).afternoon == (time(14), time(17))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"morning_start": "12:30"}, "morning_end"),
        ({"afternoon_start": "11:00"}, "afternoon_start"),
        ({"afternoon_end": "14:00"}, "afternoon_end"),
        ({"morning_start": "8点"}, "morning_start"),
        ({"extended_weekdays": [3]}, "extended_end"),
        ({"extended_end": "19:00"}, "extended_weekdays"),
        ({"extended_weekdays": [0], "extended_end": "19:00"}, "extended_weekdays"),
        ({"extended_weekdays": [3], "extended_end": "17:00"}, "extended_end"),
    ],
)
def test_bad_hours_are_refused_naming_the_field(street, street_admin, changes, field):
    values = {
        "morning_start": "08:30",
        "morning_end": "12:00",
        "afternoon_start": "14:00",
        "afternoon_end": "17:30",
        **changes,
    }
    with pytest.raises(ValidationFailed) as caught:
        service_hours_set(actor=street_admin, org_unit_code=street.community_a.code, **values)
    assert caught.value.field == field
    assert hours_rows() == []


def test_a_grid_worker_cannot_set_hours_of_their_own_grid(street):
    worker = actor_for(grid_worker(street))
    with pytest.raises(PermissionDenied):
        service_hours_set(
            actor=worker,
            org_unit_code=street.grid_a1.code,
            morning_start="08:30",
            morning_end="12:00",
            afternoon_start="14:00",
            afternoon_end="17:30",
        )
    assert hours_rows() == []
    assert (
        AuditEvent.objects.filter(action="service_hours.set", result=AuditResult.DENIED).count()
        == 1
    )


def test_an_admin_of_another_subtree_gets_not_found(street):
    other = org_unit("511403000000", "彭山区", OrgUnitKind.DISTRICT, street.city)
    other_admin = actor_for(staff_user("admin_other", Role.ADMIN, other))
    community_admin = actor_for(staff_user("admin_b", Role.ADMIN, street.community_b))
    for actor, code in (
        (other_admin, street.street.code),
        (community_admin, street.community_a.code),
    ):
        with pytest.raises(NotFound):
            service_hours_set(
                actor=actor,
                org_unit_code=code,
                morning_start="08:30",
                morning_end="12:00",
                afternoon_start="14:00",
                afternoon_end="17:30",
            )
    with pytest.raises(NotFound):
        service_hours_set(
            actor=other_admin,
            org_unit_code="999999999999",
            morning_start="08:30",
            morning_end="12:00",
            afternoon_start="14:00",
            afternoon_end="17:30",
        )
    assert hours_rows() == []
