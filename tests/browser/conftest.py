"""Browser fixtures: one chromium per session (Debian's, never a downloaded one), a fresh context
per test, the live server from pytest-django (transactional database), and a sign-in helper
that passes the TOTP step the way a person would.
"""

import importlib
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connection
from django.test.testcases import LiveServerThread
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, sync_playwright

from wangge.orgs.tests.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
PHONE_VIEWPORT = {"width": 390, "height": 844}
# Under var/ (ignored by git): a test run never rewrites tracked files. `make screenshots`
# copies them to docs/screenshots/ when the README's pictures should change.
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    # In CI a skipped browser test is a failure, so a missing chromium fails loudly here.
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not executable:
        pytest.fail("chromium is not installed: apt-get install -y chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class OneAtATimeWSGIServer(ThreadedWSGIServer):
    """The live server for SQLite in memory: a thread per connection, one request at a time.

    There the server shares the test's single connection, and Django's threaded live server
    would use it from several threads at once when a page's fetches overlap; SQLite then fails
    at random. A lock around the application serialises the requests, while connections still
    get their own threads (a single-threaded server would stall on Chromium's idle preconnects).
    """

    app_lock = threading.Lock()

    def set_app(self, application):
        def one_at_a_time(environ, start_response):
            with self.app_lock:
                return application(environ, start_response)

        super().set_app(one_at_a_time)


if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    LiveServerThread.server_class = OneAtATimeWSGIServer  # type: ignore[attr-defined]


AUDIT_TRIGGERS = importlib.import_module("wangge.core.migrations.0002_audit_append_only")


@pytest.fixture(autouse=True)
def _audit_trail_flushable(live_server):
    """Let the transactional teardown empty the audit table on SQLite.

    The append-only triggers refuse DELETE, and SQLite's flush deletes (PostgreSQL's TRUNCATE
    does not fire row triggers). The triggers are dropped just before the flush and put back
    before the next test, so every test runs with the trail append-only.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        for statement in AUDIT_TRIGGERS.SQLITE:
            cursor.execute(statement.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS", 1))
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_update")
        cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_delete")


def new_context(browser, live_server, viewport: dict):
    context = browser.new_context(
        base_url=live_server.url,
        viewport=viewport,
        device_scale_factor=1,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        # Nothing on these pages needs the network beyond the live server.
        service_workers="block",
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def browser_context(browser, live_server):
    context = new_context(browser, live_server, VIEWPORT)
    yield context
    context.close()


@pytest.fixture
def phone_context(browser, live_server):
    """A phone-sized screen, as a grid worker has in the street."""
    context = new_context(browser, live_server, PHONE_VIEWPORT)
    yield context
    context.close()


def watched_page(context) -> tuple[Page, list[str]]:
    new_page = context.new_page()
    problems: list[str] = []
    new_page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    new_page.on(
        "console",
        lambda msg: (
            problems.append(f"console {msg.type}: {msg.text}")
            if msg.type == "error" and "status of 4" not in msg.text
            else None
        ),
    )
    return new_page, problems


@pytest.fixture
def page(browser_context) -> Iterator[Page]:
    """A page that fails the test on any uncaught script error or console error."""
    new_page, problems = watched_page(browser_context)
    yield new_page
    assert not problems, problems


@pytest.fixture
def phone_page(phone_context) -> Iterator[Page]:
    new_page, problems = watched_page(phone_context)
    yield new_page
    assert not problems, problems


def totp_code(user) -> str:
    """The current code of the user's TOTP device, as the authenticator app would show it."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:0{device.digits}d}"


def sign_in(page: Page, user, password: str = PASSWORD) -> None:
    """Sign in through the real pages; users with a TOTP device also pass the code step."""
    page.goto("/login/")
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=username]").fill(user.get_username())
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit], input[type=submit]").first.click()
    page.wait_for_load_state("domcontentloaded")
    if page.locator("input[name=code]").count():
        code_form = page.locator("form:has(input[name=code])")
        code_form.locator("input[name=code]").fill(totp_code(user))
        code_form.locator("button[type=submit], input[type=submit]").first.click()
        page.wait_for_load_state("domcontentloaded")
    assert "/login" not in page.url, f"sign-in failed for {user.get_username()}: {page.url}"


def settle(page: Page) -> None:
    """Wait until the map has no request in flight.

    Needed before the test reads the database: with SQLite in memory the live server uses the
    test's own connection, which must not be used from two threads at once.
    """
    page.wait_for_function("() => window.wanggeMap && window.wanggeMap.busy() === 0")


def lnglat_to_page(page, lng: float, lat: float) -> tuple[float, float]:
    """Where a map coordinate is on the page, in CSS pixels."""
    point = page.evaluate(
        "([lng, lat]) => { const m = window.wanggeMap.map;"
        " const p = m.latLngToContainerPoint([lat, lng]);"
        " const r = m.getContainer().getBoundingClientRect();"
        " return [r.left + p.x, r.top + p.y]; }",
        [lng, lat],
    )
    return point[0], point[1]


def click_at(page, lng: float, lat: float) -> None:
    x, y = lnglat_to_page(page, lng, lat)
    page.mouse.click(x, y)
    page.wait_for_timeout(60)


def drag(page, start: tuple[float, float], end: tuple[float, float]) -> None:
    x0, y0 = lnglat_to_page(page, *start)
    x1, y1 = lnglat_to_page(page, *end)
    page.mouse.move(x0, y0)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x0 + (x1 - x0) * step / 10, y0 + (y1 - y0) * step / 10)
    page.mouse.up()
    page.wait_for_timeout(60)


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / name
    page.screenshot(path=str(target), full_page=False, animations="disabled", caret="hide")
    return target
