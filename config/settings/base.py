"""Settings shared by every environment.

Values that differ per deployment come from the environment.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

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
    "csp.middleware.CSPMiddleware",
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


# How long a statement waits for a lock (SQLite busy_timeout, PostgreSQL lock_timeout) before
# the request is answered 503 with Retry-After.
DB_BUSY_TIMEOUT_MS = int(os.environ.get("WANGGE_DB_BUSY_TIMEOUT_MS", "5000"))


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
                "PRAGMA foreign_keys=ON; "
                f"PRAGMA busy_timeout={DB_BUSY_TIMEOUT_MS};"
            ),
            "transaction_mode": "IMMEDIATE",
            **config.get("OPTIONS", {}),
        }
    else:
        config["CONN_HEALTH_CHECKS"] = True
        # A row lock held too long fails the statement (answered 503) instead of piling up.
        config.setdefault("OPTIONS", {})["options"] = f"-c lock_timeout={DB_BUSY_TIMEOUT_MS}"
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
# A person's data export (right of access): per user, django-ratelimit's "N/period" syntax.
WANGGE_DATA_EXPORT_RATE = os.environ.get("WANGGE_DATA_EXPORT_RATE", "5/h")
# Person list exports (background jobs): requests per user, and how long a file is kept.
WANGGE_EXPORT_RATE = os.environ.get("WANGGE_EXPORT_RATE", "10/h")
WANGGE_EXPORT_KEEP_HOURS = int(os.environ.get("WANGGE_EXPORT_KEEP_HOURS", "24"))

# --- Content Security Policy (django-csp) ------------------------------------------------------
# Scripts and styles come only from our own static files: no inline script, no eval, no inline
# style attribute or <style> element, so a stored name that slips past escaping still cannot run
# (docs/security.md, "Content Security Policy and stored text"). json_script data blocks are not
# scripts and need no nonce; no page has an inline script, so there are no nonces to hand out.


def tile_img_sources(url: str, subdomains: str) -> list[str]:
    """The origins the map tiles are fetched from, for img-src ([] without tiles).

    "{s}" in the host is Leaflet's subdomain placeholder: one origin per subdomain character
    (Leaflet's default "abc" when none are set); any other placeholder left in the host becomes
    a "*." wildcard over the rest of the host, the only wildcard CSP allows.
    """
    if not url:
        return []
    parts = urlsplit(url)
    host = parts.netloc
    if "{s}" in host:
        hosts = [host.replace("{s}", letter) for letter in dict.fromkeys(subdomains or "abc")]
    else:
        hosts = [host]
    sources = []
    for one in hosts:
        if "{" in one:
            one = "*." + one.split(".", 1)[1] if "." in one else one
        sources.append(f"{parts.scheme}://{one}")
    return sources


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # data: for the favicon and blob: for photo previews; the tile host when tiles are set.
        "img-src": [
            "'self'",
            "data:",
            "blob:",
            *tile_img_sources(WANGGE_TILE_URL, WANGGE_TILE_SUBDOMAINS),
        ],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}


# --- Hardening of input: rate limits, trusted proxies, photos, a busy database -----------------
# django-ratelimit counts in the shared cache above (Redis or the database table), so a limit
# holds across gunicorn workers and hosts; with the cache down, writes are refused (fail closed).
RATELIMIT_USE_CACHE = "default"
RATELIMIT_FAIL_OPEN = False
# Proxies (addresses or CIDR networks, comma-separated) whose X-Forwarded-For is believed; the
# client is the right-most address that is not one of them (wangge.core.clients, applied to
# REMOTE_ADDR by the WSGI wrapper config/proxy.py). Empty: REMOTE_ADDR is the client.
WANGGE_TRUSTED_PROXIES = tuple(
    item.strip() for item in os.environ.get("WANGGE_TRUSTED_PROXIES", "").split(",") if item.strip()
)


def _rate(name: str, default: str) -> str:
    # "10/m", "30/h", "60/10m"; "off" (or empty) switches the limit off.
    value = os.environ.get(f"WANGGE_RATE_{name.upper()}", default).strip()
    return "" if value.lower() == "off" else value


# Per client address (`<scope>`), per phone number (`<scope>_phone`, a keyed hash of it) and per
# API client (`<scope>_client`). Environment: WANGGE_RATE_<NAME>, e.g. WANGGE_RATE_PORTAL_REPORT.
WANGGE_RATE_LIMITS = {
    "portal_report": _rate("portal_report", "30/h"),
    "portal_report_phone": _rate("portal_report_phone", "10/h"),
    "portal_follow": _rate("portal_follow", "60/10m"),
    "resident_write": _rate("resident_write", "60/h"),
    "resident_write_phone": _rate("resident_write_phone", "30/h"),
    "api_report": _rate("api_report", "30/h"),
    "api_report_phone": _rate("api_report_phone", "10/h"),
    "open311_post": _rate("open311_post", "120/m"),
    "open311_post_client": _rate("open311_post_client", "3000/h"),
}
# Photos: refused by bytes and by declared pixels before anything is decoded.
WANGGE_PHOTO_MAX_BYTES = int(os.environ.get("WANGGE_PHOTO_MAX_BYTES", 10 * 1024 * 1024))
WANGGE_PHOTO_MAX_PIXELS = int(os.environ.get("WANGGE_PHOTO_MAX_PIXELS", 40_000_000))
WANGGE_REPORT_MAX_BYTES = int(os.environ.get("WANGGE_REPORT_MAX_BYTES", 40 * 1024 * 1024))
# A busy database (SQLite's lock, PostgreSQL's lock timeout) waits WANGGE_DB_BUSY_TIMEOUT_MS,
# then answers 503 with this Retry-After.
WANGGE_BUSY_RETRY_AFTER_SECONDS = int(os.environ.get("WANGGE_BUSY_RETRY_AFTER_SECONDS", "2"))
# Open311 media_url links to a photo's public thumbnail and expires after this many seconds.
WANGGE_OPEN311_MEDIA_SECONDS = int(os.environ.get("WANGGE_OPEN311_MEDIA_SECONDS", "3600"))

# Answers that an ID number is registered outside the user's sight (person create, import,
# transfer request) tell that the person exists: audited, and at most this many per user
# (django-ratelimit rate, on the shared cache).
WANGGE_ID_PROBE_RATE = os.environ.get("WANGGE_ID_PROBE_RATE", "20/h")
