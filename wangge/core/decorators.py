"""View decorators for staff pages guarded by role (and, for admin and auditor, by TOTP)."""

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .errors import NotFound
from .scope import request_actor


def staff_role_required(*roles: str, verified: bool | None = None):
    """Let through signed-in staff holding any of `roles` (any role at all when none are named).

    Anyone else gets NotFound (a 404 page, audited as a denial): a page a user may not use
    looks the same as one that does not exist. When `verified` is true, or when any of the roles
    is in settings.WANGGE_TOTP_REQUIRED_ROLES (then it cannot be switched off), the session must
    also have passed the TOTP step; a session that has not is sent to it and then comes back.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            actor = request_actor(request)
            allowed = actor.has_role(*roles) if roles else bool(actor.grants)
            if actor.is_resident or not allowed:
                raise NotFound(_("Page not found."))
            mandatory = bool(set(roles) & set(settings.WANGGE_TOTP_REQUIRED_ROLES))
            if (verified or mandatory) and not request.user.is_verified():
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('login_totp')}?{query}")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
