"""Who is asking: the client's network address, trusting a proxy only where it is configured.

Behind nginx or a load balancer REMOTE_ADDR is the proxy's address and the client's is in
X-Forwarded-For. That header is whatever the sender wrote, so it is believed only when the
request comes from a configured proxy (WANGGE_TRUSTED_PROXIES), and then only up to the first
hop that is not itself a trusted proxy: read from the right, each trusted proxy appended the
address it saw, and the first address that is not one of ours is the client (anything further
left was written by the client and proves nothing).
"""

import ipaddress
from functools import cache

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@cache
def _networks(configured: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(
        ipaddress.ip_network(item.strip(), strict=False) for item in configured if item.strip()
    )


def networks_of(entries) -> tuple[Network, ...]:
    """Addresses or CIDR networks ("10.0.0.0/8, 127.0.0.1") as networks."""
    return _networks(tuple(entries))


def trusted_networks() -> tuple[Network, ...]:
    return networks_of(getattr(settings, "WANGGE_TRUSTED_PROXIES", ()))


def _parse(value: str) -> Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:51234"
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)


def client_from(remote_addr: str, forwarded_for: str, networks: tuple[Network, ...]) -> str:
    """The client's address from the peer's address and its X-Forwarded-For header, believing the
    header only as far as `networks` (the trusted proxies) vouch for it; "unknown" without a peer
    address (a Unix socket)."""
    remote = _parse(remote_addr or "")
    if remote is None:
        return "unknown"
    if not networks or not _trusted(remote, networks):
        return str(remote)
    nearest = remote
    for hop in reversed((forwarded_for or "").split(",")):
        address = _parse(hop)
        if address is None:
            # A hop we cannot read: stop at the last address a trusted proxy vouched for.
            return str(nearest)
        if not _trusted(address, networks):
            return str(address)
        nearest = address
    return str(nearest)


def client_address(request) -> str:
    """The client's address as text. Behind the WSGI wrapper (config/proxy.py) REMOTE_ADDR is
    the client already; the same rule here keeps requests that bypass it (tests, ASGI) right."""
    meta = request.META
    return client_from(
        meta.get("REMOTE_ADDR") or "", meta.get("HTTP_X_FORWARDED_FOR") or "", trusted_networks()
    )
