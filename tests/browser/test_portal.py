"""The resident portal on a phone: a resident reports a broken street light (路灯) with a photo
and a pin on the map, gets a case number and follows it by that number."""

import importlib

import pytest
from django.apps import apps
from playwright.sync_api import FilePayload, Page, expect

from wangge.cases.models import Case, CaseCategory
from wangge.cases.tests.factories import POINT_A1
from wangge.cases.tests.photos import image_bytes
from wangge.core.accounts import resident_register
from wangge.orgs.grid_index import grid_index_reset
from wangge.orgs.tests.factories import make_street

from .conftest import click_at, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13912345678"
PASSWORD = "Portal-2026-ok"
CATEGORIES = importlib.import_module("wangge.cases.migrations.0002_seed_categories")


@pytest.fixture
def street(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # The transactional flush emptied the seeded catalogue; put it back.
    if not CaseCategory.objects.exists():
        CATEGORIES.seed_categories(apps, None)
    grid_index_reset()
    made = make_street()
    resident_register(phone=PHONE, password=PASSWORD, display_name="张阿姨")
    yield made
    grid_index_reset()


def test_a_resident_reports_a_street_light_and_follows_it(phone_page: Page, street, tmp_path):
    page = phone_page
    page.goto("/resident/login/?next=/portal/")
    page.fill("input[name=phone]", PHONE)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=phone]) button[type=submit]").click()
    page.wait_for_url("**/portal/")

    page.click("[data-door=report]")
    page.wait_for_url("**/portal/report/")
    page.locator("summary", has_text="市政公用设施").click()
    page.locator("label.portal-choice", has_text="路灯").first.click()
    question = page.locator("[data-questions='0101']")
    expect(question).to_be_visible()
    question.locator("label", has_text="完全不亮").click()
    page.set_input_files(
        "input[name=photos]",
        FilePayload(name="light.jpg", mimeType="image/jpeg", buffer=image_bytes(gps=True)),
    )
    page.wait_for_function("() => window.wanggeMap && window.wanggeMap.map")
    page.locator("#portal-map").scroll_into_view_if_needed()
    click_at(page, *POINT_A1)
    expect(page.locator("#pin-status[data-pinned]")).to_be_visible()
    page.fill("textarea[name=description]", "三号楼门口的路灯整晚不亮")
    screenshot(page, "portal-report-phone.png")
    page.click("button.portal-send")

    number_box = page.locator("[data-case-number]")
    expect(number_box).to_be_visible()
    number = number_box.inner_text().strip()
    case = Case.objects.get(number=number)
    assert case.category.code == "0101" and case.attributes == {"fully_dark": "yes"}
    assert case.reporter is not None and case.reporter.display_name == "张阿姨"
    assert len(case.photos) == 1
    assert abs(case.lng - POINT_A1[0]) < 0.0005 and abs(case.lat - POINT_A1[1]) < 0.0005

    page.click("[data-follow]")
    expect(page.locator("[data-status='reported']")).to_be_visible()
    body = page.locator("main").inner_text()
    assert number in body and "路灯" in body
    assert "三号楼门口" not in body and "张阿姨" not in page.locator("main").inner_html()
