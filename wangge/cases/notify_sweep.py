"""Notices for the deadline sweep's bulk rows (cards, urges, escalations), as digests.

Red cards and urges become one digest per member of the holding unit ("3 cases of your unit are
overdue and urged"), escalations one per member of the unit above ("2 overdue cases were
escalated to your unit"), so a first sweep over a million overdue cases writes a notice per
person, not per case. Webhooks hear every row of their units. Queries: the affected cases in
chunks, the units named by escalations, the staff of all affected units at once.
"""

from collections import defaultdict
from datetime import datetime

from django.urls import reverse
from django.utils.translation import ngettext

from wangge.core.id_lists import id_list
from wangge.notifications.models import Channel
from wangge.notifications.selectors import webhooks_any, webhooks_for_path
from wangge.notifications.services import Message, notification_enqueue, site_language
from wangge.orgs.models import OrgUnit

from .models import Case
from .notify import (
    CHUNK,
    DIGEST_NUMBERS,
    is_red,
    staff_email,
    staff_messages,
    unit_staff,
    webhook_payload,
)

# (case number, handler unit id, handler path, case path)
CaseRow = tuple[str, int | None, str, str]


def _cases(ids: list[int]) -> dict[int, CaseRow]:
    cases: dict[int, CaseRow] = {}
    for start in range(0, len(ids), CHUNK):
        for pk, number, unit_id, handler_path, path in Case.objects.filter(
            pk__in=id_list(ids[start : start + CHUNK])
        ).values_list("pk", "number", "handler_unit_id", "handler_path", "path"):
            cases[pk] = (number, unit_id, handler_path, path)
    return cases


def sweep_notify(rows: list[tuple[int, str, str, dict]], now: datetime) -> None:
    red_ids = {case_id for case_id, action, _state, detail in rows if is_red(action, detail)}
    escalated = {
        case_id: detail.get("to_unit", "")
        for case_id, action, _state, detail in rows
        if action == "escalation" and detail.get("to_unit")
    }
    webhooks = webhooks_any()
    wanted = {row[0] for row in rows} if webhooks else red_ids | set(escalated)
    if not wanted:
        return
    cases = _cases(sorted(wanted))
    messages: list[Message] = []
    if webhooks:
        messages += _webhooks(rows, cases, now)
    if red_ids or escalated:
        with site_language():
            messages += _digests(red_ids, escalated, cases)
    for start in range(0, len(messages), CHUNK):
        notification_enqueue(messages[start : start + CHUNK], now=now)


def _webhooks(rows, cases: dict[int, CaseRow], now: datetime) -> list[Message]:
    unit_ids = {case[1] for case in cases.values() if case[1]}
    codes = dict(OrgUnit.objects.filter(pk__in=unit_ids).values_list("pk", "code"))
    messages = []
    for case_id, action, state, detail in rows:
        case = cases.get(case_id)
        if case is None:
            continue
        for webhook in webhooks_for_path(case[2]):
            payload = webhook_payload(
                case[0], codes.get(case[1] or 0, ""), action, state, state, now, detail
            )
            messages.append(
                Message(
                    channel=Channel.WEBHOOK,
                    webhook_id=webhook,
                    kind=f"case.{action}",
                    title=f"case.{action}",
                    object_type="case",
                    object_id=case[0],
                    org_path=case[3],
                    payload=payload,
                )
            )
    return messages


def _digests(red_ids: set[int], escalated: dict[int, str], cases) -> list[Message]:
    # (unit id, kind) -> case numbers; unit paths for the admins' scope of the rows.
    groups: dict[tuple[int, str], list[str]] = defaultdict(list)
    paths: dict[int, str] = {}
    for case_id in red_ids:
        case = cases.get(case_id)
        if case is not None and case[1] is not None:
            groups[(case[1], "case.urge_digest")].append(case[0])
            paths[case[1]] = case[2]
    if escalated:
        units = {
            code: (pk, path)
            for pk, code, path in OrgUnit.objects.filter(
                code__in=set(escalated.values())
            ).values_list("pk", "code", "path")
        }
        for case_id, code in escalated.items():
            case = cases.get(case_id)
            if case is not None and code in units:
                pk, path = units[code]
                groups[(pk, "case.escalation_digest")].append(case[0])
                paths[pk] = path
    staff = unit_staff({unit for unit, _kind in groups}, heads=True)
    link = reverse("cases_queue") + "?queue=overdue"
    messages = []
    for (unit, kind), numbers in groups.items():
        numbers.sort()
        count = len(numbers)
        if kind == "case.urge_digest":
            title = ngettext(
                "%(count)s case of your unit is overdue and urged",
                "%(count)s cases of your unit are overdue and urged",
                count,
            )
        else:
            title = ngettext(
                "%(count)s overdue case was escalated to your unit",
                "%(count)s overdue cases were escalated to your unit",
                count,
            )
        messages += staff_messages(
            staff.get(unit, []),
            skip=None,
            email=staff_email(),
            kind=kind,
            title=title % {"count": count},
            body="、".join(numbers[:DIGEST_NUMBERS]) + ("…" if count > DIGEST_NUMBERS else ""),
            link=link,
            object_type="org_unit",
            object_id=str(unit),
            org_path=paths[unit],
        )
    return messages
