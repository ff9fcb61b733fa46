"""Maintained rollups and derived tags: the register's nightly bookkeeping.

`grid_counts_refresh` rebuilds the GridCount rows that grid cards and the map colouring read, so
that neither ever scans persons (1,800 grids over 1,000,000 persons would take seconds per page).
`derived_tags_refresh` keeps the derived key-population tags (KeyPopulationTag.derived) in step
with age, household, residence status and dwelling use. Both work in a few GROUP BY / IN queries
and bulk writes, never one query per person, and both are idempotent: a second run with nothing
changed in between writes nothing. `manage.py wangge_refresh_register` runs them every night.

Who counts: a person is *active* unless archived (retention) or moved out on or before today.
A tag counts on `today` when valid_from <= today and (valid_to is null or valid_to >= today).

Derived tag rules (as of `today`, active persons only):
- elder_living_alone (独居老人): aged 60 or over and the only active member of their household.
- empty_nest_elder (空巢老人): aged 60 or over in a household of two or more active members who
  are all 60 or over (an elderly couple or elderly siblings with no younger person at home).
  The two tags are disjoint on purpose, so that their counts add up to "elders without
  younger household members".
- migrant (流动人口): residence status "migrant".
- rental_tenant (出租房屋租户): the household's dwelling is rented out, and the person is not that
  dwelling's landlord.
A person who no longer qualifies gets the open tag row ended on yesterday (valid_to = today - 1),
so the history keeps when it held; a row that started today is removed instead (it never held on
an earlier day, and valid_to may not precede valid_from).
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from wangge.core.scope import Actor
from wangge.orgs.enums import GRID_KINDS
from wangge.orgs.models import OrgUnit

from .enums import BuiltinTag, DwellingUse, ResidenceStatus
from .models import GridCount, KeyPopulationTag, Person, PersonTag, RecordChange
from .permissions import SYSTEM_USERNAME, audit_register

ELDER_AGE = 60
TAG_PREFIX = "tag:"
# Well below every database's limit on bound parameters (SQLite: 32,766; PostgreSQL: 65,535).
CHUNK = 5_000


def local_today() -> date:
    return timezone.localdate()


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def active_persons(today: date) -> QuerySet[Person]:
    return Person.objects.filter(archived_at__isnull=True).filter(
        Q(move_out_date__isnull=True) | Q(move_out_date__gt=today)
    )


def valid_on(today: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}valid_from__lte": today}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": today})
    )


def chunks(values: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- grid counts --------------------------------------------------------------------------------


@transaction.atomic
def grid_counts_refresh(grid_ids: Iterable[int] | None = None, *, today: date | None = None) -> int:
    """Recompute the GridCount rows of these grids (None: every grid); returns rows written.

    Three metrics from one GROUP BY over persons, one `tag:<code>` metric per tag from one GROUP
    BY over the tags valid today. Zeros are not stored: the reader fills them in.
    """
    today = today or local_today()
    ids = None if grid_ids is None else sorted(set(grid_ids))
    persons = active_persons(today).filter(grid__isnull=False)
    tags = PersonTag.objects.filter(
        valid_on(today),
        Q(person__move_out_date__isnull=True) | Q(person__move_out_date__gt=today),
        person__archived_at__isnull=True,
        person__grid__isnull=False,
    )
    if ids is not None:
        persons = persons.filter(grid_id__in=ids)
        tags = tags.filter(person__grid_id__in=ids)
    rows: list[GridCount] = []
    base = persons.values("grid_id").annotate(
        persons=Count("id"),
        party_members=Count("id", filter=Q(party_member=True)),
        households=Count("household_id", distinct=True),
    )
    for row in base.order_by():
        for metric in ("persons", "party_members", "households"):
            if row[metric]:
                rows.append(GridCount(grid_id=row["grid_id"], metric=metric, value=row[metric]))
    codes = dict(KeyPopulationTag.objects.values_list("id", "code"))
    per_tag = (
        tags.values("person__grid_id", "tag_id")
        .annotate(n=Count("person_id", distinct=True))
        .order_by()
    )
    for row in per_tag:
        rows.append(
            GridCount(
                grid_id=row["person__grid_id"],
                metric=f"{TAG_PREFIX}{codes[row['tag_id']]}",
                value=row["n"],
            )
        )
    stale = GridCount.objects.all()
    if ids is None:
        stale.delete()
    else:
        for part in chunks(ids):
            stale.filter(grid_id__in=part).delete()
    GridCount.objects.bulk_create(rows, batch_size=2_000)
    return len(rows)


def all_grid_ids() -> list[int]:
    return list(OrgUnit.objects.filter(kind__in=GRID_KINDS).values_list("id", flat=True))


# --- derived tags --------------------------------------------------------------------------------


def qualifying_persons(today: date, person_ids: list[int] | None) -> dict[str, set[int]]:
    """{tag code: ids of the persons who hold it today}, limited to `person_ids` when given."""
    active = active_persons(today)
    if person_ids is not None:
        # Household rules look at the other members, so the members come along.
        households = set(
            Person.objects.filter(pk__in=person_ids, household__isnull=False).values_list(
                "household_id", flat=True
            )
        )
        scope = Q(pk__in=person_ids) | Q(household_id__in=households)
        active = active.filter(scope)
    cutoff = years_before(today, ELDER_AGE)  # born on or before: 60 or over today
    in_households = active.filter(household__isnull=False)
    sizes = in_households.values("household_id").annotate(
        members=Count("id"), younger=Count("id", filter=Q(birth_date__gt=cutoff))
    )
    alone = sizes.filter(members=1).values("household_id")
    all_elder = sizes.filter(members__gte=2, younger=0).values("household_id")
    elders = in_households.filter(birth_date__lte=cutoff)

    def ids(queryset) -> set[int]:
        return set(queryset.values_list("id", flat=True))

    return {
        BuiltinTag.ELDER_LIVING_ALONE: ids(elders.filter(household_id__in=alone)),
        BuiltinTag.EMPTY_NEST_ELDER: ids(elders.filter(household_id__in=all_elder)),
        BuiltinTag.MIGRANT: ids(active.filter(residence_status=ResidenceStatus.MIGRANT)),
        BuiltinTag.RENTAL_TENANT: ids(
            in_households.filter(household__dwelling__use=DwellingUse.RENTED).exclude(
                household__dwelling__landlord_id=F("id")
            )
        ),
    }


@transaction.atomic
def derived_tags_refresh(
    person_ids: Iterable[int] | None = None, *, today: date | None = None
) -> dict[str, dict[str, int]]:
    """Start and end the derived tags of these persons (None: everyone) as of `today`.

    Returns {tag code: {"added": n, "ended": n}}. Each change is written to the person's history
    (RecordChange) and the run, when it changed anything, to the audit trail (counts only).
    """
    today = today or local_today()
    ids = None if person_ids is None else sorted(set(person_ids))
    tags = dict(KeyPopulationTag.objects.filter(derived=True).values_list("code", "id"))
    should = qualifying_persons(today, ids)
    scope_ids = None
    if ids is not None:
        scope_ids = set(ids)
        for members in should.values():
            scope_ids |= members
        # Everyone whose rows we may end: the persons asked about and their household members.
        households = Person.objects.filter(pk__in=ids, household__isnull=False).values(
            "household_id"
        )
        scope_ids |= set(
            Person.objects.filter(household_id__in=households).values_list("id", flat=True)
        )
    summary: dict[str, dict[str, int]] = {}
    fresh: list[PersonTag] = []
    history: list[RecordChange] = []
    now = timezone.now()
    for code, tag_id in tags.items():
        wanted = should.get(code, set())
        open_rows = PersonTag.objects.filter(tag_id=tag_id).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=today)
        )
        current: dict[int, list[tuple[int, date]]] = defaultdict(list)
        rows: Iterable[tuple[int, int, date]]
        if scope_ids is None:
            rows = open_rows.values_list("id", "person_id", "valid_from")
        else:
            rows = (
                row
                for part in chunks(sorted(scope_ids))
                for row in open_rows.filter(person_id__in=part).values_list(
                    "id", "person_id", "valid_from"
                )
            )
        for row_id, person_id, valid_from in rows:
            current[person_id].append((row_id, valid_from))
        added = sorted(wanted - current.keys())
        ending = [
            (row_id, valid_from)
            for person_id, held in current.items()
            if person_id not in wanted
            for row_id, valid_from in held
        ]
        fresh += [PersonTag(person_id=pid, tag_id=tag_id, valid_from=today) for pid in added]
        end_ids = [row_id for row_id, valid_from in ending if valid_from < today]
        drop_ids = [row_id for row_id, valid_from in ending if valid_from >= today]
        for part in chunks(end_ids):
            PersonTag.objects.filter(pk__in=part).update(valid_to=today - timedelta(days=1))
        for part in chunks(drop_ids):
            PersonTag.objects.filter(pk__in=part).delete()
        ended_persons = sorted(pid for pid in current if pid not in wanted)
        history += [change(pid, now, "tag_added", code, None, today) for pid in added]
        history += [
            change(pid, now, "tag_ended", code, None, today - timedelta(days=1))
            for pid in ended_persons
        ]
        summary[code] = {"added": len(added), "ended": len(ended_persons)}
    PersonTag.objects.bulk_create(fresh, batch_size=2_000)
    RecordChange.objects.bulk_create(history, batch_size=2_000)
    if history:
        audit_register(
            Actor.system(),
            "registry.derived_tags_refresh",
            object_type="person_tag",
            object_id="derived",
            detail={"changes": summary, "scope": "all" if ids is None else len(ids)},
        )
    return summary


def change(person_id: int, now, action: str, code: str, old, new) -> RecordChange:
    def shown(day):
        return None if day is None else day.isoformat()

    return RecordChange(
        object_type="person",
        object_id=person_id,
        changed_at=now,
        actor=None,
        actor_username=SYSTEM_USERNAME,
        action=action,
        changes={f"{TAG_PREFIX}{code}": [shown(old), shown(new)]},
    )
