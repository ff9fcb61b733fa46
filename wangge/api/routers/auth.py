"""API sign-in: username, password (and TOTP code) for a bearer token; revoking it; who am I.

The password check goes through django.contrib.auth.authenticate with the request, so that
django-axes counts failures and refuses locked (username, address) pairs exactly as the sign-in
page does; a wrong TOTP code counts as a failure too.
"""

from datetime import datetime

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from wangge.core.accounts import (
    credentials_check,
    login_failure_record,
    login_locked,
    login_success_reset,
)
from wangge.core.reauth import fresh_seconds, reauthenticate
from wangge.core.tokens import api_token_issue, api_token_revoke
from wangge.core.twofactor import totp_device_for, totp_required, totp_verify
from wangge.orgs.accounts import role_grants_for

from ..auth import BearerToken

router = Router(tags=["auth"])


class TokenIn(Schema):
    username: str = Field(..., min_length=1, max_length=150)
    password: str = Field(..., min_length=1, max_length=256)
    totp_code: str | None = Field(None, max_length=12)


class TokenOut(Schema):
    token: str
    expires_at: datetime


class ReauthIn(Schema):
    password: str = Field(..., max_length=256)
    code: str | None = Field(None, max_length=12)


class ReauthOut(Schema):
    fresh_for_seconds: int


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None


class RoleOut(Schema):
    role: str
    org_unit_code: str
    org_unit_name: str


class MeOut(Schema):
    username: str
    display_name: str
    kind: str
    roles: list[RoleOut]


def _error(code: str, message: str, field: str | None = None) -> dict:
    return {"code": code, "message": message, "field": field}


def _locked(request, status: int = 429):
    # This answer replaces axes' HTML lockout page, which AxesMiddleware would otherwise render.
    request.axes_locked_out = False
    return status, _error(
        "locked_out",
        _(
            "This account is locked after too many failed attempts. Wait for the cool-off to end, "
            "or ask an admin to unlock it."
        ),
    )


@router.post(
    "/auth/token",
    auth=None,
    response={200: TokenOut, 401: ErrorOut, 429: ErrorOut},
    summary="Issue a bearer token",
)
def token_issue(request, payload: TokenIn):
    result = credentials_check(request, username=payload.username, password=payload.password)
    if result.locked:
        return _locked(request)
    if result.user is None:
        return 401, _error(
            "invalid_credentials", _("The username or password is not correct."), "password"
        )
    user = result.user
    if totp_required(user):
        if totp_device_for(user) is None:
            return 401, _error(
                "totp_required",
                _(
                    "Your role needs a second factor: sign in on "
                    "the web once to set up your authenticator."
                ),
                "totp_code",
            )
        if not payload.totp_code:
            return 401, _error(
                "totp_required",
                _("Enter the 6-digit code from your authenticator app."),
                "totp_code",
            )
        if login_locked(request, username=user.get_username()):
            return _locked(request)
        if totp_verify(user=user, code=payload.totp_code) is None:
            if login_failure_record(request, username=user.get_username(), step="totp"):
                return _locked(request)
            return 401, _error(
                "totp_invalid", _("The code is not correct or was used already."), "totp_code"
            )
    login_success_reset(request, username=user.get_username())
    raw, token = api_token_issue(user=user)
    return 200, {"token": raw, "expires_at": token.expires_at}


def _bearer(request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


@router.delete(
    "/auth/token",
    auth=[BearerToken()],
    response={204: None},
    summary="Revoke the token this request is made with",
)
def token_revoke(request):
    api_token_revoke(actor=request.user, raw=_bearer(request))
    return 204, None


@router.post(
    "/auth/reauthenticate",
    response={200: ReauthOut, 403: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Confirm the password (and TOTP code) again before a sensitive act",
)
def reauthenticate_endpoint(request, payload: ReauthIn):
    """Makes the credential of this request (its token or session) fresh for
    WANGGE_REVEAL_FRESH_SECONDS. A wrong password or code counts toward the lockout."""
    reauthenticate(user=request.user, request=request, password=payload.password, code=payload.code)
    return 200, {"fresh_for_seconds": fresh_seconds()}


@router.get("/auth/me", response=MeOut, summary="The signed-in user and their roles")
def me(request):
    user = request.user
    return {
        "username": user.get_username(),
        "display_name": user.display_name,
        "kind": user.kind,
        "roles": [
            {
                "role": grant.role,
                "org_unit_code": grant.org_unit_code,
                "org_unit_name": grant.org_unit_name,
            }
            for grant in role_grants_for(user)
        ],
    }
