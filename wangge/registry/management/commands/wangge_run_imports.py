"""Process queued register imports: check uploaded files and commit confirmed ones.

    python manage.py wangge_run_imports          # one pass over the pending jobs, then exit
    python manage.py wangge_run_imports --loop   # keep going (a systemd service in production)

See wangge/registry/importing/jobs.py for the state machine.
"""

import time

from django.core.management.base import BaseCommand

from wangge.registry.importing.jobs import import_jobs_run_pending


class Command(BaseCommand):
    help = "Check and commit queued register imports (large files)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep polling for new jobs")
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between polls")

    def handle(self, *args, loop=False, interval=2.0, **options):
        while True:
            done = import_jobs_run_pending()
            if done:
                self.stdout.write(f"processed {done} import job(s)")
            if not loop:
                return
            if not done:
                time.sleep(interval)
