"""A year of demo case history, ending now: a few thousand cases from every source, in every state.

`case_history_load` plans the cases (place inside a grid, category and source by realistic
shares, a report time in the last year), walks each through the loop (case_timeline.py) and
writes the rows in bulk (register_writer.fast_insert) rather than through the services: the
services stamp `timezone.now()` on every step and write an audit row each, while a history needs
past times and thousands of cases in seconds. The numbers are the real format, counted per
local day after any number already issued that day, and CaseNumberSequence moves past them, so
new cases do not collide. The statistics rollups are rebuilt once at the end.
"""

from datetime import datetime

import numpy as np
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.cases.enums import CaseSource
from wangge.cases.models import (
    Case,
    CaseCategory,
    CaseEvent,
    CaseExtension,
    CaseNumberSequence,
    CaseReportIn,
    CaseWhistle,
)
from wangge.cases.numbers import format_case_number
from wangge.core.audit import audit_record
from wangge.core.calendar import LOCAL_TZ
from wangge.core.errors import PermissionDenied
from wangge.orgs.permissions import is_system

from . import names
from .case_sim import History, Sim
from .case_timeline import reported_at_for, reporter_for, simulate
from .register import grids_of, households_per_grid, points_inside, street_households
from .register_writer import fast_insert

CASES_PER_HOUSEHOLD = 0.4  # the demo street's 10,000 households report ~4,000 cases a year
ACTION = "demo.case_history"
# Shares of the category classes (市容环境 and facilities most, then disputes and livelihood).
CLASS_SHARES = {
    "11": 20,
    "01": 12,
    "03": 8,
    "14": 10,
    "21": 11,
    "24": 9,
    "27": 7,
    "22": 6,
    "12": 4,
    "13": 3,
    "02": 2,
    "04": 2,
    "25": 2,
    "26": 2,
    "23": 1,
    "05": 1,
    "15": 1,
}
LEAF_WEIGHT = {"0101": 4, "1102": 3, "1101": 2, "2101": 3, "1401": 2, "2702": 2}
SOURCE_SHARES = {
    CaseSource.GRID_WORKER: 0.52,
    CaseSource.RESIDENT: 0.2,
    CaseSource.HOTLINE: 0.15,
    CaseSource.WINDOW: 0.08,
    CaseSource.API: 0.02,
    CaseSource.OPEN311: 0.03,
}
PHRASES = ("附近", "路口", "小区门口", "楼下", "沿街", "背街小巷")


def _categories(rng) -> tuple[list[CaseCategory], np.ndarray]:
    leaves = list(
        CaseCategory.objects.filter(is_active=True, parent__isnull=False)
        .select_related("parent")
        .order_by("code")
    )
    per_class: dict[str, int] = {}
    for leaf in leaves:
        per_class[leaf.code[:2]] = per_class.get(leaf.code[:2], 0) + LEAF_WEIGHT.get(leaf.code, 1)
    weights = np.array(
        [
            CLASS_SHARES.get(leaf.code[:2], 0.5)
            * LEAF_WEIGHT.get(leaf.code, 1)
            / per_class[leaf.code[:2]]
            for leaf in leaves
        ]
    )
    return leaves, weights / weights.sum()


def case_history_loaded() -> bool:
    return Case.objects.filter(path__startswith=f"/{names.CITY[0]}/").exists()


