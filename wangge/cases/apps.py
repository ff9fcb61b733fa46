from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "wangge.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from wangge.orgs.duty import LEAVE_HOOKS

        from .assignment import hand_over_on_leave
        from .notify import register_hooks

        register_hooks()
        if hand_over_on_leave not in LEAVE_HOOKS:
            LEAVE_HOOKS.append(hand_over_on_leave)
