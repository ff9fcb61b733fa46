"""/health/ (database, cache, outbox lag, sweep freshness) and /metrics (restricted), in process."""

import json
import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

from config.proxy import TrustedProxyMiddleware, parse_networks
from config.settings.base import database_from_env
from wangge.cases.health import SWEEP_HEARTBEAT
from wangge.core.heartbeats import heartbeat_age, heartbeat_record
from wangge.core.log_format import JsonFormatter
from wangge.core.models import Heartbeat
from wangge.notifications.models import Channel, DeliveryStatus, Notification

pytestmark = pytest.mark.django_db


def due_notification(*, due_ago: timedelta, status: str = DeliveryStatus.PENDING) -> Notification:
    now = timezone.now()
    return Notification.objects.create(
        address_ref="case_reporter:1",
        channel=Channel.SMS,
        kind="case.close",
        title="t",
        created_at=now - due_ago,
        status=status,
        next_attempt_at=now - due_ago,
    )


def health(client) -> tuple[int, dict]:
    response = client.get("/health/")
    return response.status_code, json.loads(response.content)


def test_health_is_ok_when_every_check_passes(client):
    heartbeat_record(SWEEP_HEARTBEAT)
    due_notification(due_ago=timedelta(seconds=30))  # due, but not late yet

    status, body = health(client)

    assert status == 200
    assert body == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "outbox": "ok", "sweep": "ok"},
    }


def test_health_fails_when_the_sweep_never_ran_or_stopped(client):
    status, body = health(client)
    assert (status, body["status"], body["checks"]["sweep"]) == (503, "error", "error")

    heartbeat_record(SWEEP_HEARTBEAT, at=timezone.now() - timedelta(minutes=16))
    status, body = health(client)
    assert (status, body["checks"]["sweep"]) == (503, "error")

    heartbeat_record(SWEEP_HEARTBEAT, at=timezone.now() - timedelta(minutes=14))
    status, body = health(client)
    assert (status, body["checks"]["sweep"]) == (200, "ok")


def test_outbox_lag_warns_then_fails(client):
    heartbeat_record(SWEEP_HEARTBEAT)
    late = due_notification(due_ago=timedelta(minutes=6))
    status, body = health(client)
    assert (status, body["status"], body["checks"]["outbox"]) == (200, "warning", "warning")

    # A claimed row whose lease ran out is as late as a pending one.
    late.status = DeliveryStatus.SENDING
    late.next_attempt_at = timezone.now() - timedelta(minutes=20)
    late.save()
    status, body = health(client)
    assert (status, body["status"], body["checks"]["outbox"]) == (503, "error", "error")


def test_outbox_lag_ignores_retries_scheduled_later_and_finished_rows(client):
    heartbeat_record(SWEEP_HEARTBEAT)
    later = due_notification(due_ago=timedelta(minutes=-30))  # a retry in 30 minutes
    sent = due_notification(due_ago=timedelta(hours=2), status=DeliveryStatus.SENT)
    dead = due_notification(due_ago=timedelta(hours=2), status=DeliveryStatus.DEAD)
    assert Notification.objects.filter(pk__in=[later.pk, sent.pk, dead.pk]).count() == 3

    status, body = health(client)

    assert (status, body["checks"]["outbox"]) == (200, "ok")


def test_health_reveals_no_detail_and_skips_sessions_and_locale(client, caplog):
    with caplog.at_level(logging.WARNING, logger="health_check"):
        response = client.get("/health/", HTTP_ACCEPT="text/html")

    assert response["Content-Type"] == "application/json"
    assert "never run" not in response.content.decode()  # the reason is logged, not shown
    assert "never run" in caplog.text
    # Answered before the session and locale middleware: no cookie, no language negotiation.
    assert "Cookie" not in response.get("Vary", "")
    assert not response.has_header("Content-Language")
    assert "no-store" in response["Cache-Control"]


