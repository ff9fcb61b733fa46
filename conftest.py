import os

# Playwright's sync API runs an event loop in the test thread; Django would then refuse ORM calls
# made by the test itself. The test thread is not serving requests, so this is safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import importlib

import pytest
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils import translation

# Rows and triggers the migrations put in, which a transactional test's flush takes out: the seeded
# calendar, key-population tags and case categories, and SQLite's append-only audit triggers.
DATA_MIGRATIONS = (
    ("wangge.core.migrations.0003_seed_calendar", "seed"),
    ("wangge.registry.migrations.0002_builtin_tags", "seed"),
    ("wangge.cases.migrations.0002_seed_categories", "seed_categories"),
)
AUDIT_TRIGGERS = "wangge.core.migrations.0002_audit_append_only"


def _restore_after_flush(sender, using, **kwargs):
    """Put back what the migrations made after a flush.

    Django's flush (the end of every transactional test: live server, browser, concurrency)
    empties every table and then sends post_migrate. Alone, pytest-django runs those tests last;
    under pytest-xdist a worker may go on with other tests after one, which must still find the
    database as the migrations left it. The seeds are idempotent, so a migrate is unaffected.
    """
    if sender.label != "core":  # post_migrate comes once per app; once is enough
        return
    from django.apps import apps

    connection = connections[using]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for statement in importlib.import_module(AUDIT_TRIGGERS).SQLITE:
                cursor.execute(statement.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS"))
    if apps.get_model("core", "CalendarDay").objects.using(using).exists():
        return  # not a flush: a migrate that has just seeded everything
    for module, function in DATA_MIGRATIONS:
        getattr(importlib.import_module(module), function)(apps, None)


post_migrate.connect(_restore_after_flush, dispatch_uid="wangge-tests-restore-after-flush")


@pytest.fixture
def english(client):
    """Messages in English, for tests that check the wording of a rule, not its translation:
    in the test itself and in the pages the test client asks for."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_revision_caches():
    """Process-wide caches (grid cards, tags, calendar) must not outlive a test's database."""
    from wangge.core.revisions import revision_caches_clear

    revision_caches_clear()
    yield
    revision_caches_clear()
