"""Turning one spreadsheet cell into a value, or into a problem (message + code).

Cells arrive as whatever calamine or the CSV reader gives: str, int, float, bool, date,
datetime, timedelta or None. Every parser accepts all of them and either returns a value or
raises CellProblem; nothing else escapes (the fuzz tests hold them to that).
"""

import math
from datetime import date, datetime

from django.utils.translation import gettext as _

from wangge.core.calendar_files import parse_date as _parse_date
from wangge.core.crypto import normalize_text
from wangge.registry.enums import (
    DwellingUse,
    Gender,
    OrganisationKind,
    Relationship,
    ResidenceStatus,
)

MIN_DATE = date(1880, 1, 1)


class CellProblem(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def text(value: object) -> str:
    """The cell as trimmed text; numbers typed into text columns lose a spurious ".0"."""
    if type(value) is str:
        stripped = value.strip()
        # ASCII is already NFKC-normal; only other text may hold full-width forms to fold.
        return stripped if stripped.isascii() else normalize_text(stripped)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        if value == int(value) and abs(value) < 1e17:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    try:
        return normalize_text(str(value))
    except (ValueError, TypeError):
        return ""


def limited(value: object, max_length: int) -> str:
    result = text(value)
    if len(result) > max_length:
        raise CellProblem(_("at most %(max)s characters") % {"max": max_length}, "too_long")
    return result


def a_date(value: object) -> date:
    if isinstance(value, float) and not math.isfinite(value):
        # core.calendar_files.parse_date raises on NaN/infinity (int() of them).
        raise CellProblem(_("not a date like 2024-01-31"), "invalid_date")
    try:
        day = _parse_date(value if not isinstance(value, str) else text(value))
    except (ValueError, OverflowError):
        day = None
    if day is None:
        raise CellProblem(_("not a date like 2024-01-31"), "invalid_date")
    if not MIN_DATE <= day <= date.today():
        raise CellProblem(_("the date lies before 1880 or in the future"), "date_out_of_range")
    return day


def a_number(value: object) -> float:
    if isinstance(value, bool):
        raise CellProblem(_("not a number"), "invalid_number")
    if isinstance(value, int | float):
        number = float(value)
    else:
        try:
            number = float(text(value).replace(",", ""))
        except (ValueError, OverflowError):
            raise CellProblem(_("not a number"), "invalid_number") from None
    if not math.isfinite(number):
        raise CellProblem(_("not a number"), "invalid_number")
    return number


def a_count(value: object, *, low: int, high: int) -> int:
    number = a_number(value)
    if number != int(number) or not low <= number <= high:
        raise CellProblem(
            _("a whole number from %(low)s to %(high)s") % {"low": low, "high": high},
            "out_of_range",
        )
    return int(number)


def a_coordinate(value: object, *, limit: float) -> float:
    number = a_number(value)
    if not -limit <= number <= limit:
        raise CellProblem(
            _("a coordinate between -%(limit)s and %(limit)s (WGS-84 degrees)")
            % {"limit": int(limit)},
            "out_of_range",
        )
    return number


def _choice(table: dict[str, str], allowed: str):
    def parse(value: object) -> str:
        word = text(value).lower()
        if word in table:
            return table[word]
        raise CellProblem(_("must be one of: %(allowed)s") % {"allowed": allowed}, "invalid_choice")

    return parse


def _table(pairs: dict[str, tuple[str, ...]]) -> dict[str, str]:
    table = {}
    for value, words in pairs.items():
        table[value] = value
        for word in words:
            table[word.lower()] = value
    return table


gender = _choice(
    _table({Gender.MALE: ("男", "男性", "m"), Gender.FEMALE: ("女", "女性", "f")}), "男, 女"
)
residence_status = _choice(
    _table(
        {
            ResidenceStatus.REGISTERED: ("户籍", "户籍人口"),
            ResidenceStatus.MIGRANT: ("流动", "流动人口"),
            ResidenceStatus.AWAY_REGISTERED: ("人户分离",),
            ResidenceStatus.FOREIGN: ("境外", "境外人员", "境外人口"),
        }
    ),
    "户籍, 流动, 人户分离, 境外",
)
relationship = _choice(
    _table(
        {
            Relationship.HEAD: ("户主", "本人"),
            Relationship.SPOUSE: ("配偶", "妻", "夫", "妻子", "丈夫"),
            Relationship.CHILD: (
                "子女",
                "子",
                "女",
                "儿子",
                "女儿",
                "长子",
                "长女",
                "次子",
                "次女",
            ),
            Relationship.PARENT: ("父母", "父亲", "母亲"),
            Relationship.GRANDCHILD: ("孙子女", "孙子", "孙女", "外孙子", "外孙女"),
            Relationship.GRANDPARENT: ("祖父母", "祖父", "祖母", "外祖父", "外祖母"),
            Relationship.SIBLING: ("兄弟姐妹", "兄", "弟", "姐", "妹"),
            Relationship.CHILD_IN_LAW: ("子女配偶", "儿媳", "女婿"),
            Relationship.TENANT: ("租户", "租客"),
            Relationship.OTHER: ("其他",),
        }
    ),
    "户主, 配偶, 子女, 父母, 孙子女, 祖父母, 兄弟姐妹, 子女配偶, 租户, 其他",
)
dwelling_use = _choice(
    _table(
        {
            DwellingUse.OWNER_OCCUPIED: ("自住",),
            DwellingUse.RENTED: ("出租",),
            DwellingUse.VACANT: ("空置",),
            DwellingUse.COMMERCIAL: ("商用",),
        }
    ),
    "自住, 出租, 空置, 商用",
)
organisation_kind = _choice(
    _table(
        {
            OrganisationKind.RESIDENT_ORGANISATION: ("驻区单位",),
            OrganisationKind.ENTERPRISE: ("企业",),
            OrganisationKind.SHOP: ("商铺", "门店", "个体工商户"),
            OrganisationKind.SOCIAL_ORGANISATION: ("社会组织",),
            OrganisationKind.SPONSOR_UNIT: ("包保单位",),
        }
    ),
    "驻区单位, 企业, 商铺, 社会组织, 包保单位",
)
_yes_no = _choice(
    {
        **dict.fromkeys(("是", "y", "yes", "true", "1", "党员"), "1"),
        **dict.fromkeys(("否", "n", "no", "false", "0"), ""),
    },
    "是, 否",
)


def yes_no(value: object) -> bool:
    return bool(_yes_no(value))


PARTY_STATUSES = ("中共党员", "中国共产党党员", "中共预备党员", "党员", "预备党员")


def political_status(value: object) -> bool:
    """政治面貌 → party member: any Communist Party member, full or probationary."""
    return limited(value, 32) in PARTY_STATUSES
