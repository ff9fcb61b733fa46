"""Sign-in pages (password, then TOTP or enrolment), sign-out, password change, users, lockouts.

Signing in is two steps for whoever needs a second factor: the password step only remembers a
"pending" user in the anonymous session; no authenticated session exists until the code (or,
for a user without a device, the enrolment code) is right. An already signed-in user whose
session is not verified (a role granted after sign-in) goes through the same code step.
"""

import time

from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, update_session_auth_hash
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import password_validators_help_texts
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from ..accounts import (
    active_user,
    lockout_clear,
    lockout_list,
    login_failure_record,
    login_locked,
    staff_list,
    user_disable,
    user_password_change,
    user_session_track,
)
from ..decorators import staff_role_required
from ..errors import ValidationFailed
from ..forms import (
    CodeForm,
    DisableForm,
    LockoutClearForm,
    LoginForm,
    PasswordChangeForm,
    ResidentLoginForm,
)
from ..models import User
from ..scope import request_actor
from ..twofactor import (
    totp_device_for,
    totp_enrol_confirm,
    totp_enrol_start,
    totp_qr_svg,
    totp_required,
    totp_secret_grouped,
    totp_verify,
)

PENDING_KEY = "wangge_pending_login"
# The code step must follow the password step promptly; a forgotten tab does not keep it open.
PENDING_SECONDS = 5 * 60


def _safe_next(request, default: str | None = None) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default or reverse(settings.LOGIN_REDIRECT_URL)


def _pending_begin(request, user, next_url: str) -> None:
    request.session[PENDING_KEY] = {
        "user_id": user.pk,
        "backend": user.backend,
        # A password change between the two steps invalidates the first one.
        "hash": user.get_session_auth_hash(),
        "at": time.time(),
        "next": next_url,
    }


def _pending(request) -> tuple[User | None, dict]:
    """The user between the password and code steps, or the signed-in user needing a code."""
    state = request.session.get(PENDING_KEY)
    if state:
        user = active_user(state["user_id"])
        fresh = time.time() - state["at"] <= PENDING_SECONDS
        if user is not None and fresh and user.get_session_auth_hash() == state["hash"]:
            user.backend = state["backend"]  # type: ignore[attr-defined]
            return user, state
        request.session.pop(PENDING_KEY, None)
    if request.user.is_authenticated and not request.user.is_verified():
        return request.user, {"next": _safe_next(request)}
    return None, {}


def _complete(request, user, device, state: dict):
    """Open (or upgrade) the session: only now does the user count as signed in and verified."""
    request.session.pop(PENDING_KEY, None)
    backend = getattr(user, "backend", None) or request.session.get(BACKEND_SESSION_KEY)
    auth_login(request, user, backend=backend)
    otp_login(request, device)
    return redirect(state.get("next") or reverse(settings.LOGIN_REDIRECT_URL))


def _locked_response(request, username: str):
    request.session.pop(PENDING_KEY, None)
    return get_lockout_response(request, None, {"username": username})


