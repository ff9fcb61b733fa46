"""The case loop: categories, cases and the event row of every transition.

A case carries its grid and the grid's path (scope, as in the register), its current handling
unit (a community, the street or a department: departments see what is routed to them through
`handler_path`), its state, and the deadlines of the current stage. Every transition writes one
CaseEvent (who, when, from, to, note, attachments); the allowed transitions are data
(`transitions.py`).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.orgs.models import OrgUnit

from .enums import Card, CaseSource, CaseState, CategoryKind, HandlingLevel

# The associated data of Case.reporter_phone_encrypted: intake encrypts with it, the outbox's
# address resolver (notify.py) decrypts with it.
REPORTER_PHONE_AAD = "cases.case.reporter_phone"


class CaseCategory(models.Model):
    """A node of the category tree (national city-management classes and social governance)."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=64)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=CategoryKind.choices)
    handling_level = models.CharField(
        _("handled by default at"),
        max_length=16,
        choices=HandlingLevel.choices,
        default=HandlingLevel.COMMUNITY,
    )
    # The department kind that usually handles it, by name (e.g. "城管"), matched to the street's
    # departments at dispatch; a unit would tie the catalogue to one street.
    default_department = models.CharField(_("default department"), max_length=32, blank=True)
    accept_hours = models.PositiveSmallIntegerField(_("accept within (working hours)"), default=4)
    dispatch_hours = models.PositiveSmallIntegerField(
        _("dispatch within (working hours)"), default=4
    )
    handle_days = models.PositiveSmallIntegerField(_("handle within (working days)"), default=5)
    grid_may_resolve = models.BooleanField(
        _("a grid worker may resolve on the spot"), default=False
    )
    anonymous_allowed = models.BooleanField(_("may be reported anonymously"), default=False)
    # Open311-style extra attributes: [{"code", "description", "datatype", "required", "values"}].
    attributes = models.JSONField(default=list, blank=True)
    duplicate_radius_m = models.PositiveIntegerField(default=50)
    duplicate_window_days = models.PositiveSmallIntegerField(default=3)
    is_active = models.BooleanField(default=True)
    sort_order = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("case category")
        verbose_name_plural = _("case categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Case(models.Model):
    number = models.CharField(_("case number"), max_length=20, unique=True)
    category = models.ForeignKey(CaseCategory, on_delete=models.PROTECT, related_name="cases")
    source = models.CharField(_("source"), max_length=16, choices=CaseSource.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=CaseState.choices, default=CaseState.REPORTED
    )
    # The state a paused case returns to on resume.
    state_before_pause = models.CharField(max_length=16, blank=True)
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    address = models.CharField(_("address"), max_length=160, blank=True)
    lng = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    grid = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Scope: the grid's path (or the community's when the place has no grid).
    path = models.CharField(max_length=255, db_index=True)
    # Who holds it now: a community, the street or a department.
    handler_unit = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handler_path = models.CharField(max_length=255, blank=True, db_index=True)
    # The handler (a person of the holding unit) it is assigned to, if any; while they are on
    # leave their open cases go to their B post (A/B posts).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_cases",
    )
    anonymous = models.BooleanField(default=False)
    reporter_phone_encrypted = models.BinaryField(null=True)
    hotline_number = models.CharField(_("12345 ticket number"), max_length=32, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    photos = models.JSONField(default=list, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_cases"
    )
    reported_at = models.DateTimeField()
    # The current stage's deadline and the whole case's; None where the calendar cannot tell.
    stage_due_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    calendar_warning = models.BooleanField(default=False)
    paused_at = models.DateTimeField(null=True, blank=True)
    card = models.CharField(max_length=8, choices=Card.choices, default=Card.NONE, blank=True)
    # The stage deadline the sweep last escalated (so each deadline escalates once, and a
    # second sweep finds nothing without reading the timeline).
    escalated_for_due_at = models.DateTimeField(null=True, blank=True)
    extensions = models.PositiveSmallIntegerField(default=0)
    reworks = models.PositiveSmallIntegerField(default=0)
    reopens = models.PositiveSmallIntegerField(default=0)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Open311: a client's key for idempotent intake and its token before a number exists.
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["state", "path"]),
            models.Index(fields=["category", "reported_at"]),
            models.Index(fields=["state", "stage_due_at"]),
        ]

    def __str__(self) -> str:
        return self.number


class CaseEvent(models.Model):
    """One transition (or note) in a case's timeline."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=24)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    note = models.TextField(max_length=2000, blank=True)
    attachments = models.JSONField(default=list, blank=True)
    # Routing detail: which unit it went to, the reason code, a rating.
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"


class CaseNumberSequence(models.Model):
    """The last number issued per day, so case numbers are readable and sortable."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day} {self.last}"


from .joint_models import (  # noqa: E402, F401
    CaseExtension,
    CaseReportIn,
    CaseWhistle,
    SponsorIssueItem,
    SponsorIssueList,
)
from .stats.models import CaseRollup, CaseStatsSnapshot  # noqa: E402, F401
