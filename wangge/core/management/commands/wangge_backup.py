"""`manage.py wangge_backup --output DIR [--archive]`: an online, consistent backup of the
database and the uploaded files with a manifest (wangge.core.backup). Safe while the site runs.

    */30 * * * *  cd /srv/wangge && .venv/bin/python manage.py wangge_backup \\
                      --output /srv/backups/wangge-$(date +\\%Y\\%m\\%d-\\%H\\%M) --archive
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wangge.core.backup import BackupError, backup_create, manifest_summary


class Command(BaseCommand):
    # The checks import every URL module and may query the database; neither helps here.
    requires_system_checks: list[str] = []
    help = "Back up the database and uploaded files, with a manifest, while the site runs."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", required=True, help="a new or empty directory")
        parser.add_argument("--archive", action="store_true", help="pack it as DIR.tar.gz")

    def handle(self, *args, output: str, archive: bool = False, **options) -> None:
        try:
            manifest = backup_create(output=Path(output), archive=archive)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _("Backed up %(rows)d rows in %(tables)d tables and %(files)d files.")
            % manifest_summary(manifest)
        )
