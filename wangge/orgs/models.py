"""Org units (the administrative tree, grids, departments), role assignments, service hours."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .enums import OrgUnitKind, Role


class OrgUnit(models.Model):
    """A node of city > district > street > community > (sector) > grid, or a department.

    Codes: 12-digit division codes for administrative units; a grid (or dedicated grid) appends
    3 digits to its community's code; a sector appends "S" + 2 digits and a department "D" + 2
    digits to its parent's code, so that every code is unique and readable. `path` is the
    materialised path of codes (`/<city>/<district>/.../<self>/`), the key of every scope check.
    """

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=OrgUnitKind.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )
    path = models.CharField(max_length=255, unique=True)
    depth = models.PositiveSmallIntegerField(default=0)
    # GeoJSON geometry (Polygon or MultiPolygon, WGS-84 lon/lat), None where a unit has no area.
    boundary = models.JSONField(_("boundary"), null=True, blank=True)
    area_m2 = models.FloatField(_("area (m²)"), null=True, blank=True)
    centroid_lng = models.FloatField(null=True, blank=True)
    centroid_lat = models.FloatField(null=True, blank=True)
    # For a dedicated grid: the institution it serves (a school, a hospital, a factory).
    institution = models.CharField(_("institution"), max_length=64, blank=True)
    sort_order = models.IntegerField(default=0)
    is_active = models.BooleanField(default=True)
    # Bumped by every service that changes the unit; editors send it back (optimistic locking).
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        ordering = ["path"]
        indexes = [models.Index(fields=["kind", "path"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_grid(self) -> bool:
        return self.kind in (OrgUnitKind.GRID, OrgUnitKind.DEDICATED_GRID)


class RoleAssignment(models.Model):
    """A staff user's role bound to an org unit; the user may see that unit's subtree."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="role_assignments")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "org_unit"], name="uniq_role_assignment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} @ {self.org_unit_id}"


class ServiceHours(models.Model):
    """When a unit serves the public: morning and afternoon ranges, plus extended-hours weekdays.

    A unit without its own row uses the nearest ancestor's (see selectors.service_hours_for).
    """

    org_unit = models.OneToOneField(OrgUnit, on_delete=models.CASCADE, related_name="service_hours")
    morning_start = models.TimeField(default="08:30")
    morning_end = models.TimeField(default="12:00")
    afternoon_start = models.TimeField(default="14:00")
    afternoon_end = models.TimeField(default="17:30")
    # ISO weekdays (1 = Monday) on which the afternoon runs late, until extended_end.
    extended_weekdays = models.JSONField(default=list, blank=True)
    extended_end = models.TimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"service hours of {self.org_unit_id}"


class DutyPost(models.Model):
    """An A/B post (AB岗) of a unit: while the A post is on leave, their work goes to the B post."""

    org_unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="duty_posts")
    a_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("A post"),
    )
    b_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("B post"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "a_user"], name="uniq_duty_post"),
            models.CheckConstraint(
                condition=~models.Q(a_user=models.F("b_user")), name="duty_post_two_people"
            ),
        ]

    def __str__(self) -> str:
        return f"A/B post {self.org_unit_id}: {self.a_user_id}/{self.b_user_id}"


class Leave(models.Model):
    """A staff member's recorded absence (both days included)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="leaves"
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on"]
        indexes = [models.Index(fields=["user", "ends_on"])]

    def __str__(self) -> str:
        return f"leave {self.user_id} {self.starts_on}..{self.ends_on}"
