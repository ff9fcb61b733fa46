"""What every benchmark shares: the size switch, a throwaway database, timing and the record.

A benchmark is a script `bench/bench_<name>.py` that seeds its own data, measures the hot path
and a baseline for the same work in one run, and calls `record()` once per figure. Results are
appended to bench/results.jsonl, one JSON object per line.
"""

import contextlib
import datetime as dt
import json
import os
import platform
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# BENCH_RESULTS sends trial runs elsewhere, so that only deliberate runs enter the record.
RESULTS = Path(os.environ.get("BENCH_RESULTS", Path(__file__).resolve().parent / "results.jsonl"))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SCALES = ("small", "full")


def bench_scale() -> str:
    """BENCH_SCALE: "small" (CI: seconds, proves the benchmark runs) or "full" (the record)."""
    scale = os.environ.get("BENCH_SCALE", "full").strip().lower()
    if scale not in SCALES:
        raise SystemExit(f"BENCH_SCALE must be one of {', '.join(SCALES)}, not {scale!r}")
    return scale


def sized(*, small, full):
    return full if bench_scale() == "full" else small


@contextlib.contextmanager
def django_database() -> Iterator[None]:
    """Set Django up on a fresh, migrated database that is thrown away afterwards.

    SQLite (the default): a file in a temporary directory (never var/wangge.sqlite3), in the
    same WAL mode as a real deployment. PostgreSQL when DATABASE_URL says so: a separate
    database (BENCH_DATABASE_NAME, default "wangge_bench") created and dropped like a test
    database, so neither the real nor the test database is touched.
    """
    os.environ["DJANGO_SETTINGS_MODULE"] = os.environ.get("BENCH_SETTINGS", "config.settings.dev")
    postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    with tempfile.TemporaryDirectory(prefix="wangge-bench-") as scratch:
        if not postgres:
            os.environ["WANGGE_SQLITE_PATH"] = str(Path(scratch) / "bench.sqlite3")
        os.environ.setdefault("WANGGE_VAR_DIR", scratch)
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection

        # Production-like: no query log growing through thousands of requests.
        settings.DEBUG = False
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        if postgres:
            old_name = connection.settings_dict["NAME"]
            connection.settings_dict.setdefault("TEST", {})["NAME"] = os.environ.get(
                "BENCH_DATABASE_NAME", "wangge_bench"
            )
            connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
            try:
                yield
            finally:
                connection.creation.destroy_test_db(old_name, verbosity=0)
        else:
            call_command("migrate", verbosity=0, interactive=False)
            try:
                yield
            finally:
                connection.close()


def machine() -> dict:
    """Where a figure was measured; only meaningful once Django is set up (database vendor)."""
    info = {
        "hostname": socket.gethostname(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "database": None,
    }
    with contextlib.suppress(Exception):
        import sqlite3

        from django.db import connection

        connection.ensure_connection()
        if connection.vendor == "sqlite":
            version = sqlite3.sqlite_version
        else:
            version = str(getattr(connection, "pg_version", ""))
        info["database"] = f"{connection.vendor} {version}"
    return info


def record(
    name: str,
    size: str | int,
    figure: float,
    unit: str,
    baseline: float | None,
    target: float | None,
    **extra,
) -> dict:
    """Append one result line and print it.

    `ratio` is the speed-up over the baseline, whichever way the unit points: figure / baseline
    for rates ("…/s", higher is better), baseline / figure for times ("ms", "s", lower is
    better). `target_met` compares the figure with the target the same way.
    """
    higher_is_better = unit.endswith("/s")
    ratio = None
    if baseline:
        ratio = figure / baseline if higher_is_better else baseline / figure
    met = None
    if target is not None:
        met = figure >= target if higher_is_better else figure <= target
    line = {
        "name": name,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "scale": bench_scale(),
        "size": size,
        "figure": round(figure, 4),
        "unit": unit,
        "baseline": round(baseline, 4) if baseline is not None else None,
        "ratio": round(ratio, 2) if ratio is not None else None,
        "target": target,
        "target_met": met,
        **extra,
    }
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    verdict = "" if met is None else ("  target met" if met else "  BELOW TARGET")
    print(
        f"{name}: {figure:,.4g} {unit} (baseline {baseline:,.4g}, ×{ratio:.2f}; "
        f"target {target}){verdict}"
        if baseline
        else f"{name}: {figure:,.4g} {unit}{verdict}"
    )
    return line


def best_seconds(work: Callable[[], object], repeat: int = 3) -> float:
    """The fastest of `repeat` runs: the least disturbed by other work on a shared machine."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def median(values: list[float]) -> float:
    return statistics.median(values)
