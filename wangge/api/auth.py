"""API authentication: a bearer token (clients, mobile) or the page session (htmx, same origin)."""

from ninja.security import HttpBearer, SessionAuth

from wangge.core.tokens import api_token_user
from wangge.core.twofactor import totp_required


class BearerToken(HttpBearer):
    def authenticate(self, request, token: str):
        user = api_token_user(token)
        if user is None:
            return None
        # A token is issued only after the password and, where the role needs it, the TOTP code
        # were checked, so its bearer counts as verified for django-otp's is_verified().
        user.is_verified = lambda: True  # type: ignore[attr-defined]
        request.user = user
        return user


class StaffSession(SessionAuth):
    """Session auth (with Django's CSRF check on unsafe methods).

    A session whose user needs two factors counts only once the TOTP step was passed, so that a
    role granted after sign-in cannot be used through the API without the code.
    """

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user and totp_required(user) and not request.user.is_verified():
            return None
        return user


API_AUTH = [BearerToken(), StaffSession()]
