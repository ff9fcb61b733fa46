"""Import a holiday schedule file (CSV or xlsx: date, kind, name) into the calendar."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from wangge.core.calendar_services import calendar_import
from wangge.core.errors import ValidationFailed
from wangge.core.scope import Actor


class Command(BaseCommand):
    help = "Import a holiday schedule (.csv UTF-8 or .xlsx with columns date, kind, name)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .csv or .xlsx file")

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            result = calendar_import(
                actor=Actor.system(), file_name=path.name, content=path.read_bytes()
            )
        except ValidationFailed as exc:
            for error in exc.detail.get("errors", []):
                self.stderr.write(f"row {error['row']}\t{error['field']}\t{error['message']}")
            raise CommandError(str(exc.message)) from None
        added = ", ".join(map(str, result.years_added)) or "none"
        self.stdout.write(
            f"{result.rows} rows, {result.changed} days changed, years added: {added}"
        )
