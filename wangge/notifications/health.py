"""Health check: outbox lag, how long the oldest due notification has waited for a deliverer.

A retry scheduled for later is not lag; a due row that nobody claims is (the deliverer is down
or cannot keep up). One indexed query on (status, next_attempt_at).
"""

import dataclasses
from datetime import datetime, timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db.models import Min
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable, ServiceWarning

from .models import DeliveryStatus, Notification


def outbox_lag(*, now: datetime | None = None) -> timedelta:
    """Age of the oldest row that is due and not delivered (zero when none is)."""
    now = now or timezone.now()
    oldest = Notification.objects.filter(
        status__in=(DeliveryStatus.PENDING, DeliveryStatus.SENDING), next_attempt_at__lte=now
    ).aggregate(oldest=Min("next_attempt_at"))["oldest"]
    return now - oldest if oldest is not None else timedelta(0)


def _seconds(name: str, default: int) -> timedelta:
    return timedelta(seconds=getattr(settings, name, default))


@dataclasses.dataclass
class OutboxLag(HealthCheck):
    warn_after: timedelta = dataclasses.field(
        default_factory=lambda: _seconds("WANGGE_HEALTH_OUTBOX_WARN_SECONDS", 300)
    )
    fail_after: timedelta = dataclasses.field(
        default_factory=lambda: _seconds("WANGGE_HEALTH_OUTBOX_FAIL_SECONDS", 900)
    )

    async def run(self) -> None:
        lag = await sync_to_async(outbox_lag, thread_sensitive=True)()
        seconds = int(lag.total_seconds())
        if lag > self.fail_after:
            raise ServiceUnavailable(f"the oldest due notification has waited {seconds} s")
        if lag > self.warn_after:
            raise ServiceWarning(f"the oldest due notification has waited {seconds} s")
