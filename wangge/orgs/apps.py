from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgsConfig(AppConfig):
    name = "wangge.orgs"
    label = "orgs"
    verbose_name = _("Org units and grids")

    def ready(self) -> None:
        # Core resolves roles through these hooks because it may not import orgs.
        from wangge.core import accounts, scope

        from .accounts import staff_directory
        from .actors import actor_for

        scope.ACTOR_RESOLVER = actor_for
        accounts.STAFF_DIRECTORY = staff_directory
