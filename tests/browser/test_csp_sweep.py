"""Every page of every role under the Content Security Policy, with script payloads stored in
every name the pages show.

Each role signs in (admin and auditor with their TOTP code), visits the pages its navigation
links to plus a fixed list of detail pages, and each page must end with: no CSP violation (an
init script records `securitypolicyviolation` events), no console error or uncaught error, no
`window.__xss`, and no element the payloads would have injected. Where a name reaches the page
through JavaScript (map tooltips and popups, chart tooltips) the payload must be on screen as
text. One browser, one context per role, no fixed sleeps.
"""

from dataclasses import dataclass
from datetime import timedelta
from functools import partial

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from wangge.cases import map_selectors
from wangge.cases.joint_models import SponsorIssueItem, SponsorIssueList
from wangge.cases.models import Case
from wangge.cases.tests.factories import POINT_A1, POINT_B1, category, report
from wangge.cases.views import map as case_map_views
from wangge.core.accounts import resident_register
from wangge.core.scope import Actor
from wangge.core.twofactor import totp_device_create
from wangge.orgs.actors import actor_for
from wangge.orgs.enums import OrgUnitKind, Role
from wangge.orgs.grid_index import grid_index_reset
from wangge.orgs.models import OrgUnit
from wangge.orgs.tests.factories import make_street, org_unit, staff_user
from wangge.registry.tests.factories import (
    make_building,
    make_compound,
    make_dwelling,
    make_household,
    make_person,
)

from .conftest import VIEWPORT, new_context, sign_in, watched_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Two payloads: an element with a handler, and a break out of an attribute into a script.
IMG = "<img src=x onerror=window.__xss=1>"
SCRIPT = '"><script>window.__xss=2</script>'

RESIDENT_PHONE = "13912345678"
RESIDENT_PASSWORD = "Portal-2026-ok"

# role → the unit attribute of make_street's Street the role is assigned to
ROLE_UNITS = {
    Role.GRID_WORKER: "grid_a1",
    Role.GRID_LEADER: "grid_a1",
    Role.COMMUNITY_STAFF: "community_a",
    Role.CLERK: "street",
    Role.HANDLER: "street",
    Role.DEPARTMENT_STAFF: "department",
    Role.COMMAND_CENTRE: "street",
    Role.SUPERVISOR: "street",
    Role.ASSESSOR: "street",
    Role.ADMIN: "street",
    Role.AUDITOR: "street",
}

INIT_SCRIPT = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " blocked " + e.blockedURI + " in " + e.sourceFile +
    ":" + e.lineNumber + " " + (e.sample || ""));
});
"""

# What a payload that ran or was parsed as markup leaves behind.
CHECK_SCRIPT = """() => ({
  csp: window.__csp || [],
  xss: window.__xss === undefined ? null : String(window.__xss),
  injected: Array.from(document.querySelectorAll(
    'img[src="x"], [onerror], script:not([src]):not([type="application/json"])'
  )).map(function (e) { return e.outerHTML.slice(0, 120); }),
})"""

MAPS = "#map, #register-map, #case-map, #portal-map"
MAPS_READY = """selector => Array.from(document.querySelectorAll(selector)).every(
  e => e.classList.contains("leaflet-container") && !e.hasAttribute("aria-busy"))"""

# Downloads and actions are not pages.
NOT_PAGES = ("xlsx", "export", "/templates/", "/logout", "/read", "/reveal/")


@dataclass
class World:
    grid_code: str
    building_id: int
    household_id: int
    person_id: int
    case_number: str
    sponsor_list_id: int
    users: dict


def _world() -> World:
    """make_street's street with a payload in every name that a page shows."""
    grid_index_reset()
    street = make_street()
    names = {
        street.street: "通惠" + SCRIPT,
        street.community_a: "三苏" + IMG,
        street.grid_a1: "一网格" + SCRIPT,
        street.grid_a2: "二网格" + IMG,
        street.department: "城管" + IMG,
    }
    for unit, name in names.items():
        OrgUnit.objects.filter(pk=unit.pk).update(name=name)
    sponsor = org_unit("511402001000D09", "共建" + SCRIPT, OrgUnitKind.DEPARTMENT, street.street)
    compound = make_compound(street.grid_a1, name="小区" + IMG, sponsor_unit=sponsor)
    building = make_building(street.grid_a1, name="楼" + IMG, compound=compound)
    household = make_household(make_dwelling(building, number="1-" + SCRIPT[:8]))
    person = make_person("张" + IMG, household=household, phone="13800138000")
    category(name="路灯" + IMG)
    category(code="T0102", name="井盖" + SCRIPT)

    users = {}
    for role, unit_attr in ROLE_UNITS.items():
        user = staff_user(
            f"sweep_{role}", role, getattr(street, unit_attr), display_name="员" + IMG
        )
        if role in (Role.ADMIN, Role.AUDITOR):
            totp_device_create(actor=Actor.system(), user=user)
        users[role] = user
    resident = resident_register(
        phone=RESIDENT_PHONE, password=RESIDENT_PASSWORD, display_name="居民" + SCRIPT
    )
    grid_index_reset()
    case = report(
        actor_for(resident),
        title="灯不亮" + SCRIPT,
        description="描述" + IMG,
        address="地址" + IMG,
        point=POINT_A1,
    )
    report(actor_for(resident), category_code="T0102", title="井盖" + IMG, point=POINT_B1)
    sponsor_list = SponsorIssueList.objects.create(
        sponsor_unit=sponsor,
        week_of=timezone.localdate(),
        generated_at=timezone.now(),
        answer_due_at=timezone.now() + timedelta(days=2),
    )
    SponsorIssueItem.objects.create(issue_list=sponsor_list, case=case)
    return World(
        grid_code=street.grid_a1.code,
        building_id=building.pk,
        household_id=household.pk,
        person_id=person.pk,
        case_number=case.number,
        sponsor_list_id=sponsor_list.pk,
        users=users,
    )


