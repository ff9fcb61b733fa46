"""Local development and `make demo`: SQLite in var/, debug on."""

from .base import *  # noqa: F403

DEBUG = True

# E-mail notifications land as files in var/mail instead of reaching for an SMTP server.
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = VAR_DIR / "mail"  # noqa: F405
