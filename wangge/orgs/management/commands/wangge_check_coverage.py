"""Report gaps and overlaps between each community and its grids; exit 1 if there are any."""

from django.core.management.base import BaseCommand, CommandError

from wangge.orgs.coverage import coverage_report
from wangge.orgs.permissions import system_actor


class Command(BaseCommand):
    help = "Check that every community is covered by its grids exactly once."

    def add_arguments(self, parser):
        parser.add_argument("--community", help="code of one community (default: all)")

    def handle(self, *args, **options):
        report = coverage_report(actor=system_actor(), community_code=options["community"])
        findings = 0
        for community in report:
            for gap in community["gaps"]:
                findings += 1
                self.stdout.write(
                    f"{community['community']}\tgap\t{gap['area_m2']} m²\tat {gap['where']}"
                )
            for overlap in community["overlaps"]:
                findings += 1
                self.stdout.write(
                    f"{community['community']}\toverlap "
                    f"{overlap['grids'][0]} × {overlap['grids'][1]}\t"
                    f"{overlap['area_m2']} m²\tat {overlap['where']}"
                )
        if findings:
            raise CommandError(
                f"{findings} coverage findings in {len(report)} communities", returncode=1
            )
        self.stdout.write(f"{len(report)} communities: no gaps, no overlaps")
