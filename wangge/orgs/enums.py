from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgUnitKind(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    COMMUNITY = "community", _("Community")
    SECTOR = "sector", _("Sector")
    GRID = "grid", _("Grid")
    DEDICATED_GRID = "dedicated_grid", _("Dedicated grid")
    DEPARTMENT = "department", _("Department")


GRID_KINDS = (OrgUnitKind.GRID, OrgUnitKind.DEDICATED_GRID)

# Which kinds may sit directly under which. Departments hang off any administrative level.
ALLOWED_PARENT_KINDS: dict[str, tuple[str, ...]] = {
    OrgUnitKind.CITY: (),
    OrgUnitKind.DISTRICT: (OrgUnitKind.CITY,),
    OrgUnitKind.STREET: (OrgUnitKind.DISTRICT,),
    OrgUnitKind.COMMUNITY: (OrgUnitKind.STREET,),
    OrgUnitKind.SECTOR: (OrgUnitKind.COMMUNITY,),
    OrgUnitKind.GRID: (OrgUnitKind.COMMUNITY, OrgUnitKind.SECTOR),
    OrgUnitKind.DEDICATED_GRID: (OrgUnitKind.COMMUNITY, OrgUnitKind.SECTOR),
    OrgUnitKind.DEPARTMENT: (
        OrgUnitKind.CITY,
        OrgUnitKind.DISTRICT,
        OrgUnitKind.STREET,
        OrgUnitKind.COMMUNITY,
    ),
}


class Role(models.TextChoices):
    GRID_WORKER = "grid_worker", _("Grid worker")
    GRID_LEADER = "grid_leader", _("Grid leader")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    CLERK = "clerk", _("Clerk")
    HANDLER = "handler", _("Handler")
    DEPARTMENT_STAFF = "department_staff", _("Department staff")
    COMMAND_CENTRE = "command_centre", _("Command centre")
    SUPERVISOR = "supervisor", _("Supervisor")
    ASSESSOR = "assessor", _("Assessor")
    ADMIN = "admin", _("Admin")
    AUDITOR = "auditor", _("Auditor")
