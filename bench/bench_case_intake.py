"""Case intake over HTTP: POST /api/v1/cases served by gunicorn, driven by wrk on loopback.

A grid worker with an API token reports cases at points inside their grid (grid lookup,
deadline, event and audit rows; no photo), each with its own Idempotency-Key so that every
request makes a new case. Target: ≥ 500 requests/s with p99 ≤ 50 ms, on SQLite (WAL) and on
PostgreSQL (DATABASE_URL).

Baseline, same run, same server settings, same wrk: a bare Django view that inserts one row
into a bench-only table (created here with raw SQL). It is mounted only in the baseline's
gunicorn process, through `baseline_application()` below, which swaps ROOT_URLCONF for this
module's `urlpatterns`; the project's own URLs never see it.

Both servers run with the production settings (DEBUG off; secret and field keys set in the
environment for the run), sync workers, as in a deployment behind a proxy. Every intake
request must have made a case (rows counted after the run) and wrk must report no non-2xx
answer and no socket error, or the run fails.

BENCH_SCALE=small drives each server for 3 s; full for 15 s (-t2 -c16). wrk must be installed
(`apt-get install -y wrk`); the benchmark fails without it rather than skip.

Requests/s depend on how much of the machine the servers get. The record also keeps the CPU
time the gunicorn workers spent per request (intake and baseline) and the load average, which
say how the figure was made when other programs shared the machine.
"""

import base64
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from common import ROOT, django_database, record, sized

HERE = Path(__file__).resolve().parent
LUA = HERE / "wrk_case_intake.lua"
SEED = 20261130
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "3"))
THREADS, CONNECTIONS = 2, 16
BASELINE_TABLE = "bench_intake_baseline"
TARGET_RPS, TARGET_P99_MS = 500.0, 50.0
# Long enough for every worker to have loaded the app (gunicorn listens before they have).
WARM_SECONDS = 5


def main() -> None:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit(
            "case_intake needs wrk, an HTTP load tool: apt-get install -y wrk (not skipped)"
        )
    bench_secrets()
    with django_database(), tempfile.TemporaryDirectory(prefix="wangge-intake-") as scratch:
        setup = seed()
        points_file = Path(scratch) / "points.txt"
        points_file.write_text("".join(f"{lng:.7f} {lat:.7f}\n" for lng, lat in setup.points))
        env = server_environment()
        env.update(
            BENCH_TOKEN=setup.token,
            BENCH_POINTS=str(points_file),
            BENCH_CATEGORY=setup.category,
            BENCH_SOURCE="grid_worker",
        )
        seconds = sized(small=3, full=15)
        log = Path(scratch) / "gunicorn.log"

        with gunicorn("config.wsgi:application", env, log) as server:
            port = server.port
            check_intake(port, setup)
            before = case_count()
            wrk_run(wrk, port, "/api/v1/cases", env, "warm", WARM_SECONDS)
            warm_made = settled(case_count) - before
            before, cpu = case_count(), server.worker_cpu_seconds()
            intake = wrk_run(wrk, port, "/api/v1/cases", env, "intake", seconds)
            intake_cpu = server.worker_cpu_seconds() - cpu
            made = settled(case_count) - before

        with gunicorn("bench_case_intake:baseline_application()", env, log) as server:
            port = server.port
            wrk_run(wrk, port, "/bench/insert", env, "warm-baseline", WARM_SECONDS)
            before, cpu = settled(baseline_count), server.worker_cpu_seconds()
            baseline = wrk_run(wrk, port, "/bench/insert", env, "baseline", seconds)
            baseline_cpu = server.worker_cpu_seconds() - cpu
            inserted = settled(baseline_count) - before

        # Requests still in flight when wrk stops may have been served but not counted.
        for label, result, rows in (("intake", intake, made), ("baseline", baseline, inserted)):
            if not result.requests <= rows <= result.requests + CONNECTIONS:
                raise SystemExit(
                    f"{label}: wrk counted {result.requests} answers but {rows} rows were made"
                )
        if warm_made <= 0:
            raise SystemExit("the warm-up made no case")

        queries = queries_per_intake(setup)
        cpu_ms = round(1000 * intake_cpu / max(intake.requests, 1), 3)
        baseline_cpu_ms = round(1000 * baseline_cpu / max(baseline.requests, 1), 3)
        load = os.getloadavg()[0]
        record(
            "case_intake",
            f"{THREADS} threads × {CONNECTIONS} connections × {seconds} s, {WORKERS} sync workers",
            intake.rps,
            "requests/s",
            baseline.rps,
            TARGET_RPS,
            p50_ms=intake.p50_ms,
            p90_ms=intake.p90_ms,
            p99_ms=intake.p99_ms,
            p99_target_ms=TARGET_P99_MS,
            p99_met=intake.p99_ms <= TARGET_P99_MS,
            baseline_p50_ms=baseline.p50_ms,
            baseline_p99_ms=baseline.p99_ms,
            requests=intake.requests,
            cases_made=made,
            baseline_requests=baseline.requests,
            baseline_endpoint="bare Django view, one INSERT (bench-only table)",
            database_queries=queries,
            worker_cpu_ms_per_request=cpu_ms,
            baseline_worker_cpu_ms_per_request=baseline_cpu_ms,
            load_average_1m=round(load, 2),
            tool="wrk",
        )
        print(
            f"  p50 {intake.p50_ms} ms, p90 {intake.p90_ms} ms, p99 {intake.p99_ms} ms "
            f"(target ≤ {TARGET_P99_MS:g}); baseline p99 {baseline.p99_ms} ms; "
            f"{queries} queries per intake; worker CPU {cpu_ms} ms per request "
            f"(baseline {baseline_cpu_ms}); load average {load:.2f}"
        )


