"""The whole case loop in real browsers (issue 4, "Done when", first bullet).

A resident reports a broken street light with a photo and a pin; it lands in the right grid; the
community accepts and escalates; the street whistles two departments, both report in, the lead
handles; the community verifies and closes; the resident rates 不满意 and it reopens; it is
handled again, closed and rated 满意; the statistics page counts it once, with one rework.
"""

import importlib

import pytest
from django.apps import apps
from django.utils import timezone
from playwright.sync_api import FilePayload, Page, expect

from wangge.cases.enums import HandlingLevel
from wangge.cases.models import Case, CaseCategory, CaseReportIn
from wangge.cases.tests.factories import POINT_A1, crew
from wangge.cases.tests.photos import image_bytes
from wangge.core.accounts import resident_register
from wangge.core.calendar import LOCAL_TZ
from wangge.orgs.grid_index import grid_index_reset

from .conftest import PHONE_VIEWPORT, VIEWPORT, click_at, new_context, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13912340000"
PASSWORD = "Portal-2026-ok"
CATEGORIES = importlib.import_module("wangge.cases.migrations.0002_seed_categories")


@pytest.fixture
def team(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    if not CaseCategory.objects.exists():  # the transactional flush emptied the catalogue
        CATEGORIES.seed_categories(apps, None)
    # In this street the community accepts street-light reports and passes on what it cannot
    # handle (the seeded catalogue sends them straight to a department).
    CaseCategory.objects.filter(code="0101").update(handling_level=HandlingLevel.COMMUNITY)
    grid_index_reset()
    made = crew()
    resident_register(phone=PHONE, password=PASSWORD, display_name="张阿姨")
    yield made
    grid_index_reset()


class Desk:
    """One staff member at their own browser."""

    def __init__(self, browser, live_server, user) -> None:
        self.context = new_context(browser, live_server, VIEWPORT)
        self.page: Page = self.context.new_page()
        sign_in(self.page, user)

    def act(self, number: str, action: str, fill=None) -> None:
        page = self.page
        page.goto(f"/cases/{number}/")
        form = page.locator(f"form[data-action={action}]")
        expect(form).to_be_visible()
        if fill is not None:
            fill(form)
        form.locator("button[type=submit]").click()
        page.wait_for_url(f"**/cases/{number}/")
        expect(page.locator("#refusal")).to_have_count(0)


def note(text: str):
    return lambda form: form.locator("textarea[name=note]").fill(text)


def resident_rates(page: Page, number: str, level: str, comment: str) -> None:
    page.goto(f"/portal/mine/{number}/")
    form = page.locator("form[data-form=rate]")
    form.get_by_label(level, exact=True).check()  # "满意", not "非常满意"
    form.locator("textarea").first.fill(comment)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("domcontentloaded")


def test_the_whole_loop(browser, live_server, team):
    # 1. The resident reports on the phone: photo, pin, the portal's questions.
    phone_context = new_context(browser, live_server, PHONE_VIEWPORT)
    phone = phone_context.new_page()
    phone.goto("/resident/login/?next=/portal/")
    phone.fill("input[name=phone]", PHONE)
    phone.fill("input[name=password]", PASSWORD)
    phone.locator("form:has(input[name=phone]) button[type=submit]").click()
    phone.wait_for_url("**/portal/")
    phone.goto("/portal/report/")
    phone.locator("summary", has_text="市政公用设施").click()
    phone.locator("label.portal-choice", has_text="路灯").first.click()
    phone.locator("[data-questions='0101'] label", has_text="完全不亮").click()
    phone.set_input_files(
        "input[name=photos]",
        FilePayload(name="light.jpg", mimeType="image/jpeg", buffer=image_bytes(gps=True)),
    )
    phone.wait_for_function("() => window.wanggeMap && window.wanggeMap.map")
    phone.locator("#portal-map").scroll_into_view_if_needed()
    click_at(phone, *POINT_A1)
    expect(phone.locator("#pin-status[data-pinned]")).to_be_visible()
    phone.fill("textarea[name=description]", "小区东门的路灯整晚不亮")
    phone.click("button.portal-send")
    number_box = phone.locator("[data-case-number]")
    expect(number_box).to_be_visible()
    number = number_box.inner_text().strip()
    case = Case.objects.get(number=number)
    assert case.grid == team.street.grid_a1  # the pin gave the grid
    assert case.handler_unit == team.street.community_a
    assert len(case.photos) == 1

    community = Desk(browser, live_server, team.community_a.user)
    command = Desk(browser, live_server, team.command.user)
    lead = Desk(browser, live_server, team.dept.user)
    second = Desk(browser, live_server, team.dept2.user)

    # 2. The community accepts, then escalates to the street.
    community.act(number, "accept")
    community.act(number, "escalate", note("需要城管和市场监管联合处置"))
    assert Case.objects.get(number=number).handler_unit == team.street.street

    # 3. The street whistles two departments, 城管 leading.
    def whistle(form):
        form.locator("select[name=lead_unit_code]").select_option(team.street.department.code)
        form.locator(f"input[name=unit_codes][value='{team.department2.code}']").check()
        form.locator("textarea[name=note]").fill("吹哨：两部门30分钟内报到")

    command.act(number, "whistle", whistle)
    screenshot(command.page, "case-whistled.png")

    # 4. Both report in; the second adds its part; the lead handles.
    second.act(number, "report_in")
    second.act(number, "add_part", note("已检查周边商户线路"))
    lead.act(number, "report_in")
    assert (
        CaseReportIn.objects.filter(case__number=number, reported_in_at__isnull=False).count() == 2
    )
    expect(lead.page.get_by_test_id("joint-work")).to_contain_text("已检查周边商户线路")
    lead.act(number, "handle", note("更换灯泡，线路已修复"))

    # 5. The community verifies and closes.
    community.act(number, "verify")
    community.act(number, "close")
    assert Case.objects.get(number=number).state == "closed"

    # 6. The resident is not satisfied: the case reopens with its lead department.
    resident_rates(phone, number, "不满意", "第二天又不亮了")
    reopened = Case.objects.get(number=number)
    assert (reopened.state, reopened.reopens) == ("in_progress", 1)
    assert reopened.handler_unit == team.street.department

    # 7. Handled again, verified, closed, rated 满意.
    lead.act(number, "handle", note("更换了整套灯具"))
    community.act(number, "verify")
    community.act(number, "close")
    resident_rates(phone, number, "满意", "修好了，谢谢")
    final = Case.objects.get(number=number)
    assert (final.state, final.rating) == ("rated", 4)

    # 8. The statistics count the case once, closed, with one rework.
    today = timezone.now().astimezone(LOCAL_TZ).date()
    stats = command.page
    stats.goto(f"/cases/stats/?period=custom&start={today:%Y-%m-01}&end={today:%Y-%m-%d}")
    value = ".tile-value"
    expect(stats.get_by_test_id("indicator-reported").locator(value)).to_have_text("1")
    expect(stats.get_by_test_id("indicator-closed").locator(value)).to_have_text("1")
    expect(stats.get_by_test_id("indicator-reworks").locator(value)).to_have_text("1")
    screenshot(stats, "case-stats.png")
    for desk in (community, command, lead, second):
        desk.context.close()
    phone_context.close()
