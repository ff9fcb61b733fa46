"""REMOTE_ADDR behind the reverse proxy: the client's address, not the proxy's.

Lockout (django-axes), rate limits, the audit trail and the /metrics allow-list all read
REMOTE_ADDR. Behind nginx that is nginx's own address, so every client would share one lockout
and one rate limit. For a request whose peer is in WANGGE_TRUSTED_PROXIES (addresses or
networks), this WSGI wrapper puts the client's address into REMOTE_ADDR, by the one rule of
`wangge.core.clients.client_from` (the right-most X-Forwarded-For hop that is not a trusted
proxy; deploy/nginx/wangge.conf overwrites the header with $remote_addr, so a client cannot
plant one). From any other peer the header is ignored. Hand-written rather than Werkzeug's
ProxyFix: see docs/decisions/0008-prod-serving.md.
"""

from collections.abc import Callable

from wangge.core.clients import Network, client_from, networks_of

parse_networks = networks_of


class TrustedProxyMiddleware:
    def __init__(self, app: Callable, trusted: tuple[Network, ...]) -> None:
        self.app = app
        self.trusted = trusted

    def __call__(self, environ: dict, start_response: Callable):
        remote = environ.get("REMOTE_ADDR", "")
        forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded and self.trusted:
            client = client_from(remote, forwarded, self.trusted)
            if client not in (remote, "unknown"):
                environ["wangge.proxy_addr"] = remote
                environ["REMOTE_ADDR"] = client
        return self.app(environ, start_response)
