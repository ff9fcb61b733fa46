"""`manage.py wangge_case_sweep`: cards, the first urge (督办), escalations, late report-ins and
A/B hand-overs (wangge.cases.sweep.deadline_sweep).

Schedule it every five minutes in production, e.g. with cron:

    */5 * * * *  cd /srv/wangge && .venv/bin/python manage.py wangge_case_sweep

or a systemd timer with `OnCalendar=*:0/5`; `--loop` keeps it running instead (what `make demo`
does). It is idempotent: a run with nothing new to do writes nothing, so overlapping or retried
runs are safe. Each finished run is noted as a heartbeat; /health/ reports the sweep as down
when the last one is older than WANGGE_HEALTH_SWEEP_MAX_AGE_SECONDS (15 minutes).
"""

import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from wangge.cases.health import SWEEP_HEARTBEAT
from wangge.cases.sweep import deadline_sweep
from wangge.core.heartbeats import heartbeat_record


class Command(BaseCommand):
    help = "Issue yellow and red cards on open cases and urge the newly overdue (every 5 min)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--loop", action="store_true", help="sweep again every --interval")
        parser.add_argument("--interval", type=float, default=300.0, help="seconds between runs")

    def handle(self, *args, loop=False, interval=300.0, **options) -> None:
        while True:
            counts = deadline_sweep()
            # Outside deadline_sweep, whose idle run writes nothing: the health check reads this.
            heartbeat_record(SWEEP_HEARTBEAT)
            self.stdout.write(
                _(
                    "%(checked)d cases checked: %(red)d red, %(yellow)d yellow, "
                    "%(cleared)d cleared, %(urged)d urged"
                )
                % counts
            )
            if not loop:
                return
            time.sleep(interval)
