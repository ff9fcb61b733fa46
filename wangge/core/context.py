"""The current request's client address, so the audit trail can record it without passing it on."""

from contextvars import ContextVar

from .clients import client_address

current_ip: ContextVar[str | None] = ContextVar("wangge_current_ip", default=None)


def client_ip(request) -> str | None:
    # X-Forwarded-For counts only from a configured proxy (see clients.py, docs/operations.md).
    address = client_address(request)
    return None if address == "unknown" else address
