"""Transfer requests (人员转入) of the register: ask, list (deciders and requesters), decide.

The ID number travels in the body only. A requester's answers never say where the person is;
only the admins whose unit covers both places (`GET /person-transfers`) see that.
"""

from datetime import datetime

from ninja import Field, Router, Schema

from wangge.orgs.actors import request_actor
from wangge.registry import transfers

from .orgs import ErrorOut

router = Router(tags=["registry"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class TransferIn(Schema):
    id_number: str = Field(..., max_length=18)
    reason: str = Field(..., max_length=200)
    household_id: int | None = None
    grid_code: str | None = Field(None, max_length=15)
    relationship: str = Field("", max_length=16)


class DecisionIn(Schema):
    approve: bool
    note: str = Field("", max_length=200)


class TransferOut(Schema):
    id: int
    state: str


class TransferMineOut(Schema):
    id: int
    state: str
    id_number_masked: str
    to_grid: str
    to_household: str
    requested_at: datetime
    decided_at: datetime | None = None
    decision_note: str


class TransferPendingOut(Schema):
    id: int
    state: str
    person_id: int
    person_name: str
    id_number_masked: str
    from_place: str
    to_grid: str
    to_household: str
    requested_by: str
    requested_at: datetime
    reason: str


@router.post("/person-transfers", response={201: TransferOut, **ERRORS})
def transfer_request(request, payload: TransferIn):
    """Ask that the person with this ID number move into your household or grid."""
    transfer = transfers.person_transfer_request(
        actor=request_actor(request),
        id_number=payload.id_number,
        reason=payload.reason,
        household_id=payload.household_id,
        grid_code=payload.grid_code,
        relationship=payload.relationship,
    )
    return 201, {"id": transfer.pk, "state": transfer.state}


@router.get("/person-transfers", response={200: list[TransferPendingOut], 404: ErrorOut})
def transfer_list(request, include_decided: bool = False):
    """Requests you decide (admins of a unit covering both places); pending only by default."""
    return transfers.person_transfer_list(
        actor=request_actor(request), pending_only=not include_decided
    )


@router.get("/person-transfers/mine", response=list[TransferMineOut])
def transfer_mine(request):
    """Your own requests and their decisions."""
    return transfers.person_transfer_mine(actor=request_actor(request))


@router.post("/person-transfers/{transfer_id}/decision", response={200: TransferOut, **ERRORS})
def transfer_decide(request, transfer_id: int, payload: DecisionIn):
    transfer = transfers.person_transfer_decide(
        actor=request_actor(request),
        transfer_id=transfer_id,
        approve=payload.approve,
        note=payload.note,
    )
    return {"id": transfer.pk, "state": transfer.state}
