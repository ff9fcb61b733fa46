"""Grid counts for cards and map colouring: the GridCount rollup against a GROUP BY over persons.

A city generated like `wangge_demo --scale 300` (~1,800 grids) holds N persons (full: 1,000,000;
BENCH_SCALE small: 100,000 over 30 communities) in households of three, inserted directly with
executemany, ~8 % party members and ~12 % carrying a key-population tag (a few expired, a few
moved out). The rollup is then built with grid_counts_refresh (its time is recorded too).

Figure: `grid_counts` (wangge.orgs.selectors, the register's provider reading GridCount) for all
grid codes, as a street-level admin actor: median of repeated calls (target ≤ 100 ms).
Baseline: the same counts computed directly with GROUP BY over registry_person and
registry_persontag. The two must agree, or the run fails. Also recorded: the endpoint's selector
(`grid_counts_in`, which lists the actor's grids first) for a city-level admin.
"""

import random
import time
from datetime import date, timedelta

from common import best_seconds, django_database, median, record, sized

SEED = 20261122
PERSONS_PER_HOUSEHOLD = 3


def main() -> None:
    with django_database():
        from django.db import connection

        communities = sized(small=30, full=300)
        persons = sized(small=100_000, full=1_000_000)
        grids = load_city(communities)
        started = time.perf_counter()
        insert_register(grids, persons)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"{persons:,} persons inserted in {time.perf_counter() - started:.1f} s")
        from wangge.registry.rollups import grid_counts_refresh

        refresh = best_seconds(grid_counts_refresh, repeat=1)
        print(f"rollup built in {refresh:.2f} s")
        measure(grids, persons, refresh)


def load_city(communities: int) -> list[tuple[int, str, str]]:
    from wangge.core.scope import Actor
    from wangge.demo.generator import generate_city
    from wangge.orgs.enums import GRID_KINDS
    from wangge.orgs.models import OrgUnit
    from wangge.orgs.services import org_tree_import

    started = time.perf_counter()
    org_tree_import(
        actor=Actor.system(), feature_collection=generate_city(seed=SEED, scale=communities)
    )
    grids = list(
        OrgUnit.objects.filter(kind__in=GRID_KINDS)
        .order_by("code")
        .values_list("id", "code", "path")
    )
    print(f"city: {len(grids)} grids imported in {time.perf_counter() - started:.1f} s")
    return grids


