from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class ResidenceStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered resident")
    MIGRANT = "migrant", _("Migrant")
    AWAY_REGISTERED = "away_registered", _("Away-registered")
    FOREIGN = "foreign", _("Foreign national")


class DwellingUse(models.TextChoices):
    OWNER_OCCUPIED = "owner_occupied", _("Owner-occupied")
    RENTED = "rented", _("Rented")
    VACANT = "vacant", _("Vacant")
    COMMERCIAL = "commercial", _("Commercial")


class Relationship(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    GRANDPARENT = "grandparent", _("Grandparent")
    SIBLING = "sibling", _("Sibling")
    CHILD_IN_LAW = "child_in_law", _("Son- or daughter-in-law")
    TENANT = "tenant", _("Tenant")
    OTHER = "other", _("Other")


class OrganisationKind(models.TextChoices):
    RESIDENT_ORGANISATION = "resident_organisation", _("Resident organisation")
    ENTERPRISE = "enterprise", _("Enterprise")
    SHOP = "shop", _("Shop")
    SOCIAL_ORGANISATION = "social_organisation", _("Social organisation")
    SPONSOR_UNIT = "sponsor_unit", _("Sponsor unit")


class SocialOrganisationStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    FILED = "filed", _("Filed")


class OrganisationStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


class ImportKind(models.TextChoices):
    PERSONS = "persons", _("Persons")
    HOUSEHOLDS = "households", _("Households")
    DWELLINGS = "dwellings", _("Dwellings")
    BUILDINGS = "buildings", _("Buildings")
    ORGANISATIONS = "organisations", _("Organisations")


class ImportState(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    VALIDATING = "validating", _("Validating")
    VALIDATED = "validated", _("Checked, ready to import")
    INVALID = "invalid", _("Has errors")
    COMMITTING = "committing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


class ExportState(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Being written")
    DONE = "done", _("Ready to download")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


# Built-in key-population tags (GB/T 31000 data modules). `derived` tags are kept current by
# the register itself (age and household); the others are set by staff with validity periods.
class BuiltinTag(models.TextChoices):
    EMPTY_NEST_ELDER = "empty_nest_elder", _("Empty-nest elder")
    ELDER_LIVING_ALONE = "elder_living_alone", _("Elder living alone")
    DISABILITY = "disability", _("Person with disability")
    MINIMUM_LIVING_ALLOWANCE = "minimum_living_allowance", _("Minimum living allowance")
    EXTREME_HARDSHIP = "extreme_hardship", _("Extreme hardship support")
    MIGRANT = "migrant", _("Migrant")
    RENTAL_TENANT = "rental_tenant", _("Lives in a rental dwelling")
    COMMUNITY_CORRECTIONS = "community_corrections", _("Community corrections")
    RELEASED_PRISONER = "released_prisoner", _("Released prisoner")
    KEY_YOUTH = "key_youth", _("Key youth")
    VETERAN = "veteran", _("Veteran")


SENSITIVE_BUILTIN_TAGS = frozenset(
    {
        BuiltinTag.DISABILITY,
        BuiltinTag.MINIMUM_LIVING_ALLOWANCE,
        BuiltinTag.EXTREME_HARDSHIP,
        BuiltinTag.COMMUNITY_CORRECTIONS,
        BuiltinTag.RELEASED_PRISONER,
        BuiltinTag.KEY_YOUTH,
    }
)
DERIVED_BUILTIN_TAGS = frozenset(
    {
        BuiltinTag.EMPTY_NEST_ELDER,
        BuiltinTag.ELDER_LIVING_ALONE,
        BuiltinTag.MIGRANT,
        BuiltinTag.RENTAL_TENANT,
    }
)


class TransferState(models.TextChoices):
    PENDING = "pending", _("Waiting for a decision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
