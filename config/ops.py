"""The operations endpoints: /health/ (monitoring and load balancers) and /metrics (Prometheus).

Both are answered by `OpsEndpointsMiddleware`, placed before the session, locale, CSRF,
authentication and axes middleware: a probe every few seconds should cost two small queries,
not a session lookup and a language negotiation. They live in `config` because the checks come
from several apps (core may not import cases or notifications).

/health/ answers JSON with one word per check and nothing else: no host names, versions, error
texts or timings (the library logs the details). 200 when every check is "ok" or "warning",
503 when one is "error".

/metrics is not public: it answers only clients on loopback, in WANGGE_METRICS_ALLOWED
(addresses or networks, comma-separated) or presenting `Authorization: Bearer
<WANGGE_METRICS_TOKEN>`; everyone else gets a 404. The address is REMOTE_ADDR: the peer, or
behind a trusted proxy the client it names (config/proxy.py), so a client outside is never
taken for loopback; nginx refuses /metrics from outside anyway.
"""

import asyncio
import hmac
import ipaddress
from collections.abc import Callable

from asgiref.sync import async_to_sync
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers
from django_prometheus.exports import ExportToDjangoView
from health_check.exceptions import ServiceWarning
from health_check.views import HealthCheckView

from config.proxy import parse_networks

HEALTH_PATH = "/health/"
METRICS_PATH = "/metrics"

# The JSON names of the checks (stable for monitoring rules), by check class.
CHECK_NAMES = {
    "Database": "database",
    "Cache": "cache",
    "OutboxLag": "outbox",
    "SweepFreshness": "sweep",
}


class HealthView(HealthCheckView):
    checks = (
        "health_check.checks.Database",
        "health_check.checks.Cache",
        "wangge.notifications.health.OutboxLag",
        "wangge.cases.health.SweepFreshness",
    )

    async def get(self, request, *args, **kwargs):
        # Every Accept header gets the same terse JSON (the library's HTML and text pages
        # would show the checks' error messages).
        with self.get_executor() as executor:
            results = await asyncio.gather(
                *(check.get_result(executor) for check in self.get_checks())
            )
        states: dict[str, str] = {}
        for result in results:
            name = CHECK_NAMES[type(result.check).__name__]
            if result.error is None:
                states[name] = "ok"
            elif isinstance(result.error, ServiceWarning):
                states[name] = "warning"
            else:
                states[name] = "error"
        worst = next((level for level in ("error", "warning") if level in states.values()), "ok")
        status = 503 if worst == "error" else 200
        return JsonResponse({"status": worst, "checks": states}, status=status)


health_view = HealthView.as_view()


def metrics_allowed(request: HttpRequest) -> bool:
    token = getattr(settings, "WANGGE_METRICS_TOKEN", "")
    offered = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        return True
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    allowed = parse_networks(settings.WANGGE_METRICS_ALLOWED)
    return peer.is_loopback or any(peer in network for network in allowed)


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        return HttpResponse(status=404)
    return ExportToDjangoView(request)


class OpsEndpointsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.health = async_to_sync(health_view)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == HEALTH_PATH and request.method in ("GET", "HEAD"):
            response = self.health(request)
        elif request.path == METRICS_PATH and request.method == "GET":
            response = metrics_view(request)
        else:
            return self.get_response(request)
        add_never_cache_headers(response)
        return response
