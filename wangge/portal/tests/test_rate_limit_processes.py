"""The rate limit holds across server processes: two gunicorn servers on one database (and so
one cache table) share the count of a flood of anonymous reports sent to them in turn.

Each server is a separate process with its own memory, so only a shared cache can make the
sum of both hold; the hand-written per-process limiter this replaced would let twice through.
"""

import http.cookiejar
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
LIMIT = 4
FLOOD = 10


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(port: int, process: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            errors = process.stderr.read() if process.stderr is not None else ""
            raise AssertionError(f"server on {port} exited: {errors!r}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"server on {port} did not start")


@pytest.fixture
def two_servers(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        WANGGE_VAR_DIR=str(tmp_path),
        WANGGE_SQLITE_PATH=str(tmp_path / "shared.sqlite3"),
        WANGGE_RATE_PORTAL_REPORT=f"{LIMIT}/h",
        WANGGE_TRUSTED_PROXIES="",
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (["migrate", "-v0"], ["createcachetable", "-v0"]):
        subprocess.run(  # noqa: S603 - fixed argv, our own manage.py
            manage + command, cwd=ROOT, env=env, check=True, capture_output=True
        )
    ports = [free_port(), free_port()]
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    servers = [
        subprocess.Popen(  # noqa: S603 - fixed argv, the venv's gunicorn
            [gunicorn, "config.wsgi", "-w", "1", "-b", f"127.0.0.1:{port}", "--log-level", "error"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for port in ports
    ]
    try:
        deadline = time.monotonic() + 20
        for port, server in zip(ports, servers, strict=True):
            wait_until_up(port, server, deadline)
        yield ports
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=10)


def status_of(opener, request) -> int:
    try:
        with opener.open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_flood_of_anonymous_reports_is_limited_across_two_processes(two_servers):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    first, second = two_servers
    # The CSRF cookie from one server is good at the other: they share the secret key.
    assert status_of(opener, f"http://127.0.0.1:{first}/portal/report/") == 200
    token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    statuses = []
    for attempt in range(FLOOD):
        port = two_servers[attempt % 2]
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/portal/report/",
            data=f"csrfmiddlewaretoken={token}&category_code=1405".encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://127.0.0.1:{port}/portal/report/",
                # A spoofed header changes nothing without a trusted proxy.
                "X-Forwarded-For": f"203.0.113.{attempt}",
            },
        )
        statuses.append(status_of(opener, request))
    # Within the limit the post is read (and refused by the form: no place given); the rest of
    # the flood is refused by the limit, whichever server it reaches.
    assert statuses == [422] * LIMIT + [429] * (FLOOD - LIMIT)
    assert {two_servers[n % 2] for n in range(LIMIT, FLOOD)} == {first, second}
