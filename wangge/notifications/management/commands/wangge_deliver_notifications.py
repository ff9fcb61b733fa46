"""Deliver the notification outbox (e-mail, SMS, WeChat, webhooks).

    python manage.py wangge_deliver_notifications          # deliver what is due, then exit
    python manage.py wangge_deliver_notifications --loop   # keep going (a systemd service)

Several may run at once (see wangge/notifications/delivery.py); none sends a row twice.
"""

import time

from django.core.management.base import BaseCommand

from wangge.notifications.delivery import DEFAULT_BATCH, notifications_deliver_all


class Command(BaseCommand):
    help = "Send due notifications and schedule retries of failed ones."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep polling for due rows")
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between polls")
        parser.add_argument("--batch", type=int, default=DEFAULT_BATCH)

    def handle(self, *args, loop=False, interval=2.0, batch=DEFAULT_BATCH, **options):
        while True:
            counts = notifications_deliver_all(batch=batch)
            if any(counts.values()):
                self.stdout.write("sent {sent}, to retry {retry}, given up {dead}".format(**counts))
            if not loop:
                return
            time.sleep(interval)
