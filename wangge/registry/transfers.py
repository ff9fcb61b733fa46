"""Transfer requests (人员转入): a person registered elsewhere moves into the requester's area.

A grid worker who meets a newcomer whose ID number is already registered out of their sight
(the neutral answer of id_probes.py) asks for a transfer with the ID number, a reason and the
target household or grid. The requester learns nothing more about the person: not their place
and not their name; their own list shows the masked ID number, the target and the decision.

Who decides: there is no separate register-administrator role, so it is an admin (Role.ADMIN)
whose unit covers both the person's current place and the target: the admins of the lowest unit
above both (`common_path`) or of any unit above it. They are told in the app, see both places,
and on approval the person moves through the ordinary services (person_household_set or
person_grid_set, which keep the history and the grid counts); the requester is told the outcome.
"""

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.crypto import id_number_index, normalize_id_number
from wangge.core.errors import Conflict, NotFound, ValidationFailed
from wangge.core.scope import path_in_scope, scope_q
from wangge.notifications.models import Channel
from wangge.notifications.services import Message, notification_enqueue, site_language
from wangge.orgs.enums import GRID_KINDS, Role
from wangge.orgs.models import OrgUnit, RoleAssignment
from wangge.orgs.permissions import is_system

from .enums import ImportKind, TransferState
from .id_probes import TransferRequired, id_probe_allowance_check, id_probe_count
from .identity import id_number_problem, masked_identifiers
from .models import Household, Person, PersonTransfer
from .permissions import (
    audit_register,
    record_not_found,
    register_paths,
    require_register_write,
)
from .person_rules import person_clean
from .services import person_grid_set, person_household_set

REASON_MIN, REASON_MAX = 4, 200


def common_path(first: str, second: str) -> str:
    """The path of the lowest unit above (or equal to) both paths; "/" when they share none."""
    shared: list[str] = []
    for a, b in zip(first.strip("/").split("/"), second.strip("/").split("/"), strict=False):
        if a != b or not a:
            break
        shared.append(a)
    return "/" + "".join(f"{code}/" for code in shared)


def decider_paths(actor) -> tuple[str, ...]:
    return ("/",) if is_system(actor) else actor.paths(Role.ADMIN)


def _not_found(transfer_id) -> NotFound:
    return NotFound(
        _("Transfer request not found."),
        field="id",
        detail={"object_type": "registry.person_transfer", "object_id": str(transfer_id)},
    )


def _target(actor, household_id: int | None, grid_code: str | None):
    """(household or None, grid) where the person is to live, in the actor's writable area."""
    if household_id is not None:
        household = Household.objects.select_related("grid").filter(pk=household_id).first()
        if household is None:  # like one out of scope: NotFound
            raise record_not_found("household", household_id)
        require_register_write(
            actor, object_type="household", object_id=household_id, path=household.path
        )
        return household, household.grid
    if grid_code:
        grid = OrgUnit.objects.filter(code=grid_code, kind__in=GRID_KINDS, is_active=True).first()
        if grid is None:
            raise ValidationFailed(
                _("Grid %(code)s not found.") % {"code": grid_code},
                code="not_found",
                field="grid",
            )
        require_register_write(actor, object_type="grid", object_id=grid_code, path=grid.path)
        return None, grid
    raise ValidationFailed(
        _("Choose the household or the grid the person moves into."),
        code="required",
        field="household",
    )


def _reason(text: str, field: str = "reason") -> str:
    text = (text or "").strip()
    if not REASON_MIN <= len(text) <= REASON_MAX:
        raise ValidationFailed(
            _("Give the reason in %(min)d to %(max)d characters.")
            % {"min": REASON_MIN, "max": REASON_MAX},
            code="required",
            field=field,
        )
    return text


def _notify(recipients, *, transfer: PersonTransfer, title: str, link: str) -> None:
    notification_enqueue(
        Message(
            channel=Channel.IN_APP,
            kind="person_transfer",
            title=title,
            link=link,
            recipient_id=user_id,
            object_type="registry.person_transfer",
            object_id=str(transfer.pk),
        )
        for user_id in sorted(set(recipients))
    )


def _deciders(path: str) -> list[int]:
    """The admins of the lowest unit at or above `path` that has any."""
    rows = RoleAssignment.objects.filter(role=Role.ADMIN, user__is_active=True).values_list(
        "user_id", "org_unit__path"
    )
    above = [(unit_path, user_id) for user_id, unit_path in rows if path.startswith(unit_path)]
    if not above:
        return []
    lowest = max(len(unit_path) for unit_path, _user in above)
    return [user_id for unit_path, user_id in above if len(unit_path) == lowest]


def person_transfer_request(
    *,
    actor,
    id_number: str,
    reason: str,
    household_id: int | None = None,
    grid_code: str | None = None,
    relationship: str = "",
) -> PersonTransfer:
    """Ask that the person with this ID number move into the actor's household or grid.

    Filing one tells the actor that the number is registered, so it counts against the same
    allowance as the neutral answer (id_probes.py); it is checked before anything is looked up.
    """
    id_probe_allowance_check(actor, source="transfer_request")
    transfer = _person_transfer_request(
        actor=actor,
        id_number=id_number,
        reason=reason,
        household_id=household_id,
        grid_code=grid_code,
        relationship=relationship,
    )
    id_probe_count(actor)
    return transfer


