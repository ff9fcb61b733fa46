"""Online backup and restore: the database, the uploaded files and a manifest that proves both.

A backup is a directory (0700, files 0600), optionally packed as DIR.tar.gz:

    manifest.json      format, time, database vendor, schema (last migration per app), the row
                       count of every table at the snapshot, and every file with size and sha256
    database.sqlite3   SQLite: a copy made with SQLite's online backup API
    database.dump      PostgreSQL: `pg_dump --format=custom`
    files/media/...    MEDIA_ROOT (case photos)
    files/imports/...  VAR_DIR/imports (files of register imports still waiting for the worker)

Consistency while the site keeps writing: SQLite's backup API copies one snapshot (in WAL mode
the writers go on meanwhile) and the row counts are taken from that copy. On PostgreSQL a
REPEATABLE READ transaction exports its snapshot; the counts are read in it and pg_dump dumps
that very snapshot (`--snapshot`). Files are copied after the snapshot: a photo is stored
before the row naming it commits, so every file a backed-up row names is there to copy
(files written later come along too, harmlessly).

Not in the backup, on purpose: the field-encryption keys (var/keys.json or WANGGE_FIELD_KEYS)
and the secret key. A backup holds encrypted personal data; kept apart from its keys, a lost
backup discloses nothing. Back the keys up separately (docs/operations.md).

Restore goes into an empty database (refused otherwise unless `force`), copies the files back,
then counts every table and hashes every file against the manifest.
"""

import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder

from .audit import audit_record

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.dump"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why (no personal data)."""


@dataclass(frozen=True)
class FileRoot:
    """A folder of uploads: its name inside the backup and where it lives here."""

    name: str
    path: Path


def file_roots() -> list[FileRoot]:
    return [
        FileRoot("media", Path(settings.MEDIA_ROOT)),
        FileRoot("imports", Path(settings.VAR_DIR) / "imports"),
    ]


