"""Request-wide plumbing: client address for the audit trail, the session's absolute lifetime,
and service errors turned into status pages."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import render

from .context import client_ip, current_ip
from .denials import denial_record
from .errors import RateLimited, WanggeError

SESSION_STARTED_KEY = "wangge_started_at"


class SessionLifetimeMiddleware:
    """Ends a session older than SESSION_ABSOLUTE_LIFETIME, however active it has been.

    The idle timeout needs no code: the session cookie lives SESSION_IDLE_TIMEOUT seconds and is
    renewed on every request (SESSION_SAVE_EVERY_REQUEST).
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        token = current_ip.set(client_ip(request))
        try:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                started = request.session.get(SESSION_STARTED_KEY)
                now = time.time()
                if started is None:
                    request.session[SESSION_STARTED_KEY] = now
                elif now - started > settings.SESSION_ABSOLUTE_LIFETIME:
                    logout(request)
            return self.get_response(request)
        finally:
            current_ip.reset(token)


class WanggeErrorMiddleware:
    """Turns a service error that escaped a page view into its status page, auditing denials.

    NotFound renders 404.html and PermissionDenied 403.html (the same pages Django uses), so an
    out-of-scope object looks exactly like a missing one; a conflict or a validation failure
    renders its message. The API has its own handlers (wangge/api/v1.py).
    """

    TEMPLATES = {404: "404.html", 403: "403.html"}

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, WanggeError):
            return None
        denial_record(request=request, exc=exception)
        template = self.TEMPLATES.get(exception.status, "core/error.html")
        response = render(
            request,
            template,
            {"error": exception, "status": exception.status},
            status=exception.status,
        )
        if isinstance(exception, RateLimited):
            response["Retry-After"] = str(exception.retry_after)
        return response


class ServerTimingMiddleware:
    """Adds `Server-Timing: app;dur=<ms>`: the time Django spent on the request, for browsers'
    dev tools, the load balancer's logs and the benchmarks (which report server time)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.3f}"
        return response
