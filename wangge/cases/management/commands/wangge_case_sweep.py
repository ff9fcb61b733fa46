"""`manage.py wangge_case_sweep`: issue yellow and red cards and the first urge (督办).

Runs wangge.cases.sweep.deadline_sweep once and prints its counts. Schedule it every five
minutes in production, e.g. with cron:

    */5 * * * *  cd /srv/wangge && .venv/bin/python manage.py wangge_case_sweep

or a systemd timer with `OnCalendar=*:0/5`. It is idempotent: a run with nothing new to do
writes nothing, so overlapping or retried runs are safe (a run takes seconds over a million
open cases).
"""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from wangge.cases.sweep import deadline_sweep


class Command(BaseCommand):
    help = "Issue yellow and red cards on open cases and urge the newly overdue (every 5 min)."

    def handle(self, *args, **options) -> None:
        counts = deadline_sweep()
        self.stdout.write(
            _(
                "%(checked)d cases checked: %(red)d red, %(yellow)d yellow, "
                "%(cleared)d cleared, %(urged)d urged"
            )
            % counts
        )
