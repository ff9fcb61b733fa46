import pytest

from wangge.core.errors import NotFound
from wangge.orgs.actors import actor_for
from wangge.orgs.enums import Role
from wangge.orgs.permissions import system_actor
from wangge.orgs.role_services import role_assign
from wangge.orgs.selectors import (
    grid_card,
    grid_counts,
    grid_locate,
    grids_geojson,
    org_tree,
    org_unit_get,
)
from wangge.orgs.tests.factories import admin_user, grid_worker, make_street, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def street():
    return make_street()


def codes(nodes) -> list:
    return [(node["code"], codes(node["children"])) for node in nodes]


def test_the_tree_starts_at_the_actors_top_units_in_one_query(street, django_assert_num_queries):
    actor = actor_for(admin_user(street.street))
    with django_assert_num_queries(1):
        tree = org_tree(actor=actor)
    assert codes(tree) == [
        (
            street.street.code,
            [
                (street.community_a.code, [(street.grid_a1.code, []), (street.grid_a2.code, [])]),
                (street.community_b.code, [(street.grid_b1.code, []), (street.grid_b2.code, [])]),
                (street.department.code, []),
            ],
        )
    ]
    assert tree[0]["kind"] == "street" and tree[0]["name"] == street.street.name


def test_a_grid_worker_sees_only_their_grid(street):
    tree = org_tree(actor=actor_for(grid_worker(street)))
    assert codes(tree) == [(street.grid_a1.code, [])]


def test_an_actor_without_roles_sees_nothing(street):
    assert org_tree(actor=actor_for(staff_user("nobody"))) == []


def test_out_of_scope_unit_is_not_found(street):
    actor = actor_for(grid_worker(street))
    assert org_unit_get(actor=actor, code=street.grid_a1.code) == street.grid_a1
    for code in (street.grid_a2.code, street.community_a.code, "nonexistent"):
        with pytest.raises(NotFound):
            org_unit_get(actor=actor, code=code)


def test_grid_card_lists_workers_and_counts(street):
    worker = grid_worker(street)
    staff_user(
        "leader", Role.GRID_LEADER, street.grid_a1, display_name="李组长", work_phone="13900139000"
    )
    card = grid_card(actor=actor_for(worker), code=street.grid_a1.code)
    assert card["code"] == street.grid_a1.code and card["kind"] == "grid"
    assert card["community"] == {"code": street.community_a.code, "name": street.community_a.name}
    assert card["grid_workers"] == [
        {"name": "李组长", "phone": "13900139000", "role": "grid_leader"},
        {"name": "王小明", "phone": "13800138001", "role": "grid_worker"},
    ]
    counts = card["counts"]
    assert (counts["households"], counts["persons"], counts["party_members"]) == (0, 0, 0)
    # The register fills the key populations; a sensitive one is absent without a grant.
    assert counts["key_populations"]["veteran"] == 0
    assert "disability" not in counts["key_populations"]
    assert card["boundary"] == street.grid_a1.boundary


def test_grid_card_is_not_found_out_of_scope_or_for_a_non_grid(street):
    actor = actor_for(staff_user("cs", Role.COMMUNITY_STAFF, street.community_a))
    grid_card(actor=actor, code=street.grid_a2.code)
    for code in (street.grid_b1.code, street.community_a.code):
        with pytest.raises(NotFound):
            grid_card(actor=actor, code=code)


def test_grid_counts_has_a_row_per_code(street):
    assert set(grid_counts(actor=None, codes=["a", "b"])) == {"a", "b"}


def test_grid_locate_returns_the_card_in_scope_only(street):
    actor = actor_for(grid_worker(street))
    assert grid_locate(actor=actor, lat=30.51, lng=104.005)["code"] == street.grid_a1.code
    for lat, lng in ((30.51, 104.025), (31.0, 105.0)):
        with pytest.raises(NotFound):
            grid_locate(actor=actor, lat=lat, lng=lng)


def test_grids_geojson_is_the_actors_map_layer(street):
    actor = actor_for(staff_user("cs", Role.COMMUNITY_STAFF, street.community_a))
    layer = grids_geojson(actor=actor)
    assert [f["id"] for f in layer["features"]] == [
        street.community_a.code,
        street.grid_a1.code,
        street.grid_a2.code,
    ]
    props = layer["features"][1]["properties"]
    assert props == {
        "code": street.grid_a1.code,
        "name": street.grid_a1.name,
        "kind": "grid",
        "parent_code": street.community_a.code,
        "area_m2": None,
    }
    admin = actor_for(admin_user(street.street))
    only_b = grids_geojson(actor=admin, parent_code=street.community_b.code)
    assert [f["id"] for f in only_b["features"]] == [street.grid_b1.code, street.grid_b2.code]
    with pytest.raises(NotFound):
        grids_geojson(actor=actor, parent_code=street.community_b.code)


def test_map_layer_and_grid_card_take_a_fixed_number_of_queries(
    street, django_assert_num_queries, settings
):
    actor = actor_for(admin_user(street.street))
    with django_assert_num_queries(1):
        grids_geojson(actor=actor)
    for n in range(3):
        staff_user(f"w{n}", Role.GRID_WORKER, street.grid_a1)
    settings.WANGGE_CACHE_RECHECK_SECONDS = 60
    # First: revision, unit, workers; then the register's counts: tag revision and tags,
    # grants, the rollup rows.
    with django_assert_num_queries(7):
        grid_card(actor=actor, code=street.grid_a1.code)
    # Then the card and the tags come from the process cache, the grants from the actor
    # (one per request): the rollup rows only.
    with django_assert_num_queries(1):
        card = grid_card(actor=actor, code=street.grid_a1.code)
    assert len(card["grid_workers"]) == 3


def test_a_role_change_shows_on_the_cached_card_at_once(street, settings):
    settings.WANGGE_CACHE_RECHECK_SECONDS = 60
    actor = actor_for(admin_user(street.street))
    before = grid_card(actor=actor, code=street.grid_a1.code)["grid_workers"]
    newcomer = staff_user("newcomer", display_name="新来的")
    role_assign(
        actor=system_actor(),
        user=newcomer,
        role=Role.GRID_WORKER,
        org_unit_code=street.grid_a1.code,
    )
    after = grid_card(actor=actor, code=street.grid_a1.code)["grid_workers"]
    assert len(after) == len(before) + 1 and "新来的" in [w["name"] for w in after]
