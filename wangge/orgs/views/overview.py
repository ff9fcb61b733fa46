"""What the home pages and the map panel show, composed from the orgs selectors.

Everything here is read through selectors that take the actor (org_tree, grids_geojson,
grid_counts, coverage_report, staff_directory on the actor's own paths), so a page can only show
the actor's scope. A fixed handful of queries serves a whole street, however many grids it has:
the home pages' query-count tests hold that line.
"""

from dataclasses import dataclass, field

from wangge.core.scope import Actor

from ..accounts import staff_directory
from ..enums import GRID_KINDS, OrgUnitKind, Role
from ..permissions import visible_paths
from ..selectors import grid_counts, grids_geojson, org_tree

GRID_STAFF_ROLES = (Role.GRID_LEADER, Role.GRID_WORKER)
# Enough for a district; a larger scope would want a paged staff list, not a home page.
STAFF_LIMIT = 20_000


@dataclass
class TreeNode:
    code: str
    name: str
    kind: str
    children: list["TreeNode"] = field(default_factory=list)
    parent: "TreeNode | None" = field(default=None, repr=False)
    has_boundary: bool = False

    @property
    def is_grid(self) -> bool:
        return self.kind in GRID_KINDS

    @property
    def kind_label(self) -> str:
        return str(OrgUnitKind(self.kind).label) if self.kind in OrgUnitKind.values else self.kind

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    def community(self) -> "TreeNode | None":
        node: TreeNode | None = self
        while node is not None and node.kind != OrgUnitKind.COMMUNITY:
            node = node.parent
        return node


@dataclass
class Totals:
    grids: int = 0
    households: int = 0
    persons: int = 0
    party_members: int = 0
    key_populations: int = 0
    grid_workers: int = 0

    def add_grid(self, card: dict) -> None:
        counts = card["counts"]
        self.grids += 1
        self.households += counts["households"]
        self.persons += counts["persons"]
        self.party_members += counts["party_members"]
        self.key_populations += card["key_population_total"]
        self.grid_workers += len(card["grid_workers"])


@dataclass
class CommunitySummary:
    code: str
    name: str
    area_m2: float | None
    grids: list[dict]
    totals: Totals


@dataclass
class UnitSummary:
    """A unit a role is bound to (a street, a community, a department) and what lies below."""

    code: str
    name: str
    kind: str
    kind_label: str
    communities: list[CommunitySummary]
    totals: Totals


@dataclass
class Overview:
    """The actor's whole scope, read once per request."""

    roots: list[TreeNode]
    nodes: dict[str, TreeNode]
    cards: dict[str, dict]  # grid code → the same shape as selectors.grid_card (no boundary)
    areas: dict[str, float | None]

    def unit_codes_for(self, actor: Actor, *roles: str) -> list[str]:
        """The codes of the units the actor holds any of `roles` on, in tree order."""
        codes = {path.rstrip("/").rsplit("/", 1)[-1] for path in actor.paths(*roles)}
        return [node.code for root in self.roots for node in root.walk() if node.code in codes]

    def grid_cards_under(self, codes) -> list[dict]:
        found: list[dict] = []
        seen: set[str] = set()
        for code in codes:
            node = self.nodes.get(code)
            if node is None:
                continue
            for each in node.walk():
                if each.is_grid and each.code not in seen and each.code in self.cards:
                    seen.add(each.code)
                    found.append(self.cards[each.code])
        return found

    def unit_summary(self, code: str) -> UnitSummary | None:
        node = self.nodes.get(code)
        if node is None:
            return None
        communities = [each for each in node.walk() if each.kind == OrgUnitKind.COMMUNITY]
        summaries = [self.community_summary(each.code) for each in communities]
        totals = Totals()
        for summary in summaries:
            if summary is not None:
                for card in summary.grids:
                    totals.add_grid(card)
        return UnitSummary(
            code=node.code,
            name=node.name,
            kind=node.kind,
            kind_label=node.kind_label,
            communities=[s for s in summaries if s is not None],
            totals=totals,
        )

    def community_summary(self, code: str) -> CommunitySummary | None:
        node = self.nodes.get(code)
        if node is None:
            return None
        grids = self.grid_cards_under([code])
        totals = Totals()
        for card in grids:
            totals.add_grid(card)
        return CommunitySummary(
            code=node.code, name=node.name, area_m2=self.areas.get(code), grids=grids, totals=totals
        )

    def communities(self) -> list[TreeNode]:
        return [
            node
            for root in self.roots
            for node in root.walk()
            if node.kind in (OrgUnitKind.COMMUNITY, OrgUnitKind.SECTOR)
        ]


