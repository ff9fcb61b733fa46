"""Errors under /api/ and /open311/ are never HTML: JSON (or Open311's own body) with a code,
a message naming the rule and, where there is one, the field.

Two places catch them. NinjaAPI's exception handlers (api/v1.py) see everything raised inside
an /api/v1/ operation. Django's handler400/403/404/500 (config/urls.py, set to the functions
here) see what escapes everything else: an unknown URL, a body Django refuses to read before
any view runs, an unexpected error; for pages they answer Django's usual pages. A busy database
(see core/busy.py) is 503 with Retry-After everywhere.
"""

import logging
import re
import sys

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import DataError
from django.http import HttpResponse, JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from django.views import defaults

from wangge.core.busy import database_busy, retry_after_seconds
from wangge.core.views.errors import server_error as page_server_error

from .open311.serializers import FORMATS, render_error

logger = logging.getLogger("wangge.api")
API_PREFIX = "/api/"
OPEN311_PREFIX = "/open311/"
OPEN311_FORMAT = re.compile(r"\.(json|xml)$")


def error_body(code: str, message: str, field: str | None = None, **extra) -> dict:
    return {"code": code, "message": message, "field": field, **extra}


def open311_format(request) -> str:
    found = OPEN311_FORMAT.search(request.path)
    return found.group(1) if found and found.group(1) in FORMATS else "json"


def _machine(request) -> str | None:
    path = getattr(request, "path", "")
    if path.startswith(OPEN311_PREFIX):
        return "open311"
    if path.startswith(API_PREFIX):
        return "api"
    return None


def _answer(request, status: int, code: str, message: str, field: str | None = None):
    """The error in the format of the part of the site that was asked; None for pages."""
    kind = _machine(request)
    if kind == "open311":
        response = render_error(status, message, open311_format(request))
    elif kind == "api":
        response = JsonResponse(error_body(code, message, field), status=status)
    else:
        return None
    if status == 503:
        response["Retry-After"] = str(retry_after_seconds())
    return response


def refused_body(exc: BaseException) -> tuple[int, str, str, str | None] | None:
    """(status, code, message, field) for a request refused for its own fault, else None."""
    if isinstance(exc, RequestDataTooBig):
        return 413, "too_large", _("request: the body is larger than this server accepts."), None
    if isinstance(exc, TooManyFieldsSent):
        return 400, "too_many_fields", _("request: too many fields."), None
    if isinstance(exc, (OverflowError, DataError)):
        # A number past what the database column holds (an id with 30 digits): the sender's.
        return 400, "out_of_range", _("request: a number is out of range."), None
    if isinstance(exc, ValueError) and "NUL (0x00)" in str(exc):
        # PostgreSQL cannot store NUL in text; psycopg refuses it before sending the query.
        return 400, "invalid_text", _("request: text must not contain NUL characters."), None
    if isinstance(exc, (MultiPartParserError, UnreadablePostError)):
        # Not SuspiciousOperation, so Django would answer 500: the body is the sender's fault.
        return 400, "malformed_body", _("request: the body could not be read."), None
    return None


def busy_body() -> tuple[int, str, str, None]:
    return 503, "busy", _("The system is busy; nothing was saved. Try again in a moment."), None


def unexpected_body() -> tuple[int, str, str, None]:
    return 500, "server_error", _("Something went wrong on our side; it has been logged."), None


def bad_request(request, exception=None) -> HttpResponse:
    refused = refused_body(exception) if exception is not None else None
    status, code, message, field = refused or (
        400,
        "bad_request",
        _("request: it could not be read."),
        None,
    )
    answer = _answer(request, status, code, message, field)
    return answer if answer is not None else defaults.bad_request(request, exception)


def permission_denied(request, exception=None) -> HttpResponse:
    answer = _answer(request, 403, "permission_denied", _("You may not do this."))
    return answer if answer is not None else defaults.permission_denied(request, exception)


def page_not_found(request, exception=None) -> HttpResponse:
    answer = _answer(request, 404, "not_found", _("Not found."))
    return answer if answer is not None else defaults.page_not_found(request, exception)


def server_error(request) -> HttpResponse:
    """Django calls handler500 inside the `except` of the failed request: sys.exc_info() is it."""
    error = sys.exc_info()[1]
    if isinstance(error, Exception) and (refused := refused_body(error)) is not None:
        answer = _answer(request, *refused)
        return answer if answer is not None else defaults.bad_request(request, error)
    body = busy_body() if database_busy(error) else unexpected_body()
    answer = _answer(request, *body)
    return answer if answer is not None else page_server_error(request)
