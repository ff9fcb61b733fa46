"""Files holding personal data or secrets are created owner-only (0600 in 0700 directories),
even when the process umask would let everybody read them."""

import os
import stat

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connections
from django.db.backends.sqlite3.base import DatabaseWrapper

from wangge.core import crypto
from wangge.core.files import private_dir, private_write

SQLITE = "django.db.backends.sqlite3"


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    """The most permissive usual umask, so only the code under test can narrow a mode."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_private_dir_and_write(tmp_path, open_umask):
    folder = private_dir(tmp_path / "a" / "b")
    assert mode(folder) == 0o700
    private_write(folder / "x.bin", b"secret")
    assert mode(folder / "x.bin") == 0o600
    # An existing, wider file is narrowed when rewritten.
    wide = folder / "y.txt"
    wide.write_text("old")
    os.chmod(wide, 0o644)
    private_write(wide, "new")
    assert mode(wide) == 0o600 and wide.read_text() == "new"
    with pytest.raises(FileExistsError):
        private_write(wide, "again", exclusive=True)


@pytest.mark.django_db
def test_sqlite_database_and_its_wal_files_are_private(tmp_path, open_umask):
    # A file database of its own (the suite's may be in memory, or PostgreSQL in CI).
    name = str(tmp_path / "db" / "wangge.sqlite3")
    os.makedirs(tmp_path / "db")
    alias = "file_mode_check"
    config = connections.configure_settings(
        {"default": {"ENGINE": "django.db.backends.dummy"}, alias: {"ENGINE": SQLITE, "NAME": name}}
    )[alias]
    wrapper = DatabaseWrapper(config, alias=alias)
    try:
        with wrapper.cursor() as cursor:  # opens: connection_created narrows the file
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("CREATE TABLE t (v TEXT)")
            cursor.execute("INSERT INTO t VALUES ('13912345678')")
        for suffix in ("", "-wal", "-shm"):
            assert os.path.exists(name + suffix)
            assert mode(name + suffix) == 0o600, suffix
    finally:
        wrapper.close()


def test_uploads_are_private_and_static_files_stay_readable(tmp_path, open_umask, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STATIC_ROOT = str(tmp_path / "static")
    media = storages.create_storage(settings.STORAGES["default"])
    key = media.save("cases/2026/ab/photo.jpg", ContentFile(b"\xff\xd8 jpeg"))
    assert mode(media.path(key)) == 0o600
    for folder in ("media", "media/cases", "media/cases/2026", "media/cases/2026/ab"):
        assert mode(tmp_path / folder) == 0o700, folder
    static = storages.create_storage(settings.STORAGES["staticfiles"])
    name = static.save("css/site.css", ContentFile(b"body{}"))
    assert mode(static.path(name)) == 0o644 and mode(tmp_path / "static" / "css") == 0o755


def test_development_key_file_is_private(tmp_path, open_umask, settings):
    settings.VAR_DIR = tmp_path / "var"
    created = crypto._dev_key_file()
    assert set(created) >= {"WANGGE_FIELD_KEYS", "WANGGE_BLIND_INDEX_KEY"}
    assert mode(tmp_path / "var" / "keys.json") == 0o600
    assert crypto._dev_key_file() == created  # read back, not made again


@pytest.mark.django_db
def test_import_files_are_private(tmp_path, open_umask, settings):
    from wangge.registry.importing import jobs

    settings.VAR_DIR = tmp_path / "var"
    name = jobs._store(b"name,id_number\n")
    assert mode(tmp_path / "var" / "imports") == 0o700
    assert mode(tmp_path / "var" / "imports" / name) == 0o600
