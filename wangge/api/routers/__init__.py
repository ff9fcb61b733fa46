"""(prefix, router) pairs mounted under /api/v1/. Add one line per area."""

from . import orgs

ROUTERS = [
    ("/", orgs.router),
]