# --- set-up ------------------------------------------------------------------------------------


@dataclass
class Setup:
    token: str
    category: str
    grid: str
    points: list[tuple[float, float]]


def bench_secrets() -> None:
    """DEBUG off (the production settings) needs a secret key and field keys; fresh ones per run,
    shared by this process and the servers through the environment."""

    def key() -> str:
        return base64.b64encode(secrets.token_bytes(32)).decode()

    os.environ.setdefault("WANGGE_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("WANGGE_FIELD_KEYS", json.dumps({"1": key()}))
    os.environ.setdefault("WANGGE_BLIND_INDEX_KEY", key())


def seed() -> Setup:
    import numpy as np
    from django.db import connection

    from wangge.cases.enums import HandlingLevel
    from wangge.cases.models import CaseCategory
    from wangge.core.models import AccountKind, User
    from wangge.core.scope import Actor
    from wangge.core.tokens import api_token_issue
    from wangge.demo.generator import generate_city
    from wangge.orgs.enums import OrgUnitKind, Role
    from wangge.orgs.grid_index import grid_index, grid_index_reset, locate_points
    from wangge.orgs.models import OrgUnit
    from wangge.orgs.role_services import role_assign
    from wangge.orgs.services import org_tree_import

    org_tree_import(actor=Actor.system(), feature_collection=generate_city(seed=SEED))
    grid_index_reset()
    index = grid_index()
    grid = (
        OrgUnit.objects.filter(kind=OrgUnitKind.GRID, is_active=True, code__in=list(index.codes))
        .order_by("code")
        .first()
    )
    if grid is None:
        raise SystemExit("the demo street has no grid in the index")
    # A sub-class handled by the community, asking no attributes: the common report.
    category = next(
        c
        for c in CaseCategory.objects.filter(
            is_active=True, parent__isnull=False, handling_level=HandlingLevel.COMMUNITY
        ).order_by("code")
        if not any(spec.get("required") for spec in c.attributes or [])
    )
    user = User.objects.create_user(username="bench_grid_worker", kind=AccountKind.STAFF)
    role_assign(actor=Actor.system(), user=user, role=Role.GRID_WORKER, org_unit_code=grid.code)
    raw, _token = api_token_issue(user=user)

    geometry = index.geoms[list(index.codes).index(grid.code)]
    west, south, east, north = geometry.bounds
    rng = np.random.default_rng(SEED)
    lngs, lats = rng.uniform(west, east, 20_000), rng.uniform(south, north, 20_000)
    inside = np.flatnonzero(locate_points(lngs, lats) == grid.code)
    points = [(float(lngs[i]), float(lats[i])) for i in inside[:2_000]]
    if len(points) < 100:
        raise SystemExit(f"only {len(points)} random points fell inside grid {grid.code}")

    with connection.cursor() as cursor:
        serial = "bigserial" if connection.vendor == "postgresql" else "integer"
        cursor.execute(
            f"CREATE TABLE {BASELINE_TABLE} (id {serial} PRIMARY KEY, body text NOT NULL, "
            f"created_at timestamp NOT NULL)"
        )
    print(
        f"street: {len(index)} grids; reporting in grid {grid.code} as a grid worker, "
        f"category {category.code} {category.name}, {len(points)} points"
    )
    return Setup(token=raw, category=category.code, grid=grid.code, points=points)


def server_environment() -> dict[str, str]:
    """The servers' environment: production settings on this run's database and keys."""
    from django.db import connection

    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), str(HERE), env.get("PYTHONPATH")]))
    if connection.vendor == "postgresql":
        # django_database() made a separate database; point the servers at it, not the real one.
        settings = connection.settings_dict
        user = settings["USER"]
        password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
        port = f":{settings['PORT']}" if settings["PORT"] else ""
        env["DATABASE_URL"] = (
            f"postgres://{user}{password}@{settings['HOST']}{port}/{settings['NAME']}"
        )
    return env


