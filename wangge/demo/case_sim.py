"""The demo history's simulation state and its primitives: the street it runs in (History), one
case being walked (Sim), and the steps every stage is made of: record an event, the next
working-time step (or a wait past `now`), a move to a new state with the cards the sweep would
have written. case_timeline.py composes them into the stages of the loop.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

import numpy as np

from wangge.cases.deadlines import handle_deadline, stage_deadline
from wangge.cases.enums import CaseState
from wangge.cases.models import (
    Case,
    CaseCategory,
    CaseEvent,
    CaseExtension,
    CaseReportIn,
    CaseWhistle,
)
from wangge.core.calendar import (
    LOCAL_TZ,
    CalendarNotCovered,
    add_working_hours,
    working_time_between,
)
from wangge.orgs.enums import OrgUnitKind
from wangge.orgs.models import OrgUnit, RoleAssignment
from wangge.orgs.service_hours import service_schedule_for

from . import names

S = CaseState
RATING_SHARES = {5: 0.62, 4: 0.28, 3: 0.06, 2: 0.03, 1: 0.01}
CALLERS = ("先生", "女士")
SYSTEM = (None, "system")
EPOCH = datetime(2000, 1, 1, tzinfo=LOCAL_TZ)
STALL_SHARE = 0.03
WHISTLE_SHARE = 0.25  # of the cases the street itself dispatches


@dataclass
class Sim:
    """One case being simulated: its row and its timeline so far."""

    case: Case
    events: list[CaseEvent] = field(default_factory=list)
    at: datetime = EPOCH  # the last step's time
    stage_start: datetime | None = None
    extensions: list[CaseExtension] = field(default_factory=list)
    whistles: list[tuple[CaseWhistle, list[CaseReportIn]]] = field(default_factory=list)

    @property
    def holder(self) -> OrgUnit:
        """The unit holding the case (set from the report on)."""
        return cast(OrgUnit, self.case.handler_unit)


class History:
    """The street's units, accounts and schedules, and the random draws of one load."""

    def __init__(self, rng: np.random.Generator, now: datetime) -> None:
        self.rng, self.now = rng, now
        units = list(OrgUnit.objects.filter(path__startswith=f"/{names.CITY[0]}/"))
        self.units = {unit.code: unit for unit in units}
        self.departments: dict[str, list[OrgUnit]] = {}
        for unit in sorted(units, key=lambda u: u.code):
            if unit.kind == OrgUnitKind.DEPARTMENT and unit.parent_id:
                self.departments.setdefault(unit.path.rsplit("/", 2)[0] + "/", []).append(unit)
        self.users: dict[tuple[str, str], tuple[int, str]] = {}
        for row in RoleAssignment.objects.filter(org_unit__in=units).values_list(
            "role", "org_unit__code", "user_id", "user__display_name", "user__username"
        ):
            self.users.setdefault((row[0], row[1]), (row[2], row[3] or row[4]))
        self.schedules: dict[str, object] = {}
        self.staff_names: dict[str, str] = {}

    def schedule(self, unit: OrgUnit):
        if unit.code not in self.schedules:
            self.schedules[unit.code] = service_schedule_for(unit)
        return self.schedules[unit.code]

    def who(self, role: str, unit: OrgUnit) -> tuple[int | None, str]:
        """A demo account with the role on the unit, else a named member of its staff."""
        found = self.users.get((role, unit.code))
        if found is not None:
            return found
        if unit.code not in self.staff_names:
            self.staff_names[unit.code] = names.person_name(self.rng)
        return None, self.staff_names[unit.code]

    def above(self, grid: OrgUnit, kind: str) -> OrgUnit:
        return next(
            self.units[code]
            for code in grid.path.split("/")
            if code in self.units and self.units[code].kind == kind
        )

    def department_for(self, category: CaseCategory, street: OrgUnit) -> OrgUnit | None:
        """The street's department named by the category, as intake and dispatch match it."""
        for unit in self.departments.get(street.path, []):
            if category.default_department and category.default_department in unit.name:
                return unit
        return None

    def hours(self, low: float, high: float) -> float:
        return float(self.rng.uniform(low, high))

    def later(self, sim: Sim, unit: OrgUnit, hours: float) -> datetime | None:
        """`hours` of the unit's working time after the last step; None past the calendar."""
        try:
            return add_working_hours(sim.at, max(hours, 0.05), self.schedule(unit))
        except CalendarNotCovered:
            return None


def record(sim: Sim, at, action, frm, to, who=(None, ""), note="", **detail) -> None:
    user_id, name = who
    sim.events.append(
        CaseEvent(
            at=at,
            actor_id=user_id,
            actor_name=name[:150],
            action=action,
            from_state=frm,
            to_state=to,
            note=note,
            attachments=[],
            detail=detail,
        )
    )
    sim.at = at


def restage(h: History, sim: Sim, at: datetime, *, reset_due: bool = False) -> None:
    case = sim.case
    schedule = h.schedule(sim.holder)
    try:
        case.stage_due_at = stage_deadline(case.state, case.category, at, schedule)
        if reset_due:
            case.due_at = handle_deadline(at, case.category.handle_days, schedule)
    except CalendarNotCovered:
        case.stage_due_at = case.due_at = None
        case.calendar_warning = True
    sim.stage_start = at


def cards_until(h: History, sim: Sim, until: datetime) -> None:
    """The sweep's cards of the running stage up to `until` (yellow at 80 %, red and the first
    urge at the deadline); a case leaving the stage keeps the card until the next sweep drops
    it, which the next stage's restage stands for here."""
    case = sim.case
    if case.stage_due_at is None or sim.stage_start is None or case.state == S.PAUSED:
        return
    schedule = h.schedule(sim.holder)
    try:
        span = working_time_between(sim.stage_start, case.stage_due_at, schedule).total_seconds()
        yellow = add_working_hours(sim.stage_start, span * 0.8 / 3600, schedule)
    except CalendarNotCovered:
        return
    state = case.state
    # A moment that fell inside a pause is seen by the first sweep after the resume.
    yellow, red = max(yellow, sim.at), max(case.stage_due_at, sim.at)
    if yellow < until and yellow < case.stage_due_at and case.card == "":
        record(sim, yellow, "card", state, state, SYSTEM, card="yellow", **{"from": ""})
        case.card = "yellow"
    if case.stage_due_at < until and red < until and case.card != "red":
        record(sim, red, "card", state, state, SYSTEM, card="red", **{"from": case.card})
        case.card = "red"
        if not any(e.action == "urge" for e in sim.events):
            record(sim, red, "urge", state, state, SYSTEM, card="red", reason="overdue")


def next_step(h: History, sim: Sim, unit: OrgUnit, hours: float) -> datetime | None:
    """The time of the next step, or None when it would lie in the future (the case waits)."""
    if h.rng.random() < STALL_SHARE:  # now and then a case sticks: the overdue ones
        hours *= h.hours(3, 20)
    at = h.later(sim, unit, hours)
    if at is None or at >= h.now:
        cards_until(h, sim, h.now)
        return None
    cards_until(h, sim, at)
    return at


def move(h: History, sim: Sim, at, action, to, who, *, new_stage=True, note="", **detail):
    case = sim.case
    frm = case.state
    case.state = to
    if new_stage:
        if case.card:
            # The next sweep drops a card that the new stage no longer deserves.
            record(sim, at, "card", frm, frm, SYSTEM, card="", **{"from": case.card})
            case.card = ""
        restage(h, sim, at, reset_due=action in ("rate", "reopen"))
    record(sim, at, action, frm, to, who, note=note, **detail)