@transaction.atomic
def _person_transfer_request(
    *, actor, id_number, reason, household_id, grid_code, relationship
) -> PersonTransfer:
    number = normalize_id_number(str(id_number or ""))
    if problem := (id_number_problem(number) if number else _("Enter the person's ID number.")):
        raise ValidationFailed(problem, code="invalid", field="id_number")
    reason = _reason(reason)
    household, grid = _target(actor, household_id, grid_code)
    if relationship and household is None:
        relationship = ""  # a relationship is to a household's head
    if relationship:
        relationship = person_clean({"relationship": relationship}, creating=False)["relationship"]
    person = Person.objects.filter(
        id_number_index=id_number_index(number), archived_at__isnull=True
    ).first()
    if person is None:
        raise ValidationFailed(
            _("No one with this ID number is in the register: add the person directly."),
            code="not_registered",
            field="id_number",
        )
    if path_in_scope(person.path, register_paths(actor)):
        raise ValidationFailed(
            _("This person is already in your area: change their household on their page."),
            code="in_your_area",
            field="id_number",
        )
    to_path = household.path if household is not None else grid.path
    now = timezone.now()
    try:
        with transaction.atomic():
            transfer = PersonTransfer.objects.create(
                person=person,
                from_path=person.path,
                to_path=to_path,
                common_path=common_path(person.path, to_path),
                target_household=household,
                target_grid=grid,
                relationship=relationship,
                reason=reason,
                requested_by=actor.user,
                requested_at=now,
            )
    except IntegrityError:
        raise Conflict(
            _("You have already asked for this person's transfer; wait for the decision."),
            code="transfer_pending",
            field="id_number",
        ) from None
    # Recorded on the requester's side; the person's place is in the row, not in the trail.
    audit_register(
        actor,
        "registry.person_transfer_request",
        object_type="person_transfer",
        object_id=transfer.pk,
        path=to_path,
        detail={"target": "household" if household else "grid", "reason": reason},
    )
    with site_language():
        _notify(
            _deciders(transfer.common_path),
            transfer=transfer,
            title=_("A transfer request (人员转入) is waiting for your decision."),
            link=reverse("registry_transfers"),
        )
    return transfer


@transaction.atomic
def person_transfer_decide(
    *, actor, transfer_id: int, approve: bool, note: str = ""
) -> PersonTransfer:
    """Approve (the person moves) or reject (a note says why) a pending transfer request."""
    transfer = (
        PersonTransfer.objects.select_for_update()
        .select_related("person", "target_grid")
        .filter(pk=transfer_id)
        .first()
    )
    deciding = decider_paths(actor)
    if transfer is None or not path_in_scope(transfer.common_path, deciding):
        raise _not_found(transfer_id)
    if transfer.state != TransferState.PENDING:
        raise Conflict(
            _("This request has been decided already."), code="already_decided", field="id"
        )
    note = (note or "").strip()
    if len(note) > REASON_MAX:
        raise ValidationFailed(
            _("The note may have at most %(max)d characters.") % {"max": REASON_MAX},
            code="too_long",
            field="note",
        )
    if not approve and not note:
        raise ValidationFailed(
            _("Say why the request is rejected; the requester reads it."),
            code="required",
            field="note",
        )
    person = transfer.person
    now = timezone.now()
    if approve:
        if person.archived_at is not None or not path_in_scope(person.path, deciding):
            raise Conflict(
                _("The person is no longer where they were asked for; reject this request."),
                code="person_moved",
                field="id",
            )
        if transfer.target_household_id is not None:
            person_household_set(
                actor=actor,
                person_id=person.id,
                version=None,
                household_id=transfer.target_household_id,
                relationship=transfer.relationship,
            )
        else:
            person_grid_set(
                actor=actor, person_id=person.id, version=None, grid_code=transfer.target_grid.code
            )
    transfer.state = TransferState.APPROVED if approve else TransferState.REJECTED
    transfer.decided_by = actor.user
    transfer.decided_at = now
    transfer.decision_note = note
    transfer.save()
    told = [transfer]
    if approve:
        # Other open requests for the same person cannot be met any more.
        others = list(
            PersonTransfer.objects.select_for_update().filter(
                person=person, state=TransferState.PENDING
            )
        )
        for other in others:
            other.state = TransferState.REJECTED
            other.decided_by, other.decided_at = actor.user, now
            other.decision_note = _("Another request for this person was approved.")
            other.save()
        told += others
    audit_register(
        actor,
        "registry.person_transfer_decide",
        object_type="person_transfer",
        object_id=transfer.pk,
        path=transfer.common_path,
        detail={"approved": approve, "person": person.id, "closed_others": len(told) - 1},
    )
    with site_language():
        for each in told:
            _notify(
                [each.requested_by_id],
                transfer=each,
                title=(
                    _("Your transfer request was approved.")
                    if each.state == TransferState.APPROVED
                    else _("Your transfer request was rejected.")
                ),
                link=reverse("registry_transfers_mine"),
            )
    return transfer


