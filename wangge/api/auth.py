"""API authentication: a bearer token (clients, mobile) or the page session (htmx, same origin)."""

from ninja.security import HttpBearer, SessionAuth

from wangge.core.tokens import api_token_user


class BearerToken(HttpBearer):
    def authenticate(self, request, token: str):
        user = api_token_user(token)
        if user is None:
            return None
        request.user = user
        return user


class StaffSession(SessionAuth):
    """Session auth (with Django's CSRF check on unsafe methods)."""


API_AUTH = [BearerToken(), StaffSession()]
