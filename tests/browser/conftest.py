"""Browser fixtures: one chromium per session (Debian's, never a downloaded one), a fresh context
per test, the live server from pytest-django (transactional database), and a sign-in helper
that passes the TOTP step the way a person would.
"""

import importlib
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.servers.basehttp import WSGIServer
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
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser() -> Browser:
    # In CI a skipped browser test is a failure, so a missing chromium fails loudly here.
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not executable:
        pytest.fail("chromium is not installed: apt-get install -y chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class SerialWSGIServer(WSGIServer):
    """The live server handling one request at a time, for SQLite in memory.

    There the server shares the test's single connection, and Django's threaded live server
    would use it from several threads at once (a page's fetches overlap): SQLite then fails
    at random. One request at a time is what that shared connection can take.
    """

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.connections_override = connections_override


if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    LiveServerThread.server_class = SerialWSGIServer


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


@pytest.fixture
def browser_context(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        viewport=VIEWPORT,
        device_scale_factor=1,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        # Nothing on these pages needs the network beyond the live server.
        service_workers="block",
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(browser_context) -> Page:
    """A page that fails the test on any uncaught script error or console error."""
    new_page = browser_context.new_page()
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


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / name
    page.screenshot(path=str(target), full_page=False, animations="disabled", caret="hide")
    return target
