"""Maintained rollups of the case indicators.

Design (why these tables):

- Cohort by the case's reported day (local, Asia/Shanghai). A case counts once, in the day it was
  reported, whatever happens to it later; every rate (closed / registered, on time / closed, ...)
  is then a ratio of counts over the same set of cases and stays <= 100 %. A period's figures are
  "the cases reported in the period, as they stand now".
- One `CaseRollup` row per (dimension, unit code, grain, day, category). The "place" dimension
  has rows for the case's place unit (its grid) AND every ancestor (community, street, district,
  city), so the figures of any unit are an exact `unit_code =` match with no prefix scan; the
  "handler" dimension has a row for the unit holding the case (a department, a community, the
  street): a department's figures are what it handled. Rows are keyed by unit code (codes are
  unique and appear in the path), so the hook needs no unit look-up.
- Each is kept at two grains, the day ("d") and the month ("m", `day` = the 1st), and for the
  case's own (sub-class) category and for all categories (`category_id` 0). A period reads month
  rows for its whole months and day rows for the days on either side, and the all-categories
  rows unless a category is asked for: a year of a city is 12 rows per unit, not 365 x the
  number of categories (measured: the bench's city queries went from 156 ms to ~50 ms p95 at
  100,000 cases). A class's figures sum its sub-classes' rows (a handful of ids).
  Each case touches 4 rows per unit (about 28): cheap, since an event rewrites only the rows
  whose counters changed.
- `CaseStatsSnapshot` keeps each case's current contribution (its keys and counters). On every
  event the hook computes the case's new contribution, subtracts the old one and adds the new one
  with `INSERT ... ON CONFLICT DO UPDATE SET x = x + excluded.x` (atomic under concurrency on
  SQLite and PostgreSQL). The service has already locked the case row, so two events of one case
  never race on its snapshot.

Indicator definitions (counts of cases, all from the case row; see docs in rollup.py):
reported (every case); registered (accepted: any state but reported, rejected or merged, so a
grid worker's on-the-spot resolution counts); closed (closed or rated); closed_on_time (closed
with closed_at <= due_at); reworked (>= 1 rework or reopen by the reporter, over registered);
extended (>= 1 extension, over registered); overdue (the case went red: the sweep urged it, or it
was closed after its due_at; sticky, over registered); rated / satisfied (rating >= 4, over
rated); handling_seconds (reported -> closed, summed over closed cases).
"""

from django.db import models

COUNTERS = (
    "reported",
    "registered",
    "closed",
    "closed_on_time",
    "reworked",
    "extended",
    "overdue",
    "rated",
    "satisfied",
    "handling_seconds",
)


class StatsCounters(models.Model):
    # Plain (signed) integers: a delta may be negative, and a check constraint would only cost.
    reported = models.IntegerField(default=0)
    registered = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    closed_on_time = models.IntegerField(default=0)
    reworked = models.IntegerField(default=0)
    extended = models.IntegerField(default=0)
    overdue = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    handling_seconds = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class CaseRollup(StatsCounters):
    """The counters of the cases reported on `day` in `category`, for one unit and dimension."""

    PLACE = "p"
    HANDLER = "h"
    DAY = "d"
    MONTH = "m"
    ALL_CATEGORIES = 0

    dimension = models.CharField(max_length=1)
    unit_code = models.CharField(max_length=16)
    # "d": one day; "m": the month starting on `day`.
    grain = models.CharField(max_length=1)
    day = models.DateField()
    # No database constraint: rebuild bulk-loads millions of rows and categories are never deleted.
    category = models.ForeignKey(
        "cases.CaseCategory", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )

    class Meta:
        constraints = [
            # Also the index of every query: (dimension, unit) equality, then a day range.
            models.UniqueConstraint(
                fields=["dimension", "unit_code", "grain", "day", "category"],
                name="case_rollup_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.dimension} {self.unit_code} {self.grain} {self.day} {self.category_id}"


class CaseStatsSnapshot(StatsCounters):
    """What one case currently contributes to the rollups (the 'old' side of the next delta)."""

    case = models.OneToOneField(
        "cases.Case",
        on_delete=models.CASCADE,
        primary_key=True,
        db_constraint=False,
        related_name="+",
    )
    day = models.DateField()
    path = models.CharField(max_length=255)
    handler_path = models.CharField(max_length=255, blank=True)
    category_pk = models.BigIntegerField()
    # The sweep urged it (it went red); kept because the card is cleared on closure.
    urged = models.BooleanField(default=False)

    def __str__(self) -> str:
        return str(self.case_id)


__all__ = ["COUNTERS", "CaseRollup", "CaseStatsSnapshot"]
