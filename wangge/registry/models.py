"""The register (人、地、物、组织): places, people, households, organisations, key-population tags.

Scope: every row carries `path`, the materialised path of the grid it lies in (or of the
community/street when it has no grid yet), so selectors filter with core.scope.scope_q exactly as
for org units. `grid` is kept beside it for counts and map colouring.

Personal data: ID number, phone and registered address are stored only encrypted (AES-GCM,
core.crypto) with HMAC blind indexes for exact lookup and short tail indexes for the
"last 4 digits" search; no plaintext copy exists in the database.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.orgs.models import OrgUnit

from .enums import (
    DwellingUse,
    ExportState,
    Gender,
    ImportKind,
    ImportState,
    OrganisationKind,
    OrganisationStatus,
    Relationship,
    ResidenceStatus,
    SocialOrganisationStatus,
    TransferState,
)


class Placed(models.Model):
    """Fields every located record shares: its grid (from its point) and its scope path."""

    grid = models.ForeignKey(
        OrgUnit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("grid"),
    )
    path = models.CharField(max_length=255, db_index=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Compound(Placed):
    """A residential estate (小区), with its property company and sponsor unit."""

    name = models.CharField(_("name"), max_length=64)
    address = models.CharField(_("address"), max_length=128, blank=True)
    property_company = models.CharField(_("property company"), max_length=64, blank=True)
    sponsor_unit = models.ForeignKey(
        OrgUnit,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sponsored_compounds",
        verbose_name=_("sponsor unit"),
    )

    class Meta:
        verbose_name = _("compound")
        verbose_name_plural = _("compounds")

    def __str__(self) -> str:
        return self.name


class Building(Placed):
    """A building (楼栋): a located point, floors, entrances and its building steward."""

    compound = models.ForeignKey(
        Compound,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="buildings",
        verbose_name=_("compound"),
    )
    name = models.CharField(_("name"), max_length=64)
    # The full street address ("东坡大道12号幸福小区3栋"), searched by fragment.
    address = models.CharField(_("address"), max_length=160, blank=True)
    floors = models.PositiveSmallIntegerField(_("floors"), null=True, blank=True)
    entrances = models.PositiveSmallIntegerField(_("entrances"), null=True, blank=True)
    steward = models.ForeignKey(
        "Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("building steward"),
    )

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        indexes = [models.Index(fields=["grid", "name"])]

    def __str__(self) -> str:
        return self.address or self.name


class Dwelling(Placed):
    """A dwelling (房屋) in a building; a rental records its landlord and lease."""

    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="dwellings", verbose_name=_("building")
    )
    entrance = models.PositiveSmallIntegerField(_("entrance"), null=True, blank=True)
    floor = models.SmallIntegerField(_("floor"), null=True, blank=True)
    number = models.CharField(_("number"), max_length=16)
    use = models.CharField(
        _("use"), max_length=16, choices=DwellingUse.choices, default=DwellingUse.OWNER_OCCUPIED
    )
    area_m2 = models.FloatField(_("floor area (m²)"), null=True, blank=True)
    landlord = models.ForeignKey(
        "Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("landlord"),
    )
    lease_start = models.DateField(_("lease start"), null=True, blank=True)
    lease_end = models.DateField(_("lease end"), null=True, blank=True)

    class Meta:
        verbose_name = _("dwelling")
        verbose_name_plural = _("dwellings")
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="uniq_dwelling_number")
        ]

    def __str__(self) -> str:
        return f"{self.building} {self.number}"


class Facility(Placed):
    """A municipal facility (部件) with its category code."""

    name = models.CharField(_("name"), max_length=64)
    category_code = models.CharField(_("category code"), max_length=16)

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")

    def __str__(self) -> str:
        return self.name


class Household(Placed):
    """A household (户): its members are the persons whose `household` points here."""

    number = models.CharField(_("household number"), max_length=32, unique=True)
    dwelling = models.ForeignKey(
        Dwelling,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="households",
        verbose_name=_("dwelling"),
    )

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.number


class Person(Placed):
    """Everyone actually living in the area (实有人口)."""

    name = models.CharField(_("name"), max_length=64)
    # Search keys: the name without its surname, its pinyin without tones, and its initials.
    given_name = models.CharField(max_length=64)
    name_pinyin = models.CharField(max_length=128)
    name_initials = models.CharField(max_length=32)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"))
    id_number_encrypted = models.BinaryField(null=True)
    # NULL (not "") once erased by retention, so the unique constraint skips erased rows.
    id_number_index = models.CharField(max_length=64, null=True)  # noqa: DJ001
    id_tail_index = models.CharField(max_length=16, blank=True)
    phone_encrypted = models.BinaryField(null=True)
    phone_index = models.CharField(max_length=64, blank=True)
    phone_tail_index = models.CharField(max_length=16, blank=True)
    registered_address_encrypted = models.BinaryField(null=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=16, blank=True)
    residence_status = models.CharField(
        _("residence status"),
        max_length=16,
        choices=ResidenceStatus.choices,
        default=ResidenceStatus.REGISTERED,
    )
    party_member = models.BooleanField(_("party member"), default=False)
    employer = models.CharField(_("employer or school"), max_length=64, blank=True)
    household = models.ForeignKey(
        Household,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        verbose_name=_("household"),
    )
    relationship = models.CharField(
        _("relationship to the head"), max_length=16, choices=Relationship.choices, blank=True
    )
    move_in_date = models.DateField(_("move-in date"), null=True, blank=True)
    move_out_date = models.DateField(_("move-out date"), null=True, blank=True)
    # Set by the retention task: the person moved out long ago; identifiers are erased.
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        permissions = [
            ("reveal_personal_data", "May reveal a full ID number, phone or address"),
            ("export_unmasked", "May export the register unmasked"),
            ("export_personal_data", "May export everything held about one person"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_index"],
                condition=Q(id_number_index__isnull=False),
                name="uniq_person_id_number",
            )
        ]
        indexes = [
            # (key, id): the search's order, so that PostgreSQL stops after `limit` rows even
            # among thousands of 王伟 (SQLite's indexes end in the rowid anyway).
            *(
                models.Index(fields=[key, "id"], name=f"person_{key}_id_idx")
                for key in ("name", "given_name", "name_initials", "name_pinyin")
            ),
            models.Index(fields=["id_tail_index"]),
            models.Index(fields=["phone_index"]),
            models.Index(fields=["phone_tail_index"]),
            models.Index(fields=["grid", "birth_date"]),
            # Search (registry.search) inside the actor's grids, read from the index alone.
            *(
                models.Index(
                    fields=["grid", key],
                    include=["id"],
                    condition=Q(archived_at__isnull=True),
                    name=f"person_grid_{key}_idx",
                )
                for key in ("name", "given_name", "name_initials", "name_pinyin")
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Organisation(Placed):
    """Resident organisations, enterprises, shops, social organisations and sponsor units."""

    kind = models.CharField(_("kind"), max_length=24, choices=OrganisationKind.choices)
    name = models.CharField(_("name"), max_length=128)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    registration = models.CharField(
        _("registration"), max_length=16, choices=SocialOrganisationStatus.choices, blank=True
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=OrganisationStatus.choices,
        default=OrganisationStatus.ACTIVE,
    )
    contact_name = models.CharField(_("contact person"), max_length=64, blank=True)
    contact_phone_encrypted = models.BinaryField(null=True)
    building = models.ForeignKey(
        Building,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organisations",
        verbose_name=_("building"),
    )
    address = models.CharField(_("address"), max_length=160, blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        indexes = [models.Index(fields=["kind", "path"])]

    def __str__(self) -> str:
        return self.name


class KeyPopulationTag(models.Model):
    """A key-population tag (重点人群). Sensitive tags are invisible without a TagGrant."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=32)
    sensitive = models.BooleanField(_("sensitive"), default=False)
    # Kept current by the register (age, household, residence status, dwelling use).
    derived = models.BooleanField(default=False)
    builtin = models.BooleanField(default=False)
    # Disability carries a grade (1-4); other tags may carry a short note.
    has_grade = models.BooleanField(default=False)
    sort_order = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("key-population tag")
        verbose_name_plural = _("key-population tags")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class PersonTag(models.Model):
    """A person's key-population tag with its validity period."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="tags")
    tag = models.ForeignKey(KeyPopulationTag, on_delete=models.PROTECT, related_name="+")
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    grade = models.PositiveSmallIntegerField(_("grade"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=128, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["tag", "person"])]

    def __str__(self) -> str:
        return f"{self.person_id} {self.tag_id}"


class TagGrant(models.Model):
    """Permission to see one sensitive tag (within the user's ordinary scope)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey(KeyPopulationTag, on_delete=models.CASCADE, related_name="grants")
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "tag"], name="uniq_tag_grant")]

    def __str__(self) -> str:
        return f"{self.user_id} may see {self.tag_id}"


