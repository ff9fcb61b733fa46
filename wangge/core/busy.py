"""A busy database: the lock waited for longer than the configured timeout.

SQLite says "database is locked" once `PRAGMA busy_timeout` has run out; PostgreSQL fails a
statement with lock_not_available (55P03) after `lock_timeout`, and a transaction with
serialization_failure (40001) or deadlock_detected (40P01). None of these is the request's
fault and each goes away by itself, so the answer is 503 with Retry-After, not 500.
"""

from django.conf import settings
from django.db import OperationalError

SQLITE_BUSY_MESSAGES = ("database is locked", "database table is locked")
POSTGRES_BUSY_STATES = {"55P03", "40001", "40P01"}


def _sqlstate(exc: BaseException) -> str | None:
    cause = exc.__cause__ or exc.__context__
    for candidate in (exc, cause):
        state = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if state:
            return str(state)
    return None


def database_busy(exc: BaseException | None) -> bool:
    if not isinstance(exc, OperationalError):
        return False
    if _sqlstate(exc) in POSTGRES_BUSY_STATES:
        return True
    return any(message in str(exc).lower() for message in SQLITE_BUSY_MESSAGES)


def retry_after_seconds() -> int:
    return int(getattr(settings, "WANGGE_BUSY_RETRY_AFTER_SECONDS", 2))
