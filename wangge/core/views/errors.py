"""Error pages that Django's defaults do not have: a busy database is 503, not 500."""

import sys

from django.http import HttpResponse
from django.template import loader
from django.views import defaults

from ..busy import database_busy, retry_after_seconds


def busy_page() -> HttpResponse:
    # No request context: rendering must not touch the database that is busy.
    response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(retry_after_seconds())
    return response


def server_error(request) -> HttpResponse:
    """handler500 for pages: Django calls it inside the `except` of the failed request."""
    if database_busy(sys.exc_info()[1]):
        return busy_page()
    return defaults.server_error(request)
