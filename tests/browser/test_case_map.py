"""The case map in a real browser: markers for the actor's cases, and a filter changes them."""

import pytest
from playwright.sync_api import expect

from wangge.cases.models import Case
from wangge.cases.tests.factories import POINT_A1, POINT_B1, category, crew, report
from wangge.orgs.grid_index import grid_index_reset

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_markers_appear_and_a_filter_changes_them(page):
    grid_index_reset()
    team = crew()
    category()
    first = report(team.resident, point=POINT_A1)
    second = report(team.resident, point=POINT_B1)
    Case.objects.filter(pk=first.pk).update(card="red")
    sign_in(page, team.command.user)

    page.goto("/cases/map/")
    markers = page.locator("path.case-marker")
    expect(markers).to_have_count(2)
    expect(page.locator("path.case-marker.card-red")).to_have_count(1)

    page.select_option("#f-card", "red")
    expect(markers).to_have_count(1)
    expect(page.locator("#map-status")).to_have_attribute("data-total", "1")
    assert "card=red" in page.url

    markers.first.dispatch_event("click")
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(first.number)
    expect(popup.locator("a")).to_have_attribute("href", f"/cases/{first.number}/")
    assert second.number not in popup.inner_text()
