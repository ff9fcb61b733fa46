"""Delivering the outbox: claim due rows, send them outside any transaction, record the outcome.

Claiming is a short transaction: due rows (pending and due, or `sending` whose lease ran out
because a worker died) are locked with SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL (SQLite
has a single writer, so claims are serialised anyway), then marked `sending` with a lease
(`next_attempt_at` = now + lease) and their attempt counted. Another worker skips them: no row
is sent twice by two workers. Sending happens after the claim committed, so a slow webhook never
holds a lock (on SQLite it would block every writer). Each outcome is written with a guarded
UPDATE (still `sending` under this claim's attempt number). A worker that dies after sending but
before recording leaves the row to be sent again when the lease ends: delivery is at least once,
and webhook receivers get X-Wangge-Delivery to spot a repeat.

Failures are retried with exponential backoff (base × 2^(attempt-1), capped); after
WANGGE_NOTIFICATIONS_MAX_ATTEMPTS the row is `dead`: kept, listed for admins, never deleted.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from wangge.core.models import User

from .channels import DeliveryError, NoAddress, send
from .models import DeliveryStatus, Notification

DEFAULT_BATCH = 100


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def max_attempts() -> int:
    return int(_setting("WANGGE_NOTIFICATIONS_MAX_ATTEMPTS", 8))


def retry_delay(attempts: int) -> timedelta:
    base = _setting("WANGGE_NOTIFICATIONS_RETRY_BASE_SECONDS", 60)
    cap = _setting("WANGGE_NOTIFICATIONS_RETRY_MAX_SECONDS", 6 * 3600)
    return timedelta(seconds=min(cap, base * 2 ** max(attempts - 1, 0)))


def _lease() -> timedelta:
    return timedelta(seconds=_setting("WANGGE_NOTIFICATIONS_LEASE_SECONDS", 300))


def notifications_claim(*, batch: int, now: datetime) -> list[Notification]:
    """Lock and mark up to `batch` due rows as this worker's (see the module doc)."""
    with transaction.atomic():
        due = Notification.objects.filter(
            status__in=(DeliveryStatus.PENDING, DeliveryStatus.SENDING),
            next_attempt_at__lte=now,
        ).order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        rows = list(due.select_related("webhook")[:batch])
        if not rows:
            return []
        until = now + _lease()
        for row in rows:
            row.status = DeliveryStatus.SENDING
            row.attempts += 1
            row.next_attempt_at = until
        Notification.objects.bulk_update(rows, ["status", "attempts", "next_attempt_at"])
    return rows


def _finish(row: Notification, **fields) -> None:
    # Guarded: if the lease ran out and another worker claimed the row meanwhile, its outcome wins.
    Notification.objects.filter(
        pk=row.pk, status=DeliveryStatus.SENDING, attempts=row.attempts
    ).update(**fields)


def notifications_deliver(*, batch: int = DEFAULT_BATCH, now: datetime | None = None) -> dict:
    """One pass: claim due rows, send each, record sent / retry / dead. Returns the counts."""
    now = now or timezone.now()
    counts = {"sent": 0, "retry": 0, "dead": 0}
    rows = notifications_claim(batch=batch, now=now)
    if not rows:
        return counts
    user_ids = {row.recipient_id for row in rows if row.recipient_id is not None}
    users = User.objects.in_bulk(user_ids) if user_ids else {}
    limit = max_attempts()
    for row in rows:
        try:
            send(row, users)
        except DeliveryError as exc:
            if isinstance(exc, NoAddress) or row.attempts >= limit:
                _finish(row, status=DeliveryStatus.DEAD, next_attempt_at=None, last_error=exc.code)
                counts["dead"] += 1
            else:
                _finish(
                    row,
                    status=DeliveryStatus.PENDING,
                    next_attempt_at=now + retry_delay(row.attempts),
                    last_error=exc.code,
                )
                counts["retry"] += 1
            continue
        _finish(row, status=DeliveryStatus.SENT, sent_at=timezone.now(), next_attempt_at=None)
        counts["sent"] += 1
    return counts


def notifications_deliver_all(*, batch: int = DEFAULT_BATCH, now: datetime | None = None) -> dict:
    """Passes until nothing is due (retries scheduled later are left for later)."""
    total = {"sent": 0, "retry": 0, "dead": 0}
    while True:
        counts = notifications_deliver(batch=batch, now=now)
        for key, value in counts.items():
            total[key] += value
        if sum(counts.values()) < batch:
            return total
