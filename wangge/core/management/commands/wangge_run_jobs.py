"""The background worker: register imports, person list exports and any other queued job.

    python manage.py wangge_run_jobs          # one pass over the pending jobs, then exit
    python manage.py wangge_run_jobs --loop   # keep going (a systemd service in production)

Each app installs its step in wangge.core.jobs (see there); a job interrupted by a restart is
picked up again by the next pass.
"""

import time

from django.core.management.base import BaseCommand

from wangge.core.jobs import worker_steps_run


class Command(BaseCommand):
    help = "Work queued background jobs (imports, exports)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep polling for new jobs")
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between polls")

    def handle(self, *args, loop=False, interval=2.0, **options):
        while True:
            done = worker_steps_run()
            for name, count in done.items():
                if count:
                    self.stdout.write(f"processed {count} {name} job(s)")
            if not loop:
                return
            if not any(done.values()):
                time.sleep(interval)
