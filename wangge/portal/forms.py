"""Portal forms: they only parse; the case services decide and name the field they refuse."""

from django import forms
from django.utils.translation import gettext_lazy as _

from wangge.cases.enums import Rating
from wangge.cases.events import MAX_NOTE
from wangge.cases.views.forms import PhotosField

# The category's own questions (Open311 attributes) are posted as attr-<category>-<code>.
ATTRIBUTE_PREFIX = "attr"


class SnapReportForm(forms.Form):
    category_code = forms.CharField(label=_("What is the problem?"), max_length=16)
    description = forms.CharField(
        label=_("Tell us more (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea({"rows": 4}),
    )
    photos = PhotosField(
        label=_("Photos"),
        capture=True,
        help_text=_("Take or choose up to 9 photos."),
    )
    lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    address = forms.CharField(
        label=_("Where is it? (optional, e.g. the gate of building 3)"),
        required=False,
        max_length=160,
    )
    anonymous = forms.BooleanField(label=_("Report without my name"), required=False)


def attribute_name(category_code: str, code: str) -> str:
    return f"{ATTRIBUTE_PREFIX}-{category_code}-{code}"


def posted_attributes(data, category) -> dict:
    """The chosen category's answers from the POST; other categories' inputs are ignored."""
    answers: dict = {}
    for spec in category.attributes or []:
        code = str(spec.get("code", ""))
        name = attribute_name(category.code, code)
        if spec.get("datatype") == "multivaluelist":
            values = [value for value in data.getlist(name) if value]
            if values:
                answers[code] = values
        elif (value := (data.get(name) or "").strip()) != "":
            answers[code] = value
    return answers


class FollowForm(forms.Form):
    number = forms.CharField(
        label=_("Case number"),
        max_length=20,
        widget=forms.TextInput(
            {"autocomplete": "off", "inputmode": "text", "autocapitalize": "characters"}
        ),
    )


# Best first, as people read the list: 非常满意 … 非常不满意.
RATING_CHOICES = sorted(Rating.choices, key=lambda item: -int(item[0]))


class RateForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you?"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything to add? (optional)"),
        required=False,
        max_length=MAX_NOTE,
        widget=forms.Textarea({"rows": 3}),
    )


class ReopenForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    note = forms.CharField(
        label=_("Why is the problem not solved?"),
        max_length=MAX_NOTE,
        widget=forms.Textarea({"rows": 3}),
    )
    photos = PhotosField(label=_("Photos (optional)"), capture=True)
