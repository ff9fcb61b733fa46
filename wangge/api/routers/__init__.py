"""(prefix, router) pairs mounted under /api/v1/. Add one line per area."""

from . import auth, calendar, cases, orgs, registry

ROUTERS = [
    ("/", orgs.router),
    ("/", auth.router),
    ("/calendar/", calendar.router),
    ("/", registry.router),
    ("/", cases.router),
]
