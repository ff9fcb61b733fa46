"""Named revision counters that let in-process caches (grid index, calendar) notice changes.

A writer bumps the counter inside its transaction; a reader compares the number it loaded with
the current one, at most once every WANGGE_CACHE_RECHECK_SECONDS, and reloads when it moved.
"""

import time
from collections.abc import Callable
from typing import Generic, TypeVar

from django.conf import settings
from django.db.models import F

from .models import Revision

T = TypeVar("T")

# "Who serves where": org units, role assignments and staff accounts. Bumped by every write to
# them, read by caches of grid cards.
DIRECTORY = "directory"
# API tokens: bumped when tokens are revoked, read by the API's token → actor cache.
API_TOKENS = "api_tokens"

_caches: dict[str, list["RevisionCache"]] = {}


def revision_bump(name: str) -> None:
    updated = Revision.objects.filter(name=name).update(number=F("number") + 1)
    if not updated:
        Revision.objects.get_or_create(name=name, defaults={"number": 1})
    # This process sees its own change at once; others within WANGGE_CACHE_RECHECK_SECONDS.
    for cache in _caches.get(name, ()):
        cache.expire()


def revision_caches_clear() -> None:
    """Forget every cached value (tests: each starts from its own database)."""
    for caches in _caches.values():
        for cache in caches:
            cache.clear()


def revision_get(name: str) -> int:
    row = Revision.objects.filter(name=name).values_list("number", flat=True).first()
    return row or 0


class RevisionCache(Generic[T]):
    """Holds one value built by `loader`, rebuilt whenever revision `name` changes."""

    def __init__(self, name: str, loader: Callable[[], T]) -> None:
        self.name = name
        self.loader = loader
        self._value: T | None = None
        self._revision = -1
        self._checked_at = float("-inf")
        _caches.setdefault(name, []).append(self)

    def expire(self) -> None:
        """Compare with the database on the next get() (a rolled-back bump then changes nothing).

        Minus infinity, not 0: the monotonic clock starts near 0 at boot, so on a machine up for
        less than WANGGE_CACHE_RECHECK_SECONDS a 0 would not force the re-check."""
        self._checked_at = float("-inf")

    def get(self) -> T:
        now = time.monotonic()
        if self._value is None or now - self._checked_at >= settings.WANGGE_CACHE_RECHECK_SECONDS:
            current = revision_get(self.name)
            if self._value is None or current != self._revision:
                self._value = self.loader()
                self._revision = current
            self._checked_at = now
        return self._value

    def clear(self) -> None:
        self._value = None
