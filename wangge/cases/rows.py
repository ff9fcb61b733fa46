"""The pieces every case write shares: the locked row, the version check, the state error."""

from django.utils.translation import gettext as _

from wangge.core.errors import Conflict, ValidationFailed

from .enums import CaseState
from .models import Case
from .permissions import case_not_found


def locked_case(number: str) -> Case:
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("category", "handler_unit")
        .filter(number=number)
        .first()
    )
    if case is None:
        raise case_not_found(number)
    return case


def require_version(case: Case, version: int | None) -> None:
    if version is not None and case.version != version:
        raise Conflict(
            _("Someone else changed case %(number)s first; reload it and try again.")
            % {"number": case.number},
            code="version_conflict",
            field="version",
            detail={"version": case.version},
        )


def invalid_transition(case: Case, action: str) -> ValidationFailed:
    return ValidationFailed(
        _("A case in the state “%(state)s” cannot be given the action %(action)s.")
        % {"state": CaseState(case.state).label, "action": action},
        code="invalid_transition",
        field="state",
        detail={"state": case.state, "action": action},
    )
