"""Person search: one box that finds a person by name, pinyin, ID number, phone or address.

Every kind of query becomes a few index range scans, never a scan of the table:

- Chinese text: a prefix of `name` (张三 → 张三, 张三丰) and of `given_name` (三丰 → 张三丰), as
  `name >= q AND name < successor(q)`. A range, not LIKE: SQLite's LIKE is case-insensitive
  and cannot use a BINARY index, and PostgreSQL uses an index for LIKE only under the C
  collation, while a range uses the btree under any collation. The range holds exactly the
  names that start with q in code-point order: SQLite's BINARY, PostgreSQL's "C" / "C.UTF-8"
  (how .ci/run creates the database). Under a linguistic collation (zh_CN…) the
  range would still use the index but could miss names; such a database needs the key columns
  declared COLLATE "C". Trigram indexes (FTS5, pg_trgm) are no use here: they cannot match
  the 1- and 2-character terms most names are made of.
  The same text also matches buildings and compounds by address fragment (a few thousand rows,
  searched with icontains) and then the persons living in them.
- Latin letters: a prefix of the initials (zs → 张三) and of the full pinyin (zhangs → 张三).
- Digits: an 18-character ID number or an 11-digit phone through its blind index; the last 4
  digits through the short tail indexes; 5-6 digits narrow by the tail of their last 4 and then
  compare the decrypted candidates (there are few: a tail is shared by ~1 in 10,000 persons).

Scopes of up to a few hundred grids (grid worker, community, street) use `grid_id IN (...)`,
so that the partial (grid, key) indexes of migration 0003 answer from the actor's grids only,
without reading a row, instead of walking every person in the city who shares a surname.

The query text is personal data (it may be an ID number or a phone): it is never logged,
audited or put in an exception message here. Results are ranked by kind (exact name, name
prefix, given-name prefix, pinyin, identifiers, address), then by the kind's key and id: the
order of the index, so that each query stops after `limit` rows.
"""

import re

from django.db.models import Q, QuerySet
from django.utils import timezone

from wangge.core.crypto import (
    DecryptionError,
    decrypt,
    id_number_index,
    normalize_phone,
    normalize_text,
    phone_index,
)
from wangge.core.scope import scope_q
from wangge.orgs.enums import GRID_KINDS
from wangge.orgs.models import OrgUnit

from . import identity
from .models import Building, Person
from .permissions import register_paths

MAX_LIMIT = 50
# Up to this many grids in scope (a community has ~6, a street ~60), `grid_id IN (...)` over the
# (grid, key) indexes; above it (a city), the key index alone, in order, meets enough in-scope
# rows before it goes far.
SMALL_SCOPE_GRIDS = 200
# Address fragments like 东坡大道 can match a whole district: the first buildings suffice.
MAX_BUILDINGS = 300
# Tail candidates to decrypt at most (a 4-digit tail is shared by ~100 per million persons).
MAX_TAIL_CANDIDATES = 2000

NAME_EXACT = "name_exact"
NAME = "name"
GIVEN_NAME = "given_name"
PINYIN = "pinyin"
ID_NUMBER = "id_number"
ID_TAIL = "id_tail"
PHONE = "phone"
PHONE_TAIL = "phone_tail"
ADDRESS = "address"

_SEPARATORS = re.compile(r"[\s\-_.·+()]")
_CJK = re.compile(r"[\u3400-\u9fff\U00020000-\U0003134f]")
_NAME_CHARS = re.compile(r"[\u3400-\u9fff\U00020000-\U0003134f·]+")
_LATIN = re.compile(r"[a-z]+")
_ID_FULL = re.compile(r"\d{17}[\dX]")
_ID_TAIL = re.compile(r"\d{3,5}X|\d{5,6}")
# "幸福小区3栋1-301" → place "幸福小区3栋", dwelling "1-301" (a hyphenated or 3-4 digit number).
_DWELLING_AT_END = re.compile(r"^(?P<place>.*[^\d\-])(?P<number>\d+-\d+(?:-\d+)?|\d{3,4})$")


def person_search(*, actor, q: str, limit: int = 20, filters: dict | None = None) -> list[dict]:
    """Persons in the actor's scope matching `q`, best first, as display dicts (masked).

    `filters` (grid code, tag, age range, residence status) is accepted for the API's sake and
    not applied yet: the list selector applies them.
    """
    del filters  # accepted, not applied yet (see the docstring)
    term = normalize_text(q or "")
    limit = max(1, min(int(limit), MAX_LIMIT))
    paths = register_paths(actor)
    if not term or not paths:
        return []
    scope = Q(scope_q(paths)) & Q(archived_at__isnull=True)
    persons = Person.objects.filter(scope)
    hits: dict[int, str] = {}
    for kind, found in _candidates(term, persons, paths, limit):
        for person_id, matched in found:
            hits.setdefault(person_id, matched or kind)
        if len(hits) >= limit:
            break
    ranked = list(hits.items())[:limit]
    return _display_rows(ranked)


