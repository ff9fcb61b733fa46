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
# Fixed, public test keys for field encryption and blind indexes (never use these elsewhere).
WANGGE_FIELD_KEYS = {"1": "ZV1tZFEfhh3AhbL33g42nrNjLimd9bAZWmjJU6gqBIM="}
WANGGE_FIELD_KEY_VERSION = 1
WANGGE_BLIND_INDEX_KEY = "eIvcEzIONII6tunk5XzLz51FY/EAEPsxjzfD3lIbmTA="
