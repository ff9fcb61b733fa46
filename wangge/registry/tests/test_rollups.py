"""Grid counts rollup and derived key-population tags (wangge.registry.rollups)."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from wangge.core.models import AuditEvent
from wangge.registry.enums import DwellingUse, Relationship, ResidenceStatus
from wangge.registry.models import GridCount, Person, PersonTag, RecordChange
from wangge.registry.rollups import derived_tags_refresh, grid_counts_refresh, years_before
from wangge.registry.tests.factories import (
    make_building,
    make_dwelling,
    make_household,
    make_person,
    tag_person,
)

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 30)
OLD = date(1950, 3, 1)  # 76
YOUNG = date(1990, 6, 1)


def counts(grid) -> dict[str, int]:
    return dict(GridCount.objects.filter(grid=grid).values_list("metric", "value"))


def household_in(grid, number="1-101", use=DwellingUse.OWNER_OCCUPIED, **extra):
    building = make_building(grid, name=f"B{number}")
    return make_household(make_dwelling(building, number, use=use, **extra))


def open_tags(code: str) -> set[int]:
    return set(
        PersonTag.objects.filter(tag__code=code, valid_to__isnull=True).values_list(
            "person_id", flat=True
        )
    )


def snapshot() -> tuple:
    return (
        sorted(
            PersonTag.objects.values_list("id", "person_id", "tag_id", "valid_from", "valid_to")
        ),
        RecordChange.objects.count(),
        AuditEvent.objects.count(),
        sorted(GridCount.objects.values_list("grid_id", "metric", "value")),
    )


# --- grid counts --------------------------------------------------------------------------------


def test_counts_persons_households_party_members_and_tags_valid_today(street):
    a1, b1 = street.grid_a1, street.grid_b1
    first = household_in(a1, "1-101")
    second = household_in(a1, "1-102")
    head = make_person("张伟", household=first, party_member=True)
    make_person("李娜", household=first, relationship=Relationship.SPOUSE, female=True)
    make_person("王强", household=second)
    make_person("赵敏", grid=b1)  # no household: a person, not a household
    tag_person(head, "veteran", since=date(2020, 1, 1))
    tag_person(head, "disability", since=date(2020, 1, 1), grade=2)
    grid_counts_refresh(today=TODAY)
    assert counts(a1) == {
        "persons": 3,
        "households": 2,
        "party_members": 1,
        "tag:veteran": 1,
        "tag:disability": 1,
    }
    assert counts(b1) == {"persons": 1}
    assert counts(street.grid_a2) == {}


def test_archived_moved_out_and_tags_out_of_validity_are_not_counted(street):
    grid = street.grid_a1
    household = household_in(grid)
    stays = make_person("张伟", household=household)
    make_person("李娜", household=household, female=True, archived_at=timezone.now())
    make_person("王强", household=household, move_out_date=TODAY)  # gone today: not counted
    leaving = make_person("刘洋", household=household, move_out_date=TODAY + timedelta(days=1))
    tag_person(stays, "veteran", since=date(2020, 1, 1), valid_to=TODAY - timedelta(days=1))
    tag_person(stays, "disability", since=TODAY + timedelta(days=1))
    tag_person(stays, "key_youth", since=TODAY, valid_to=TODAY)  # valid today only: counted
    tag_person(leaving, "veteran", since=date(2020, 1, 1))
    grid_counts_refresh(today=TODAY)
    assert counts(grid) == {
        "persons": 2,
        "households": 1,
        "tag:key_youth": 1,
        "tag:veteran": 1,
    }


def test_refresh_of_some_grids_leaves_the_others_alone(street):
    a1, b1 = street.grid_a1, street.grid_b1
    make_person("张伟", grid=a1)
    make_person("李娜", grid=b1, female=True)
    grid_counts_refresh(today=TODAY)
    make_person("王强", grid=a1)
    Person.objects.filter(grid=b1).update(move_out_date=TODAY - timedelta(days=3))
    grid_counts_refresh([a1.id], today=TODAY)
    assert counts(a1) == {"persons": 2}
    assert counts(b1) == {"persons": 1}, "b1 was not asked for: its old row stays"
    grid_counts_refresh([b1.id], today=TODAY)
    assert counts(b1) == {}, "an emptied grid loses its rows"


def test_grid_counts_refresh_is_idempotent(street):
    make_person("张伟", grid=street.grid_a1, party_member=True)
    grid_counts_refresh(today=TODAY)
    before = snapshot()
    grid_counts_refresh(today=TODAY)
    assert snapshot() == before


# --- derived tags --------------------------------------------------------------------------------


def test_derived_tags_follow_age_household_residence_and_rental(street):
    grid = street.grid_a1
    alone = make_person(
        "孙秀英", household=household_in(grid, "1-101"), birth_date=OLD, female=True
    )
    couple = household_in(grid, "1-102")
    husband = make_person("周建国", household=couple, birth_date=OLD)
    wife = make_person(
        "吴桂兰",
        household=couple,
        birth_date=date(1958, 1, 1),
        female=True,
        relationship=Relationship.SPOUSE,
    )
    family = household_in(grid, "1-103")
    grandpa = make_person("郑国强", household=family, birth_date=OLD)
    make_person("郑小龙", household=family, birth_date=YOUNG, relationship=Relationship.CHILD)
    landlord = make_person("钱多多", grid=grid)
    rented = household_in(grid, "1-104", use=DwellingUse.RENTED, landlord=landlord)
    tenant = make_person(
        "马超", household=rented, residence_status=ResidenceStatus.MIGRANT, birth_date=YOUNG
    )
    # The landlord living in the flat they let (a room let out) is not its tenant.
    Person.objects.filter(pk=landlord.pk).update(household=rented)

    summary = derived_tags_refresh(today=TODAY)

    assert open_tags("elder_living_alone") == {alone.id}
    assert open_tags("empty_nest_elder") == {husband.id, wife.id}
    assert grandpa.id not in open_tags("empty_nest_elder") | open_tags("elder_living_alone")
    assert open_tags("migrant") == {tenant.id}
    assert open_tags("rental_tenant") == {tenant.id}
    assert summary["empty_nest_elder"] == {"added": 2, "ended": 0}
    assert set(PersonTag.objects.values_list("valid_from", flat=True)) == {TODAY}
    assert RecordChange.objects.filter(object_type="person", action="tag_added").count() == 5
    assert AuditEvent.objects.filter(action="registry.derived_tags_refresh").count() == 1


def test_the_sixtieth_birthday_is_the_first_elder_day(street):
    born = years_before(TODAY, 60)
    person = make_person("孙秀英", household=household_in(street.grid_a1), birth_date=born)
    derived_tags_refresh(today=TODAY - timedelta(days=1))
    assert person.id not in open_tags("elder_living_alone")
    derived_tags_refresh(today=TODAY)
    assert person.id in open_tags("elder_living_alone")


def test_second_run_changes_nothing(street):
    grid = street.grid_a1
    make_person("孙秀英", household=household_in(grid, "1-101"), birth_date=OLD, female=True)
    make_person("马超", grid=grid, residence_status=ResidenceStatus.MIGRANT)
    derived_tags_refresh(today=TODAY)
    grid_counts_refresh(today=TODAY)
    before = snapshot()
    summary = derived_tags_refresh(today=TODAY)
    grid_counts_refresh(today=TODAY)
    assert snapshot() == before
    assert all(change == {"added": 0, "ended": 0} for change in summary.values())


def test_a_person_who_stops_qualifying_has_the_tag_ended_yesterday(street):
    household = household_in(street.grid_a1)
    elder = make_person("孙秀英", household=household, birth_date=OLD, female=True)
    derived_tags_refresh(today=TODAY - timedelta(days=10))
    # A grandchild moves in: she no longer lives alone.
    make_person(
        "孙小明", household=household, birth_date=YOUNG, relationship=Relationship.GRANDCHILD
    )
    derived_tags_refresh(today=TODAY)
    row = PersonTag.objects.get(person=elder, tag__code="elder_living_alone")
    assert (row.valid_from, row.valid_to) == (TODAY - timedelta(days=10), TODAY - timedelta(days=1))
    assert RecordChange.objects.filter(object_id=elder.id, action="tag_ended").count() == 1
    # and the tag no longer counts
    grid_counts_refresh(today=TODAY)
    assert "tag:elder_living_alone" not in counts(street.grid_a1)


def test_a_tag_started_today_that_no_longer_holds_is_removed(street):
    migrant = make_person("马超", grid=street.grid_a1, residence_status=ResidenceStatus.MIGRANT)
    derived_tags_refresh(today=TODAY)
    Person.objects.filter(pk=migrant.pk).update(residence_status=ResidenceStatus.REGISTERED)
    derived_tags_refresh(today=TODAY)
    assert not PersonTag.objects.filter(person=migrant).exists()


def test_moved_out_and_archived_persons_lose_their_derived_tags(street):
    gone = make_person("马超", grid=street.grid_a1, residence_status=ResidenceStatus.MIGRANT)
    derived_tags_refresh(today=TODAY - timedelta(days=5))
    Person.objects.filter(pk=gone.pk).update(move_out_date=TODAY - timedelta(days=1))
    derived_tags_refresh(today=TODAY)
    assert open_tags("migrant") == set()


def test_refresh_of_some_persons_looks_at_their_household_and_nobody_else(street):
    grid = street.grid_a1
    household = household_in(grid, "1-101")
    elder = make_person("孙秀英", household=household, birth_date=OLD, female=True)
    other = make_person("马超", grid=grid, residence_status=ResidenceStatus.MIGRANT)
    derived_tags_refresh(today=TODAY)
    young = make_person(
        "孙小明", household=household, birth_date=YOUNG, relationship=Relationship.GRANDCHILD
    )
    Person.objects.filter(pk=other.pk).update(residence_status=ResidenceStatus.REGISTERED)
    derived_tags_refresh([young.id], today=TODAY + timedelta(days=1))
    assert elder.id not in open_tags("elder_living_alone"), "her household changed"
    assert other.id in open_tags("migrant"), "not asked about: left for the nightly run"


def test_manual_tags_are_never_touched(street):
    person = make_person("张伟", grid=street.grid_a1)
    tag_person(person, "veteran", since=date(2020, 1, 1))
    tag_person(person, "migrant", since=date(2020, 1, 1))  # wrongly set by hand on a derived tag
    derived_tags_refresh(today=TODAY)
    assert PersonTag.objects.get(tag__code="veteran").valid_to is None
    assert PersonTag.objects.get(tag__code="migrant").valid_to == TODAY - timedelta(days=1)


def test_the_nightly_command_runs_both(street, english):
    make_person("马超", grid=street.grid_a1, residence_status=ResidenceStatus.MIGRANT)
    out = StringIO()
    call_command("wangge_refresh_register", "--date", TODAY.isoformat(), stdout=out)
    assert "migrant: 1 added, 0 ended" in out.getvalue()
    assert counts(street.grid_a1) == {"persons": 1, "tag:migrant": 1}
    before = snapshot()
    call_command("wangge_refresh_register", "--date", TODAY.isoformat(), stdout=StringIO())
    assert snapshot() == before


def test_the_command_refuses_a_bad_date(street, english):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("wangge_refresh_register", "--date", "30.11.2026", stdout=StringIO())
    assert not GridCount.objects.exists()
