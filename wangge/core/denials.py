"""Recording denials, at two layers.

Services: a service marks the denial it raises (`mark_denial`: a scope miss, a missing role, a
refused target) and `denials_audited`, its outermost decorator, records it under the service's
own action after the service's transaction rolled back, for every caller (pages, API, tasks).

Pages and the API: every NotFound and PermissionDenied that reaches them is an `access.denied`
row unless a service has recorded it already. Out-of-scope objects answer NotFound, so a run of
them from one account is what probing looks like. The row names the object only by the type
and id a service put in the error's detail, the view that refused, and the error code: never the
URL's query string or any value the user typed.
"""

import functools
from contextvars import ContextVar
from typing import TypeVar

from .audit import audit_record
from .errors import NotFound, PermissionDenied, WanggeError
from .models import AuditResult

DENIALS = (NotFound, PermissionDenied)
SYSTEM_USERNAME = "system"

Error = TypeVar("Error", bound=WanggeError)


def mark_denial(exc: Error, *, object_type: str, object_id: str, path: str) -> Error:
    """Mark an error a service raises so that `denials_audited` records it as a denial of the
    object (the apps wrap this with their object type)."""
    exc.audit_target = (object_type, str(object_id), path)
    return exc


# How many audited services are running in this thread (or task): one inside another's
# transaction writes a row that rolls back with it.
_depth: ContextVar[int] = ContextVar("denials_audited_depth", default=0)


# Left untyped: pages and the API call services with **kwargs built at run time, which mypy
# would reject against the services' precise signatures if the wrapper kept them.
def denials_audited(action: str):
    """Record a marked denial under `action` once the service's transaction has rolled back:
    put it above @transaction.atomic, or the row would roll back with the service.

    A service called by another audited service records it too, but its row lives in the outer
    service's transaction: when the denial rolls that back as well, the outer service records
    it under its own action, so exactly one row stays. Only the outermost service marks the
    error as audited (then pages and the API write no `access.denied` row for it)."""

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            token = _depth.set(_depth.get() + 1)
            try:
                return func(*args, **kwargs)
            except WanggeError as exc:
                if exc.audit_target is not None and not exc.audited:
                    object_type, object_id, path = exc.audit_target
                    actor = kwargs.get("actor")
                    audit_record(
                        actor=actor,
                        action=action,
                        object_type=object_type,
                        object_id=object_id,
                        org_path=path,
                        result=AuditResult.DENIED,
                        detail={"reason": exc.code},
                        username=SYSTEM_USERNAME if getattr(actor, "is_system", False) else "",
                    )
                    exc.audited = _depth.get() == 1
                raise
            finally:
                _depth.reset(token)

        return wrapper

    return decorate


def denial_record(*, request, exc: WanggeError) -> None:
    if not isinstance(exc, DENIALS) or exc.audited:
        return
    match = getattr(request, "resolver_match", None)
    detail = {"code": exc.code, "status": exc.status, "method": request.method}
    if match is not None and match.view_name:
        detail["view"] = match.view_name[:100]
    audit_record(
        actor=getattr(request, "user", None),
        action="access.denied",
        object_type=str(exc.detail.get("object_type", ""))[:64],
        object_id=str(exc.detail.get("object_id", ""))[:64],
        result=AuditResult.DENIED,
        detail=detail,
    )
    exc.audited = True
