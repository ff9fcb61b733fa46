"""Working-day arithmetic: examples from the 2026 schedule, coverage, and properties.

The property tests run over a snapshot built straight from `chinesecalendar` (no database, so
hypothesis can run many examples); `test_seeded_table_matches_chinesecalendar` shows the table
seeded by the migration gives exactly the same snapshot.
"""

import calendar as std_calendar
from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from wangge.core.calendar import (
    DEFAULT_SCHEDULE,
    LOCAL_TZ,
    CalendarNotCovered,
    CalendarSnapshot,
    ServiceSchedule,
    add_working_days,
    add_working_hours,
    calendar_cache_clear,
    calendar_is_provisional,
    calendar_snapshot,
    calendar_unconfirmed_year_warning,
    is_workday,
    working_days_between,
    working_time_between,
)
from wangge.core.calendar_services import chinesecalendar_days, chinesecalendar_years
from wangge.core.errors import ValidationFailed
from wangge.core.models import CalendarDay, CalendarDayKind, CalendarDaySource, CalendarYear

YEARS = chinesecalendar_years()
PACKAGE = CalendarSnapshot.build(
    YEARS,
    (
        day
        for year in YEARS
        for day, kind, _name in chinesecalendar_days(year)
        if kind in (CalendarDayKind.WORKDAY, CalendarDayKind.ADJUSTED_WORKDAY)
    ),
)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ)


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    calendar_cache_clear()
    yield
    calendar_cache_clear()


# --- the seeded table --------------------------------------------------------------------------


def test_package_covers_2004_to_2026_but_not_2027():
    # If a newer chinesecalendar covers 2027, the banner and coverage tests below need a new year.
    assert list(YEARS) == list(range(2004, 2027))


@pytest.mark.django_db
def test_seeded_table_has_every_day_of_every_covered_year():
    assert sorted(CalendarYear.objects.values_list("year", flat=True)) == list(YEARS)
    expected = sum(366 if std_calendar.isleap(year) else 365 for year in YEARS)
    assert CalendarDay.objects.count() == expected
    assert not CalendarDay.objects.exclude(source=CalendarDaySource.CHINESECALENDAR).exists()


@pytest.mark.django_db
def test_seeded_table_matches_chinesecalendar():
    rows = dict(CalendarDay.objects.values_list("date", "kind"))
    for year in YEARS:
        for day, _kind, _name in chinesecalendar_days(year):
            assert (rows[day] in ("workday", "adjusted_workday")) == chinese_calendar.is_workday(
                day
            )
    assert calendar_snapshot() == PACKAGE


@pytest.mark.django_db
def test_national_day_2026_is_seven_holidays_then_an_adjusted_saturday():
    days = {
        row.date: row
        for row in CalendarDay.objects.filter(date__range=("2026-10-01", "2026-10-11"))
    }
    for offset in range(7):
        day = days[date(2026, 10, 1) + timedelta(days=offset)]
        assert (day.kind, day.name) == (CalendarDayKind.HOLIDAY, "National Day")
        assert not is_workday(day.date)
    assert days[date(2026, 10, 10)].kind == CalendarDayKind.ADJUSTED_WORKDAY
    assert days[date(2026, 10, 11)].kind == CalendarDayKind.WEEKEND
    assert days[date(2026, 10, 8)].kind == CalendarDayKind.WORKDAY


# --- working days ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_three_working_days_after_30_september_2026_is_the_adjusted_saturday():
    assert add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)


@pytest.mark.django_db
def test_zero_days_is_the_day_itself_or_the_next_working_day():
    assert add_working_days(date(2026, 10, 8), 0) == date(2026, 10, 8)
    assert add_working_days(date(2026, 10, 1), 0) == date(2026, 10, 8)
    assert add_working_days(date(2026, 10, 11), 0) == date(2026, 10, 12)


def test_negative_or_non_integer_days_are_refused():
    for bad in (-1, 1.5, True, "3"):
        with pytest.raises(ValidationFailed) as caught:
            add_working_days(date(2026, 10, 8), bad, calendar=PACKAGE)  # type: ignore[arg-type]
        assert caught.value.field == "days"


@pytest.mark.django_db
def test_a_year_without_its_schedule_counts_weekends_only_and_is_provisional():
    # 2027 is not in the table: Monday to Friday are worked, 1 January (a Friday) included.
    assert calendar_snapshot().is_provisional(2027)
    assert not calendar_snapshot().is_provisional(2026)
    assert add_working_days(date(2027, 3, 5), 1) == date(2027, 3, 8)
    assert is_workday(date(2027, 1, 1)) and not is_workday(date(2027, 1, 2))
    assert calendar_is_provisional(date(2027, 3, 5))
    assert not calendar_is_provisional(date(2026, 3, 5))
    # Before chinesecalendar's first year as well.
    assert is_workday(date(2003, 12, 31)) and calendar_is_provisional(date(2003, 12, 31))


