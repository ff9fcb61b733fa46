"""Scope primitives: who may see what, by materialised path.

Every org unit has a path of codes (`/330500000000/330521000000/.../`). An actor's roles are bound
to units; the actor sees each unit's subtree. Selectors filter with `scope_q`; a single object out
of scope is reported as NotFound (404), never as a denial that would confirm it exists.
"""

from dataclasses import dataclass, field

from django.db.models import Q

from .errors import NotFound


@dataclass(frozen=True)
class Actor:
    """Who is acting: the user plus (role, unit path) pairs, resolved once per request."""

    user: object | None
    grants: tuple[tuple[str, str], ...] = ()  # (role, path)
    is_resident: bool = False
    extra: dict = field(default_factory=dict, compare=False)

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