def manifest_summary(manifest: dict) -> dict[str, int]:
    """What the commands report of a manifest: rows, tables and files."""
    return {
        "rows": sum(manifest["tables"].values()),
        "tables": len(manifest["tables"]),
        "files": len(manifest["files"]),
    }


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _table_counts(cursor, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608 - introspected names
        counts[table] = cursor.fetchone()[0]
    return counts


def _schema() -> dict[str, str]:
    """The last applied migration of every app, for the restore to compare with its code."""
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        latest[app] = max(latest.get(app, ""), name)
    return latest


def pg_tool(name: str) -> str:
    """pg_dump / pg_restore from PATH, else the newest under /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda path: int(Path(path).parent.parent.name),
    )
    if not candidates:
        raise BackupError(f"{name} is not installed (apt: postgresql-client)")
    return candidates[-1]


def _pg_env() -> dict[str, str]:
    """Connection parameters for the PostgreSQL tools: in the environment, never on argv."""
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    for key, value in (
        ("PGHOST", db.get("HOST")),
        ("PGPORT", db.get("PORT")),
        ("PGUSER", db.get("USER")),
        ("PGPASSWORD", db.get("PASSWORD")),
        ("PGDATABASE", db.get("NAME")),
    ):
        if value not in (None, ""):
            env[key] = str(value)
    return env


def _run(args: list[str]) -> None:
    done = subprocess.run(args, env=_pg_env(), capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {done.stderr.strip()[-500:]}")


@contextmanager
def _private_umask():
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


# --- backup ---------------------------------------------------------------------------


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _backup_sqlite(target: Path) -> dict[str, int]:
    path = Path(settings.DATABASES["default"]["NAME"])
    if not path.is_file():
        raise BackupError(f"the database {path} does not exist")
    source = _read_only(path)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # all pages in one step: one snapshot
        # One self-contained file: reading a WAL-mode copy would leave -wal/-shm files beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        tables = [
            row[0]
            for row in copy.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        counts = {}
        for table in sorted(tables):
            quoted = '"' + table.replace('"', '""') + '"'
            counts[table] = copy.execute(f"SELECT COUNT(*) FROM {quoted}").fetchone()[0]  # noqa: S608
    finally:
        copy.close()
        source.close()
    return counts


def _backup_postgresql(target: Path) -> dict[str, int]:
    # Connected (and health-checked) first, so that SET TRANSACTION is the transaction's first
    # statement.
    connection.ensure_connection()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts = _table_counts(cursor, connection.introspection.table_names(cursor))
        # The transaction stays open while pg_dump reads the same snapshot.
        _run([pg_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}", f"--file={target}"])
    return counts


def _copy_files(output: Path) -> list[dict]:
    listed = []
    for root in file_roots():
        if not root.path.is_dir():
            continue
        for source in sorted(root.path.rglob("*")):
            if not source.is_file() or source.is_symlink():
                continue
            relative = f"{root.name}/{source.relative_to(root.path).as_posix()}"
            target = output / "files" / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                shutil.copyfile(source, target)
            except FileNotFoundError:
                # Deleted since the listing: the photos of a report that failed, which no
                # committed row names.
                continue
            listed.append(
                {"path": relative, "size": target.stat().st_size, "sha256": sha256_of(target)}
            )
    return listed


def backup_create(*, output: Path, archive: bool = False) -> dict:
    """Write a backup into `output` (a new or empty directory); returns the manifest."""
    output = Path(output)
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise BackupError(f"{output} is not an empty directory")
    with _private_umask():
        output.mkdir(parents=True, exist_ok=True)
        output.chmod(0o700)
        vendor = connection.vendor
        if vendor == "sqlite":
            database_file = SQLITE_FILE
            counts = _backup_sqlite(output / database_file)
        elif vendor == "postgresql":
            database_file = PG_FILE
            counts = _backup_postgresql(output / database_file)
        else:
            raise BackupError(f"no backup for {vendor}")
        files = _copy_files(output)
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "vendor": vendor,
            "schema": _schema(),
            "database": {"file": database_file, "sha256": sha256_of(output / database_file)},
            "tables": counts,
            "files": files,
        }
        (output / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
        audit_record(
            actor=None,
            action="core.backup_create",
            username="system",
            detail={"vendor": vendor, "tables": len(counts), "files": len(files)},
        )
        if archive:
            packed = output.with_name(output.name + ".tar.gz")
            with tarfile.open(packed, "w:gz") as tar:
                tar.add(output, arcname=output.name)
            packed.chmod(0o600)
            shutil.rmtree(output)
    return manifest


# --- restore --------------------------------------------------------------------------


def _unpacked(source: Path, scratch: Path) -> Path:
    if source.is_dir():
        return source
    with tarfile.open(source, "r:gz") as tar:
        tar.extractall(scratch, filter="data")
    folders = [path for path in scratch.iterdir() if path.is_dir()]
    if len(folders) != 1:
        raise BackupError("the archive does not hold one backup folder")
    return folders[0]


def _verify_backup(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{MANIFEST} is missing")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    if manifest["vendor"] != connection.vendor:
        raise BackupError(f"a {manifest['vendor']} backup cannot go into {connection.vendor}")
    database = folder / manifest["database"]["file"]
    if not database.is_file() or sha256_of(database) != manifest["database"]["sha256"]:
        raise BackupError("the database file is missing or damaged")
    for entry in manifest["files"]:
        copied = folder / "files" / entry["path"]
        if not copied.is_file() or sha256_of(copied) != entry["sha256"]:
            raise BackupError(f"file {entry['path']} is missing or damaged in the backup")
    return manifest


def _database_is_empty() -> bool:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        return not any(_table_counts(cursor, tables).values())


def _restore_sqlite(database: Path) -> None:
    target = Path(settings.DATABASES["default"]["NAME"])
    connection.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    source = _read_only(database)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()


def _restore_postgresql(database: Path, *, force: bool) -> None:
    connection.close()
    args = [pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error"]
    if force:
        args += ["--clean", "--if-exists"]
    else:
        args.append("--single-transaction")
    _run([*args, f"--dbname={settings.DATABASES['default']['NAME']}", str(database)])


def _restore_files(folder: Path, manifest: dict, *, force: bool) -> None:
    roots = {root.name: root.path for root in file_roots()}
    for entry in manifest["files"]:
        root_name, _, relative = entry["path"].partition("/")
        if root_name not in roots or ".." in Path(relative).parts:
            raise BackupError(f"file {entry['path']} lies outside the upload folders")
        target = roots[root_name] / relative
        if target.exists() and not force and sha256_of(target) != entry["sha256"]:
            raise BackupError(f"{entry['path']} exists here with other content (use --force)")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / "files" / entry["path"], target)


def restore_verify(manifest: dict) -> list[str]:
    """Differences between the database and files here and the manifest (empty: all there)."""
    problems = []
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        counts = _table_counts(cursor, [table for table in tables if table in manifest["tables"]])
    for table, expected in sorted(manifest["tables"].items()):
        found = counts.get(table)
        if found != expected:
            problems.append(f"table {table}: {found} rows, the backup has {expected}")
    roots = {root.name: root.path for root in file_roots()}
    for entry in manifest["files"]:
        root_name, _, relative = entry["path"].partition("/")
        target = roots[root_name] / relative
        if not target.is_file() or sha256_of(target) != entry["sha256"]:
            problems.append(f"file {entry['path']} is missing or differs")
    return problems


def backup_restore(*, source: Path, force: bool = False) -> dict:
    """Restore the backup at `source` (folder or .tar.gz) here; returns its manifest."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = _unpacked(Path(source), Path(scratch))
        manifest = _verify_backup(folder)
        if connection.vendor == "sqlite":
            Path(settings.DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        if not force and not _database_is_empty():
            raise BackupError("the database is not empty (restore into an empty one, or --force)")
        database = folder / manifest["database"]["file"]
        with _private_umask():
            if manifest["vendor"] == "sqlite":
                _restore_sqlite(database)
            else:
                _restore_postgresql(database, force=force)
            _restore_files(folder, manifest, force=force)
    problems = restore_verify(manifest)
    if problems:
        raise BackupError("the restore does not match the backup: " + "; ".join(problems[:10]))
    audit_record(
        actor=None,
        action="core.backup_restore",
        username="system",
        detail={"created_at": manifest["created_at"], "files": len(manifest["files"])},
    )
    return manifest