@pytest.mark.django_db
def test_a_date_the_calendar_cannot_count_in_is_an_input_error_naming_the_year():
    with pytest.raises(CalendarNotCovered) as caught:
        add_working_days(date(1999, 12, 31), 1)
    error = caught.value
    assert isinstance(error, ValidationFailed)
    assert (error.code, error.status, error.field, error.year) == (
        "calendar_not_covered",
        422,
        "date",
        1999,
    )
    assert "1999" in str(error.message)
    with pytest.raises(CalendarNotCovered):
        is_workday(date(2102, 1, 5))


@pytest.mark.django_db
def test_a_count_past_the_last_confirmed_year_goes_on_provisionally():
    assert add_working_days(date(2026, 12, 28), 3) == date(2026, 12, 31)
    assert not calendar_is_provisional(date(2026, 12, 28), date(2026, 12, 31))
    # 1 January 2027 counts as a working day until the 2027 schedule is imported.
    assert add_working_days(date(2026, 12, 28), 4) == date(2027, 1, 1)
    assert calendar_is_provisional(date(2026, 12, 28), date(2027, 1, 1))


def test_a_gap_between_confirmed_years_counts_weekends_only_and_is_flagged():
    snap = CalendarSnapshot.build({2025, 2027}, [date(2025, 12, 31), date(2027, 1, 4)])
    assert add_working_days(date(2025, 12, 30), 1, calendar=snap) == date(2025, 12, 31)
    # Thursday 1 January 2026 is a working day in the gap; Friday 1 January 2027 is not, since
    # 2027 is confirmed and does not list it.
    assert add_working_days(date(2025, 12, 30), 2, calendar=snap) == date(2026, 1, 1)
    assert add_working_days(date(2026, 12, 31), 1, calendar=snap) == date(2027, 1, 4)
    assert snap.is_provisional(2025, 2027) and not snap.is_provisional(2027)
    assert add_working_hours(local(2025, 12, 31, 17, 0), 2, calendar=snap) == local(
        2026, 1, 1, 10, 0
    )


@pytest.mark.django_db
def test_a_half_filled_year_does_not_count_as_confirmed():
    CalendarDay.objects.filter(date=date(2026, 6, 1)).delete()
    calendar_cache_clear()
    assert 2026 not in calendar_snapshot().years
    assert calendar_is_provisional(date(2026, 3, 2))
    # Its rows are not trusted: National Day counts as a working day, as in any provisional year.
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 1)


def test_working_days_between_counts_the_half_open_range():
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 10), calendar=PACKAGE) == 3
    assert working_days_between(date(2026, 10, 10), date(2026, 9, 30), calendar=PACKAGE) == 0


covered_dates = st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 9, 30))


@given(day=covered_dates, days=st.integers(min_value=0, max_value=40))
def test_property_result_is_a_workday_with_exactly_n_workdays_in_between(day, days):
    result = add_working_days(day, days, calendar=PACKAGE)
    assert is_workday(result, calendar=PACKAGE)
    span = [day + timedelta(days=offset) for offset in range(1, (result - day).days + 1)]
    worked = [d for d in span if is_workday(d, calendar=PACKAGE)]
    if days == 0:
        assert result == day if is_workday(day, calendar=PACKAGE) else worked == [result]
    else:
        assert len(worked) == days and worked[-1] == result
        assert working_days_between(day, result, calendar=PACKAGE) == days


@given(day=covered_dates, first=st.integers(0, 30), second=st.integers(0, 30))
def test_property_monotonic_in_n_and_composable(day, first, second):
    low, high = sorted((first, second))
    assert add_working_days(day, low, calendar=PACKAGE) <= add_working_days(
        day, high, calendar=PACKAGE
    )
    if 1 <= low < high:
        assert add_working_days(day, low, calendar=PACKAGE) < add_working_days(
            day, high, calendar=PACKAGE
        )
    if first >= 1:
        step = add_working_days(day, first, calendar=PACKAGE)
        assert add_working_days(step, second, calendar=PACKAGE) == add_working_days(
            day, first + second, calendar=PACKAGE
        )


