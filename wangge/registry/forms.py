"""Forms of the register's edit pages: they render the fields and parse the POST, nothing more.

The rules (required fields, ID checksum, phone format, choices, lengths) live in the services,
which raise one ValidationFailed naming the field; `show_refusal` puts its message next to that
field. So most fields here are optional text: a form that refused input on its own would show
a second, different wording of the same rule. Only values a service needs as Python objects
(dates of moves and tags, a grade) are parsed here.
"""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.core.errors import WanggeError

from .enums import DwellingUse, Gender, Relationship, ResidenceStatus
from .person_rules import LABELS

# Phone keyboards: numbers for digits, no autocorrect or autofill of someone else's details.
NUMERIC = {"inputmode": "numeric", "autocomplete": "off"}
PLAIN = {"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"}


BLANK = _("—")


def _choices(enum) -> list[tuple[str, str]]:
    return [("", BLANK), *enum.choices]


def _text(label, *, maxlength: int, **attrs) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"maxlength": maxlength, **PLAIN, **attrs}),
    )


def _select(label, enum, **kwargs) -> forms.CharField:
    # A CharField, not a ChoiceField: an unknown value is the service's to refuse.
    return forms.CharField(
        label=label, required=False, widget=forms.Select(choices=_choices(enum)), **kwargs
    )


def _date_text(label) -> forms.CharField:
    """A date the service parses itself (person_clean), so its message names the field."""
    return forms.CharField(
        label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def _date(label, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label, required=required, widget=forms.DateInput(attrs={"type": "date"})
    )


KEEP_HELP = _(
    "Currently %(masked)s. Leave empty to keep it; type the full new value to correct it."
)
EMPTY_HELP = _("Not recorded. Leave empty to keep it so.")


class PersonEditForm(forms.Form):
    """The editable facts of a person. ID number, phone and address are never prefilled: the
    page shows their masked value and an empty field that changes them only when filled."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    name = _text(LABELS["name"], maxlength=64)
    id_number = _text(LABELS["id_number"], maxlength=18)
    phone = _text(LABELS["phone"], maxlength=20, inputmode="tel")
    registered_address = _text(LABELS["registered_address"], maxlength=128)
    ethnicity = _text(LABELS["ethnicity"], maxlength=16)
    residence_status = _select(LABELS["residence_status"], ResidenceStatus)
    party_member = forms.BooleanField(label=LABELS["party_member"], required=False)
    employer = _text(LABELS["employer"], maxlength=64)

    IDENTIFIERS = ("id_number", "phone", "registered_address")

    def __init__(self, *args, masked: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Before any bound field exists: a BoundField copies its help text when first built.
        for field in self.IDENTIFIERS:
            value = masked.get(field)
            self.fields[field].help_text = KEEP_HELP % {"masked": value} if value else EMPTY_HELP

    def changes(self) -> dict:
        """The data for person_update: an empty identifier field means "keep"."""
        data = {
            field: self.cleaned_data[field]
            for field in ("name", "ethnicity", "residence_status", "party_member", "employer")
        }
        for field in self.IDENTIFIERS:
            if self.cleaned_data[field].strip():
                data[field] = self.cleaned_data[field]
        return data


class PersonAddForm(forms.Form):
    name = _text(LABELS["name"], maxlength=64)
    id_number = _text(
        LABELS["id_number"],
        maxlength=18,
        help_text=_("Birth date and gender are taken from the ID number."),
    )
    gender = _select(LABELS["gender"], Gender, help_text=_("Only without an ID number."))
    birth_date = _date_text(LABELS["birth_date"])
    birth_date.help_text = _("Only without an ID number.")
    phone = _text(LABELS["phone"], maxlength=20, inputmode="tel")
    relationship = _select(LABELS["relationship"], Relationship)
    residence_status = _select(LABELS["residence_status"], ResidenceStatus)
    move_in_date = _date_text(LABELS["move_in_date"])

    def person_data(self) -> dict:
        return dict(self.cleaned_data)


class MoveOutForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    move_out_date = _date(LABELS["move_out_date"])
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 200}),
        help_text=_("Where they went, if known. Kept in the history; no ID numbers or phones."),
    )


class TagAddForm(forms.Form):
    tag = forms.CharField(widget=forms.HiddenInput)
    valid_from = _date(_("Valid from"))
    valid_to = _date(_("Valid until"), required=False)
    grade = forms.TypedChoiceField(
        label=_("Grade"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", BLANK), *((n, str(n)) for n in (1, 2, 3, 4))],
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": 128, **PLAIN}),
    )


class TagEndForm(forms.Form):
    tag = forms.CharField(widget=forms.HiddenInput)
    valid_to = _date(_("Ended on"))


class DwellingAddForm(forms.Form):
    number = _text(_("Dwelling number"), maxlength=16, placeholder="1-301")
    entrance = _text(_("Entrance"), maxlength=3, **NUMERIC)
    floor = _text(_("Floor"), maxlength=4, inputmode="numeric")
    use = _select(_("Use"), DwellingUse)
    area_m2 = _text(_("Area (m²)"), maxlength=8, inputmode="decimal")


class HouseholdAddForm(forms.Form):
    number = _text(_("Household number"), maxlength=32)


def today() -> str:
    return timezone.localdate().isoformat()


class TransferRequestForm(forms.Form):
    """人员转入: the ID number the register refused here, why, and where the person moves."""

    id_number = _text(LABELS["id_number"], maxlength=18)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 200}),
        help_text=_("For example: moved in with their family on 1 December. No phone numbers."),
    )
    relationship = _select(LABELS["relationship"], Relationship)
    household = forms.IntegerField(required=False, widget=forms.HiddenInput)
    grid = forms.CharField(required=False, widget=forms.HiddenInput)


class TransferDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
    note = forms.CharField(required=False, max_length=200)


def show_refusal(form: forms.Form, exc: WanggeError) -> None:
    """Put a service's refusal next to the field it names, or above the form when the field is
    not on it (a conflict names `version`, which is hidden)."""
    field = exc.field if exc.field in form.fields else None
    if field is not None and isinstance(form.fields[field].widget, forms.HiddenInput):
        field = None
    form.add_error(field, str(exc.message))
