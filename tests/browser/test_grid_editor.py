"""The issue's "done when": an admin signs in with TOTP, opens the map, draws a grid that overlaps
a neighbour and is refused with a message naming the overlap, reshapes it to fit and saves it.

The shape is drawn and reshaped with the mouse on the map canvas, the way an admin does it; the
saves go through the page's buttons to the real API and services.
"""

import re

import pytest
from playwright.sync_api import expect

from wangge.core.scope import Actor
from wangge.core.twofactor import totp_device_create
from wangge.orgs.enums import Role
from wangge.orgs.models import OrgUnit
from wangge.orgs.services import org_unit_update
from wangge.orgs.tests.factories import make_street, staff_user

from .conftest import click_at, drag, screenshot, settle, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_CODE = "511402001001002"


@pytest.fixture
def admin_street():
    street = make_street()
    # Free the east half of community A (104.01-104.02) so that a new grid has room there.
    OrgUnit.objects.filter(code=street.grid_a2.code).delete()
    admin = staff_user("admin_street", Role.ADMIN, street.street, display_name="李管理")
    totp_device_create(actor=Actor.system(), user=admin)
    return street, admin


def test_admin_draws_overlapping_grid_is_refused_then_reshapes_and_saves(page, admin_street):
    street, admin = admin_street
    sign_in(page, admin)

    page.get_by_role("link", name=re.compile("Map|地图")).first.click()
    page.locator("html[data-map-ready=true]").wait_for()
    page.get_by_role("link", name=re.compile("Edit grids|编辑网格")).click()
    page.locator("html[data-editor-ready=true]").wait_for()

    page.select_option("#new-parent", street.community_a.code)
    page.fill("#new-code", "002")
    page.fill("#new-name", "三苏新网格")
    page.click("#btn-draw")
    # A square reaching 5 m... well into grid A1 (whose east edge is at 104.01).
    corners = [(104.006, 30.504), (104.016, 30.504), (104.016, 30.516), (104.006, 30.516)]
    for corner in corners:
        click_at(page, *corner)
    click_at(page, *corners[0])  # clicking the first corner again closes the polygon
    expect(page.locator("html")).to_have_attribute("data-editor-mode", "drawn")

    page.click("#btn-create")
    html = page.locator("html")
    expect(html).to_have_attribute("data-editor-result", "refused")
    settle(page)
    error = page.locator("#editor-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(street.grid_a1.code)
    expect(error).to_contain_text(re.compile("overlap|重叠"))
    expect(error.locator(".error-other")).to_contain_text(street.grid_a1.name)
    assert not OrgUnit.objects.filter(code=NEW_CODE).exists()
    # The place of the overlap is marked on the map.
    expect(page.locator("path.where-marker")).to_have_count(1)
    screenshot(page, "grid-editor-refusal.png")

    # Reshape: pull the two western corners east of grid A1's edge, then save again.
    drag(page, corners[0], (104.0115, 30.504))
    drag(page, corners[3], (104.0115, 30.516))
    page.click("#btn-create")
    expect(html).to_have_attribute("data-editor-result", "saved")
    expect(error).to_be_hidden()
    settle(page)

    grid = OrgUnit.objects.get(code=NEW_CODE)
    assert grid.name == "三苏新网格"
    assert grid.parent_id == street.community_a.pk
    assert grid.boundary is not None
    west = min(lng for lng, _lat in grid.boundary["coordinates"][0])
    assert 104.0105 < west < 104.0125
    # The layer was reloaded from the server: the new grid is on the map, with its label.
    assert page.evaluate(f"window.wanggeMap.layer('{NEW_CODE}') !== null")
    expect(page.locator(".grid-label", has_text="三苏新网格")).to_have_count(1)


@pytest.fixture
def admin_only():
    street = make_street()
    admin = staff_user("admin_street", Role.ADMIN, street.street, display_name="李管理")
    totp_device_create(actor=Actor.system(), user=admin)
    return street, admin


def open_editor(page, admin) -> None:
    sign_in(page, admin)
    page.goto("/map/edit/")
    page.locator("html[data-editor-ready=true]").wait_for()


def test_admin_splits_a_grid_along_a_drawn_line(page, admin_only):
    street, admin = admin_only
    open_editor(page, admin)
    click_at(page, 104.005, 30.515)  # select grid A1
    expect(page.locator("#editor-selected")).to_contain_text(street.grid_a1.code)

    page.locator("summary", has_text=re.compile("Split|拆分")).click()
    page.fill("#split-code", "003")
    page.fill("#split-name", "三苏第三网格")
    page.click("#btn-split")
    expect(page.locator("html")).to_have_attribute("data-editor-mode", "splitting")
    # A line straight across the grid, from beyond its west edge to beyond its east edge.
    click_at(page, 103.998, 30.506)
    click_at(page, 104.012, 30.506)
    click_at(page, 104.012, 30.506)  # clicking the last point again finishes the line
    expect(page.locator("html")).to_have_attribute("data-editor-mode", "split-drawn")
    page.click("#btn-save-split")
    expect(page.locator("html")).to_have_attribute("data-editor-result", "saved")
    settle(page)

    created = OrgUnit.objects.get(code="511402001001003")
    kept = OrgUnit.objects.get(code=street.grid_a1.code)
    assert created.name == "三苏第三网格" and created.parent_id == street.community_a.pk
    assert kept.area_m2 and created.area_m2
    assert kept.area_m2 > created.area_m2  # the larger part keeps the code
    assert page.evaluate("window.wanggeMap.layer('511402001001003') !== null")


def test_admin_merges_two_neighbouring_grids(page, admin_only):
    street, admin = admin_only
    open_editor(page, admin)
    click_at(page, 104.025, 30.51)  # grid B1
    page.locator("summary", has_text=re.compile("Merge|合并")).click()
    page.click("#btn-merge")
    expect(page.locator("html")).to_have_attribute("data-editor-mode", "merging")
    click_at(page, 104.035, 30.51)  # its neighbour B2
    expect(page.locator("html")).to_have_attribute("data-editor-mode", "merge-ready")
    expect(page.locator("#editor-status")).to_contain_text(street.grid_b2.code)
    page.click("#btn-save-merge")
    expect(page.locator("html")).to_have_attribute("data-editor-result", "saved")
    settle(page)

    b1 = OrgUnit.objects.get(code=street.grid_b1.code)
    assert not OrgUnit.objects.get(code=street.grid_b2.code).is_active
    assert b1.version == 2
    assert page.evaluate(f"window.wanggeMap.layer('{street.grid_b2.code}') === null")


def test_merging_grids_of_different_communities_is_refused_with_the_reason(page, admin_only):
    street, admin = admin_only
    open_editor(page, admin)
    click_at(page, 104.015, 30.51)  # grid A2, beside B1 across the community border
    page.locator("summary", has_text=re.compile("Merge|合并")).click()
    page.click("#btn-merge")
    expect(page.locator("html")).to_have_attribute("data-editor-mode", "merging")
    click_at(page, 104.025, 30.51)  # grid B1
    expect(page.locator("html")).to_have_attribute("data-editor-mode", "merge-ready")
    page.click("#btn-save-merge")
    expect(page.locator("html")).to_have_attribute("data-editor-result", "refused")
    settle(page)
    error = page.locator("#editor-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(street.grid_b1.code)
    assert OrgUnit.objects.get(code=street.grid_b1.code).is_active
    assert OrgUnit.objects.get(code=street.grid_a2.code).version == 1


def test_reshaping_a_grid_someone_else_changed_is_refused_as_a_conflict(page, admin_only):
    street, admin = admin_only
    open_editor(page, admin)
    click_at(page, 104.005, 30.515)  # grid A1
    page.click("#btn-edit")
    expect(page.locator("html")).to_have_attribute("data-editor-mode", "editing")
    settle(page)
    # Meanwhile another admin renames the grid: its version moves on.
    org_unit_update(actor=Actor.system(), code=street.grid_a1.code, version=1, name="三苏一网格")

    drag(page, (104.0, 30.52), (104.001, 30.519))  # pull the north-west corner inwards
    page.click("#btn-save-shape")
    expect(page.locator("html")).to_have_attribute("data-editor-result", "refused")
    expect(page.locator("#editor-error")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("data-editor-mode", "idle")
    settle(page)
    grid = OrgUnit.objects.get(code=street.grid_a1.code)
    assert grid.version == 2 and grid.name == "三苏一网格"
    assert grid.boundary == street.grid_a1.boundary  # the stale shape was not saved
    # The map now shows the other admin's version.
    assert (
        page.evaluate(f"window.wanggeMap.feature('{street.grid_a1.code}').properties.name")
        == "三苏一网格"
    )


def test_reshaping_a_grid_into_its_neighbour_is_refused_and_can_be_fixed(page, admin_only):
    street, admin = admin_only
    open_editor(page, admin)
    click_at(page, 104.005, 30.515)  # grid A1, whose east edge borders A2 at 104.01
    page.click("#btn-edit")
    expect(page.locator("html")).to_have_attribute("data-editor-mode", "editing")
    drag(page, (104.01, 30.52), (104.013, 30.52))  # push the north-east corner into A2
    page.click("#btn-save-shape")
    expect(page.locator("html")).to_have_attribute("data-editor-result", "refused")
    expect(page.locator("#editor-error")).to_contain_text(street.grid_a2.code)
    expect(page.locator("html")).to_have_attribute("data-editor-mode", "editing")
    settle(page)
    assert OrgUnit.objects.get(code=street.grid_a1.code).version == 1

    drag(page, (104.013, 30.52), (104.008, 30.52))  # pull it back inside, leaving A2 alone
    page.click("#btn-save-shape")
    expect(page.locator("html")).to_have_attribute("data-editor-result", "saved")
    settle(page)
    grid = OrgUnit.objects.get(code=street.grid_a1.code)
    assert grid.version == 2
    assert grid.boundary is not None
    assert max(lng for lng, _lat in grid.boundary["coordinates"][0]) <= 104.0100001