# --- from an import ---------------------------------------------------------------------------


def person_transfers_from_import(*, actor, job_id: int, reason: str) -> dict:
    """One action for a checked persons file: a transfer request for every row that got the
    neutral answer, into that row's household (which must already be in the import's area).

    Those rows were counted as probes when the file was checked, and the ID numbers come from the
    stored file, not from new input, so these requests count none again. Returns the rows asked
    for and the rows skipped, each with the rule that stopped it.
    """
    from .importing import cells
    from .importing.columns import PERSON_COLUMNS
    from .importing.jobs import import_job_get, job_content, job_errors
    from .importing.reader import open_table

    job = import_job_get(actor=actor, job_id=job_id)
    wanted = {e["row"] for e in job_errors(job) if e["code"] == TransferRequired.code}
    if job.kind != ImportKind.PERSONS or not wanted:
        raise ValidationFailed(
            _("No row of this file needs a transfer request."), code="nothing_to_do", field="job"
        )
    reason = _reason(reason)
    table = open_table(job.file_name, job_content(job), PERSON_COLUMNS)

    def cell(row: list, key: str) -> str:
        position = table.positions.get(key)
        value = row[position] if position is not None and position < len(row) else None
        return "" if value is None else str(value).strip()

    requested: list[int] = []
    skipped: list[dict] = []
    for number, row in table.rows:
        if number not in wanted:
            continue
        household = Household.objects.filter(
            number=cell(row, "household_number"), path__startswith=job.org_unit.path
        ).first()
        if household is None:
            skipped.append(
                {
                    "row": number,
                    "code": "household_not_found",
                    "message": _("the household is not in your register yet; add it first"),
                }
            )
            continue
        try:
            relationship = cells.relationship(cell(row, "relationship")) or ""
        except cells.CellProblem:
            relationship = ""
        try:
            _person_transfer_request(
                actor=actor,
                id_number=cell(row, "id_number"),
                reason=reason,
                household_id=household.id,
                grid_code=None,
                relationship=relationship,
            )
        except (ValidationFailed, Conflict) as exc:
            skipped.append({"row": number, "code": exc.code, "message": str(exc.message)})
        else:
            requested.append(number)
    return {"requested": requested, "skipped": skipped}


# --- reading ----------------------------------------------------------------------------------


def _place_name(path: str, names: dict[str, str]) -> str:
    code = path.rstrip("/").rsplit("/", 1)[-1]
    return names.get(code, code)


def _unit_names(paths) -> dict[str, str]:
    codes = {path.rstrip("/").rsplit("/", 1)[-1] for path in paths}
    return dict(OrgUnit.objects.filter(code__in=codes).values_list("code", "name"))


def person_transfer_list(*, actor, pending_only: bool = True, limit: int = 200) -> list[dict]:
    """Requests the actor decides (admins of a unit covering both places), oldest first."""
    deciding = decider_paths(actor)
    if not deciding:
        raise NotFound(_("Page not found."))
    rows = (
        PersonTransfer.objects.filter(scope_q(deciding, "common_path"))
        .select_related("person", "target_household", "target_grid", "requested_by")
        .order_by("requested_at", "pk")
    )
    if pending_only:
        rows = rows.filter(state=TransferState.PENDING)
    transfers = list(rows[:limit])
    names = _unit_names([t.from_path for t in transfers])
    return [
        {
            "id": t.pk,
            "state": t.state,
            "state_label": t.get_state_display(),
            "person_id": t.person_id,
            "person_name": t.person.name,
            "id_number_masked": masked_identifiers(t.person, ("id_number",))["id_number"],
            "from_place": _place_name(t.from_path, names),
            "to_grid": t.target_grid.name,
            "to_household": t.target_household.number if t.target_household else "",
            "requested_by": t.requested_by.display_name or t.requested_by.get_username(),
            "requested_at": t.requested_at,
            "reason": t.reason,
        }
        for t in transfers
    ]


def person_transfer_mine(*, actor, limit: int = 100) -> list[dict]:
    """The actor's own requests, newest first: never where the person lives, nor who they are."""
    user = getattr(actor, "user", None)
    if user is None:
        return []
    rows = (
        PersonTransfer.objects.filter(requested_by=user)
        .select_related("person", "target_household", "target_grid")
        .order_by("-requested_at", "-pk")[:limit]
    )
    return [
        {
            "id": t.pk,
            "state": t.state,
            "state_label": t.get_state_display(),
            "id_number_masked": masked_identifiers(t.person, ("id_number",))["id_number"],
            "to_grid": t.target_grid.name,
            "to_household": t.target_household.number if t.target_household else "",
            "requested_at": t.requested_at,
            "decided_at": t.decided_at,
            "decision_note": t.decision_note,
        }
        for t in rows
    ]
