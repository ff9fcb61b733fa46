"""Who hears of a case event. Called in the transaction that writes the event, so a change and
its notifications commit or roll back together; delivery happens later (wangge.notifications).

- The reporter, on accept, reject, merge, handle, close and reopen: a resident's account gets an
  in-app notice and a text message; a caller or visitor who left only a phone (hotline, window)
  gets a text message through the "case_reporter" reference, resolved at delivery. An anonymous
  report without any contact hears nothing. When a case closes, the reporters of the cases
  merged into it are told too.
- The staff of the unit that now holds the case (in-app), on dispatch, escalate, return and
  whistle; an urge or a red card reaches the unit's staff and its heads (supervisors), by e-mail
  as well when they have an address.
- The webhooks of the holding unit, on every event: a JSON body of codes and states.

Cost: intake (500 req/s) writes a "report" event, which only asks the in-memory webhook list.
Other events add at most two indexed queries (the reporter's account kind, a unit's staff) and
one bulk INSERT. The sweep's bulk rows are answered with one digest per recipient and unit, not
one notice per case, and with a few chunked queries.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from wangge.core.crypto import decrypt
from wangge.core.models import AccountKind, User
from wangge.notifications.hooks import address_ref, address_resolver_register
from wangge.notifications.models import Channel
from wangge.notifications.selectors import webhooks_for_path
from wangge.notifications.services import Message, notification_enqueue, site_language
from wangge.orgs.enums import Role
from wangge.orgs.models import OrgUnit, RoleAssignment

from .enums import Card, CaseSource
from .models import REPORTER_PHONE_AAD, Case
from .transitions import DISPATCHERS, HANDLERS

REPORTER_ACTIONS = ("accept", "reject", "merge", "handle", "close", "reopen")
UNIT_ACTIONS = ("dispatch", "escalate", "return", "whistle")
# The person a case is assigned to (a B post standing in for someone on leave) hears of it.
ASSIGNEE_ACTIONS = ("assign", "reassign")
STAFF_ROLES = tuple(dict.fromkeys((*HANDLERS, *DISPATCHERS)))
HEAD_ROLES = (Role.SUPERVISOR,)
# Where a staff member entered the report for someone else: they are not its reporter.
PROXY_SOURCES = (CaseSource.WINDOW, CaseSource.HOTLINE)
REPORTER_RESOLVER = "case_reporter"
DIGEST_NUMBERS = 10
CHUNK = 5_000
RESIDENT_CASE_URL = "portal_my_case"
# Detail keys a webhook may see: codes, states and times, never names, notes or places.
WEBHOOK_DETAIL_KEYS = (
    "unit",
    "from_unit",
    "to_unit",
    "lead",
    "units",
    "into",
    "card",
    "reason",
    "due",
)


def _reporter_texts(action: str, number: str, detail: dict, note: str) -> tuple[str, str]:
    into = detail.get("into", "")
    texts = {
        "accept": (
            _("Your report %(number)s was accepted"),
            _("It is now with the people who will handle it."),
        ),
        "reject": (_("Your report %(number)s was not accepted"), ""),
        "merge": (
            _("Your report %(number)s was merged into %(into)s"),
            _("The same problem was reported before; it is handled as %(into)s."),
        ),
        "handle": (
            _("Your report %(number)s has been handled"),
            _("It will be checked on site and then closed."),
        ),
        "close": (
            _("Your report %(number)s is closed"),
            _("Please rate how it was handled."),
        ),
        "reopen": (
            _("Your report %(number)s was reopened"),
            _("It goes back to the people who handle it."),
        ),
    }
    title, body = texts[action]
    params = {"number": number, "into": into}
    # The reason for a refusal is the staff's own text: never run through % formatting.
    return title % params, note[:200] if action == "reject" else body % params


def _unit_texts(action: str, case: Case, detail: dict, note: str) -> tuple[str, str]:
    params = {"number": case.number}
    titles = {
        "dispatch": _("Case %(number)s was dispatched to your unit"),
        "escalate": _("Case %(number)s was escalated to your unit"),
        "return": _("Case %(number)s was returned to your unit"),
        "whistle": _("Your unit is summoned to case %(number)s"),
        "urge": _("Case %(number)s is overdue and urged"),
        "card": _("Case %(number)s has a red card"),
    }
    body = case.title
    if note and action in ("return", "escalate", "whistle"):
        body = f"{case.title}\n{note[:200]}"
    return titles[action] % params, body


def _case_link(number: str) -> str:
    return reverse("cases_case", args=[number])


def _resident_link(number: str) -> str:
    """The resident portal's page of the case (no link where the portal is not installed)."""
    try:
        return reverse(RESIDENT_CASE_URL, args=[number])
    except NoReverseMatch:
        return ""


