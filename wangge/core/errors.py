"""Errors that services raise and that pages and the API turn into messages.

Each carries a stable `code`, a translated `message` that names the rule, and the `field` it
concerns, which is exactly the API's 4xx body: {"code": ..., "message": ..., "field": ...}.
"""

from typing import Any


class WanggeError(Exception):
    status = 400
    code = "error"
    # Set once the denial is in the audit trail, so that no later layer writes it again.
    audited = False

    def __init__(
        self,
        message: Any,
        *,
        code: str | None = None,
        field: str | None = None,
        detail: dict | None = None,
    ) -> None:
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code
        self.field = field
        self.detail = detail or {}

    def as_dict(self) -> dict:
        body: dict[str, Any] = {
            "code": self.code,
            "message": str(self.message),
            "field": self.field,
        }
        if self.detail:
            body["detail"] = self.detail
        return body


class ValidationFailed(WanggeError):
    status = 422
    code = "invalid"


class NotFound(WanggeError):
    """Also what an out-of-scope object looks like: never confirm that it exists."""

    status = 404
    code = "not_found"


class PermissionDenied(WanggeError):
    """The actor can see the object but may not do this to it."""

    status = 403
    code = "permission_denied"


class Conflict(WanggeError):
    """Someone else changed the object first (optimistic locking)."""

    status = 409
    code = "conflict"


class RateLimited(WanggeError):
    """The actor used up an allowance (the message names the rule and when to try again)."""

    status = 429
    code = "rate_limited"
