"""Person search: `person_search` over a register of N persons, per kind of query and scope.

A city of streets > communities > grids (6 grids per community, 10 communities per street) holds
N persons (BENCH_SCALE small: 50,000 over 3 streets; full: 1,000,000 over 30 streets, ~555 per
grid), inserted directly with executemany: real ciphertexts and blind indexes, pinyin keys,
households in dwellings in buildings in compounds. Names follow a skewed surname distribution;
about 20 % of persons carry one of ten very common 2-character names (王伟, 李娜...).

For a city-level actor, a street's command centre and a grid worker, and for each kind of query
(1-, 2- and 3-character names, pinyin initials, ID tail of 4 and 6 digits, phone tail, address
fragment), the p50/p95 of the time inside `person_search` (target p95 ≤ 10 ms); baseline: the
same terms through `name LIKE '%term%'` over the same table (a full scan), as the issue asks.

The person indexes are built after the rows are in, as a bulk load would. BENCH_KEEP=1 (SQLite)
keeps the database in var/bench/ and reuses it on the next run, to tune without rebuilding.
"""

import contextlib
import functools
import os
import random
import time
from datetime import date, timedelta

from common import ROOT, bench_scale, django_database, median, percentile, record, sized

SEED = 20261130
COMMON_NAMES = ["王伟", "李娜", "张伟", "王芳", "李伟", "刘伟", "张敏", "王静", "李静", "张丽"]
GRIDS_PER_COMMUNITY = 6
COMMUNITIES_PER_STREET = 10
PERSONS_PER_DWELLING = 3
DWELLINGS_PER_BUILDING = 48
BUILDINGS_PER_COMPOUND = 6
COMPOUND_WORDS = "幸福 和平 锦绣 东坡 滨江 书院 金桂 银杏 翠屏 凤凰 梧桐 紫薇 南湖 学府 花园"


def main() -> None:
    with database():
        from django.conf import settings
        from django.db import connection

        # Throwaway keys in the run's scratch directory (common.py switches DEBUG off).
        settings.WANGGE_DEV_KEY_FILE = True
        persons = sized(small=50_000, full=1_000_000)
        streets = sized(small=3, full=30)
        started = time.perf_counter()
        city = load_city()
        if city is None:
            city = build_city(streets)
            build_register(city, persons)
            with connection.cursor() as cursor:
                # VACUUM on PostgreSQL sets the visibility map (index-only scans), as
                # autovacuum would have done on a live register.
                cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
            print(f"register of {persons:,} persons built in {time.perf_counter() - started:.1f} s")
        else:
            persons = count_persons()
            print(f"reusing the register of {persons:,} persons in {KEEP_DIR}")
        samples = load_samples(city)
        explain(city)
        measure(city, samples, persons)


KEEP_DIR = ROOT / "var" / "bench"


@contextlib.contextmanager
def database():
    """common.django_database, or with BENCH_KEEP=1 a database kept between runs (SQLite: a
    file in var/bench; PostgreSQL: BENCH_DATABASE_NAME, default wangge_bench_keep), so that
    tuning the search does not rebuild a million persons each time."""
    if os.environ.get("BENCH_KEEP") != "1":
        with django_database():
            yield
        return
    KEEP_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    os.environ["WANGGE_SQLITE_PATH"] = str(KEEP_DIR / f"person_search_{bench_scale()}.sqlite3")
    os.environ["WANGGE_VAR_DIR"] = str(KEEP_DIR)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.DEBUG = False
    if connection.vendor == "postgresql":
        connection.settings_dict.setdefault("TEST", {})["NAME"] = os.environ.get(
            "BENCH_DATABASE_NAME", f"wangge_bench_keep_{bench_scale()}"
        )
        connection.creation.create_test_db(verbosity=0, keepdb=True, serialize=False)
    else:
        call_command("migrate", verbosity=0, interactive=False)
    yield


