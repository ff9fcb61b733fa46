"""Who hears of a case event: reporters (account, phone only, anonymous), the holding unit's
staff, the sweep's urges, merged cases' reporters, webhooks; same transaction, no plaintext phone
anywhere in the outbox, and nothing queried on intake's path."""

from datetime import datetime

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone, translation
from django.utils.translation import gettext

from wangge.cases import notify
from wangge.cases import services as s
from wangge.cases.models import Case, CaseEvent
from wangge.cases.sweep import deadline_sweep
from wangge.core.calendar import LOCAL_TZ
from wangge.core.scope import Actor
from wangge.notifications.delivery import notifications_deliver_all
from wangge.notifications.models import Channel, GatewayMessage, Notification, WebhookSubscription
from wangge.notifications.services import webhook_subscription_create
from wangge.notifications.tests.conftest import make_resident
from wangge.orgs.actors import actor_for
from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import staff_user

from .factories import category, crew, report

pytestmark = pytest.mark.django_db
PHONE = "13800138000"
CALLER = "13912345678"


def local(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=LOCAL_TZ)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(local(11, 2, 9, 0))  # a Monday
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture
def c(clock):
    team = crew()
    category()
    team.phone_resident = actor_for(make_resident("resident_phone", PHONE))  # type: ignore[attr-defined]
    return team


def to(user_or_actor, channel=Channel.IN_APP) -> list[Notification]:
    user = getattr(user_or_actor, "user", user_or_actor)
    return list(Notification.objects.filter(recipient=user, channel=channel).order_by("id"))


def to_department(c, case: Case) -> Case:
    case = s.case_accept(actor=c.community_a, number=case.number, version=case.version)
    case = s.case_escalate(
        actor=c.community_a, number=case.number, version=case.version, note="需要街道协调"
    )
    return s.case_dispatch(
        actor=c.command,
        number=case.number,
        version=case.version,
        unit_code=c.street.department.code,
    )


def through_to_close(c, reporter) -> Case:
    case = to_department(c, report(reporter))
    case = s.case_handle(actor=c.dept, number=case.number, version=case.version)
    case = s.case_verify(actor=c.grid_worker, number=case.number, version=case.version)
    return s.case_close(actor=c.community_a, number=case.number, version=case.version)


def test_a_resident_hears_in_the_app_and_by_text_when_their_case_is_closed(c):
    case = through_to_close(c, c.phone_resident)
    kinds = [row.kind for row in to(c.phone_resident)]
    assert kinds == ["case.accept", "case.handle", "case.close"]
    closed = to(c.phone_resident)[-1]
    assert case.number in closed.title
    assert (closed.object_type, closed.object_id) == ("case", case.number)
    assert [row.kind for row in to(c.phone_resident, Channel.SMS)] == kinds


def test_notices_are_written_in_the_site_language_whoever_acts(c, english):
    case = report(c.phone_resident)
    s.case_accept(actor=c.community_a, number=case.number, version=case.version)
    [accepted] = to(c.phone_resident)
    # The actor's page was in English; the resident's notice is in the site's language.
    with translation.override(settings.LANGUAGE_CODE):
        expected = gettext("Your report %(number)s was accepted") % {"number": case.number}
    assert accepted.title == expected


def test_an_account_without_a_phone_gets_no_text(c):
    through_to_close(c, c.resident)
    assert len(to(c.resident)) == 3
    assert to(c.resident, Channel.SMS) == []


def test_a_rolled_back_transition_leaves_no_notification(c):
    case = report(c.phone_resident)
    before = Notification.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        s.case_accept(actor=c.community_a, number=case.number, version=case.version)
        assert Notification.objects.count() > before
        raise RuntimeError("the page failed after the service")
    assert Notification.objects.count() == before
    assert not CaseEvent.objects.filter(case=case, action="accept").exists()


