"""The A/B posts and leave page: each unit the actor runs, its posts and leaves, and the two
forms. A refusal re-renders the page with the message beside the field; nothing changed."""

from django import forms
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from wangge.core.calendar import LOCAL_TZ
from wangge.core.decorators import staff_role_required
from wangge.core.errors import NotFound, PermissionDenied, ValidationFailed
from wangge.core.scope import request_actor

from ..duty import MANAGERS, duty_post_set, leave_record
from ..duty_selectors import duty_overview, duty_person
from ..enums import Role


class PostForm(forms.Form):
    org_unit_code = forms.CharField(widget=forms.HiddenInput)
    a_user = forms.CharField(label=_("A post"))
    b_user = forms.CharField(label=_("B post"))


class LeaveForm(forms.Form):
    org_unit_code = forms.CharField(widget=forms.HiddenInput)
    user = forms.CharField(label=_("Who"))
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput({"type": "date"}))
    ends_on = forms.DateField(label=_("Until"), widget=forms.DateInput({"type": "date"}))
    note = forms.CharField(label=_("Note"), required=False, max_length=200)


# Admins hold TOTP-guarded roles; the page is for those who run a unit day to day (the
# services accept admins too, through the API).
@staff_role_required(*(role for role in MANAGERS if role != Role.ADMIN))
@require_http_methods(["GET", "POST"])
def duty_page(request):
    actor = request_actor(request)
    failed: tuple[str, str, forms.Form] | None = None
    if request.method == "POST":
        kind = request.POST.get("form")
        form: forms.Form = PostForm(request.POST) if kind == "post" else LeaveForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if kind == "post":
                    duty_post_set(
                        actor=actor,
                        org_unit_code=data["org_unit_code"],
                        a_user=duty_person(data["a_user"]),
                        b_user=duty_person(data["b_user"]),
                    )
                else:
                    leave_record(
                        actor=actor,
                        org_unit_code=data["org_unit_code"],
                        user=duty_person(data["user"]),
                        starts_on=data["starts_on"],
                        ends_on=data["ends_on"],
                        note=data["note"],
                    )
                return redirect("orgs_duty")
            except (ValidationFailed, PermissionDenied, NotFound) as exc:
                field = exc.field if exc.field in form.fields else None
                form.add_error(field, str(exc.message))
        failed = (kind or "", request.POST.get("org_unit_code", ""), form)
    today = timezone.now().astimezone(LOCAL_TZ).date()
    units = []
    for item in duty_overview(actor=actor, today=today):
        code = item.unit.code
        choices = [(user.username, user.display_name or user.username) for user in item.people]
        post_form: forms.Form = PostForm(
            initial={"org_unit_code": code}, auto_id=f"id_post_{code}_%s"
        )
        leave_form: forms.Form = LeaveForm(
            initial={"org_unit_code": code}, auto_id=f"id_leave_{code}_%s"
        )
        if failed is not None and failed[1] == code:
            if failed[0] == "post":
                post_form = failed[2]
            else:
                leave_form = failed[2]
        for form_ in (post_form, leave_form):
            for name in ("a_user", "b_user", "user"):
                if name in form_.fields:
                    form_.fields[name].widget = forms.Select(choices=[("", "—"), *choices])
        units.append({"item": item, "post_form": post_form, "leave_form": leave_form})
    status = 422 if failed is not None else 200
    return render(request, "orgs/duty.html", {"units": units}, status=status)
