"""The case state machine as data (DESIGN rule 3): one row per action.

`from_states`: where the action may start; `to_state`: where it leads (None: back to the state
before the pause, for `resume`); `roles`: who may take it, on the unit that holds the case
(`Case.handler_path`) or on the case's place (`Case.path`) as `on` says. One service per action
(services.py) checks this table, writes one CaseEvent and moves the case.
"""

from dataclasses import dataclass

from wangge.orgs.enums import Role

from .enums import CaseState as S

DISPATCHERS = (Role.COMMUNITY_STAFF, Role.COMMAND_CENTRE, Role.ADMIN)
HANDLERS = (Role.HANDLER, Role.DEPARTMENT_STAFF, Role.COMMUNITY_STAFF, Role.GRID_LEADER)
VERIFIERS = (Role.COMMUNITY_STAFF, Role.COMMAND_CENTRE, Role.GRID_WORKER, Role.GRID_LEADER)


@dataclass(frozen=True)
class Transition:
    action: str
    from_states: tuple[str, ...]
    to_state: str | None
    roles: tuple[str, ...]
    # "handler": a role on the unit holding the case; "place": a role over the case's place.
    on: str = "handler"
    needs_note: bool = False


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("accept", (S.REPORTED,), S.ACCEPTED, DISPATCHERS),
        Transition("reject", (S.REPORTED,), S.REJECTED, DISPATCHERS, needs_note=True),
        Transition("merge", (S.REPORTED,), S.MERGED, DISPATCHERS),
        # Escalate: the community hands an accepted case up to the street's command centre.
        Transition("escalate", (S.ACCEPTED,), S.ACCEPTED, DISPATCHERS, needs_note=True),
        Transition("dispatch", (S.ACCEPTED,), S.DISPATCHED, DISPATCHERS),
        # Whistle (吹哨): the street summons several departments at once; the lead holds it.
        Transition("whistle", (S.ACCEPTED,), S.DISPATCHED, DISPATCHERS),
        Transition("start", (S.DISPATCHED,), S.IN_PROGRESS, HANDLERS),
        # Return for wrong routing: back to whoever dispatched it, with the reason.
        Transition("return", (S.DISPATCHED, S.IN_PROGRESS), S.ACCEPTED, HANDLERS, needs_note=True),
        Transition("pause", (S.DISPATCHED, S.IN_PROGRESS), S.PAUSED, HANDLERS, needs_note=True),
        Transition("resume", (S.PAUSED,), None, HANDLERS),
        Transition("handle", (S.DISPATCHED, S.IN_PROGRESS), S.HANDLED, HANDLERS),
        Transition("verify", (S.HANDLED,), S.VERIFIED, VERIFIERS, on="place"),
        # Verification failed: the handler works on it again (counted as rework).
        Transition("rework", (S.HANDLED,), S.IN_PROGRESS, VERIFIERS, on="place", needs_note=True),
        Transition("close", (S.VERIFIED,), S.CLOSED, DISPATCHERS, on="place"),
    )
}

# Taken by the reporter (a resident) rather than by a role; checked in their own services.
REPORTER_ACTIONS = {
    "rate": (S.CLOSED,),
    "reopen": (S.CLOSED, S.RATED),
}


WORKING = (S.DISPATCHED, S.IN_PROGRESS, S.PAUSED)


@dataclass(frozen=True)
class SideAction:
    """An action that does not move the state but belongs to the loop (joint work, time)."""

    action: str
    from_states: tuple[str, ...]
    roles: tuple[str, ...]
    # "summoned": a role on a department the current whistle summoned; "handler": on the unit
    # holding the case; "level_up": on a unit above the one holding it (an approval).
    on: str


SIDE_ACTIONS: dict[str, SideAction] = {
    a.action: a
    for a in (
        SideAction("report_in", WORKING, HANDLERS, "summoned"),
        SideAction("add_part", WORKING, HANDLERS, "summoned"),
        SideAction("extension_request", WORKING, HANDLERS, "handler"),
        SideAction("extension_approve", WORKING, DISPATCHERS, "level_up"),
        SideAction("extension_reject", WORKING, DISPATCHERS, "level_up"),
    )
}


def allowed_actions(state: str) -> list[str]:
    """The actions whose table row starts from `state` (before any role check)."""
    return [action for action, row in TRANSITIONS.items() if state in row.from_states]