@sensitive_post_parameters("password")
@never_cache
def login_view(request):
    next_url = _safe_next(request)
    if request.method == "GET" and request.user.is_authenticated and request.user.is_verified():
        return redirect(next_url)
    form = LoginForm(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = form.user
        assert user is not None  # a valid form always carries the user
        request.session.pop(PENDING_KEY, None)
        if totp_required(user):
            _pending_begin(request, user, next_url)
            step = "login_totp" if totp_device_for(user) else "totp_enrol"
            return redirect(step)
        auth_login(request, user)
        return redirect(next_url)
    # A locked pair gets axes' locked page from AxesMiddleware (request.axes_locked_out).
    return render(request, "core/login.html", {"form": form, "next": next_url})


@sensitive_post_parameters("code")
@never_cache
def login_totp(request):
    user, state = _pending(request)
    if user is None:
        return redirect("login")
    if totp_device_for(user) is None:
        return redirect("totp_enrol")
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        username = user.get_username()
        if login_locked(request, username=username):
            return _locked_response(request, username)
        device = totp_verify(user=user, code=form.cleaned_data["code"])
        if device is not None:
            return _complete(request, user, device, state)
        if login_failure_record(request, username=username, step="totp"):
            request.session.pop(PENDING_KEY, None)  # AxesMiddleware renders the locked page
        form.add_error(
            "code",
            _("The code is not correct or was used already. Wait for the next code and try again."),
        )
    return render(request, "core/totp.html", {"form": form, "pending_user": user})


@sensitive_post_parameters("code")
@never_cache
def totp_enrol(request):
    user, state = _pending(request)
    if user is None:
        return redirect("login")
    if totp_device_for(user) is not None:
        return redirect("login_totp")
    device = totp_enrol_start(user=user)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        username = user.get_username()
        if login_locked(request, username=username):
            return _locked_response(request, username)
        confirmed = totp_enrol_confirm(user=user, code=form.cleaned_data["code"])
        if confirmed is not None:
            return _complete(request, user, confirmed, state)
        if login_failure_record(request, username=username, step="totp_enrol"):
            request.session.pop(PENDING_KEY, None)
        form.add_error(
            "code",
            _(
                "The code is not correct. Check the time on your phone and "
                "enter the code shown now."
            ),
        )
    return render(
        request,
        "core/totp_enrol.html",
        {
            "form": form,
            "pending_user": user,
            "qr_svg": totp_qr_svg(device),
            "secret": totp_secret_grouped(device),
        },
    )


@sensitive_post_parameters("password")
@never_cache
def resident_login(request):
    next_url = _safe_next(request)
    form = ResidentLoginForm(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        auth_login(request, form.user)
        return redirect(next_url)
    return render(request, "core/resident_login.html", {"form": form, "next": next_url})


@require_POST
def logout_view(request):
    auth_logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@sensitive_post_parameters("old_password", "new_password", "new_password_again")
@login_required
def password_change(request):
    form = PasswordChangeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_password_change(
                actor=request_actor(request),
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except ValidationFailed as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            # Keep this session (others end: they carry the old password's hash).
            update_session_auth_hash(request, user)
            user_session_track(request)
            messages.success(request, _("Your password has been changed."))
            return redirect("password_change")
    return render(
        request,
        "core/password_change.html",
        {
            "form": form,
            "password_rules": password_validators_help_texts(),
        },
    )


@staff_role_required("admin")
def users_admin(request):
    entries = staff_list(actor=request_actor(request))
    return render(request, "core/users.html", {"entries": entries, "form": DisableForm()})


@require_POST
@staff_role_required("admin")
def user_disable_view(request, user_id: int):
    form = DisableForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for disabling the account."))
        return redirect("users")
    try:
        user = user_disable(
            actor=request_actor(request), user_id=user_id, reason=form.cleaned_data["reason"]
        )
    except ValidationFailed as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("%(name)s is disabled and signed out everywhere.")
            % {"name": user.display_name or user.get_username()},
        )
    return redirect("users")


@staff_role_required("admin")
def lockouts(request):
    return render(
        request,
        "core/lockouts.html",
        {
            "lockouts": lockout_list(actor=request_actor(request)),
        },
    )


@require_POST
@staff_role_required("admin")
def lockout_clear_view(request):
    form = LockoutClearForm(request.POST)
    if form.is_valid():
        lockout_clear(
            actor=request_actor(request),
            username=form.cleaned_data["username"],
            ip_address=form.cleaned_data["ip_address"] or None,
        )
        messages.success(
            request,
            _("%(username)s can sign in again from that address.")
            % {"username": form.cleaned_data["username"]},
        )
    else:
        messages.error(request, _("That lockout could not be read; reload the page."))
    return redirect("lockouts")


urlpatterns = [
    path("login/", login_view, name="login"),
    path("login/code/", login_totp, name="login_totp"),
    path("login/enrol/", totp_enrol, name="totp_enrol"),
    path("resident/login/", resident_login, name="resident_login"),
    path("logout/", logout_view, name="logout"),
    path("account/password/", password_change, name="password_change"),
    path("manage/users/", users_admin, name="users"),
    path("manage/users/<int:user_id>/disable/", user_disable_view, name="user_disable"),
    path("manage/lockouts/", lockouts, name="lockouts"),
    path("manage/lockouts/unlock/", lockout_clear_view, name="lockout_clear"),
]
