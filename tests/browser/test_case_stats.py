"""Case statistics in a real browser: the tiles read the rollups, the charts draw, and changing
a filter reloads the figures."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from wangge.cases import services as s
from wangge.cases.tests.factories import POINT_A1, POINT_B1, category, crew, report
from wangge.core.calendar import LOCAL_TZ
from wangge.orgs.grid_index import grid_index_reset

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_tiles_charts_and_a_unit_filter(page):
    grid_index_reset()
    team = crew()
    category()
    first = report(team.resident, point=POINT_A1)
    s.case_accept(actor=team.community_a, number=first.number, version=first.version)
    report(team.resident, point=POINT_B1)
    sign_in(page, team.command.user)

    today = timezone.now().astimezone(LOCAL_TZ).date()
    page.goto(f"/cases/stats/?period=custom&start={today:%Y-%m-01}&end={today:%Y-%m-%d}")
    expect(page.get_by_test_id("indicator-reported").locator(".tile-value")).to_have_text("2")
    expect(page.get_by_test_id("indicator-registered").locator(".tile-value")).to_have_text("1")
    # ECharts drew into the chart boxes (a canvas each).
    expect(page.locator("#chart-trend canvas")).to_have_count(1)
    expect(page.locator("#chart-units canvas")).to_have_count(1)

    page.select_option("#f-unit", team.street.community_b.code)
    page.wait_for_url(f"**unit={team.street.community_b.code}**")
    expect(page.get_by_test_id("indicator-reported").locator(".tile-value")).to_have_text("1")
    expect(page.get_by_test_id("indicator-registered").locator(".tile-value")).to_have_text("0")
