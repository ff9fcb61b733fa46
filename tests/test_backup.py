"""Backup while the street keeps writing, restore into an empty database, find every row and file.

Separate processes, as in production: a writer reports cases with photos the whole time, the
backup runs beside it, the restore goes into a new database and upload folder. SQLite always;
PostgreSQL as well when DATABASE_URL names one (CI): the test then creates and drops its own
databases. Rows and files are read back with the database's own driver, not with the code
under test.
"""

# ruff: noqa: S603, S608 - our own commands; table names come from the catalogue

import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Rows the cache may drop by itself (expiry, culling): counted, not required to survive.
VOLATILE = {"wangge_cache"}
AUDIT = "core_auditevent"


class Place:
    """One database and its var/ (uploads) that the commands run against."""

    def __init__(self, var_dir: Path) -> None:
        self.var_dir = var_dir
        var_dir.mkdir(parents=True, exist_ok=True)

    def env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("WANGGE_", "DJANGO_"))
            and key not in ("DATABASE_URL", "REDIS_URL")
        }
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.dev",
            WANGGE_VAR_DIR=str(self.var_dir),
            # The same field keys everywhere: they are not part of a backup.
            WANGGE_FIELD_KEYS=json.dumps({"1": "ZV1tZFEfhh3AhbL33g42nrNjLimd9bAZWmjJU6gqBIM="}),
            WANGGE_BLIND_INDEX_KEY="eIvcEzIONII6tunk5XzLz51FY/EAEPsxjzfD3lIbmTA=",
        )
        return env

    def run(self, *args: str, script: str = "manage.py") -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, script, *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=180,
        )

    def keys(self) -> dict[str, set[tuple]]:
        raise NotImplementedError

    def photo_keys(self) -> list[str]:
        raise NotImplementedError


class SqlitePlace(Place):
    @property
    def path(self) -> Path:
        return self.var_dir / "wangge.sqlite3"

    def keys(self) -> dict[str, set[tuple]]:
        with sqlite3.connect(self.path) as db:
            tables = [
                row[0]
                for row in db.execute(
                    "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
                )
            ]
            found = {}
            for table in tables:
                info = db.execute(f'PRAGMA table_info("{table}")').fetchall()
                columns = [row[1] for row in sorted(info, key=lambda row: row[5]) if row[5]] or [
                    row[1] for row in info
                ]
                listed = ", ".join(f'"{column}"' for column in columns)
                found[table] = set(db.execute(f'SELECT {listed} FROM "{table}"').fetchall())
            return found

    def photo_keys(self) -> list[str]:
        with sqlite3.connect(self.path) as db:
            rows = db.execute("SELECT photos FROM cases_case").fetchall()
        return [key for (photos,) in rows for key in json.loads(photos)]

    def broken_foreign_keys(self) -> list:
        with sqlite3.connect(self.path) as db:
            return db.execute("PRAGMA foreign_key_check").fetchall()


class PostgresPlace(Place):
    def __init__(self, var_dir: Path, url: str, name: str) -> None:
        super().__init__(var_dir)
        self.url = urlparse(url)._replace(path=f"/{name}").geturl()
        self.name = name

    def env(self) -> dict[str, str]:
        return {**super().env(), "DATABASE_URL": self.url}

    def connect(self):
        import psycopg

        return psycopg.connect(self.url)

    def keys(self) -> dict[str, set[tuple]]:
        with self.connect() as db:
            tables = [
                row[0]
                for row in db.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
                )
            ]
            primary = {}
            for table, column in db.execute(
                "SELECT c.relname, a.attname FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public' "
                "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey) "
                "WHERE i.indisprimary"
            ):
                primary.setdefault(table, []).append(column)
            found = {}
            for table in tables:
                listed = ", ".join(f'"{column}"' for column in primary.get(table, ["ctid"]))
                found[table] = set(db.execute(f'SELECT {listed} FROM "{table}"').fetchall())
            return found

    def photo_keys(self) -> list[str]:
        with self.connect() as db:
            rows = db.execute("SELECT photos FROM cases_case").fetchall()
        return [key for (photos,) in rows for key in photos]


def vendors() -> list[str]:
    """SQLite always; PostgreSQL too when the suite runs on it (CI's second run)."""
    url = os.environ.get("DATABASE_URL", "")
    return (
        ["sqlite", "postgresql"] if url.startswith(("postgres://", "postgresql://")) else ["sqlite"]
    )