def insert_register(grids: list[tuple[int, str, str]], persons: int) -> None:
    """Households and persons spread evenly over the grids, tags on ~12 % of persons."""
    from django.db import connection, transaction
    from django.utils import timezone

    from wangge.registry.models import KeyPopulationTag

    rng = random.Random(SEED)
    now = timezone.now()
    today = timezone.localdate()
    tag_ids = list(KeyPopulationTag.objects.values_list("id", flat=True))
    households = persons // PERSONS_PER_HOUSEHOLD
    with transaction.atomic(), connection.cursor() as cursor:
        rows = []
        for number in range(households):
            grid_id, _code, path = grids[number % len(grids)]
            rows.append((f"B{number:09d}", grid_id, path, 1, now, now))
        cursor.executemany(
            "INSERT INTO registry_household (number, grid_id, path, version, created_at,"
            " updated_at) VALUES (%s, %s, %s, %s, %s, %s)",
            rows,
        )
        cursor.execute("SELECT id, grid_id, path FROM registry_household ORDER BY id")
        household_rows = cursor.fetchall()
        batch = []
        for index in range(persons):
            household_id, grid_id, path = household_rows[index % len(household_rows)]
            born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 30_000))
            moved_out = today - timedelta(days=3) if rng.random() < 0.01 else None
            batch.append(
                (
                    "张三",
                    "三",
                    "zhangsan",
                    "zs",
                    "male" if index % 2 else "female",
                    born,
                    "registered",
                    rng.random() < 0.08,
                    household_id,
                    "head",
                    grid_id,
                    path,
                    moved_out,
                    1,
                    now,
                    now,
                )
            )
            if len(batch) == 20_000:
                insert_persons(cursor, batch)
                batch = []
        if batch:
            insert_persons(cursor, batch)
        cursor.execute("SELECT id FROM registry_person ORDER BY id")
        person_ids = [row[0] for row in cursor.fetchall()]
        tags = []
        for person_id in rng.sample(person_ids, len(person_ids) * 12 // 100):
            expired = rng.random() < 0.05
            tags.append(
                (
                    person_id,
                    rng.choice(tag_ids),
                    date(2020, 1, 1),
                    today - timedelta(days=1) if expired else None,
                    "",
                    now,
                )
            )
        cursor.executemany(
            "INSERT INTO registry_persontag (person_id, tag_id, valid_from, valid_to, note,"
            " created_at) VALUES (%s, %s, %s, %s, %s, %s)",
            tags,
        )


def insert_persons(cursor, batch: list[tuple]) -> None:
    cursor.executemany(
        "INSERT INTO registry_person (name, given_name, name_pinyin, name_initials, gender,"
        " birth_date, residence_status, party_member, household_id, relationship, grid_id, path,"
        " move_out_date, version, created_at, updated_at, id_tail_index, phone_index,"
        " phone_tail_index, ethnicity, employer) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s,"
        " %s, %s, %s, %s, %s, %s, %s, '', '', '', '', '')",
        batch,
    )


def direct_counts(codes: list[str]) -> dict[str, dict]:
    """The baseline: GROUP BY over the persons and their valid tags, no rollup."""
    from django.db.models import Count, Q
    from django.utils import timezone

    from wangge.registry.models import KeyPopulationTag, Person, PersonTag

    today = timezone.localdate()
    active = Q(archived_at__isnull=True) & (
        Q(move_out_date__isnull=True) | Q(move_out_date__gt=today)
    )
    result: dict[str, dict] = {
        code: {"households": 0, "persons": 0, "party_members": 0, "key_populations": {}}
        for code in codes
    }
    for row in (
        Person.objects.filter(active, grid__code__in=codes)
        .values("grid__code")
        .annotate(
            persons=Count("id"),
            party_members=Count("id", filter=Q(party_member=True)),
            households=Count("household_id", distinct=True),
        )
        .order_by()
    ):
        counts = result[row["grid__code"]]
        for metric in ("persons", "party_members", "households"):
            counts[metric] = row[metric]
    tag_codes = dict(KeyPopulationTag.objects.values_list("id", "code"))
    person_active = Q(person__archived_at__isnull=True) & (
        Q(person__move_out_date__isnull=True) | Q(person__move_out_date__gt=today)
    )
    for row in (
        PersonTag.objects.filter(
            person_active,
            Q(valid_to__isnull=True) | Q(valid_to__gte=today),
            valid_from__lte=today,
            person__grid__code__in=codes,
        )
        .values("person__grid__code", "tag_id")
        .annotate(n=Count("person_id", distinct=True))
        .order_by()
    ):
        result[row["person__grid__code"]]["key_populations"][tag_codes[row["tag_id"]]] = row["n"]
    return result


def measure(grids: list[tuple[int, str, str]], persons: int, refresh: float) -> None:
    from wangge.core.models import AccountKind, User
    from wangge.core.scope import Actor
    from wangge.demo.names import CITY
    from wangge.orgs.actors import actor_for
    from wangge.orgs.models import OrgUnit
    from wangge.orgs.role_services import role_assign
    from wangge.orgs.selectors import grid_counts, grid_counts_in

    codes = [code for _id, code, _path in grids]
    street = OrgUnit.objects.filter(kind="street").order_by("code").first()
    assert street is not None
    street_admin = User.objects.create_user(username="bench_street", kind=AccountKind.STAFF)
    city_admin = User.objects.create_user(username="bench_city", kind=AccountKind.STAFF)
    role_assign(actor=Actor.system(), user=street_admin, role="admin", org_unit_code=street.code)
    role_assign(actor=Actor.system(), user=city_admin, role="admin", org_unit_code=CITY[0])

    def street_actor():
        return actor_for(street_admin)  # a fresh actor per request: no cached visible tags

    rollup = grid_counts(actor=Actor.system(), codes=codes)
    direct = direct_counts(codes)
    for code in codes:
        a, b = rollup[code], direct[code]
        shown = {k: v for k, v in a["key_populations"].items() if v}
        if (a["persons"], a["households"], a["party_members"], shown) != (
            b["persons"],
            b["households"],
            b["party_members"],
            b["key_populations"],
        ):
            raise SystemExit(f"rollup and GROUP BY disagree on grid {code}: {a} != {b}")

    def timed(work, repeat: int) -> list[float]:
        work()
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            work()
            times.append((time.perf_counter() - started) * 1000)
        return times

    figure = timed(lambda: grid_counts(actor=street_actor(), codes=codes), 15)
    baseline = timed(lambda: direct_counts(codes), 3)
    endpoint = timed(lambda: grid_counts_in(actor=actor_for(city_admin)), 15)
    record(
        "grid_counts",
        f"{len(codes):,} grids, {persons:,} persons",
        median(figure),
        "ms",
        median(baseline),
        100.0,
        refresh_seconds=round(refresh, 2),
        endpoint_selector_ms=round(median(endpoint), 2),
        baseline_what="GROUP BY over registry_person + registry_persontag",
    )


if __name__ == "__main__":
    main()
