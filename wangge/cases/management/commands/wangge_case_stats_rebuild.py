"""Recompute the case statistics rollups from the cases table (after a bulk load of history,
or to put the maintained figures right)."""

from django.core.management.base import BaseCommand

from wangge.cases.stats.rollup import rebuild_rollups


class Command(BaseCommand):
    help = "Recompute the case statistics rollups from the cases table."

    def handle(self, *args, **options) -> None:
        counts = rebuild_rollups()
        self.stdout.write(f"cases: {counts['cases']}, rollup rows: {counts['rollup_rows']}")