class RecordChange(models.Model):
    """History of a register record: who changed what, when. Personal values appear masked."""

    object_type = models.CharField(max_length=32)
    object_id = models.BigIntegerField()
    changed_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=32)
    # {field: [old, new]}; encrypted fields as masked values only.
    changes = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["object_type", "object_id", "changed_at"])]

    def __str__(self) -> str:
        return f"{self.object_type}:{self.object_id} {self.action}"


class GridCount(models.Model):
    """Maintained rollup: one count per grid and metric, so cards and the map never scan persons.

    Metrics: households, persons, party_members and `tag:<code>` for each key-population tag.
    """

    grid = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(max_length=48)
    value = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["grid", "metric"], name="uniq_grid_count")]

    def __str__(self) -> str:
        return f"{self.grid_id} {self.metric}={self.value}"


class ImportJob(models.Model):
    """One uploaded file: checked first (preview with errors), then committed in one transaction."""

    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=ImportState.choices, default=ImportState.UPLOADED
    )
    file_name = models.CharField(_("file name"), max_length=255)
    stored_file = models.CharField(max_length=255)
    errors_file = models.CharField(max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    total_rows = models.IntegerField(default=0)
    processed_rows = models.IntegerField(default=0)
    error_count = models.IntegerField(default=0)
    # {"created": n, "updated": n, "unchanged": n} and the first errors for the preview.
    summary = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name} ({self.state})"


