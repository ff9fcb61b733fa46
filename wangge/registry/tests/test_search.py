"""person_search: each kind of query, ranking, scope, archived persons, masking, query count."""

import itertools
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wangge.core.scope import Actor, actor_for_user
from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import staff_user
from wangge.registry.search import person_search, successor
from wangge.registry.tests.factories import (
    make_building,
    make_compound,
    make_dwelling,
    make_household,
    make_person,
)

pytestmark = pytest.mark.django_db

ID_A = "511402198005170011"  # checksum-valid; tail 0011
ID_B = "511402199001010013"


_serial = itertools.count(1)


def unique_id() -> str:
    """A checksum-valid ID number unique in this module (the shared factory's repeat after 500)."""
    serial = next(_serial)
    born = date(1950, 1, 1) + timedelta(days=serial // 900)
    return valid(f"511499{born:%Y%m%d}{serial % 900 + 100:03d}")


def person(name: str, **kwargs):
    kwargs.setdefault("id_number", unique_id())
    return make_person(name, **kwargs)


def valid(first17: str) -> str:
    from wangge.registry.identity import id_check_char

    return first17 + id_check_char(first17)


def names(rows) -> list[str]:
    return [row["name"] for row in rows]


@pytest.fixture
def system():
    return Actor.system()


@pytest.fixture
def people(street):
    """Persons in grid a1 (community a) and one in grid b1 (community b)."""
    compound = make_compound(street.grid_a1, name="幸福小区")
    building = make_building(street.grid_a1, name="3栋", compound=compound)
    household = make_household(make_dwelling(building, "1-301"))
    other_household = make_household(make_dwelling(building, "2-502"))
    return {
        "zhangsan": person(
            "张三",
            household=household,
            id_number=valid("51140219800517123"),
            phone="13812345678",
        ),
        "zhangsanfeng": person("张三丰", household=other_household),
        "zhangsi": person("张四", grid=street.grid_a1),
        "lisanfeng": person("李三丰", grid=street.grid_a2),
        "ouyang": person("欧阳娜", grid=street.grid_a1),
        "other": person("张三", grid=street.grid_b1),
    }


def test_two_character_name_finds_exact_first_then_prefix(system, people):
    rows = person_search(actor=system, q="张三")
    assert names(rows)[:2] == ["张三", "张三"]
    assert rows[0]["match"] == "name_exact"
    assert "张三丰" in names(rows)
    assert "张四" not in names(rows)


def test_one_character_term_is_a_surname_prefix(system, people):
    assert set(names(person_search(actor=system, q="张"))) == {"张三", "张三丰", "张四"}


def test_given_name_prefix_ranks_after_name_prefix(system, people):
    rows = person_search(actor=system, q="三丰")
    assert names(rows) == ["张三丰", "李三丰"]
    assert {row["match"] for row in rows} == {"given_name"}
    assert names(person_search(actor=system, q="阳娜")) == []
    assert names(person_search(actor=system, q="娜")) == ["欧阳娜"]


def test_full_width_and_spaces_are_folded(system, people):
    assert "张三" in names(person_search(actor=system, q=" 张三 "))
    assert names(person_search(actor=system, q="ＺＳＦ")) == ["张三丰"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("zs", {"张三", "张三丰", "张四"}),
        ("zsf", {"张三丰"}),
        ("ZS", {"张三", "张三丰", "张四"}),
        ("zhangs", {"张三", "张三丰", "张四"}),
        ("zhangsanf", {"张三丰"}),
        ("zhang san", {"张三", "张三丰"}),
        ("oyn", {"欧阳娜"}),
        ("xyz", set()),
    ],
)
def test_pinyin_initials_and_full(system, people, query, expected):
    rows = person_search(actor=system, q=query)
    assert set(names(rows)) == expected
    assert all(row["match"] == "pinyin" for row in rows)


def test_id_number_exact_and_tails(system, people):
    zhangsan = people["zhangsan"]
    number = valid("51140219800517123")
    for query in (number, number.lower(), number[-4:], number[-5:], number[-6:]):
        rows = person_search(actor=system, q=query)
        assert [row["id"] for row in rows] == [zhangsan.id], query
    assert person_search(actor=system, q=number)[0]["match"] == "id_number"
    assert person_search(actor=system, q=number[-6:])[0]["match"] == "id_tail"