def _tree(rows: list[dict], areas: dict) -> tuple[list[TreeNode], dict[str, TreeNode]]:
    nodes: dict[str, TreeNode] = {}

    def build(row: dict, parent: TreeNode | None) -> TreeNode:
        node = TreeNode(
            code=row["code"],
            name=row["name"],
            kind=row["kind"],
            parent=parent,
            has_boundary=row["code"] in areas,
        )
        nodes[node.code] = node
        node.children = [build(child, node) for child in row.get("children", ())]
        return node

    return [build(row, None) for row in rows], nodes


def _grid_staff(actor: Actor, grid_codes: set[str]) -> dict[str, list[dict]]:
    """Grid leaders and workers per grid, from the staff directory of the actor's own scope."""
    found: dict[str, list[dict]] = {code: [] for code in grid_codes}
    if not grid_codes:
        return found
    for entry in staff_directory(visible_paths(actor), STAFF_LIMIT):
        if not entry.user.is_active:
            continue
        for grant in entry.grants:
            if grant.role in GRID_STAFF_ROLES and grant.org_unit_code in found:
                found[grant.org_unit_code].append(
                    {
                        "name": entry.user.display_name or entry.user.get_username(),
                        "phone": entry.user.work_phone,
                        "role": grant.role,
                    }
                )
    order = {role: i for i, role in enumerate(GRID_STAFF_ROLES)}
    for people in found.values():
        people.sort(key=lambda person: (order.get(person["role"], 9), person["name"]))
    return found


def scope_overview(actor: Actor, *, with_geometry: dict | None = None) -> Overview:
    """The actor's tree with a card for every grid in it (no boundaries).

    `with_geometry` may pass a grids_geojson result the caller already holds (the map page), so
    the boundaries are read once.
    """
    collection = with_geometry if with_geometry is not None else grids_geojson(actor=actor)
    areas = {
        feature["properties"]["code"]: feature["properties"].get("area_m2")
        for feature in collection["features"]
    }
    roots, nodes = _tree(org_tree(actor=actor), areas)
    grid_nodes = [node for node in nodes.values() if node.is_grid]
    counts = grid_counts(actor=actor, codes=[node.code for node in grid_nodes])
    staff = _grid_staff(actor, {node.code for node in grid_nodes})
    cards: dict[str, dict] = {}
    for node in grid_nodes:
        community = node.community()
        grid_count = counts.get(node.code) or {}
        key_populations = grid_count.get("key_populations") or {}
        cards[node.code] = {
            "code": node.code,
            "name": node.name,
            "kind": node.kind,
            "community": {"code": community.code, "name": community.name} if community else None,
            "area_m2": areas.get(node.code),
            "grid_workers": staff.get(node.code, []),
            "counts": {
                "households": grid_count.get("households", 0),
                "persons": grid_count.get("persons", 0),
                "party_members": grid_count.get("party_members", 0),
                "key_populations": key_populations,
            },
            "key_population_total": sum(key_populations.values()),
        }
    return Overview(roots=roots, nodes=nodes, cards=cards, areas=areas)


def card_for_display(card: dict) -> dict:
    """A selectors.grid_card result with the total the template shows beside the counts."""
    key_populations = card.get("counts", {}).get("key_populations") or {}
    return {**card, "key_population_total": sum(key_populations.values())}
