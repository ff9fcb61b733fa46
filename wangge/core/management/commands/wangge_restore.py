"""`manage.py wangge_restore DIR|DIR.tar.gz [--force]`: restore a backup made by wangge_backup
into an empty database (created, not migrated) and the upload folders, then check every table's
row count and every file's hash against the manifest. Stop the web server and workers first.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wangge.core.backup import BackupError, backup_restore, manifest_summary


class Command(BaseCommand):
    # The checks import every URL module and may query the database; neither helps here.
    requires_system_checks: list[str] = []
    help = "Restore a backup into an empty database and check it against its manifest."

    def add_arguments(self, parser) -> None:
        parser.add_argument("source", help="the backup directory or its .tar.gz")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database that is not empty, and files that differ",
        )

    def handle(self, *args, source: str, force: bool = False, **options) -> None:
        try:
            manifest = backup_restore(source=Path(source), force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _("Restored and checked %(rows)d rows in %(tables)d tables and %(files)d files.")
            % manifest_summary(manifest)
        )
