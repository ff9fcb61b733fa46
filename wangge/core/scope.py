"""Scope primitives: who may see what, by materialised path.

Every org unit has a path of codes (`/330500000000/330521000000/.../`). An actor's roles are bound
to units; the actor sees each unit's subtree. Selectors filter with `scope_q`; a single object out
of scope is reported as NotFound (404), never as a denial that would confirm it exists.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from .errors import NotFound


@dataclass(frozen=True)
class Actor:
    """Who is acting: the user plus (role, unit path) pairs, resolved once per request."""

    user: object | None
    grants: tuple[tuple[str, str], ...] = ()  # (role, path)
    is_resident: bool = False
    # The platform itself (commands, tasks, the demo): passes every permission check.
    is_system: bool = False
    extra: dict = field(default_factory=dict, compare=False)

    @classmethod
    def system(cls) -> "Actor":
        return cls(user=None, is_system=True)

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None and bool(getattr(self.user, "is_authenticated", False))

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(role for role, _ in self.grants)

    def has_role(self, *roles: str) -> bool:
        return any(role in roles for role, _ in self.grants)

    def paths(self, *roles: str) -> tuple[str, ...]:
        """Paths the actor sees, through any role or only through the roles named."""
        found = {path for role, path in self.grants if not roles or role in roles}
        return tuple(collapse_paths(found))


def collapse_paths(paths) -> list[str]:
    """Drop paths that lie under another path in the set (their subtree is already covered)."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(top) for top in kept):
            kept.append(path)
    return kept


def path_in_scope(path: str, paths) -> bool:
    return any(path.startswith(top) for top in paths)


def scope_q(paths, field_name: str = "path") -> Q:
    """A filter matching rows whose path lies in any of `paths`; matches nothing when empty."""
    query = Q(pk__in=[])
    for top in paths:
        query |= Q(**{f"{field_name}__startswith": top})
    return query


def require_in_scope(path: str, paths, *, what: str = "object") -> None:
    if not path_in_scope(path, paths):
        raise NotFound(f"{what} not found", code="not_found")


# Core cannot import orgs, where roles live, so orgs installs the resolver at start-up
# (OrgsConfig.ready sets it to wangge.orgs.actors.actor_for). Until then users have no grants.
ACTOR_RESOLVER: Callable[[Any], Actor] | None = None


def actor_for_user(user) -> Actor:
    """The scope Actor for a user: their grants when orgs is loaded, none otherwise."""
    if ACTOR_RESOLVER is not None:
        return ACTOR_RESOLVER(user)
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Actor(user=None)
    return Actor(user=user, is_resident=getattr(user, "kind", "") == "resident")


def request_actor(request) -> Actor:
    """The actor behind a page or API request, resolved once and kept on the request."""
    user = getattr(request, "user", None)
    cached = getattr(request, "_cached_actor", None)
    if cached is None or cached.user is not user:
        cached = actor_for_user(user)
        request._cached_actor = cached
    return cached
