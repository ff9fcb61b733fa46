"""Case rollups: each kind of transition moves the right counters, and random case histories
through the real services give the same rollups incrementally, by rebuild_rollups() and by a
direct GROUP BY over the cases (the baseline)."""

import random
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from wangge.cases import services as s
from wangge.cases.enums import CaseState
from wangge.cases.extensions import case_extension_decide, case_extension_request
from wangge.cases.models import Case, CaseRollup
from wangge.cases.stats.baseline import baseline_indicators
from wangge.cases.stats.rollup import rebuild_rollups, rollup_table
from wangge.cases.stats.selectors import case_stats, category_ids, period_parts
from wangge.cases.sweep import deadline_sweep
from wangge.core.calendar import LOCAL_TZ
from wangge.orgs.models import OrgUnit
from wangge.orgs.permissions import system_actor

from .factories import POINT_A1, POINT_B1, category, crew, report

pytestmark = pytest.mark.django_db

DAY = date(2026, 11, 2)


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
    category()  # handled by the community, 3 working days
    category("T0102", "井盖缺失", grid_may_resolve=True)
    return team


def figures(unit, start: date = DAY, end: date = DAY, **extra) -> dict:
    stats = case_stats(actor=system_actor(), unit_code=unit.code, start=start, end=end, **extra)
    return stats.totals.as_dict()


def row(dimension: str, unit, category_code: str = "T0101", day: date = DAY) -> dict:
    found = CaseRollup.objects.filter(
        dimension=dimension,
        unit_code=unit.code,
        grain=CaseRollup.DAY,
        day=day,
        category__code=category_code,
    ).values()
    return dict(found[0]) if found else {}


def assert_consistent() -> None:
    """The hooks' rollups equal the rebuild's, and every unit's figures equal the baseline's."""
    incremental = rollup_table()
    rebuild_rollups()
    assert rollup_table() == incremental
    days = sorted({key[3] for key in incremental}) or [DAY]
    periods = [
        (days[0], days[-1]),
        (days[0], days[0]),
        (days[-1], days[-1] + timedelta(3)),
        (date(2026, 10, 20), date(2027, 1, 5)),  # whole months and days on either side
        (date(2026, 11, 1), date(2026, 11, 30)),  # one whole month
    ]
    for unit in OrgUnit.objects.all():
        for start, end in periods:
            for code in (None, "T0101"):
                stats = case_stats(
                    actor=system_actor(),
                    unit_code=unit.code,
                    start=start,
                    end=end,
                    category_code=code,
                )
                ids = category_ids(code)[1] if code else None
                assert stats.totals == baseline_indicators(unit, start, end, ids), (
                    unit.code,
                    start,
                    end,
                    code,
                )


# --- one transition at a time ------------------------------------------------------------------


def test_a_report_counts_for_the_grid_and_every_unit_above_and_its_handler(c):
    report(c.resident)
    street = c.street
    for unit in (street.grid_a1, street.community_a, street.street):
        assert figures(unit)["reported"] == 1
        assert figures(unit)["registered"] == 0
    assert figures(street.community_b)["reported"] == 0
    assert row(CaseRollup.HANDLER, street.community_a)["reported"] == 1
    assert_consistent()


def test_accept_registers_and_reject_does_not(c):
    kept = report(c.resident)
    dropped = report(c.resident, point=POINT_B1)
    s.case_accept(actor=c.community_a, number=kept.number, version=kept.version)
    s.case_reject(actor=c.community_b, number=dropped.number, version=dropped.version, note="重复")
    assert figures(c.street.street)["registered"] == 1
    assert figures(c.street.community_a)["registered"] == 1
    assert figures(c.street.community_b)["registered"] == 0
    assert figures(c.street.community_b)["reported"] == 1
    assert_consistent()


def test_on_the_spot_resolution_counts_as_registered(c):
    report(c.grid_worker, category_code="T0102", source="grid_worker", resolve_on_spot=True)
    assert figures(c.street.grid_a1, category_code="T0102")["registered"] == 1
    assert_consistent()


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


def test_dispatch_moves_the_handler_row_to_the_department(c):
    case = to_department(c, report(c.resident))
    assert case.handler_unit == c.street.department
    assert row(CaseRollup.HANDLER, c.street.community_a)["reported"] == 0
    assert row(CaseRollup.HANDLER, c.street.street)["reported"] == 0
    assert row(CaseRollup.HANDLER, c.street.department)["registered"] == 1
    # The department's own figures are what it handles.
    assert figures(c.street.department)["reported"] == 1
    assert figures(c.department2)["reported"] == 0
    assert_consistent()


