"""Test settings: fast hashing, SQLite unless DATABASE_URL says PostgreSQL."""

from .base import *  # noqa: F403
from .base import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # An on-disk file lets the live server thread and the test share one database.
    DATABASES["default"]["NAME"] = ":memory:"
    DATABASES["default"]["TEST"] = {"NAME": None}
WANGGE_CACHE_RECHECK_SECONDS = 0.0
ALLOWED_HOSTS = ["*"]
