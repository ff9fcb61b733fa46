"""Forms of the account and audit pages. They parse input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .accounts import credentials_check, resident_credentials_check
from .audit_selectors import AuditFilters
from .models import AuditResult, User

INVALID_LOGIN = _("The username or password is not correct.")
LOCKED = _(
    "This account is locked after too many failed attempts. Wait for the cool-off to end, "
    "or ask an admin to unlock it."
)


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "autofocus": True}
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.user: User | None = None
        self.locked = False

    def check(self):
        return credentials_check(
            self.request,
            username=self.cleaned_data["username"],
            password=self.cleaned_data["password"],
        )

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        result = self.check()
        if result.locked:
            self.locked = True
            raise forms.ValidationError(LOCKED, code="locked_out")
        if not result.ok:
            raise forms.ValidationError(INVALID_LOGIN, code="invalid_login")
        self.user = result.user
        return cleaned


class ResidentLoginForm(LoginForm):
    username = None  # type: ignore[assignment]
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "tel", "inputmode": "tel", "autofocus": True}
        ),
    )
    field_order = ["phone", "password"]

    def check(self):
        return resident_credentials_check(
            self.request, phone=self.cleaned_data["phone"], password=self.cleaned_data["password"]
        )

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError as exc:
            if exc.code == "invalid_login":
                raise forms.ValidationError(
                    _("The phone number or password is not correct."), code="invalid_login"
                ) from exc
            raise


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code"),
        min_length=6,
        max_length=12,
        help_text=_("The code your authenticator app shows now."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "autofocus": True,
            }
        ),
    )


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    new_password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean() or {}
        if (
            cleaned.get("new_password")
            and cleaned.get("new_password_again")
            and (cleaned["new_password"] != cleaned["new_password_again"])
        ):
            self.add_error("new_password_again", _("The two new passwords differ."))
        return cleaned


class DisableForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("Why the account is disabled. No personal data."),
    )


class LockoutClearForm(forms.Form):
    username = forms.CharField(max_length=150, widget=forms.HiddenInput)
    ip_address = forms.GenericIPAddressField(required=False, widget=forms.HiddenInput)


class AuditFilterForm(forms.Form):
    actor_username = forms.CharField(label=_("User"), max_length=150, required=False)
    action = forms.CharField(
        label=_("Action"),
        max_length=64,
        required=False,
        help_text=_('Exact, or a prefix ending in "." such as "auth."'),
    )
    object_type = forms.CharField(label=_("Object type"), max_length=64, required=False)
    object_id = forms.CharField(label=_("Object id"), max_length=64, required=False)
    result = forms.ChoiceField(
        label=_("Result"), required=False, choices=[("", _("Any")), *AuditResult.choices]
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        return AuditFilters(
            actor_username=data.get("actor_username") or "",
            action=data.get("action") or "",
            object_type=data.get("object_type") or "",
            object_id=data.get("object_id") or "",
            result=data.get("result") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
