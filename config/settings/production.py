"""Production: secrets and hosts must come from the environment; cookies only over HTTPS."""

import os

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ["WANGGE_SECRET_KEY"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31536000
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Notifications by e-mail go through Django's SMTP backend (docs/operations.md, Notifications).
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("WANGGE_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("WANGGE_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("WANGGE_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("WANGGE_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("WANGGE_EMAIL_TLS", "") in ("1", "true", "yes")
DEFAULT_FROM_EMAIL = os.environ.get("WANGGE_EMAIL_FROM", "wangge@localhost")
