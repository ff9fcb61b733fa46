"""Production: `make serve` and deploy/. Secrets and hosts come from the environment.

`manage.py check --deploy --settings=config.settings.production` is clean with WANGGE_TLS=1
(tests/test_production.py). Without it the site is plain HTTP: only for loopback (a first look
at `make serve`), and check --deploy says so (no HSTS, no HTTPS redirect).
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import MIDDLEWARE, env_bool


def _secret_key() -> str:
    """WANGGE_SECRET_KEY, or the file WANGGE_SECRET_KEY_FILE names (systemd credentials,
    docker secrets, var/secret_key made by `make serve`)."""
    key = os.environ.get("WANGGE_SECRET_KEY", "")
    path = os.environ.get("WANGGE_SECRET_KEY_FILE", "")
    if not key and path:
        key = Path(path).read_text().strip()
    if len(key) < 50 or key.startswith("dev-only"):
        raise ImproperlyConfigured(
            "Set WANGGE_SECRET_KEY (or WANGGE_SECRET_KEY_FILE) to at least 50 random characters."
        )
    return key


DEBUG = False
SECRET_KEY = _secret_key()

# --- HTTPS ----------------------------------------------------------------
# WANGGE_TLS=1: the site is served over HTTPS by the reverse proxy in front (nginx in deploy/).
WANGGE_TLS = env_bool("WANGGE_TLS", False)
# Cookies never travel over plain HTTP (browsers still accept them from http://localhost).
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
if WANGGE_TLS:
    SECURE_SSL_REDIRECT = True
    # Probes reach gunicorn directly over HTTP, on the inside.
    SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^metrics$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("WANGGE_HSTS_SECONDS", str(365 * 24 * 3600)))
    # Subdomains of the site's own name, and the preload flag (it submits nothing by itself).
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("WANGGE_HSTS_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("WANGGE_HSTS_PRELOAD", True)
# X-Forwarded-Proto is believed only when gunicorn can be reached through the proxy alone
# (bound to loopback or a private network): otherwise anyone could claim HTTPS.
if env_bool("WANGGE_TRUST_PROXY_HEADER", WANGGE_TLS):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = [
    origin.strip()
    for origin in os.environ.get("WANGGE_CSRF_TRUSTED_ORIGINS", "").split(",")
    if origin.strip()
]

# Field-encryption keys: WANGGE_FIELD_KEYS and WANGGE_BLIND_INDEX_KEY (docs/security.md). One
# street on one machine may keep them in var/keys.json instead (WANGGE_DEV_KEY_FILE=1, what
# `make serve` sets when they are not in the environment; the file `make demo` uses).
WANGGE_DEV_KEY_FILE = env_bool("WANGGE_DEV_KEY_FILE", False)

# --- Static files -----------------------------------------------------------
# WhiteNoise serves `collectstatic`'s output: names carry a content hash (cached for a year,
# immutable) and a .gz beside each compressible file. Right after SecurityMiddleware, so that
# a static file costs neither a session nor a language negotiation.
MIDDLEWARE = list(MIDDLEWARE)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Logs -------------------------------------------------------------------------
# One JSON object per line on stderr (journald, docker logs); no query strings, no personal data.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "wangge.core.log_format.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": os.environ.get("WANGGE_LOG_LEVEL", "INFO")},
}

# The site's public address, for links in e-mails and WeChat messages.
WANGGE_SITE_URL = os.environ.get("WANGGE_SITE_URL", "")

# Notifications by e-mail go through Django's SMTP backend (docs/operations.md, Notifications).
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("WANGGE_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("WANGGE_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("WANGGE_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("WANGGE_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("WANGGE_EMAIL_TLS", "") in ("1", "true", "yes")
DEFAULT_FROM_EMAIL = os.environ.get("WANGGE_EMAIL_FROM", "wangge@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
