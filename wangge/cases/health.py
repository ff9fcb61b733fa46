"""Health check: the deadline sweep must have finished a run recently (cards, urges, escalations
and A/B hand-overs stop when it does)."""

import dataclasses
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable

from wangge.core.heartbeats import heartbeat_age

SWEEP_HEARTBEAT = "cases.deadline_sweep"


def _max_age() -> timedelta:
    return timedelta(seconds=getattr(settings, "WANGGE_HEALTH_SWEEP_MAX_AGE_SECONDS", 900))


@dataclasses.dataclass
class SweepFreshness(HealthCheck):
    max_age: timedelta = dataclasses.field(default_factory=_max_age)

    async def run(self) -> None:
        # thread_sensitive: the query runs on the request thread's persistent connection.
        age = await sync_to_async(heartbeat_age, thread_sensitive=True)(SWEEP_HEARTBEAT)
        if age is None:
            raise ServiceUnavailable("the deadline sweep has never run")
        if age > self.max_age:
            raise ServiceUnavailable(
                f"the last deadline sweep ended {int(age.total_seconds())} s ago"
            )
