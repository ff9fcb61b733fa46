"""Case numbers: `SJ` + the local date + a 6-digit counter per day, readable and sortable.

The counter lives in one CaseNumberSequence row per day, locked with SELECT ... FOR UPDATE, so
two intakes at once never take the same number. The first intake of a day creates the row; a
racing creator hits the primary key and then locks the row the other one made.
"""

from datetime import date, datetime

from django.db import IntegrityError, transaction

from wangge.core.calendar import LOCAL_TZ

from .models import CaseNumberSequence

PREFIX = "SJ"


def format_case_number(day: date, counter: int) -> str:
    return f"{PREFIX}{day:%Y%m%d}{counter:06d}"


def _locked_day(day: date) -> CaseNumberSequence:
    row = CaseNumberSequence.objects.select_for_update().filter(day=day).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return CaseNumberSequence.objects.create(day=day, last=0)
    except IntegrityError:
        return CaseNumberSequence.objects.select_for_update().get(day=day)


def next_case_number(now: datetime) -> str:
    """Take the next number of `now`'s local day; call inside the intake's transaction."""
    day = now.astimezone(LOCAL_TZ).date()
    row = _locked_day(day)
    row.last += 1
    row.save(update_fields=["last"])
    return format_case_number(day, row.last)
