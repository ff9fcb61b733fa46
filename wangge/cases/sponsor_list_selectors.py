"""Reads of the sponsor units' weekly issue lists: a unit's staff see their own lists, the
street (or anyone above the sponsor unit) sees every list under it; others get NotFound."""

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from wangge.core.errors import NotFound
from wangge.core.scope import scope_q
from wangge.orgs.permissions import visible_paths

from .joint_models import SponsorIssueItem, SponsorIssueList


def sponsor_issue_lists(*, actor, limit: int = 100) -> QuerySet[SponsorIssueList]:
    return (
        SponsorIssueList.objects.filter(scope_q(visible_paths(actor), "sponsor_unit__path"))
        .select_related("sponsor_unit")
        .annotate(
            item_count=Count("items"),
            answered_count=Count("items", filter=Q(items__answered_at__isnull=False)),
        )
        .order_by("-week_of", "sponsor_unit__code")[:limit]
    )


def sponsor_issue_list_get(
    *, actor, list_id: int
) -> tuple[SponsorIssueList, list[SponsorIssueItem]]:
    issue_list = (
        SponsorIssueList.objects.filter(scope_q(visible_paths(actor), "sponsor_unit__path"))
        .select_related("sponsor_unit")
        .filter(pk=list_id)
        .first()
    )
    if issue_list is None:
        raise NotFound(_("Issue list %(id)s not found.") % {"id": list_id}, field="list_id")
    items = list(
        issue_list.items.select_related("case__category", "case__grid", "answered_by").order_by(
            "case__reported_at"
        )
    )
    return issue_list, items
