"""Resolve a user into a scope Actor: their (role, unit path) grants, read once per request."""

from wangge.core.models import AccountKind
from wangge.core.scope import Actor

from .models import RoleAssignment


def actor_for(user) -> Actor:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Actor(user=None)
    if user.kind == AccountKind.RESIDENT:
        return Actor(user=user, is_resident=True)
    grants = tuple(
        RoleAssignment.objects.filter(user=user, org_unit__is_active=True)
        .order_by("org_unit__path", "role")
        .values_list("role", "org_unit__path")
    )
    return Actor(user=user, grants=grants)


def request_actor(request) -> Actor:
    """The actor behind a page or API request, resolved once and kept on the request."""
    cached = getattr(request, "_cached_actor", None)
    if cached is None or cached.user is not getattr(request, "user", None):
        cached = actor_for(getattr(request, "user", None))
        request._cached_actor = cached
    return cached
