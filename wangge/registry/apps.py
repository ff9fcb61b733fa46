from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "wangge.registry"
    label = "registry"
    verbose_name = _("Register")

    def ready(self) -> None:
        # orgs serves grid cards but may not import the register above it, so the register
        # installs its counts provider here (see wangge.orgs.selectors.GRID_COUNTS_PROVIDER).
        from wangge.core import audit_selectors
        from wangge.core.jobs import worker_step_register
        from wangge.orgs import selectors, services

        from .counts import grid_counts_for, grid_metrics_for
        from .export_jobs import export_jobs_run_pending
        from .importing.jobs import import_jobs_run_pending
        from .permissions import audit_details_redact
        from .placement import relocate_after_boundary_change

        selectors.GRID_COUNTS_PROVIDER = grid_counts_for
        selectors.GRID_METRICS_PROVIDER = grid_metrics_for
        if relocate_after_boundary_change not in services.BOUNDARY_CHANGE_HOOKS:
            services.BOUNDARY_CHANGE_HOOKS.append(relocate_after_boundary_change)
        # The background worker (manage.py wangge_run_jobs) runs these passes.
        worker_step_register("import", import_jobs_run_pending)
        worker_step_register("export", export_jobs_run_pending)
        if audit_details_redact not in audit_selectors.AUDIT_DETAIL_REDACTORS:
            audit_selectors.AUDIT_DETAIL_REDACTORS.append(audit_details_redact)
