"""Test settings: fast hashing, SQLite unless DATABASE_URL says PostgreSQL."""

import os
import uuid

from .base import *  # noqa: F403
from .base import DATABASES

if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # A database of its own for each run, so that two suites on one server never create or drop
    # each other's (pytest-xdist workers share the run's id and add their own _gw<n>).
    # WANGGE_TEST_DB_NAME picks a fixed name instead. PostgreSQL names stop at 63 bytes.
    _run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex
    DATABASES["default"]["TEST"] = {
        **DATABASES["default"].get("TEST", {}),
        "NAME": os.environ.get("WANGGE_TEST_DB_NAME")
        or f"test_{DATABASES['default']['NAME'][:30]}_{_run_id[:12]}",
    }

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # An on-disk file lets the live server thread and the test share one database.
    DATABASES["default"]["NAME"] = ":memory:"
    DATABASES["default"]["TEST"] = {"NAME": None}
WANGGE_CACHE_RECHECK_SECONDS = 0.0
ALLOWED_HOSTS = ["*"]
# Fixed, public test keys for field encryption and blind indexes (never use these elsewhere).
WANGGE_FIELD_KEYS = {"1": "ZV1tZFEfhh3AhbL33g42nrNjLimd9bAZWmjJU6gqBIM="}
WANGGE_FIELD_KEY_VERSION = 1
WANGGE_BLIND_INDEX_KEY = "eIvcEzIONII6tunk5XzLz51FY/EAEPsxjzfD3lIbmTA="
