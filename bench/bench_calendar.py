"""Working-day arithmetic on the seeded calendar: add_working_days, called on every case intake.

(a) `add_working_days(day, n)` for random days in 2004-2025 and n in 0..30 (calls/s, target
    ≥ 200,000); baseline: chinesecalendar's own `find_workday`, which steps one day at a time.
    Both must give the same answers on the sample, or the run fails.
(b) `add_working_hours(start, hours)` with the default service hours (calls/s, target ≥ 50,000);
    no baseline in the package, so the figure stands alone.

(a) goes through the process cache as an intake does; (b) passes the snapshot in.
BENCH_SCALE=small uses 20,000 calls instead of 200,000.
"""

import random
from datetime import date, datetime, timedelta

from common import best_seconds, django_database, record, sized

SEED = 20261122


def main() -> None:
    with django_database():
        import chinese_calendar

        from wangge.core.calendar import (
            LOCAL_TZ,
            add_working_days,
            add_working_hours,
            calendar_snapshot,
        )

        snapshot = calendar_snapshot()
        rng = random.Random(SEED)
        count = sized(small=20_000, full=200_000)
        first, span = date(2004, 1, 1), (date(2025, 12, 31) - date(2004, 1, 1)).days
        cases = [
            (first + timedelta(days=rng.randrange(span)), rng.randrange(31)) for _ in range(count)
        ]

        # The package counts from the first workday on or after the day; ours from the next
        # day. They agree on working days, so compare there.
        sample = [(day, n) for day, n in cases[:2000] if chinese_calendar.is_workday(day)]
        for day, n in sample:
            assert add_working_days(day, n, calendar=snapshot) == chinese_calendar.find_workday(
                n, day
            ), (day, n)

        # Through the process cache, exactly as an intake calls it (a revision check at most
        # every WANGGE_CACHE_RECHECK_SECONDS).
        ours = best_seconds(lambda: [add_working_days(d, n) for d, n in cases])
        base_cases = cases[: count // 10]
        base = best_seconds(lambda: [chinese_calendar.find_workday(n, d) for d, n in base_cases])
        record(
            "calendar_add_working_days",
            f"{count:,} calls",
            count / ours,
            "calls/s",
            len(base_cases) / base,
            200_000,
        )

        starts = [
            datetime.combine(day, datetime.min.time(), LOCAL_TZ)
            + timedelta(minutes=rng.randrange(24 * 60))
            for day, _ in cases
        ]
        hours = [rng.randrange(1, 8 * 7) for _ in cases]
        timed = best_seconds(
            lambda: [
                add_working_hours(s, h, calendar=snapshot)
                for s, h in zip(starts, hours, strict=True)
            ]
        )
        record(
            "calendar_add_working_hours", f"{count:,} calls", count / timed, "calls/s", None, 50_000
        )


if __name__ == "__main__":
    main()