@pytest.fixture(scope="module", params=vendors())
def places(request, tmp_path_factory) -> Iterator[Callable[[str], Place]]:
    """A factory of empty places (database + var/) of the vendor under test."""
    if request.param == "sqlite":
        yield lambda label: SqlitePlace(tmp_path_factory.mktemp(label))
        return
    import psycopg

    url = os.environ["DATABASE_URL"]
    admin_url = urlparse(url)._replace(path="/postgres").geturl()
    created: list[str] = []

    def make(label: str) -> PostgresPlace:
        name = f"wangge_backup_{label}_{secrets.token_hex(4)}"
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(
                f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'"
            )
        created.append(name)
        return PostgresPlace(tmp_path_factory.mktemp(label), url, name)

    yield make
    with psycopg.connect(admin_url, autocommit=True) as admin:
        for name in created:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def source(places) -> Place:
    """A migrated street with a category and five cases with photos."""
    place = places("source")
    done = place.run("migrate", "--noinput", "--skip-checks", "-v", "0")
    assert done.returncode == 0, done.stderr
    seeded = place.run("seed", script="tests/backup_street.py")
    assert seeded.returncode == 0, seeded.stderr
    return place


def read_ids(writer: subprocess.Popen, at_least: int, ids: list[int]) -> None:
    deadline = time.monotonic() + 60
    assert writer.stdout is not None
    while len(ids) < at_least:
        assert time.monotonic() < deadline, "the writer stalled"
        line = writer.stdout.readline()
        assert line, "the writer stopped: " + (writer.stderr.read() if writer.stderr else "")
        ids.append(int(line))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_backup_while_writing_then_restore_finds_every_row_and_file(places, source, tmp_path):
    stop = tmp_path / "stop-writing"
    writer = subprocess.Popen(
        [sys.executable, "tests/backup_street.py", "write", str(stop)],
        cwd=ROOT,
        env=source.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    written: list[int] = []
    try:
        read_ids(writer, 3, written)
        before = source.keys()  # every row committed before the backup starts
        backup_dir = tmp_path / "backup"
        done = source.run("wangge_backup", "--output", str(backup_dir))
        assert done.returncode == 0, done.stderr
        read_ids(writer, len(written) + 2, written)  # the writer went on beside the backup
    finally:
        stop.touch()
        writer.communicate(timeout=60)
    assert writer.returncode == 0

    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert oct(backup_dir.stat().st_mode & 0o777) == "0o700"
    modes = {oct(path.stat().st_mode & 0o777) for path in backup_dir.rglob("*") if path.is_file()}
    assert modes == {"0o600"}
    assert manifest["tables"]["cases_case"] >= len(before["cases_case"]) >= 5 + 3

    target = places("target")
    done = target.run("wangge_restore", str(backup_dir))
    assert done.returncode == 0, done.stdout + done.stderr

    # Reading the backup left nothing beside it (a WAL-mode copy would grow -wal/-shm files).
    assert {path.name for path in backup_dir.iterdir()} == {
        "manifest.json",
        manifest["database"]["file"],
        "files",
    }
    restored = target.keys()
    final = source.keys()
    for table, count in manifest["tables"].items():
        extra = 1 if table == AUDIT else 0  # the restore's own audit row
        assert len(restored[table]) == count + extra, table
        if table not in VOLATILE:
            assert before.get(table, set()) <= restored[table], f"rows of {table} were lost"
        if table != AUDIT:
            assert restored[table] <= final[table] | before.get(table, set()), table
    assert {(case_id,) for case_id in written[:3]} <= restored["cases_case"]
    if isinstance(target, SqlitePlace):
        assert target.broken_foreign_keys() == []

    # Every photo a restored case names is back, byte for byte; so is every file listed.
    media = target.var_dir / "media"
    listed = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
    photo_keys = target.photo_keys()
    assert len(photo_keys) == manifest["tables"]["cases_case"]
    for key in photo_keys:
        assert (
            sha256(media / key) == listed[f"media/{key}"] == sha256(source.var_dir / "media" / key)
        )
    for path, digest in listed.items():
        assert sha256(target.var_dir / path) == digest

    # Restoring again over the restored street is refused and changes nothing.
    again = target.run("wangge_restore", str(backup_dir))
    assert again.returncode != 0 and "not empty" in again.stderr
    assert target.keys() == restored


def test_restore_refuses_a_damaged_backup_and_writes_nothing(places, source, tmp_path):
    backup_dir = tmp_path / "backup"
    assert source.run("wangge_backup", "--output", str(backup_dir), "--archive").returncode == 0
    archive = tmp_path / "backup.tar.gz"
    assert archive.is_file() and not backup_dir.exists()
    assert oct(archive.stat().st_mode & 0o777) == "0o600"

    shutil.unpack_archive(archive, tmp_path / "unpacked")
    damaged = tmp_path / "unpacked" / "backup"
    photo = next((damaged / "files" / "media").rglob("*.jpg"))
    photo.write_bytes(photo.read_bytes()[:-1] + b"\x00")

    target = places("target")
    done = target.run("wangge_restore", str(damaged))

    assert done.returncode != 0
    assert "missing or damaged" in done.stderr
    assert not any(target.keys().values())
    assert not (target.var_dir / "media").exists()

    # The intact archive restores.
    done = target.run("wangge_restore", str(archive))
    assert done.returncode == 0, done.stderr
