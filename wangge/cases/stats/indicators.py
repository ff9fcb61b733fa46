"""The indicators computed from summed counters (one definition for pages, API, export)."""

from collections.abc import Iterable
from dataclasses import astuple, dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import COUNTERS

# (key, label, kind): "count", "percent" or "hours"; the order of tiles, tables and exports.
INDICATORS = (
    ("reported", pgettext_lazy("case indicator", "Reported"), "count"),
    ("registered", pgettext_lazy("case indicator", "Registered"), "count"),
    ("closed", pgettext_lazy("case indicator", "Closed"), "count"),
    ("closure_rate", _("Closure rate"), "percent"),
    ("on_time_rate", _("On-time closure rate"), "percent"),
    ("reworks", _("Reworked"), "count"),
    ("rework_rate", _("Rework rate"), "percent"),
    ("extensions", _("Extended"), "count"),
    ("extension_rate", _("Extension rate"), "percent"),
    ("overdue", pgettext_lazy("case indicator", "Overdue"), "count"),
    ("overdue_rate", _("Overdue rate"), "percent"),
    ("average_hours", _("Average handling time (hours)"), "hours"),
    ("rated", pgettext_lazy("case indicator", "Rated"), "count"),
    ("satisfaction_rate", _("Satisfaction rate"), "percent"),
)


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class Indicators:
    reported: int = 0
    registered: int = 0
    closed: int = 0
    closed_on_time: int = 0
    reworked: int = 0
    extended: int = 0
    overdue: int = 0
    rated: int = 0
    satisfied: int = 0
    handling_seconds: int = 0

    @classmethod
    def of(cls, counts: Iterable[int] | None) -> "Indicators":
        return cls(*counts) if counts is not None else cls()

    @classmethod
    def sum(cls, rows: Iterable[Iterable[int]]) -> "Indicators":
        total = [0] * len(COUNTERS)
        for counts in rows:
            for index, value in enumerate(counts):
                total[index] += value
        return cls(*total)

    def counts(self) -> tuple[int, ...]:
        return astuple(self)

    # Rates are percentages with one decimal, None where the denominator is zero.
    @property
    def closure_rate(self) -> float | None:
        return _rate(self.closed, self.registered)

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.closed_on_time, self.closed)

    @property
    def reworks(self) -> int:
        return self.reworked

    @property
    def rework_rate(self) -> float | None:
        return _rate(self.reworked, self.registered)

    @property
    def extensions(self) -> int:
        return self.extended

    @property
    def extension_rate(self) -> float | None:
        return _rate(self.extended, self.registered)

    @property
    def overdue_rate(self) -> float | None:
        return _rate(self.overdue, self.reported)

    @property
    def satisfaction_rate(self) -> float | None:
        return _rate(self.satisfied, self.rated)

    @property
    def average_hours(self) -> float | None:
        return round(self.handling_seconds / self.closed / 3600, 1) if self.closed else None

    def as_dict(self) -> dict:
        """Every counter and indicator by key (the API's and the export's shape)."""
        found: dict = {name: getattr(self, name) for name in COUNTERS}
        found.update({key: getattr(self, key) for key, _label, _kind in INDICATORS})
        return found


LABELS = {key: label for key, label, _kind in INDICATORS}
