"""The inbox (any signed-in user, staff or resident) and the outbox problems page (admins)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from wangge.core.decorators import staff_role_required
from wangge.core.scope import request_actor

from .selectors import INBOX_PAGE, notification_inbox, outbox_problems
from .services import notification_mark_all_read, notification_mark_read


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@require_GET
def inbox_page(request):
    before = _int(request.GET.get("before"))
    rows = notification_inbox(actor=request_actor(request), before_id=before)
    next_url = None
    if len(rows) == INBOX_PAGE:
        next_url = f"{reverse('notifications_inbox')}?before={rows[-1].pk}"
    response = render(
        request,
        "notifications/inbox.html",
        {
            "rows": rows,
            "next_url": next_url,
            "first_url": before and reverse("notifications_inbox"),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def read_post(request, notification_id: int):
    row = notification_mark_read(actor=request_actor(request), notification_id=notification_id)
    target = row.link if request.POST.get("open") else ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect(target)
    return redirect("notifications_inbox")


@login_required
@require_POST
def read_all_post(request):
    notification_mark_all_read(actor=request_actor(request))
    return redirect("notifications_inbox")


@staff_role_required("admin")
@require_GET
def outbox_page(request):
    rows = outbox_problems(actor=request_actor(request))
    return render(request, "notifications/outbox.html", {"rows": rows})


urlpatterns = [
    path("", inbox_page, name="notifications_inbox"),
    path("read-all/", read_all_post, name="notifications_read_all"),
    path("<int:notification_id>/read/", read_post, name="notifications_read"),
    path("outbox/", outbox_page, name="notifications_outbox"),
]