def load_city() -> dict | None:
    from wangge.orgs.enums import OrgUnitKind
    from wangge.orgs.models import OrgUnit

    grids = list(OrgUnit.objects.filter(kind=OrgUnitKind.GRID).order_by("code"))
    if not grids:
        return None
    streets = list(OrgUnit.objects.filter(kind=OrgUnitKind.STREET).order_by("code"))
    return {"streets": streets, "grids": grids}


def count_persons() -> int:
    from wangge.registry.models import Person

    return Person.objects.count()


# --- the data --------------------------------------------------------------------------------


def build_city(streets: int) -> dict:
    from wangge.orgs.enums import OrgUnitKind
    from wangge.orgs.models import OrgUnit

    def unit(code, name, kind, parent, depth):
        path = (parent.path if parent else "/") + code + "/"
        return OrgUnit(code=code, name=name, kind=kind, parent=parent, path=path, depth=depth)

    city = unit("511400000000", "眉山市", OrgUnitKind.CITY, None, 0)
    city.save()
    district = unit("511402000000", "东坡区", OrgUnitKind.DISTRICT, city, 1)
    district.save()
    grids: list = []
    street_units = []
    for s in range(streets):
        street = unit(f"511402{s + 1:03d}000", f"街道{s + 1}", OrgUnitKind.STREET, district, 2)
        street.save()
        street_units.append(street)
        for c in range(COMMUNITIES_PER_STREET):
            community = unit(
                f"511402{s + 1:03d}{c + 1:03d}", f"社区{s}-{c}", OrgUnitKind.COMMUNITY, street, 3
            )
            community.save()
            grids += OrgUnit.objects.bulk_create(
                [
                    unit(
                        f"{community.code}{g + 1:03d}",
                        f"{community.name}第{g + 1}网格",
                        OrgUnitKind.GRID,
                        community,
                        4,
                    )
                    for g in range(GRIDS_PER_COMMUNITY)
                ]
            )
    if not grids[0].pk:  # SQLite before 3.35 returns no ids from bulk_create
        grids = list(OrgUnit.objects.filter(kind=OrgUnitKind.GRID).order_by("code"))
    return {"streets": street_units, "grids": grids}


def weighted_surnames() -> tuple[list[str], list[float]]:
    from wangge.demo.names import SURNAMES

    rare = ["欧阳", "司马", "诸葛", "上官", "东方", "慕容", "皇甫", "令狐"]
    weights = [1 / (rank + 1) ** 0.9 for rank in range(len(SURNAMES))]
    return SURNAMES + rare, weights + [0.002] * len(rare)


