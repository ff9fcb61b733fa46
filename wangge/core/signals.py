"""Receivers for Django's auth signals: they only record what happened in the audit trail."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .audit import audit_record
from .models import AuditResult, UserSession


@receiver(user_logged_in)
def on_logged_in(sender, request, user, **kwargs) -> None:
    if request is not None and getattr(request, "session", None) is not None:
        if request.session.session_key is None:
            request.session.save()
        UserSession.objects.get_or_create(session_key=request.session.session_key,
                                          defaults={"user": user})
    audit_record(actor=user, action="auth.login", object_type="user", object_id=user.pk)


@receiver(user_logged_out)
def on_logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit_record(actor=user, action="auth.logout", object_type="user", object_id=user.pk)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # The username is recorded (it is what a lockout is about); the password never is.
    audit_record(actor=None, action="auth.login_failed", result=AuditResult.FAILED,
                 username=str(credentials.get("username", ""))[:150])