@given(day=covered_dates, days=st.integers(0, 20))
def test_property_agrees_with_chinesecalendar_find_workday(day, days):
    # The package's find_workday(n, d) counts from the first workday on or after d, which is the
    # same as ours except for n >= 1 from a rest day.
    assume(days == 0 or chinese_calendar.is_workday(day))
    assert add_working_days(day, days, calendar=PACKAGE) == chinese_calendar.find_workday(days, day)


# --- working time ------------------------------------------------------------------------------


def test_service_schedule_rejects_times_out_of_order():
    with pytest.raises(ValueError):
        ServiceSchedule(morning=(time(12), time(8, 30)))
    with pytest.raises(ValueError):
        ServiceSchedule(extended_weekdays=frozenset({3}), extended_end=time(17))
    with pytest.raises(ValueError):
        ServiceSchedule(extended_weekdays=frozenset({0}), extended_end=time(19))


def test_working_hours_skip_the_lunch_break_holidays_and_nights():
    # Friday 9 Oct 2026 16:30: one hour left that day, the next working day is Saturday 10 Oct.
    assert add_working_hours(local(2026, 10, 9, 16, 30), 2, calendar=PACKAGE) == local(
        2026, 10, 10, 9, 30
    )
    assert add_working_hours(local(2026, 11, 23, 11, 0), 2, calendar=PACKAGE) == local(
        2026, 11, 23, 15, 0
    )
    # Landing exactly on the end of the morning is 12:00, not 14:00.
    assert add_working_hours(local(2026, 11, 23, 11, 0), 1, calendar=PACKAGE) == local(
        2026, 11, 23, 12, 0
    )
    # Started during National Day: the clock starts on 8 October.
    assert add_working_hours(local(2026, 10, 2, 10, 0), 1, calendar=PACKAGE) == local(
        2026, 10, 8, 9, 30
    )


def test_zero_hours_is_now_inside_service_hours_else_the_next_opening():
    inside = local(2026, 11, 23, 9, 15)
    assert add_working_hours(inside, 0, calendar=PACKAGE) == inside
    assert add_working_hours(local(2026, 11, 23, 12, 30), 0, calendar=PACKAGE) == local(
        2026, 11, 23, 14, 0
    )


def test_extended_hours_apply_on_their_weekdays_only():
    late_wednesday = ServiceSchedule(extended_weekdays=frozenset({3}), extended_end=time(19))
    assert add_working_hours(
        local(2026, 11, 25, 17, 0), 2, late_wednesday, calendar=PACKAGE
    ) == local(2026, 11, 25, 19, 0)
    assert add_working_hours(
        local(2026, 11, 24, 17, 0), 2, late_wednesday, calendar=PACKAGE
    ) == local(2026, 11, 25, 10, 0)


def test_a_normal_week_has_35_working_hours_and_pauses_come_off():
    monday = local(2026, 11, 23)
    week = working_time_between(monday, monday + timedelta(days=7), calendar=PACKAGE)
    assert week == timedelta(hours=35)
    pauses = [
        (local(2026, 11, 24, 8, 0), local(2026, 11, 24, 13, 0)),
        (local(2026, 11, 24, 11, 0), local(2026, 11, 24, 15, 0)),
    ]  # overlapping: merged
    paused = working_time_between(
        monday, monday + timedelta(days=7), DEFAULT_SCHEDULE, pauses, calendar=PACKAGE
    )
    assert paused == timedelta(hours=35 - 4.5)


def test_times_in_utc_are_read_in_shanghai_and_naive_ones_are_refused():
    start_utc = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    end = add_working_hours(start_utc, 1, calendar=PACKAGE)
    assert end == local(2026, 11, 23, 10, 0) and end.tzinfo == LOCAL_TZ
    with pytest.raises(ValueError):
        working_time_between(datetime(2026, 11, 23, 9), local(2026, 11, 23, 10), calendar=PACKAGE)
    with pytest.raises(ValidationFailed):
        add_working_hours(start_utc, -1, calendar=PACKAGE)


def test_working_time_runs_on_into_a_provisional_year():
    # 30 Dec 9:00 to 5 Jan 9:00: 6.5 h, 7 h on 31 Dec, 7 h on Friday 1 January (no holiday in a
    # provisional year), 7 h on Monday 4 January, 0.5 h on the 5th.
    assert working_time_between(
        local(2026, 12, 30, 9), local(2027, 1, 5, 9), calendar=PACKAGE
    ) == timedelta(hours=28)
    assert add_working_hours(local(2026, 12, 31, 9), 20, calendar=PACKAGE) == local(
        2027, 1, 4, 17, 0
    )


