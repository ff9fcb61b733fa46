"""The case map: scope (a community sees its own, a department what is routed to it), filters,
the cap with counts per grid, a constant number of queries, and the page and API around it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from wangge.cases.enums import CaseState, CategoryKind, HandlingLevel
from wangge.cases.map_selectors import MapFilters, case_map, clean_filters
from wangge.cases.models import Case, CaseCategory
from wangge.core.errors import NotFound, ValidationFailed
from wangge.orgs.grid_index import grid_index_reset

from .factories import POINT_A1, POINT_B1, category, crew, report

pytestmark = pytest.mark.django_db
API = "/api/v1/case-map"


@pytest.fixture(autouse=True)
def _fresh_grid_index():
    grid_index_reset()
    yield
    grid_index_reset()


@pytest.fixture
def c():
    team = crew()
    parent = CaseCategory.objects.create(
        code="T01", name="测试设施", kind=CategoryKind.COMPONENT, handling_level="community"
    )
    category("T0101", parent=parent)  # community level: the community holds it
    category(
        "T0102",
        name="井盖缺失",
        parent=parent,
        handling_level=HandlingLevel.DEPARTMENT,
        default_department="城管",
    )
    category("T0201", name="邻里纠纷", kind=CategoryKind.SOCIAL)
    return team


@pytest.fixture
def cases(c):
    return {
        "a1": report(c.resident, point=POINT_A1, title="路灯不亮 幸福路12号"),
        "b1": report(c.resident, point=POINT_B1),
        "dept": report(c.resident, category_code="T0102", point=POINT_B1),
    }


def numbers(layer: dict) -> set[str]:
    assert layer["mode"] == "points"
    return {feature["properties"]["number"] for feature in layer["features"]}


def snapshot() -> list[tuple]:
    return list(Case.objects.order_by("id").values_list("id", "state", "version", "card"))


def test_a_community_sees_only_the_cases_of_its_place(c, cases):
    before = snapshot()
    layer = case_map(actor=c.community_a, filters=MapFilters())
    assert numbers(layer) == {cases["a1"].number}
    # Denial: the other community sees none of community a's cases, and reading changed nothing.
    other = numbers(case_map(actor=c.community_b, filters=MapFilters()))
    assert cases["a1"].number not in other
    assert other == {cases["b1"].number, cases["dept"].number}
    assert snapshot() == before


def test_a_department_sees_only_what_is_routed_to_it(c, cases):
    assert cases["dept"].handler_unit.code == c.street.department.code
    assert numbers(case_map(actor=c.dept, filters=MapFilters())) == {cases["dept"].number}
    assert numbers(case_map(actor=c.dept2, filters=MapFilters())) == set()
    assert numbers(case_map(actor=c.command, filters=MapFilters())) == {
        case.number for case in cases.values()
    }


def test_a_resident_sees_only_their_own_reports(c, cases):
    mine = report(c.resident2, point=POINT_A1)
    assert numbers(case_map(actor=c.resident2, filters=MapFilters())) == {mine.number}


def test_points_carry_no_personal_data(c, cases):
    layer = case_map(actor=c.command, filters=MapFilters())
    props = layer["features"][0]["properties"]
    assert set(props) == {"number", "state", "card", "category", "due"}
    assert "幸福路" not in str(layer)
    assert layer["categories"]["T0101"] == "路灯损坏"


def test_state_groups(c, cases):
    now = timezone.now()
    Case.objects.filter(pk=cases["a1"].pk).update(state=CaseState.CLOSED, closed_at=now)
    Case.objects.filter(pk=cases["b1"].pk).update(state=CaseState.HANDLED)
    Case.objects.filter(pk=cases["dept"].pk).update(stage_due_at=now - timedelta(hours=1))
    by_group = {
        group: numbers(case_map(actor=c.command, filters=MapFilters(state_group=group)))
        for group in ("open", "overdue", "to_verify", "closed", "all")
    }
    assert by_group["open"] == {cases["b1"].number, cases["dept"].number}
    assert by_group["overdue"] == {cases["dept"].number}
    assert by_group["to_verify"] == {cases["b1"].number}
    assert by_group["closed"] == {cases["a1"].number}
    assert len(by_group["all"]) == 3


def test_card_category_source_period_and_place_filters(c, cases):
    Case.objects.filter(pk=cases["a1"].pk).update(card="red")
    Case.objects.filter(pk=cases["b1"].pk).update(card="yellow")
    Case.objects.filter(pk=cases["dept"].pk).update(
        reported_at=timezone.now() - timedelta(days=40), source="hotline"
    )

    def shown(**filters) -> set[str]:
        return numbers(case_map(actor=c.command, filters=MapFilters(**filters)))

    assert shown(card="red") == {cases["a1"].number}
    assert shown(card="yellow") == {cases["b1"].number}
    assert shown(card="carded") == {cases["a1"].number, cases["b1"].number}
    assert shown(category_class="T01") == {case.number for case in cases.values()}
    assert shown(category_class="T0102") == {cases["dept"].number}
    assert shown(category_class="T02") == set()
    assert shown(source="hotline") == {cases["dept"].number}
    assert shown(period="30") == {cases["a1"].number, cases["b1"].number}
    assert shown(period="90") == {case.number for case in cases.values()}
    assert shown(place=c.street.grid_b1.code) == {cases["b1"].number, cases["dept"].number}
    assert shown(place=c.street.community_a.code) == {cases["a1"].number}


def test_a_place_out_of_scope_is_not_found(c, cases):
    with pytest.raises(NotFound):
        case_map(actor=c.community_a, filters=MapFilters(place=c.street.community_b.code))


@pytest.mark.parametrize(
    "raw", [{"state_group": "nope"}, {"card": "green"}, {"source": "x"}, {"period": "2"}]
)
def test_unknown_filter_values_are_refused_by_field(raw):
    with pytest.raises(ValidationFailed) as caught:
        clean_filters(raw)
    assert caught.value.field == next(iter(raw))


def test_over_the_cap_the_map_counts_per_grid(c, cases):
    layer = case_map(actor=c.command, filters=MapFilters(), limit=2)
    assert layer["mode"] == "grids"
    counts = {f["properties"]["grid"]: f["properties"]["count"] for f in layer["features"]}
    assert counts == {c.street.grid_a1.code: 1, c.street.grid_b1.code: 2}
    assert layer["total"] == 3
    assert layer["features"][0]["geometry"]["coordinates"][0] is not None


def test_queries_do_not_grow_with_the_cases(c, cases):
    def count_queries(limit: int = 5_000) -> int:
        with CaptureQueriesContext(connection) as ctx:
            case_map(actor=c.command, filters=MapFilters(category_class="T01"), limit=limit)
        return len(ctx.captured_queries)

    few, few_grids = count_queries(), count_queries(limit=1)
    for _ in range(6):
        report(c.resident, point=POINT_B1, category_code="T0102")
    assert count_queries() == few
    assert count_queries(limit=1) == few_grids
    assert few <= 3


def login(client, actor):
    client.force_login(actor.user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_the_page_embeds_the_layer_and_the_grids(client, c, cases):
    response = login(client, c.community_a).get(reverse("cases_map"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert cases["a1"].number in html and cases["b1"].number not in html
    assert c.street.grid_a1.code in html  # the grid polygons of the actor's area
    assert 'href="/cases/map/"' in html  # the nav link


def test_the_page_with_a_bad_filter_says_why(client, c, cases):
    response = login(client, c.community_a).get(reverse("cases_map"), {"card": "green"})
    assert response.status_code == 422
    assert "card" in response.content.decode()


def test_the_api_answers_the_same_scope(client, c, cases):
    login(client, c.community_b)
    body = client.get(API, {"state_group": "open"}).json()
    assert {f["properties"]["number"] for f in body["features"]} == {
        cases["b1"].number,
        cases["dept"].number,
    }
    response = client.get(API, {"place": c.street.community_a.code})
    assert response.status_code == 404
    assert client.get(API, {"card": "green"}).status_code == 422


def test_the_api_needs_a_signed_in_caller(client, cases):
    assert client.get(API).status_code == 401
