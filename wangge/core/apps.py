from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "wangge.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from . import signals  # noqa: F401  (auth signal receivers write the audit trail)
        from .files import sqlite_files_restrict

        connection_created.connect(sqlite_files_restrict, dispatch_uid="wangge_sqlite_private")
