"""Grid counts for cards and the map, read from the maintained GridCount rollup.

Only the key populations the actor may see are returned: a sensitive tag without a grant is
absent, not zero, so that its existence is not revealed either.
"""

from django.utils.translation import gettext as _

from .models import GridCount, KeyPopulationTag
from .permissions import visible_tags

BASE_METRICS = ("households", "persons", "party_members")
TAG_PREFIX = "tag:"


def grid_counts_for(actor, codes: list[str]) -> dict[str, dict]:
    tag_codes = set(visible_tags(actor).values())
    result: dict[str, dict] = {
        code: {
            **dict.fromkeys(BASE_METRICS, 0),
            "key_populations": dict.fromkeys(tag_codes, 0),
        }
        for code in codes
    }
    rows = GridCount.objects.filter(grid__code__in=codes).values_list(
        "grid__code", "metric", "value"
    )
    for code, metric, value in rows:
        counts = result[code]
        if metric in BASE_METRICS:
            counts[metric] = value
        elif metric.startswith(TAG_PREFIX) and metric[len(TAG_PREFIX) :] in tag_codes:
            counts["key_populations"][metric[len(TAG_PREFIX) :]] = value
    return result


def grid_metrics_for(actor) -> list[dict]:
    """What the map may colour grids by: the base counts, then each tag the actor may see.

    Keys match grid_counts_for: a base metric's name, or `tag:<code>` for a key population.
    """
    metrics = [
        {"key": "households", "label": _("Households")},
        {"key": "persons", "label": _("Persons")},
        {"key": "party_members", "label": _("Party members")},
    ]
    visible = visible_tags(actor)
    for tag in KeyPopulationTag.objects.filter(pk__in=list(visible)).order_by("sort_order", "code"):
        metrics.append({"key": f"{TAG_PREFIX}{tag.code}", "label": tag.name})
    return metrics
