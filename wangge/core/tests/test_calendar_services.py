"""Calendar writes: seeding, editing a day, importing a schedule; who may, and the audit trail."""

import io
from datetime import date, datetime

import pytest
import xlsxwriter
from django.core.management import CommandError, call_command

from wangge.core.calendar import (
    CalendarNotCovered,
    add_working_days,
    calendar_cache_clear,
    calendar_unconfirmed_year_warning,
    is_workday,
)
from wangge.core.calendar_services import (
    calendar_day_set,
    calendar_import,
    calendar_seed,
    calendar_year_days,
)
from wangge.core.errors import NotFound, PermissionDenied, ValidationFailed
from wangge.core.models import (
    AuditEvent,
    AuditResult,
    CalendarDay,
    CalendarDayKind,
    CalendarDaySource,
    CalendarYear,
)
from wangge.core.revisions import revision_get
from wangge.core.scope import Actor
from wangge.orgs.actors import actor_for
from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import grid_worker, staff_user

HOLIDAYS_2027_CSV = (
    "日期,类型,名称\n"
    "2027-01-01,节假日,元旦\n"
    "2027-02-06,节假日,春节\n"
    "2027-02-07,调休上班,春节\n"
    "2027/10/01,节假日,国庆节\n"
)


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    calendar_cache_clear()
    yield
    calendar_cache_clear()


@pytest.fixture
def admin_actor(admin):
    return actor_for(admin)


@pytest.fixture
def worker_actor(street):
    return actor_for(grid_worker(street))


def snapshot_of_table():
    return (
        list(CalendarDay.objects.order_by("date").values_list("date", "kind", "name", "source")),
        list(CalendarYear.objects.order_by("year").values_list("year", "source")),
    )


def xlsx_bytes(rows) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for row_number, row in enumerate(rows):
        for column, value in enumerate(row):
            if isinstance(value, date):
                sheet.write_datetime(
                    row_number, column, datetime.combine(value, datetime.min.time()), date_format
                )
            elif value is not None:
                sheet.write(row_number, column, value)
    workbook.close()
    return buffer.getvalue()


# --- seeding -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reseed_restores_package_days_but_keeps_admin_edits(admin_actor):
    calendar_day_set(actor=admin_actor, date=date(2026, 10, 12), kind="holiday", name="本地节日")
    CalendarDay.objects.filter(date=date(2026, 10, 1)).update(kind="workday")  # damaged
    CalendarDay.objects.filter(date__year=2005).delete()
    CalendarYear.objects.filter(year=2005).delete()

    assert calendar_seed(actor=Actor.system()) == 23

    assert CalendarDay.objects.get(date=date(2026, 10, 12)).kind == CalendarDayKind.HOLIDAY
    assert CalendarDay.objects.get(date=date(2026, 10, 12)).source == CalendarDaySource.ADMIN
    assert CalendarDay.objects.get(date=date(2026, 10, 1)).kind == CalendarDayKind.HOLIDAY
    assert CalendarDay.objects.filter(date__year=2005).count() == 365
    assert CalendarYear.objects.filter(year=2005).exists()
    event = AuditEvent.objects.filter(action="calendar.seed").latest("id")
    assert event.detail["kept_edits"] == 1 and event.detail["created"] == 365
    assert not is_workday(date(2026, 10, 12))


@pytest.mark.django_db
def test_seed_twice_changes_nothing(admin_actor):
    before = snapshot_of_table()
    calendar_seed(actor=admin_actor)
    assert snapshot_of_table() == before


@pytest.mark.django_db
def test_seed_by_a_non_admin_is_refused_and_recorded(worker_actor):
    CalendarDay.objects.filter(date=date(2026, 10, 1)).update(kind="workday")
    before = snapshot_of_table()
    with pytest.raises(PermissionDenied):
        calendar_seed(actor=worker_actor)
    assert snapshot_of_table() == before
    assert AuditEvent.objects.filter(action="calendar.seed", result=AuditResult.DENIED).count() == 1


