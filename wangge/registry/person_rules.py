"""Field rules for a person, shared by the create/update services and the API.

`person_clean` turns loose input (strings from a form, JSON from the API) into model values, or
raises one ValidationFailed naming the first field that breaks a rule. Dates are ISO strings or
date objects; the ID number decides birth date and gender, and a given value must agree with it.
"""

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from wangge.core.crypto import normalize_id_number, normalize_text

from .enums import Gender, Relationship, ResidenceStatus
from .identity import id_birth_date, id_gender, id_number_problem, phone_problem

TEXT_LIMITS = {"name": 64, "ethnicity": 16, "employer": 64, "registered_address": 128}
CHOICES = {
    "gender": Gender,
    "residence_status": ResidenceStatus,
    "relationship": Relationship,
}
DATES = ("birth_date", "move_in_date", "move_out_date")
LABELS = {
    "name": pgettext_lazy("person", "Name"),
    "id_number": gettext_lazy("ID number"),
    "gender": gettext_lazy("Gender"),
    "birth_date": gettext_lazy("Birth date"),
    "phone": gettext_lazy("Phone"),
    "ethnicity": gettext_lazy("Ethnicity"),
    "residence_status": gettext_lazy("Residence status"),
    "registered_address": gettext_lazy("Registered address"),
    "party_member": gettext_lazy("Party member"),
    "employer": gettext_lazy("Employer or school"),
    "relationship": gettext_lazy("Relationship to the head"),
    "move_in_date": gettext_lazy("Move-in date"),
    "move_out_date": gettext_lazy("Move-out date"),
}


def label(field: str) -> str:
    return str(LABELS.get(field, field))


PERSON_FIELDS = (
    "name",
    "id_number",
    "gender",
    "birth_date",
    "phone",
    "ethnicity",
    "residence_status",
    "registered_address",
    "party_member",
    "employer",
    "relationship",
    "move_in_date",
    "move_out_date",
)


def _invalid(field: str, message: str, code: str = "invalid"):
    from wangge.core.errors import ValidationFailed

    return ValidationFailed(message, code=code, field=field)


def _date(field: str, value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise _invalid(
            field, _("%(field)s must be a date like 2026-11-30.") % {"field": label(field)}
        ) from None


def person_clean(data: dict, *, creating: bool) -> dict:
    """Normalised values for the fields present in `data` (all required ones when creating)."""
    unknown = set(data) - set(PERSON_FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        raise _invalid(field, _("%(field)s is not a field of a person.") % {"field": field})
    clean: dict = {}
    for field, limit in TEXT_LIMITS.items():
        if field in data:
            value = normalize_text(str(data[field] or ""))
            if len(value) > limit:
                raise _invalid(
                    field,
                    _("%(field)s is at most %(limit)d characters.")
                    % {"field": label(field), "limit": limit},
                )
            clean[field] = value
    if (creating or "name" in data) and not clean.get("name"):
        message = _("%(field)s is required.") % {"field": label("name")}
        raise _invalid("name", message, "required")
    for field, choices in CHOICES.items():
        if data.get(field) not in (None, ""):
            if data[field] not in choices.values:
                raise _invalid(
                    field,
                    _("%(field)s must be one of: %(values)s.")
                    % {"field": label(field), "values": ", ".join(choices.values)},
                )
            clean[field] = data[field]
    for field in DATES:
        if field in data:
            clean[field] = _date(field, data[field])
    if "party_member" in data:
        clean["party_member"] = bool(data["party_member"])
    if "phone" in data:
        phone = normalize_text(str(data["phone"] or ""))
        if phone and (problem := phone_problem(phone)):
            raise _invalid("phone", problem)
        clean["phone"] = phone
    if "id_number" in data or creating:
        _clean_id_number(data, clean)
    if creating and not clean.get("birth_date"):
        raise _invalid("birth_date", _("Birth date is required without an ID number."), "required")
    if creating and not clean.get("gender"):
        raise _invalid("gender", _("Gender is required without an ID number."), "required")
    born, moved_in = clean.get("birth_date"), clean.get("move_in_date")
    if born and born > timezone.localdate():
        raise _invalid("birth_date", _("Birth date cannot be in the future."))
    if born and moved_in and moved_in < born:
        raise _invalid("move_in_date", _("Move-in date cannot be before the birth date."))
    return clean


def _clean_id_number(data: dict, clean: dict) -> None:
    number = normalize_id_number(str(data.get("id_number") or ""))
    clean["id_number"] = number
    if not number:
        return
    if problem := id_number_problem(number):
        raise _invalid("id_number", problem)
    born, gender = id_birth_date(number), id_gender(number)
    if clean.get("birth_date") and clean["birth_date"] != born:
        raise _invalid("birth_date", _("Birth date does not agree with the ID number."))
    if clean.get("gender") and clean["gender"] != gender:
        raise _invalid("gender", _("Gender does not agree with the ID number."))
    clean["birth_date"], clean["gender"] = born, gender
