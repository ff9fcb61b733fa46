"""The v1 API: one NinjaAPI, routers per area, and one error shape for every 4xx.

Every 4xx answers {"code": ..., "message": ..., "field": ...}: services raise core.errors,
ninja's own validation and auth failures are mapped here to the same body.
"""

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from wangge.core.busy import database_busy, retry_after_seconds
from wangge.core.denials import denial_record
from wangge.core.errors import RateLimited, WanggeError

from .auth import API_AUTH
from .errors import busy_body, error_body, logger, refused_body, unexpected_body

api = NinjaAPI(
    title="Wangge API",
    version="1",
    urls_namespace="api-v1",
    auth=API_AUTH,
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(WanggeError)
def on_wangge_error(request, exc: WanggeError):
    denial_record(request=request, exc=exc)  # NotFound and PermissionDenied go to the audit trail
    response = api.create_response(request, exc.as_dict(), status=exc.status)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(NinjaValidationError)
def on_validation_error(request, exc: NinjaValidationError):
    first = exc.errors[0] if exc.errors else {}
    location = [
        str(part) for part in first.get("loc", ()) if part not in ("query", "body", "path", "form")
    ]
    field = ".".join(location) or None
    message = _("%(field)s: %(rule)s") % {
        "field": field or _("request"),
        "rule": first.get("msg", ""),
    }
    return api.create_response(
        request, error_body("validation_error", message, field, errors=exc.errors), status=422
    )


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return api.create_response(
        request,
        error_body("not_authenticated", _("Sign in or send a valid bearer token.")),
        status=401,
    )


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return api.create_response(request, error_body("not_found", _("Not found.")), status=404)


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return api.create_response(
        request, error_body("http_error", str(exc.message)), status=exc.status_code
    )


@api.exception_handler(Exception)
def on_unexpected(request, exc: Exception):
    """Whatever else escapes an operation is still JSON, never Django's HTML page: a body too
    large to read (413), a busy database (503 with Retry-After), or a logged 500."""
    if database_busy(exc):
        status, code, message, field = busy_body()
    elif (refused := refused_body(exc)) is not None:
        status, code, message, field = refused
    else:
        logger.error("Unexpected error in %s", request.path, exc_info=exc)
        status, code, message, field = unexpected_body()
    response = api.create_response(request, error_body(code, message, field), status=status)
    if status == 503:
        response["Retry-After"] = str(retry_after_seconds())
    return response


def register_routers() -> None:
    """Routers are added here, one module per area, so this file stays the single assembly point."""
    from .routers import ROUTERS

    for prefix, router in ROUTERS:
        api.add_router(prefix, router)


register_routers()