def test_a_hotline_caller_gets_a_text_through_a_reference_never_a_stored_number(c, settings):
    settings.WANGGE_MESSAGE_GATEWAY = "wangge.notifications.gateways.LoggingGateway"
    clerk = actor_for(staff_user("clerk", Role.CLERK, c.street.street))
    case = report(clerk, source="hotline", reporter_phone=CALLER)
    note = "重复来电 100%(同一问题)"
    s.case_reject(actor=c.community_a, number=case.number, version=case.version, note=note)
    [text] = Notification.objects.filter(channel=Channel.SMS)
    assert text.body == note
    assert (text.recipient_id, text.address_ref) == (None, f"case_reporter:{case.pk}")
    assert to(clerk) == []  # the clerk only typed it in
    assert notifications_deliver_all()["sent"] == 1
    [logged] = GatewayMessage.objects.all()
    assert logged.masked_address == "139****5678"
    assert_no_plaintext_phone((CALLER, PHONE))


def test_no_notifications_table_holds_a_phone_in_clear(c, settings):
    settings.WANGGE_MESSAGE_GATEWAY = "wangge.notifications.gateways.LoggingGateway"
    through_to_close(c, c.phone_resident)
    clerk = actor_for(staff_user("clerk", Role.CLERK, c.street.street))
    other = report(clerk, source="window", reporter_phone=CALLER)
    s.case_accept(actor=c.community_a, number=other.number, version=other.version)
    assert notifications_deliver_all()["sent"] >= 4
    assert GatewayMessage.objects.count() >= 4
    assert_no_plaintext_phone((CALLER, PHONE))


def assert_no_plaintext_phone(phones) -> None:
    tables = [Notification._meta.db_table, GatewayMessage._meta.db_table]
    tables.append(WebhookSubscription._meta.db_table)
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (our own table names)
            for row in cursor.fetchall():
                text = " ".join(
                    bytes(v).hex() + bytes(v).decode("latin-1")
                    if isinstance(v, bytes | memoryview)
                    else str(v)
                    for v in row
                )
                for phone in phones:
                    assert phone not in text, table


def test_an_anonymous_report_without_contact_tells_no_one_as_reporter(c):
    category("T0202", "噪音扰民", anonymous_allowed=True)
    clerk = actor_for(staff_user("clerk", Role.CLERK, c.street.street))
    case = report(clerk, category_code="T0202", source="window", anonymous=True)
    s.case_accept(actor=c.community_a, number=case.number, version=case.version)
    assert not Notification.objects.filter(kind="case.accept").exists()


def test_dispatch_reaches_the_units_staff_but_not_the_actor_nor_other_units(c):
    case = to_department(c, report(c.resident))
    [notice] = to(c.dept)
    assert (notice.kind, notice.link) == ("case.dispatch", f"/cases/{case.number}/")
    assert to(c.dept2) == []
    # The street heard of the escalation; the dispatcher is not told of their own dispatch.
    assert [n.kind for n in to(c.command)] == ["case.escalate"]
    assert to(c.community_a) == []


def test_a_return_reaches_the_dispatching_unit(c):
    case = to_department(c, report(c.resident))
    colleague = staff_user("cc2", Role.COMMAND_CENTRE, c.street.street)
    s.case_return(actor=c.dept, number=case.number, version=case.version, note="不归我们管")
    [notice] = to(colleague)
    assert notice.kind == "case.return"
    assert "不归我们管" in notice.body


def test_the_sweeps_urge_reaches_the_unit_and_its_head_once_as_a_digest(c, settings, clock):
    settings.WANGGE_NOTIFICATIONS_STAFF_EMAIL = True
    head = staff_user("head_a", Role.SUPERVISOR, c.street.community_a, email="head@example.org")
    cases = [report(c.resident, title=f"路灯{n}") for n in range(3)]
    clock.now = local(11, 2, 15, 1)
    assert deadline_sweep(now=clock.now)["urged"] == 3
    [digest] = to(head)
    assert digest.kind == "case.urge_digest"
    assert all(case.number in digest.body for case in cases)
    assert "3" in digest.title
    assert [n.kind for n in to(c.community_a)] == ["case.urge_digest"]
    assert [n.kind for n in to(head, Channel.EMAIL)] == ["case.urge_digest"]
    assert to(c.dept) == []
    deadline_sweep(now=clock.now)  # nothing changes: nobody is told twice
    assert len(to(head)) == 1


