"""Local development and `make demo`: SQLite in var/, debug on."""

from .base import *  # noqa: F403

DEBUG = True
