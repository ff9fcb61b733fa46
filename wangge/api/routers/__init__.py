"""(prefix, router) pairs mounted under /api/v1/. Add one line per area."""

from . import (
    auth,
    calendar,
    case_map,
    case_stats,
    cases,
    notifications,
    orgs,
    registry,
    transfers,
)

ROUTERS = [
    ("/", orgs.router),
    ("/", auth.router),
    ("/calendar/", calendar.router),
    ("/", registry.router),
    ("/", transfers.router),
    ("/", case_stats.router),  # before cases: /cases/{number} would take "stats"
    ("/", cases.router),
    ("/", case_map.router),
    ("/", notifications.router),
]
