"""Register pages: imports. Choose a kind, download its template, upload; then the job page
shows the check (counts, errors, error workbook), the commit button and, for large files, a
progress bar that htmx polls every 2 s."""

import contextlib

from django import forms
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from wangge.core.decorators import staff_role_required
from wangge.core.downloads import xlsx_download
from wangge.core.errors import NotFound, ValidationFailed
from wangge.core.scope import request_actor
from wangge.registry.enums import ImportKind, ImportState
from wangge.registry.importing.columns import KIND_COLUMNS
from wangge.registry.importing.jobs import (
    can_import,
    import_job_commit,
    import_job_create,
    import_job_get,
    import_job_list,
    job_content,
    job_errors,
)
from wangge.registry.importing.workbooks import error_workbook, template_workbook
from wangge.registry.transfers import person_transfers_from_import

RUNNING = (ImportState.UPLOADED, ImportState.VALIDATING, ImportState.COMMITTING)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"), choices=ImportKind.choices)
    file = forms.FileField(label=gettext_lazy("File (.xlsx or .csv)"))


def _require_importer(request):
    actor = request_actor(request)
    if not can_import(actor):
        raise NotFound(_("Page not found."))
    return actor


@staff_role_required()
@require_http_methods(["GET", "POST"])
def import_page(request):
    actor = _require_importer(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = import_job_create(
                    actor=actor,
                    kind=form.cleaned_data["kind"],
                    file_name=upload.name,
                    content=upload.read(),
                )
            except ValidationFailed as exc:
                form.add_error("file" if exc.field == "file" else None, str(exc.message))
            else:
                return HttpResponseRedirect(reverse("registry_import_job", args=[job.pk]))
        status = 422
    kinds = [
        {"value": value, "label": label, "headers": [c.header for c in KIND_COLUMNS[value]]}
        for value, label in ImportKind.choices
    ]
    return render(
        request,
        "registry/import.html",
        {"form": form, "kinds": kinds, "jobs": import_job_list(actor=actor)},
        status=status,
    )


@staff_role_required()
def import_template(request, kind: str):
    _require_importer(request)
    if kind not in KIND_COLUMNS:
        raise NotFound(_("Page not found."))
    return xlsx_download(template_workbook(kind), f"import-{kind}.xlsx")


def _job_context(job) -> dict:
    summary = job.summary or {}
    percent = int(100 * job.processed_rows / job.total_rows) if job.total_rows else 0
    return {
        "job": job,
        "summary": summary,
        "errors": summary.get("preview", []),
        "more_errors": max(job.error_count - len(summary.get("preview", [])), 0),
        "running": job.state in RUNNING,
        "percent": min(percent, 100),
        "can_commit": job.state == ImportState.VALIDATED,
        "has_error_workbook": bool(job.errors_file) and job.state == ImportState.INVALID,
        # Rows whose ID number is registered out of sight: offered as transfer requests.
        "transfer_rows": [
            e["row"] for e in summary.get("preview", []) if e.get("code") == "transfer_required"
        ],
    }


@staff_role_required()
def import_job_page(request, job_id: int):
    actor = _require_importer(request)
    job = import_job_get(actor=actor, job_id=job_id)
    context = _job_context(job)
    if request.headers.get("HX-Request"):
        return render(request, "registry/import_job_status.html", context)
    return render(request, "registry/import_job.html", context)


@staff_role_required()
def import_errors(request, job_id: int):
    actor = _require_importer(request)
    job = import_job_get(actor=actor, job_id=job_id)
    if not job.errors_file:
        raise NotFound(_("Page not found."))
    content = error_workbook(job.file_name, job_content(job), job_errors(job))
    return xlsx_download(content, f"import-{job.pk}-errors.xlsx")


@staff_role_required()
@require_POST
def import_commit(request, job_id: int):
    actor = _require_importer(request)
    # On a refusal the job page shows the state, which says why nothing happened.
    with contextlib.suppress(ValidationFailed):
        import_job_commit(actor=actor, job_id=job_id)
    return HttpResponseRedirect(reverse("registry_import_job", args=[job_id]))


@staff_role_required()
@require_POST
def import_transfers(request, job_id: int):
    """Ask for a transfer of every row the check answered "request a transfer" for."""
    actor = _require_importer(request)
    try:
        result = person_transfers_from_import(
            actor=actor, job_id=job_id, reason=request.POST.get("reason", "")
        )
    except ValidationFailed as exc:
        messages.error(request, str(exc.message))
        return HttpResponseRedirect(reverse("registry_import_job", args=[job_id]))
    if result["requested"]:
        messages.success(
            request,
            _("Transfer requests sent for rows %(rows)s.")
            % {"rows": ", ".join(map(str, result["requested"]))},
        )
    for skipped in result["skipped"]:
        messages.error(
            request,
            _("Row %(row)s: %(message)s") % {"row": skipped["row"], "message": skipped["message"]},
        )
    return HttpResponseRedirect(reverse("registry_import_job", args=[job_id]))


urlpatterns = [
    path("import/", import_page, name="registry_import"),
    path("import/templates/<str:kind>/", import_template, name="registry_import_template"),
    path("import/<int:job_id>/", import_job_page, name="registry_import_job"),
    path("import/<int:job_id>/errors/", import_errors, name="registry_import_errors"),
    path("import/<int:job_id>/commit/", import_commit, name="registry_import_commit"),
    path("import/<int:job_id>/transfers/", import_transfers, name="registry_import_transfers"),
]
