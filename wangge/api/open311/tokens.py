"""GET tokens/{token}: the service_request_id behind a token (GeoReport v2).

Our POST answers with the service_request_id at once, so a client never has to wait for one;
when it sent an idempotency key, the answer also carries a token, and that token resolves here
for as long as the case exists. The token is the key as stored on the case
("open311:<client>:<key>"), so one client's key can never be taken for another's. A client that
gives its api_key may also ask with its own key as it sent it.
"""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from .auth import open311_client
from .selectors import open311_token_case
from .serializers import render, render_error, unknown_format, wrong_method

KEY_PREFIX = "open311:"


def open311_token(client_pk: int, key: str) -> str:
    """The token of a request posted by client `client_pk` with idempotency key `key`; also the
    idempotency key stored on the case."""
    return f"{KEY_PREFIX}{client_pk}:{key}"


def token_detail(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    if (bad := unknown_format(fmt)) is not None:
        return bad
    if request.method not in ("GET", "HEAD"):
        return wrong_method(request, fmt)
    stored = token if token.startswith(KEY_PREFIX) else None
    client = open311_client(request.GET.get("api_key"))
    if stored is None and client is not None:
        stored = open311_token(client.pk, token)
    case = open311_token_case(stored) if stored else None
    if case is None:
        return render_error(404, _("token %(token)s not found.") % {"token": token}, fmt)
    return render(
        [{"service_request_id": case.number, "token": token}], fmt, root="service_requests"
    )