def handled(c, case: Case) -> Case:
    case = to_department(c, case)
    case = s.case_start(actor=c.dept, number=case.number, version=case.version)
    return s.case_handle(actor=c.dept, number=case.number, version=case.version, note="已处理")


def test_rework_then_close_on_time_then_rate(c, clock):
    case = handled(c, report(c.resident))
    case = s.case_rework(
        actor=c.grid_worker, number=case.number, version=case.version, note="没修好"
    )
    assert figures(c.street.street)["reworked"] == 1
    assert figures(c.street.street)["rework_rate"] == 100.0
    case = s.case_handle(actor=c.dept, number=case.number, version=case.version)
    case = s.case_verify(actor=c.grid_worker, number=case.number, version=case.version)
    clock.now = local(11, 3, 10, 30)
    case = s.case_close(actor=c.community_a, number=case.number, version=case.version)
    got = figures(c.street.grid_a1)
    assert (got["closed"], got["closed_on_time"], got["closure_rate"]) == (1, 1, 100.0)
    assert got["handling_seconds"] == 25.5 * 3600
    assert got["average_hours"] == 25.5
    s.case_rate(actor=c.resident, number=case.number, rating=4)
    got = figures(c.street.community_a)
    assert (got["rated"], got["satisfied"], got["satisfaction_rate"]) == (1, 1, 100.0)
    assert figures(c.street.department)["closed"] == 1
    assert_consistent()


def closed(c, clock, case: Case) -> Case:
    case = handled(c, case)
    case = s.case_verify(actor=c.grid_worker, number=case.number, version=case.version)
    return s.case_close(actor=c.community_a, number=case.number, version=case.version)


def test_reopen_and_a_bad_rating_take_the_closure_back(c, clock):
    first = closed(c, clock, report(c.resident))
    second = closed(c, clock, report(c.resident))
    assert figures(c.street.street)["closed"] == 2
    s.case_reopen(actor=c.resident, number=first.number, note="又坏了")
    got = figures(c.street.street)
    assert (got["closed"], got["registered"]) == (1, 2)
    reopened = s.case_rate(actor=c.resident, number=second.number, rating=1)
    assert reopened.state == CaseState.IN_PROGRESS
    got = figures(c.street.street)
    assert (got["closed"], got["rated"], got["satisfied"]) == (0, 1, 0)
    assert got["satisfaction_rate"] == 0.0
    assert_consistent()


def test_an_approved_extension_counts_once(c):
    case = handled(c, report(c.resident))
    case = s.case_rework(actor=c.grid_worker, number=case.number, version=case.version, note="重做")
    for _ in range(2):
        case_extension_request(
            actor=c.dept, number=case.number, version=None, days=2, reason="等材料"
        )
        case = case_extension_decide(
            actor=c.command, number=case.number, version=None, approve=True
        )
    assert Case.objects.get(pk=case.pk).extensions == 2
    got = figures(c.street.department)
    assert (got["extended"], got["extension_rate"]) == (1, 100.0)
    assert_consistent()


def test_the_sweep_urge_counts_as_overdue_and_stays_after_closure(c, clock):
    case = report(c.resident)
    deadline_sweep(now=local(11, 2, 16, 0))  # accept was due at 15:00
    assert figures(c.street.street)["overdue"] == 1
    assert figures(c.street.street)["overdue_rate"] == 100.0
    clock.now = local(11, 2, 16, 5)
    case = Case.objects.get(pk=case.pk)
    closed(c, clock, case)
    assert Case.objects.get(pk=case.pk).card == ""
    assert figures(c.street.street)["overdue"] == 1
    assert_consistent()


def test_closing_after_the_due_date_is_overdue_and_not_on_time(c, clock):
    case = handled(c, report(c.resident))
    case = s.case_verify(actor=c.grid_worker, number=case.number, version=case.version)
    clock.now = local(11, 20, 10, 0)
    s.case_close(actor=c.community_a, number=case.number, version=case.version)
    got = figures(c.street.street)
    assert (got["closed"], got["closed_on_time"], got["overdue"]) == (1, 0, 1)
    assert got["on_time_rate"] == 0.0
    assert_consistent()


# --- random histories --------------------------------------------------------------------------