class ExportJob(models.Model):
    """A person list export written by the background worker (registry/export_jobs.py).

    The finished file is stored encrypted under VAR_DIR/exports/, readable by the requester
    only, and deleted when the job expires.
    """

    state = models.CharField(
        _("state"), max_length=16, choices=ExportState.choices, default=ExportState.QUEUED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The list filters (grid, tag, ages, …): no personal data, like the list page's query.
    filters = models.JSONField(default=dict)
    unmasked = models.BooleanField(default=False)
    reason = models.CharField(max_length=200, blank=True)
    total_rows = models.IntegerField(default=0)
    processed_rows = models.IntegerField(default=0)
    stored_file = models.CharField(max_length=255, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.state})"


class PersonTransfer(models.Model):
    """A request to move a person registered elsewhere into the requester's area (人员转入).

    The requester gave the person's ID number and never learns where they are: `from_path` is
    seen only by the admins deciding, those whose unit covers both places (`common_path`, the
    lowest unit above both, or any unit above it).
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    from_path = models.CharField(max_length=255)
    to_path = models.CharField(max_length=255)
    common_path = models.CharField(max_length=255)
    target_household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_grid = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    relationship = models.CharField(max_length=16, choices=Relationship.choices, blank=True)
    reason = models.CharField(_("reason"), max_length=200)
    state = models.CharField(
        _("state"), max_length=16, choices=TransferState.choices, default=TransferState.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["state", "common_path"]),
            models.Index(fields=["requested_by", "requested_at"]),
        ]
        constraints = [
            # One open request per person and requester; others may ask for the same person.
            models.UniqueConstraint(
                fields=["person", "requested_by"],
                condition=Q(state="pending"),
                name="uniq_pending_transfer",
            )
        ]

    def __str__(self) -> str:
        return f"transfer {self.pk} of {self.person_id} ({self.state})"