def test_when_a_case_closes_the_reporters_of_cases_merged_into_it_hear_too(c):
    first = report(c.resident)
    second = report(c.phone_resident, title="路灯又坏了")
    s.case_merge(
        actor=c.community_a, number=second.number, version=second.version, into_number=first.number
    )
    assert [n.kind for n in to(c.phone_resident)] == ["case.merge"]
    first = to_department(c, first)
    first = s.case_handle(actor=c.dept, number=first.number, version=first.version)
    first = s.case_verify(actor=c.grid_worker, number=first.number, version=first.version)
    s.case_close(actor=c.community_a, number=first.number, version=first.version)
    assert [n.kind for n in to(c.phone_resident)] == ["case.merge", "case.merged_closed"]
    assert second.number in to(c.phone_resident)[-1].title


def test_webhooks_hear_every_event_of_their_unit_without_personal_data(c):
    hook = webhook_subscription_create(
        actor=Actor.system(),
        org_path=c.street.community_a.path,
        url="http://127.0.0.1:9/hook",
        secret="a-department-shared-secret",
    )
    case = report(c.phone_resident, title="王芳家门口路灯坏了", address="三苏路1号")
    s.case_accept(actor=c.community_a, number=case.number, version=case.version, note="张三来电")
    rows = list(Notification.objects.filter(webhook=hook).order_by("id"))
    assert [row.kind for row in rows] == ["case.report", "case.accept"]
    assert rows[1].payload["case"] == case.number
    assert rows[1].payload["to_state"] == "accepted"
    assert rows[1].payload["unit"] == c.street.community_a.code
    text = str([row.payload for row in rows])
    for private in ("王芳", "三苏路", "张三", PHONE):
        assert private not in text


def test_the_sweep_tells_webhooks_of_its_cards(c, clock):
    hook = webhook_subscription_create(
        actor=Actor.system(),
        org_path=c.street.community_a.path,
        url="http://127.0.0.1:9/hook",
        secret="a-department-shared-secret",
    )
    case = report(c.resident)
    deadline_sweep(now=local(11, 2, 15, 1))
    kinds = list(
        Notification.objects.filter(webhook=hook).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == ["case.report", "case.card", "case.urge"]
    card = Notification.objects.filter(webhook=hook, kind="case.card").get()
    assert (card.payload["case"], card.payload["detail"]["card"]) == (case.number, "red")


def test_intake_asks_nothing_of_the_database_for_notifications(c):
    case = report(c.resident)
    event = CaseEvent.objects.get(case=case, action="report")
    notify.on_event(case, event)  # warm the webhook list
    with (
        override_settings(WANGGE_CACHE_RECHECK_SECONDS=60),
        CaptureQueriesContext(connection) as captured,
    ):
        notify.on_event(case, event)
    assert len(captured) == 0
    assert not Notification.objects.filter(object_id=case.number).exists()


def test_a_whistle_summons_every_department_named(c):
    case = report(c.resident)
    case = s.case_accept(actor=c.community_a, number=case.number, version=case.version)
    case = s.case_escalate(
        actor=c.community_a, number=case.number, version=case.version, note="需要多部门"
    )
    s.case_whistle(
        actor=c.command,
        number=case.number,
        version=case.version,
        lead_unit_code=c.street.department.code,
        unit_codes=[c.department2.code],
        note="联合处置",
    )
    assert [n.kind for n in to(c.dept)] == ["case.whistle"]
    assert [n.kind for n in to(c.dept2)] == ["case.whistle"]
    assert "联合处置" in to(c.dept2)[0].body
    assert [n.kind for n in to(c.command)] == ["case.escalate"]


def test_a_case_long_overdue_is_escalated_to_the_unit_above_as_a_digest(c, settings):
    settings.WANGGE_CASE_ESCALATE_AFTER_HOURS = 8  # working hours: due Monday 15:00
    case = report(c.resident)
    counts = deadline_sweep(now=local(11, 4, 10, 0))
    assert counts["escalated"] == 1
    [digest] = [n for n in to(c.command) if n.kind == "case.escalation_digest"]
    assert case.number in digest.body
    # The community that holds it was urged; the street above hears of the escalation.
    assert [n.kind for n in to(c.community_a)] == ["case.urge_digest"]
