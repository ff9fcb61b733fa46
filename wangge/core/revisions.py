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


def revision_bump(name: str) -> None:
    updated = Revision.objects.filter(name=name).update(number=F("number") + 1)
    if not updated:
        Revision.objects.get_or_create(name=name, defaults={"number": 1})


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
        self._checked_at = 0.0

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
