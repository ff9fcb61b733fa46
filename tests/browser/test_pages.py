"""Staff pages in a real browser: a grid worker's scope, every role's home, the screenshots."""

import pytest
from playwright.sync_api import expect

from wangge.core.models import User
from wangge.core.scope import Actor
from wangge.core.twofactor import totp_device_create
from wangge.demo.loader import demo_load
from wangge.orgs.enums import Role
from wangge.orgs.models import OrgUnit
from wangge.orgs.tests.factories import grid_worker, make_street, staff_user

from .conftest import click_at, screenshot, settle, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_grid_worker_sees_own_grid_and_nothing_of_another_community(page, browser_context):
    street = make_street()
    worker = grid_worker(street)
    sign_in(page, worker)

    # Home: the card of their own grid, with its worker's phone.
    card = page.locator(f'article.grid-card[data-code="{street.grid_a1.code}"]')
    expect(card).to_contain_text(street.grid_a1.name)
    expect(card).to_contain_text("13800138001")
    expect(page.locator("article.grid-card")).to_have_count(1)

    # Map: only their grid is drawn; a click on it opens its card.
    page.goto("/map/")
    page.locator("html[data-map-ready=true]").wait_for()
    assert page.evaluate("window.wanggeMap.codes()") == [street.grid_a1.code]
    click_at(page, 104.005, 30.51)
    slot_card = page.locator("#grid-card article.grid-card")
    expect(slot_card).to_have_attribute("data-code", street.grid_a1.code)
    expect(slot_card).to_contain_text("王小明")

    # A grid of the other community: 404 in the page and through the API, revealing nothing.
    other = street.grid_b1
    response = page.goto(f"/grids/{other.code}/")
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text(other.name)
    api = browser_context.request
    assert api.get(f"/api/v1/grids/{other.code}").status == 404
    assert api.get(f"/api/v1/grids/{street.grid_a1.code}").status == 200
    geojson = api.get("/api/v1/orgs/geojson").json()
    assert {f["properties"]["code"] for f in geojson["features"]} == {street.grid_a1.code}


# role → (unit attribute of make_street's Street, home section it must show)
ROLE_HOMES = {
    Role.GRID_WORKER: ("grid_a1", "#home-grids"),
    Role.GRID_LEADER: ("grid_a1", "#home-grids"),
    Role.COMMUNITY_STAFF: ("community_a", "#home-community"),
    Role.CLERK: ("street", "#home-service"),
    Role.HANDLER: ("street", "#home-service"),
    Role.DEPARTMENT_STAFF: ("department", "#home-service"),
    Role.COMMAND_CENTRE: ("street", "#home-street"),
    Role.SUPERVISOR: ("street", "#home-street"),
    Role.ASSESSOR: ("street", "#home-street"),
    Role.ADMIN: ("street", "#home-admin"),
    Role.AUDITOR: ("street", "#home-auditor"),
}


@pytest.mark.parametrize("role", list(ROLE_HOMES))
def test_each_role_home_renders(page, role):
    street = make_street()
    unit_attr, section = ROLE_HOMES[role]
    user = staff_user(f"user_{role}", role, getattr(street, unit_attr), display_name="测试用户")
    if role in (Role.ADMIN, Role.AUDITOR):
        totp_device_create(actor=Actor.system(), user=user)
    sign_in(page, user)
    expect(page.locator(section)).to_be_visible()
    expect(page.locator(".user-name")).to_have_text("测试用户")
    # The navigation matches the role: the editor only for admins.
    expect(page.locator('.nav-links a[href="/map/edit/"]')).to_have_count(
        1 if role == Role.ADMIN else 0
    )
    if role == Role.COMMUNITY_STAFF:
        expect(page.locator(".grid-table tbody tr")).to_have_count(2)
    if role == Role.COMMAND_CENTRE:
        expect(page.locator(f"section:has({section}) table").first).to_contain_text(
            street.community_b.name
        )


def _demo_user(records: list[dict], role: str) -> tuple[User, dict]:
    record = next(r for r in records if r["role"] == role and r["username"] == f"demo_{role}")
    return User.objects.get(username=record["username"]), record


def test_screenshots_of_home_and_map(page, browser_context):
    """The README's pictures (var/screenshots/; `make screenshots` copies them to docs/): a grid
    worker's home, and the street's map with a grid card open."""
    records = demo_load(actor=Actor.system())
    worker, record = _demo_user(records, Role.GRID_WORKER)
    sign_in(page, worker, record["password"])
    expect(page.locator("section:has(#home-grids) article.grid-card")).to_have_count(1)
    screenshot(page, "home-grid-worker.png")

    browser_context.clear_cookies()
    centre, record = _demo_user(records, Role.COMMAND_CENTRE)
    sign_in(page, centre, record["password"])
    page.goto("/map/")
    page.locator("html[data-map-ready=true]").wait_for()
    grid = OrgUnit.objects.filter(kind="grid", is_active=True).order_by("code").first()
    assert grid is not None
    page.evaluate("code => window.wanggeMap.select(code, {openCard: true})", grid.code)
    expect(page.locator("#grid-card article.grid-card")).to_have_attribute("data-code", grid.code)
    settle(page)
    count = page.evaluate("window.wanggeMap.codes().length")
    assert (
        count
        == OrgUnit.objects.filter(
            kind__in=("community", "grid", "dedicated_grid"), is_active=True
        ).count()
    )
    screenshot(page, "map.png")


def test_phone_layout_menu_map_and_card(phone_page):
    street = make_street()
    worker = grid_worker(street)
    page = phone_page
    sign_in(page, worker)

    # The navigation folds behind the menu button on a phone.
    nav_link = page.locator('.nav-links a[href="/map/"]')
    expect(nav_link).to_be_hidden()
    page.locator(".nav-toggle").click()
    expect(nav_link).to_be_visible()
    nav_link.click()

    page.locator("html[data-map-ready=true]").wait_for()
    map_box = page.locator("#map").bounding_box()
    panel_box = page.locator(".map-panel").bounding_box()
    assert map_box["width"] == 390 and map_box["height"] >= 300
    assert panel_box["y"] >= map_box["y"] + map_box["height"] - 1  # the panel is below the map
    click_at(page, 104.005, 30.51)
    expect(page.locator("#grid-card article.grid-card")).to_be_in_viewport()
    screenshot(page, "map-phone.png")
