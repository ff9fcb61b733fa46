"""Request-wide plumbing: client address for the audit trail, and the session's absolute lifetime."""

import time

from django.conf import settings
from django.contrib.auth import logout

from .context import client_ip, current_ip

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
