"""The current request's client address, so the audit trail can record it without passing it on."""

from contextvars import ContextVar

current_ip: ContextVar[str | None] = ContextVar("wangge_current_ip", default=None)


def client_ip(request) -> str | None:
    # Behind a proxy the deployment sets REMOTE_ADDR correctly (see docs/operations.md).
    return request.META.get("REMOTE_ADDR") or None