@transaction.atomic
def case_history_load(*, actor, collection: dict, seed: int, now: datetime | None = None) -> dict:
    """Simulate and write a year of cases in the loaded demo city; returns counts.

    Called by the demo command inside the system actor's run, after demo_load."""
    if not is_system(actor):
        raise PermissionDenied(_("Only the system may load the demo's case history."))
    now = now or timezone.now()
    rng = np.random.default_rng([seed, 13])
    h = History(rng, now)
    leaves, weights = _categories(rng)
    sources, source_p = list(SOURCE_SHARES), np.array(list(SOURCE_SHARES.values()))
    open311_user = (
        get_user_model()
        .objects.filter(username="demo_open311")
        .values_list("pk", flat=True)
        .first()
    )
    open311 = (open311_user, "Open311") if open311_user else None
    grids = grids_of(collection)
    planned = []
    for grid, households in zip(
        grids, households_per_grid(grids, street_households()), strict=True
    ):
        unit = h.units.get(grid["code"])
        count = int(rng.poisson(max(households, 1) * CASES_PER_HOUSEHOLD))
        if unit is None or count == 0:
            continue
        points = points_inside(rng, grid["polygon"], count)
        for lng, lat in points:
            source = str(sources[int(rng.choice(len(sources), p=source_p))])
            category = leaves[int(rng.choice(len(leaves), p=weights))]
            planned.append(
                (reported_at_for(rng, now, source), unit, grid, source, category, lng, lat)
            )
    planned.sort(key=lambda row: (row[0], row[1].code))
    counters = dict(CaseNumberSequence.objects.values_list("day", "last"))
    sims: list[Sim] = []
    last_of_day: dict = {}
    for reported_at, unit, _grid, source, category, lng, lat in planned:
        day = reported_at.astimezone(LOCAL_TZ).date()
        last_of_day[day] = last_of_day.get(day, counters.get(day, 0)) + 1
        anonymous = (
            source == CaseSource.RESIDENT and category.anonymous_allowed and rng.random() < 0.4
        )
        phrase = PHRASES[int(rng.integers(len(PHRASES)))]
        place = f"{unit.name}{phrase}"
        case = Case(
            number=format_case_number(day, last_of_day[day]),
            category=category,
            source=source,
            state="",
            title=f"{category.name}：{place}"[:100],
            description=f"{place}发现{category.name}问题，请尽快处理。",
            address=place[:160],
            lng=round(float(lng), 7),
            lat=round(float(lat), 7),
            grid=unit,
            path=unit.path,
            anonymous=anonymous,
            hotline_number=(
                f"12345-{day:%Y%m%d}-{int(rng.integers(1, 9999)):04d}"
                if source == CaseSource.HOTLINE
                else ""
            ),
            reported_at=reported_at,
        )
        reporter, caller = reporter_for(h, unit, source, anonymous, open311)
        case.reporter_id = reporter[0] if source != CaseSource.RESIDENT else None
        sim = Sim(case=case)
        simulate(h, sim, unit, reporter, caller)
        case.handler_path = sim.holder.path
        sims.append(sim)
    fast_insert(Case, [sim.case for sim in sims])
    events = []
    for sim in sims:
        for event in sim.events:
            event.case_id = sim.case.pk
            events.append(event)
    fast_insert(CaseEvent, events)
    _insert_joint_work(sims)
    _bump_sequences(last_of_day)
    _rebuild_rollups()
    states: dict[str, int] = {}
    for sim in sims:
        states[sim.case.state] = states.get(sim.case.state, 0) + 1
    summary = {
        "cases": len(sims),
        "events": len(events),
        "states": states,
        "extension_requests": sum(len(sim.extensions) for sim in sims),
        "whistles": sum(len(sim.whistles) for sim in sims),
    }
    audit_record(
        actor=actor,
        action=ACTION,
        object_type="demo",
        object_id=names.CITY[0],
        org_path=f"/{names.CITY[0]}/",
        username="system",
        detail=summary,
    )
    return summary


def _insert_joint_work(sims: list[Sim]) -> None:
    """The extension requests and the whistles with their report-ins."""
    requests, whistles = [], []
    for sim in sims:
        for request in sim.extensions:
            request.case_id = sim.case.pk
            requests.append(request)
        for whistle, _rows in sim.whistles:
            whistle.case_id = sim.case.pk
            whistles.append(whistle)
    fast_insert(CaseExtension, requests)
    fast_insert(CaseWhistle, whistles)
    report_ins = []
    for sim in sims:
        for whistle, rows in sim.whistles:
            for row in rows:
                row.whistle_id, row.case_id = whistle.pk, sim.case.pk
                report_ins.append(row)
    fast_insert(CaseReportIn, report_ins)


def _bump_sequences(last_of_day: dict) -> None:
    existing = set(
        CaseNumberSequence.objects.filter(day__in=list(last_of_day)).values_list("day", flat=True)
    )
    CaseNumberSequence.objects.bulk_create(
        [
            CaseNumberSequence(day=day, last=last)
            for day, last in last_of_day.items()
            if day not in existing
        ],
        batch_size=500,
    )
    for day in existing:
        CaseNumberSequence.objects.filter(day=day, last__lt=last_of_day[day]).update(
            last=last_of_day[day]
        )


def _rebuild_rollups() -> None:
    """The statistics are maintained per event; a bulk load rebuilds them once instead."""
    from wangge.cases.stats import rollup

    rebuild = getattr(rollup, "rebuild_rollups", None)
    if rebuild is not None:
        rebuild()


def case_history_reset(path: str) -> int:
    """Remove the cases under `path` (the demo city) and their timelines; returns cases deleted.

    By id, in chunks: a join on the path right after a bulk load (no planner statistics yet)
    made PostgreSQL choose a nested loop that ran for minutes.
    """
    ids = list(Case.objects.filter(path__startswith=path).values_list("id", flat=True))
    for start in range(0, len(ids), 2_000):
        part = ids[start : start + 2_000]
        Case.objects.filter(merged_into_id__in=part).update(merged_into=None)
        CaseEvent.objects.filter(case_id__in=part).delete()
        CaseReportIn.objects.filter(case_id__in=part).delete()
        CaseWhistle.objects.filter(case_id__in=part).delete()
        CaseExtension.objects.filter(case_id__in=part).delete()
        Case.objects.filter(id__in=part).delete()
    return len(ids)
