"""Joint work and time on a case: the whistle and report-ins, extension requests, and the weekly
issue lists of sponsor units. Imported by models.py (one module per concern keeps it small).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.orgs.models import OrgUnit


class CaseWhistle(models.Model):
    """The street whistles (吹哨) a case to several departments, one of them the lead."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="whistles")
    whistled_at = models.DateTimeField()
    whistled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lead_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    # Returned and whistled again: the earlier whistle stays in the history, not current.
    is_current = models.BooleanField(default=True)
    # When it stopped being current: the sweep still marks late a report-in whose time ran out
    # before the whistle ended, and never one whose time would have run out after.
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["whistled_at", "id"]

    def __str__(self) -> str:
        return f"whistle {self.case_id} {self.whistled_at:%Y-%m-%d}"


class CaseReportIn(models.Model):
    """One summoned department: when it must report in (报到), when it did, and its part."""

    whistle = models.ForeignKey(CaseWhistle, on_delete=models.CASCADE, related_name="report_ins")
    # Denormalised from the whistle so that scope queries join one table.
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="report_ins")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=255, db_index=True)
    is_lead = models.BooleanField(default=False)
    due_at = models.DateTimeField(null=True, blank=True)
    reported_in_at = models.DateTimeField(null=True, blank=True)
    reported_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Reported in after due_at, or still not reported when the sweep found it overdue.
    late = models.BooleanField(default=False)
    # The moment it became late: due_at, however long after it the report-in or the sweep came.
    late_at = models.DateTimeField(null=True, blank=True)
    part = models.TextField(max_length=2000, blank=True)
    part_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-is_lead", "unit__code"]
        constraints = [
            models.UniqueConstraint(fields=["whistle", "unit"], name="uniq_report_in_per_unit")
        ]
        indexes = [models.Index(fields=["reported_in_at", "due_at"])]

    def __str__(self) -> str:
        return f"report-in {self.case_id} {self.unit_id}"


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class CaseExtension(models.Model):
    """A handler's request for more working days, decided a level up (延期)."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="extension_requests"
    )
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    days = models.PositiveSmallIntegerField(_("working days"))
    reason = models.TextField(_("reason"), max_length=2000)
    status = models.CharField(
        max_length=10, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_note = models.TextField(max_length=2000, blank=True)
    old_due_at = models.DateTimeField(null=True, blank=True)
    new_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            # One open request at a time: a second would race the first's decision.
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status="pending"),
                name="uniq_pending_extension",
            )
        ]

    def __str__(self) -> str:
        return f"extension {self.case_id} +{self.days}"


class SponsorIssueList(models.Model):
    """The weekly list of open matters in the places a sponsor unit looks after: generated on
    Thursday, answered by the end of Friday (the seeds' weekly cycle)."""

    sponsor_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    week_of = models.DateField()
    generated_at = models.DateTimeField()
    answer_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-week_of", "sponsor_unit__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["sponsor_unit", "week_of"], name="uniq_issue_list_per_week"
            )
        ]

    def __str__(self) -> str:
        return f"issue list {self.sponsor_unit_id} {self.week_of}"


class SponsorIssueItem(models.Model):
    issue_list = models.ForeignKey(SponsorIssueList, on_delete=models.CASCADE, related_name="items")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    answer = models.TextField(max_length=2000, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["issue_list", "case"], name="uniq_issue_item")
        ]

    def __str__(self) -> str:
        return f"issue {self.issue_list_id} {self.case_id}"
