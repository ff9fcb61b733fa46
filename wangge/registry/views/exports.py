"""Register downloads: the person list as xlsx (masked unless permitted, with a reason)."""

from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from wangge.core.decorators import staff_role_required
from wangge.core.downloads import xlsx_download
from wangge.core.scope import request_actor

from ..export import dated_name, person_list_export

LIST_FILTERS = ("grid", "building", "tag", "age_min", "age_max", "residence_status")


@staff_role_required()
@require_POST
def person_export(request):
    """POST, so that the filters and the reason stay out of URLs and access logs."""
    filters = {key: request.POST[key] for key in LIST_FILTERS if request.POST.get(key)}
    content, _rows = person_list_export(
        actor=request_actor(request),
        filters=filters,
        unmasked=request.POST.get("unmasked") == "1",
        reason=request.POST.get("reason", ""),
    )
    return xlsx_download(content, dated_name("persons"))


urlpatterns: list[URLPattern] = [
    path("persons/export/", person_export, name="registry_person_export"),
]
