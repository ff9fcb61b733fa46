import os

# Playwright's sync API runs an event loop in the test thread; Django would then refuse ORM calls
# made by the test itself. The test thread is not serving requests, so this is safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest
from django.utils import translation


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