def case_count() -> int:
    from wangge.cases.models import Case

    return Case.objects.count()


def settled(count, quiet: float = 3.0) -> int:
    """The row count once the requests wrk left in flight have been served (unchanged for
    `quiet` seconds: on a busy machine a queued request can wait more than a second)."""
    last, since = count(), time.monotonic()
    while time.monotonic() - since < quiet:
        time.sleep(0.5)
        now = count()
        if now != last:
            last, since = now, time.monotonic()
    return last


def baseline_count() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {BASELINE_TABLE}")  # noqa: S608 - a constant
        return int(cursor.fetchone()[0])


# --- the servers -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class gunicorn:
    """A gunicorn process serving `app` on a free loopback port; stopped on exit."""

    def __init__(self, app: str, env: dict[str, str], log: Path) -> None:
        self.app, self.env, self.log = app, env, log
        self.process: subprocess.Popen | None = None
        self.port = 0

    def __enter__(self) -> "gunicorn":
        port = self.port = free_port()
        command = [
            str(Path(sys.executable).with_name("gunicorn")),
            "--worker-class",
            "sync",
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
            "--chdir",
            str(ROOT),
            "--log-level",
            "warning",
            "--error-logfile",
            str(self.log),
            self.app,
        ]
        self.process = subprocess.Popen(command, env=self.env, cwd=ROOT)  # noqa: S603 - our argv
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited at start:\n{self.log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.2)
        self.__exit__(None, None, None)
        raise SystemExit(f"gunicorn did not listen on port {port} within 30 s")

    def worker_cpu_seconds(self) -> float:
        """CPU time (user + system) the workers have used so far: unlike requests/s, the CPU
        per request hardly moves when other programs share the machine."""
        if self.process is None:
            return 0.0
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            # After the command: state, ppid, ... utime (14th field of the line), stime (15th).
            if int(fields[1]) == self.process.pid:
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # PostgreSQL: the servers' connections must be gone before the database is dropped.
        self.process = None


