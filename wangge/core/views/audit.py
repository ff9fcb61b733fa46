"""The audit trail page: auditors only (with TOTP), filters in the query string, keyset pages."""

from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import path

from ..audit_selectors import AuditFilters, audit_event_list
from ..decorators import staff_role_required
from ..errors import ValidationFailed
from ..forms import AuditFilterForm
from ..scope import request_actor


@staff_role_required("auditor")
def audit_list(request):
    form = AuditFilterForm(request.GET or None)
    filters = form.filters() if form.is_valid() else AuditFilters()
    after = request.GET.get("after") or None
    try:
        page = audit_event_list(actor=request_actor(request), filters=filters, after=after)
    except ValidationFailed as exc:
        # A stale page link restarts the same search; a bad filter shows the unfiltered list.
        if exc.field == "after":
            after = None
        else:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            filters = AuditFilters()
        page = audit_event_list(actor=request_actor(request), filters=filters, after=after)
    query = {key: value for key, value in request.GET.items() if key != "after" and value}
    next_url = "?" + urlencode({**query, "after": page.next_after}) if page.next_after else None
    first_url = None if not after else "?" + urlencode(query)
    return render(
        request,
        "core/audit_list.html",
        {
            "form": form,
            "events": page.events,
            "next_url": next_url,
            "first_url": first_url,
        },
    )


urlpatterns = [
    path("audit/", audit_list, name="audit"),
]