def _small_scope_grids(paths) -> list[int] | None:
    """The grid ids under the actor's paths when they are few, else None (use the key index)."""
    if "/" in paths:
        return None
    ids = list(
        OrgUnit.objects.filter(scope_q(paths), kind__in=GRID_KINDS).values_list("id", flat=True)[
            : SMALL_SCOPE_GRIDS + 1
        ]
    )
    return ids if len(ids) <= SMALL_SCOPE_GRIDS else None


class _KeyScope:
    """Prefix searches on a name key within the actor's scope.

    In a small scope, a person's path is the path of their grid, so `grid_id IN (the scope's
    grids)` selects the same persons as the path filter and is answered from the partial
    (grid, key) index alone: no table row is read for a candidate out of scope. Persons not yet
    placed in a grid (the path of a community or street) come through their path, in a second
    branch of a UNION ALL (an OR would keep SQLite from using the partial index).
    """

    def __init__(self, paths) -> None:
        self.paths = paths
        self._grid_ids: list[int] | None = None
        self._looked_up = False

    def grid_ids(self) -> list[int] | None:
        if not self._looked_up:
            self._grid_ids = _small_scope_grids(self.paths)
            self._looked_up = True
        return self._grid_ids

    def rows(self, field: str, prefix: str, limit: int) -> list[tuple[int, str]]:
        """(id, key) of the first `limit` persons whose `field` starts with `prefix`."""
        live = Person.objects.filter(_prefix(field, prefix), archived_at__isnull=True)
        grid_ids = self.grid_ids()
        if grid_ids is None:
            rows = live.filter(scope_q(self.paths)).values_list("id", field)
        else:
            unplaced = live.filter(scope_q(self.paths), grid_id__isnull=True)
            rows = (
                live.filter(grid_id__in=grid_ids)
                .values_list("id", field)
                .union(unplaced.values_list("id", field), all=True)
            )
        return list(rows.order_by(field, "id")[:limit])


