"""`manage.py wangge_refresh_register`: the register's nightly bookkeeping.

Runs, in this order (derived tags feed the counts):
1. derived_tags_refresh: starts and ends the derived key-population tags (empty-nest and
   living-alone elders, migrants, rental tenants) as of today: a person turns 60, a household
   member moves out, a lease ends.
2. grid_counts_refresh: rebuilds the GridCount rollup behind grid cards and map colouring, so
   that tags whose validity began or ended today are counted right.

Schedule it once a night, shortly after midnight Asia/Shanghai, e.g. with cron:

    10 0 * * *  cd /srv/wangge && .venv/bin/python manage.py wangge_refresh_register

or a systemd timer with `OnCalendar=*-*-* 00:10:00 Asia/Shanghai`. It is idempotent: a second
run the same day changes nothing, so a retry after a failure is safe. Services that change one
person call the same functions for the grids and persons concerned; the nightly run catches
what only the date changes (ages, validity periods, move-out dates reached).
"""

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wangge.registry.rollups import derived_tags_refresh, grid_counts_refresh


class Command(BaseCommand):
    help = "Refresh the derived key-population tags and the grid counts (run nightly)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--date",
            default=None,
            help="the day to compute for, YYYY-MM-DD (default: today in the local time zone)",
        )

    def handle(self, *args, date: str | None = None, **options) -> None:
        today = parse_day(date) if date else None
        started = time.perf_counter()
        summary = derived_tags_refresh(today=today)
        tagged = time.perf_counter()
        rows = grid_counts_refresh(today=today)
        for code, changes in summary.items():
            self.stdout.write(
                _("%(tag)s: %(added)d added, %(ended)d ended")
                % {"tag": code, "added": changes["added"], "ended": changes["ended"]}
            )
        self.stdout.write(
            _("Derived tags in %(t).2f s; %(rows)d grid counts in %(c).2f s.")
            % {"t": tagged - started, "rows": rows, "c": time.perf_counter() - tagged}
        )


def parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(_("--date must be a date written YYYY-MM-DD.")) from None