def test_longer_id_tail_excludes_persons_sharing_only_the_last_four(system, street):
    digits = valid("51140219800517009")
    first = person("赵一", grid=street.grid_a1, id_number=digits)
    # Another number with the same sequence and check character but another birth day, so it
    # shares the last 4 characters and differs in the 5th and 6th from the end.
    twin = next(
        number
        for day in range(1, 29)
        for number in [valid(f"5114021990{day % 12 + 1:02d}{day:02d}009")]
        if number[-4:] == digits[-4:]
        and number[-6:-4] != digits[-6:-4]
        and number[-5] != digits[-5]
    )
    second = person("赵二", grid=street.grid_a1, id_number=twin)
    tail4 = digits[-4:]
    assert {row["id"] for row in person_search(actor=system, q=tail4)} == {first.id, second.id}
    assert [row["id"] for row in person_search(actor=system, q=digits[-6:])] == [first.id]
    assert [row["id"] for row in person_search(actor=system, q=twin[-5:])] == [second.id]


def test_phone_exact_and_tail(system, people):
    zhangsan = people["zhangsan"]
    for query in ("13812345678", "138 1234 5678", "+86 138-1234-5678", "5678"):
        rows = person_search(actor=system, q=query)
        assert [row["id"] for row in rows] == [zhangsan.id], query
    assert person_search(actor=system, q="13812345678")[0]["match"] == "phone"
    assert person_search(actor=system, q="5678")[0]["match"] == "phone_tail"
    assert person_search(actor=system, q="13812345679") == []


def test_four_digits_search_id_tail_and_phone_tail(system, street):
    by_id = person("钱一", grid=street.grid_a1, id_number=valid("51140219800517777"))
    tail = valid("51140219800517777")[-4:]
    by_phone = person("钱二", grid=street.grid_a1, phone=f"1390000{tail}")
    rows = person_search(actor=system, q=tail)
    assert [(row["id"], row["match"]) for row in rows] == [
        (by_id.id, "id_tail"),
        (by_phone.id, "phone_tail"),
    ]


def test_address_fragment_finds_residents(system, people):
    rows = person_search(actor=system, q="幸福小区")
    assert set(names(rows)) == {"张三", "张三丰"}
    assert {row["match"] for row in rows} == {"address"}
    assert rows[0]["address"].startswith("东坡大道12号幸福小区3栋")
    assert set(names(person_search(actor=system, q="东坡大道"))) == {"张三", "张三丰"}


def test_address_with_dwelling_number(system, people):
    rows = person_search(actor=system, q="幸福小区3栋1-301")
    assert names(rows) == ["张三"]
    assert rows[0]["address"] == "东坡大道12号幸福小区3栋1-301"


def test_result_shape_is_masked(system, people):
    (row,) = [r for r in person_search(actor=system, q="13812345678")]
    number = valid("51140219800517123")
    assert row["id_number"] == number[:6] + "********" + number[-4:]
    assert row["phone"] == "138****5678"
    assert row["grid_code"] == "511402001001001"
    assert row["grid_name"] == "三苏第一网格"
    assert row["gender"] == "male"
    today = timezone.localdate()
    born = date(1980, 5, 17)
    assert row["age"] == today.year - 1980 - ((today.month, today.day) < (born.month, born.day))
    assert set(row) >= {"id", "name", "age", "id_number", "phone", "address", "match"}


def test_grid_worker_of_another_community_finds_nothing(street, people):
    outsider = actor_for_user(staff_user("gw_b2", Role.GRID_WORKER, street.grid_b2))
    for query in ("张三丰", "zsf", "幸福小区", "13812345678", "5678", "三丰"):
        assert person_search(actor=outsider, q=query) == [], query
    street_admin = actor_for_user(staff_user("cc_street", Role.COMMAND_CENTRE, street.street))
    assert names(person_search(actor=street_admin, q="张三丰")) == ["张三丰"]
    assert len(person_search(actor=street_admin, q="13812345678")) == 1


def test_grid_worker_sees_own_grid_only(street, people):
    worker = actor_for_user(staff_user("gw_a1x", Role.GRID_WORKER, street.grid_a1))
    assert [row["id"] for row in person_search(actor=worker, q="张三")] == [
        people["zhangsan"].id,
        people["zhangsanfeng"].id,
    ]
    community_b = actor_for_user(staff_user("cs_b", Role.COMMUNITY_STAFF, street.community_b))
    assert [row["id"] for row in person_search(actor=community_b, q="张三")] == [people["other"].id]


def test_user_without_roles_and_department_find_nothing(street, people):
    nobody = actor_for_user(staff_user("nobody"))
    assert person_search(actor=nobody, q="张三") == []
    department = actor_for_user(staff_user("dept", Role.DEPARTMENT_STAFF, street.department))
    assert person_search(actor=department, q="张三") == []