def check_intake(port: int, setup: Setup) -> None:
    """One request by hand first, so that a refusal shows its body, not just wrk's count."""
    lng, lat = setup.points[0]
    body = json.dumps(
        {"category": setup.category, "source": "grid_worker", "title": "bench check"}
        | {"lng": lng, "lat": lat}
    ).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/cases",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {setup.token}",
            "Idempotency-Key": "bench-check",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            status = response.status
    except urllib.error.HTTPError as error:
        raise SystemExit(f"intake check failed: {error.code} {error.read()!r}") from None
    if status != 201:
        raise SystemExit(f"intake check answered {status}, not 201")


# --- wrk ---------------------------------------------------------------------------------------


@dataclass
class WrkResult:
    requests: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def wrk_run(wrk: str, port: int, path: str, env: dict[str, str], run: str, seconds: int):
    command = [
        wrk,
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(LUA),
        f"http://127.0.0.1:{port}{path}",
    ]
    run_env = env | {"BENCH_RUN": f"{run}-{secrets.token_hex(4)}"}
    done = subprocess.run(  # noqa: S603 - our argv
        command, env=run_env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return parse_wrk(done.stdout, run)


def parse_wrk(output: str, run: str) -> WrkResult:
    """Requests/s, the latency distribution (--latency) and the failure lines of wrk's report."""
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", output)
    if non_2xx:
        raise SystemExit(f"{run}: {non_2xx.group(1)} answers were not 2xx:\n{output}")
    if "Socket errors" in output:
        raise SystemExit(f"{run}: socket errors:\n{output}")
    total = re.search(r"(\d+) requests in ", output)
    rps = re.search(r"Requests/sec:\s*([\d.]+)", output)
    latency = {
        int(share): float(value) * UNITS_MS[unit]
        for share, value, unit in re.findall(r"^\s*(\d+)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
    }
    if not (total and rps and {50, 90, 99} <= latency.keys()):
        raise SystemExit(f"{run}: could not read wrk's report:\n{output}")
    print(f"{run}: {int(total.group(1)):,} requests, {float(rps.group(1)):,.0f} requests/s")
    return WrkResult(
        requests=int(total.group(1)),
        rps=float(rps.group(1)),
        p50_ms=round(latency[50], 3),
        p90_ms=round(latency[90], 3),
        p99_ms=round(latency[99], 3),
    )


def queries_per_intake(setup: Setup) -> int:
    """Database queries of one intake, through the same API in this process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(headers={"authorization": f"Bearer {setup.token}"})
    payload = {"category": setup.category, "source": "grid_worker", "title": "bench count"}

    def report(number: int):
        lng, lat = setup.points[number]
        response = client.post(
            "/api/v1/cases",
            payload | {"lng": lng, "lat": lat},
            content_type="application/json",
            headers={"idempotency-key": f"bench-queries-{number}"},
        )
        if response.status_code != 201:
            raise SystemExit(f"query count request failed: {response.status_code}")

    report(1)  # warm: the grid index, calendar and caches are loaded once per process
    with CaptureQueriesContext(connection) as captured:
        report(2)
    return len(captured)


# --- the baseline server (imported by gunicorn, never by the project) --------------------------


def baseline_insert(request):
    """A bare view: read the body, insert one row, answer 201 with its id."""
    from django.db import connection
    from django.http import JsonResponse
    from django.utils import timezone

    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BASELINE_TABLE} (body, created_at) VALUES (%s, %s)",  # noqa: S608 - a constant
            [request.body.decode(), timezone.now()],
        )
        row_id = cursor.lastrowid if connection.vendor == "sqlite" else None
    return JsonResponse({"id": row_id}, status=201)


def _baseline_urlpatterns() -> list:
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt

    return [path("bench/insert", csrf_exempt(baseline_insert))]


def __getattr__(name: str):
    # `urlpatterns` is built on first use, so that importing this module needs no Django set-up.
    if name == "urlpatterns":
        return _baseline_urlpatterns()
    raise AttributeError(name)


def baseline_application():
    """gunicorn's app factory for the baseline: the production settings, this module's URLs."""
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    settings.ROOT_URLCONF = __name__
    return get_wsgi_application()


if __name__ == "__main__":
    main()
