"""Generate this week's sponsor-unit issue lists (run every Thursday; safe to run again)."""

from django.core.management.base import BaseCommand

from wangge.cases.sponsor_lists import sponsor_issue_lists_generate


class Command(BaseCommand):
    help = "Generate the sponsor units' issue lists for the current week (Thursday's)."

    def handle(self, *args, **options) -> None:
        counts = sponsor_issue_lists_generate()
        self.stdout.write(f"lists created: {counts['lists']}, items added: {counts['items']}")