def build_register(city: dict, persons: int) -> None:
    """Insert compounds, buildings, dwellings, households and persons.

    The person indexes are dropped first and built again afterwards, as a bulk load would do:
    inserting a million rows into a dozen live indexes is ten times slower.
    """
    from django.db import connection
    from django.utils import timezone

    from wangge.core.crypto import encrypt, id_number_index, phone_index
    from wangge.demo.names import GIVEN_CHARS
    from wangge.registry.identity import (
        ID_AAD,
        PHONE_AAD,
        id_check_char,
        id_tail_index,
        phone_tail_index,
    )

    rng = random.Random(SEED)
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    grids = city["grids"]
    per_grid = persons // len(grids)
    surnames, weights = weighted_surnames()
    pinyin = char_pinyin()
    compound_words = COMPOUND_WORDS.split()

    person_rows: list[tuple] = []
    counters = {"compound": 0, "building": 0, "dwelling": 0, "household": 0, "person": 0}
    indexes = drop_person_indexes()
    with connection.cursor() as cursor:
        for grid in grids:
            buildings = max(1, per_grid // (PERSONS_PER_DWELLING * DWELLINGS_PER_BUILDING))
            compound_name = f"{compound_words[counters['compound'] % len(compound_words)]}小区"
            compound_name += f"{counters['compound'] // len(compound_words) + 1}期"
            counters["compound"] += 1
            compound_id = counters["compound"]
            cursor.execute(
                "INSERT INTO registry_compound (id, name, address, property_company, grid_id,"
                " path, version, created_at, updated_at) VALUES (%s,%s,%s,%s,%s,%s,1,%s,%s)",
                [
                    compound_id,
                    compound_name,
                    f"东坡大道{compound_id}号",
                    "",
                    grid.pk,
                    grid.path,
                    now,
                    now,
                ],
            )
            building_rows, dwelling_rows, household_rows = [], [], []
            dwellings: list[tuple[int, int, str]] = []  # (household id, building index, number)
            for b in range(buildings):
                counters["building"] += 1
                building_id = counters["building"]
                building_rows.append(
                    (
                        building_id,
                        compound_id,
                        f"{b + 1}栋",
                        f"东坡大道{compound_id}号{compound_name}{b + 1}栋",
                        grid.pk,
                        grid.path,
                        now,
                        now,
                    )
                )
                for d in range(DWELLINGS_PER_BUILDING):
                    counters["dwelling"] += 1
                    counters["household"] += 1
                    number = f"{d // 12 + 1}-{(d % 12) // 2 + 1}0{d % 2 + 1}"
                    dwelling_rows.append(
                        (
                            counters["dwelling"],
                            building_id,
                            number,
                            "owner_occupied",
                            grid.pk,
                            grid.path,
                            now,
                            now,
                        )
                    )
                    household_rows.append(
                        (
                            counters["household"],
                            f"H{counters['household']:09d}",
                            counters["dwelling"],
                            grid.pk,
                            grid.path,
                            now,
                            now,
                        )
                    )
                    dwellings.append((counters["household"], b, number))
            cursor.executemany(
                "INSERT INTO registry_building (id, compound_id, name, address, grid_id, path,"
                " version, created_at, updated_at) VALUES (%s,%s,%s,%s,%s,%s,1,%s,%s)",
                building_rows,
            )
            cursor.executemany(
                "INSERT INTO registry_dwelling (id, building_id, number, use, grid_id, path,"
                " version, created_at, updated_at) VALUES (%s,%s,%s,%s,%s,%s,1,%s,%s)",
                dwelling_rows,
            )
            cursor.executemany(
                "INSERT INTO registry_household (id, number, dwelling_id, grid_id, path,"
                " version, created_at, updated_at) VALUES (%s,%s,%s,%s,%s,1,%s,%s)",
                household_rows,
            )
            for p in range(per_grid):
                counters["person"] += 1
                serial = counters["person"]
                if rng.random() < 0.2:
                    name = rng.choice(COMMON_NAMES)
                else:
                    surname = rng.choices(surnames, weights)[0]
                    length = 1 if rng.random() < 0.3 else 2
                    name = surname + "".join(rng.choice(GIVEN_CHARS) for _ in range(length))
                surname_length = (
                    2
                    if len(name) > 2
                    and name[:2] in {"欧阳", "司马", "诸葛", "上官", "东方", "慕容", "皇甫", "令狐"}
                    else 1
                )
                syllables = [pinyin(ch) for ch in name]
                # (birth day, sequence) is unique per serial, and the sequence runs over all
                # of 000-999 so that ID tails spread as in life (~100 per tail per million).
                day, lap = serial % 25_000, serial // 25_000
                born = date(1940, 1, 1) + timedelta(days=day)
                first17 = f"{511402 + lap // 1000:06d}{born:%Y%m%d}"
                first17 += f"{(day * 7 + lap * 101) % 1000:03d}"
                id_number = first17 + id_check_char(first17)
                phone = f"13{rng.randrange(10**9):09d}"
                household_id, _b, number = dwellings[p % len(dwellings)]
                person_rows.append(
                    (
                        grid.pk,
                        grid.path,
                        now,
                        now,
                        name,
                        name[surname_length:],
                        "".join(syllables)[:128],
                        "".join(s[0] for s in syllables),
                        "male" if int(id_number[16]) % 2 else "female",
                        ops.adapt_datefield_value(born),
                        encrypt(id_number, aad=ID_AAD),
                        id_number_index(id_number),
                        id_tail_index(id_number),
                        encrypt(phone, aad=PHONE_AAD),
                        phone_index(phone),
                        phone_tail_index(phone),
                        household_id,
                    )
                )
            if len(person_rows) >= 20_000:
                insert_persons(cursor, person_rows)
                person_rows = []
        insert_persons(cursor, person_rows)
        for sql in indexes:
            cursor.execute(sql)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("compound", "building", "dwelling", "household"):
                # The table names are the constants above, never input.
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('registry_{table}', 'id'),"  # noqa: S608
                    f" (SELECT max(id) FROM registry_{table}))"
                )


