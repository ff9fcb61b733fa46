"""Open311 api_key: an Open311 client is a staff account holding an API bearer token.

The client sends the raw token as `api_key` (the specification's name); it is checked like a
bearer token (hash lookup, not revoked, not expired, active user). Resident accounts also hold
tokens (the mobile app), but a resident is not an Open311 client, so their tokens are refused.
"""

from wangge.core.models import AccountKind, User
from wangge.core.tokens import api_token_user


def open311_client(api_key: str | None) -> User | None:
    """The client behind an api_key, or None when the key is missing, unknown or not a client's."""
    if not api_key:
        return None
    user = api_token_user(api_key)
    if user is None or user.kind != AccountKind.STAFF:
        return None
    # As with bearer tokens: the token was issued after every factor was checked.
    user.is_verified = lambda: True  # type: ignore[attr-defined]
    return user
