"""Settings shared by every environment.

Values that differ per deployment come from the environment.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

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
    # Request counts and latencies for /metrics; its partner is the last entry.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "wangge.core.middleware.ServerTimingMiddleware",
    # /health/ and /metrics answer here, before sessions, locale, CSRF and authentication.
    "config.ops.OpsEndpointsMiddleware",
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
    "django_prometheus.middleware.PrometheusAfterMiddleware",
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
    """DATABASE_URL (parsed by dj-database-url) selects the database; else SQLite (WAL) in var/.

    Connections are persistent (CONN_MAX_AGE) on both: a new SQLite connection per request would
    re-run the PRAGMAs, a new PostgreSQL connection costs a handshake."""
    sqlite_path = os.environ.get("WANGGE_SQLITE_PATH", str(VAR_DIR / "wangge.sqlite3"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{sqlite_path}"
    config: dict = dict(dj_database_url.parse(url, conn_max_age=600))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # A local file cannot drop the connection; a server can (restart, failover, idle kill).
        config["CONN_HEALTH_CHECKS"] = False
        config["OPTIONS"] = {
            # WAL lets readers run beside the single writer; IMMEDIATE avoids
            # "database is locked" upgrades in the middle of write transactions.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;"
            ),
            "transaction_mode": "IMMEDIATE",
            **config.get("OPTIONS", {}),
        }
    else:
        config["CONN_HEALTH_CHECKS"] = True
        config["TEST"] = {"NAME": os.environ.get("WANGGE_TEST_DB_NAME", "test_wangge")}
    return config


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
# With Redis, sessions are read from the cache and written through to the database (a Redis
# restart signs nobody out); the database cache would only add a second table lookup.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)
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

# django-axes: 5 failures for one username from one address lock that pair
# until an admin unlocks it.
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = None
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "wangge" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

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
# /health/: the deadline sweep must have run within this many seconds; the oldest due
# notification may wait this long before a warning / an error (docs/operations.md).
WANGGE_HEALTH_SWEEP_MAX_AGE_SECONDS = int(os.environ.get("WANGGE_HEALTH_SWEEP_MAX_AGE", "900"))
WANGGE_HEALTH_OUTBOX_WARN_SECONDS = int(os.environ.get("WANGGE_HEALTH_OUTBOX_WARN", "300"))
WANGGE_HEALTH_OUTBOX_FAIL_SECONDS = int(os.environ.get("WANGGE_HEALTH_OUTBOX_FAIL", "900"))
# /metrics answers loopback, these addresses or networks, and the bearer token (if set).
WANGGE_METRICS_ALLOWED = [
    entry.strip()
    for entry in os.environ.get("WANGGE_METRICS_ALLOWED", "").split(",")
    if entry.strip()
]
WANGGE_METRICS_TOKEN = os.environ.get("WANGGE_METRICS_TOKEN", "")
# Reverse proxies whose X-Forwarded-For names the client (config/proxy.py); empty: none.
WANGGE_TRUSTED_PROXIES = [
    entry.strip()
    for entry in os.environ.get("WANGGE_TRUSTED_PROXIES", "").split(",")
    if entry.strip()
]
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
