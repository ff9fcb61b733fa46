"""Settings shared by every environment.

Values that differ per deployment come from the environment.
"""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("WANGGE_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("WANGGE_SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("WANGGE_DEBUG", False)
ALLOWED_HOSTS = os.environ.get("WANGGE_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "wangge.core",
    "wangge.notifications",
    "wangge.orgs",
    "wangge.registry",
    "wangge.cases",
    "wangge.portal",
    "wangge.api",
    "wangge.demo",
]

MIDDLEWARE = [
    "wangge.core.middleware.ServerTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "wangge.core.middleware.SessionLifetimeMiddleware",
    "wangge.core.middleware.WanggeErrorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "wangge" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wangge.core.context_processors.wangge",
            ],
        },
    },
]


def database_from_env() -> dict:
    """DATABASE_URL=postgres://user:pass@host:port/name selects PostgreSQL; else SQLite (WAL)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        from urllib.parse import unquote, urlparse

        parts = urlparse(url)
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": parts.path.lstrip("/"),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
            "TEST": {"NAME": os.environ.get("WANGGE_TEST_DB_NAME", "test_wangge")},
        }
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("WANGGE_SQLITE_PATH", str(VAR_DIR / "wangge.sqlite3")),
        # Persistent, as for PostgreSQL: a new connection per request re-runs the PRAGMAs.
        "CONN_MAX_AGE": 600,
        "OPTIONS": {
            # WAL lets readers run beside the single writer; IMMEDIATE avoids
            # "database is locked" upgrades in the middle of write transactions.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;"
            ),
            "transaction_mode": "IMMEDIATE",
        },
    }


DATABASES = {"default": database_from_env()}

# One cache shared by every process (rate limits must hold across gunicorn workers and hosts):
# Redis when REDIS_URL is set, else a table in the database (`manage.py createcachetable`).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "wangge_cache",
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {
        "NAME": "wangge.core.passwords.CharacterClassValidator",
        "OPTIONS": {"min_classes": 3},
    },
]

# Sessions: idle timeout through a rolling cookie, absolute lifetime checked by middleware.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_IDLE_TIMEOUT = int(os.environ.get("WANGGE_SESSION_IDLE_SECONDS", 30 * 60))
SESSION_ABSOLUTE_LIFETIME = int(os.environ.get("WANGGE_SESSION_ABSOLUTE_SECONDS", 12 * 3600))
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# django-axes: 5 failures for one username from one address lock that pair for a cool-off
# (an admin can unlock sooner). Only the pair is locked, so a stranger guessing from elsewhere
# cannot lock a clerk out, and the cool-off bounds what a shared address (an office NAT) can do.
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("WANGGE_LOGIN_COOLOFF_MINUTES", "15")))
# axes copies the submitted form into AccessAttempt.post_data; every field of a sign-in form is
# masked there (a resident's phone, codes, the CSRF token). A test checks each form's fields.
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "phone",
    "password",
    "code",
    "totp_code",
    "csrfmiddlewaretoken",
    "next",
    "ip_address",
]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "wangge" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# Owner-only files: uploads (case photos) are stored 0600 in directories 0700; the SQLite file,
# key files and import files are made so by wangge.core.files (see docs/security.md).
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# Collected static files stay readable by the proxy that may serve them (operations.md).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "OPTIONS": {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755},
    },
}

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "wangge" / "static"]
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("WANGGE_LOG_LEVEL", "WARNING")},
}

# --- Wangge ---------------------------------------------------------------
# Roles whose accounts must pass a TOTP second factor.
WANGGE_TOTP_REQUIRED_ROLES = ("admin", "auditor")
WANGGE_TOTP_ISSUER = os.environ.get("WANGGE_TOTP_ISSUER", "Wangge")
# A grid may stick out of its community by this much (metres) before it is refused.
WANGGE_GRID_TOLERANCE_M = float(os.environ.get("WANGGE_GRID_TOLERANCE_M", "1.0"))
# Gaps and overlaps smaller than this (m²) are rounding noise, not findings.
WANGGE_COVERAGE_MIN_AREA_M2 = float(os.environ.get("WANGGE_COVERAGE_MIN_AREA_M2", "1.0"))
# Map tiles: an XYZ URL template ({z}/{x}/{y}, and {key} replaced by the key);
# empty = plain background.
WANGGE_TILE_URL = os.environ.get("WANGGE_TILE_URL", "")
WANGGE_TILE_KEY = os.environ.get("WANGGE_TILE_KEY", "")
WANGGE_TILE_ATTRIBUTION = os.environ.get("WANGGE_TILE_ATTRIBUTION", "")
WANGGE_TILE_SUBDOMAINS = os.environ.get("WANGGE_TILE_SUBDOMAINS", "")
# How long an in-process cache (grid index, calendar) trusts itself before re-checking the revision.
WANGGE_CACHE_RECHECK_SECONDS = float(os.environ.get("WANGGE_CACHE_RECHECK_SECONDS", "2"))
# API tokens live this long unless revoked first.
WANGGE_API_TOKEN_TTL = timedelta(days=int(os.environ.get("WANGGE_API_TOKEN_DAYS", "30")))

# Register retention: persons who moved out more than this many years ago are archived and
# their identifiers erased by `wangge_register_retention` (run daily).
WANGGE_RETENTION_YEARS = int(os.environ.get("WANGGE_RETENTION_YEARS", "5"))
# How recent a password check must be to reveal a full ID number, phone or address.
WANGGE_REVEAL_FRESH_SECONDS = int(os.environ.get("WANGGE_REVEAL_FRESH_SECONDS", "300"))

# Answers that an ID number is registered outside the user's sight (person create, import,
# transfer request) tell that the person exists: audited, and at most this many per user
# (django-ratelimit rate, on the shared cache).
WANGGE_ID_PROBE_RATE = os.environ.get("WANGGE_ID_PROBE_RATE", "20/h")