def test_archived_persons_are_hidden(system, people):
    people["zhangsanfeng"].archived_at = timezone.now()
    people["zhangsanfeng"].save(update_fields=["archived_at"])
    assert "张三丰" not in names(person_search(actor=system, q="张三"))
    assert person_search(actor=system, q="zsf") == []
    assert "张三丰" not in names(person_search(actor=system, q="幸福小区"))


def test_limit_and_empty_queries(system, people):
    assert len(person_search(actor=system, q="张", limit=2)) == 2
    assert person_search(actor=system, q="") == []
    assert person_search(actor=system, q="   ") == []
    assert person_search(actor=system, q="!!") == []
    assert person_search(actor=system, q="12") == []


def test_filters_are_accepted(system, people):
    assert names(person_search(actor=system, q="张三丰", filters={"grid": "x"})) == ["张三丰"]


def test_successor_is_the_tight_upper_bound():
    assert successor("张") == chr(ord("张") + 1)
    assert successor("张") > "张三" and successor("张") > "张\U00020000"
    assert successor("zs") == "zt"


def count_queries(actor, query: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        person_search(actor=actor, q=query)
    return len(captured)


@pytest.mark.parametrize("query", ["王", "zs", "wang", "1234", "幸福小区"])
def test_query_count_does_not_grow_with_results(street, query):
    worker = actor_for_user(staff_user("gw_count", Role.COMMUNITY_STAFF, street.community_a))
    building = make_building(street.grid_a1, name="9栋", compound=make_compound(street.grid_a1))
    household = make_household(make_dwelling(building, "1-101"))
    phone = "13900001234"
    person("王一", household=household, phone=phone)
    person("张森", household=household, phone=phone)
    few = count_queries(worker, query)
    for number in range(15):
        dwelling = make_dwelling(building, f"2-{number:03d}")
        person(f"王{number}", household=make_household(dwelling), phone=phone)
        person(f"张森{number}", household=make_household(dwelling), phone=phone)
    many = count_queries(worker, query)
    assert few <= 6
    assert many <= few
    assert len(person_search(actor=worker, q=query)) > 2


def test_small_scope_keeps_persons_not_yet_placed_in_a_grid(street):
    unplaced = person("孙悟空", grid=street.grid_a1)
    type(unplaced).objects.filter(pk=unplaced.pk).update(grid=None, path=street.community_a.path)
    community_a = actor_for_user(staff_user("cs_a", Role.COMMUNITY_STAFF, street.community_a))
    assert names(person_search(actor=community_a, q="孙悟")) == ["孙悟空"]
    assert names(person_search(actor=community_a, q="swk")) == ["孙悟空"]
    grid_worker = actor_for_user(staff_user("gw_a1y", Role.GRID_WORKER, street.grid_a1))
    assert person_search(actor=grid_worker, q="孙悟") == []


def test_identifier_search_does_not_list_grids(street, people):
    worker = actor_for_user(staff_user("gw_ids", Role.GRID_WORKER, street.grid_a1))
    with CaptureQueriesContext(connection) as captured:
        assert len(person_search(actor=worker, q="13812345678")) == 1
    assert not any('FROM "orgs_orgunit"' in query["sql"] for query in captured.captured_queries)


def test_address_fragment_with_latin_letters_ignores_case(system, street):
    building = make_building(street.grid_a1, name="A座")
    resident = person("周一", household=make_household(make_dwelling(building, "1-101")))
    assert [row["id"] for row in person_search(actor=system, q="12号a座")] == [resident.id]


def test_every_search_key_is_indexed_with_id_and_by_grid():
    """The search walks (key, id) and (grid, key) indexes (migration 0003); on PostgreSQL the
    keys also keep a fine histogram: a surname is a narrow range of names, and with the default
    the planner misjudged it and picked the wrong index."""
    keys = ("name", "given_name", "name_initials", "name_pinyin")
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "registry_person")
        indexed = {tuple(c["columns"]) for c in constraints.values() if c["index"]}
        # PostgreSQL lists the INCLUDE column too: compare the leading columns.
        leading = {columns[:2] for columns in indexed}
        assert all((key, "id") in leading and ("grid_id", key) in leading for key in keys), indexed
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT attname, attstattarget FROM pg_attribute"
                " WHERE attrelid = 'registry_person'::regclass"
                " AND attname IN ('name', 'given_name', 'name_initials', 'name_pinyin')"
            )
            assert dict(cursor.fetchall()) == dict.fromkeys(keys, 1000)
