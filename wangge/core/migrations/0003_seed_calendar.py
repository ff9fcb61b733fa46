"""Mark where each calendar day came from, and seed every year that `chinesecalendar` covers.

The seeding logic is copied here on purpose rather than imported from wangge.core: a migration is
a snapshot and must keep working when the application code moves on. Later releases of the package
(covering new years) are picked up by the `calendar_seed` service, not by editing this file.
"""

import datetime

from django.db import migrations, models


def chinesecalendar_rows(year: int):
    import chinese_calendar

    day = datetime.date(year, 1, 1)
    while day.year == year:
        if day in chinese_calendar.workdays:
            kind, name = "adjusted_workday", chinese_calendar.workdays[day]
        elif day in chinese_calendar.holidays:
            kind, name = "holiday", chinese_calendar.holidays[day]
        elif day.weekday() >= 5:
            kind, name = "weekend", ""
        else:
            kind, name = "workday", ""
        yield day, kind, name or ""
        day += datetime.timedelta(days=1)


def seed(apps, schema_editor):
    import chinese_calendar

    CalendarYear = apps.get_model("core", "CalendarYear")
    CalendarDay = apps.get_model("core", "CalendarDay")
    first = min(chinese_calendar.holidays).year
    last = max(chinese_calendar.holidays).year
    existing_years = set(CalendarYear.objects.values_list("year", flat=True))
    existing_days = set(CalendarDay.objects.values_list("date", flat=True))
    years, days = [], []
    for year in range(first, last + 1):
        if year not in existing_years:
            years.append(CalendarYear(year=year, source="chinesecalendar"))
        days.extend(
            CalendarDay(date=day, kind=kind, name=name, source="chinesecalendar")
            for day, kind, name in chinesecalendar_rows(year)
            if day not in existing_days
        )
    CalendarYear.objects.bulk_create(years)
    CalendarDay.objects.bulk_create(days, batch_size=2000)


def unseed(apps, schema_editor):
    apps.get_model("core", "CalendarDay").objects.filter(source="chinesecalendar").delete()
    apps.get_model("core", "CalendarYear").objects.filter(source="chinesecalendar").delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_append_only")]

    operations = [
        migrations.AddField(
            model_name="calendarday",
            name="source",
            field=models.CharField(
                choices=[
                    ("chinesecalendar", "chinesecalendar package"),
                    ("default", "Weekday default"),
                    ("admin", "Edited by an admin"),
                    ("import", "Imported from a file"),
                ],
                default="chinesecalendar",
                max_length=16,
            ),
        ),
        migrations.RunPython(seed, unseed),
    ]
