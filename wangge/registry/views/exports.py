"""Register downloads: the person list as xlsx, written in the background.

Posting the export form queues a job and redirects to its page, which htmx polls every 2 s
until the file is ready; the download is for the requester only. An unmasked export (with the
permission) also asks for a reason and the password (and authenticator code) again.
"""

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET, require_POST

from wangge.core.decorators import staff_role_required
from wangge.core.downloads import xlsx_download
from wangge.core.scope import request_actor

from ..enums import ExportState
from ..export_jobs import (
    LIST_FILTERS,
    export_job_file,
    export_job_get,
    export_job_percent,
    export_job_request,
)


@staff_role_required()
@require_POST
def person_export(request):
    """POST, so that the filters and the reason stay out of URLs and access logs."""
    # A refusal (already audited) reaches WanggeErrorMiddleware: its page, status and
    # Retry-After.
    job = export_job_request(
        actor=request_actor(request),
        request=request,
        filters={key: request.POST.get(key, "") for key in LIST_FILTERS},
        unmasked=request.POST.get("unmasked") == "1",
        reason=request.POST.get("reason", ""),
        password=request.POST.get("password", ""),
        code=request.POST.get("code") or None,
    )
    return HttpResponseRedirect(reverse("registry_export_job", args=[job.pk]))


@staff_role_required()
@require_GET
def export_job_page(request, job_id: int):
    job = export_job_get(actor=request_actor(request), job_id=job_id)
    context = {
        "job": job,
        "percent": export_job_percent(job),
        "running": job.state in (ExportState.QUEUED, ExportState.RUNNING),
    }
    if request.headers.get("HX-Request"):
        return render(request, "registry/export_job_status.html", context)
    return render(request, "registry/export_job.html", context)


@staff_role_required()
@require_GET
def export_job_download(request, job_id: int):
    content, name = export_job_file(actor=request_actor(request), job_id=job_id)
    return xlsx_download(content, name)


urlpatterns: list[URLPattern] = [
    path("persons/export/", person_export, name="registry_person_export"),
    path("exports/<int:job_id>/", export_job_page, name="registry_export_job"),
    path("exports/<int:job_id>/file/", export_job_download, name="registry_export_file"),
]
