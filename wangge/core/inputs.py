"""Numbers from the outside, checked before they reach arithmetic or the database.

Python's int has no upper bound and float() takes "nan" and "1e999", but a database column does
not: a 40-digit id overflows SQLite's and PostgreSQL's 64-bit integers, and NaN or infinity are
no measure of anything. Each refusal is a ValidationFailed naming the field and the rule.
"""

import math
from typing import Any

from django.utils.translation import gettext as _

from .errors import ValidationFailed

# The largest value of a 64-bit signed integer column (BigAutoField ids, counts).
DB_INT_MAX = 2**63 - 1


def whole_number(
    raw: Any, *, field: str, minimum: int = 0, maximum: int = DB_INT_MAX
) -> int | None:
    """None for a missing value; an int within [minimum, maximum]; else ValidationFailed."""
    if raw is None or raw == "":
        return None
    text = str(raw).strip()
    # int() of a 5,000-digit string is slow and refused by Python anyway; no id is that long.
    value = int(text) if len(text) <= 40 and text.lstrip("+-").isdigit() else None
    if value is None or not minimum <= value <= maximum:
        raise ValidationFailed(
            _("%(field)s must be a whole number from %(min)s to %(max)s.")
            % {"field": field, "min": minimum, "max": maximum},
            code="invalid_number",
            field=field,
        )
    return value


def finite_number(raw: Any, *, field: str) -> float | None:
    """None for a missing value; a finite float; else ValidationFailed (NaN, infinity, text)."""
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError, OverflowError):
        value = math.nan
    if not math.isfinite(value):
        raise ValidationFailed(
            _("%(field)s must be a finite number.") % {"field": field},
            code="invalid_number",
            field=field,
        )
    return value


def is_finite_value(value: Any) -> bool:
    """False for a float (also inside lists and mappings) that is NaN or infinite."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list | tuple):
        return all(is_finite_value(item) for item in value)
    if isinstance(value, dict):
        return all(is_finite_value(item) for item in value.values())
    return True
