"""Forms of the case pages: one small form per action, and the staff report form.

The forms only parse; the services decide (a missing note on reject is refused by the service,
so the page shows the same message as the API, beside `note`).
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wangge.core.errors import WanggeError

from ..enums import Rating
from ..events import MAX_NOTE
from ..selectors import leaf_categories
from ..transitions import TRANSITIONS

ACTION_LABELS = {
    "report": _("Report"),
    "accept": _("Accept"),
    "reject": _("Reject"),
    "merge": _("Merge into another case"),
    "escalate": _("Escalate to the street"),
    "dispatch": _("Dispatch"),
    "start": _("Start work"),
    "return": _("Return (wrong routing)"),
    "pause": _("Pause"),
    "resume": _("Resume"),
    "handle": _("Report as handled"),
    "verify": pgettext_lazy("case action", "Verify"),
    "rework": _("Send back for rework"),
    "close": _("Close"),
    "rate": _("Rate"),
    "reopen": _("Reopen"),
    "whistle": _("Whistle (summon departments)"),
    "report_in": _("Report in"),
    "add_part": _("Add our part of the work"),
    "extension_request": _("Ask for an extension"),
    "extension_approve": _("Approve the extension"),
    "extension_reject": _("Refuse the extension"),
}

# Actions that end or turn back the case: their button is drawn as a warning.
DANGER_ACTIONS = frozenset({"reject", "return", "rework", "merge", "extension_reject"})
FIELD_ORDER = (
    *("version", "unit_code", "assignee", "lead_unit_code", "unit_codes"),
    *("into_number", "days", "rating", "note"),
)
# Side actions whose note is required (their services say so too).
NOTE_REQUIRED = frozenset({"reopen", "add_part", "extension_request", "extension_reject"})


def note_required(action: str) -> bool:
    row = TRANSITIONS.get(action)
    return bool(row and row.needs_note) or action in NOTE_REQUIRED


class ActionForm(forms.Form):
    """One action on one case: the version the page showed, a note, and the action's own input
    (a unit for dispatch, a case number for merge, a rating for rate)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=MAX_NOTE, widget=forms.Textarea({"rows": 2})
    )

    def __init__(
        self, *args, action: str, targets=(), suggestion=None, handlers=(), **kwargs
    ) -> None:
        kwargs.setdefault("auto_id", f"id_{action}_%s")
        super().__init__(*args, **kwargs)
        self.action = action
        note = self.fields["note"]
        if note_required(action):
            # Shown as required; the service still decides and names the field.
            note.label = _("Note (required: give the reason)")
            note.widget.attrs["required"] = "required"
        unit_choices = [(unit.code, f"{unit.name} ({unit.get_kind_display()})") for unit in targets]
        if action == "dispatch":
            self.fields["unit_code"] = forms.ChoiceField(
                label=_("Unit"), choices=[("", "—"), *unit_choices]
            )
            # Optional: a person of the chosen unit (their B post while they are on leave).
            self.fields["assignee"] = forms.ChoiceField(
                label=_("Handler (optional)"),
                required=False,
                choices=[("", "—"), *handlers],
            )
        elif action == "whistle":
            departments = [(unit.code, unit.name) for unit in targets if unit.kind == "department"]
            self.fields["lead_unit_code"] = forms.ChoiceField(
                label=_("Lead department"), choices=[("", "—"), *departments]
            )
            self.fields["unit_codes"] = forms.MultipleChoiceField(
                label=_("Departments that report in with it"),
                choices=departments,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
        if suggestion is not None and action in ("dispatch", "whistle"):
            # Offered, not imposed: the dispatcher may choose another unit.
            name = "unit_code" if action == "dispatch" else "lead_unit_code"
            field = self.fields[name]
            offered = [u for u in targets if action == "dispatch" or u.kind == "department"]
            if any(unit.code == suggestion.unit.code for unit in offered):
                field.initial = suggestion.unit.code
                field.help_text = _("Suggested: %(unit)s (%(reason)s)") % {
                    "unit": suggestion.unit.name,
                    "reason": suggestion.reason,
                }
        if action == "extension_request":
            self.fields["days"] = forms.IntegerField(
                label=_("Working days"), min_value=1, max_value=30
            )
        elif action == "merge":
            self.fields["into_number"] = forms.CharField(
                label=_("Merge into case number"), max_length=20
            )
        elif action == "rate":
            self.fields["rating"] = forms.TypedChoiceField(
                label=_("Rating"), choices=Rating.choices, coerce=int
            )
        # Fields in a stable order: the action's own input first, the note last.
        self.order_fields(FIELD_ORDER)


def show_refusal(form: forms.Form, exc: WanggeError) -> None:
    """The service's message beside the field it names, or above the form (a conflict names
    the hidden `version`)."""
    field = exc.field if exc.field in form.fields else None
    if field is not None and isinstance(form.fields[field].widget, forms.HiddenInput):
        field = None
    form.add_error(field, str(exc.message))


def category_choices() -> list[tuple[str, str]]:
    return [("", "—")] + [
        (category.code, f"{category.code} {category.name}") for category in leaf_categories()
    ]


class MultiplePhotoInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several image files under one name; the upload service checks and cleans them."""

    def __init__(self, *, capture: bool = False, **kwargs) -> None:
        attrs = {"accept": "image/*", "multiple": True}
        if capture:
            attrs["capture"] = "environment"
        kwargs.setdefault("widget", MultiplePhotoInput(attrs=attrs))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(PhotosField, self).clean(item, initial) for item in files if item]


class ReportForm(forms.Form):
    # A callable: read on every form, so a new category shows without a restart.
    category_code = forms.ChoiceField(label=_("Category"), choices=category_choices)
    title = forms.CharField(label=_("Title"), max_length=100)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=2000, widget=forms.Textarea({"rows": 4})
    )
    lng = forms.FloatField(label=_("Longitude"), required=False)
    lat = forms.FloatField(label=_("Latitude"), required=False)
    address = forms.CharField(
        label=pgettext_lazy("place", "Address"), required=False, max_length=160
    )
    photos = PhotosField(label=_("Photos"), help_text=_("Up to 9 photos, 10 MB each."))
