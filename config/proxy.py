"""REMOTE_ADDR behind the reverse proxy: the client's address, not the proxy's.

Lockout (django-axes), rate limits, the audit trail and the /metrics allow-list all read
REMOTE_ADDR. Behind nginx that is nginx's own address, so every client would share one lockout
and one rate limit. For a request whose peer is in WANGGE_TRUSTED_PROXIES (addresses or
networks), this WSGI wrapper puts the last X-Forwarded-For entry into REMOTE_ADDR: the address
the trusted proxy itself saw (deploy/nginx/wangge.conf overwrites the header with
$remote_addr, so a client cannot plant one). From any other peer the header is ignored.
Hand-written rather than Werkzeug's ProxyFix: see docs/decisions/0004-prod-serving.md.
"""

import ipaddress
from collections.abc import Callable, Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> list[Network]:
    return [ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip()]


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


class TrustedProxyMiddleware:
    def __init__(self, app: Callable, trusted: list[Network]) -> None:
        self.app = app
        self.trusted = trusted

    def __call__(self, environ: dict, start_response: Callable):
        peer = _address(environ.get("REMOTE_ADDR", ""))
        forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
        if peer is not None and forwarded and any(peer in net for net in self.trusted):
            client = _address(forwarded.split(",")[-1])
            if client is not None:
                environ["wangge.proxy_addr"] = environ["REMOTE_ADDR"]
                environ["REMOTE_ADDR"] = str(client)
        return self.app(environ, start_response)
