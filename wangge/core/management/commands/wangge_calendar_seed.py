"""Fill the calendar with every year the installed `chinesecalendar` covers.

Run it after upgrading the package (a release with next year's holidays usually follows the
State Council's notice in November). Days an admin edited or imported are kept.
"""

from django.core.management.base import BaseCommand

from wangge.core.calendar_services import calendar_seed, chinesecalendar_years
from wangge.core.scope import Actor


class Command(BaseCommand):
    help = "Seed the working-day calendar from the chinesecalendar package (keeps admin edits)."

    def handle(self, *args, **options):
        years = calendar_seed(actor=Actor.system())
        covered = chinesecalendar_years()
        self.stdout.write(f"{years} years seeded ({covered.start}-{covered.stop - 1})")