# --- one day -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_sets_a_day_and_the_arithmetic_sees_it_at_once(admin_actor):
    assert add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 10)
    revision = revision_get("calendar")
    calendar_day_set(actor=admin_actor, date=date(2026, 10, 10), kind="weekend")
    assert add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 12)
    assert revision_get("calendar") == revision + 1
    row = CalendarDay.objects.get(date=date(2026, 10, 10))
    assert (row.kind, row.name, row.source) == ("weekend", "", CalendarDaySource.ADMIN)
    event = AuditEvent.objects.get(action="calendar.day_set")
    assert event.object_id == "2026-10-10" and event.actor_id == admin_actor.user.pk
    assert event.detail["before"]["kind"] == "adjusted_workday"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "kind", "name", "field"),
    [
        (date(2026, 11, 23), "weekend", "", "kind"),  # a Monday cannot be a weekend
        (date(2026, 11, 28), "workday", "", "kind"),  # a worked Saturday is adjusted
        (date(2026, 11, 23), "adjusted_workday", "", "kind"),
        (date(2026, 11, 23), "day_off", "", "kind"),
        (date(2026, 11, 23), "holiday", "x" * 65, "name"),
        ("2026-11-23", "holiday", "", "date"),
        (date(2027, 1, 1), "holiday", "", "date"),  # uncovered year
    ],
)
def test_bad_day_edits_are_refused_naming_the_field(admin_actor, day, kind, name, field):
    before = snapshot_of_table()
    with pytest.raises(ValidationFailed) as caught:
        calendar_day_set(actor=admin_actor, date=day, kind=kind, name=name)
    assert caught.value.field == field
    assert snapshot_of_table() == before
    assert not AuditEvent.objects.filter(action="calendar.day_set").exists()


@pytest.mark.django_db
def test_a_non_admin_cannot_set_a_day(worker_actor):
    before = snapshot_of_table()
    with pytest.raises(PermissionDenied):
        calendar_day_set(actor=worker_actor, date=date(2026, 11, 23), kind="holiday")
    with pytest.raises(PermissionDenied):
        calendar_day_set(actor=Actor(user=None), date=date(2026, 11, 23), kind="holiday")
    assert snapshot_of_table() == before
    denied = AuditEvent.objects.filter(action="calendar.day_set", result=AuditResult.DENIED)
    assert denied.count() == 2


@pytest.mark.django_db
def test_an_admin_of_any_unit_may_edit_the_shared_calendar(street):
    community_admin = actor_for(staff_user("admin_a", Role.ADMIN, street.community_a))
    calendar_day_set(actor=community_admin, date=date(2026, 11, 23), kind="holiday")
    assert not is_workday(date(2026, 11, 23))


# --- import ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_csv_with_bom_and_chinese_headers_adds_the_year(admin_actor):
    content = ("\ufeff" + HOLIDAYS_2027_CSV).encode("utf-8")
    result = calendar_import(actor=admin_actor, file_name="2027.csv", content=content)

    assert (result.rows, result.changed, result.years_added) == (4, 4, [2027])
    assert CalendarYear.objects.get(year=2027).source == "import"
    days = {day.date: day for day in CalendarDay.objects.filter(date__year=2027)}
    assert len(days) == 365
    assert (days[date(2027, 1, 1)].kind, days[date(2027, 1, 1)].name) == ("holiday", "元旦")
    assert days[date(2027, 2, 7)].kind == "adjusted_workday"
    assert days[date(2027, 10, 1)].source == CalendarDaySource.IMPORT
    assert (days[date(2027, 1, 4)].kind, days[date(2027, 1, 4)].source) == ("workday", "default")
    assert days[date(2027, 1, 2)].kind == "weekend"
    # The arithmetic now runs into 2027, and the banner is gone.
    assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert calendar_unconfirmed_year_warning(date(2026, 11, 22)) is None
    event = AuditEvent.objects.get(action="calendar.import")
    assert event.detail == {"rows": 4, "changed": 4, "years_added": [2027], "file_type": "csv"}


@pytest.mark.django_db
def test_reseed_after_import_keeps_the_imported_year(admin_actor):
    calendar_import(actor=admin_actor, file_name="2027.csv", content=HOLIDAYS_2027_CSV.encode())
    before = snapshot_of_table()
    calendar_seed(actor=admin_actor)
    assert snapshot_of_table() == before


@pytest.mark.django_db
def test_import_xlsx_with_english_headers_changes_a_covered_year(admin_actor):
    content = xlsx_bytes(
        [
            ["Date", "Kind", "Name"],
            [date(2026, 11, 23), "holiday", "Local day"],
            ["2026-11-24", "Public holiday", None],
            [None, None, None],  # empty rows are skipped
            [46351, "workday", ""],  # 2026-11-25 as an unformatted serial
        ]
    )
    result = calendar_import(actor=admin_actor, file_name="changes.XLSX", content=content)
    assert (result.rows, result.changed, result.years_added) == (3, 2, [])
    assert not is_workday(date(2026, 11, 23)) and not is_workday(date(2026, 11, 24))
    assert (
        CalendarDay.objects.get(date=date(2026, 11, 25)).source == CalendarDaySource.CHINESECALENDAR
    )
    assert add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 25)


