"""What every portal page shares: plain-language state and step labels, and never caching."""

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wangge.cases.enums import CaseState

# Plain words for a resident (the staff pages use the workflow's own names).
RESIDENT_STATE_LABELS: dict[str, object] = {
    CaseState.REPORTED: _("Received, waiting to be accepted"),
    CaseState.ACCEPTED: _("Accepted"),
    CaseState.REJECTED: _("Not taken up"),
    CaseState.MERGED: _("Joined with an earlier report of the same problem"),
    CaseState.DISPATCHED: _("Being handled"),
    CaseState.IN_PROGRESS: _("Being handled"),
    CaseState.PAUSED: _("Being handled (waiting)"),
    CaseState.HANDLED: _("Handled, being checked"),
    CaseState.VERIFIED: _("Checked, about to be closed"),
    CaseState.CLOSED: _("Done"),
    CaseState.RATED: _("Done and rated"),
}

STEP_LABELS = {
    "report": _("Report received"),
    "accept": _("Accepted"),
    "reject": _("Not taken up"),
    "merge": _("Joined with an earlier report"),
    "escalate": _("Passed to the street office"),
    "dispatch": _("Sent to the unit that handles it"),
    "start": _("Work started"),
    "return": _("Sent back for the right unit"),
    "pause": _("Waiting"),
    "resume": _("Work continued"),
    "handle": _("Handled"),
    "verify": _("Checked on site"),
    "rework": _("Sent back to be done again"),
    "close": pgettext_lazy("case state", "Closed"),
    "rate": _("Rated by the reporter"),
    "reopen": _("Reopened by the reporter"),
    "urge": _("Urged to hurry"),
}


def state_label(state: str) -> str:
    return str(RESIDENT_STATE_LABELS.get(state, state))


def step_label(action: str) -> str:
    return str(STEP_LABELS.get(action, _("Updated")))


def no_store(response: HttpResponse) -> HttpResponse:
    # Residents' own reports and typed-in places must not stay in a shared cache.
    response["Cache-Control"] = "no-store"
    return response


def too_many(response: HttpResponse, refusal) -> HttpResponse:
    """A 429 page for a rate-limit refusal (wangge.core.ratelimits), saying when to come back."""
    response.status_code = 429
    response["Retry-After"] = str(refusal.retry_after)
    return no_store(response)
