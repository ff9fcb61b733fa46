"""The staff navigation in base.html: which links a user sees depends on their roles.

Links are listed by URL name; a name that is not (yet) routed is skipped rather than breaking
every page, so an area can ship its pages independently of this list.
"""

from dataclasses import dataclass

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from wangge.core.scope import request_actor
from wangge.orgs.enums import Role

register = template.Library()

ANY_STAFF = None


@dataclass(frozen=True)
class NavLink:
    url_name: str
    label: str | Promise  # lazy: translated when the page renders
    roles: tuple[str, ...] | None  # None: every staff user with at least one role


NAV_LINKS: tuple[NavLink, ...] = (
    NavLink("home", _("Home"), ANY_STAFF),
    NavLink("orgs_map", _("Map"), ANY_STAFF),
    NavLink("registry_persons", _("Register"), ANY_STAFF),
    NavLink("registry_search", _("Search"), ANY_STAFF),
    NavLink("cases_queue", _("Cases"), ANY_STAFF),
    NavLink("cases_map", _("Case map"), ANY_STAFF),
    NavLink("cases_stats", _("Statistics"), ANY_STAFF),
    # Not for admins: the page refuses them (orgs/views/duty.py), they set posts through the API.
    NavLink(
        "orgs_duty",
        _("A/B posts"),
        (Role.COMMAND_CENTRE, Role.COMMUNITY_STAFF, Role.DEPARTMENT_STAFF),
    ),
    NavLink("registry_import", _("Import"), (Role.COMMUNITY_STAFF, Role.GRID_LEADER, Role.ADMIN)),
    NavLink(
        "registry_transfers_mine",
        _("My transfer requests"),
        (Role.GRID_WORKER, Role.GRID_LEADER, Role.COMMUNITY_STAFF),
    ),
    NavLink("registry_transfers", _("Transfer requests"), (Role.ADMIN,)),
    NavLink("orgs_map_edit", _("Grid editor"), (Role.ADMIN,)),
    NavLink("calendar", _("Calendar"), (Role.ADMIN,)),
    NavLink("audit", _("Audit trail"), (Role.AUDITOR,)),
    NavLink("users", _("Users"), (Role.ADMIN,)),
    NavLink("lockouts", _("Lockouts"), (Role.ADMIN,)),
    NavLink("notifications_outbox", _("Undelivered notifications"), (Role.ADMIN,)),
)


@dataclass(frozen=True)
class NavItem:
    url: str
    label: str
    current: bool


def _url_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def nav_items_for(request) -> list[NavItem]:
    actor = request_actor(request)
    if not actor.is_authenticated or actor.is_resident or not actor.grants:
        return []
    found: list[tuple[str, str]] = []
    for link in NAV_LINKS:
        if link.roles is not None and not actor.has_role(*link.roles):
            continue
        url = _url_or_none(link.url_name)
        if url is not None:
            found.append((url, str(link.label)))
    # The link owning the page is the longest one the path starts with ("/map/edit/" beats
    # "/map/"); home ("/") owns only itself.
    path = request.path
    owners = [url for url, _label in found if path == url or (url != "/" and path.startswith(url))]
    current = max(owners, key=len, default=None)
    return [NavItem(url=url, label=label, current=url == current) for url, label in found]


@register.simple_tag(takes_context=True)
def staff_nav(context) -> list[NavItem]:
    request = context.get("request")
    return nav_items_for(request) if request is not None else []


@register.simple_tag(takes_context=True)
def role_labels(context) -> str:
    """The signed-in user's roles as one line, e.g. "Admin · Auditor"."""
    request = context.get("request")
    if request is None:
        return ""
    actor = request_actor(request)
    if actor.is_resident:
        return str(_("Resident"))
    labels = {role: Role(role).label for role in actor.roles if role in Role.values}
    return " · ".join(str(labels[role]) for role in Role.values if role in labels)