@pytest.mark.django_db
def test_a_bad_file_lists_every_problem_and_imports_nothing(admin_actor, english):
    content = (
        "date,kind,name\n"
        "2027-01-01,holiday,元旦\n"  # row 2: fine
        "2027-13-01,holiday,\n"  # row 3: no such date
        "2027-01-04,day off,\n"  # row 4: unknown kind
        "2027-01-01,holiday,\n"  # row 5: duplicate of row 2
        "2027-01-05,weekend,\n"  # row 6: a Tuesday cannot be a weekend
        f"2027-01-06,holiday,{'名' * 65}\n"  # row 7: name too long
        ",workday,\n"  # row 8: date missing
    ).encode()
    before = snapshot_of_table()
    with pytest.raises(ValidationFailed) as caught:
        calendar_import(actor=admin_actor, file_name="bad.csv", content=content)
    errors = caught.value.detail["errors"]
    assert [(error["row"], error["field"]) for error in errors] == [
        (3, "date"),
        (4, "kind"),
        (5, "date"),
        (6, "kind"),
        (7, "name"),
        (8, "date"),
    ]
    assert "2027-13-01" in errors[0]["message"]
    assert "row 2" in errors[2]["message"]
    assert caught.value.field == "file"
    assert snapshot_of_table() == before
    assert not AuditEvent.objects.filter(action="calendar.import").exists()


@pytest.mark.django_db
def test_a_bad_xlsx_reports_spreadsheet_row_numbers(admin_actor):
    content = xlsx_bytes(
        [
            [None],
            ["日期", "类型", "名称"],
            [date(2027, 1, 1), "节假日", "元旦"],
            [date(2027, 1, 2), "上班", ""],
        ]
    )
    with pytest.raises(ValidationFailed) as caught:
        calendar_import(actor=admin_actor, file_name="2027.xlsx", content=content)
    assert caught.value.detail["errors"][0]["row"] == 4
    assert not CalendarYear.objects.filter(year=2027).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("file_name", "content", "words"),
    [
        ("a.csv", "日期,类型\n2027-01-01,节假日\n".encode("gbk"), "UTF-8"),
        ("a.txt", b"date,kind\n2027-01-01,holiday\n", ".csv"),
        ("a.xlsx", b"not a spreadsheet", "xlsx"),
        ("a.csv", b"", "empty"),
        ("a.csv", b"date,name\n2027-01-01,x\n", "kind"),
        ("a.csv", b"date,kind,name\n", "no rows"),
        ("a.csv", b"date,kind\n1999-01-01,holiday\n", "2000"),
    ],
)
def test_unreadable_files_are_refused(admin_actor, file_name, content, words, english):
    before = snapshot_of_table()
    with pytest.raises(ValidationFailed) as caught:
        calendar_import(actor=admin_actor, file_name=file_name, content=content)
    text = str(caught.value.message) + str(caught.value.detail)
    assert words in text
    assert snapshot_of_table() == before


@pytest.mark.django_db
def test_a_non_admin_cannot_import(worker_actor):
    before = snapshot_of_table()
    with pytest.raises(PermissionDenied):
        calendar_import(
            actor=worker_actor, file_name="2027.csv", content=HOLIDAYS_2027_CSV.encode()
        )
    assert snapshot_of_table() == before
    assert AuditEvent.objects.filter(action="calendar.import", result=AuditResult.DENIED).exists()


# --- reading -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_year_days_for_signed_in_users_only(worker_actor):
    assert len(calendar_year_days(actor=worker_actor, year=2024)) == 366
    with pytest.raises(CalendarNotCovered) as caught:
        calendar_year_days(actor=worker_actor, year=2027)
    assert caught.value.field == "year"
    with pytest.raises(NotFound):
        calendar_year_days(actor=Actor(user=None), year=2026)


# --- commands ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_seed_command_restores_a_damaged_day_as_the_system(capsys):
    CalendarDay.objects.filter(date=date(2026, 10, 1)).update(kind="workday")
    call_command("wangge_calendar_seed")
    assert CalendarDay.objects.get(date=date(2026, 10, 1)).kind == "holiday"
    assert "23 years seeded (2004-2026)" in capsys.readouterr().out
    assert AuditEvent.objects.get(action="calendar.seed").actor_username == "system"


@pytest.mark.django_db
def test_import_command_reports_bad_rows_and_imports_good_files(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("date,kind\n2027-01-01,holiday\n2027-01-05,weekend\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("wangge_calendar_import", str(bad))
    assert "row 3\tkind" in capsys.readouterr().err
    assert not CalendarYear.objects.filter(year=2027).exists()
    good = tmp_path / "2027.csv"
    good.write_text(HOLIDAYS_2027_CSV, encoding="utf-8")
    call_command("wangge_calendar_import", str(good))
    assert "years added: 2027" in capsys.readouterr().out
    assert CalendarYear.objects.filter(year=2027).exists()