def _staff_pages(world: World) -> list[str]:
    return [
        "/",
        "/map/",
        "/map/edit/",
        f"/grids/{world.grid_code}/",
        "/duty/",
        f"/register/grids/{world.grid_code}/",
        f"/register/buildings/{world.building_id}/",
        f"/register/households/{world.household_id}/",
        f"/register/persons/{world.person_id}/",
        "/register/persons/",
        "/register/search/",
        "/register/import/",
        "/cases/",
        f"/cases/{world.case_number}/",
        "/cases/map/",
        "/cases/stats/",
        "/cases/sponsor-lists/",
        f"/cases/sponsor-lists/{world.sponsor_list_id}/",
        "/calendar/",
        "/manage/users/",
        "/manage/lockouts/",
        "/audit/",
        "/notifications/",
        "/notifications/outbox/",
        "/account/password/",
    ]


def _resident_pages(world: World) -> list[str]:
    return [
        "/portal/",
        "/portal/report/",
        "/portal/mine/",
        f"/portal/mine/{world.case_number}/",
        f"/portal/follow/?number={world.case_number}",
    ]


def _must_reach(world: World) -> dict[str, list[str]]:
    return {
        Role.GRID_WORKER: [
            "/map/",
            f"/grids/{world.grid_code}/",
            f"/register/grids/{world.grid_code}/",
            f"/register/buildings/{world.building_id}/",
            f"/register/households/{world.household_id}/",
            f"/register/persons/{world.person_id}/",
        ],
        Role.COMMAND_CENTRE: [
            f"/cases/{world.case_number}/",
            "/cases/map/",
            "/cases/stats/",
            f"/cases/sponsor-lists/{world.sponsor_list_id}/",
            "/notifications/",
        ],
        Role.ADMIN: ["/map/edit/", "/manage/users/", "/calendar/"],
        Role.AUDITOR: ["/audit/"],
        "resident": [f"/portal/mine/{world.case_number}/", "/portal/report/"],
        "anonymous": ["/login/", "/resident/login/", "/portal/follow/"],
    }


ANONYMOUS_PAGES = ["/login/", "/resident/login/", "/portal/follow/", "/portal/", "/cases/map/"]


class Sweep:
    """One role's browser context; every check's failure is collected, not raised at once."""

    def __init__(self, browser, live_server, failures: list[str], label: str):
        self.context = new_context(browser, live_server, VIEWPORT)
        self.context.add_init_script(INIT_SCRIPT)
        self.page, self.problems = watched_page(self.context)
        self.failures = failures
        self.label = label
        self.visited: dict[str, int] = {}

    def check(self, where: str) -> None:
        found = self.page.evaluate(CHECK_SCRIPT)
        for violation in found["csp"]:
            self.failures.append(f"{self.label} {where}: CSP violation {violation}")
        if found["xss"] is not None:
            self.failures.append(f"{self.label} {where}: payload ran (window.__xss={found['xss']})")
        for element in found["injected"]:
            self.failures.append(f"{self.label} {where}: injected element {element}")
        self.failures.extend(f"{self.label} {where}: {problem}" for problem in self.problems)
        self.problems.clear()

    def visit(self, path: str) -> None:
        response = self.page.goto(path, wait_until="domcontentloaded")
        assert response is not None
        self.visited[path] = response.status
        if self.page.locator(MAPS).count():
            # Every map on the page drawn and none still loading.
            self.page.wait_for_function(MAPS_READY, arg=MAPS)
        self.check(path)

    def links(self) -> list[str]:
        hrefs = self.page.eval_on_selector_all(
            ".nav-links a, .user-box a, main a.portal-door, main [data-door]",
            "els => els.map(e => e.getAttribute('href'))",
        )
        return [
            href
            for href in hrefs
            if href and href.startswith("/") and not any(part in href for part in NOT_PAGES)
        ]

    def sweep(self, fixed: list[str]) -> None:
        links = self.links()
        for path in dict.fromkeys([*links, *fixed]):
            self.visit(path)
        self.failures.extend(
            f"{self.label} {path}: its navigation links to a page that answers {status}"
            for path in links
            if (status := self.visited[path]) != 200
        )

    def close(self) -> None:
        self.context.close()