any_day = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
any_moment = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 12, 31), timezones=st.just(LOCAL_TZ)
)


@settings(max_examples=150, deadline=None)
@given(day=any_day, days=st.integers(0, 300), minutes=st.integers(0, 60 * 200), moment=any_moment)
def test_property_nothing_raises_from_2000_to_2100(day, days, minutes, moment):
    """Confirmed years (2004-2026 here) and provisional ones alike: every count has an answer,
    and in a provisional year the working days are exactly Monday to Friday."""
    result = add_working_days(day, days, calendar=PACKAGE)
    assert result >= day and is_workday(result, calendar=PACKAGE)
    assert working_days_between(day, result, calendar=PACKAGE) == days or days == 0
    if result.year not in YEARS:
        assert result.weekday() < 5
        assert PACKAGE.is_provisional(result.year)
    if day.year not in YEARS:
        assert is_workday(day, calendar=PACKAGE) == (day.weekday() < 5)
    end = add_working_hours(moment, minutes / 60, calendar=PACKAGE)
    assert working_time_between(moment, end, calendar=PACKAGE) == timedelta(minutes=minutes)
    assert calendar_is_provisional(moment, end, calendar=PACKAGE) == any(
        year not in YEARS for year in range(moment.year, end.year + 1)
    )


moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2026, 11, 30), timezones=st.just(LOCAL_TZ)
)
schedules = st.sampled_from(
    [
        DEFAULT_SCHEDULE,
        ServiceSchedule(extended_weekdays=frozenset({2, 4}), extended_end=time(20)),
        ServiceSchedule(morning=(time(9), time(12)), afternoon=(time(12), time(18))),
    ]
)


@settings(max_examples=60, deadline=None)
@given(a=moments, b=moments, c=moments, schedule=schedules)
def test_property_working_time_is_additive_over_a_split_and_never_negative(a, b, c, schedule):
    first, middle, last = sorted((a, b, c))
    whole = working_time_between(first, last, schedule, calendar=PACKAGE)
    assert whole == (
        working_time_between(first, middle, schedule, calendar=PACKAGE)
        + working_time_between(middle, last, schedule, calendar=PACKAGE)
    )
    assert timedelta(0) <= whole <= last - first
    assert working_time_between(last, first, schedule, calendar=PACKAGE) == timedelta(0)


@settings(max_examples=60, deadline=None)
@given(a=moments, b=moments, pauses=st.lists(st.tuples(moments, moments), max_size=4))
def test_property_pauses_take_off_at_most_their_length(a, b, pauses):
    start, end = sorted((a, b))
    pauses = [tuple(sorted(pause)) for pause in pauses]
    plain = working_time_between(start, end, calendar=PACKAGE)
    paused = working_time_between(start, end, DEFAULT_SCHEDULE, pauses, calendar=PACKAGE)
    assert timedelta(0) <= paused <= plain
    assert plain - paused <= sum((p_end - p_start for p_start, p_end in pauses), timedelta(0))


@settings(max_examples=60, deadline=None)
@given(start=moments, minutes=st.integers(0, 60 * 80), schedule=schedules)
def test_property_adding_hours_then_measuring_gives_the_hours_back(start, minutes, schedule):
    hours = minutes / 60
    end = add_working_hours(start, hours, schedule, calendar=PACKAGE)
    assert end >= start
    assert working_time_between(start, end, schedule, calendar=PACKAGE) == timedelta(hours=hours)


# --- the banner --------------------------------------------------------------------------------


def test_banner_from_november_while_next_year_is_missing():
    warning = calendar_unconfirmed_year_warning(date(2026, 11, 22), calendar=PACKAGE)
    assert warning and "2027" in warning
    assert calendar_unconfirmed_year_warning(date(2026, 10, 31), calendar=PACKAGE) is None
    assert calendar_unconfirmed_year_warning(date(2025, 11, 1), calendar=PACKAGE) is None
    with_2027 = CalendarSnapshot.build(set(YEARS) | {2027}, [])
    assert calendar_unconfirmed_year_warning(date(2026, 12, 31), calendar=with_2027) is None


def test_banner_all_year_while_this_years_holidays_are_missing():
    warning = calendar_unconfirmed_year_warning(date(2027, 3, 1), calendar=PACKAGE)
    assert warning and "2027" in warning and "2028" not in warning
    with_2027 = CalendarSnapshot.build(set(YEARS) | {2027}, [])
    assert calendar_unconfirmed_year_warning(date(2027, 3, 1), calendar=with_2027) is None