def _channels(setting: str, default: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(getattr(settings, setting, default))


def _reporter_messages(
    case: Case, kind: str, title: str, body: str, reporter: tuple | None
) -> list[Message]:
    """`reporter`: (user id, account kind, has phone) of the reporting account, or None."""
    common: dict[str, Any] = {
        "kind": kind,
        "title": title,
        "body": body,
        "object_type": "case",
        "object_id": case.number,
        "org_path": case.path,
    }
    messages = []
    channels = _channels("WANGGE_NOTIFICATIONS_REPORTER_CHANNELS", (Channel.IN_APP, Channel.SMS))
    if reporter is not None and reporter[1] == AccountKind.RESIDENT:
        link = _resident_link(case.number)
        for channel in channels:
            if channel != Channel.SMS or reporter[2]:
                messages.append(
                    Message(channel=channel, recipient_id=reporter[0], link=link, **common)
                )
        return messages
    if case.reporter_phone_encrypted and Channel.SMS in channels:
        messages.append(
            Message(
                channel=Channel.SMS, address_ref=address_ref(REPORTER_RESOLVER, case.pk), **common
            )
        )
    elif reporter is not None and case.source not in PROXY_SOURCES:
        # A grid worker who reported on site follows it in the app.
        messages.append(
            Message(
                channel=Channel.IN_APP,
                recipient_id=reporter[0],
                link=_case_link(case.number),
                **common,
            )
        )
    return messages


def _reporter_of(case: Case) -> tuple | None:
    if case.reporter_id is None:
        return None
    row = (
        User.objects.filter(pk=case.reporter_id, is_active=True)
        .values_list("pk", "kind", "phone_index")
        .first()
    )
    return (row[0], row[1], bool(row[2])) if row else None


def _merged_reporters(case: Case) -> list[Message]:
    """The reporters of the cases merged into `case`, told that it is closed."""
    messages = []
    merged = Case.objects.filter(merged_into_id=case.pk).select_related("reporter")
    for other in merged.only(
        "pk",
        "number",
        "path",
        "source",
        "reporter_phone_encrypted",
        "reporter_id",
        "reporter__kind",
        "reporter__phone_index",
        "reporter__is_active",
    ):
        user = other.reporter if other.reporter_id else None
        reporter = (user.pk, user.kind, bool(user.phone_index)) if user and user.is_active else None
        title = _("The problem you reported (%(number)s) is solved") % {"number": other.number}
        body = _("It was handled together with %(into)s, which is now closed.") % {
            "into": case.number
        }
        messages += _reporter_messages(other, "case.merged_closed", title, body, reporter)
    return messages


def unit_staff(unit_ids: Iterable[int], heads: bool) -> dict[int, list[tuple[int, str]]]:
    """{unit id: [(user id, e-mail)]} of the staff (and heads) on each unit, in one query."""
    roles = (*STAFF_ROLES, *HEAD_ROLES) if heads else STAFF_ROLES
    found: dict[int, dict[int, str]] = defaultdict(dict)
    for unit_id, user_id, email in RoleAssignment.objects.filter(
        org_unit_id__in=list(unit_ids), role__in=roles, user__is_active=True
    ).values_list("org_unit_id", "user_id", "user__email"):
        found[unit_id][user_id] = email
    return {unit: list(users.items()) for unit, users in found.items()}


def staff_messages(
    staff: list[tuple[int, str]], *, skip: int | None, email: bool, **common
) -> list[Message]:
    messages = []
    for user_id, address in staff:
        if user_id == skip:
            continue
        messages.append(Message(channel=Channel.IN_APP, recipient_id=user_id, **common))
        if email and address:
            messages.append(Message(channel=Channel.EMAIL, recipient_id=user_id, **common))
    return messages


def staff_email() -> bool:
    return bool(getattr(settings, "WANGGE_NOTIFICATIONS_STAFF_EMAIL", True))


def webhook_payload(
    case_number: str,
    unit_code: str,
    action: str,
    state_from: str,
    state_to: str,
    at: datetime,
    detail: dict,
) -> dict:
    """The webhook body: codes and states only (no names, phones, addresses or notes)."""
    codes = {key: value for key, value in detail.items() if key in WEBHOOK_DETAIL_KEYS}
    return {
        "event": f"case.{action}",
        "case": case_number,
        "unit": unit_code,
        "from_state": state_from,
        "to_state": state_to,
        "at": at.isoformat(),
        "detail": codes,
    }


def _webhook_messages(case: Case, event, webhooks: list[int]) -> list[Message]:
    detail = event.detail or {}
    unit = detail.get("unit", "")
    if Case.handler_unit.is_cached(case) and case.handler_unit is not None:
        unit = case.handler_unit.code
    payload = webhook_payload(
        case.number,
        unit,
        event.action,
        event.from_state,
        event.to_state,
        event.at,
        detail,
    )
    return [
        Message(
            channel=Channel.WEBHOOK,
            webhook_id=webhook,
            kind=f"case.{event.action}",
            title=f"case.{event.action}",
            object_type="case",
            object_id=case.number,
            org_path=case.path,
            payload=payload,
        )
        for webhook in webhooks
    ]


def is_red(action: str, detail: dict) -> bool:
    return action == "urge" or (action == "card" and detail.get("card") == Card.RED)


def on_event(case, event) -> None:
    """Called by events.record_event for every timeline row, in the same transaction."""
    action = event.action
    detail = event.detail or {}
    webhooks = webhooks_for_path(case.handler_path)
    to_reporter = action in REPORTER_ACTIONS
    to_unit = action in UNIT_ACTIONS or is_red(action, detail)
    assignee = getattr(case, "assignee_id", None) if action in ASSIGNEE_ACTIONS else None
    if not (webhooks or to_reporter or to_unit or assignee):
        return  # intake's path: nothing to write, nothing queried
    messages: list[Message] = _webhook_messages(case, event, webhooks)
    with site_language():
        if to_reporter:
            title, body = _reporter_texts(action, case.number, detail, event.note)
            messages += _reporter_messages(case, f"case.{action}", title, body, _reporter_of(case))
            if action == "close":
                messages += _merged_reporters(case)
        if to_unit:
            messages += _unit_messages(case, event, detail)
        if assignee and assignee != event.actor_id:
            messages.append(
                Message(
                    channel=Channel.IN_APP,
                    recipient_id=assignee,
                    kind=f"case.{action}",
                    title=_("Case %(number)s was handed to you") % {"number": case.number},
                    body=case.title,
                    link=_case_link(case.number),
                    object_type="case",
                    object_id=case.number,
                    org_path=case.path,
                )
            )
    notification_enqueue(messages, now=event.at)


def _unit_messages(case: Case, event, detail: dict) -> list[Message]:
    action = event.action
    red = is_red(action, detail)
    units = {case.handler_unit_id} if case.handler_unit_id else set()
    if action == "whistle" and detail.get("units"):
        units |= set(OrgUnit.objects.filter(code__in=detail["units"]).values_list("pk", flat=True))
    staff = unit_staff(units, heads=red)
    title, body = _unit_texts(action, case, detail, event.note)
    messages: list[Message] = []
    seen: set[int] = set()
    for unit in units:
        people = [person for person in staff.get(unit, []) if person[0] not in seen]
        seen.update(person[0] for person in people)
        messages += staff_messages(
            people,
            skip=event.actor_id,
            email=red and staff_email(),
            kind=f"case.{action}",
            title=title,
            body=body,
            link=_case_link(case.number),
            object_type="case",
            object_id=case.number,
            org_path=case.path,
        )
    return messages


# --- addresses -----------------------------------------------------------------------------------


def reporter_phone(case_id: str, channel: str) -> str:
    """The phone a hotline or window reporter left, decrypted only to send them a message."""
    if channel != Channel.SMS or not case_id.isdigit():
        return ""
    blob = (
        Case.objects.filter(pk=int(case_id))
        .values_list("reporter_phone_encrypted", flat=True)
        .first()
    )
    return decrypt(blob, aad=REPORTER_PHONE_AAD) if blob else ""


def register_hooks() -> None:
    """Called from CasesConfig.ready(): the outbox resolves "case_reporter:<id>" through cases."""
    address_resolver_register(REPORTER_RESOLVER, reporter_phone)
