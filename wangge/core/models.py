"""Kernel models every app may use: accounts, audit trail, revisions, calendar, API tokens."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    STAFF = "staff", _("Staff")
    RESIDENT = "resident", _("Resident")


class User(AbstractUser):
    """A login. Staff hold roles on org units (orgs.RoleAssignment); residents sign in by phone."""

    kind = models.CharField(
        _("account kind"), max_length=16, choices=AccountKind.choices, default=AccountKind.STAFF
    )
    display_name = models.CharField(_("display name"), max_length=64, blank=True)
    # A staff member's work phone is printed on grid contact cards, so it is not secret.
    work_phone = models.CharField(_("work phone"), max_length=20, blank=True)
    # A resident's own phone is personal data: encrypted, with a blind index for login lookup.
    phone_encrypted = models.BinaryField(
        _("phone (encrypted)"), null=True, blank=True, editable=False
    )
    phone_index = models.CharField(
        max_length=64, null=True, blank=True, unique=True, editable=False
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username


class UserSession(models.Model):
    """Which sessions belong to which user, so that disabling a user can end all of them."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, unique=True)
    started_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"session of user {self.user_id}"


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token itself is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text="first characters, to tell tokens apart")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"token {self.prefix}…"


class AuditResult(models.TextChoices):
    OK = "ok", _("Succeeded")
    DENIED = "denied", _("Denied")
    FAILED = "failed", _("Failed")


class AuditEvent(models.Model):
    """Append-only trail. Database triggers refuse UPDATE and DELETE (see migration 0002)."""

    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Kept beside the FK so the trail stays readable even if an account is renamed.
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    # The org path the object belongs to, so scope rules can apply to the trail itself.
    org_path = models.CharField(max_length=255, blank=True)
    result = models.CharField(max_length=8, choices=AuditResult.choices, default=AuditResult.OK)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # Never personal data here: codes, field names, counts, reasons.
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["actor", "occurred_at"]),
            models.Index(fields=["object_type", "object_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_username} {self.action}"


class Revision(models.Model):
    """A named counter bumped when shared data changes, so in-process caches know to reload."""

    name = models.CharField(max_length=64, primary_key=True)
    number = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}@{self.number}"


class CalendarDayKind(models.TextChoices):
    WORKDAY = "workday", _("Working day")
    WEEKEND = "weekend", _("Weekend")
    HOLIDAY = "holiday", _("Public holiday")
    ADJUSTED_WORKDAY = "adjusted_workday", _("Adjusted working day")


class CalendarYear(models.Model):
    """A year the calendar covers. Working-day arithmetic refuses dates in years not listed here."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    source = models.CharField(max_length=32, default="chinesecalendar")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return str(self.year)


class CalendarDaySource(models.TextChoices):
    """Where a day's kind came from; re-seeding from chinesecalendar keeps admin and import rows."""

    CHINESECALENDAR = "chinesecalendar", _("chinesecalendar package")
    DEFAULT = "default", _("Weekday default")
    ADMIN = "admin", _("Edited by an admin")
    IMPORT = "import", _("Imported from a file")


class CalendarDay(models.Model):
    date = models.DateField(primary_key=True)
    kind = models.CharField(max_length=20, choices=CalendarDayKind.choices)
    name = models.CharField(max_length=64, blank=True)
    source = models.CharField(
        max_length=16, choices=CalendarDaySource.choices, default=CalendarDaySource.CHINESECALENDAR
    )

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.kind}"

    @property
    def is_workday(self) -> bool:
        return self.kind in (CalendarDayKind.WORKDAY, CalendarDayKind.ADJUSTED_WORKDAY)


class Heartbeat(models.Model):
    """When a background job (the deadline sweep) last finished a run, for the health check."""

    name = models.CharField(max_length=64, primary_key=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}@{self.beat_at:%Y-%m-%d %H:%M:%S}"