def _text_on_map_and_charts(sweep: Sweep, world: World) -> None:
    """Names that JavaScript puts on the page show as text (command centre: sees it all)."""
    page: Page = sweep.page
    # The org map: the selected grid's label is a Leaflet tooltip.
    page.goto("/map/")
    page.locator("html[data-map-ready=true]").wait_for()
    page.evaluate("code => window.wanggeMap.select(code)", world.grid_code)
    expect(page.locator(".leaflet-tooltip.grid-label", has_text=SCRIPT)).to_have_count(1)
    sweep.check("/map/ grid label")

    # The register map: a building's tooltip on hover.
    page.goto(f"/register/grids/{world.grid_code}/")
    page.locator("html[data-register-map-ready=true]").wait_for()
    page.locator("#register-map path.leaflet-interactive").first.hover()
    expect(page.locator("#register-map .leaflet-tooltip")).to_have_text("楼" + IMG)
    sweep.check("register map tooltip")

    # The case map: a case's popup names its category.
    page.goto("/cases/map/")
    expect(page.locator("path.case-marker")).to_have_count(2)
    page.evaluate(
        "number => window.wanggeCaseMap.cases.eachLayer("
        "m => { if (m.caseNumber === number) m.openPopup(); })",
        world.case_number,
    )
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("路灯" + IMG)
    sweep.check("case map popup")

    # The statistics: chart tooltips name the units and the categories. showTip draws the
    # tooltip exactly as a hover on that bar or slice does.
    page.goto("/cases/stats/")
    data = page.evaluate("JSON.parse(document.getElementById('case-stats-data').textContent)")
    unit = data["units"]["labels"].index("三苏" + IMG)
    show_tip = (
        "([id, index]) => window.echarts.getInstanceByDom(document.getElementById(id))"
        ".dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: index})"
    )
    page.evaluate(show_tip, ["chart-units", unit])
    expect(page.locator("#chart-units .chart-tip-title")).to_have_text("三苏" + IMG)
    page.evaluate(show_tip, ["chart-categories", 0])
    expect(page.locator("#chart-categories .chart-tip-name")).to_have_text(
        data["categories"][0]["name"]
    )
    sweep.check("stats category tooltip")


def _text_in_case_map_counts(sweep: Sweep, monkeypatch) -> None:
    """Past the point limit the case map shows one count per grid: the grid's name in its popup."""
    monkeypatch.setattr(case_map_views, "case_map", partial(map_selectors.case_map, limit=1))
    page = sweep.page
    page.goto("/cases/map/")
    clusters = page.locator(".case-cluster")
    expect(clusters).to_have_count(2)
    for index in range(2):
        clusters.nth(index).click()
        if "一网格" in page.locator(".leaflet-popup-content").inner_text():
            break
    expect(page.locator(".leaflet-popup-content strong")).to_have_text("一网格" + SCRIPT)
    sweep.check("case map grid counts popup")


def test_stored_payloads_show_as_text_on_every_page_under_csp(browser, live_server, monkeypatch):
    world = _world()
    failures: list[str] = []
    visited: dict[str, dict[str, int]] = {}

    for role, user in world.users.items():
        sweep = Sweep(browser, live_server, failures, role)
        sign_in(sweep.page, user)
        sweep.check("sign-in")
        sweep.sweep(_staff_pages(world))
        if role == Role.COMMAND_CENTRE:
            _text_on_map_and_charts(sweep, world)
            _text_in_case_map_counts(sweep, monkeypatch)
            monkeypatch.undo()
        visited[role] = sweep.visited
        sweep.close()

    resident = Sweep(browser, live_server, failures, "resident")
    resident.page.goto("/resident/login/?next=/portal/")
    resident.page.fill("input[name=phone]", RESIDENT_PHONE)
    resident.page.fill("input[name=password]", RESIDENT_PASSWORD)
    resident.page.locator("form:has(input[name=phone]) button[type=submit]").click()
    resident.page.wait_for_url("**/portal/")
    resident.sweep(_resident_pages(world))
    resident.visit(f"/portal/mine/{world.case_number}/")
    expect(resident.page.locator("main")).to_contain_text("描述" + IMG)
    expect(resident.page.locator("main h1")).to_have_text("路灯" + IMG)
    visited["resident"] = resident.visited
    resident.close()

    anonymous = Sweep(browser, live_server, failures, "anonymous")
    anonymous.sweep(ANONYMOUS_PAGES)
    visited["anonymous"] = anonymous.visited
    anonymous.close()

    assert not failures, "\n".join(failures)
    # The payload pages were really shown (not refused) to the roles whose work they are.
    for label, paths in _must_reach(world).items():
        assert {path: visited[label].get(path) for path in paths} == dict.fromkeys(paths, 200)
    assert Case.objects.count() == 2  # the sweep only read