def drop_person_indexes() -> list[str]:
    """Drop the person table's secondary indexes; return the statements that rebuild them."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA cache_size = -400000")
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                " AND tbl_name = 'registry_person' AND sql IS NOT NULL"
            )
        else:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'registry_person'"
                " AND indexname NOT LIKE '%%pkey'"
            )
        found = cursor.fetchall()
        for name, _sql in found:
            cursor.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in found]


def load_samples(city: dict) -> dict:
    """Every 50th person of each grid: name, ID number, phone and compound, to make queries."""
    from django.db import connection

    from wangge.core.crypto import decrypt
    from wangge.registry.identity import ID_AAD, PHONE_AAD

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.grid_id, p.name, p.id_number_encrypted, p.phone_encrypted, c.name"
            " FROM registry_person p JOIN registry_household h ON h.id = p.household_id"
            " JOIN registry_dwelling d ON d.id = h.dwelling_id"
            " JOIN registry_building b ON b.id = d.building_id"
            " JOIN registry_compound c ON c.id = b.compound_id WHERE p.id % 50 = 0"
        )
        rows = cursor.fetchall()
    by_grid: dict[int, list[tuple]] = {grid.pk: [] for grid in city["grids"]}
    for grid_id, name, id_blob, phone_blob, compound in rows:
        by_grid[grid_id].append(
            (name, decrypt(id_blob, aad=ID_AAD), decrypt(phone_blob, aad=PHONE_AAD), compound)
        )
    return {"by_grid": by_grid}


def insert_persons(cursor, rows: list[tuple]) -> None:
    if not rows:
        return
    cursor.executemany(
        "INSERT INTO registry_person (grid_id, path, version, created_at, updated_at, name,"
        " given_name, name_pinyin, name_initials, gender, birth_date, id_number_encrypted,"
        " id_number_index, id_tail_index, phone_encrypted, phone_index, phone_tail_index,"
        " household_id, ethnicity, residence_status, party_member, employer, relationship)"
        " VALUES (%s,%s,1,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,'','registered',"
        " false,'','')",
        rows,
    )


def char_pinyin():
    """Pinyin of one character, cached: names come from a few hundred characters."""

    from pypinyin import Style, lazy_pinyin

    @functools.cache
    def one(character: str) -> str:
        return "".join(lazy_pinyin(character, style=Style.NORMAL)).lower() or "x"

    return one


# --- the measurements ------------------------------------------------------------------------


def actors(city: dict):
    """A city-level supervisor (every grid: the key indexes in order), a street's command
    centre (~60 grids: the (grid, key) indexes) and a grid worker (one grid)."""
    from wangge.core.scope import Actor

    street = city["streets"][len(city["streets"]) // 2]
    grid = city["grids"][len(city["grids"]) // 2]
    top = city["grids"][0].path.split("/")[1]
    return [
        ("city", Actor(user=None, grants=(("supervisor", f"/{top}/"),)), f"/{top}/"),
        ("street", Actor(user=None, grants=(("command_centre", street.path),)), street.path),
        ("grid_worker", Actor(user=None, grants=(("grid_worker", grid.path),)), grid.path),
    ]


def terms_for(kind: str, samples: list[tuple], rng: random.Random, count: int) -> list[str]:
    picked = [rng.choice(samples) for _ in range(count)]
    if kind == "name_2":
        names = [name for name, *_ in samples if len(name) == 2] or ["王伟"]
        return [rng.choice(names) if i % 2 else rng.choice(COMMON_NAMES) for i in range(count)]
    if kind == "name_3":
        names = [name for name, *_ in samples if len(name) == 3] or ["王小明"]
        return [rng.choice(names) for _ in range(count)]
    if kind == "surname_1":
        return [name[0] for name, *_ in picked]
    if kind == "pinyin_initials":
        from wangge.registry.identity import name_keys

        return [name_keys(name)[2] for name, *_ in picked]
    if kind == "id_tail_4":
        return [id_number[-4:] for _, id_number, *_ in picked]
    if kind == "id_tail_6":
        return [id_number[-6:] for _, id_number, *_ in picked]
    if kind == "phone_tail":
        return [phone[-4:] for _, _, phone, _ in picked]
    if kind == "address":
        return [compound for *_, compound in picked]
    raise ValueError(kind)


KINDS = (
    "name_2",
    "name_3",
    "surname_1",
    "pinyin_initials",
    "id_tail_4",
    "id_tail_6",
    "phone_tail",
    "address",
)


def scope_samples(samples: dict, city: dict, path: str) -> list[tuple]:
    found = []
    for grid in city["grids"]:
        if grid.path.startswith(path):
            found += samples["by_grid"][grid.pk]
    return found


def measure(city: dict, samples: dict, persons: int) -> None:
    from django.db import connection

    from wangge.registry.search import person_search

    repeats = sized(small=60, full=200)
    baseline_repeats = sized(small=10, full=10)
    rng = random.Random(SEED + 1)
    for actor_name, actor, path in actors(city):
        in_scope = scope_samples(samples, city, path)
        for kind in KINDS:
            terms = terms_for(kind, in_scope, rng, repeats)
            for term in terms[:10]:
                person_search(actor=actor, q=term)  # warm the cache and the connection
            times = []
            found = 0
            for term in terms:
                started = time.perf_counter()
                rows = person_search(actor=actor, q=term)
                times.append((time.perf_counter() - started) * 1000)
                found += bool(rows)
            base = []
            with connection.cursor() as cursor:
                for term in terms[:baseline_repeats]:
                    started = time.perf_counter()
                    cursor.execute(
                        "SELECT id, name FROM registry_person WHERE name LIKE %s",
                        [f"%{term}%"],
                    )
                    cursor.fetchall()
                    base.append((time.perf_counter() - started) * 1000)
            record(
                f"person_search_{actor_name}_{kind}",
                f"{persons:,} persons",
                percentile(times, 0.95),
                "ms",
                percentile(base, 0.95),
                10.0,
                p50_ms=round(median(times), 3),
                baseline_p50_ms=round(median(base), 3),
                queries=len(terms),
                hit_rate=round(found / len(terms), 3),
                baseline_sql="SELECT id, name FROM registry_person WHERE name LIKE '%term%'",
            )


def explain(city: dict) -> None:
    """Print the plans of the main statements, to see that each is an index range scan."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from wangge.registry.search import person_search

    for actor_name, actor, _path in actors(city):
        for term in ("王伟", "zs", "1234", "幸福小区"):
            with CaptureQueriesContext(connection) as captured:
                person_search(actor=actor, q=term)
            for query in captured.captured_queries:
                sql = query["sql"]
                if "registry_person" not in sql or "IN (" in sql.split("WHERE")[-1][:40]:
                    continue
                prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
                with connection.cursor() as cursor:
                    cursor.execute(prefix + sql)
                    plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
                print(f"[{actor_name} {term!r}] {plan[:400]}")


if __name__ == "__main__":
    main()
