"""Recording denials: every NotFound and PermissionDenied that reaches a page or the API.

Out-of-scope objects answer NotFound, so a run of them from one account is what probing looks
like; the auditor sees it as `access.denied` rows. The row names the object only by the type
and id a service put in the error's detail, the view that refused, and the error code: never the
URL's query string or any value the user typed.
"""

from .audit import audit_record
from .errors import NotFound, PermissionDenied, WanggeError
from .models import AuditResult

DENIALS = (NotFound, PermissionDenied)


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
