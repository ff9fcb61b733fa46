"""Files the application creates hold personal data or secrets: readable by their owner only.

The database, its WAL and shared-memory files, key files, import files and uploads are created
0600 in directories 0700, whatever the process umask: `manage.py` and the WSGI module also set
the umask to 077, but a server started another way (or a test) may not, so each place that
creates such a file sets the mode itself.
"""

import os
from pathlib import Path

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700
PRIVATE_UMASK = 0o077
# The files SQLite keeps beside a database; each is as sensitive as the database itself.
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def private_dir(path: Path | str) -> Path:
    """Create the directory (and missing parents) 0700; an existing one is narrowed to 0700."""
    folder = Path(path)
    old = os.umask(PRIVATE_UMASK)
    try:
        folder.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    finally:
        os.umask(old)
    os.chmod(folder, PRIVATE_DIR_MODE)
    return folder


def private_write(path: Path | str, content: bytes | str, *, exclusive: bool = False) -> None:
    """Write a file that only its owner may read; with `exclusive`, fail if it exists."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    descriptor = os.open(path, flags, PRIVATE_FILE_MODE)
    # O_CREAT's mode does not apply to a file that already existed.
    os.fchmod(descriptor, PRIVATE_FILE_MODE)
    data = content.encode("utf-8") if isinstance(content, str) else content
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def sqlite_files_restrict(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: the SQLite database and its companions become 0600.

    SQLite creates the WAL and shared-memory files with the database file's mode, so narrowing
    the database file when the first connection opens covers the companions made later too.
    """
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    for suffix in SQLITE_COMPANIONS:
        path = Path(name + suffix)
        if path.exists() and (path.stat().st_mode & 0o777) != PRIVATE_FILE_MODE:
            os.chmod(path, PRIVATE_FILE_MODE)
