"""The handler a dispatcher is offered (category + place + sponsor unit); they may override it.

In order: the sponsor unit (包保单位) of the compound the case lies in; the category's default
department among the street's departments; for matters a community handles, the community of
the place. Only units the dispatcher may dispatch to are offered.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from wangge.orgs.codes import path_codes
from wangge.orgs.enums import OrgUnitKind
from wangge.orgs.models import OrgUnit
from wangge.registry.nearby import compound_near

from .enums import HandlingLevel
from .models import Case


@dataclass(frozen=True)
class Suggestion:
    unit: OrgUnit
    reason: str


def suggested_handler(case: Case, targets: list[OrgUnit]) -> Suggestion | None:
    """`targets`: the units the dispatcher may choose from (selectors.dispatch_targets)."""
    by_id = {unit.pk: unit for unit in targets}
    near = compound_near(grid_id=case.grid_id, lng=case.lng, lat=case.lat)
    if near is not None and near.sponsor_unit_id in by_id:
        return Suggestion(
            by_id[near.sponsor_unit_id],
            _("Sponsor unit of the compound %(compound)s") % {"compound": near.name},
        )
    wanted = case.category.default_department
    if wanted:
        for unit in targets:
            if unit.kind == OrgUnitKind.DEPARTMENT and wanted in unit.name:
                return Suggestion(unit, _("The category's default department"))
    if case.category.handling_level in (HandlingLevel.GRID, HandlingLevel.COMMUNITY):
        codes = path_codes(case.path)
        for unit in targets:
            if unit.kind == OrgUnitKind.COMMUNITY and unit.code in codes:
                return Suggestion(unit, _("The community of the place"))
    return None
