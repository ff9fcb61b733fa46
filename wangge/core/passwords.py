from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class CharacterClassValidator:
    """Require characters from several classes: lower case, upper case, digits, other symbols."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    @staticmethod
    def classes_in(password: str) -> int:
        checks = (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum())
        return sum(any(check(c) for c in password) for check in checks)

    def validate(self, password: str, user=None) -> None:
        if self.classes_in(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return (
            ngettext(
                "Your password must mix at least %(n)d kind of character "
                "(lower case, upper case, digits, symbols).",
                "Your password must mix at least %(n)d kinds of characters "
                "(lower case, upper case, digits, symbols).",
                self.min_classes,
            )
            % {"n": self.min_classes}
            if self.min_classes
            else _("Any password")
        )
