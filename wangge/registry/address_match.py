"""Match a typed address to one building of the register (a report that gives no map pin).

Both sides are normalised the same way: full-width characters to half-width (NFKC), no spaces
or separators, letters folded, and the building markers unified (幢, 号楼 and "#" after a
number all read as 栋; "单元" stays). Then: a building whose normalised address equals the text
wins; else the text may name a building and then more ("…3栋1单元门口": the longest building
address the text starts with or contains), or be a fragment of one address ("幸福小区3栋"):
one such building wins, several are ambiguous. Only buildings the actor may see, with a point.
"""

import re
import unicodedata
from dataclasses import dataclass

from django.db.models import Q

from wangge.core.scope import scope_q

from .models import Building
from .permissions import register_paths

# Enough to hold every building of a street; the SQL prefilter keeps the usual scan far smaller.
MAX_SCANNED = 5000
MAX_CANDIDATES = 5

_SPACES = re.compile(r"[\s,，、;；:：()（）\[\]【】]+")
_BUILDING_MARK = re.compile(r"(\d+)(?:号楼|幢|栋|#)")
# Prefilter words: what is left between numbers, markers and separators ("东坡大道", "幸福小区").
_WORD_BREAK = re.compile(r"[\d栋幢号楼单元#_]+|\W+")


@dataclass(frozen=True)
class AddressMatch:
    """The outcome: `building` when exactly one matched, else the candidates' addresses."""

    building: "MatchedBuilding | None"
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class MatchedBuilding:
    id: int
    address: str
    lng: float
    lat: float
    grid_code: str | None


def normalize_address(text: str) -> str:
    """The comparable form of an address: NFKC, no spaces or separators, unified markers."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    folded = _SPACES.sub("", folded)
    return _BUILDING_MARK.sub(r"\1栋", folded)


def _prefilter(text: str) -> Q:
    """Rows worth normalising in Python: those containing the text's longest word, which
    normalisation leaves alone in Chinese place names."""
    words = [w for w in _WORD_BREAK.split(unicodedata.normalize("NFKC", text)) if len(w) >= 2]
    if not words:
        return Q()
    word = max(words, key=len)
    # Chinese has no case: plain LIKE then, without PostgreSQL's UPPER() on every row.
    lookup = "icontains" if word.lower() != word.upper() else "contains"
    return Q(**{f"address__{lookup}": word})


def building_match_address(*, actor, text: str) -> AddressMatch:
    """The one building of `text` among those the actor may see, or the candidates (≤ 5)."""
    normal = normalize_address(text)
    if not normal:
        return AddressMatch(None)
    rows = (
        Building.objects.filter(scope_q(register_paths(actor)))
        .filter(_prefilter(text), lng__isnull=False, lat__isnull=False)
        .exclude(address="")
        .order_by("id")
        .values_list("id", "address", "lng", "lat", "grid__code")[:MAX_SCANNED]
    )
    buildings = [
        (normalize_address(address), MatchedBuilding(pk, address, float(lng), float(lat), grid))
        for pk, address, lng, lat, grid in rows
        if lng is not None and lat is not None
    ]
    exact = [building for key, building in buildings if key == normal]
    if len(exact) == 1:
        return AddressMatch(exact[0])
    if exact:
        return AddressMatch(None, tuple(b.address for b in exact[:MAX_CANDIDATES]))
    # The text names a building and says more: the longest such address, if only one has it.
    within = [(len(key), building) for key, building in buildings if key and key in normal]
    if within:
        longest = max(size for size, _building in within)
        best = [building for size, building in within if size == longest]
        if len(best) == 1:
            return AddressMatch(best[0])
        return AddressMatch(None, tuple(b.address for b in best[:MAX_CANDIDATES]))
    # The text is part of an address: one building, or a list to choose from.
    containing = [building for key, building in buildings if normal in key]
    if len(containing) == 1:
        return AddressMatch(containing[0])
    return AddressMatch(None, tuple(b.address for b in containing[:MAX_CANDIDATES]))
