"""Heartbeats: a background loop notes when it last finished a run; the health check reads it.

One row per job, overwritten each run (an UPDATE by primary key), so it costs nothing to keep.
This is bookkeeping of the machine, not a user's write: no actor and no audit row.
"""

from datetime import datetime, timedelta

from django.utils import timezone

from .models import Heartbeat


def heartbeat_record(name: str, *, at: datetime | None = None) -> None:
    at = at or timezone.now()
    if not Heartbeat.objects.filter(name=name).update(beat_at=at):
        Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": at})


def heartbeat_age(name: str, *, now: datetime | None = None) -> timedelta | None:
    """How long ago `name` last beat; None when it never has."""
    beat_at = Heartbeat.objects.filter(name=name).values_list("beat_at", flat=True).first()
    if beat_at is None:
        return None
    return (now or timezone.now()) - beat_at
