"""`{{ deadline|holidays_unconfirmed }}`: whether a deadline falls in a year whose holidays are not
in the calendar yet (counted with weekends only), so that pages mark it beside the date.

Read against the calendar as it is now, not as it was when the deadline was set: once an admin
imports that year's schedule the mark goes away (the promised date itself does not move)."""

from datetime import datetime

from django import template

from wangge.core.calendar import CalendarNotCovered, calendar_is_provisional

register = template.Library()


@register.filter
def holidays_unconfirmed(deadline: datetime | None) -> bool:
    if deadline is None:
        return False
    try:
        return calendar_is_provisional(deadline)
    except CalendarNotCovered:
        return True
