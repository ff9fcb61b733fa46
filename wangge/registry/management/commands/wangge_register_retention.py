"""Archive persons who moved out more than WANGGE_RETENTION_YEARS ago and erase their identifiers.

Run daily (cron or a systemd timer: `manage.py wangge_register_retention`). Idempotent.
"""

from django.core.management.base import BaseCommand

from wangge.orgs.permissions import system_actor
from wangge.registry.privacy import persons_retention_sweep


class Command(BaseCommand):
    help = "Archive persons who moved out long ago and erase their identifiers."

    def handle(self, *args, **options) -> None:
        archived = persons_retention_sweep(actor=system_actor())
        self.stdout.write(f"archived {archived} persons")