def successor(prefix: str) -> str:
    """The least string above every string that starts with `prefix` (in code-point order)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _prefix(field: str, prefix: str) -> Q:
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": successor(prefix)})


def _candidates(term: str, persons: QuerySet, paths, limit: int):
    """(kind, [(id, kind or None)]) in rank order; each list is fetched lazily."""
    compact = _SEPARATORS.sub("", term).upper()
    if compact.isdigit() or _ID_FULL.fullmatch(compact) or _ID_TAIL.fullmatch(compact):
        # Identifier indexes are selective on their own: no need for the grid list.
        yield from _identifier_candidates(compact, persons, limit)
        return
    lowered = compact.lower()
    keys = _KeyScope(paths)
    if _LATIN.fullmatch(lowered):
        for field in ("name_initials", "name_pinyin"):
            yield PINYIN, [(pk, None) for pk, _key in keys.rows(field, lowered, limit)]
        return
    if not _CJK.search(term):
        return
    if _NAME_CHARS.fullmatch(term):
        yield (
            NAME,
            [
                (pk, NAME_EXACT if name == term else None)
                for pk, name in keys.rows("name", term, limit)
            ],
        )
        yield GIVEN_NAME, [(pk, None) for pk, _key in keys.rows("given_name", term, limit)]
    yield ADDRESS, _address_candidates(term, persons, paths, limit)


def _identifier_candidates(compact: str, persons: QuerySet, limit: int):
    if _ID_FULL.fullmatch(compact):
        yield ID_NUMBER, _exact(persons.filter(id_number_index=id_number_index(compact)), limit)
        return
    phone = normalize_phone(compact)
    if len(compact) == identity.TAIL_LENGTH:
        yield ID_TAIL, _tail(persons, compact, "id_tail_index", "id_number_encrypted", limit)
        yield PHONE_TAIL, _tail(persons, compact, "phone_tail_index", "phone_encrypted", limit)
    elif _ID_TAIL.fullmatch(compact):
        yield ID_TAIL, _tail(persons, compact, "id_tail_index", "id_number_encrypted", limit)
    elif identity.phone_problem(phone) is None:
        yield PHONE, _exact(persons.filter(phone_index=phone_index(phone)), limit)


def _exact(persons: QuerySet, limit: int) -> list[tuple[int, None]]:
    return [
        (pk, None) for pk in persons.order_by("name", "id").values_list("id", flat=True)[:limit]
    ]


def _tail(persons: QuerySet, digits: str, index_field: str, blob_field: str, limit: int):
    """Candidates by the tail index of the last 4 characters; longer tails are then compared
    with the decrypted values (the only way: no index holds more than 4 characters)."""
    last4 = digits[-identity.TAIL_LENGTH :]
    if index_field == "id_tail_index":
        index = identity.tail_index(last4, purpose="id_number")
        aad = identity.ID_AAD
    else:
        index = identity.tail_index(last4, purpose="phone")
        aad = identity.PHONE_AAD
    rows = persons.filter(**{index_field: index}).order_by("name", "id")
    if len(digits) == identity.TAIL_LENGTH:
        # The tail index is 16 hex characters of an HMAC: a false match is 1 in 2^64.
        return [(pk, None) for pk in rows.values_list("id", flat=True)[:limit]]
    found: list[tuple[int, None]] = []
    for pk, blob in rows.values_list("id", blob_field)[:MAX_TAIL_CANDIDATES]:
        if blob is None:
            continue
        try:
            value = decrypt(blob, aad=aad)
        except DecryptionError:
            continue
        if value.endswith(digits):
            found.append((pk, None))
            if len(found) >= limit:
                break
    return found


def _address_candidates(term: str, persons: QuerySet, paths, limit: int):
    """Persons whose household's dwelling is in a building or compound matching the fragment;
    with a dwelling number at the end ("幸福小区3栋1-301"), in that dwelling."""
    match = _DWELLING_AT_END.match(term)
    place, number = (match["place"].strip(), match["number"]) if match else ("", "")
    fragments = [fragment for fragment in (term, place) if fragment]
    text_q = Q()
    for fragment in fragments:
        # Chinese has no case: plain LIKE then, without PostgreSQL's UPPER() on every row.
        lookup = "icontains" if fragment.lower() != fragment.upper() else "contains"
        for field in ("address", "name", "compound__name", "compound__address"):
            text_q |= Q(**{f"{field}__{lookup}": fragment})
    rows = (
        Building.objects.filter(scope_q(paths))
        .filter(text_q)
        .values_list("id", "name", "address", "compound__name", "compound__address")
        .order_by("id")[:MAX_BUILDINGS]
    )
    whole: list[int] = []
    at_number: list[int] = []
    folded_term = term.casefold()
    folded_place = place.casefold()
    for building_id, *texts in rows:
        text = "\n".join(t for t in texts if t).casefold()
        if folded_term in text:
            whole.append(building_id)
        elif folded_place and folded_place in text:
            at_number.append(building_id)
    where = Q()
    if whole:
        where |= Q(household__dwelling__building_id__in=whole)
    if at_number:
        where |= Q(
            household__dwelling__building_id__in=at_number, household__dwelling__number=number
        )
    if not where:
        return []
    return [
        (pk, None)
        for pk in persons.filter(where).order_by("name", "id").values_list("id", flat=True)[:limit]
    ]


def _display_rows(ranked: list[tuple[int, str]]) -> list[dict]:
    """One query for the rows to show; only these are decrypted, and only to be masked."""
    if not ranked:
        return []
    persons = {
        person.id: person
        for person in Person.objects.filter(id__in=[pk for pk, _kind in ranked])
        .select_related("grid", "household__dwelling__building")
        .only(
            "id",
            "name",
            "gender",
            "birth_date",
            "id_number_encrypted",
            "phone_encrypted",
            "grid__code",
            "grid__name",
            "household__dwelling__number",
            "household__dwelling__building__address",
            "household__dwelling__building__name",
        )
    }
    today = timezone.localdate()
    results = []
    for pk, kind in ranked:
        person = persons.get(pk)
        if person is None:
            continue
        masked = identity.masked_identifiers(person, ("id_number", "phone"))
        dwelling = person.household.dwelling if person.household else None
        address = ""
        if dwelling is not None:
            building = dwelling.building
            address = f"{building.address or building.name}{dwelling.number}"
        results.append(
            {
                "id": person.id,
                "name": person.name,
                "gender": person.gender,
                "gender_label": person.get_gender_display(),
                "age": identity.age_on(person.birth_date, today),
                "id_number": masked["id_number"],
                "phone": masked["phone"],
                "grid_code": person.grid.code if person.grid else "",
                "grid_name": person.grid.name if person.grid else "",
                "address": address,
                "match": kind,
            }
        )
    return results
