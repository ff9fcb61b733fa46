"""Production: secrets and hosts must come from the environment; cookies only over HTTPS."""

import os

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ["WANGGE_SECRET_KEY"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31536000
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
