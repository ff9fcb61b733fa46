"""The production server as `make serve` runs it: gunicorn with config.settings.production on a
temporary SQLite database, static files collected and served by WhiteNoise; `check --deploy`.

Processes, not the test client: the settings module, the middleware order and gunicorn's own
configuration are what is under test.
"""

# ruff: noqa: S603, S310 - the test starts our own commands and fetches its own loopback server

import gzip
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def production_env(var_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("WANGGE_", "DJANGO_", "PROMETHEUS_"))
        and key not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        WANGGE_VAR_DIR=str(var_dir),
        WANGGE_SECRET_KEY=secrets.token_urlsafe(50),
        WANGGE_DEV_KEY_FILE="1",
        WANGGE_WEB_WORKERS="1",
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def fetch(url: str, headers: dict[str, str] | None = None) -> Answer:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(request, timeout=10) as response:
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers), error.read())


@dataclass
class Server:
    base: str
    var_dir: Path
    tls: bool


def start_gunicorn(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**env, "WANGGE_BIND": f"127.0.0.1:{port}"}
    process = subprocess.Popen(
        [GUNICORN, "-c", "config/gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode() if process.stderr else "")
        try:
            fetch(base + "/health/")
            return process, base
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("gunicorn did not answer within 30 s")


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    """One migrated database with collected static files, shared by the servers below."""
    var_dir = tmp_path_factory.mktemp("prod-var")
    env = production_env(var_dir)
    for args in (
        ("migrate", "--noinput", "-v", "0"),
        ("createcachetable",),
        ("collectstatic", "--noinput", "-v", "0"),
        ("wangge_case_sweep",),  # the heartbeat the health check looks for
    ):
        done = manage(env, *args)
        assert done.returncode == 0, done.stderr
    return var_dir


@pytest.fixture(scope="module", params=["plain", "tls"])
def server(request, prepared) -> Iterator[Server]:
    tls = request.param == "tls"
    env = production_env(
        prepared, WANGGE_TLS="1" if tls else "0", WANGGE_TRUSTED_PROXIES="127.0.0.1"
    )
    process, base = start_gunicorn(env)
    try:
        yield Server(base, prepared, tls)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def https(server: Server) -> dict[str, str]:
    """What nginx adds in front of a TLS site (trusted: WANGGE_TRUST_PROXY_HEADER follows TLS)."""
    return {"X-Forwarded-Proto": "https"}


def test_health_answers_200_with_every_check_ok(server):
    answer = fetch(server.base + "/health/")
    assert answer.status == 200
    assert json.loads(answer.body) == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "outbox": "ok", "sweep": "ok"},
    }


def test_static_files_have_hashed_names_and_are_served_compressed_for_a_year(server):
    manifest = json.loads((server.var_dir / "static" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["vendor/leaflet/leaflet.js"]
    assert hashed != "vendor/leaflet/leaflet.js" and hashed.startswith("vendor/leaflet/leaflet.")

    answer = fetch(f"{server.base}/static/{hashed}", {"Accept-Encoding": "gzip", **https(server)})

    assert answer.status == 200
    assert answer.headers["Content-Encoding"] == "gzip"
    assert "immutable" in answer.headers["Cache-Control"]
    assert "max-age=315360000" in answer.headers["Cache-Control"]
    assert gzip.decompress(answer.body) == (server.var_dir / "static" / hashed).read_bytes()


def test_pages_refer_to_the_hashed_static_names(server):
    manifest = json.loads((server.var_dir / "static" / "staticfiles.json").read_text())
    page = fetch(server.base + "/login/", https(server)).body.decode()
    referenced = [name for name in manifest["paths"].values() if f"/static/{name}" in page]
    assert referenced, "the login page links no hashed static file"


def test_login_page_carries_security_headers_and_secure_cookies(server):
    answer = fetch(server.base + "/login/", https(server))

    assert answer.status == 200
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "same-origin"
    assert "Secure" in answer.headers["Set-Cookie"] and "csrftoken" in answer.headers["Set-Cookie"]
    if server.tls:
        assert answer.headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )
    else:
        assert "Strict-Transport-Security" not in answer.headers


def test_plain_http_is_redirected_to_https_only_when_tls_is_on(server):
    answer = fetch(server.base + "/login/")
    if server.tls:
        assert answer.status == 301
        assert answer.headers["Location"].startswith("https://")
        # Probes from the inside still reach the health check over plain HTTP.
        assert fetch(server.base + "/health/").status == 200
    else:
        assert answer.status == 200


def test_an_unknown_page_is_a_plain_404_without_debug_information(server):
    answer = fetch(server.base + "/no-such-page/", https(server))
    body = answer.body.decode()
    assert answer.status == 404
    assert "URLconf" not in body and "DEBUG = True" not in body and "Traceback" not in body


def test_check_deploy_is_clean_with_tls(tmp_path):
    done = manage(
        production_env(tmp_path, WANGGE_TLS="1"), "check", "--deploy", "--fail-level", "WARNING"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues (0 silenced)" in done.stdout


def test_check_deploy_without_tls_names_exactly_the_missing_https(tmp_path):
    done = manage(production_env(tmp_path, WANGGE_TLS="0"), "check", "--deploy")
    reported = {word.strip(":()") for word in done.stderr.split() if word.startswith("(security.")}
    assert reported == {"security.W004", "security.W008"}, done.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["WANGGE_SECRET_KEY"]
    done = manage(env, "check")
    assert done.returncode != 0
    assert "WANGGE_SECRET_KEY" in done.stderr


def test_production_reads_the_secret_key_from_a_file(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text(secrets.token_urlsafe(50) + "\n")
    env = production_env(tmp_path, WANGGE_SECRET_KEY_FILE=str(key_file))
    del env["WANGGE_SECRET_KEY"]
    done = manage(env, "check", "--deploy", "--fail-level", "ERROR")
    assert done.returncode == 0, done.stderr


def test_metrics_answer_loopback_but_not_a_client_behind_the_trusted_proxy(server):
    assert fetch(server.base + "/metrics").status == 200
    # Through nginx on loopback, REMOTE_ADDR becomes the client's: no longer loopback.
    proxied = fetch(server.base + "/metrics", {"X-Forwarded-For": "203.0.113.7"})
    assert proxied.status == 404
