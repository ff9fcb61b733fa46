"""Receivers for Django's and axes' auth signals: they record what happened, nothing more."""

import time

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .audit import audit_record
from .middleware import SESSION_STARTED_KEY
from .models import AuditResult, UserSession


@receiver(user_logged_in)
def on_logged_in(sender, request, user, **kwargs) -> None:
    if request is not None and getattr(request, "session", None) is not None:
        # The absolute lifetime counts from signing in, not from the first page after it.
        request.session[SESSION_STARTED_KEY] = time.time()
        if request.session.session_key is None:
            request.session.save()
        UserSession.objects.get_or_create(
            session_key=request.session.session_key, defaults={"user": user}
        )
    audit_record(actor=user, action="auth.login", object_type="user", object_id=user.pk)


@receiver(user_logged_out)
def on_logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        if request is not None and getattr(request, "session", None) is not None:
            UserSession.objects.filter(session_key=request.session.session_key).delete()
        audit_record(actor=user, action="auth.logout", object_type="user", object_id=user.pk)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # The username is recorded (it is what a lockout is about); the password never is.
    audit_record(
        actor=None,
        action="auth.login_failed",
        result=AuditResult.FAILED,
        username=str(credentials.get("username", ""))[:150],
        detail={"step": str(credentials.get("step", "password"))[:16]},
    )


@receiver(user_locked_out)
def on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    audit_record(
        actor=None,
        action="auth.locked_out",
        result=AuditResult.DENIED,
        username=str(username or "")[:150],
        ip_address=ip_address,
    )