def _advance(c, clock, rng: random.Random, case: Case) -> Case | None:
    """One random allowed step for `case` by whoever may take it; None when it is finished."""
    case = Case.objects.get(pk=case.pk)
    place = c.community_a if case.path.startswith(c.street.community_a.path) else c.community_b
    holder = c.dept if case.handler_path == c.street.department.path else place
    if case.handler_path == c.department2.path:
        holder = c.dept2
    args = {"number": case.number, "version": case.version}
    state = case.state
    if state == CaseState.REPORTED:
        if rng.random() < 0.15:
            return s.case_reject(actor=place, note="不属实", **args)
        return s.case_accept(actor=place, **args)
    if state == CaseState.ACCEPTED:
        if case.handler_path == c.street.street.path:
            target = rng.choice([c.street.department, c.department2])
            return s.case_dispatch(actor=c.command, unit_code=target.code, **args)
        if rng.random() < 0.4:
            return s.case_escalate(actor=place, note="上报街道", **args)
        unit = c.street.community_a if place is c.community_a else c.street.community_b
        return s.case_dispatch(actor=place, unit_code=unit.code, **args)
    if state in (CaseState.DISPATCHED, CaseState.IN_PROGRESS):
        roll = rng.random()
        if roll < 0.15 and not case.extension_requests.filter(status="pending").exists():
            case_extension_request(actor=holder, days=1, reason="等材料", **args)
            return case_extension_decide(
                actor=c.command,
                number=case.number,
                version=None,
                approve=rng.random() < 0.7,
                note="已审核",
            )
        if state == CaseState.DISPATCHED and roll < 0.4:
            return s.case_start(actor=holder, **args)
        return s.case_handle(actor=holder, **args)
    if state == CaseState.HANDLED:
        if rng.random() < 0.3:
            return s.case_rework(actor=place, note="未达标", **args)
        return s.case_verify(actor=place, **args)
    if state == CaseState.VERIFIED:
        return s.case_close(actor=place, **args)
    if state == CaseState.CLOSED and case.reporter_id:
        people = (c.resident, c.resident2, c.grid_worker)
        reporter = next(who for who in people if who.user.pk == case.reporter_id)
        recent = case.closed_at and clock.now - case.closed_at < timedelta(days=6)
        if rng.random() < 0.2 and recent:
            return s.case_reopen(actor=reporter, note="没修好", **args)
        return s.case_rate(actor=reporter, rating=rng.randint(1, 5), **args)
    return None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_histories_agree_with_rebuild_and_baseline(c, clock, seed):
    rng = random.Random(seed)
    cases: list[Case] = []
    for _ in range(100):
        clock.now += timedelta(minutes=rng.randint(10, 600))
        roll = rng.random()
        if roll < 0.2 or not cases:
            reporter = rng.choice([c.resident, c.resident2])
            point = rng.choice([POINT_A1, POINT_B1])
            cases.append(report(reporter, point=point))
        elif roll < 0.35:
            cases.append(
                report(
                    c.grid_worker, category_code="T0102", source="grid_worker", resolve_on_spot=True
                )
            )
        elif roll < 0.45:
            deadline_sweep(now=clock.now)
        else:
            for case in rng.sample(cases, min(3, len(cases))):
                _advance(c, clock, rng, case)
    deadline_sweep(now=clock.now + timedelta(days=3))
    handled = [
        counts[0]
        for key, counts in rollup_table().items()
        if key[0] == CaseRollup.HANDLER and key[2] == CaseRollup.DAY and key[4] == 0
    ]
    assert sum(handled) == len(cases)
    got = case_stats(
        actor=system_actor(), start=DAY, end=clock.now.date(), unit_code=c.street.street.code
    ).totals
    # The history reached every counter (else the comparison below would prove little).
    assert got.reported == len(cases) > got.registered > got.closed > 0
    assert min(got.reworked, got.overdue, got.rated, got.satisfied, got.closed_on_time) > 0
    assert_consistent()


# --- the period split --------------------------------------------------------------------------


@pytest.mark.django_db(False)
@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    length=st.integers(min_value=0, max_value=900),
)
def test_period_parts_cover_each_day_exactly_once(start, length):
    end = start + timedelta(days=length)
    covered: list[date] = []
    for grain, first, last in period_parts(start, end):
        assert first <= last
        if grain == CaseRollup.MONTH:
            assert first.day == 1 and last.day == 1
            month = first
            while month <= last:
                following = (month + timedelta(days=32)).replace(day=1)
                covered += [month + timedelta(days=i) for i in range((following - month).days)]
                month = following
        else:
            covered += [first + timedelta(days=i) for i in range((last - first).days + 1)]
    assert sorted(covered) == [start + timedelta(days=i) for i in range(length + 1)]
