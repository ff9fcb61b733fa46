"""Staff home pages (one section per kind of role the user holds) and the grid card page."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from wangge.core.decorators import staff_role_required
from wangge.core.scope import request_actor

from ..coverage import coverage_report
from ..enums import Role
from ..selectors import grid_card
from .overview import card_for_display, scope_overview

# Home sections in the order they appear; a user with several roles sees each of theirs once.
# "grids": the grids a grid worker or leader serves; "community": a community's grids;
# "street": a street's communities and grids; "service": hall and case roles, whose queues
# come in later issues.
SECTION_ROLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("grids", (Role.GRID_WORKER, Role.GRID_LEADER)),
    ("community", (Role.COMMUNITY_STAFF,)),
    ("street", (Role.COMMAND_CENTRE, Role.SUPERVISOR, Role.ASSESSOR)),
    ("service", (Role.CLERK, Role.HANDLER, Role.DEPARTMENT_STAFF)),
    ("admin", (Role.ADMIN,)),
    ("auditor", (Role.AUDITOR,)),
)


def _needs_second_factor(request, actor) -> bool:
    required = set(settings.WANGGE_TOTP_REQUIRED_ROLES)
    return bool(actor.roles & required) and not request.user.is_verified()


def _sections(actor, overview) -> list[dict]:
    sections: list[dict] = []
    for name, roles in SECTION_ROLES:
        if not actor.has_role(*roles):
            continue
        units = overview.unit_codes_for(actor, *roles)
        section: dict = {"name": name, "template": f"orgs/home/_{name}.html"}
        if name == "grids":
            section["cards"] = overview.grid_cards_under(units)
        elif name in ("community", "street"):
            section["units"] = [s for s in map(overview.unit_summary, units) if s is not None]
        elif name == "service":
            section["units"] = [overview.nodes[code] for code in units]
        elif name == "admin":
            section["tree"] = overview.roots
            section["coverage"] = [
                {
                    **row,
                    "gap_area": sum(gap["area_m2"] for gap in row["gaps"]),
                    "overlap_area": sum(overlap["area_m2"] for overlap in row["overlaps"]),
                }
                for row in coverage_report(actor=actor)
            ]
        sections.append(section)
    return sections


@login_required
@require_GET
def home(request):
    actor = request_actor(request)
    if actor.is_resident:
        return render(request, "orgs/home_resident.html")
    if _needs_second_factor(request, actor):
        # An admin or auditor whose session has not passed the code step (e.g. a role granted
        # after signing in) goes through it first, as their pages would require anyway.
        return redirect(f"{reverse('login_totp')}?{urlencode({'next': request.get_full_path()})}")
    if not actor.grants:
        return render(request, "orgs/home.html", {"sections": [], "no_roles": True})
    overview = scope_overview(actor)
    return render(request, "orgs/home.html", {"sections": _sections(actor, overview)})


@staff_role_required()
@require_GET
def grid_card_page(request, code: str):
    """A grid's card: the whole page, or only the card when the map asks for it (HX-Request)."""
    card = card_for_display(grid_card(actor=request_actor(request), code=code))
    if request.headers.get("HX-Request"):
        response = render(request, "orgs/_grid_card.html", {"card": card, "in_map": True})
    else:
        response = render(request, "orgs/grid_card.html", {"card": card})
    patch_vary_headers(response, ["HX-Request"])
    return response
