"""The simulation behind the demo's case history: one case walked through the loop.

Each case goes forward from its report through the loop of transitions.py (accept, escalate,
whistle or dispatch, report-in, start, return, pause/resume, extension request and decision,
handle, rework, verify, close, rate, reopen), each step at a plausible working time after the
last, with the stage deadlines of deadlines.py under the holding unit's service hours and the
cards and first urge the sweep would have written. A step that would fall after `now` is not
taken: the case waits there, so old cases are closed and recent ones sit in every queue.

Where the services stamp `timezone.now()`, this stamps the simulated time, and otherwise follows
them: the same deadline functions, the same event actions, states and detail keys.
"""

from datetime import datetime, timedelta

from wangge.cases.deadlines import handle_deadline, verify_hours
from wangge.cases.enums import CaseSource, HandlingLevel
from wangge.cases.joint_models import ExtensionStatus
from wangge.cases.models import (
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
from wangge.orgs.enums import OrgUnitKind, Role
from wangge.orgs.models import OrgUnit

from . import names
from .case_sim import (
    CALLERS,
    RATING_SHARES,
    WHISTLE_SHARE,
    History,
    S,
    Sim,
    move,
    next_step,
    restage,
)


def _targets(h: History, sim: Sim, grid: OrgUnit, exclude: str = "") -> OrgUnit:
    """Where the holder dispatches: its own community, or the category's department."""
    case, rng = sim.case, h.rng
    community, street = h.above(grid, "community"), h.above(grid, "street")
    if sim.holder.kind == OrgUnitKind.DEPARTMENT and sim.holder.code != exclude:
        return sim.holder
    named = h.department_for(case.category, street)
    level = case.category.handling_level
    if sim.holder.kind == OrgUnitKind.COMMUNITY or level in (
        HandlingLevel.GRID,
        HandlingLevel.COMMUNITY,
    ):
        choice = community if named is None or rng.random() < 0.85 else named
    else:
        departments = h.departments.get(street.path, [])
        picked = departments[int(rng.integers(len(departments)))] if departments else None
        choice = named or picked or community
    if choice.code == exclude:
        return community if choice.kind == OrgUnitKind.DEPARTMENT else street
    return choice


def _handling(h: History, sim: Sim, grid: OrgUnit) -> bool:
    """From dispatched or in progress to handled; False when the case is still with its handler."""
    case, rng = sim.case, h.rng
    unit = sim.holder
    role = Role.DEPARTMENT_STAFF if unit.kind == OrgUnitKind.DEPARTMENT else Role.COMMUNITY_STAFF
    if case.state == S.DISPATCHED:
        at = next_step(h, sim, unit, h.hours(0.2, 4))
        if at is None:
            return False
        move(h, sim, at, "start", S.IN_PROGRESS, h.who(role, unit), new_stage=False)
    day_hours = 7.0
    if rng.random() < 0.04:
        at = next_step(h, sim, unit, h.hours(1, 6))
        if at is None:
            return False
        case.state_before_pause, case.paused_at = S.IN_PROGRESS, at
        move(
            h,
            sim,
            at,
            "pause",
            S.PAUSED,
            h.who(role, unit),
            new_stage=False,
            note="等待居民或产权单位配合",
        )
        resumed = h.later(sim, unit, h.hours(4, 40))
        if resumed is None or resumed >= h.now:
            return False
        spent = working_time_between(at, resumed, h.schedule(unit))
        hours = spent.total_seconds() / 3600
        if hours > 0 and case.stage_due_at is not None and case.due_at is not None:
            case.stage_due_at = add_working_hours(case.stage_due_at, hours, h.schedule(unit))
            case.due_at = add_working_hours(case.due_at, hours, h.schedule(unit))
        case.paused_at, case.state_before_pause = None, ""
        move(
            h,
            sim,
            resumed,
            "resume",
            S.IN_PROGRESS,
            h.who(role, unit),
            new_stage=False,
            paused_working_minutes=int(spent.total_seconds() // 60),
        )
    if rng.random() < 0.06 and case.stage_due_at is not None:
        at = next_step(h, sim, unit, case.category.handle_days * day_hours * h.hours(0.3, 0.6))
        if at is None or not _extension(h, sim, grid, at, h.who(role, unit)):
            return False
    # Most work is done in time; about one case in ten runs past its deadline.
    share = h.hours(0.1, 0.9) if rng.random() < 0.9 else h.hours(1.05, 1.8)
    at = next_step(h, sim, unit, case.category.handle_days * day_hours * share)
    if at is None:
        return False
    move(
        h,
        sim,
        at,
        "handle",
        S.HANDLED,
        h.who(role, unit),
        note="已处置完毕，附现场照片",
        unit=unit.code,
    )
    return True


def _extension(h: History, sim: Sim, grid: OrgUnit, at: datetime, handler: tuple) -> bool:
    """An extension request and its decision a level up (extensions.py); False while pending."""
    case, rng, unit = sim.case, h.rng, sim.holder
    days = int(rng.integers(3, 11))
    reason = "工程量较大，需协调产权单位，申请延期"
    request = CaseExtension(
        unit=unit, requested_at=at, requested_by_id=handler[0], days=days, reason=reason
    )
    sim.extensions.append(request)
    move(
        h,
        sim,
        at,
        "extension_request",
        case.state,
        handler,
        new_stage=False,
        note=reason,
        days=days,
        unit=unit.code,
    )
    decided = next_step(h, sim, h.above(grid, "street"), h.hours(0.5, 6))
    if decided is None:
        return False
    approve = rng.random() < 0.85
    request.old_due_at = case.due_at
    if approve:
        try:
            schedule = h.schedule(unit)
            base = case.stage_due_at or decided
            case.stage_due_at = handle_deadline(max(base, decided), days, schedule)
            if case.due_at is not None:
                case.due_at = handle_deadline(case.due_at, days, schedule)
        except CalendarNotCovered:
            case.stage_due_at = case.due_at = None
            case.calendar_warning = True
        if case.card and (case.stage_due_at is None or case.stage_due_at > decided):
            case.card = ""  # dropped at once, as the service does
        case.extensions += 1
    request.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REJECTED
    request.new_due_at, request.decided_at = case.due_at, decided
    decider = h.who(Role.COMMAND_CENTRE, h.above(grid, "street"))
    request.decided_by_id = decider[0]
    request.decision_note = "" if approve else "可在原期限内完成，不予延期"
    move(
        h,
        sim,
        decided,
        "extension_approve" if approve else "extension_reject",
        case.state,
        decider,
        new_stage=False,
        note=request.decision_note,
        days=days,
        unit=unit.code,
    )
    return True


def _whistle(h: History, sim: Sim, grid: OrgUnit, at: datetime, dispatcher: tuple) -> bool:
    """The street summons the category's department (the lead) and one or two others; each
    reports in (whistle.py). False when a department has not reported in yet."""
    case, rng = sim.case, h.rng
    street = h.above(grid, "street")
    departments = h.departments.get(street.path, [])
    lead = (
        h.department_for(case.category, street) or departments[int(rng.integers(len(departments)))]
    )
    others = [unit for unit in departments if unit.code != lead.code]
    picked = rng.choice(len(others), size=min(len(others), int(rng.integers(1, 3))), replace=False)
    units = [lead, *(others[int(i)] for i in sorted(picked))]
    whistle = CaseWhistle(whistled_at=at, whistled_by_id=dispatcher[0], lead_unit=lead)
    rows = []
    for index, unit in enumerate(units):
        try:
            due = add_working_hours(at, 2, h.schedule(unit))
        except CalendarNotCovered:
            due = None
        rows.append(CaseReportIn(unit=unit, unit_path=unit.path, is_lead=index == 0, due_at=due))
    sim.whistles.append((whistle, rows))
    case.handler_unit = lead
    move(
        h,
        sim,
        at,
        "whistle",
        S.DISPATCHED,
        dispatcher,
        note="多部门联合处置",
        unit=lead.code,
        from_unit=street.code,
        lead=lead.code,
        units=[unit.code for unit in units],
    )
    for row in rows:
        reported = next_step(h, sim, row.unit, h.hours(0.3, 2.6))
        if reported is None:
            row.late = row.due_at is not None and row.due_at < h.now
            row.late_at = row.due_at if row.late else None
            return False
        who = h.who(Role.DEPARTMENT_STAFF, row.unit)
        row.reported_in_at, row.reported_in_by_id = reported, who[0]
        row.late = row.due_at is not None and reported > row.due_at
        row.late_at = row.due_at if row.late else None
        row.part, row.part_at = "已派员到场，负责本部门职责范围内事项", reported
        move(
            h,
            sim,
            reported,
            "report_in",
            case.state,
            who,
            new_stage=False,
            note="已到场报到",
            unit=row.unit.code,
            late=row.late,
        )
    return True


def _closing(h: History, sim: Sim, grid: OrgUnit) -> bool:
    """Verify (or send back for rework) and close; False when it stops on the way."""
    case, rng = sim.case, h.rng
    community = h.above(grid, "community")
    while True:
        at = next_step(h, sim, community, verify_hours() * h.hours(0.1, 0.9))
        if at is None:
            return False
        verifier = h.who(Role.GRID_WORKER, grid)
        if rng.random() < 0.07 and case.reworks < 2:
            case.reworks += 1
            move(
                h,
                sim,
                at,
                "rework",
                S.IN_PROGRESS,
                verifier,
                note="现场核查未整改到位",
                reworks=case.reworks,
            )
            if not _handling(h, sim, grid):
                return False
            continue
        move(h, sim, at, "verify", S.VERIFIED, verifier, new_stage=False, note="现场核查属实")
        break
    at = next_step(h, sim, community, h.hours(0.2, 3))
    if at is None:
        return False
    case.closed_at = at
    move(h, sim, at, "close", S.CLOSED, h.who(Role.COMMUNITY_STAFF, community))
    return True


def _after_close(h: History, sim: Sim, grid: OrgUnit, caller: tuple) -> bool:
    """Rating and reopening by the reporter; True when the case went back to work."""
    case, rng = sim.case, h.rng
    if case.source == CaseSource.GRID_WORKER:
        return False
    if rng.random() < 0.015 and case.reopens == 0:
        at = next_step(h, sim, sim.holder, h.hours(4, 30))
        if at is None:
            return False
        case.reopens, case.closed_at = case.reopens + 1, None
        move(h, sim, at, "reopen", S.IN_PROGRESS, caller, note="问题再次出现", reopens=case.reopens)
        return True
    if rng.random() > 0.8:
        return False
    at = next_step(h, sim, sim.holder, h.hours(0.5, 14))
    if at is None:
        return False
    rating = int(rng.choice(list(RATING_SHARES), p=list(RATING_SHARES.values())))
    case.rating = rating
    if rating <= 2 and case.reopens == 0:
        case.reopens, case.closed_at = 1, None
        move(h, sim, at, "rate", S.IN_PROGRESS, caller, rating=rating, reopened=True)
        return True
    move(h, sim, at, "rate", S.RATED, caller, new_stage=False, rating=rating, reopened=False)
    return False


def simulate(h: History, sim: Sim, grid: OrgUnit, reporter: tuple, caller: tuple) -> None:
    case, rng = sim.case, h.rng
    community, street = h.above(grid, "community"), h.above(grid, "street")
    sim.at = case.reported_at
    level = case.category.handling_level
    if level in (HandlingLevel.GRID, HandlingLevel.COMMUNITY):
        case.handler_unit = community
    elif level == HandlingLevel.DEPARTMENT:
        case.handler_unit = h.department_for(case.category, street) or street
    else:
        case.handler_unit = street
    on_spot = (
        case.source == CaseSource.GRID_WORKER
        and case.category.grid_may_resolve
        and rng.random() < 0.6
    )
    if on_spot:
        case.handler_unit = grid
    move(
        h,
        sim,
        case.reported_at,
        "report",
        S.REPORTED,
        reporter,
        new_stage=False,
        unit=sim.holder.code,
        source=case.source,
    )
    restage(h, sim, case.reported_at, reset_due=True)
    if on_spot:
        move(h, sim, case.reported_at, "handle", S.HANDLED, reporter, unit=grid.code, on_spot=True)
    else:
        holder = sim.holder
        dispatcher = (
            h.who(Role.COMMUNITY_STAFF, community)
            if holder.kind == OrgUnitKind.COMMUNITY
            else h.who(Role.COMMAND_CENTRE, street)
        )
        at = next_step(h, sim, holder, case.category.accept_hours * h.hours(0.1, 1.1))
        if at is None:
            return
        if rng.random() < 0.03:
            move(h, sim, at, "reject", S.REJECTED, dispatcher, note="不属于受理范围，已告知")
            return
        move(h, sim, at, "accept", S.ACCEPTED, dispatcher)
        if holder.kind == OrgUnitKind.COMMUNITY and rng.random() < 0.06:
            at = next_step(h, sim, holder, h.hours(0.2, 2))
            if at is None:
                return
            case.handler_unit = street
            move(
                h,
                sim,
                at,
                "escalate",
                S.ACCEPTED,
                dispatcher,
                note="需街道协调相关部门",
                unit=street.code,
                from_unit=holder.code,
            )
            dispatcher = h.who(Role.COMMAND_CENTRE, street)
        whistled = False
        if (
            sim.holder.kind == OrgUnitKind.STREET
            and h.departments.get(street.path)
            and rng.random() < WHISTLE_SHARE
        ):
            at = next_step(h, sim, sim.holder, case.category.dispatch_hours * h.hours(0.1, 1.1))
            if at is None or not _whistle(h, sim, grid, at, dispatcher):
                return
            whistled = True
        returned = False
        while not whistled:
            at = next_step(h, sim, sim.holder, case.category.dispatch_hours * h.hours(0.1, 1.1))
            if at is None:
                return
            exclude = sim.holder.code if returned else ""
            target, source_unit = _targets(h, sim, grid, exclude), sim.holder
            case.handler_unit = target
            move(
                h,
                sim,
                at,
                "dispatch",
                S.DISPATCHED,
                dispatcher,
                unit=target.code,
                from_unit=source_unit.code,
            )
            if returned or rng.random() >= 0.02:
                break
            at = next_step(h, sim, target, h.hours(0.5, 4))
            if at is None:
                return
            role = Role.DEPARTMENT_STAFF if target.kind == "department" else Role.COMMUNITY_STAFF
            case.handler_unit = source_unit
            move(
                h,
                sim,
                at,
                "return",
                S.ACCEPTED,
                h.who(role, target),
                note="非本单位职责",
                unit=source_unit.code,
                from_unit=target.code,
            )
            returned = True
        if not _handling(h, sim, grid):
            return
    while _closing(h, sim, grid) and _after_close(h, sim, grid, caller):
        if not _handling(h, sim, grid):
            return


def reporter_for(h: History, grid: OrgUnit, source: str, anonymous: bool, open311):
    """(who reports, who the reporter is for rating): an account where the demo has one."""
    rng, street = h.rng, h.above(grid, "street")
    caller = (
        (None, "")
        if anonymous
        else (
            None,
            names.SURNAMES[int(rng.integers(len(names.SURNAMES)))] + CALLERS[int(rng.integers(2))],
        )
    )
    if source == CaseSource.GRID_WORKER:
        found = h.who(Role.GRID_WORKER, grid)
        return found, found
    if source == CaseSource.WINDOW:
        return h.who(Role.CLERK, street), caller
    if source in (CaseSource.HOTLINE, CaseSource.API):
        return h.who(Role.COMMAND_CENTRE, street), caller
    if source == CaseSource.OPEN311 and open311 is not None:
        return open311, caller
    return caller, caller


def reported_at_for(rng, now: datetime, source: str) -> datetime:
    day = now.astimezone(LOCAL_TZ).date() - timedelta(days=int(rng.integers(0, 366)))
    if source in (CaseSource.GRID_WORKER, CaseSource.WINDOW):
        minutes = int(rng.integers(8 * 60 + 30, 17 * 60 + 30))
    else:
        minutes = int(rng.integers(7 * 60, 22 * 60))
    at = datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ) + timedelta(minutes=minutes)
    return at if at < now else at - timedelta(days=1)