def test_sweep_command_records_its_heartbeat():
    assert heartbeat_age(SWEEP_HEARTBEAT) is None

    call_command("wangge_case_sweep")

    assert Heartbeat.objects.filter(name=SWEEP_HEARTBEAT).exists()
    age = heartbeat_age(SWEEP_HEARTBEAT)
    assert age is not None and age < timedelta(seconds=30)


def test_metrics_answer_loopback(client):
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    assert b"django_http_requests_before_middlewares_total" in response.content


def test_metrics_refuse_other_addresses_as_not_found(client):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 404
    assert b"django_http" not in response.content


def test_metrics_answer_allowed_networks(client, settings):
    settings.WANGGE_METRICS_ALLOWED = ["203.0.113.0/24"]
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="198.51.100.1").status_code == 404


def test_metrics_answer_the_bearer_token_only(client, settings):
    settings.WANGGE_METRICS_TOKEN = "s3cret-token-for-scraping"
    remote = {"REMOTE_ADDR": "198.51.100.1"}
    good = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token-for-scraping", **remote)
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer guess", **remote)
    assert (good.status_code, wrong.status_code) == (200, 404)


def test_metrics_refuse_everyone_but_loopback_without_configuration(client, settings):
    settings.WANGGE_METRICS_TOKEN = ""
    # An empty token must not match an empty or bare "Bearer " header.
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer ", REMOTE_ADDR="198.51.100.1")
    assert response.status_code == 404


def test_json_log_lines_carry_the_path_without_the_query_string():
    request = RequestFactory().get("/register/search/", {"q": "13800138000"})
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", (request.path,), None
    )
    record.request = request
    record.status_code = 404

    line = json.loads(JsonFormatter().format(record))

    assert line["path"] == "/register/search/"
    assert line["status_code"] == 404 and line["level"] == "WARNING"
    assert "13800138000" not in json.dumps(line)


def test_database_url_is_parsed_by_dj_database_url(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://wangge:p%40ss@db.internal:5433/street")
    monkeypatch.setenv("WANGGE_TEST_DB_NAME", "test_street")
    config = database_from_env()
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.internal", 5433, "street")
    assert config["PASSWORD"] == "p@ss"
    assert config["CONN_MAX_AGE"] == 600 and config["CONN_HEALTH_CHECKS"] is True
    assert config["TEST"] == {"NAME": "test_street"}


def test_sqlite_keeps_wal_immediate_transactions_and_busy_timeout(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("WANGGE_SQLITE_PATH", str(tmp_path / "street.sqlite3"))
    config = database_from_env()
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == str(tmp_path / "street.sqlite3")
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    assert "busy_timeout=5000" in config["OPTIONS"]["init_command"]
    assert config["CONN_MAX_AGE"] == 600


def run_behind(trusted: list[str], environ: dict) -> dict:
    seen: dict = {}

    def app(environ, start_response):
        seen.update(environ)
        return []

    TrustedProxyMiddleware(app, parse_networks(trusted))(environ, lambda *args: None)
    return seen


def test_a_trusted_proxy_passes_on_the_client_address():
    seen = run_behind(
        ["172.16.0.0/12"],
        {"REMOTE_ADDR": "172.18.0.5", "HTTP_X_FORWARDED_FOR": "10.9.9.9, 203.0.113.7"},
    )
    # The last entry is what the proxy itself saw; earlier ones came from the client.
    assert seen["REMOTE_ADDR"] == "203.0.113.7"
    assert seen["wangge.proxy_addr"] == "172.18.0.5"


def test_forwarded_for_from_an_untrusted_peer_is_ignored():
    environ = {"REMOTE_ADDR": "198.51.100.4", "HTTP_X_FORWARDED_FOR": "127.0.0.1"}
    assert run_behind(["172.16.0.0/12"], dict(environ))["REMOTE_ADDR"] == "198.51.100.4"
    assert run_behind([], dict(environ))["REMOTE_ADDR"] == "198.51.100.4"


def test_a_garbled_forwarded_for_keeps_the_peer_address():
    seen = run_behind(["127.0.0.1"], {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "evil"})
    assert seen["REMOTE_ADDR"] == "127.0.0.1"
    assert "wangge.proxy_addr" not in seen
